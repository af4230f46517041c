"""/score: an evaluator scores their people on the six hearts, in a private chat.

Where a draft stands is its row's `step` (bot.hearts), never memory: a draft left mid-way
resumes at that step after a restart, and a button from an earlier step is refused.

```mermaid
stateDiagram-v2
    [*] --> LIST: /score [period]
    LIST --> LIST: ◀ ▶
    LIST --> HEART: a person (a draft resumes at its stored step, whichever it is)
    HEART --> HEART: 1–5, next heart
    HEART --> COMMENT: 1–5 that needs a comment, or a score changed from the summary
    COMMENT --> HEART: typed comment (Skip when optional)
    HEART --> OVERALL: every heart scored
    COMMENT --> OVERALL
    OVERALL --> SUMMARY: typed comment / Skip
    SUMMARY --> CHOOSE: ✏️ Change a heart
    CHOOSE --> SUMMARY: Back
    CHOOSE --> HEART: a heart (step "x:i")
    SUMMARY --> LIST: ✅ Submit (the next person, or everyone is done)
    HEART --> [*]: 💾 Save draft (on every screen of a draft)
```

Callback data: hs:page:<period>:<n> · hs:pick:<period>:<staff_id> ·
hs:set:<evaluation>:<heart index>:<score> · hs:skip:<evaluation>:c<i>|o · hs:save:<evaluation> ·
hs:sub:<evaluation> · hs:chg:<evaluation> · hs:chh:<evaluation>:<i> · hs:back:<evaluation>
(<period> is "202611": callback parts are [a-z0-9_]).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import hearts
from bot.runtime import Runtime
from bot.states import UNSIGNED_PERIODS, EvaluationStatus, PeriodStatus
from handlers.evaluation.shared import (
    clip,
    compact_scores,
    current_period,
    deadline_text,
    heart_name,
    period_from_args,
    period_from_token,
    period_label,
    period_token,
    private_only,
    score_lines,
)
from handlers.kit import callbacks, everyone
from handlers.kit.base import (
    Caller,
    Context,
    edit_screen,
    identify,
    is_private,
    plain,
    pressed_message,
    reply,
    runtime,
    send_private,
    texts_for,
)
from handlers.kit.outgoing import with_note
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Evaluation, EvaluationPeriod

PAGE_SIZE = 8
MAX_COMMENT = 500
SUMMARY_COMMENT = 200
COMMENT_WAITS = timedelta(hours=12)  # how long typed text still answers a comment question
MARKS: dict[str, str] = {EvaluationStatus.DRAFT: "✎ ", EvaluationStatus.RETURNED: "↩ "}
DONE = (EvaluationStatus.SUBMITTED, EvaluationStatus.CONFIRMED)

Screen = tuple[str, InlineKeyboardMarkup | None]


# --- Who is still to be scored (pure) --------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """Someone on the evaluator's list, with their evaluation this period if begun."""

    member: hearts.Member
    evaluation: Evaluation | None

    @property
    def returned(self) -> bool:
        return self.evaluation is not None and self.evaluation.status == EvaluationStatus.RETURNED


def to_score(
    evaluator_id: int,
    members: Sequence[hearts.Member],
    evaluations: Sequence[Evaluation],
    period_status: str,
) -> list[Entry]:
    """The evaluator's people still to score in a period, returned ones first.

    Their evaluees with nothing begun (while the period is open) or with a draft or returned
    evaluation of theirs; and any draft or returned evaluation of theirs whose evaluee the
    organisation chart has since given to someone else: it stays with whoever began it, so
    a director's return always reaches the person who can answer it, until they leave.
    """
    by_evaluee = {e.evaluee_id: e for e in evaluations}
    people = {m.staff_id: m for m in members}
    entries: list[Entry] = []
    for member in hearts.evaluees_of(evaluator_id, members):
        evaluation = by_evaluee.get(member.staff_id)
        if evaluation is None:
            if hearts.can_start(period_status):
                entries.append(Entry(member, None))
        elif hearts.responsible_for(
            member, evaluation.evaluator_id, members
        ) == evaluator_id and hearts.can_edit(evaluation.status, period_status=period_status):
            # Theirs, or begun by someone who has since left (see hearts.responsible_for).
            entries.append(Entry(member, evaluation))
    listed = {entry.member.staff_id for entry in entries}
    for evaluation in evaluations:
        if (
            evaluation.evaluator_id == evaluator_id
            and evaluation.evaluee_id not in listed
            and hearts.can_edit(evaluation.status, period_status=period_status)
        ):
            member = people.get(evaluation.evaluee_id) or hearts.Member(
                staff_id=evaluation.evaluee_id,
                name=f"#{evaluation.evaluee_id}",
                department=evaluation.department_code,
                roles=frozenset(),
                reports_to=None,
                active=False,
            )
            entries.append(Entry(member, evaluation))
    return sorted(entries, key=lambda entry: not entry.returned)


# --- Screens ----------------------------------------------------------------------------------


def _button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    """A button; its label is a catalog text, and Telegram shows labels unparsed."""
    return InlineKeyboardButton(
        plain(label), callback_data=callbacks.encode(callbacks.SCORE, action, *args)
    )


@dataclass
class ListView:
    """What the list of people needs, read in one go."""

    period: EvaluationPeriod
    members: list[hearts.Member]
    evaluations: list[Evaluation]
    departments: dict[str, str]  # code → name in the reader's language


async def _list_view(rt: Runtime, caller: Caller, period: EvaluationPeriod) -> ListView:
    async with rt.sessions() as session:
        members = await store.members(session, period=period)
        evaluations = await store.evaluations_in(session, period.key)
        departments = {
            d.code: d.name_in(caller.language) for d in await org.list_departments(session)
        }
    return ListView(period, members, evaluations, departments)


def _list_screen(caller: Caller, rt: Runtime, view: ListView, staff_id: int, page: int) -> Screen:
    """The people still to score as buttons (8 a page), or why there is nobody."""
    period = view.period
    label = period_label(caller.t, period.key)
    entries = to_score(staff_id, view.members, view.evaluations, period.status)
    own = [e for e in view.evaluations if e.evaluator_id == staff_id]
    if not entries:
        if not own and not hearts.evaluees_of(staff_id, view.members):
            return caller.t("score.nobody"), None
        if to_score(staff_id, view.members, view.evaluations, PeriodStatus.OPEN):
            return caller.t("score.closed", period=label), None
        return (
            caller.t(
                "score.all_done",
                period=label,
                submitted=sum(e.status == EvaluationStatus.SUBMITTED for e in own),
                confirmed=sum(e.status == EvaluationStatus.CONFIRMED for e in own),
            ),
            None,
        )
    pages = (len(entries) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    lines = [caller.t("score.list_header", period=label, deadline=deadline_text(rt, period))]
    lines += [
        caller.t(
            "score.list_returned",
            name=entry.member.name,
            reason=clip(entry.evaluation.return_reason or "—", SUMMARY_COMMENT),
        )
        for entry in entries
        if entry.returned and entry.evaluation is not None
    ]
    token = period_token(period.key)
    rows = []
    for entry in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mark = MARKS.get(entry.evaluation.status, "") if entry.evaluation else ""
        department = view.departments.get(entry.member.department or "", "—")
        text = caller.t("score.person", mark=mark, name=entry.member.name, department=department)
        rows.append([_button(text, "pick", token, entry.member.staff_id)])
    nav = []
    if page > 0:
        nav.append(_button("◀", "page", token, page - 1))
    if page < pages - 1:
        nav.append(_button("▶", "page", token, page + 1))
    if nav:
        rows.append(nav)
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


@dataclass
class Draft:
    """An evaluation as the conversation sees it: scores, its period and the evaluee's name."""

    item: Scored
    period: EvaluationPeriod
    name: str

    @property
    def evaluation(self) -> Evaluation:
        return self.item.evaluation

    @property
    def rules(self) -> hearts.PeriodRules:
        return store.rules_of(self.period)


def _header(caller: Caller, draft: Draft, index: int | None) -> str:
    label = period_label(caller.t, draft.period.key)
    if index is None:
        return caller.t("score.header", name=draft.name, period=label)
    return caller.t(
        "score.header_heart",
        name=draft.name,
        period=label,
        position=index + 1,
        count=len(draft.rules.hearts),
    )


def _so_far(caller: Caller, draft: Draft) -> str:
    return caller.t(
        "score.so_far", scores=compact_scores(caller.t, draft.item.scores, draft.rules)
    )


def _summary_text(caller: Caller, draft: Draft) -> str:
    parts = [_header(caller, draft, None)]
    evaluation = draft.evaluation
    if evaluation.status == EvaluationStatus.RETURNED:
        parts.append(caller.t("score.return_reason", reason=evaluation.return_reason or "—"))
    # Seven comments of 500 characters and a reason would not fit in one message (4,096):
    # the summary shows their start; each was read in full when it was typed.
    lines = score_lines(caller.t, draft.item, draft.rules, comment_limit=SUMMARY_COMMENT)
    parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _step_screen(caller: Caller, draft: Draft, *, note: str = "") -> Screen:
    """The draft's current step: a heart's 1–5, a comment to type, the overall comment or
    the summary."""
    rules = draft.rules
    evaluation_id = draft.item.id
    save = [_button(caller.t("score.save"), "save", evaluation_id)]
    step = hearts.parse_step(draft.evaluation.step, rules)
    parts: list[str] = [note] if note else []
    rows: list[list[InlineKeyboardButton]] = []
    if step is None or step.kind == "s":
        parts.append(_summary_text(caller, draft))
        rows = [
            [_button(caller.t("score.submit"), "sub", evaluation_id)],
            [_button(caller.t("score.change"), "chg", evaluation_id)],
            save,
        ]
    elif step.kind == "o":
        parts += [
            _header(caller, draft, None),
            _so_far(caller, draft),
            caller.t("score.ask_overall", name=draft.name),
        ]
        if draft.evaluation.overall_comment:
            parts.append(caller.t("score.current", comment=draft.evaluation.overall_comment))
        rows = [[_button(caller.t("score.skip"), "skip", evaluation_id, "o")]]
        if draft.evaluation.overall_comment:
            rows.append([_button(caller.t("score.remove_comment"), "clear", evaluation_id, "o")])
        rows.append(save)
    else:
        assert step.index is not None
        heart = rules.hearts[step.index]
        parts += [_header(caller, draft, step.index), _so_far(caller, draft)]
        score = draft.item.scores.get(heart)
        if step.kind == "c" and score is not None:
            parts.append(
                caller.t(
                    "evaluation.line",
                    heart=heart_name(caller.t, heart),
                    score=score,
                    label=caller.t(hearts.score_key(score)),
                )
            )
            comment = draft.item.comments.get(heart, "")
            if hearts.comment_required(score, rules) and not comment:
                parts.append(caller.t("score.ask_comment_required", score=score, name=draft.name))
            else:
                parts.append(caller.t("score.ask_comment", heart=heart_name(caller.t, heart)))
                rows.append(
                    [_button(caller.t("score.skip"), "skip", evaluation_id, f"c{step.index}")]
                )
                if comment:
                    # A comment written for a 1 has no place next to a 5 once it changed.
                    rows.append(
                        [
                            _button(
                                caller.t("score.remove_comment"),
                                "clear",
                                evaluation_id,
                                f"c{step.index}",
                            )
                        ]
                    )
            if comment:
                parts.append(caller.t("score.current", comment=comment))
        else:
            parts.append(
                caller.t(
                    "score.heart",
                    heart=heart_name(caller.t, heart),
                    description=caller.t(hearts.description_key(heart)),
                )
            )
            if step.kind == "x" and score is not None:
                parts.append(
                    caller.t("score.now", score=score, label=caller.t(hearts.score_key(score)))
                )
            rows = [
                [
                    _button(
                        caller.t(
                            "score.button", score=value, label=caller.t(hearts.score_key(value))
                        ),
                        "set",
                        evaluation_id,
                        step.index,
                        value,
                    )
                ]
                for value in range(rules.scale_min, rules.scale_max + 1)
            ]
            if step.kind == "x":
                rows.append([_button(caller.t("score.back"), "back", evaluation_id)])
        rows.append(save)
    return "\n\n".join(parts), InlineKeyboardMarkup(rows)


def _choose_screen(caller: Caller, draft: Draft) -> Screen:
    """The summary with one button per heart, to change one."""
    rows = [
        [
            _button(
                caller.t(
                    "score.heart_button",
                    heart=heart_name(caller.t, heart),
                    score=draft.item.scores.get(heart, "—"),
                ),
                "chh",
                draft.item.id,
                index,
            )
        ]
        for index, heart in enumerate(draft.rules.hearts)
    ]
    rows.append([_button(caller.t("score.back"), "back", draft.item.id)])
    text = "\n\n".join([_summary_text(caller, draft), caller.t("score.choose_heart")])
    return text, InlineKeyboardMarkup(rows)


# --- Reading and re-checking a draft ---------------------------------------------------------


async def _draft(rt: Runtime, evaluation_id: int) -> Draft | None:
    async with rt.sessions() as session:
        item = await store.scored(session, evaluation_id)
        if item is None:
            return None
        period = await store.get_period(session, item.evaluation.period_key)
        names = await org.names_by_id(session, [item.evaluation.evaluee_id])
    if period is None:
        return None
    return Draft(item, period, names.get(item.evaluation.evaluee_id, "—"))


def refusal(evaluation: Evaluation, period: EvaluationPeriod, staff_id: int) -> str | None:
    """Why `staff_id` may not change this evaluation now (a catalog key), or None."""
    if evaluation.evaluator_id != staff_id:
        return "score.not_yours"
    if period.status == PeriodStatus.SIGNED:
        return "score.refused.signed"
    if hearts.can_edit(evaluation.status, period_status=period.status):
        return None
    if evaluation.status == EvaluationStatus.SUBMITTED:
        return "score.refused.submitted"
    if evaluation.status == EvaluationStatus.CONFIRMED:
        return "score.refused.confirmed"
    return "score.refused.closed"


async def _editable(
    rt: Runtime, caller: Caller, staff_id: int, evaluation_id: int | None
) -> Draft | Outcome:
    """The pressed draft, re-read, if the caller may change it now; else the answer saying
    why (a missing or forged id is a stale button)."""
    draft = await _draft(rt, evaluation_id) if evaluation_id is not None else None
    if draft is None:
        return Outcome(caller.toast("common.stale_button"))
    why = refusal(draft.evaluation, draft.period, staff_id)
    if why is not None:
        return Outcome(caller.toast(why))
    return draft


# --- /score -----------------------------------------------------------------------------------


async def _first_period(rt: Runtime, staff_id: int) -> EvaluationPeriod:
    """The oldest unsigned period where the caller still has someone to score, else this
    month's: a returned evaluation from last month is not forgotten once a new month opens."""
    async with rt.sessions() as session:
        for period in await store.list_periods(session, statuses=UNSIGNED_PERIODS):
            members = await store.members(session, period=period)
            evaluations = await store.evaluations_in(session, period.key)
            if to_score(staff_id, members, evaluations, period.status):
                return period
    return await current_period(rt)


async def score_command(update: Update, context: Context) -> None:
    """In private: the people the caller still has to score, as buttons (a group gets one
    line pointing to the private chat, never a name or a score)."""
    rt = runtime(context)
    caller = await identify(update, context)
    # A group reads the hotel's language, whoever asked.
    if not await private_only(
        update, dataclasses.replace(caller, language=rt.settings.default_language)
    ):
        return
    staff_id = caller.staff_id
    if staff_id is None or caller.view is None or not caller.view.is_active:
        await reply(update, caller.t("score.not_staff"))
        return
    if context.args:
        period = await period_from_args(rt, update, caller, " ".join(context.args))
        if period is None:
            return  # period_from_args said why
    else:
        period = await _first_period(rt, staff_id)
    if period.status == PeriodStatus.SIGNED:
        await reply(update, caller.t("score.signed", period=period_label(caller.t, period.key)))
        return
    text, markup = _list_screen(caller, rt, await _list_view(rt, caller, period), staff_id, 0)
    await reply(update, text, reply_markup=markup)


# --- Buttons ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one press does: the pressed message's new screen (or a closing note on it), new
    messages after it, a toast, and private notices to others (telegram id, text)."""

    toast: str | None = None
    screen: Screen | None = None
    note: str | None = None
    follow: list[Screen] = field(default_factory=list)
    notices: list[tuple[int, str]] = field(default_factory=list)


Action = Callable[[Runtime, Caller, int, callbacks.Callback], Awaitable[Outcome]]


async def _page(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    key = period_from_token(data.args[0]) if data.args else None
    page = data.int_arg(1)
    async with rt.sessions() as session:
        period = await store.get_period(session, key) if key else None
    if period is None or page is None:
        return Outcome(caller.toast("common.stale_button"))
    if period.status == PeriodStatus.SIGNED:
        return Outcome(caller.toast("score.refused.signed"))
    view = await _list_view(rt, caller, period)
    return Outcome(screen=_list_screen(caller, rt, view, staff_id, page))


async def _pick(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Begin (or resume) scoring someone, after checking again that they are the caller's."""
    key = period_from_token(data.args[0]) if data.args else None
    evaluee_id = data.int_arg(1)
    if key is None or evaluee_id is None:
        return Outcome(caller.toast("common.stale_button"))
    now = rt.clock()
    async with rt.sessions() as session:
        period = await store.get_period(session, key)
        if period is None:
            return Outcome(caller.toast("common.stale_button"))
        evaluation = await store.evaluation_of(session, key, evaluee_id)
        if evaluation is None:
            members = await store.members(session, period=period)
            evaluee = next((m for m in members if m.staff_id == evaluee_id), None)
            if evaluee is None or not hearts.can_score(staff_id, evaluee, members):
                return Outcome(caller.toast("score.not_yours"))
            if period.status == PeriodStatus.SIGNED:
                return Outcome(caller.toast("score.refused.signed"))
            if not hearts.can_start(period.status):
                return Outcome(caller.toast("score.refused.closed"))
            evaluation = await store.start_evaluation(
                session,
                period_key=key,
                evaluee_id=evaluee_id,
                evaluator_id=staff_id,
                department=evaluee.department,
                now=now,
            )
        if evaluation.evaluator_id != staff_id:
            members = await store.members(session, period=period)
            evaluee = next((m for m in members if m.staff_id == evaluee_id), None)
            if evaluee is not None and hearts.takes_over(
                staff_id, evaluee, evaluation.evaluator_id, members
            ):
                starter = next(
                    (m.name for m in members if m.staff_id == evaluation.evaluator_id), ""
                )
                await store.take_over(
                    session,
                    evaluation.id or 0,
                    begun_by=evaluation.evaluator_id,
                    by=staff_id,
                    now=now,
                    begun_by_name=starter,
                )
                evaluation = await store.get_evaluation(session, evaluation.id or 0) or evaluation
                await session.refresh(evaluation)
        why = refusal(evaluation, period, staff_id)
        if why is not None:
            return Outcome(caller.toast(why))
        # Picked last, so the comment typed next is this draft's (see take_typed_text).
        await store.move_step(
            session,
            evaluation.id or 0,
            expected_step=evaluation.step,
            step=evaluation.step,
            now=now,
        )
    draft = await _draft(rt, evaluation.id or 0)
    if draft is None:
        return Outcome(caller.toast("common.stale_button"))
    return Outcome(screen=await _repaired(rt, caller, draft))


async def _repaired(rt: Runtime, caller: Caller, draft: Draft) -> Screen:
    """The draft's step screen; a step the period's hearts do not allow is first moved to
    whatever is missing, so its buttons work."""
    rules = draft.rules
    evaluation = draft.evaluation
    if hearts.parse_step(evaluation.step, rules) is None:
        step = hearts.next_step(
            draft.item.scores, draft.item.comments, rules, overall_done=evaluation.overall_done
        )
        async with rt.sessions() as session:
            await store.move_step(
                session, draft.item.id, expected_step=evaluation.step, step=step, now=rt.clock()
            )
        draft = await _draft(rt, draft.item.id) or draft
    return _step_screen(caller, draft)


async def _set(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """A 1–5 press on a heart: saved if the draft still waits for that heart's score."""
    index, score = data.int_arg(1), data.int_arg(2)
    if index is None or score is None:
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    rules = draft.rules
    step = hearts.parse_step(draft.evaluation.step, rules)
    if step is None or step.kind not in ("h", "x") or step.index != index:
        return Outcome(caller.toast("score.stale"))
    if not rules.scale_min <= score <= rules.scale_max:
        return Outcome(caller.toast("common.stale_button"))
    heart = rules.hearts[index]
    scores = {**draft.item.scores, heart: score}
    following = hearts.step_after_score(
        index,
        scores,
        draft.item.comments,
        rules,
        changing=step.kind == "x",
        overall_done=draft.evaluation.overall_done,
    )
    async with rt.sessions() as session:
        saved = await store.record_score(
            session,
            evaluation_id,
            expected_step=draft.evaluation.step,
            heart=heart,
            score=score,
            next_step=following,
            now=rt.clock(),
        )
    return await _moved(rt, caller, evaluation_id, saved)


async def _moved(rt: Runtime, caller: Caller, evaluation_id: int, moved: bool) -> Outcome:
    """After a conditional move: the new step, or a toast when someone else moved first."""
    draft = await _draft(rt, evaluation_id) if moved else None
    if draft is None:
        return Outcome(caller.toast("score.stale"))
    return Outcome(screen=_step_screen(caller, draft))


async def _skip(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Skip an optional comment (a heart's, or the overall one): what was there stays."""
    return await _leave_comment(rt, caller, staff_id, data, remove=False)


async def _clear(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Take an optional comment away (a heart's, or the overall one)."""
    return await _leave_comment(rt, caller, staff_id, data, remove=True)


async def _leave_comment(
    rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback, *, remove: bool
) -> Outcome:
    which = data.args[1] if len(data.args) == 2 else ""
    if not (which == "o" or (which[:1] == "c" and which[1:].isdigit())):
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    rules = draft.rules
    expected = hearts.STEP_OVERALL if which == "o" else hearts.step_comment(int(which[1:]))
    if draft.evaluation.step != expected:
        return Outcome(caller.toast("score.stale"))
    scores, comments = draft.item.scores, draft.item.comments
    heart = None
    if which != "o":
        heart = rules.hearts[int(which[1:])]
        if hearts.comment_required(scores[heart], rules) and (remove or not comments.get(heart)):
            return Outcome(caller.toast("score.comment_needed", score=scores[heart]))
        if remove:
            comments = {k: v for k, v in comments.items() if k != heart}
    overall_done = which == "o" or draft.evaluation.overall_done
    following = hearts.next_step(scores, comments, rules, overall_done=overall_done)
    async with rt.sessions() as session:
        skipped = await store.record_comment(
            session,
            evaluation_id,
            expected_step=expected,
            heart=heart,
            comment="",
            next_step=following,
            now=rt.clock(),
            remove=remove,
        )
    return await _moved(rt, caller, evaluation_id, skipped)


async def _save(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Leave the draft as it is: the buttons go, /score picks it up again."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    return Outcome(note=caller.t("score.saved"))


async def _change(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """From the summary: which heart to change."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    if draft.evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    return Outcome(screen=_choose_screen(caller, draft))


async def _change_heart(
    rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback
) -> Outcome:
    """A heart chosen to change: its 1–5 again (step "x:i")."""
    index = data.int_arg(1)
    if index is None:
        return Outcome(caller.toast("common.stale_button"))
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    if index >= len(draft.rules.hearts):
        return Outcome(caller.toast("common.stale_button"))
    if draft.evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    async with rt.sessions() as session:
        moved = await store.move_step(
            session,
            evaluation_id,
            expected_step=hearts.STEP_SUMMARY,
            step=hearts.step_score(index, changing=True),
            now=rt.clock(),
        )
    return await _moved(rt, caller, evaluation_id, moved)


async def _back(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Back to the summary, from choosing a heart or from changing one unchanged."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    step = draft.evaluation.step
    if step == hearts.STEP_SUMMARY:
        return Outcome(screen=_step_screen(caller, draft))
    if not step.startswith("x:"):
        return Outcome(caller.toast("score.stale"))
    async with rt.sessions() as session:
        moved = await store.move_step(
            session, evaluation_id, expected_step=step, step=hearts.STEP_SUMMARY, now=rt.clock()
        )
    return await _moved(rt, caller, evaluation_id, moved)


async def _submit(rt: Runtime, caller: Caller, staff_id: int, data: callbacks.Callback) -> Outcome:
    """Send the evaluation to the director; then the next person, or everyone is done."""
    draft = await _editable(rt, caller, staff_id, data.int_arg(0))
    if isinstance(draft, Outcome):
        return draft
    evaluation_id = draft.item.id
    evaluation, rules, period = draft.evaluation, draft.rules, draft.period
    if evaluation.step != hearts.STEP_SUMMARY:
        return Outcome(caller.toast("score.stale"))
    errors = hearts.validate_scores(draft.item.scores, draft.item.comments, rules)
    if errors:
        problems = [
            caller.t(error.key, heart=heart_name(caller.t, error.heart), **error.params)
            for error in errors
        ]
        step = hearts.next_step(
            draft.item.scores, draft.item.comments, rules, overall_done=evaluation.overall_done
        )
        async with rt.sessions() as session:
            await store.move_step(
                session,
                evaluation_id,
                expected_step=hearts.STEP_SUMMARY,
                step=step,
                now=rt.clock(),
            )
        moved = await _draft(rt, evaluation_id) or draft
        note = caller.t("score.incomplete", problems="\n".join(problems))
        return Outcome(
            caller.toast("score.incomplete_toast"), _step_screen(caller, moved, note=note)
        )
    resubmission = evaluation.status == EvaluationStatus.RETURNED
    async with rt.sessions() as session:
        submitted = await store.submit(
            session, evaluation_id, by=staff_id, now=rt.clock(), period_status=period.status
        )
    if not submitted:
        again = await _draft(rt, evaluation_id)
        why = refusal(again.evaluation, again.period, staff_id) if again else None
        return Outcome(caller.toast(why or "score.stale"))
    label = period_label(caller.t, period.key)
    note = caller.t("score.resubmitted" if resubmission else "score.submitted", period=label)
    view = await _list_view(rt, caller, period)
    outcome = Outcome(note=note, follow=[_list_screen(caller, rt, view, staff_id, 0)])
    outcome.notices = await _director_notices(rt, caller, view, staff_id, draft, resubmission)
    return outcome


async def _director_notices(
    rt: Runtime, caller: Caller, view: ListView, staff_id: int, draft: Draft, resubmission: bool
) -> list[tuple[int, str]]:
    """For each active director: this evaluator has now submitted everyone, or a returned
    evaluation came back. Nothing while people are still left."""
    own = [e for e in view.evaluations if e.evaluator_id == staff_id]
    finished = not to_score(staff_id, view.members, view.evaluations, PeriodStatus.OPEN)
    if not resubmission and not finished:
        return []
    evaluator = caller.view.staff.name if caller.view else caller.user.full_name
    notices = []
    async with rt.sessions() as session:
        directors = [
            await org.view(session, d.id or 0)
            for d in await org.staff_with_role(session, "director")
        ]
    for director in directors:
        if director is None or director.staff.telegram_id is None:
            continue
        t = texts_for(rt, director)
        period = period_label(t, draft.period.key)
        if resubmission:
            text = t(
                "score.notice.resubmitted", evaluator=evaluator, name=draft.name, period=period
            )
        else:
            done = sum(e.status in DONE for e in own)
            text = t("score.notice.all_submitted", evaluator=evaluator, n=done, period=period)
        notices.append((director.staff.telegram_id, text))
    return notices


ACTIONS: dict[str, Action] = {
    "page": _page,
    "pick": _pick,
    "set": _set,
    "skip": _skip,
    "clear": _clear,
    "save": _save,
    "sub": _submit,
    "chg": _change,
    "chh": _change_heart,
    "back": _back,
}


async def score_button(update: Update, context: Context) -> None:
    """One press in the /score conversation: re-read the evaluation, move it if the press
    still fits, and show where it stands now; anything else is one short answer."""
    rt = runtime(context)
    query = update.callback_query
    assert query is not None
    caller = await identify(update, context)
    data = callbacks.parse(query.data)
    action = ACTIONS.get(data.action) if data is not None else None
    if data is None or action is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    if not is_private(update):
        await query.answer(caller.toast("evaluation.private_only"))
        return
    staff_id = caller.staff_id
    if staff_id is None or caller.view is None or not caller.view.is_active:
        await query.answer(caller.toast("score.not_staff"))
        return
    outcome = await action(rt, caller, staff_id, data)
    # The screen changes before the press is answered, so whoever waits on the answer sees
    # the new screen.
    if outcome.screen is not None:
        await edit_screen(update, *outcome.screen)
    elif outcome.note is not None:
        message = pressed_message(update)
        if message is not None and message.text is not None:
            await edit_screen(update, with_note(message.text_html, outcome.note), None)
    for text, markup in outcome.follow:
        await reply(update, text, reply_markup=markup)
    await query.answer(outcome.toast)
    for telegram_id, text in outcome.notices:
        await send_private(context.bot, telegram_id, text)


# --- Typed comments ---------------------------------------------------------------------------


async def score_text(update: Update, context: Context) -> None:
    """Private text: the comment a draft waits for (then its next step); at a button step,
    a pointer to the buttons; anything else is stray text."""
    if not await take_typed_text(update, context):
        await everyone.stray_text(update, context)


async def comment_as_reply(update: Update, context: Context) -> bool:
    """A comment sent as a Telegram reply (to the question, or to any message of the bot):
    taken when a draft waits for one. False leaves the reply to whoever else may want it."""
    return await take_typed_text(update, context, replying=True)


async def take_typed_text(update: Update, context: Context, *, replying: bool = False) -> bool:
    """True when the text belonged to the scoring conversation and was answered. With
    `replying`, only a comment that a draft waits for counts."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    staff_id = caller.staff_id
    if staff_id is None or message is None or message.text is None:
        return False
    async with rt.sessions() as session:
        latest = await store.latest_editable(session, staff_id)
    draft = await _draft(rt, latest.id or 0) if latest is not None else None
    # A draft its period no longer lets anyone change does not hold on to the chat's text.
    if draft is None or refusal(draft.evaluation, draft.period, staff_id) is not None:
        return False
    rules = draft.rules
    step = hearts.parse_step(draft.evaluation.step, rules)
    # The draft the evaluator touched last waits for a comment; but a question left open
    # overnight (Save draft at a comment) does not swallow whatever they type days later:
    # /score asks it again.
    fresh = rt.clock() - draft.evaluation.updated_at <= COMMENT_WAITS
    if step is None or not step.wants_text or not fresh:
        if replying:
            return False
        await reply(update, caller.t("score.use_buttons"))
        return True
    comment = message.text.strip()
    if not 1 <= len(comment) <= MAX_COMMENT:
        await reply(update, caller.t("score.comment_length", max=MAX_COMMENT))
        return True
    heart = rules.hearts[step.index] if step.kind == "c" and step.index is not None else None
    comments = {**draft.item.comments, heart: comment} if heart else draft.item.comments
    overall_done = heart is None or draft.evaluation.overall_done
    following = hearts.next_step(draft.item.scores, comments, rules, overall_done=overall_done)
    async with rt.sessions() as session:
        saved = await store.record_comment(
            session,
            draft.item.id,
            expected_step=draft.evaluation.step,
            heart=heart,
            comment=comment,
            next_step=following,
            now=rt.clock(),
        )
    moved = await _draft(rt, draft.item.id) if saved else None
    if moved is None:
        await reply(update, caller.t("score.moved_on"))
        return True
    text, markup = _step_screen(caller, moved, note=caller.t("score.comment_saved"))
    await reply(update, text, reply_markup=markup)
    return True
