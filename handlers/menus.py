"""The command menus Telegram shows beside the text box, per chat kind and language."""

from __future__ import annotations

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from telegram.ext import Application

from bot.i18n import LANGUAGES, Catalog
from bot.org import COMMANDS_BY_ROLE, COMMANDS_FOR_EVERYONE

# Telegram shows a group's administrators their own menu; bindings are theirs to make.
GROUP_COMMANDS = ("start", "help", "language", "visits", "visit")
GROUP_ADMIN_COMMANDS = ("start", "help", "language", "visits", "visit", "bind", "unbind")
PRIVATE_COMMANDS = tuple(
    dict.fromkeys(
        [*COMMANDS_FOR_EVERYONE, *(c for cmds in COMMANDS_BY_ROLE.values() for c in cmds)]
    )
)


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
