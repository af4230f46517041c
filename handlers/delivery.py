"""Everything the bot sends on its own: the outbox of timed messages (assignments,
reminders, escalations) and the live status card. One repeating job (`hotel:tick`) drives
both. Handlers never send these themselves (a burst behind Telegram's flood limits would
hold up every other chat): they `nudge` the tick to run now, beside the update processing.

Exactly once: a reminder row is claimed by a conditional update before it is sent and
marked sent after; a row left claimed by a crash is never resent but reported to CS.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.reception import is_late_send
from bot.runtime import Runtime, runtime_in
from handlers import cards, evaluation_outbox, tasks
from handlers.base import send_to_department
from storage import visits
from storage.models import Reminder, VisitTask

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
    """Send every reminder that is due, then redraw the status cards that changed; the
    six-hearts evaluation's month is opened and its reminders sent here too."""
    rt = runtime_in(application.bot_data)
    try:
        await evaluation_outbox.open_current_period(rt)
        await evaluation_outbox.send_due(application.bot, rt)
    except Exception:
        # The evaluation's messages can wait for the next tick; a VIP's reminders cannot.
        log.exception("the evaluation's part of the tick failed")
    while True:
        # One row at a time: a restart mid-broadcast leaves at most one message in doubt,
        # while a burst of assignments waits behind Telegram's flood limits.
        now = rt.clock()
        async with rt.sessions() as session:
            due = await visits.claim_due_reminders(session, now=now, limit=1)
        if not due:
            break
        await _deliver_one(application.bot, rt, due[0], now)
    while rt.tasks_to_redraw:
        await tasks.refresh_task_messages(application.bot, rt, rt.tasks_to_redraw.pop())
    await cards.draw_changed_cards(application.bot, rt)


async def _deliver_one(bot: Bot, rt: Runtime, reminder: Reminder, now: datetime) -> None:
    """Send one claimed row and record it. Each department's send handles its own refusal
    (tasks.deliver reports it to CS), so what reaches here is unexpected: the row is never
    resent, since part of it may have gone out, and CS hears that it may be incomplete."""
    assert reminder.id is not None
    late = is_late_send(reminder.due_at, now)
    try:
        await tasks.deliver(bot, rt, reminder, late=late, now=now)
    except Exception:
        log.exception("reminder %s failed part-way; it is not resent", reminder.id)
        await report_uncertain(bot, rt, [reminder])
    async with rt.sessions() as session:
        await visits.finish_reminder(session, reminder_id=reminder.id, now=now, late=late)


async def recover_after_restart(bot: Bot, rt: Runtime) -> None:
    """Reminders a previous run was sending when it stopped: reported, never resent."""
    await evaluation_outbox.recover_after_restart(rt)
    async with rt.sessions() as session:
        interrupted = await visits.interrupted_reminders(session)
    if interrupted:
        await report_uncertain(bot, rt, interrupted)


async def report_uncertain(bot: Bot, rt: Runtime, reminders: list[Reminder]) -> None:
    language = rt.settings.default_language
    for reminder in reminders:
        async with rt.sessions() as session:
            task: VisitTask | None = await visits.get_task(session, reminder.task_id)
        if task is None:
            continue
        title = task.title_in(language)
        text = rt.catalog.text(language, "task.uncertain", visit=task.visit_id, title=title)
        try:
            await send_to_department(bot, rt, "cs", text)
        except TelegramError:
            log.exception("could not report an uncertain reminder")
