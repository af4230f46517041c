"""The one tick: everything the bot sends on its own, driven by one repeating job
(`hotel:tick`, handlers.kit.tick). Each round resumes what a stopped sender left, sends what
each capability has due, then redraws the task messages and status cards that changed. One
part failing never keeps the others from running.

Exactly once: a reminder row is claimed by a conditional update before it is sent, and
each of its destinations is written at most once (storage.outbox). Telegram's "not yet"
(429, 5xx, no connection) puts the row back with a backoff; a row a stopped sender left
claimed is resumed by the next tick, and only the call that was under way — maybe sent —
is never resent but reported to CS.

With bot/app.py and handlers/exports.py, the only module that knows every capability.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import timedelta

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.runtime import Runtime, runtime_in
from handlers.evaluation import outbox as evaluation_outbox
from handlers.kit.tick import TICK_JOB
from handlers.reception import cards, delivery, task_messages

log = logging.getLogger(__name__)

# A row claimed this long ago and still unfinished was left by a sender that stopped: a
# running one finishes a row (a few calls, each bounded by its timeouts) well within it.
CLAIM_LEASE = timedelta(minutes=3)


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


async def run_outbox(application: Application) -> None:
    """One round, or — if one is under way in this process — one more after it."""
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
    await _part("the VIP reminders", delivery.send_due(bot, rt))
    await _part("task redraws", task_messages.redraw_changed_tasks(bot, rt))
    await _part("status cards", cards.draw_changed_cards(bot, rt))


async def _part(what: str, work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        # The next tick tries again; nothing it had done is lost (every step is a row).
        log.exception("the tick's %s failed", what)


async def resume_interrupted(bot: Bot, rt: Runtime) -> None:
    """Rows a stopped sender (a crash, a kill, an instance gone) left claimed: resumed, so
    what had not gone out goes out; the call that was under way is never resent, and CS is
    told it may not have arrived."""
    claimed_before = rt.clock() - CLAIM_LEASE
    await evaluation_outbox.resume_interrupted(rt, claimed_before=claimed_before)
    await delivery.resume_interrupted(bot, rt, claimed_before=claimed_before)
