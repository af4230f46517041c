"""How /review draws a period's board (handlers.evaluation.board): a department's people with
their scores and buttons, split into messages Telegram takes, and the "Confirm all" message
with the digest of what the director saw. Pure: the board is read beforehand.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import hearts
from bot.states import EvaluationStatus
from bot.when import format_local
from handlers.evaluation.board import (
    NOT_STARTED,
    UNASSIGNED,
    Board,
    Entry,
    button,
    counts,
)
from handlers.evaluation.shared import (
    Texts,
    clip,
    compact_scores,
    period_label,
    period_token,
    status_text,
)
from handlers.kit.base import (
    Caller,
)
from storage.hearts import Scored

# Telegram takes 4,096 characters a message; leave room for a part number and a note.
MESSAGE_LIMIT = 3800
# At most this many people per review message: three buttons each stay well under the
# keyboard's limit, and a department's message stays readable on a phone.
PEOPLE_PER_MESSAGE = 20
# A comment is shortened in the overview (the 🕓 button shows it whole).
SHOWN_COMMENT = 160


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


def state_text(t: Texts, state: str) -> str:
    if state in (NOT_STARTED, UNASSIGNED):
        return t(f"review.state.{state}")
    return status_text(t, state)


def person_block(t: Texts, board: Board, entry: Entry) -> str:
    """A person in the director's overview: who scored them, where it stands, the scores
    (not a draft's: it is still the evaluator's), low scores' comments, the overall one."""
    lines = [t("review.person", name=entry.name, status=state_text(t, entry.state))]
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
