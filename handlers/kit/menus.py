"""The command menus Telegram shows beside the text box, per chat kind and language, and
each person's own menu in their private chat: only the commands their roles may use."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import LANGUAGES, Catalog
from bot.menu import COMMANDS_FOR_EVERYONE, help_commands
from bot.org import Person
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Telegram shows a group's administrators their own menu; bindings are theirs to make.
GROUP_COMMANDS = ("start", "help", "visits", "visit")
GROUP_ADMIN_COMMANDS = ("start", "help", "visits", "visit", "bind", "unbind")
# Until someone's own menu is set (their first private message), the menu shows what
# anyone may use; a role's commands appear once the bot knows the person holds it.
PRIVATE_COMMANDS = COMMANDS_FOR_EVERYONE


async def publish_command_menus(application: Application, catalog: Catalog) -> None:
    bot = application.bot
    scopes: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
        (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
        (BotCommandScopeAllChatAdministrators(), GROUP_ADMIN_COMMANDS),
    )
    for language in LANGUAGES:
        for scope, names in scopes:
            commands = [BotCommand(n, catalog.text(language, f"command.{n}")) for n in names]
            await bot.set_my_commands(commands, scope=scope, language_code=language)
    # Everyone else (other app languages) gets the hotel's default language.
    default = catalog.default_language
    for scope, names in (*scopes, (BotCommandScopeDefault(), PRIVATE_COMMANDS)):
        commands = [BotCommand(n, catalog.text(default, f"command.{n}")) for n in names]
        await bot.set_my_commands(commands, scope=scope)


async def show_personal_menu(
    bot: Bot, rt: Runtime, telegram_id: int, person: Person, language: str
) -> None:
    """Set the person's private-chat menu to what their roles allow, in their language,
    unless it already is (so a staff member never sees /review or /sign)."""
    names = tuple(help_commands(person))
    if rt.menus_shown.get(telegram_id) == (language, names):
        return
    commands = [BotCommand(n, rt.catalog.text(language, f"command.{n}")) for n in names]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(telegram_id))
    except TelegramError as exc:
        log.info("could not set the menu of %s: %s", telegram_id, exc)
        return
    rt.menus_shown[telegram_id] = (language, names)
