"""The one exit for every text the bot sends: fitted to Telegram's limits on the way out.

`fit(text, Limit.MESSAGE)` for a message or an edit, `Limit.CAPTION` for a caption (both
Telegram HTML), `Limit.ANSWER` for a button's answer (plain text). A text that must arrive
whole (a long list) goes out with `reply_whole` instead: as a .txt document when too long.
"""

from __future__ import annotations

import html
import re
from typing import Any

from telegram import InputFile, Message, Update

from bot.limits import Limit, fit_html, fit_plain, html_length, visible

__all__ = ["Limit", "fit", "plain", "reply_whole", "with_note"]


def fit(text: str, limit: Limit = Limit.MESSAGE) -> str:
    """`text` within `limit` as Telegram counts it: cut with "…", HTML kept well-formed.
    A button's answer (Limit.ANSWER) is plain text; messages and captions are HTML."""
    if limit is Limit.ANSWER:
        return fit_plain(text, limit)
    return fit_html(text, limit)


def plain(text: str) -> str:
    """Telegram HTML reduced to what a reader sees, for places that take no markup."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def with_note(text: str, note: str) -> str:
    """A message's text with a line added below it (who resolved it, an outcome): the note
    is what matters, so the old text gives way to it when both are long."""
    if not note:
        return fit(text)
    note = fit_html(note, Limit.MESSAGE // 4)
    return fit_html(text, Limit.MESSAGE - html_length(note) - 2) + "\n\n" + note


async def reply_whole(
    update: Update, text: str, *, filename: str, caption: str, **kwargs: Any
) -> Message:
    """Answer with `text` as a message when it fits, else as a .txt document (the whole
    of it, as a reader sees it) captioned with `caption`: for lists nobody should lose."""
    message = update.effective_message
    assert message is not None
    if html_length(text) <= Limit.MESSAGE:
        return await message.reply_text(text, do_quote=False, **kwargs)
    document = InputFile(visible(text).encode("utf-8"), filename=filename)
    return await message.reply_document(
        document, caption=fit(caption, Limit.CAPTION), do_quote=False, **kwargs
    )
