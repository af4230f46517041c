"""Rules of a VIP reception: which tasks a visit gets and when, what is late, how the status
card marks each task. Pure: no Telegram, no database, no clock (`now` is an argument)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.playbook import EscalationLevel, Playbook, TaskTemplate, escalation_times, schedule

# How late a reminder may go out before it says so (the bot was down, or busy).
LATE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class PlannedTask:
    """A task of one visit with its times; remind_at None means "when departure is known"."""

    template: TaskTemplate
    remind_at: datetime | None
    due_at: datetime | None
    urgent: bool
    escalations: tuple[tuple[datetime, tuple[str, ...]], ...]


def plan_visit(
    playbook: Playbook,
    *,
    standard: str | None,
    arrival: datetime,
    confirmed_at: datetime,
    departure: datetime | None,
    now: datetime,
) -> list[PlannedTask]:
    """Every task of the visit's reception standard, timed from its arrival."""
    return [
        plan_task(
            template,
            arrival=arrival,
            confirmed_at=confirmed_at,
            departure=departure,
            now=now,
        )
        for template in playbook.for_standard(standard or None)
    ]


def plan_task(
    template: TaskTemplate,
    *,
    arrival: datetime,
    confirmed_at: datetime,
    departure: datetime | None,
    now: datetime,
) -> PlannedTask:
    timing = schedule(
        template, arrival=arrival, confirmed_at=confirmed_at, departure=departure, now=now
    )
    if timing is None:
        return PlannedTask(template, None, None, False, ())
    # A task sent late (last-minute notice, an earlier arrival) is not escalated for the
    # time before anyone saw it: its chain starts from when it goes out.
    escalate_from = max(timing.due_at, now)
    return PlannedTask(
        template,
        timing.remind_at,
        timing.due_at,
        timing.urgent,
        tuple(escalation_times(template, escalate_from)),
    )


def encode_escalation(levels: Sequence[EscalationLevel]) -> str:
    """`10:head;20:duty_manager+cs_lead`, stored with the task so history never moves."""
    return ";".join(
        f"{int(level.after.total_seconds() // 60)}:{'+'.join(level.notify)}" for level in levels
    )


def decode_escalation(text: str) -> tuple[EscalationLevel, ...]:
    levels = []
    for part in filter(None, text.split(";")):
        minutes, targets = part.split(":", 1)
        levels.append(EscalationLevel(timedelta(minutes=int(minutes)), tuple(targets.split("+"))))
    return tuple(levels)


def is_late_send(due_at: datetime, now: datetime) -> bool:
    """A reminder going out this long after its time says it is late."""
    return now - due_at > LATE_AFTER


# Telegram said "not yet": the first retry comes soon, later ones further apart, never more
# than a few minutes apart, so a reminder goes out soon after Telegram is back.
RETRY_FIRST = timedelta(seconds=2)
RETRY_MOST = timedelta(minutes=3)


def retry_delay(attempts: int, retry_after: float | None, *, jitter: float) -> timedelta:
    """How long to wait before try number `attempts + 1`: exponential from RETRY_FIRST, capped
    at RETRY_MOST, never sooner than Telegram's retry_after; `jitter` (0–1, random in the
    caller) spreads it by up to a fifth, so many rows failing together do not retry as one."""
    delay = min(RETRY_FIRST * (2 ** min(attempts, 16)), RETRY_MOST)
    delay += delay * (0.2 * jitter)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


# The status card's marks, in the order a duty manager reads them.
MARK_DONE = "✅"
MARK_WAITING = "⏳"
MARK_PROBLEM = "⚠️"
MARK_ESCALATED = "🔺"
MARK_NOT_YET = "▫️"


def task_mark(
    *,
    done: bool,
    open_problems: int,
    escalated_level: int,
    remind_at: datetime | None,
    due_at: datetime | None,
    now: datetime,
) -> str:
    """✅ done, ⚠️ an open problem, 🔺 escalated, ⏳ under way or overdue, ▫️ not started."""
    if done:
        return MARK_DONE if open_problems == 0 else MARK_PROBLEM
    if open_problems:
        return MARK_PROBLEM
    if escalated_level > 0:
        return MARK_ESCALATED
    if remind_at is not None and remind_at <= now:
        return MARK_WAITING
    if due_at is not None and due_at <= now:
        return MARK_WAITING
    return MARK_NOT_YET


def relative_time(moment: datetime, now: datetime) -> tuple[str, dict[str, int]]:
    """ "in 2 h 5 min" / "30 min ago" / "now", as a catalog key and its numbers."""
    minutes = round((moment - now).total_seconds() / 60)
    if minutes == 0:
        return "time.now", {}
    key = "time.in" if minutes > 0 else "time.ago"
    minutes = abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{key}_minutes", {"minutes": rest}
    if rest == 0:
        return f"{key}_hours", {"hours": hours}
    return f"{key}_hours_minutes", {"hours": hours, "minutes": rest}
