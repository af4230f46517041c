"""What /score shows (handlers.evaluation.scoring): who is still to be scored, the list of
them, a draft's screen at each of its steps, and reading a draft with who may change it.
Screens are built from rows read beforehand; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import hearts
from bot.runtime import Runtime
from bot.states import EvaluationStatus, PeriodStatus
from handlers.evaluation.shared import (
    clip,
    compact_scores,
    deadline_text,
    heart_name,
    period_label,
    period_token,
    score_lines,
)
from handlers.kit import callbacks
from handlers.kit.base import Caller, plain
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Evaluation, EvaluationPeriod

PAGE_SIZE = 8
SUMMARY_COMMENT = 200
MARKS: dict[str, str] = {EvaluationStatus.DRAFT: "✎ ", EvaluationStatus.RETURNED: "↩ "}

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


def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
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


async def list_view(rt: Runtime, caller: Caller, period: EvaluationPeriod) -> ListView:
    async with rt.sessions() as session:
        members = await store.members(session, period=period)
        evaluations = await store.evaluations_in(session, period.key)
        departments = {
            d.code: d.name_in(caller.language) for d in await org.list_departments(session)
        }
    return ListView(period, members, evaluations, departments)


def list_screen(caller: Caller, rt: Runtime, view: ListView, staff_id: int, page: int) -> Screen:
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
        rows.append([button(text, "pick", token, entry.member.staff_id)])
    nav = []
    if page > 0:
        nav.append(button("◀", "page", token, page - 1))
    if page < pages - 1:
        nav.append(button("▶", "page", token, page + 1))
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


def header(caller: Caller, draft: Draft, index: int | None) -> str:
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


def so_far(caller: Caller, draft: Draft) -> str:
    return caller.t(
        "score.so_far", scores=compact_scores(caller.t, draft.item.scores, draft.rules)
    )


def summary_text(caller: Caller, draft: Draft) -> str:
    parts = [header(caller, draft, None)]
    evaluation = draft.evaluation
    if evaluation.status == EvaluationStatus.RETURNED:
        parts.append(caller.t("score.return_reason", reason=evaluation.return_reason or "—"))
    # Seven comments of 500 characters and a reason would not fit in one message (4,096):
    # the summary shows their start; each was read in full when it was typed.
    lines = score_lines(caller.t, draft.item, draft.rules, comment_limit=SUMMARY_COMMENT)
    parts.append("\n".join(lines))
    return "\n\n".join(parts)


def step_screen(caller: Caller, draft: Draft, *, note: str = "") -> Screen:
    """The draft's current step: a heart's 1–5, a comment to type, the overall comment or
    the summary."""
    rules = draft.rules
    evaluation_id = draft.item.id
    save = [button(caller.t("score.save"), "save", evaluation_id)]
    step = hearts.parse_step(draft.evaluation.step, rules)
    parts: list[str] = [note] if note else []
    rows: list[list[InlineKeyboardButton]] = []
    if step is None or step.kind == "s":
        parts.append(summary_text(caller, draft))
        rows = [
            [button(caller.t("score.submit"), "sub", evaluation_id)],
            [button(caller.t("score.change"), "chg", evaluation_id)],
            save,
        ]
    elif step.kind == "o":
        parts += [
            header(caller, draft, None),
            so_far(caller, draft),
            caller.t("score.ask_overall", name=draft.name),
        ]
        if draft.evaluation.overall_comment:
            parts.append(caller.t("score.current", comment=draft.evaluation.overall_comment))
        rows = [[button(caller.t("score.skip"), "skip", evaluation_id, "o")]]
        if draft.evaluation.overall_comment:
            rows.append([button(caller.t("score.remove_comment"), "clear", evaluation_id, "o")])
        rows.append(save)
    else:
        assert step.index is not None
        heart = rules.hearts[step.index]
        parts += [header(caller, draft, step.index), so_far(caller, draft)]
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
                    [button(caller.t("score.skip"), "skip", evaluation_id, f"c{step.index}")]
                )
                if comment:
                    # A comment written for a 1 has no place next to a 5 once it changed.
                    rows.append(
                        [
                            button(
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
                    button(
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
                rows.append([button(caller.t("score.back"), "back", evaluation_id)])
        rows.append(save)
    return "\n\n".join(parts), InlineKeyboardMarkup(rows)


def choose_screen(caller: Caller, draft: Draft) -> Screen:
    """The summary with one button per heart, to change one."""
    rows = [
        [
            button(
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
    rows.append([button(caller.t("score.back"), "back", draft.item.id)])
    text = "\n\n".join([summary_text(caller, draft), caller.t("score.choose_heart")])
    return text, InlineKeyboardMarkup(rows)


# --- Reading a draft, and who may change it -----------------------------------------------------


async def load_draft(rt: Runtime, evaluation_id: int) -> Draft | None:
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
