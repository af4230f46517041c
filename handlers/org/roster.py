"""Roster import in chat: an admin sends a .csv or .xlsx file to the bot in private."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import Update

from bot.roster import RosterError, parse_roster, render_errors
from handlers.kit.base import Context, identify, is_private, reply, runtime
from storage import org
from storage.roster import import_roster

MAX_ROSTER_BYTES = 2 * 1024 * 1024
ROSTER_SUFFIXES = (".csv", ".xlsx")


async def roster_command(update: Update, context: Context) -> None:
    """Explains how to send the roster file (admins only)."""
    caller = await identify(update, context)
    if not caller.person.is_admin:
        await reply(update, caller.t("roster.not_admin"))
        return
    if not is_private(update):
        await reply(update, caller.t("common.private_only", bot=context.bot.username))
        return
    await reply(update, caller.t("roster.usage"))


async def roster_document(update: Update, context: Context) -> None:
    """Imports the roster file an admin sent; every bad line is listed and nothing is saved."""
    rt = runtime(context)
    caller = await identify(update, context)
    message = update.effective_message
    assert message is not None
    document = message.document
    assert document is not None
    filename = document.file_name or ""
    if not caller.person.is_admin:
        await reply(update, caller.t("roster.not_admin"))
        return
    if not filename.lower().endswith(ROSTER_SUFFIXES):
        await reply(update, caller.t("roster.wrong_file", filename=filename))
        return
    if document.file_size and document.file_size > MAX_ROSTER_BYTES:
        await reply(update, caller.t("roster.too_big"))
        return
    file = await document.get_file()
    content = bytes(await file.download_as_bytearray())
    async with rt.sessions() as session:
        codes = [d.code for d in await org.list_departments(session)]
        parsed = parse_roster(filename, content, department_codes=codes)
        if parsed.errors:
            await reply(update, _failure(caller.t, parsed.errors))
            return
        outcome = await import_roster(session, rows=parsed.rows, now=rt.clock())
    if outcome.errors:
        await reply(update, _failure(caller.t, outcome.errors))
        return
    await reply(
        update,
        caller.t(
            "roster.done",
            created=outcome.created,
            updated=outcome.updated,
            waiting=outcome.waiting,
        ),
    )


MAX_ERROR_LINES = 30
MAX_LINE_CHARS = 160  # a 5,000-character cell must not push the reply past Telegram's 4,096
MAX_REPLY_CHARS = 3800


def _failure(text: Callable[..., str], errors: Sequence[RosterError]) -> str:
    """The errors, one per line; a long list is cut so the reply stays within one message."""
    shortened = [
        RosterError(e.line, e.key, {k: _short(v) for k, v in e.params.items()}) for e in errors
    ]
    lines = [text("roster.failed")]
    shown = 0
    for line in render_errors(shortened, text):
        if shown == MAX_ERROR_LINES or sum(map(len, lines)) + len(line) > MAX_REPLY_CHARS:
            break
        lines.append(line)
        shown += 1
    if shown < len(errors):
        lines.append(text("roster.more_errors", count=len(errors) - shown))
    return "\n".join(lines)


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"
