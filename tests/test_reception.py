"""The rules of a VIP reception: its tasks and their times, lateness, marks (bot.reception)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.org import DEFAULT_DEPARTMENTS
from bot.playbook import DEFAULT_ESCALATION, EscalationLevel, Playbook, load_playbook
from bot.reception import (
    MARK_DONE,
    MARK_ESCALATED,
    MARK_NOT_YET,
    MARK_PROBLEM,
    MARK_WAITING,
    PlannedTask,
    decode_escalation,
    encode_escalation,
    is_late_send,
    plan_task,
    plan_visit,
    relative_time,
    task_mark,
)

# 2026-11-27 10:00 in Shanghai.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
HEAD = ("head",)
MANAGERS = ("duty_manager", "cs_lead")


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(None, department_codes=[d.code for d in DEFAULT_DEPARTMENTS])


def at(minutes: int) -> datetime:
    """NOW plus (or minus) some minutes."""
    return NOW + timedelta(minutes=minutes)


def plan(
    playbook: Playbook,
    *,
    arrival: datetime,
    standard: str | None = None,
    departure: datetime | None = None,
) -> dict[str, PlannedTask]:
    tasks = plan_visit(
        playbook,
        standard=standard,
        arrival=arrival,
        confirmed_at=NOW,
        departure=departure,
        now=NOW,
    )
    return {task.template.key: task for task in tasks}


def times(task: PlannedTask) -> tuple[datetime | None, datetime | None, bool]:
    return task.remind_at, task.due_at, task.urgent


# --- plan_visit ----------------------------------------------------------------------------

# Arrival at NOW + 4 h (14:00 in Shanghai): every reminder is still ahead.
IN_FOUR_HOURS: dict[str, tuple[int, int]] = {
    "briefing": (0, 0),  # at confirmation
    "route_walk": (60, 120),  # T-3h, due T-2h
    "room_inspection": (120, 120),
    "parking": (120, 120),
    "confirm_arrival": (180, 180),
    "room_ready": (210, 210),
    "welcome_team": (225, 225),
    "arrival": (240, 240),
}


def test_plan_visit_in_four_hours(playbook: Playbook) -> None:
    tasks = plan(playbook, arrival=at(240))
    assert list(tasks) == [*IN_FOUR_HOURS, "archive"]
    for key, (remind, due) in IN_FOUR_HOURS.items():
        assert times(tasks[key]) == (at(remind), at(due), False), key


@pytest.mark.parametrize(("key", "due"), [(key, due) for key, (_, due) in IN_FOUR_HOURS.items()])
def test_escalations_follow_the_due_time(playbook: Playbook, key: str, due: int) -> None:
    task = plan(playbook, arrival=at(240))[key]
    assert task.escalations == ((at(due + 10), HEAD), (at(due + 20), MANAGERS))


def test_archive_waits_for_the_departure(playbook: Playbook) -> None:
    archive = plan(playbook, arrival=at(240))["archive"]
    assert archive.remind_at is None
    assert archive.due_at is None
    assert archive.urgent is False
    assert archive.escalations == ()


def test_archive_once_the_departure_is_known(playbook: Playbook) -> None:
    departure = at(3 * 24 * 60)
    archive = plan(playbook, arrival=at(240), departure=departure)["archive"]
    assert times(archive) == (departure, departure, False)
    assert archive.escalations == (
        (departure + timedelta(minutes=10), HEAD),
        (departure + timedelta(minutes=20), MANAGERS),
    )


@pytest.mark.parametrize("standard", ["A", "a", " A "])
def test_standard_a_adds_its_tasks(playbook: Playbook, standard: str) -> None:
    tasks = plan(playbook, arrival=at(240), standard=standard)
    assert list(tasks) == [
        "briefing",
        "route_walk",
        "room_inspection",
        "parking",
        "fruit_flowers",
        "confirm_arrival",
        "room_ready",
        "welcome_team",
        "gm_greeting",
        "arrival",
        "archive",
    ]
    assert times(tasks["fruit_flowers"]) == (at(120), at(120), False)
    assert times(tasks["gm_greeting"]) == (at(225), at(225), False)


@pytest.mark.parametrize("standard", [None, "", "B", "C"])
def test_other_standards_get_the_common_tasks(playbook: Playbook, standard: str | None) -> None:
    assert list(plan(playbook, arrival=at(240), standard=standard)) == [
        *IN_FOUR_HOURS,
        "archive",
    ]


# Arrival at NOW + 40 min: the tasks whose reminder has passed go out now, flagged urgent,
# and keep their real due time (possibly already past).
LAST_MINUTE: dict[str, tuple[int, int, bool]] = {
    "briefing": (0, 0, False),  # confirmation is its moment, never urgent
    "route_walk": (0, -80, True),  # T-3h, due T-2h
    "room_inspection": (0, -80, True),
    "parking": (0, -80, True),
    "confirm_arrival": (0, -20, True),
    "room_ready": (10, 10, False),
    "welcome_team": (25, 25, False),
    "arrival": (40, 40, False),
}


def test_plan_visit_last_minute(playbook: Playbook) -> None:
    tasks = plan(playbook, arrival=at(40))
    assert list(tasks) == [*LAST_MINUTE, "archive"]
    for key, (remind, due, urgent) in LAST_MINUTE.items():
        assert times(tasks[key]) == (at(remind), at(due), urgent), key
        # A task sent late escalates from when it is sent, not from its long-past due time.
        start = max(due, 0)
        assert tasks[key].escalations == ((at(start + 10), HEAD), (at(start + 20), MANAGERS)), key
    assert tasks["archive"].remind_at is None


def test_plan_task_matches_plan_visit(playbook: Playbook) -> None:
    template = playbook.get("room_ready")
    assert template is not None
    task = plan_task(template, arrival=at(240), confirmed_at=NOW, departure=None, now=NOW)
    assert task == plan(playbook, arrival=at(240))["room_ready"]


def test_plan_visit_needs_aware_times(playbook: Playbook) -> None:
    naive = datetime(2026, 11, 27, 6, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(playbook, arrival=naive)


# --- escalation text -----------------------------------------------------------------------

ESCALATIONS: list[tuple[tuple[EscalationLevel, ...], str]] = [
    (DEFAULT_ESCALATION, "10:head;20:duty_manager+cs_lead"),
    ((), ""),
    ((EscalationLevel(timedelta(minutes=5), ("department",)),), "5:department"),
    (
        (
            EscalationLevel(timedelta(hours=1, minutes=30), ("department", "head")),
            EscalationLevel(timedelta(hours=2), ("duty_manager",)),
        ),
        "90:department+head;120:duty_manager",
    ),
]


@pytest.mark.parametrize(("levels", "text"), ESCALATIONS)
def test_encode_escalation(levels: tuple[EscalationLevel, ...], text: str) -> None:
    assert encode_escalation(levels) == text


@pytest.mark.parametrize(("levels", "text"), ESCALATIONS)
def test_decode_escalation(levels: tuple[EscalationLevel, ...], text: str) -> None:
    assert decode_escalation(text) == levels


@pytest.mark.parametrize(("levels", "_text"), ESCALATIONS)
def test_escalation_round_trip(levels: tuple[EscalationLevel, ...], _text: str) -> None:
    assert decode_escalation(encode_escalation(levels)) == levels


def test_playbook_escalations_round_trip(playbook: Playbook) -> None:
    for template in playbook.tasks:
        assert decode_escalation(encode_escalation(template.escalation)) == template.escalation


# --- late reminders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_after", "late"),
    [
        (timedelta(minutes=-1), False),
        (timedelta(0), False),
        (timedelta(minutes=1), False),
        (timedelta(minutes=2), False),
        (timedelta(minutes=2, seconds=1), True),
        (timedelta(minutes=30), True),
    ],
)
def test_is_late_send(sent_after: timedelta, late: bool) -> None:
    assert is_late_send(NOW, NOW + sent_after) is late


# --- status card marks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "open_problems", "escalated_level", "remind_at", "due_at", "mark"),
    [
        # Done.
        (True, 0, 0, at(-60), at(-30), MARK_DONE),
        (True, 0, 2, at(-60), at(-30), MARK_DONE),
        # Done, but a problem is still open.
        (True, 1, 0, at(-60), at(-30), MARK_PROBLEM),
        # An open problem outranks an escalation.
        (False, 2, 1, at(-60), at(-30), MARK_PROBLEM),
        (False, 1, 0, at(60), at(90), MARK_PROBLEM),
        # Escalated.
        (False, 0, 1, at(-60), at(-30), MARK_ESCALATED),
        # Under way: reminded, not yet due.
        (False, 0, 0, at(-10), at(30), MARK_WAITING),
        (False, 0, 0, NOW, at(30), MARK_WAITING),
        # Overdue, not yet escalated.
        (False, 0, 0, at(-60), at(-1), MARK_WAITING),
        (False, 0, 0, None, at(-1), MARK_WAITING),
        # Not started.
        (False, 0, 0, at(10), at(30), MARK_NOT_YET),
        (False, 0, 0, None, None, MARK_NOT_YET),
    ],
)
def test_task_mark(
    done: bool,
    open_problems: int,
    escalated_level: int,
    remind_at: datetime | None,
    due_at: datetime | None,
    mark: str,
) -> None:
    assert (
        task_mark(
            done=done,
            open_problems=open_problems,
            escalated_level=escalated_level,
            remind_at=remind_at,
            due_at=due_at,
            now=NOW,
        )
        == mark
    )


# --- relative times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "key", "params"),
    [
        (timedelta(0), "time.now", {}),
        (timedelta(seconds=20), "time.now", {}),
        (timedelta(seconds=-20), "time.now", {}),
        (timedelta(minutes=5), "time.in_minutes", {"minutes": 5}),
        (timedelta(minutes=59), "time.in_minutes", {"minutes": 59}),
        (timedelta(hours=2), "time.in_hours", {"hours": 2}),
        (timedelta(hours=2, minutes=5), "time.in_hours_minutes", {"hours": 2, "minutes": 5}),
        (timedelta(minutes=-30), "time.ago_minutes", {"minutes": 30}),
        (timedelta(hours=-1), "time.ago_hours", {"hours": 1}),
        (timedelta(minutes=-75), "time.ago_hours_minutes", {"hours": 1, "minutes": 15}),
    ],
)
def test_relative_time(offset: timedelta, key: str, params: dict[str, int]) -> None:
    assert relative_time(NOW + offset, NOW) == (key, params)
