"""The last line of defence: log, apologise in one sentence, tell the admins once."""

from __future__ import annotations

import logging
from pathlib import Path

from telegram import Update
from telegram.error import NetworkError, RetryAfter

from handlers.kit import sending
from handlers.kit.base import Context, identify, language_for, plain, runtime
from handlers.kit.outgoing import Limit, fit
from storage import org

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Logs the traceback; the user gets an apology, never the traceback itself."""
    error = context.error
    # Telegram not answering one of the handler's calls (a 5xx, a timeout, flood control)
    # is no bug of ours, and what the handler saved before it stands: the person is told
    # Telegram was slow, not that their change failed.
    transient = isinstance(error, NetworkError | RetryAfter)
    if transient:
        log.warning("Telegram did not answer while handling %r: %s", update, error)
    else:
        log.error("while handling %r", update, exc_info=error)
    if error is None:
        return
    rt = runtime(context)
    if isinstance(update, Update) and update.effective_user is not None:
        caller = None
        try:
            caller = await identify(update, context)
        except Exception:  # the database may be what failed; apologise in the default language
            log.exception("could not identify the user while reporting an error")
        language = caller.language if caller else rt.settings.default_language
        text = rt.catalog.text(language, "error.telegram" if transient else "error.generic")
        # The apology is one more call to a Telegram that may be failing: what it does is
        # logged as a warning, never raised or logged as another error.
        if update.callback_query is not None:
            await sending.quietly(
                update.callback_query.answer(fit(plain(text), Limit.ANSWER), show_alert=True),
                "apology",
            )
        elif update.effective_message is not None:
            await sending.quietly(
                update.effective_message.reply_text(fit(text), do_quote=False), "apology"
            )
    await _tell_admins_once(context, error)


PROJECT_ROOT = Path(__file__).resolve().parents[2]  # handlers/kit/errors.py → the project


def _our_deepest_frame(error: BaseException) -> str:
    """Where in our code the error surfaced (`handlers/org/staff.py:120`): the same bug, the
    same place, however deep in a library it was finally raised."""
    where = "?"
    frame = error.__traceback__
    while frame is not None:
        path = Path(frame.tb_frame.f_code.co_filename).resolve()
        if path.is_relative_to(PROJECT_ROOT) and "site-packages" not in path.parts:
            where = f"{path.relative_to(PROJECT_ROOT)}:{frame.tb_lineno}"
        frame = frame.tb_next
    return where


async def _tell_admins_once(context: Context, error: BaseException) -> None:
    rt = runtime(context)
    where = _our_deepest_frame(error)
    signature = f"{type(error).__name__}@{where}"
    if signature in rt.reported_errors:
        return
    rt.reported_errors.add(signature)
    languages: dict[int, str] = {}
    try:
        async with rt.sessions() as session:
            admins = await org.admin_telegram_ids(session, rt.settings.admin_user_ids)
            for admin in admins:
                languages[admin] = language_for(rt, await org.view_by_telegram_id(session, admin))
    except Exception:
        log.exception("could not list the admins to report an error")
        admins = sorted(rt.settings.admin_user_ids)
    # The type and where it happened, enough to find it in the log; no traceback in chat.
    summary = f"{type(error).__name__} — {where}"
    for admin in admins:
        language = languages.get(admin, rt.settings.default_language)
        text = rt.catalog.text(language, "error.admin_report", error=summary)
        # An admin who never opened a chat with the bot cannot be told (a refusal).
        await sending.quietly(
            context.bot.send_message(admin, fit(text)), f"report to admin {admin}"
        )
