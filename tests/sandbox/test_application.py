"""A whole PTB ``Application`` polling the sandbox, as the real bot will run in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from sandbox import Sandbox

from .conftest import TOKEN


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Check in", callback_data="in")]])
    await update.effective_message.reply_html(
        f"Welcome, <b>{update.effective_user.first_name if update.effective_user else ''}</b>",
        reply_markup=keyboard,
        do_quote=False,
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Checked in")
    await query.edit_message_text("Checked in ✅")


@pytest.fixture
async def app(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Application]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(sb.base_url)
        .base_file_url(sb.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=2)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_application_round_trip(sb: Sandbox, app: Application) -> None:
    guest = sb.add_user(1001, "Li Wei", language_code="zh")
    await sb.send_message(guest, text="/start")
    welcome = await sb.wait_for_message(guest)
    assert welcome["text"] == "Welcome, Li Wei"
    assert welcome["entities"] == [{"type": "bold", "offset": 9, "length": 6}]

    query_id = await sb.press_button(guest, None, welcome["message_id"], label="Check in")
    assert (await sb.wait_callback_answer(query_id)) == {
        "text": "Checked in",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    await sb.wait_idle()
    assert sb.messages(guest)[0]["text"] == "Checked in ✅"
    assert len(sb.edits(guest, welcome["message_id"])) == 1
    # Nothing else was sent.
    assert len(sb.messages(guest)) == 1
    assert sb.violations == []
    called = [m for m, _ in sb.requests]
    assert called[:2] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in called


async def test_application_retries_after_429(sb: Sandbox, app: Application) -> None:
    guest = sb.add_user(1001, "Li Wei")
    sb.inject_fault("sendMessage", "429", retry_after=1)
    await sb.send_message(guest, text="/start")
    welcome = await sb.wait_for_message(guest, timeout=6)
    assert welcome["text"] == "Welcome, Li Wei"
    sends = [m for m, _ in sb.requests if m == "sendMessage"]
    assert len(sends) == 2
    assert sb.errors[-1][2] == "Too Many Requests: retry after 1"
