"""/export: one command, a workbook per capability — `/export visits 2026-11` (the VIP
receptions, handlers.reception.visits) and `/export scores 2026-11` (the six-hearts
results, handlers.evaluation.results), each with its own rights. With bot/app.py and
handlers/outbox.py, the only module that knows every capability."""

from __future__ import annotations

from telegram import Update

from handlers.evaluation import reports
from handlers.kit.base import Context, identify
from handlers.reception import archive


async def export_command(update: Update, context: Context) -> None:
    caller = await identify(update, context)
    words = list(context.args or [])
    kind = words[0].lower() if words else ""
    if kind == "scores":
        await reports.export_scores(update, context, caller, words[1:])
        return
    # Anything else is the visits' workbook: a command it cannot read gets its usage, after
    # the private-chat and rights checks, as before there were two.
    await archive.export_visits(update, context, caller, words[1:] if kind == "visits" else [])
