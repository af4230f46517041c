"""The one place that assembles the bot: `build_application()`, `start_bot()`, `stop_bot()`.

`main()` and the tests both call these, so what the tests drive is what runs in a hotel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.i18n import Catalog
from bot.runtime import RUNTIME_KEY, Runtime, utc_now
from bot.settings import Settings
from handlers import callbacks, common, errors, menus, org, roster, staff
from storage.db import make_engine, make_session_factory, upgrade_schema

BotApplication = Application
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> BotApplication:
    """The bot, with every handler registered in one ordered list."""
    engine = make_engine(settings.database_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        catalog=Catalog.load(settings.default_language),
        clock=clock,
    )
    application = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url_for(settings.telegram_api_base_url))
        # Telegram's flood limits (30/s overall, 20/min per group), retrying 429s it returns.
        .rate_limiter(AIORateLimiter(max_retries=3))
        # Every catalog text is Telegram HTML, its parameters escaped by the catalog.
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .build()
    )
    application.bot_data[RUNTIME_KEY] = runtime
    private = filters.ChatType.PRIVATE

    application.add_handlers(
        [
            # Registration runs first: while it waits for a name, that text is its.
            org.registration_conversation(),
            # Everyone: greeting, help, language.
            CommandHandler("start", common.start),
            CommandHandler("help", common.help_command),
            CommandHandler("language", common.language_command),
            CallbackQueryHandler(common.language_chosen, pattern=callbacks.pattern("lang")),
            # Admins, in a department's group or topic.
            CommandHandler("bind", org.bind),
            CommandHandler("unbind", org.unbind),
            MessageHandler(filters.StatusUpdate.MIGRATE, org.chat_migrated),
            # Approvers: the buttons on a registration request.
            CallbackQueryHandler(org.registration_decided, pattern=r"^reg:(ok|no):"),
            # Admins, in private: people and the roster.
            CommandHandler("staff", staff.staff_command),
            CallbackQueryHandler(staff.staff_button, pattern=callbacks.pattern("st")),
            CommandHandler("roster", roster.roster_command),
            MessageHandler(private & filters.Document.ALL, roster.roster_document),
            # What nothing above understood.
            MessageHandler(private & filters.COMMAND, common.unknown_command),
            MessageHandler(private & filters.TEXT, common.stray_text),
            CallbackQueryHandler(common.stale_button),
        ]
    )
    application.add_error_handler(errors.on_error)
    return application


def file_url_for(base_url: str) -> str:
    """Telegram serves files beside the API: …/bot → …/file/bot."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"


def runtime_of(application: BotApplication) -> Runtime:
    value = application.bot_data[RUNTIME_KEY]
    assert isinstance(value, Runtime)
    return value


async def start_bot(application: BotApplication) -> None:
    """Start-up work, called by `main()` and the tests alike (post_init skips `async with`)."""
    runtime = runtime_of(application)
    await upgrade_schema(runtime.engine)
    await menus.publish_command_menus(application, runtime.catalog)


async def stop_bot(application: BotApplication) -> None:
    await runtime_of(application).engine.dispose()
