"""/myscore, /scores, /trend and /export scores (to be written)."""

from __future__ import annotations

from telegram import Update

from handlers.base import Context


async def myscore_command(update: Update, context: Context) -> None:
    raise NotImplementedError


async def scores_command(update: Update, context: Context) -> None:
    raise NotImplementedError


async def trend_command(update: Update, context: Context) -> None:
    raise NotImplementedError
