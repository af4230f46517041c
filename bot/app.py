"""The one place that assembles the bot: `build_application()`, `start_bot()`, `stop_bot()`.

`main()` and the tests both call these, so what the tests drive is what runs in a hotel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    SimpleUpdateProcessor,
    TypeHandler,
    filters,
)

from bot.i18n import Catalog
from bot.playbook import load_playbook
from bot.runtime import RUNTIME_KEY, Runtime, runtime_in, utc_now
from bot.settings import Settings
from handlers import exports, outbox
from handlers.evaluation import (
    periods,
    reports,
    results,
    review,
    scoring,
    scoring_comments,
    signing,
)
from handlers.kit import (
    base,
    callbacks,
    conversations,
    errors,
    everyone,
    guard,
    menus,
    prompts,
)
from handlers.org import bindings, registration, roster, staff
from handlers.reception import cross_check, task_buttons, vip
from handlers.reception import visits as visit_handlers
from storage import org as org_storage
from storage.db import make_engine, make_session_factory, upgrade_schema
from storage.models import DRAFT_REGISTER, DRAFT_VIP

BotApplication = Application
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    rate_limiter: AIORateLimiter | None = None,
    update_processor: BaseUpdateProcessor | None = None,
) -> BotApplication:
    """The bot, with every handler registered in one ordered list.

    `rate_limiter` defaults to Telegram's flood limits (30 messages a second overall, 20 a
    minute per group), retrying what Telegram still refuses with retry_after.
    `update_processor` defaults to PTB's: one update at a time, in order (a test passes one
    that also remembers which updates it finished).
    """
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
        .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        .concurrent_updates(update_processor or SimpleUpdateProcessor(max_concurrent_updates=1))
        # Every catalog text is Telegram HTML, its parameters escaped by the catalog.
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .build()
    )
    application.bot_data[RUNTIME_KEY] = runtime
    private = filters.ChatType.PRIVATE
    prompt_answers = prompts.reply_handler(
        {
            "return_reason": prompts.Question(cross_check.return_with_reason),
            "problem": prompts.Question(task_buttons.problem_described),
            "arrival": prompts.Question(
                visit_handlers.arrival_answered, check=visit_handlers.check_arrival
            ),
            "eval_return": prompts.Question(review.return_reason_answered),
        },
        unclaimed=scoring_comments.comment_as_reply,
    )
    # The conversations kept as rows (storage.drafts), by the kind of their draft.
    drafted = {DRAFT_VIP: vip.CONVERSATION, DRAFT_REGISTER: registration.REGISTRATION}

    # Every update, first of all: what is kept of its sender (kit.base.note_sender).
    application.add_handler(TypeHandler(Update, base.note_sender), group=-2)
    # Every button press, before any handler: the rule its prefix declares (who, where,
    # which message its ids belong to). A refused press stops here with a toast.
    application.add_handlers([CallbackQueryHandler(guard.check_press)], group=-1)
    # Before everything else (group -1): private text while a /vip or /register draft waits
    # is its answer, whichever instance gets it. Without a draft, the text goes on to the
    # list below (a comment the /score conversation waits for, or stray text).
    application.add_handler(
        MessageHandler(
            private & filters.TEXT & ~filters.COMMAND & ~filters.REPLY,
            conversations.text_handler(drafted),
        ),
        group=-1,
    )
    application.add_handlers(
        [
            # The /vip and /register conversations: their commands and buttons.
            CommandHandler("vip", vip.vip_start),
            CallbackQueryHandler(
                vip.vip_summary_button, pattern=callbacks.pattern(callbacks.NOTICE)
            ),
            CallbackQueryHandler(
                vip.vip_correct, pattern=callbacks.pattern(callbacks.CROSS_CHECK, "fix")
            ),
            CommandHandler("register", registration.register_start),
            CallbackQueryHandler(
                registration.register_department,
                pattern=callbacks.pattern(callbacks.REGISTER, "dept"),
            ),
            CommandHandler("cancel", conversations.cancel_handler(drafted), filters=private),
            # Replies to the bot's ForceReply questions (return reasons, problems), any chat.
            MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, prompt_answers),
            # Everyone: greeting, help, language.
            CommandHandler("start", everyone.start),
            CommandHandler("help", everyone.help_command),
            CommandHandler("language", everyone.language_command),
            CallbackQueryHandler(
                everyone.language_chosen, pattern=callbacks.pattern(callbacks.LANGUAGE)
            ),
            # Admins, in a department's group or topic.
            CommandHandler("bind", bindings.bind),
            CommandHandler("unbind", bindings.unbind),
            MessageHandler(filters.StatusUpdate.MIGRATE, bindings.chat_migrated),
            # Approvers: the buttons on a registration request.
            CallbackQueryHandler(
                registration.registration_decided,
                pattern=callbacks.pattern(callbacks.REGISTER, "ok", "no"),
            ),
            # Admins, in private: people and the roster.
            CommandHandler("staff", staff.staff_command),
            CallbackQueryHandler(staff.staff_button, pattern=callbacks.pattern(callbacks.STAFF)),
            CommandHandler("roster", roster.roster_command),
            MessageHandler(private & filters.Document.ALL, roster.roster_document),
            # VIP receptions: the cross-check, the task buttons, the visits.
            CallbackQueryHandler(
                cross_check.cross_check_button,
                pattern=callbacks.pattern(callbacks.CROSS_CHECK, "ok", "ret"),
            ),
            CallbackQueryHandler(
                task_buttons.task_button, pattern=callbacks.pattern(callbacks.TASK)
            ),
            CallbackQueryHandler(
                task_buttons.resolve_button, pattern=callbacks.pattern(callbacks.PROBLEM)
            ),
            CallbackQueryHandler(
                visit_handlers.card_arrival_button,
                pattern=callbacks.pattern(callbacks.CARD, "arr"),
            ),
            CommandHandler("visits", visit_handlers.visits_command),
            CommandHandler("visit", visit_handlers.visit_command),
            CommandHandler("arrival", visit_handlers.arrival_command),
            CommandHandler("cancelvisit", visit_handlers.cancel_visit_command),
            CommandHandler("complete", visit_handlers.complete_command),
            CallbackQueryHandler(
                visit_handlers.close_button, pattern=callbacks.pattern(callbacks.CLOSE_VISIT)
            ),
            CommandHandler("export", exports.export_command),
            # Six-hearts evaluation: private conversations (a group gets one line saying so).
            CommandHandler("score", scoring.score_command),
            CallbackQueryHandler(scoring.score_button, pattern=callbacks.pattern(callbacks.SCORE)),
            CommandHandler("review", review.review_command),
            CallbackQueryHandler(
                review.review_button, pattern=callbacks.pattern(callbacks.REVIEW)
            ),
            CommandHandler("sign", signing.sign_command),
            CallbackQueryHandler(signing.sign_button, pattern=callbacks.pattern(callbacks.SIGN)),
            CommandHandler("period", periods.period_command),
            CommandHandler("myscore", results.myscore_command),
            CommandHandler("scores", reports.scores_command),
            CommandHandler("trend", results.trend_command),
            # What nothing above understood. Private text may be a comment the scoring
            # conversation is waiting for; otherwise it is stray.
            MessageHandler(private & filters.COMMAND, everyone.unknown_command),
            MessageHandler(filters.REPLY & filters.COMMAND, everyone.unknown_command_in_reply),
            MessageHandler(private & filters.TEXT, scoring_comments.score_text),
            CallbackQueryHandler(everyone.stale_button),
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
    return runtime_in(application.bot_data)


async def start_bot(application: BotApplication) -> None:
    """Start-up work, called by `main()` and the tests alike (post_init skips `async with`)."""
    runtime = runtime_of(application)
    await upgrade_schema(runtime.engine)
    async with runtime.sessions() as session:
        codes = [d.code for d in await org_storage.list_departments(session)]
    # A malformed playbook stops start-up here, naming the file, the line and the reason.
    runtime.playbook = load_playbook(runtime.settings.playbook_path, department_codes=codes)
    await menus.publish_command_menus(application, runtime.catalog)
    # Reminders are rows; one repeating job sends whatever is due, including anything that
    # fell due while the bot was down (marked late), and resumes what a stopped run left.
    outbox.schedule_tick(application)


async def stop_bot(application: BotApplication) -> None:
    await runtime_of(application).engine.dispose()
