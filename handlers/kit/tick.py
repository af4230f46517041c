"""Asking the one outbox tick (handlers.outbox) to run now, by its job's name: a handler
that changed something to send or redraw nudges it instead of sending itself, and the kit
needs to know nothing of what the tick does."""

from __future__ import annotations

from telegram.ext import Application

TICK_JOB = "hotel:tick"


def nudge(application: Application) -> None:
    """Run the tick now, as a job of its own, instead of waiting for its next turn."""
    assert application.job_queue is not None
    for job in application.job_queue.get_jobs_by_name(TICK_JOB):
        application.job_queue.run_once(job.callback, 0, name=f"{TICK_JOB}:nudge")
        return
