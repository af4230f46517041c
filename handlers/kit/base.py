"""What every handler shares: the runtime, who is asking, and how to answer them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from telegram import Bot, CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Catalog
from bot.org import Person, pick_language
from bot.runtime import Runtime, runtime_in
from handlers.kit import callbacks, sending
from handlers.kit.menus import show_personal_menu
from handlers.kit.outgoing import Limit, fit, plain, with_note
from storage import org
from storage.models import Staff
from storage.org import StaffView

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)


def runtime(context: Context) -> Runtime:
    return runtime_in(context.bot_data)


@dataclass(frozen=True)
class Caller:
    """The person behind an update: their staff record (if any), rights and language."""

    user: User
    view: StaffView | None
    person: Person
    language: str
    catalog: Catalog

    def t(self, key: str, /, **params: Any) -> str:
        """A catalog text as Telegram HTML, for messages."""
        return self.catalog.text(self.language, key, **params)

    def toast(self, key: str, /, **params: Any) -> str:
        """A catalog text as plain text, for button answers (Telegram shows them unparsed)."""
        return fit(plain(self.t(key, **params)), Limit.ANSWER)

    @property
    def staff_id(self) -> int | None:
        return self.view.staff.id if self.view else None


async def note_sender(update: Update, context: Context) -> None:
    """Once per update, before any handler (bot/app.py): what the bot keeps of whoever sent
    it. An admin from ADMIN_USER_IDS gets a record before ever sending /start (so what they
    do is recorded as theirs); a person's Telegram app language is noted (what the bot
    sends first follows it); in private, their menu shows what their roles allow. The
    handlers' `identify` then only reads."""
    rt = runtime(context)
    user = update.effective_user
    if user is None:
        return
    async with rt.sessions() as session:
        view = await org.view_by_telegram_id(session, user.id)
        staff = view.staff if view is not None else None
        if (
            staff is not None
            and staff.id is not None
            and user.language_code
            and staff.telegram_language != user.language_code[:16]
        ):
            await org.note_telegram_language(
                session, staff_id=staff.id, language_code=user.language_code
            )
    if view is None and user.id in rt.settings.admin_user_ids:
        await greet(update, context)
        async with rt.sessions() as session:
            view = await org.view_by_telegram_id(session, user.id)
    if is_private(update):
        # The view read above, not a second `identify`: this runs for every update.
        caller = caller_for(rt, user, view)
        await show_personal_menu(context.bot, rt, user.id, caller.person, caller.language)


async def identify(update: Update, context: Context) -> Caller:
    """Who sent the update, as the rules see them (their record, roles and language). It
    only reads: what is kept of the sender is `note_sender`'s."""
    rt = runtime(context)
    user = update.effective_user
    assert user is not None, "handlers are registered for updates that have a user"
    async with rt.sessions() as session:
        view = await org.view_by_telegram_id(session, user.id)
    return caller_for(rt, user, view)


async def greet(update: Update, context: Context) -> Staff:
    """Record the sender (name, username, app language); claims a roster row by username."""
    rt = runtime(context)
    user = update.effective_user
    assert user is not None
    async with rt.sessions() as session:
        return await org.greet_user(
            session,
            telegram_id=user.id,
            username=user.username,
            first_name=user.first_name,
            language_code=user.language_code,
            now=rt.clock(),
        )


def caller_for(rt: Runtime, user: User, view: StaffView | None) -> Caller:
    staff = view.staff if view else None
    language = pick_language(
        staff.language if staff else None, user.language_code, rt.settings.default_language
    )
    return Caller(user, view, person_of(rt, user.id, view), language, rt.catalog)


def person_of(rt: Runtime, telegram_id: int, view: StaffView | None) -> Person:
    """The rules' view of someone: roles only count while they are active staff."""
    return Person(
        telegram_id=telegram_id,
        roles=view.roles if view else frozenset(),
        department=view.staff.department_code if view else None,
        is_active=bool(view and view.is_active),
        is_configured_admin=telegram_id in rt.settings.admin_user_ids,
    )


def language_for(rt: Runtime, view: StaffView | None) -> str:
    """The language of someone we write to first (no update of theirs at hand)."""
    if view is None:
        return rt.settings.default_language
    staff = view.staff
    return pick_language(staff.language, staff.telegram_language, rt.settings.default_language)


def texts_for(rt: Runtime, view: StaffView | None) -> Callable[..., str]:
    """The catalog in the language of someone we write to first: t(key, **params)."""
    return functools.partial(rt.catalog.text, language_for(rt, view))


class Press(NamedTuple):
    """A button press as its handler reads it: `rt, query, caller, data = await pressed(…)`.
    `data` is None when the callback data is not of our protocol's shape (stale or forged);
    the press guard (handlers.kit.guard) has already refused what its rule does not allow."""

    rt: Runtime
    query: CallbackQuery
    caller: Caller
    data: callbacks.Callback | None


async def pressed(update: Update, context: Context) -> Press:
    """The runtime, the query, who pressed and the parsed data of a press, in one call."""
    query = update.callback_query
    assert query is not None, "registered for callback queries only"
    caller = await identify(update, context)
    return Press(runtime(context), query, caller, callbacks.parse(query.data))


def pressed_message(update: Update) -> Message | None:
    """The message whose button was pressed, if Telegram still lets the bot see it."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return None
    return query.message


async def replace_buttons(
    update: Update, markup: InlineKeyboardMarkup | None, *, note: str = ""
) -> None:
    """Swap the buttons of the pressed message (and add a line to it, if `note`).

    Done with editMessageText rather than editMessageReplyMarkup: with a default parse
    mode PTB also sends `parse_mode` to the latter, a parameter that method does not have.
    """
    message = pressed_message(update)
    if message is None or message.text is None:
        return
    if not note and message.reply_markup == markup:
        return  # Telegram refuses an edit that changes nothing
    await message.edit_text(with_note(message.text_html, note), reply_markup=markup)


async def reply(update: Update, text: str, **kwargs: Any) -> Message:
    """Answer in the chat (and forum topic) the update came from."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(fit(text), do_quote=False, **kwargs)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == Chat.PRIVATE


def topic_of(message: Message) -> int | None:
    """The forum topic a message was sent in; None for plain groups and the General topic."""
    return message.message_thread_id if message.is_topic_message else None


# --- Messages the bot starts -------------------------------------------------------------


async def send_private(bot: Bot, telegram_id: int, text: str, **kwargs: Any) -> Message | None:
    """A private message the bot starts (a decision, a notice): "not yet" is tried again a
    few times; a refusal (they never opened a chat with the bot) or a maybe-sent timeout is
    logged with Telegram's reason. Never raises: what was saved before it stands."""
    text = fit(text)
    found = await sending.with_retries(lambda: bot.send_message(telegram_id, text, **kwargs))
    if not found.sent:
        log.warning("private message to %s: %s (%s)", telegram_id, found.outcome, found.reason)
    return found.message


async def send_to_department(
    bot: Bot, rt: Runtime, department: str, text: str, **kwargs: Any
) -> Message | None:
    """A message to the department's bound chat or topic; None when it has none, or when
    Telegram refused it or did not answer after a few tries (logged). Never raises."""
    async with rt.sessions() as session:
        binding = await org.get_binding(session, department)
    if binding is None:
        return None
    text = fit(text)
    found = await sending.with_retries(
        lambda: bot.send_message(
            binding.chat_id, text, message_thread_id=binding.thread_id, **kwargs
        )
    )
    if not found.sent:
        log.warning("message to %s's chat: %s (%s)", department, found.outcome, found.reason)
    return found.message


async def edit_screen(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Redraw the pressed message as a screen (a menu, a step of a conversation). The same
    screen again (a repeated press) is fine; any other refusal is an error."""
    message = pressed_message(update)
    if message is None:
        return
    try:
        await message.edit_text(fit(text), reply_markup=markup)
    except BadRequest as exc:
        if not sending.not_modified(exc.message):
            raise


async def edit_quietly(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Redraw a message after a change already saved: one that did not change, or is gone,
    or that Telegram will not edit now, is logged, never an error (the change stands)."""
    try:
        await bot.edit_message_text(
            fit(text), chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except BadRequest as exc:
        if not sending.not_modified(exc.message):
            log.warning("could not redraw message %s in %s: %s", message_id, chat_id, exc)
