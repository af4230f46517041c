"""The one exit for every text the bot sends: fitted to Telegram's limits on the way out.

`fit(text, Limit.MESSAGE)` for a message or an edit, `Limit.CAPTION` for a caption (both
Telegram HTML), `Limit.ANSWER` for a button's answer (plain text). A text that must arrive
whole (a long list) goes out with `reply_whole` instead: as a .txt document when too long;
a list with a last word and buttons (an overview to sign) is a `Listing`, sent with
`reply_listing`: the whole when it fits a message, else a document and the last word.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InputFile, Message, Update

from bot.limits import Limit, fit_html, fit_plain, html_length, visible

__all__ = ["Limit", "Listing", "fit", "plain", "reply_listing", "reply_whole", "with_note"]


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
    return await _reply_document(message, text, filename=filename, caption=caption, **kwargs)


async def _reply_document(
    message: Message, text: str, *, filename: str, caption: str, **kwargs: Any
) -> Message:
    """`text`, as a reader sees it (no tags), in a .txt document captioned `caption`."""
    content = visible(text).encode("utf-8")
    return await _send_file(message, content, filename=filename, caption=caption, **kwargs)


async def reply_file(update: Update, content: bytes, *, filename: str, caption: str) -> Message:
    """Answer with a file (a workbook, an archive), its caption fitted to Telegram's 1,024."""
    message = update.effective_message
    assert message is not None
    return await _send_file(message, content, filename=filename, caption=caption)


async def _send_file(
    message: Message, content: bytes, *, filename: str, caption: str, **kwargs: Any
) -> Message:
    return await message.reply_document(
        InputFile(content, filename=filename),
        caption=fit(caption, Limit.CAPTION),
        do_quote=False,
        **kwargs,
    )


@dataclass(frozen=True)
class Listing:
    """A long list between a title and a last word (counts, what to do, the buttons' line).

    One message when the whole fits; else the list goes as a document and the screen, the
    message that carries the buttons and is edited as things move, is the title and the
    last word alone. Nobody scrolls through five messages to find a button."""

    title: str
    items: Sequence[str]
    last: str

    @property
    def whole(self) -> str:
        return "\n\n".join([self.title, *self.items, self.last])

    @property
    def fits(self) -> bool:
        return html_length(self.whole) <= Limit.MESSAGE

    @property
    def screen(self) -> str:
        """The text of the message with the buttons."""
        return self.whole if self.fits else fit("\n\n".join([self.title, self.last]))


async def reply_listing(
    update: Update, listing: Listing, *, filename: str, caption: str, **kwargs: Any
) -> Message:
    """Send a listing (see `Listing`); returns the message with the buttons (`kwargs`)."""
    message = update.effective_message
    assert message is not None
    if not listing.fits:
        await _reply_document(message, listing.whole, filename=filename, caption=caption)
    return await message.reply_text(listing.screen, do_quote=False, **kwargs)
