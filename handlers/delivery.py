"""Everything the bot sends on its own: the outbox of timed messages (assignments,
reminders, escalations) and the live status card. One repeating job (`hotel:tick`) drives
both. Handlers never send these themselves (a burst behind Telegram's flood limits would
hold up every other chat): they `nudge` the tick to run now, beside the update processing.

Exactly once: a reminder row is claimed by a conditional update before it is sent, and
each of its destinations is written at most once (storage.outbox). Telegram's "not yet"
(429, 5xx, no connection) puts the row back with a backoff; a row a stopped sender left
claimed is resumed by the next tick, and only the call that was under way — maybe sent —
is never resent but reported to CS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.reception import is_late_send
from bot.runtime import Runtime, runtime_in
from handlers import cards, evaluation_outbox, tasks
from handlers.kit.base import send_to_department
from handlers.kit.sending import Attempt, Outcome, backoff
from storage import visits
from storage.models import Reminder

log = logging.getLogger(__name__)

TICK_JOB = "hotel:tick"


# --- The tick ------------------------------------------------------------------------------------


def schedule_tick(application: Application) -> None:
    rt = runtime_in(application.bot_data)
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _tick,
        interval=rt.settings.tick_seconds,
        first=0.0,
        name=TICK_JOB,
        job_kwargs={
            "id": TICK_JOB,
            "replace_existing": True,
            # A late tick still runs (the default grace of 1 s would silently drop it),
            # and a slow one is never run twice at once.
            "misfire_grace_time": None,
            "coalesce": True,
            "max_instances": 1,
        },
    )


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_outbox(context.application)


def nudge(application: Application) -> None:
    """Run the outbox now, as a job of its own, instead of waiting for the next tick."""
    assert application.job_queue is not None
    application.job_queue.run_once(_tick, 0, name=f"{TICK_JOB}:nudge")


async def run_outbox(application: Application) -> None:
    """Resume what a stopped sender left, send every reminder that is due, redraw the task
    messages and status cards that changed; the six-hearts evaluation's month is opened and
    its reminders sent here too. One part failing never keeps the others from running."""
    rt = runtime_in(application.bot_data)
    if rt.tick_lock.locked():
        rt.tick_wanted = True
        return
    async with rt.tick_lock:
        rt.tick_wanted = True
        while rt.tick_wanted:
            rt.tick_wanted = False
            await _round(application.bot, rt)


async def _round(bot: Bot, rt: Runtime) -> None:
    await _part("resuming interrupted rows", resume_interrupted(bot, rt))
    await _part("the evaluation's part", evaluation_outbox.open_current_period(rt))
    await _part("the evaluation's reminders", evaluation_outbox.send_due(bot, rt))
    await _part("the VIP reminders", _send_due(bot, rt))
    await _part("task redraws", tasks.redraw_changed_tasks(bot, rt))
    await _part("status cards", cards.draw_changed_cards(bot, rt))


async def _part(what: str, work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        # The next tick tries again; nothing it had done is lost (every step is a row).
        log.exception("the tick's %s failed", what)


async def _send_due(bot: Bot, rt: Runtime) -> None:
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
        attempts = await tasks.deliver(bot, rt, reminder, late=late, now=now)
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


# A row claimed this long ago and still unfinished was left by a sender that stopped: a
# running one finishes a row (a few calls, each bounded by its timeouts) well within it.
CLAIM_LEASE = timedelta(minutes=3)


async def resume_interrupted(bot: Bot, rt: Runtime) -> None:
    """Rows a stopped sender (a crash, a kill, an instance gone) left claimed: resumed, so
    what had not gone out goes out; the call that was under way is never resent, and CS is
    told it may not have arrived."""
    await evaluation_outbox.resume_interrupted(rt, claimed_before=rt.clock() - CLAIM_LEASE)
    async with rt.sessions() as session:
        _, in_flight = await visits.interrupted_reminders(
            session, claimed_before=rt.clock() - CLAIM_LEASE
        )
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
