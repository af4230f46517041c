"""/start, /help and /language, and the answers for what nothing else understood."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Catalog
from bot.menu import help_commands
from bot.org import Person
from handlers.kit import callbacks, sending
from handlers.kit.base import (
    Caller,
    Context,
    caller_for,
    greet,
    identify,
    is_private,
    pressed,
    reply,
    runtime,
    topic_of,
)
from handlers.kit.menus import show_personal_menu
from handlers.kit.outgoing import fit
from storage import org
from storage.models import STATUS_ACTIVE, STATUS_INACTIVE, STATUS_PENDING, Department


async def start(update: Update, context: Context) -> None:
    """Greets the person, says where they stand (visitor, waiting, staff) and what they can do."""
    rt = runtime(context)
    user = update.effective_user
    assert user is not None
    if not is_private(update):
        await group_help(update, context)
        return
    staff = await greet(update, context)
    async with rt.sessions() as session:
        view = await org.view_by_telegram_id(session, user.id)
        department = (
            await org.get_department(session, staff.department_code)
            if staff.department_code
            else None
        )
    caller = caller_for(rt, user, view)
    await show_personal_menu(context.bot, rt, user.id, caller.person, caller.language)
    dept_name = department_name(caller, department)
    if staff.status == STATUS_ACTIVE:
        roles = ", ".join(caller.t(f"role.{r}") for r in sorted(caller.person.effective_roles))
        status = caller.t("start.active", department=dept_name, roles=roles or "—")
    elif staff.status == STATUS_PENDING:
        status = caller.t("start.pending", department=dept_name)
    elif staff.status == STATUS_INACTIVE:
        status = caller.t("start.inactive")
    elif caller.person.is_configured_admin:
        status = caller.t("start.admin_unregistered")
    else:
        status = caller.t("start.visitor")
    text = "\n\n".join(
        [
            caller.t("start.welcome", name=staff.name or user.first_name),
            status,
            help_text(caller.catalog, caller.language, caller.person),
        ]
    )
    await reply(update, text)


async def help_command(update: Update, context: Context) -> None:
    """Lists the commands the sender's role can use, in their language."""
    if not is_private(update):
        await group_help(update, context)
        return
    caller = await identify(update, context)
    await reply(update, help_text(caller.catalog, caller.language, caller.person))


async def group_help(update: Update, context: Context) -> None:
    """In a group: what this chat is bound to, and how to talk to the bot privately."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    async with rt.sessions() as session:
        codes = await org.departments_bound_to(
            session, chat_id=message.chat_id, thread_id=topic_of(message)
        )
        departments = [await org.get_department(session, code) for code in codes]
    names = ", ".join(department_name(caller, d) for d in departments if d)
    bound = caller.t("group.bound", departments=names) if names else caller.t("group.unbound")
    await reply(update, "\n\n".join([bound, caller.t("group.help", bot=context.bot.username)]))


def help_text(catalog: Catalog, language: str, person: Person) -> str:
    lines = [catalog.text(language, "help.header")]
    lines += [
        f"/{name} — {catalog.text(language, f'command.{name}')}" for name in help_commands(person)
    ]
    return "\n".join(lines)


def department_name(caller: Caller, department: Department | None) -> str:
    """A department's name in the caller's language; "—" when there is none."""
    if department is None:
        return "—"
    return department.name_in(caller.language)


# --- /language -----------------------------------------------------------------------------------


async def language_command(update: Update, context: Context) -> None:
    """Offers the two languages and "follow my Telegram app" as buttons (in private: the
    choice is the presser's own, and only their own menu may make it)."""
    await greet(update, context)
    caller = await identify(update, context)
    if not is_private(update):
        await reply(update, caller.t("common.private_only", bot=context.bot.username))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "中文", callback_data=callbacks.encode(callbacks.LANGUAGE, "set", "zh")
                ),
                InlineKeyboardButton(
                    "English", callback_data=callbacks.encode(callbacks.LANGUAGE, "set", "en")
                ),
            ],
            [
                InlineKeyboardButton(
                    caller.t("language.follow_telegram"),
                    callback_data=callbacks.encode(callbacks.LANGUAGE, "set", "auto"),
                )
            ],
        ]
    )
    await reply(update, caller.t("language.prompt"), reply_markup=keyboard)


async def language_chosen(update: Update, context: Context) -> None:
    """Saves the presser's language and confirms in it."""
    rt, query, caller, data = await pressed(update, context)
    choice = data.args[0] if data and data.args else None
    if choice not in ("zh", "en", "auto") or caller.staff_id is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    async with rt.sessions() as session:
        await org.set_language(
            session,
            staff_id=caller.staff_id,
            language=None if choice == "auto" else choice,
            now=rt.clock(),
        )
    caller = await identify(update, context)
    # Saved: a second press on the same menu (the text is already this) or Telegram not
    # answering the edit is not a failure to show.
    await sending.quietly(query.answer(), "language answer")
    await sending.quietly(
        query.edit_message_text(
            fit(caller.t("language.saved", language=caller.t("language.name")))
        ),
        "language menu",
    )


# --- Fallbacks -----------------------------------------------------------------------------------


async def unknown_command(update: Update, context: Context) -> None:
    """In a private chat, a command the bot does not know gets a pointer to /help."""
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    command = message.text.split()[0].split("@")[0]
    await reply(update, caller.t("common.unknown_command", command=command))


async def unknown_command_in_reply(update: Update, context: Context) -> None:
    """In a group, a command the bot does not know may be another bot's, and is left alone;
    but one sent as a reply to the bot's own message (its question, say) is addressed to it,
    and gets the same pointer as in private."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    _command, _, addressee = message.text.split()[0].partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    await unknown_command(update, context)


async def stray_text(update: Update, context: Context) -> None:
    """Text in a private chat outside any conversation: say what the bot can do."""
    caller = await identify(update, context)
    await reply(update, caller.t("common.not_understood"))


async def stale_button(update: Update, context: Context) -> None:
    """A press no handler claimed: a forged, outdated or unknown button."""
    _rt, query, caller, _data = await pressed(update, context)
    await query.answer(caller.toast("common.stale_button"), show_alert=False)
