"""/review: the director confirms or returns each evaluation of a period, department by
department. Private: in a group it answers with one line, and no score reaches a group.
The same board (who is where in the chain) feeds the GM's /sign (handlers.evaluation.signing).

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
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import hearts
from bot.runtime import Runtime
from bot.score_report import chunks
from bot.states import UNSIGNED_PERIODS, EvaluationStatus, PeriodStatus
from bot.when import format_local
from handlers.evaluation.shared import (
    Texts,
    clip,
    compact_scores,
    current_period,
    history_lines,
    period_from_args,
    period_from_token,
    period_label,
    period_token,
    private_only,
    score_lines,
    status_text,
)
from handlers.kit import callbacks
from handlers.kit.base import (
    Caller,
    Context,
    edit_quietly,
    identify,
    is_private,
    pressed_message,
    reply,
    runtime,
    send_private,
    texts_for,
)
from handlers.kit.outgoing import fit
from handlers.kit.prompts import ask_for_reply
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Department, EvaluationPeriod

log = logging.getLogger(__name__)

# Telegram takes 4,096 characters a message; leave room for a part number and a note.
MESSAGE_LIMIT = 3800
# At most this many people per review message: three buttons each stay well under the
# keyboard's limit, and a department's message stays readable on a phone.
PEOPLE_PER_MESSAGE = 20
# A comment is shortened in the overview (the 🕓 button shows it whole).
SHOWN_COMMENT = 160

NOT_STARTED = "not_started"  # an evaluated person whose evaluator has not begun
UNASSIGNED = "unassigned"  # an evaluated person nobody scores
WAITING = (EvaluationStatus.DRAFT, NOT_STARTED)  # "not yet submitted"

# chat_data: which review messages the latest /review sent in this chat, so a press that
# changes several of them (Confirm all, a return answered later) can redraw them all.
# message id -> (period key, department code or "" for none or ALL_MESSAGE, part index).
BOARDS_KEY = "review_boards"
ALL_MESSAGE = "*"


# --- what a period holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One person to evaluate in a period, with their evaluation once it has begun."""

    staff_id: int
    name: str
    department: str | None
    evaluator_id: int | None
    item: Scored | None

    @property
    def state(self) -> str:
        if self.item is not None:
            return self.item.evaluation.status
        return NOT_STARTED if self.evaluator_id is not None else UNASSIGNED


@dataclass(frozen=True)
class Board:
    """A period's evaluations and the people still without one, read in one go."""

    period: EvaluationPeriod
    entries: list[Entry]
    names: dict[int, str]
    departments: dict[str, Department]
    zone: ZoneInfo

    @property
    def rules(self) -> hearts.PeriodRules:
        return store.rules_of(self.period)

    @property
    def signed(self) -> bool:
        return self.period.status == PeriodStatus.SIGNED

    def grouped(self) -> list[tuple[str | None, list[Entry]]]:
        """Entries by department (in the hotel's order, none last), by name within one."""
        codes = {entry.department for entry in self.entries}

        def order(code: str | None) -> tuple[bool, int, str]:
            department = self.departments.get(code or "")
            return (code is None, department.sort_order if department else 0, code or "")

        return [
            (
                code,
                sorted(
                    (e for e in self.entries if e.department == code),
                    key=lambda e: (e.name, e.staff_id),
                ),
            )
            for code in sorted(codes, key=order)
        ]

    def department_name(self, code: str | None, language: str) -> str:
        department = self.departments.get(code or "")
        if department is None:
            return code.upper() if code else "—"
        return department.name_in(language)

    def name(self, staff_id: int | None) -> str:
        return self.names.get(staff_id or 0, "—")

    def entry_of(self, evaluation_id: int) -> Entry | None:
        return next(
            (e for e in self.entries if e.item is not None and e.item.id == evaluation_id), None
        )


async def load_board(rt: Runtime, key: str) -> Board | None:
    async with rt.sessions() as session:
        period = await store.get_period(session, key)
        if period is None:
            return None
        people = await store.members(session, period=period)
        items = await store.with_scores(session, await store.evaluations_in(session, key))
        departments = {d.code: d for d in await org.list_departments(session)}
        names = {member.staff_id: member.name for member in people}
        missing = {i.evaluation.evaluator_id for i in items} - set(names)
        names |= await org.names_by_id(session, missing)
    entries = [
        Entry(
            staff_id=i.evaluation.evaluee_id,
            name=names.get(i.evaluation.evaluee_id, "—"),
            department=i.evaluation.department_code,
            evaluator_id=i.evaluation.evaluator_id,
            item=i,
        )
        for i in items
    ]
    if period.status != PeriodStatus.SIGNED:
        # Who still has no evaluation comes from today's org chart; once signed, a period
        # is what was scored in it.
        started = {i.evaluation.evaluee_id for i in items}
        chain = hearts.evaluators(people)
        entries += [
            Entry(m.staff_id, m.name, m.department, chain[m.staff_id], None)
            for m in people
            if hearts.is_evaluated(m) and m.staff_id not in started
        ]
    return Board(period, entries, names, departments, rt.settings.zone)


def counts(entries: Sequence[Entry]) -> dict[str, int]:
    states = [entry.state for entry in entries]
    return {
        "submitted": states.count(EvaluationStatus.SUBMITTED),
        "confirmed": states.count(EvaluationStatus.CONFIRMED),
        "returned": states.count(EvaluationStatus.RETURNED),
        "waiting": sum(states.count(state) for state in WAITING),
        "unassigned": states.count(UNASSIGNED),
    }


def button(label: str, prefix: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(prefix, action, *args))


# --- /review: the director's overview --------------------------------------------------------


def _scores_line(t: Texts, item: Scored, rules: hearts.PeriodRules) -> str | None:
    if not item.scores or any(heart not in item.scores for heart in rules.hearts):
        return None
    return t(
        "review.scores",
        compact=compact_scores(t, item.scores, rules),
        total=hearts.total(item.scores),
        max=rules.scale_max * len(rules.hearts),
        average=f"{hearts.average(item.scores):.2f}",
    )


def _status(t: Texts, state: str) -> str:
    if state in (NOT_STARTED, UNASSIGNED):
        return t(f"review.state.{state}")
    return status_text(t, state)


def person_block(t: Texts, board: Board, entry: Entry) -> str:
    """A person in the director's overview: who scored them, where it stands, the scores
    (not a draft's: it is still the evaluator's), low scores' comments, the overall one."""
    lines = [t("review.person", name=entry.name, status=_status(t, entry.state))]
    if entry.evaluator_id is not None:
        lines.append(t("review.by", evaluator=board.name(entry.evaluator_id)))
    item = entry.item
    if item is not None and entry.state != EvaluationStatus.DRAFT:
        rules = board.rules
        scores = _scores_line(t, item, rules)
        if scores:
            lines.append(scores)
        for heart in rules.hearts:
            score = item.scores.get(heart)
            comment = item.comments.get(heart, "")
            if score is not None and comment and hearts.comment_required(score, rules):
                lines.append(
                    t(
                        "review.low",
                        heart=t(hearts.name_key(heart)),
                        score=score,
                        comment=clip(comment, SHOWN_COMMENT),
                    )
                )
        if item.evaluation.overall_comment:
            lines.append(
                t("review.overall", comment=clip(item.evaluation.overall_comment, SHOWN_COMMENT))
            )
        if entry.state == EvaluationStatus.RETURNED and item.evaluation.return_reason:
            lines.append(
                t("review.reason", reason=clip(item.evaluation.return_reason, SHOWN_COMMENT))
            )
    return "\n".join(lines)


def _person_buttons(caller: Caller, board: Board, entry: Entry) -> list[InlineKeyboardButton]:
    if entry.item is None or entry.state == EvaluationStatus.DRAFT:
        return []
    evaluation_id = entry.item.id
    history = button(caller.toast("review.button.history"), "hr", "hist", evaluation_id)
    if entry.state != EvaluationStatus.SUBMITTED or board.signed:
        return [
            button(
                caller.toast("review.button.history_of", name=entry.name),
                "hr",
                "hist",
                evaluation_id,
            )
        ]
    return [
        button(caller.toast("review.button.confirm", name=entry.name), "hr", "ok", evaluation_id),
        button(caller.toast("review.button.return"), "hr", "ret", evaluation_id),
        history,
    ]


@dataclass(frozen=True)
class Part:
    """One message of a department's overview."""

    text: str
    markup: InlineKeyboardMarkup | None
    evaluation_ids: frozenset[int]


def department_parts(
    caller: Caller, board: Board, code: str | None, entries: Sequence[Entry]
) -> list[Part]:
    """A department's overview: a header with counts, then each person, in as many
    messages as it takes."""
    t = caller.t
    label = period_label(t, board.period.key)
    tally = counts(entries)
    header = [
        t(
            "review.department",
            department=board.department_name(code, caller.language),
            period=label,
        ),
        t(
            "review.counts",
            submitted=tally["submitted"],
            confirmed=tally["confirmed"],
            returned=tally["returned"],
            waiting=tally["waiting"],
        ),
    ]
    if tally["unassigned"]:
        header.append(t("review.counts_unassigned", count=tally["unassigned"]))
    if board.signed:
        header.append(signed_line(t, board))
    groups: list[list[Entry]] = [[]]
    length = 0
    for entry in entries:
        size = len(person_block(t, board, entry)) + 2
        if groups[-1] and (
            len(groups[-1]) >= PEOPLE_PER_MESSAGE or length + size > MESSAGE_LIMIT - 400
        ):
            groups.append([])
            length = 0
        groups[-1].append(entry)
        length += size
    parts = []
    for index, group in enumerate(groups):
        head = list(header)
        if len(groups) > 1:
            head[0] += t("review.part", part=index + 1, parts=len(groups))
        blocks = ["\n".join(head), *(person_block(t, board, e) for e in group)]
        rows = [row for row in (_person_buttons(caller, board, e) for e in group) if row]
        ids = frozenset(e.item.id for e in group if e.item is not None)
        parts.append(Part("\n\n".join(blocks), InlineKeyboardMarkup(rows) if rows else None, ids))
    return parts


def signed_line(t: Texts, board: Board) -> str:
    period = board.period
    at = format_local(period.signed_at, board.zone) if period.signed_at else "—"
    return t("review.signed_header", who=board.name(period.signed_by), at=at)


def all_message(caller: Caller, board: Board) -> tuple[str, InlineKeyboardMarkup | None]:
    """The "Confirm all (N)" message: N is checked again when it is pressed."""
    label = period_label(caller.t, board.period.key)
    waiting = counts(board.entries)["submitted"]
    if board.signed:
        return caller.t("review.all_signed", period=label), None
    if waiting == 0:
        return caller.t("review.all_none", period=label), None
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    caller.toast("review.button.all", count=waiting),
                    "hr",
                    "all",
                    period_token(board.period.key),
                    waiting,
                    shown_digest(board),
                )
            ]
        ]
    )
    return caller.t("review.all_text", count=waiting, period=label), markup


def shown_digest(board: Board) -> str:
    """Which submitted evaluations, in which version, the director is looking at: a
    resubmission or a swap that keeps the count the same still changes it, so "Confirm
    all" never confirms scores the director has not seen."""
    shown = sorted(
        f"{entry.item.id}@{entry.item.evaluation.submitted_at}"
        for entry in board.entries
        if entry.state == EvaluationStatus.SUBMITTED and entry.item is not None
    )
    return f"{zlib.crc32(';'.join(shown).encode()):08x}"


async def _default_review_period(rt: Runtime) -> EvaluationPeriod:
    """The oldest unsigned period with something submitted, else this month's."""
    async with rt.sessions() as session:
        for period in await store.list_periods(session, statuses=UNSIGNED_PERIODS):
            if await store.evaluations_in(
                session, period.key, statuses=(EvaluationStatus.SUBMITTED,)
            ):
                return period
    return await current_period(rt)


def _boards(context: Context) -> dict[int, tuple[str, str, int]]:
    data = context.chat_data
    if data is None:
        return {}
    boards: dict[int, tuple[str, str, int]] = data.setdefault(BOARDS_KEY, {})
    return boards


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
    boards = _boards(context)
    boards.clear()  # the latest /review is the one kept up to date
    grouped = board.grouped()
    if not grouped:
        await reply(update, caller.t("review.empty", period=period_label(caller.t, period.key)))
        return
    for code, entries in grouped:
        for index, part in enumerate(department_parts(caller, board, code, entries)):
            sent = await reply(update, part.text, reply_markup=part.markup)
            boards[sent.message_id] = (period.key, code or "", index)
    text, markup = all_message(caller, board)
    sent = await reply(update, text, reply_markup=markup)
    boards[sent.message_id] = (period.key, ALL_MESSAGE, 0)


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
    for message_id, (key, code, index) in list(_boards(context).items()):
        if key != board.period.key or message_id == skip:
            continue
        if code == ALL_MESSAGE:
            text, markup = all_message(caller, board)
        elif departments is not None and code not in departments:
            continue
        else:
            parts = department_parts(caller, board, code or None, grouped.get(code or None, []))
            if index >= len(parts):
                continue
            text, markup = parts[index].text, parts[index].markup
        await edit_quietly(context.bot, chat_id, message_id, text, markup)


async def review_button(update: Update, context: Context) -> None:
    """One press on a /review message: confirm, ask for a return reason, show the history,
    or confirm all; then the messages are redrawn from the database."""
    rt = runtime(context)
    query = update.callback_query
    assert query is not None
    caller = await identify(update, context)
    data = callbacks.parse(query.data)
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
        await _confirm_all(update, context, caller, data.args[0], data.int_arg(1), data.args[2])
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
                boards = _boards(context)
                if message.message_id in boards:
                    boards[message.message_id] = (board.period.key, code or "", index)
    await _redraw(
        context, caller, message.chat_id, board, departments=set(), skip=message.message_id
    )


async def _confirm_all(
    update: Update,
    context: Context,
    caller: Caller,
    token: str,
    expected: int | None,
    digest: str,
) -> None:
    """Confirm every submitted evaluation of the period, only if they are exactly the ones
    the director was shown (the count and the digest on the button still match); otherwise
    show the list again."""
    rt = runtime(context)
    query = update.callback_query
    assert query is not None
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
        t("review.history_status", status=_status(t, entry.state)),
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


async def return_reason_answered(
    update: Update, context: Context, caller: Caller, evaluation_id: int, reason: str
) -> None:
    """The director's reason for a return: the evaluation goes back to its evaluator, who is
    told why in private; the director gets one line."""
    rt = runtime(context)
    if not hearts.may_review(caller.person) or caller.staff_id is None:
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
                session, evaluation_id, by=caller.staff_id, reason=reason, now=rt.clock()
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
