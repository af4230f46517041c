"""A closed reception, archived: a printable HTML document and an `.xlsx` export.

Pure: no Telegram, no database, no clock. The caller gathers a `VisitArchive` and a
`text(key, **params)` function for the reader's language (the `[archive]` catalog section).

Catalog texts are HTML already (entities, parameters escaped), so the document uses them as
they are and escapes every value itself. In the workbook only labels come from the catalog
(unescaped back to plain text); values are written raw, never through the catalog.
`ArchivedEvent.text` is plain text: the document escapes it like any other value.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.sheets import excel_time, fill, label, sheet_names
from bot.states import TaskStatus, VisitStatus

Text = Callable[..., str]
"""`text(key, **params)`: the catalog text in the reader's language."""

TASK_ICONS: dict[str, str] = {
    TaskStatus.DONE: "✅",
    TaskStatus.PENDING: "⏳",
    TaskStatus.CANCELLED: "❌",
}


@dataclass(frozen=True)
class ArchivedCheck:
    label: str
    done_by: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class ArchivedTask:
    title: str
    departments: str  # display names, e.g. "Customer Service, Housekeeping"
    remind_at: datetime | None
    due_at: datetime | None
    status: str  # "done" | "pending" | "cancelled"
    claimed_by: str | None
    done_by: str | None
    done_at: datetime | None
    urgent: bool
    escalated_level: int
    checklist: tuple[ArchivedCheck, ...]

    @property
    def late(self) -> bool:
        """Checked off after it was due."""
        return self.done_at is not None and self.due_at is not None and self.done_at > self.due_at


@dataclass(frozen=True)
class ArchivedProblem:
    task_title: str
    text: str
    reported_by: str
    reported_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class ArchivedEvent:
    at: datetime
    actor: str | None
    text: str  # plain text, already rendered in the reader's language


@dataclass(frozen=True)
class VisitArchive:
    visit_id: int
    status: str  # e.g. "completed" | "cancelled" | "confirmed" | "arrived"
    guest: str
    company: str
    group_name: str
    titles: str
    party_size: int
    vehicles: int
    arrival_at: datetime
    arrived_at: datetime | None
    departure_at: datetime | None
    rooms: str
    itinerary: str
    requirements: str
    standard: str
    announced_by: str
    announced_at: datetime
    checked_by: str | None
    checked_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    tasks: tuple[ArchivedTask, ...]
    problems: tuple[ArchivedProblem, ...]
    events: tuple[ArchivedEvent, ...]

    @property
    def tasks_done(self) -> int:
        return sum(task.status == "done" for task in self.tasks)

    @property
    def problems_open(self) -> int:
        return sum(problem.is_open for problem in self.problems)


# --- shared helpers ---------------------------------------------------------------------


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _visit_status(status: str, text: Text) -> str:
    return text(f"archive.visit_status.{VisitStatus(status)}")


def _task_status(status: str, text: Text) -> str:
    return text(f"archive.task_status.{TaskStatus(status)}")


def archive_filename(archive: VisitArchive, *, zone: ZoneInfo) -> str:
    """`vip-reception-<id>-<arrival date in the hotel zone>.html`, ASCII only."""
    day = archive.arrival_at.astimezone(zone).strftime("%Y-%m-%d")
    return f"vip-reception-{archive.visit_id}-{day}.html"


# --- the HTML document ------------------------------------------------------------------

_CSS = """
body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h1 .guest { display: block; font-size: 0.7em; font-weight: normal; color: #555; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 2px solid #444; }
table { border-collapse: collapse; width: 100%; margin-top: 0.5em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
table.notice th { width: 12em; }
td { white-space: pre-wrap; }
ul.checklist { list-style: none; margin: 0.3em 0 0; padding: 0; }
.mark { display: inline-block; padding: 0 0.3em; margin-right: 0.2em; border-radius: 3px;
        background: #fde2e2; color: #900; font-size: 0.85em; }
.muted { color: #777; }
tr { page-break-inside: avoid; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return _e(_local(moment, zone)) if moment is not None else ""


def _by_at(who: str | None, at: datetime | None, *, zone: ZoneInfo) -> str:
    """'who · YYYY-MM-DD HH:MM' (escaped), or whichever half is known, or ''."""
    # Values never go through `text`: this module escapes them itself, whatever `text` does.
    return " · ".join(part for part in (_e(who or ""), _when(at, zone)) if part)


def _notice(archive: VisitArchive, text: Text, zone: ZoneInfo) -> str:
    rows: list[tuple[str, str]] = [
        ("visit_id", _e(f"#{archive.visit_id}")),
        ("status", _visit_status(archive.status, text)),
        ("guest", _e(archive.guest)),
        ("company", _e(archive.company)),
        ("group_name", _e(archive.group_name)),
        ("titles", _e(archive.titles)),
        ("party_size", _e(archive.party_size)),
        ("vehicles", _e(archive.vehicles)),
        ("arrival_at", _when(archive.arrival_at, zone)),
        ("arrived_at", _when(archive.arrived_at, zone)),
        ("departure_at", _when(archive.departure_at, zone)),
        ("rooms", _e(archive.rooms)),
        ("itinerary", _e(archive.itinerary)),
        ("requirements", _e(archive.requirements)),
        ("standard", _e(archive.standard)),
        ("announced", _by_at(archive.announced_by, archive.announced_at, zone=zone)),
        ("checked", _by_at(archive.checked_by, archive.checked_at, zone=zone)),
        ("closed", _by_at(archive.closed_by, archive.closed_at, zone=zone)),
    ]
    body = "".join(
        f"<tr><th>{text(f'archive.field.{key}')}</th><td>{value}</td></tr>" for key, value in rows
    )
    return f'<table class="notice">{body}</table>'


def _none(text: Text) -> str:
    return f'<p class="muted">{text("archive.none")}</p>'


def _task_row(task: ArchivedTask, text: Text, zone: ZoneInfo) -> str:
    moment = task.remind_at or task.due_at
    time_cell = _when(moment, zone)
    if task.due_at is not None and task.due_at != moment:
        time_cell += f'<br><span class="muted">{text("archive.column.due_at")}: '
        time_cell += f"{_when(task.due_at, zone)}</span>"
    icon = TASK_ICONS.get(task.status, "")
    status = f"{icon} {_task_status(task.status, text)}".strip()
    marks = []
    if task.late:
        marks.append(text("archive.late"))
    if task.urgent:
        marks.append(text("archive.urgent"))
    if task.escalated_level > 0:
        marks.append(text("archive.escalated", level=task.escalated_level))
    marks_cell = "".join(f'<span class="mark">{mark}</span>' for mark in marks)
    title_cell = f"<strong>{_e(task.title)}</strong>"
    if task.departments:
        title_cell += f'<br><span class="muted">{_e(task.departments)}</span>'
    if task.checklist:
        items = []
        for check in task.checklist:
            tick = "☑" if check.done_at is not None or check.done_by is not None else "☐"
            who = _by_at(check.done_by, check.done_at, zone=zone)
            suffix = f' <span class="muted">({who})</span>' if who else ""
            items.append(f"<li>{tick} {_e(check.label)}{suffix}</li>")
        title_cell += f'<ul class="checklist">{"".join(items)}</ul>'
    cells = [
        time_cell,
        title_cell,
        status,
        _e(task.claimed_by or ""),
        _by_at(task.done_by, task.done_at, zone=zone),
        marks_cell,
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _head(keys: Sequence[str], text: Text) -> str:
    return "<tr>" + "".join(f"<th>{text(f'archive.column.{key}')}</th>" for key in keys) + "</tr>"


def _tasks(archive: VisitArchive, text: Text, zone: ZoneInfo) -> str:
    if not archive.tasks:
        return _none(text)
    head = _head(("time", "task", "status", "claimed_by", "done_by", "marks"), text)
    rows = "".join(_task_row(task, text, zone) for task in archive.tasks)
    return f'<table class="tasks">{head}{rows}</table>'


def _problems(archive: VisitArchive, text: Text, zone: ZoneInfo) -> str:
    if not archive.problems:
        return _none(text)
    head = _head(("task", "problem", "reported_by", "resolution"), text)
    rows = []
    for problem in archive.problems:
        if problem.is_open:
            resolution = f"⚠️ {text('archive.problem_status.open')}"
        else:
            who = _by_at(problem.resolved_by, problem.resolved_at, zone=zone)
            resolution = f"✅ {text('archive.problem_status.resolved')}: {who}"
        cells = [
            _e(problem.task_title),
            _e(problem.text),
            _by_at(problem.reported_by, problem.reported_at, zone=zone),
            resolution,
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f'<table class="problems">{head}{"".join(rows)}</table>'


def _timeline(archive: VisitArchive, text: Text, zone: ZoneInfo) -> str:
    if not archive.events:
        return _none(text)
    head = _head(("time", "actor", "event"), text)
    rows = "".join(
        f"<tr><td>{_when(event.at, zone)}</td><td>{_e(event.actor or '')}</td>"
        f"<td>{_e(event.text)}</td></tr>"
        for event in sorted(archive.events, key=lambda event: event.at)
    )
    return f'<table class="timeline">{head}{rows}</table>'


def archive_document(archive: VisitArchive, *, text: Text, zone: ZoneInfo) -> bytes:
    """A self-contained, printable UTF-8 HTML page: notice, tasks, problems, timeline."""
    title = text("archive.title", visit_id=archive.visit_id)
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(text("archive.lang"))}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} · {_e(archive.guest)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1>{title}<span class="guest">{_e(archive.guest)}</span></h1>\n'
        f"<h2>{text('archive.heading.notice')}</h2>\n{_notice(archive, text, zone)}\n"
        f"<h2>{text('archive.heading.tasks')}</h2>\n{_tasks(archive, text, zone)}\n"
        f"<h2>{text('archive.heading.problems')}</h2>\n{_problems(archive, text, zone)}\n"
        f"<h2>{text('archive.heading.timeline')}</h2>\n{_timeline(archive, text, zone)}\n"
        "</body>\n</html>\n"
    )
    return page.encode("utf-8")


# --- the workbook -----------------------------------------------------------------------


def visits_workbook(
    archives: Sequence[VisitArchive], *, text: Text, zone: ZoneInfo, title: str
) -> bytes:
    """An `.xlsx` of receptions: sheets of visits, tasks and problems, one row each.

    Times are the wall-clock time in `zone`, as real (naive) Excel datetimes. `title` becomes
    the workbook's document title. No archives: each sheet has its header row only.
    """
    workbook = Workbook()
    workbook.properties.title = title

    visits = workbook.active
    assert visits is not None  # a new Workbook always has one sheet
    visits.title = sheet_names([label(text, "archive.sheet.visits")], "Visits")[0]
    visit_keys = (
        "visit_id", "guest", "company", "group_name", "party_size", "vehicles", "arrival_at",
        "rooms", "standard", "status", "tasks_done", "tasks_total", "problems_open",
        "problems_total", "announced_by", "closed_by", "closed_at",
    )  # fmt: skip
    fill(
        visits,
        [label(text, f"archive.column.{key}") for key in visit_keys],
        [
            (
                archive.visit_id,
                archive.guest,
                archive.company,
                archive.group_name,
                archive.party_size,
                archive.vehicles,
                excel_time(archive.arrival_at, zone),
                archive.rooms,
                archive.standard,
                html.unescape(_visit_status(archive.status, text)),
                archive.tasks_done,
                len(archive.tasks),
                archive.problems_open,
                len(archive.problems),
                archive.announced_by,
                archive.closed_by,
                excel_time(archive.closed_at, zone),
            )
            for archive in archives
        ],
    )

    tasks = workbook.create_sheet(sheet_names([label(text, "archive.sheet.tasks")], "Tasks")[0])
    task_keys = (
        "visit_id", "task", "departments", "remind_at", "due_at", "status", "claimed_by",
        "done_by", "done_at", "late", "urgent", "escalated_level", "checklist",
    )  # fmt: skip
    fill(
        tasks,
        [label(text, f"archive.column.{key}") for key in task_keys],
        [
            (
                archive.visit_id,
                task.title,
                task.departments,
                excel_time(task.remind_at, zone),
                excel_time(task.due_at, zone),
                html.unescape(_task_status(task.status, text)),
                task.claimed_by,
                task.done_by,
                excel_time(task.done_at, zone),
                task.late,
                task.urgent,
                task.escalated_level,
                "\n".join(
                    f"{'☑' if check.done_at or check.done_by else '☐'} {check.label}"
                    for check in task.checklist
                )
                or None,
            )
            for archive in archives
            for task in archive.tasks
        ],
    )

    problems = workbook.create_sheet(
        sheet_names([label(text, "archive.sheet.problems")], "Problems")[0]
    )
    problem_keys = (
        "visit_id", "task", "problem", "reported_by", "reported_at", "status", "resolved_by",
        "resolved_at",
    )  # fmt: skip
    fill(
        problems,
        [label(text, f"archive.column.{key}") for key in problem_keys],
        [
            (
                archive.visit_id,
                problem.task_title,
                problem.text,
                problem.reported_by,
                excel_time(problem.reported_at, zone),
                label(text, f"archive.problem_status.{'open' if problem.is_open else 'resolved'}"),
                problem.resolved_by,
                excel_time(problem.resolved_at, zone),
            )
            for archive in archives
            for problem in archive.problems
        ],
    )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
