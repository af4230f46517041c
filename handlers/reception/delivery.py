"""The VIP part of the outbox: timed messages (assignments, reminders, escalations), sent by
the one tick (handlers.outbox). Handlers never send these themselves (a burst behind
Telegram's flood limits would hold up every other chat): they `nudge` the tick
(handlers.kit.tick) to run now, beside the update processing.

Exactly once: a reminder row is claimed by a conditional update before it is sent, and
each of its destinations is written at most once (storage.outbox). Telegram's "not yet"
(429, 5xx, no connection) puts the row back with a backoff; a row a stopped sender left
claimed is resumed by the next tick, and only the call that was under way — maybe sent —
is never resent but reported to CS.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot

from bot.reception import is_late_send
from bot.runtime import Runtime
from handlers.kit.base import send_to_department
from handlers.kit.sending import Attempt, Outcome, backoff
from handlers.reception import task_messages
from storage import visits
from storage.models import Reminder

log = logging.getLogger(__name__)

TICK_JOB = "hotel:tick"


async def send_due(bot: Bot, rt: Runtime) -> None:
    """Every VIP reminder that is due, sent and recorded (the tick calls this)."""
    while True:
        # One row at a time: a restart mid-broadcast leaves at most one call in doubt, while
        # a burst of assignments waits behind Telegram's flood limits.
        now = rt.clock()
        async with rt.sessions() as session:
            due = await visits.claim_due_reminders(session, now=now, limit=1)
        if not due:
            return
        await _deliver_one(bot, rt, due[0], now)


async def _deliver_one(bot: Bot, rt: Runtime, reminder: Reminder, now: datetime) -> None:
    """Send one claimed row and record it: finished, or — if Telegram said "not yet" at some
    destination, or something unexpected broke off the row — tried again after a backoff,
    at just the destinations it has not reached."""
    assert reminder.id is not None
    late = is_late_send(reminder.due_at, now)
    try:
        attempts = await task_messages.deliver(bot, rt, reminder, late=late, now=now)
    except Exception:
        log.exception("reminder %s broke off; it is tried again", reminder.id)
        attempts = [Attempt(Outcome.NOT_YET, reason="error")]
    waiting = [a for a in attempts if a.outcome is Outcome.NOT_YET]
    async with rt.sessions() as session:
        if waiting:
            await visits.postpone_reminder(
                session,
                reminder_id=reminder.id,
                next_try_at=now + backoff(reminder.attempts, waiting),
            )
        else:
            await visits.finish_reminder(session, reminder_id=reminder.id, now=now, late=late)


async def resume_interrupted(bot: Bot, rt: Runtime, *, claimed_before: datetime) -> None:
    """VIP rows a stopped sender left claimed before `claimed_before`: resumed; CS is told
    the call that was under way may not have arrived (it is never resent)."""
    async with rt.sessions() as session:
        _, in_flight = await visits.interrupted_reminders(session, claimed_before=claimed_before)
    if in_flight:
        await report_uncertain(bot, rt, [send.row_id for send in in_flight])


async def report_uncertain(bot: Bot, rt: Runtime, reminder_ids: list[int]) -> None:
    language = rt.settings.default_language
    for reminder_id in dict.fromkeys(reminder_ids):
        async with rt.sessions() as session:
            reminder = await session.get(Reminder, reminder_id)
            task = await visits.get_task(session, reminder.task_id) if reminder else None
        if task is None:
            continue
        title = task.title_in(language)
        text = rt.catalog.text(language, "task.uncertain", visit=task.visit_id, title=title)
        await send_to_department(bot, rt, "cs", text)
