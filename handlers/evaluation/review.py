"""/review: the director confirms or returns each evaluation of a period, department by
department. Private: in a group it answers with one line, and no score reaches a group.
The board it draws (handlers.evaluation.board, drawn by review_screens) feeds the GM's /sign
(handlers.evaluation.signing) too.

Callback data (handlers.kit.callbacks):
    hr:ok:<evaluation>     confirm one            hr:ret:<evaluation>   return one (asks why)
    hr:hist:<evaluation>   scores and history     hr:all:<period>:<n>:<digest>
                                                  confirm the n submitted shown

Every press re-reads the database and re-checks the rules before anything moves, and the
pressed message is then redrawn from the database, so its buttons match what can still be
done; a stale or forged press changes nothing and is answered with one sentence.

```mermaid
flowchart LR
    submitted -- "hr:ok / hr:all" --> confirmed
    submitted -- "hr:ret + reason" --> returned -- "/score, resubmit" --> submitted
    confirmed -- "hg:ask, hg:yes (GM)" --> signed
```
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Update

from bot import hearts
from bot.runtime import Runtime
from bot.score_report import chunks
from bot.states import UNSIGNED_PERIODS, EvaluationStatus
from handlers.evaluation.board import (
    Board,
    Entry,
    counts,
    load_board,
)
from handlers.evaluation.review_screens import (
    MESSAGE_LIMIT,
    all_message,
    department_parts,
    shown_digest,
    state_text,
)
from handlers.evaluation.shared import (
    current_period,
    history_lines,
    period_from_args,
    period_from_token,
    period_label,
    private_only,
    score_lines,
)
from handlers.kit import callbacks
from handlers.kit.base import (
    Caller,
    Context,
    Press,
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
from handlers.kit.outgoing import fit
from handlers.kit.prompts import Answered, ask_for_reply
from storage import hearts as store
from storage import org
from storage.models import EvaluationPeriod

log = logging.getLogger(__name__)

# The `department` of the latest /review's Confirm-all message (storage.hearts.BoardPart).
ALL_MESSAGE = "*"


async def _default_review_period(rt: Runtime) -> EvaluationPeriod:
    """The oldest unsigned period with something submitted, else this month's."""
    async with rt.sessions() as session:
        for period in await store.list_periods(session, statuses=UNSIGNED_PERIODS):
            if await store.evaluations_in(
                session, period.key, statuses=(EvaluationStatus.SUBMITTED,)
            ):
                return period
    return await current_period(rt)


async def review_command(update: Update, context: Context) -> None:
    """Shows the director one message per department (counts, each person's scores, Confirm /
    Return / History buttons), then "Confirm all (N)" when anything is submitted."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    if not hearts.may_review(caller.person):
        await reply(update, caller.t("review.not_director"))
        return
    text = " ".join(context.args or [])
    period = (
        await period_from_args(rt, update, caller, text)
        if text
        else await _default_review_period(rt)
    )
    if period is None:
        return
    board = await load_board(rt, period.key)
    assert board is not None
    grouped = board.grouped()
    if not grouped:
        await reply(update, caller.t("review.empty", period=period_label(caller.t, period.key)))
        return
    shown: list[store.BoardPart] = []
    for code, entries in grouped:
        for index, part in enumerate(department_parts(caller, board, code, entries)):
            sent = await reply(update, part.text, reply_markup=part.markup)
            shown.append(store.BoardPart(sent.message_id, period.key, code or "", index))
    text, markup = all_message(caller, board)
    sent = await reply(update, text, reply_markup=markup)
    shown.append(store.BoardPart(sent.message_id, period.key, ALL_MESSAGE, 0))
    # Kept as rows: the latest /review is the one kept up to date, by whichever instance.
    async with rt.sessions() as session:
        await store.keep_review_messages(
            session, chat_id=sent.chat_id, parts=shown, now=rt.clock()
        )


async def _redraw(
    context: Context,
    caller: Caller,
    chat_id: int,
    board: Board,
    *,
    departments: set[str] | None = None,
    skip: int | None = None,
) -> None:
    """Redraw the latest /review's messages of this period in this chat (those of
    `departments` and the Confirm-all message, or all of them)."""
    grouped = dict(board.grouped())
    async with runtime(context).sessions() as session:
        shown = await store.review_messages(session, chat_id)
    for message in shown:
        if message.period_key != board.period.key or message.message_id == skip:
            continue
        code = message.department
        if code == ALL_MESSAGE:
            text, markup = all_message(caller, board)
        elif departments is not None and code not in departments:
            continue
        else:
            parts = department_parts(caller, board, code or None, grouped.get(code or None, []))
            if message.part >= len(parts):
                continue
            text, markup = parts[message.part].text, parts[message.part].markup
        await edit_quietly(context.bot, chat_id, message.message_id, text, markup)


async def review_button(update: Update, context: Context) -> None:
    """One press on a /review message: confirm, ask for a return reason, show the history,
    or confirm all; then the messages are redrawn from the database."""
    press = await pressed(update, context)
    rt, query, caller, data = press
    if data is None or data.prefix != callbacks.REVIEW:
        await query.answer(caller.toast("common.stale_button"))
        return
    if not hearts.may_review(caller.person) or caller.staff_id is None:
        await query.answer(caller.toast("review.not_director"))
        return
    if not is_private(update):
        # Only a forged press gets here (the review is only ever sent in private); its
        # redraw would put scores in the group.
        await query.answer(caller.toast("evaluation.private_only"))
        return
    if data.action == "all" and len(data.args) == 3:
        await _confirm_all(update, context, press, data.args[0], data.int_arg(1), data.args[2])
        return
    evaluation_id = data.int_arg(0)
    if data.action not in ("ok", "ret", "hist") or evaluation_id is None or len(data.args) != 1:
        await query.answer(caller.toast("common.stale_button"))
        return
    async with rt.sessions() as session:
        evaluation = await store.get_evaluation(session, evaluation_id)
    if evaluation is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    board = await load_board(rt, evaluation.period_key)
    assert board is not None
    if data.action == "hist":
        if evaluation.status == EvaluationStatus.DRAFT:
            # A draft is still its evaluator's: the overview never shows its scores either.
            entry = board.entry_of(evaluation_id)
            name = entry.name if entry is not None else "—"
            await query.answer(caller.toast("review.already.draft", name=name))
            return
        await query.answer()
        await _send_history(context, caller, board, evaluation_id)
        return
    entry = board.entry_of(evaluation_id)
    assert entry is not None  # the board holds every evaluation of its period
    refusal = _refusal(caller, board, entry, returning=data.action == "ret")
    if refusal is None and data.action == "ret":
        await query.answer()
        message = pressed_message(update)
        assert message is not None
        await ask_for_reply(
            rt,
            message,
            text=caller.t(
                "review.return_ask",
                evaluee=entry.name,
                evaluator=board.name(entry.evaluator_id),
                period=period_label(caller.t, board.period.key),
            ),
            placeholder=caller.toast("review.return_placeholder"),
            asked=caller.user,
            kind="eval_return",
            ref_id=evaluation_id,
        )
        return
    toast = refusal
    if refusal is None:
        async with rt.sessions() as session:
            done = await store.confirm(session, evaluation_id, by=caller.staff_id, now=rt.clock())
        board = await load_board(rt, evaluation.period_key)
        assert board is not None
        entry = board.entry_of(evaluation_id)
        assert entry is not None
        toast = (
            caller.toast("review.confirmed", name=entry.name)
            if done
            else _refusal(caller, board, entry, returning=False)
        )
    # Redrawn before the answer, so once the spinner stops the message shows the outcome.
    await _redraw_pressed(update, context, caller, board, evaluation_id)
    await query.answer(toast)


def _refusal(
    caller: Caller, board: Board, entry: Entry, *, returning: bool, html: bool = False
) -> str | None:
    """Why the director cannot confirm (or return) this evaluation now: a toast, or with
    `html` a message; None when nothing stops it."""
    render = caller.t if html else caller.toast
    if board.signed:
        return render("review.refused_signed", period=period_label(caller.t, board.period.key))
    allowed = hearts.can_return if returning else hearts.can_confirm
    if not allowed(entry.state, period_status=board.period.status):
        return render(f"review.already.{entry.state}", name=entry.name)
    return None


async def _redraw_pressed(
    update: Update, context: Context, caller: Caller, board: Board, evaluation_id: int
) -> None:
    """Redraw the pressed message (the part holding this evaluation) and Confirm all."""
    message = pressed_message(update)
    if message is None:
        return
    for code, entries in board.grouped():
        for index, part in enumerate(department_parts(caller, board, code, entries)):
            if evaluation_id in part.evaluation_ids:
                await edit_quietly(
                    context.bot, message.chat_id, message.message_id, part.text, part.markup
                )
                async with runtime(context).sessions() as session:
                    await store.move_review_message(
                        session,
                        chat_id=message.chat_id,
                        message_id=message.message_id,
                        department=code or "",
                        part=index,
                    )
    await _redraw(
        context, caller, message.chat_id, board, departments=set(), skip=message.message_id
    )


async def _confirm_all(
    update: Update,
    context: Context,
    press: Press,
    token: str,
    expected: int | None,
    digest: str,
) -> None:
    """Confirm every submitted evaluation of the period, only if they are exactly the ones
    the director was shown (the count and the digest on the button still match); otherwise
    show the list again."""
    rt, query, caller = press.rt, press.query, press.caller
    key = period_from_token(token)
    board = await load_board(rt, key) if key else None
    if board is None or expected is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    message = pressed_message(update)
    chat_id = message.chat_id if message else caller.user.id
    label = period_label(caller.t, board.period.key)
    if board.signed:
        await _redraw_all_message(update, context, caller, board)
        await query.answer(caller.toast("review.refused_signed", period=label))
        return
    waiting = counts(board.entries)["submitted"]
    if waiting != expected or digest != shown_digest(board):
        await _redraw(
            context, caller, chat_id, board, skip=message.message_id if message else None
        )
        await _redraw_all_message(update, context, caller, board, changed=True)
        await query.answer(caller.toast("review.all_changed_toast"))
        return
    assert caller.staff_id is not None
    async with rt.sessions() as session:
        done = await store.confirm_all(
            session, board.period.key, by=caller.staff_id, now=rt.clock()
        )
    board = await load_board(rt, board.period.key)
    assert board is not None
    await _redraw(context, caller, chat_id, board, skip=message.message_id if message else None)
    if message is not None:
        text = caller.t("review.all_done", count=len(done), period=label)
        await edit_quietly(context.bot, chat_id, message.message_id, text, None)
    await query.answer(caller.toast("review.all_done", count=len(done), period=label))


async def _redraw_all_message(
    update: Update, context: Context, caller: Caller, board: Board, *, changed: bool = False
) -> None:
    message = pressed_message(update)
    if message is None:
        return
    text, markup = all_message(caller, board)
    if changed:
        text = caller.t("review.all_changed") + "\n\n" + text
    await edit_quietly(context.bot, message.chat_id, message.message_id, text, markup)


async def _send_history(
    context: Context, caller: Caller, board: Board, evaluation_id: int
) -> None:
    """The whole evaluation — every score and comment — and who did what, when."""
    rt = runtime(context)
    entry = board.entry_of(evaluation_id)
    assert entry is not None
    assert entry.item is not None
    async with rt.sessions() as session:
        events = await store.history(session, evaluation_id)
        names = board.names | await org.names_by_id(session, [e.actor_id for e in events])
    t = caller.t
    lines = [
        t(
            "review.history_title",
            name=entry.name,
            department=board.department_name(entry.department, caller.language),
            period=period_label(t, board.period.key),
        ),
        t("review.by", evaluator=board.name(entry.evaluator_id)),
        t("review.history_status", status=state_text(t, entry.state)),
        "",
        *score_lines(t, entry.item, board.rules),
        "",
        t("review.history_header"),
        *history_lines(t, rt, events, names),
    ]
    for text in chunks(lines_to_blocks(lines), MESSAGE_LIMIT):
        await context.bot.send_message(caller.user.id, fit(text))


def lines_to_blocks(lines: Sequence[str]) -> list[str]:
    """Lines with blank-line breaks as blocks, so `pack` splits a long history between them."""
    blocks: list[str] = [""]
    for line in lines:
        if line == "":
            blocks.append("")
        else:
            blocks[-1] = f"{blocks[-1]}\n{line}" if blocks[-1] else line
    return [block for block in blocks if block]


async def return_reason_answered(update: Update, context: Context, answered: Answered) -> None:
    """The director's reason for a return: the evaluation goes back to its evaluator, who is
    told why in private; the director gets one line."""
    rt, caller, staff_id, evaluation_id, reason = answered
    if not hearts.may_review(caller.person):
        await reply(update, caller.t("review.not_director"))
        return
    async with rt.sessions() as session:
        evaluation = await store.get_evaluation(session, evaluation_id)
    board = await load_board(rt, evaluation.period_key) if evaluation else None
    entry = board.entry_of(evaluation_id) if board else None
    if board is None or entry is None:
        await reply(update, caller.t("common.stale_button"))
        return
    refusal = _refusal(caller, board, entry, returning=True, html=True)
    if refusal is None:
        async with rt.sessions() as session:
            done = await store.return_evaluation(
                session, evaluation_id, by=staff_id, reason=reason, now=rt.clock()
            )
        if not done:
            board = await load_board(rt, board.period.key)
            assert board is not None
            entry = board.entry_of(evaluation_id)
            assert entry is not None
            refusal = _refusal(caller, board, entry, returning=True, html=True)
    if refusal is not None:
        await reply(update, refusal)
        return
    evaluator_name = board.name(entry.evaluator_id)
    await reply(
        update,
        caller.t("review.returned_done", evaluee=entry.name, evaluator=evaluator_name),
    )
    async with rt.sessions() as session:
        evaluator = await org.view(session, entry.evaluator_id or 0)
    if evaluator is not None and evaluator.staff.telegram_id:
        t = texts_for(rt, evaluator)
        await send_private(
            context.bot,
            evaluator.staff.telegram_id,
            t(
                "review.returned_evaluator",
                director=caller.user.full_name,
                evaluee=entry.name,
                period=period_label(t, board.period.key),
                reason=reason,
            ),
        )
    board = await load_board(rt, board.period.key)
    message = update.effective_message
    if board is not None and message is not None:
        await _redraw(
            context, caller, message.chat_id, board, departments={entry.department or ""}
        )
