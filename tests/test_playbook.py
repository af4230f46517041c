"""The playbook rules: loading, offsets, schedules, escalation. Table tests, no clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.org import DEFAULT_DEPARTMENTS
from bot.playbook import (
    DEFAULT_ESCALATION,
    EscalationLevel,
    PlaybookError,
    Schedule,
    TaskTemplate,
    escalation_times,
    is_late,
    load_playbook,
    parse_offset,
    schedule,
)

CODES = [department.code for department in DEFAULT_DEPARTMENTS]
ARRIVAL = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
CONFIRMED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DEPARTURE = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)

BASE_KEYS = [
    "briefing",
    "route_walk",
    "room_inspection",
    "parking",
    "confirm_arrival",
    "room_ready",
    "welcome_team",
    "arrival",
    "archive",
]


def default_tasks() -> dict[str, TaskTemplate]:
    return {task.key: task for task in load_playbook(department_codes=CODES).tasks}


def test_default_playbook_has_the_base_tasks_in_time_order() -> None:
    playbook = load_playbook(department_codes=CODES)
    assert [task.key for task in playbook.for_standard(None)] == BASE_KEYS
    assert [task.key for task in playbook.for_standard("B")] == BASE_KEYS
    with_a = [task.key for task in playbook.for_standard("a")]
    assert set(with_a) - set(BASE_KEYS) == {"fruit_flowers", "gm_greeting"}
    assert with_a.index("fruit_flowers") < with_a.index("confirm_arrival")


def test_default_playbook_details() -> None:
    tasks = default_tasks()
    walk = tasks["route_walk"]
    assert (walk.anchor, walk.offset, walk.due_offset) == (
        "arrival",
        timedelta(hours=-3),
        timedelta(hours=-2),
    )
    inspection = tasks["room_inspection"]
    assert inspection.departments == ("cs", "hk", "eng")
    assert inspection.responsible == "cs"
    assert [item.key for item in inspection.checklist] == [
        "room_card",
        "cleanliness",
        "facilities",
        "amenities",
        "view",
        "surroundings",
    ]
    assert "22–26 °C" in tasks["room_ready"].details_en
    assert tasks["briefing"].anchor == "confirm"
    assert tasks["archive"].anchor == "departure"
    assert all(task.escalation == DEFAULT_ESCALATION for task in tasks.values())
    assert all(task.title_zh and task.title_en for task in tasks.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("confirm", ("confirm", timedelta(0))),
        ("departure", ("departure", timedelta(0))),
        ("T", ("arrival", timedelta(0))),
        ("T-3h", ("arrival", timedelta(hours=-3))),
        ("T-30m", ("arrival", timedelta(minutes=-30))),
        ("T-1h30m", ("arrival", timedelta(minutes=-90))),
        ("T+1h", ("arrival", timedelta(hours=1))),
        ("T+90m", ("arrival", timedelta(minutes=90))),
        (" T\u22122h ", ("arrival", timedelta(hours=-2))),  # the spec's typographic minus
    ],
)
def test_parse_offset(text: str, expected: tuple[str, timedelta]) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "bad offset"),
        ("T-", "needs hours or minutes"),
        ("T-2", "bad offset"),
        ("T-2x", "bad offset"),
        ("T2h", "bad offset"),
        ("-2h", "bad offset"),
        ("T-1h60m", "under 60"),
        ("arrival", "bad offset"),
        ("confirm+1h", "bad offset"),
    ],
)
def test_parse_offset_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_offset(text)


def at(hours: float) -> datetime:
    return ARRIVAL + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("key", "now", "departure", "expected"),
    [
        # planned a day ahead: everything at its offset
        ("route_walk", CONFIRMED, None, Schedule(at(-3), at(-2), urgent=False)),
        ("room_ready", CONFIRMED, None, Schedule(at(-0.5), at(-0.5), urgent=False)),
        ("arrival", CONFIRMED, None, Schedule(ARRIVAL, ARRIVAL, urgent=False)),
        # on confirm: reminded at confirmation
        ("briefing", CONFIRMED, None, Schedule(CONFIRMED, CONFIRMED, urgent=False)),
        # last-minute notice, 1h before arrival: passed tasks go at once, urgent
        ("route_walk", at(-1), None, Schedule(at(-1), at(-2), urgent=True)),
        ("room_inspection", at(-1), None, Schedule(at(-1), at(-2), urgent=True)),
        ("confirm_arrival", at(-1), None, Schedule(at(-1), at(-1), urgent=False)),
        ("welcome_team", at(-1), None, Schedule(at(-0.25), at(-0.25), urgent=False)),
        # departure unknown, then known
        ("archive", CONFIRMED, None, None),
        ("archive", CONFIRMED, DEPARTURE, Schedule(DEPARTURE, DEPARTURE, urgent=False)),
        # departure already passed: sent at once, not urgent
        (
            "archive",
            DEPARTURE + timedelta(hours=1),
            DEPARTURE,
            Schedule(DEPARTURE + timedelta(hours=1), DEPARTURE, urgent=False),
        ),
    ],
)
def test_schedule(
    key: str, now: datetime, departure: datetime | None, expected: Schedule | None
) -> None:
    task = default_tasks()[key]
    got = schedule(task, arrival=ARRIVAL, confirmed_at=CONFIRMED, departure=departure, now=now)
    assert got == expected


def test_schedule_needs_aware_datetimes() -> None:
    task = default_tasks()["arrival"]
    naive = datetime(2026, 11, 28, 15, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="arrival must be a timezone-aware"):
        schedule(task, arrival=naive, confirmed_at=CONFIRMED, departure=None, now=CONFIRMED)


def test_escalation_times() -> None:
    task = default_tasks()["parking"]
    due = at(-2)
    assert escalation_times(task, due) == [
        (due + timedelta(minutes=10), ("head",)),
        (due + timedelta(minutes=20), ("duty_manager", "cs_lead")),
    ]


def test_escalation_times_custom_and_empty(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        TASK + 'escalation = [{ after = 5, notify = "department" }, '
        '{ after = 15, notify = ["head", "head"] }]\n'
        + TASK.replace('"t1"', '"t2"')
        + "escalation = []\n",
    )
    first, second = load_playbook(path, department_codes=CODES).tasks
    assert first.escalation == (
        EscalationLevel(timedelta(minutes=5), ("department",)),
        EscalationLevel(timedelta(minutes=15), ("head",)),
    )
    assert escalation_times(second, ARRIVAL) == []


@pytest.mark.parametrize(
    ("done_at", "now", "late"),
    [
        (None, at(-1), False),
        (None, ARRIVAL, False),  # exactly at due is on time
        (None, at(0.1), True),
        (at(-1), at(5), False),  # done in time, looked at later
        (at(0.1), at(5), True),  # done, but after it was due
    ],
)
def test_is_late(done_at: datetime | None, now: datetime, late: bool) -> None:
    assert is_late(ARRIVAL, done_at, now) is late


# --- validation ----------------------------------------------------------------------------

TASK = """\
[[task]]
key = "t1"
departments = ["cs"]
at = "T-1h"
title_zh = "任务"
title_en = "Task"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "playbook.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_custom_playbook_loads(tmp_path: Path) -> None:
    path = write(tmp_path, TASK + 'standards = ["b"]\ndue = "T-30m"\n')
    (task,) = load_playbook(path, department_codes=CODES).tasks
    assert task.standards == frozenset({"B"})
    assert task.due_offset == timedelta(minutes=-30)
    assert task.details_en == ""


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[[task]\nkey = 1\n", 1, r"Expected '\]\]'"),
        (TASK + 'title_en = "again"\n', 7, "Cannot overwrite"),
        (TASK.replace('["cs"]', '["cs", "spa"]'), 3, "unknown department 'spa'"),
        (
            TASK.replace('departments = ["cs"]', 'departments = [\n  "cs",\n  "nope",\n]'),
            5,
            "unknown department 'nope'",
        ),
        (TASK.replace('"T-1h"', '"T-1x"'), 4, "at: bad offset 'T-1x'"),
        (TASK + 'due = "soon"\n', 7, "due: bad offset 'soon'"),
        (TASK + 'due = "T-2h"\n', 7, "due 'T-2h' is before the task starts"),
        (TASK + 'due = "departure"\n', 7, "same point as at"),
        (TASK + TASK, 8, "duplicate task key 't1'"),
        (TASK.replace('title_en = "Task"\n', ""), 2, "missing title_en"),
        (TASK.replace('"任务"', '"  "'), 5, "missing title_zh"),
        (
            TASK
            + 'checklist = [\n  { key = "a", zh = "甲", en = "A" },\n'
            + '  { key = "b", zh = "乙" },\n]\n',
            9,
            "checklist item 'b' is missing en",
        ),
        (
            TASK + 'checklist = [{ key = "a", en = "A" }]\n',
            7,
            "checklist item 'a' is missing zh",
        ),
        (
            TASK + 'escalation = [\n  { after = 10, notify = ["gm"] },\n]\n',
            8,
            "unknown escalation target 'gm'",
        ),
        (TASK + 'escalation = [{ after = 0, notify = "head" }]\n', 7, "more than 0 minutes"),
        (TASK + 'escalation = [{ after = -5, notify = "head" }]\n', 7, "more than 0 minutes"),
        (
            TASK + 'escalation = [\n  { after = 20, notify = "head" },\n'
            '  { after = 20, notify = "cs_lead" },\n]\n',
            9,
            r"after \(20 min\) must be later than the level before \(20 min\)",
        ),
        (
            TASK + 'escalation = [\n  { after = 30, notify = "head" },\n'
            '  { after = 10, notify = "cs_lead" },\n]\n',
            9,
            "must be later",
        ),
        (
            '[defaults]\nescalation = [\n  { after = 10, notify = "ceo" },\n]\n\n' + TASK,
            3,
            r"\[defaults\]: unknown escalation target 'ceo'",
        ),
        (TASK + 'colour = "red"\n', 7, "unknown field 'colour'"),
        (TASK.replace('"t1"', '"Room Check"'), 2, "needs a key"),
        ("", 1, "at least one"),
    ],
)
def test_validation_errors(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError, match=rf"^{re.escape(str(path))}:{line}: .*{reason}"):
        load_playbook(path, department_codes=CODES)


def test_duplicate_key_points_at_the_second_task(tmp_path: Path) -> None:
    other = TASK.replace('"t1"', '"t2"')
    path = write(tmp_path, TASK + "\n" + other + "\n" + TASK)
    with pytest.raises(
        PlaybookError, match=rf"^{re.escape(str(path))}:16: duplicate task key 't1'"
    ):
        load_playbook(path, department_codes=CODES)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(PlaybookError, match=rf"^{re.escape(str(path))}:1: cannot read"):
        load_playbook(path, department_codes=CODES)


def test_a_title_longer_than_the_database_keeps_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "long.toml"
    path.write_text(
        '[[task]]\nkey = "parking"\ndepartments = ["sec"]\nat = "T-2h"\n'
        f'title_zh = "车位"\ntitle_en = "{"P" * 129}"\n',
        encoding="utf-8",
    )
    with pytest.raises(
        PlaybookError, match=r"long\.toml:6: task 'parking': title_en is longer than 128"
    ):
        load_playbook(path, department_codes=["sec"])
