"""Six-hearts results as reports: per department and per person totals, averages, ranks,
changes against the previous period, a person's trend, who may ask for which report, and the
`.xlsx` export. Pure: no Telegram, no database, no clock.

The caller turns confirmed evaluations into `Result`s (only confirmed ones ever count) and
passes in what the reader may see; nothing here decides visibility per evaluation
(`bot.hearts.may_see_result` does). Every sum, mean, rank and change is `bot.hearts`'s, so a
report, a chat message and the workbook round the same way.

Decisions, where the issue is silent:

- A person's department in a period is the one stored with the evaluation (their department
  when scoring began), so moving someone later never rewrites an old report.
- A department's "average total" is the mean of its people's totals; its heart averages are
  `hearts.heart_averages` of their scores.
- Ranks are within a department and over the results the report is built from: an
  evaluator's report ranks the people they scored, never people they may not see.
- The change is against the same person's total in the previous period, from whatever of
  that period the reader may see; no result there gives no change ("—").
- A person is named by staff number ("12" or "#12"), by full name, or by one word or the
  start of their name, case and spacing ignored; "@username" matches the username.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot import hearts
from bot.org import Person
from bot.sheets import excel_time, fill, label, sheet_names
from bot.states import EvaluationStatus

Text = Callable[..., str]
"""`text(key, **params)`: the catalog text in the reader's language."""


# --- who may ask for a report ----------------------------------------------------------------

SCOPE_ALL = "all"  # every confirmed evaluation: director and GM
SCOPE_OWN = "own"  # the confirmed evaluations the reader made: an evaluator
EVALUATOR_ROLES = frozenset({"head", "ops_manager"})


def report_scope(person: Person, *, is_evaluator: bool) -> str | None:
    """Whose results a report may hold for this reader, or None (no report at all).

    `is_evaluator`: the reader scores someone now, or made a confirmed evaluation once (a
    manager who has moved on still sees what they scored)."""
    if hearts.may_see_all(person):
        return SCOPE_ALL
    if person.is_active and (is_evaluator or person.effective_roles & EVALUATOR_ROLES):
        return SCOPE_OWN
    return None


def may_export(person: Person) -> bool:
    """The whole workbook is everyone's scores: director and GM only."""
    return hearts.may_see_all(person)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One confirmed evaluation, as plain data."""

    period: str
    evaluee_id: int
    name: str
    department: str | None
    evaluator_id: int
    evaluator: str
    scores: Mapping[str, int]
    comments: Mapping[str, str] = field(default_factory=dict)
    overall_comment: str = ""
    confirmed_at: datetime | None = None

    @property
    def total(self) -> int:
        return hearts.total(self.scores)

    @property
    def average(self) -> float:
        return hearts.average(self.scores)


def mean(values: Sequence[int]) -> float:
    """The mean, rounded as `bot.hearts` rounds (half-up, two places). Raises when empty."""
    # hearts.average is exactly this mean over a mapping's values; reused so that no second
    # rounding rule creeps in.
    return hearts.average({str(index): value for index, value in enumerate(values)})


@dataclass(frozen=True)
class PersonRow:
    result: Result
    rank: int
    previous_total: int | None
    change: float | None


@dataclass(frozen=True)
class DepartmentReport:
    department: str | None
    rows: tuple[PersonRow, ...]  # by rank, then name
    average_total: float
    heart_averages: dict[str, float]

    @property
    def count(self) -> int:
        return len(self.rows)


def _previous_totals(previous: Iterable[Result]) -> dict[int, int]:
    return {result.evaluee_id: result.total for result in previous}


def department_report(
    department: str | None, results: Sequence[Result], previous: Iterable[Result] = ()
) -> DepartmentReport:
    """One department's block: its people ranked, their changes, its averages."""
    if not results:
        raise ValueError("a department report needs at least one result")
    before = _previous_totals(previous)
    ranks = hearts.rank({result.evaluee_id: result.total for result in results})
    rows = [
        PersonRow(
            result=result,
            rank=ranks[result.evaluee_id],
            previous_total=before.get(result.evaluee_id),
            change=hearts.change(result.total, before.get(result.evaluee_id)),
        )
        for result in results
    ]
    rows.sort(key=lambda row: (row.rank, row.result.name, row.result.evaluee_id))
    return DepartmentReport(
        department=department,
        rows=tuple(rows),
        average_total=mean([result.total for result in results]),
        heart_averages=hearts.heart_averages([result.scores for result in results]),
    )


def build_report(
    results: Sequence[Result],
    previous: Sequence[Result] = (),
    *,
    department_order: Sequence[str] = (),
) -> list[DepartmentReport]:
    """A block per department that has results: in `department_order`, then other codes
    alphabetically, then people with no department."""
    by_department: dict[str | None, list[Result]] = {}
    for result in results:
        by_department.setdefault(result.department, []).append(result)
    position = {code: index for index, code in enumerate(department_order)}

    def order(code: str | None) -> tuple[int, int, str]:
        if code is None:
            return (2, 0, "")
        return (0, position[code], code) if code in position else (1, 0, code)

    return [
        department_report(code, by_department[code], previous)
        for code in sorted(by_department, key=order)
    ]


@dataclass(frozen=True)
class Standing:
    """Where one person stands in their department in a period."""

    rank: int
    of: int
    department_averages: dict[str, float]
    previous_total: int | None
    change: float | None


def standing(mine: Result, department: Sequence[Result], previous: Result | None) -> Standing:
    """`mine` among `department` (the period's confirmed results of the same department,
    mine included), with the change against `previous` (their own earlier result, if any)."""
    everyone = {result.evaluee_id: result for result in department}
    everyone[mine.evaluee_id] = mine
    ranks = hearts.rank({staff_id: result.total for staff_id, result in everyone.items()})
    previous_total = previous.total if previous is not None else None
    return Standing(
        rank=ranks[mine.evaluee_id],
        of=len(everyone),
        department_averages=hearts.heart_averages([r.scores for r in everyone.values()]),
        previous_total=previous_total,
        change=hearts.change(mine.total, previous_total),
    )


def trend_points(results: Iterable[Result]) -> list[tuple[str, int]]:
    """(period, total) in period order; one point per period (the last result given wins)."""
    by_period = {result.period: result.total for result in results}
    return sorted(by_period.items())


# --- numbers as people read them -------------------------------------------------------------


def change_text(value: float | None) -> str:
    """ "▲ +3", "▼ -1.5", "= 0", or "—" when there is nothing to compare with."""
    if value is None:
        return "—"
    if value > 0:
        return f"▲ +{value:g}"
    if value < 0:
        return f"▼ {value:g}"
    return "= 0"


def two_places(value: float) -> str:
    return f"{value:.2f}"


# --- naming a person -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    staff_id: int
    name: str
    username: str | None = None


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def match_person(text: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Who `text` names among `candidates` (only ever the people the reader may see, so an
    answer never tells whether anyone else exists). Several matches mean it was ambiguous."""
    wanted = _fold(text)
    if not wanted:
        return []
    if wanted.startswith("@"):
        handle = wanted[1:]
        return [c for c in candidates if c.username and c.username.casefold() == handle]
    number = wanted.removeprefix("#")
    if number.isdigit():
        return [c for c in candidates if c.staff_id == int(number)]
    exact = [c for c in candidates if _fold(c.name) == wanted]
    if exact:
        return exact
    return [
        c
        for c in candidates
        if wanted in _fold(c.name).split() or _fold(c.name).startswith(wanted)
    ]


# --- message splitting -----------------------------------------------------------------------

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; the rest is room for entities


def chunks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Blocks joined by blank lines into as few messages as fit, never splitting a block
    unless it is longer than a message on its own (then at line ends)."""
    lines_of: list[str] = []
    for block in blocks:
        if len(block) <= limit:
            lines_of.append(block)
            continue
        current = ""
        for line in block.split("\n"):
            if current and len(current) + 1 + len(line) > limit:
                lines_of.append(current)
                current = ""
            current = f"{current}\n{line}" if current else line[:limit]
        if current:
            lines_of.append(current)
    messages: list[str] = []
    for block in lines_of:
        if messages and len(messages[-1]) + 2 + len(block) <= limit:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages


# --- the workbook ----------------------------------------------------------------------------


def _comments(result: Result, heart_order: Sequence[str], text: Text) -> str | None:
    lines = [
        f"{label(text, hearts.name_key(heart))}: {result.comments[heart]}"
        for heart in heart_order
        if result.comments.get(heart)
    ]
    if result.overall_comment:
        lines.append(f"{label(text, 'results.column.overall')}: {result.overall_comment}")
    return "\n".join(lines) or None


def scores_workbook(
    reports: Sequence[DepartmentReport],
    *,
    department_names: Mapping[str | None, str],
    heart_order: Sequence[str],
    text: Text,
    zone: ZoneInfo,
    title: str,
) -> bytes:
    """An `.xlsx`: a summary sheet (a row per department), then a sheet per department with a
    row per person. Scores, totals, averages, ranks and changes are numbers, equal to what the
    chat shows; times are the hotel's wall-clock time."""
    workbook = Workbook()
    workbook.properties.title = title
    heart_headers = [label(text, hearts.name_key(heart)) for heart in heart_order]
    names = sheet_names(
        [label(text, "results.sheet.summary")]
        + [department_names.get(report.department, "—") for report in reports]
    )

    summary = workbook.active
    assert summary is not None  # a new Workbook always has one sheet
    summary.title = names[0]
    fill(
        summary,
        [
            label(text, "results.column.department"),
            label(text, "results.column.scored"),
            label(text, "results.column.average_total"),
            *heart_headers,
        ],
        [
            (
                department_names.get(report.department, "—"),
                report.count,
                report.average_total,
                *(report.heart_averages.get(heart) for heart in heart_order),
            )
            for report in reports
        ],
    )

    status = label(text, f"evaluation.status.{EvaluationStatus.CONFIRMED}")
    for report, name in zip(reports, names[1:], strict=True):
        sheet = workbook.create_sheet(name)
        fill(
            sheet,
            [
                label(text, "results.column.name"),
                label(text, "results.column.evaluator"),
                *heart_headers,
                *(
                    label(text, f"results.column.{key}")
                    for key in (
                        "total",
                        "average",
                        "rank",
                        "change",
                        "status",
                        "confirmed_at",
                        "comments",
                    )
                ),
            ],
            [
                (
                    row.result.name,
                    row.result.evaluator,
                    *(row.result.scores.get(heart) for heart in heart_order),
                    row.result.total,
                    row.result.average,
                    row.rank,
                    row.change,
                    status,
                    excel_time(row.result.confirmed_at, zone),
                    _comments(row.result, heart_order, text),
                )
                for row in report.rows
            ],
        )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
