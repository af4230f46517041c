"""The VIP reception playbook: which tasks a confirmed notice generates, and when.

A playbook is a TOML file (the default ships in `bot/playbooks/default.toml`; a hotel can
point PLAYBOOK_PATH at its own) of `[[task]]` tables. Loading validates every field and
reports problems as `<file>:<line>: <reason>`.

Pure: no Telegram, no database, no clock. `now` and every time are arguments.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NoReturn

DEFAULT_PLAYBOOK_PATH = Path(__file__).parent / "playbooks" / "default.toml"

Anchor = Literal["confirm", "arrival", "departure"]
ANCHOR_ORDER: dict[str, int] = {"confirm": 0, "arrival": 1, "departure": 2}
ESCALATION_TARGETS: tuple[str, ...] = ("department", "head", "duty_manager", "cs_lead")
LANGUAGES: tuple[str, ...] = ("zh", "en")

TASK_FIELDS = frozenset(
    {
        "key",
        "departments",
        "at",
        "due",
        "title_zh",
        "title_en",
        "details_zh",
        "details_en",
        "checklist",
        "escalation",
        "standards",
    }
)
TOP_LEVEL_FIELDS = frozenset({"task", "defaults"})
DEFAULTS_FIELDS = frozenset({"escalation"})


# Column sizes of visit_task / task_check_item: a playbook may not exceed them.
MAX_TITLE = 128


class PlaybookError(Exception):
    """A playbook file is malformed; the message is `<file>:<line>: <reason>`."""


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class EscalationLevel:
    after: timedelta  # past the task's due time
    notify: tuple[str, ...]


DEFAULT_ESCALATION: tuple[EscalationLevel, ...] = (
    EscalationLevel(timedelta(minutes=10), ("head",)),
    EscalationLevel(timedelta(minutes=20), ("duty_manager", "cs_lead")),
)


@dataclass(frozen=True)
class TaskTemplate:
    key: str
    departments: tuple[str, ...]  # the first is responsible
    anchor: Anchor
    offset: timedelta
    due_offset: timedelta
    title_zh: str
    title_en: str
    details_zh: str
    details_en: str
    checklist: tuple[ChecklistItem, ...]
    escalation: tuple[EscalationLevel, ...]
    standards: frozenset[str]  # empty: every standard

    @property
    def responsible(self) -> str:
        return self.departments[0]

    def applies_to(self, standard: str | None) -> bool:
        if not self.standards:
            return True
        return standard is not None and standard.strip().upper() in self.standards


def _time_order(task: TaskTemplate) -> tuple[int, timedelta]:
    return ANCHOR_ORDER[task.anchor], task.offset


@dataclass(frozen=True)
class Playbook:
    tasks: tuple[TaskTemplate, ...]  # in time order (stable: file order breaks ties)

    def for_standard(self, standard: str | None) -> tuple[TaskTemplate, ...]:
        """The tasks for a reception standard; None gets only the tasks common to all."""
        return tuple(task for task in self.tasks if task.applies_to(standard))

    def get(self, key: str) -> TaskTemplate | None:
        return next((task for task in self.tasks if task.key == key), None)


# --- offsets -------------------------------------------------------------------------------

_OFFSET = re.compile(r"T(?:(?P<sign>[+-])(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?)?")


def parse_offset(text: str) -> tuple[Anchor, timedelta]:
    """`"confirm"`, `"departure"`, `"T"`, `"T-2h"`, `"T-30m"`, `"T-1h30m"`, `"T+1h"`."""
    if not isinstance(text, str):
        raise ValueError(f'an offset must be a string such as "T-2h", not {text!r}')
    cleaned = text.strip().replace("\u2212", "-")  # the spec's typographic minus is fine too
    if cleaned == "confirm":
        return "confirm", timedelta(0)
    if cleaned == "departure":
        return "departure", timedelta(0)
    match = _OFFSET.fullmatch(cleaned)
    if match is None:
        raise ValueError(
            f'bad offset {text!r}: expected "confirm", "departure", "T" or T±hours/minutes'
            ' such as "T-2h", "T-30m", "T-1h30m", "T+1h"'
        )
    if match["sign"] is None:
        return "arrival", timedelta(0)
    if match["hours"] is None and match["minutes"] is None:
        raise ValueError(f"bad offset {text!r}: a sign needs hours or minutes after it")
    minutes = int(match["minutes"] or 0)
    if match["hours"] is not None and minutes >= 60:
        raise ValueError(f"bad offset {text!r}: minutes after hours must be under 60")
    delta = timedelta(hours=int(match["hours"] or 0), minutes=minutes)
    return "arrival", -delta if match["sign"] == "-" else delta


# --- scheduling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    remind_at: datetime
    due_at: datetime
    urgent: bool


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")


def schedule(
    task: TaskTemplate,
    *,
    arrival: datetime,
    confirmed_at: datetime,
    departure: datetime | None,
    now: datetime,
) -> Schedule | None:
    """When to remind about a task and when it is due; None while its anchor is unknown.

    Confirm-anchored tasks are reminded at confirmation, departure-anchored ones once a
    departure is known. A last-minute notice skips nothing: an arrival-anchored task whose
    reminder time has passed is sent at once (`remind_at = now`) and flagged urgent; its
    due time stays as it was, possibly in the past. A confirm or departure task whose time
    has passed is also sent at once, but it is not urgent: that is simply its moment.
    """
    _require_aware(arrival=arrival, confirmed_at=confirmed_at, departure=departure, now=now)
    if task.anchor == "confirm":
        base = confirmed_at
    elif task.anchor == "arrival":
        base = arrival
    else:
        if departure is None:
            return None
        base = departure
    remind_at = base + task.offset
    due_at = base + task.due_offset
    if remind_at < now:
        return Schedule(remind_at=now, due_at=due_at, urgent=task.anchor == "arrival")
    return Schedule(remind_at=remind_at, due_at=due_at, urgent=False)


def escalation_times(
    task: TaskTemplate, due_at: datetime
) -> list[tuple[datetime, tuple[str, ...]]]:
    """When each escalation level fires and whom it notifies, if nobody checks the task off."""
    return [(due_at + level.after, level.notify) for level in task.escalation]


def is_late(due_at: datetime, done_at: datetime | None, now: datetime) -> bool:
    """Done after it was due, or still open past its due time."""
    return (done_at if done_at is not None else now) > due_at


# --- loading -------------------------------------------------------------------------------

_TASK_HEADER = re.compile(r"^\s*\[\[\s*task\s*\]\]")
_DEFAULTS_HEADER = re.compile(r"^\s*\[\s*defaults\s*\]")
_ANY_HEADER = re.compile(r"^\s*\[")
_TOML_LINE = re.compile(r"at line (\d+)")


class _Source:
    """The file's text, to point an error at the line it is about."""

    def __init__(self, name: str, text: str, task_count: int) -> None:
        self.name = name
        self.lines = text.splitlines()
        headers = [i for i, line in enumerate(self.lines) if _TASK_HEADER.match(line)]
        # Tasks written as `[[task]]` tables map one to one onto their headers.
        self.task_headers = headers if len(headers) == task_count else []

    def _block(self, start: int) -> range:
        end = len(self.lines)
        for i in range(start + 1, len(self.lines)):
            line = self.lines[i]
            if _ANY_HEADER.match(line) and not re.match(r"^\s*\[\[\s*task\.", line):
                end = i
                break
        return range(start, end)

    def task_block(self, index: int) -> range | None:
        if index < len(self.task_headers):
            return self._block(self.task_headers[index])
        return None

    def defaults_block(self) -> range | None:
        for i, line in enumerate(self.lines):
            if _DEFAULTS_HEADER.match(line):
                return self._block(i)
        return None

    def line(
        self,
        block: range | None,
        field: str | None = None,
        needle: str | None = None,
        nth: int = 1,
    ) -> int:
        """1-based line: the field's line within the block, then the nth needle from there."""
        if block is None:
            return 1
        found = block.start
        if field is not None:
            pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
            found = next((i for i in block if pattern.match(self.lines[i])), block.start)
        if needle is not None:
            pattern = re.compile(needle)
            hits = [i for i in range(found, block.stop) if pattern.search(self.lines[i])]
            found = hits[min(nth, len(hits)) - 1] if hits else found
        return found + 1

    def fail(self, line: int, reason: str) -> NoReturn:
        raise PlaybookError(f"{self.name}:{line}: {reason}")


def _quoted(value: object) -> str:
    return re.escape(f'"{value}"') + "|" + re.escape(f"'{value}'")


class _Loader:
    def __init__(self, source: _Source, department_codes: Collection[str]) -> None:
        self.source = source
        self.department_codes = frozenset(department_codes)

    def load(self, data: Mapping[str, Any]) -> Playbook:
        for name in data:
            if name not in TOP_LEVEL_FIELDS:
                self.source.fail(1, f"unknown top-level entry {name!r} (expected [[task]] tables)")
        defaults = data.get("defaults", {})
        escalation = DEFAULT_ESCALATION
        if not isinstance(defaults, Mapping):
            self.source.fail(1, "[defaults] must be a table")
        block = self.source.defaults_block()
        for name in defaults:
            if name not in DEFAULTS_FIELDS:
                self.source.fail(self.source.line(block, name), f"unknown default {name!r}")
        if "escalation" in defaults:
            escalation = self.escalation(defaults["escalation"], block, "[defaults]")
        raw_tasks = data.get("task", [])
        if not isinstance(raw_tasks, list) or not raw_tasks:
            self.source.fail(1, "a playbook needs at least one [[task]]")
        tasks: list[TaskTemplate] = []
        seen: set[str] = set()
        for index, raw in enumerate(raw_tasks):
            task = self.task(index, raw, escalation)
            if task.key in seen:
                line = self.source.line(self.source.task_block(index), "key")
                self.source.fail(line, f"duplicate task key {task.key!r}")
            seen.add(task.key)
            tasks.append(task)
        return Playbook(tuple(sorted(tasks, key=_time_order)))

    def task(
        self, index: int, raw: object, default_escalation: tuple[EscalationLevel, ...]
    ) -> TaskTemplate:
        block = self.source.task_block(index)
        where = f"task #{index + 1}"
        if not isinstance(raw, Mapping):
            self.source.fail(self.source.line(block), f"{where} must be a table")

        def fail(field: str | None, reason: str, needle: str | None = None) -> NoReturn:
            self.source.fail(self.source.line(block, field, needle), f"{where}: {reason}")

        key = raw.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", key):
            fail("key", 'needs a key, a slug of at most 32 characters such as "room_inspection"')
        where = f"task {key!r}"
        for name in raw:
            if name not in TASK_FIELDS:
                fail(name, f"unknown field {name!r}")

        departments = raw.get("departments")
        if not isinstance(departments, list) or not departments:
            fail("departments", "departments must be a non-empty list of department codes")
        for code in departments:
            if not isinstance(code, str) or code not in self.department_codes:
                known = ", ".join(sorted(self.department_codes))
                fail("departments", f"unknown department {code!r} (known: {known})", _quoted(code))
        if len(set(departments)) != len(departments):
            fail("departments", "a department is listed twice")

        try:
            anchor, offset = parse_offset(str(raw.get("at", "")))
        except ValueError as exc:
            fail("at", f"at: {exc}")
        due_offset = offset
        if "due" in raw:
            try:
                due_anchor, due_offset = parse_offset(raw["due"])
            except ValueError as exc:
                fail("due", f"due: {exc}")
            if due_anchor != anchor:
                fail("due", f"due {raw['due']!r} must be measured from the same point as at")
            if due_offset < offset:
                fail("due", f"due {raw['due']!r} is before the task starts ({raw['at']!r})")

        texts: dict[str, str] = {}
        for kind in ("title", "details"):
            for language in LANGUAGES:
                name = f"{kind}_{language}"
                value = raw.get(name, "")
                if not isinstance(value, str):
                    fail(name, f"{name} must be a string")
                if kind == "title" and not value.strip():
                    fail(name if name in raw else "key", f"missing {name}")
                # The database keeps a title in 128 characters (PostgreSQL enforces it).
                if kind == "title" and len(value.strip()) > MAX_TITLE:
                    fail(name, f"{name} is longer than {MAX_TITLE} characters")
                texts[name] = value.strip()

        checklist = self.checklist(raw.get("checklist", []), fail)
        escalation = default_escalation
        if "escalation" in raw:
            escalation = self.escalation(raw["escalation"], block, where)

        standards = raw.get("standards", [])
        if not isinstance(standards, list) or not all(
            isinstance(s, str) and s.strip() for s in standards
        ):
            fail("standards", 'standards must be a list of reception standards such as ["A"]')

        return TaskTemplate(
            key=key,
            departments=tuple(departments),
            anchor=anchor,
            offset=offset,
            due_offset=due_offset,
            title_zh=texts["title_zh"],
            title_en=texts["title_en"],
            details_zh=texts["details_zh"],
            details_en=texts["details_en"],
            checklist=checklist,
            escalation=escalation,
            standards=frozenset(s.strip().upper() for s in standards),
        )

    @staticmethod
    def checklist(raw: Any, fail: Any) -> tuple[ChecklistItem, ...]:
        if not isinstance(raw, list):
            fail("checklist", "checklist must be a list of {key, zh, en} items")
        items: list[ChecklistItem] = []
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, Mapping):
                fail("checklist", f"checklist item #{number} must be a table {{key, zh, en}}")
            key = item.get("key")
            needle = _quoted(key) if isinstance(key, str) else None
            if not isinstance(key, str) or not key.strip():
                fail("checklist", f"checklist item #{number} needs a key")
            for language in LANGUAGES:
                text = item.get(language)
                if not isinstance(text, str) or not text.strip():
                    fail("checklist", f"checklist item {key!r} is missing {language}", needle)
                if len(text.strip()) > MAX_TITLE or len(key) > 32:
                    fail("checklist", f"checklist item {key!r} is too long", needle)
            if any(existing.key == key for existing in items):
                fail("checklist", f"checklist item {key!r} is listed twice", needle)
            items.append(ChecklistItem(key, item["zh"].strip(), item["en"].strip()))
        return tuple(items)

    def escalation(
        self, raw: object, block: range | None, where: str
    ) -> tuple[EscalationLevel, ...]:
        def fail(reason: str, needle: str | None = None, nth: int = 1) -> NoReturn:
            line = self.source.line(block, "escalation", needle, nth)
            self.source.fail(line, f"{where}: {reason}")

        if not isinstance(raw, list):
            fail("escalation must be a list of {after = minutes, notify = [...]} levels")
        levels: list[EscalationLevel] = []
        previous = 0
        for number, level in enumerate(raw, start=1):
            if not isinstance(level, Mapping):
                fail(f"escalation level #{number} must be a table {{after, notify}}")
            after = level.get("after")
            needle = r"\bafter\s*="  # the line of the number-th level's `after`
            if isinstance(after, bool) or not isinstance(after, int):
                fail(f"escalation level #{number}: after must be whole minutes past due")
            if after <= 0:
                fail(
                    f"escalation level #{number}: after must be more than 0 minutes",
                    needle,
                    number,
                )
            if after <= previous:
                fail(
                    f"escalation level #{number}: after ({after} min) must be later than "
                    f"the level before ({previous} min)",
                    needle,
                    number,
                )
            notify = level.get("notify")
            targets = [notify] if isinstance(notify, str) else notify
            if not isinstance(targets, list) or not targets:
                fail(
                    f"escalation level #{number}: notify must name whom to notify", needle, number
                )
            for target in targets:
                if target not in ESCALATION_TARGETS:
                    allowed = ", ".join(ESCALATION_TARGETS)
                    fail(
                        f"unknown escalation target {target!r} (allowed: {allowed})",
                        needle,
                        number,
                    )
            for name in level:
                if name not in ("after", "notify"):
                    fail(f"escalation level #{number}: unknown field {name!r}", needle, number)
            levels.append(EscalationLevel(timedelta(minutes=after), tuple(dict.fromkeys(targets))))
            previous = after
        return tuple(levels)


def load_playbook(path: Path | None = None, *, department_codes: Collection[str]) -> Playbook:
    """Load and validate a playbook file; None loads the default that ships with the bot."""
    path = DEFAULT_PLAYBOOK_PATH if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(f"{path}:1: cannot read the playbook: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found[1]) if found else max(1, len(text.splitlines()))
        reason = _TOML_LINE.split(str(exc))[0].rstrip(" (")
        raise PlaybookError(f"{path}:{line}: {reason}") from exc
    raw_tasks = data.get("task")
    count = len(raw_tasks) if isinstance(raw_tasks, list) else 0
    return _Loader(_Source(str(path), text, count), department_codes).load(data)
