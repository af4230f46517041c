"""/sign: the GM sees the period's confirmed results and who is still missing, and signs
it with one confirmation. Signing is final and recorded (who, when); every confirmed person
is then told in private that their result is ready (never the result itself).

Callback data: hg:ask:<period> ("are you sure?"), hg:yes:<period> (sign),
hg:no:<period> (back to the overview).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Bot, InlineKeyboardMarkup, Update

from bot import hearts
from bot.runtime import Runtime
from bot.states import UNSIGNED_PERIODS, EvaluationStatus
from bot.when import format_local
from handlers.evaluation.board import UNASSIGNED, WAITING, Board, Entry, button, counts, load_board
from handlers.evaluation.review_screens import signed_line
from handlers.evaluation.shared import (
    Texts,
    current_period,
    period_from_args,
    period_from_token,
    period_label,
    period_token,
    private_only,
    status_text,
)
from handlers.kit.base import (
    Caller,
    Context,
    edit_quietly,
    identify,
    is_private,
    pressed,
    pressed_message,
    reply,
    runtime,
    send_private,
    texts_for,
)
from handlers.kit.outgoing import Listing, reply_listing
from storage import hearts as store
from storage import org
from storage.models import EvaluationPeriod

# --- /sign: the GM -----------------------------------------------------------------------------


def _listed(t: Texts, label_key: str, items: Sequence[str]) -> str | None:
    """ "⏳ Not yet submitted: A (B), C (D)" — items already rendered, so escaped once."""
    if not items:
        return None
    return t(label_key) + t("sign.separator").join(items)


def sign_section(caller: Caller, board: Board, code: str | None, entries: Sequence[Entry]) -> str:
    """A department for the GM: the confirmed results with totals, then who is missing."""
    t = caller.t
    rules = board.rules
    lines = [t("sign.department", department=board.department_name(code, caller.language))]
    for entry in entries:
        if entry.state == EvaluationStatus.CONFIRMED and entry.item is not None:
            scores = entry.item.scores
            lines.append(
                t(
                    "sign.confirmed_line",
                    name=entry.name,
                    total=hearts.total(scores),
                    max=rules.scale_max * len(rules.hearts),
                    average=f"{hearts.average(scores):.2f}" if scores else "—",
                )
            )

    def named(state: str | tuple[str, ...]) -> list[Entry]:
        states = (state,) if isinstance(state, str) else state
        return [e for e in entries if e.state in states]

    missing = [
        _listed(
            t,
            "sign.missing.waiting",
            [
                t("sign.with_evaluator", name=e.name, evaluator=board.name(e.evaluator_id))
                for e in named(WAITING)
            ],
        ),
        _listed(
            t,
            "sign.missing.submitted",
            [t("sign.name", name=e.name) for e in named(EvaluationStatus.SUBMITTED)],
        ),
        _listed(
            t,
            "sign.missing.returned",
            [
                t("sign.with_evaluator", name=e.name, evaluator=board.name(e.evaluator_id))
                for e in named(EvaluationStatus.RETURNED)
            ],
        ),
        _listed(
            t, "sign.missing.unassigned", [t("sign.name", name=e.name) for e in named(UNASSIGNED)]
        ),
    ]
    lines += [line for line in missing if line]
    return "\n".join(lines)


def sign_verdict(board: Board) -> tuple[bool, str | None]:
    statuses = [e.state for e in board.entries if e.item is not None]
    return hearts.can_sign(board.period.status, statuses)


def sign_screen(
    caller: Caller, board: Board, *, asking: bool = False
) -> tuple[Listing, InlineKeyboardMarkup | None]:
    """The GM's overview: each department's results, then the summary, what stops a
    signature (or that nothing does) and the buttons. A hotel too big for one message gets
    the departments as a document beside the summary (handlers.kit.outgoing.Listing)."""
    t, toast = caller.t, caller.toast
    label = period_label(t, board.period.key)
    tally = counts(board.entries)
    allowed, reason = sign_verdict(board)
    summary = [
        t(
            "sign.summary",
            period=label,
            status=status_text(t, board.period.status),
            deadline=format_local(board.period.deadline_at, board.zone),
        ),
        t("sign.counts", **tally),
    ]
    token = period_token(board.period.key)
    markup = None
    if board.signed:
        summary.append(signed_line(t, board))
    elif not allowed:
        summary.append(t(reason or hearts.SIGN_NOTHING_CONFIRMED))
    elif asking:
        summary.append(t("sign.ask", period=label))
        markup = InlineKeyboardMarkup(
            [
                [
                    button(toast("sign.button.yes"), "hg", "yes", token),
                    button(toast("sign.button.no"), "hg", "no", token),
                ]
            ]
        )
    else:
        summary.append(t("sign.ready", count=tally["confirmed"]))
        if tally["waiting"] or tally["unassigned"]:
            summary.append(t("sign.ready_missing", count=tally["waiting"] + tally["unassigned"]))
        markup = InlineKeyboardMarkup(
            [[button(toast("sign.button.sign", period=label), "hg", "ask", token)]]
        )
    listing = Listing(
        title=t("sign.title", period=label),
        items=[sign_section(caller, board, code, entries) for code, entries in board.grouped()],
        last="\n".join(summary),
    )
    return listing, markup


async def _period_to_sign(rt: Runtime) -> EvaluationPeriod:
    """The oldest unsigned period with a confirmed result; a month nobody scored (which can
    never be signed) does not hold the GM's default there for ever. Else this month."""
    async with rt.sessions() as session:
        for period in await store.list_periods(session, statuses=UNSIGNED_PERIODS):
            if await store.evaluations_in(
                session, period.key, statuses=(EvaluationStatus.CONFIRMED,)
            ):
                return period
    return await current_period(rt)


async def sign_command(update: Update, context: Context) -> None:
    """Shows the GM each department's confirmed results and who is missing, then a Sign
    button when the rules allow it (or what stops it)."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    if not hearts.may_sign(caller.person):
        await reply(update, caller.t("sign.not_gm"))
        return
    text = " ".join(context.args or [])
    if text:
        period = await period_from_args(rt, update, caller, text)
    else:
        period = await _period_to_sign(rt)
    if period is None:
        return
    board = await load_board(rt, period.key)
    assert board is not None
    listing, markup = sign_screen(caller, board)
    await reply_listing(
        update,
        listing,
        filename=f"sign-{board.period.key}.txt",
        caption=caller.t("sign.title", period=period_label(caller.t, board.period.key)),
        reply_markup=markup,
    )


async def sign_button(update: Update, context: Context) -> None:
    """Sign → "final, are you sure?" → Yes signs (the rules checked again) and everyone
    confirmed is told, privately and without a score; Cancel goes back."""
    rt, query, caller, data = await pressed(update, context)
    key = period_from_token(data.args[0]) if data and len(data.args) == 1 else None
    if data is None or data.action not in ("ask", "yes", "no") or key is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    if not hearts.may_sign(caller.person) or caller.staff_id is None:
        await query.answer(caller.toast("sign.not_gm"))
        return
    if not is_private(update):  # forged: signing is only ever offered in private
        await query.answer(caller.toast("evaluation.private_only"))
        return
    board = await load_board(rt, key)
    if board is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    allowed, reason = sign_verdict(board)
    asking = False
    toast = None
    signed = False
    if data.action == "no":
        pass
    elif not allowed:
        toast = caller.toast(reason or hearts.SIGN_ALREADY_SIGNED)
    elif data.action == "ask":
        asking = True
    else:
        async with rt.sessions() as session:
            signed = await store.sign_period(session, key, by=caller.staff_id, now=rt.clock())
        board = await load_board(rt, key)
        assert board is not None
        if signed:
            toast = caller.toast("sign.done", period=period_label(caller.t, key))
        else:
            _, reason = sign_verdict(board)
            toast = caller.toast(reason or hearts.SIGN_ALREADY_SIGNED)
    listing, markup = sign_screen(caller, board, asking=asking)
    message = pressed_message(update)
    if message is not None:
        await edit_quietly(
            context.bot, message.chat_id, message.message_id, listing.screen, markup
        )
    await query.answer(toast)
    if signed:
        await _tell_signed(context.bot, rt, caller, board)


async def _tell_signed(bot: Bot, rt: Runtime, caller: Caller, board: Board) -> None:
    """Each confirmed evaluee: their result is ready in /myscore (no score here: a private
    chat can be read over a shoulder, and /myscore is where results are shown). The
    director(s): the period is signed."""
    confirmed = [
        e for e in board.entries if e.item is not None and e.state == EvaluationStatus.CONFIRMED
    ]
    async with rt.sessions() as session:
        evaluees = list((await org.views(session, [e.staff_id for e in confirmed])).values())
        directors = await org.views_with_role(session, hearts.REVIEWER)
    for view in evaluees:
        if view is None or not view.is_active or not view.staff.telegram_id:
            continue
        t = texts_for(rt, view)
        await send_private(
            bot,
            view.staff.telegram_id,
            t("sign.notice_evaluee", period=period_label(t, board.period.key)),
        )
    for view in directors:
        if view is None or not view.staff.telegram_id:
            continue
        t = texts_for(rt, view)
        await send_private(
            bot,
            view.staff.telegram_id,
            t(
                "sign.notice_director",
                gm=caller.user.full_name,
                period=period_label(t, board.period.key),
                count=len(confirmed),
            ),
        )
