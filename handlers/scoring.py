"""The /score conversation (to be written)."""

from __future__ import annotations

from telegram import Update

from handlers import common
from handlers.base import Context


async def score_command(update: Update, context: Context) -> None:
    raise NotImplementedError


async def score_button(update: Update, context: Context) -> None:
    raise NotImplementedError


async def score_text(update: Update, context: Context) -> None:
    await common.stray_text(update, context)
