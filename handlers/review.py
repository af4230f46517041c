"""/review, /sign and /period (to be written)."""

from __future__ import annotations

from telegram import Update

from handlers.base import Caller, Context


async def review_command(update: Update, context: Context) -> None:
    raise NotImplementedError


async def review_button(update: Update, context: Context) -> None:
    raise NotImplementedError


async def return_reason_answered(
    update: Update, context: Context, caller: Caller, evaluation_id: int, reason: str
) -> None:
    raise NotImplementedError


async def sign_command(update: Update, context: Context) -> None:
    raise NotImplementedError


async def sign_button(update: Update, context: Context) -> None:
    raise NotImplementedError


async def period_command(update: Update, context: Context) -> None:
    raise NotImplementedError
