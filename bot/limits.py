"""Telegram's text limits, counted the way Telegram counts them; no telegram import.

Telegram measures a message after parsing its HTML (tags are not counted, `&amp;` is one
character) and in UTF-16 code units (an emoji outside the Basic Multilingual Plane is two).
Texts over a limit are cut with "…" at a character boundary, never inside a tag or a
character reference, and the tags still open at the cut are closed, so the result parses.
"""

from __future__ import annotations

import html
import re
from enum import IntEnum

ELLIPSIS = "…"


class Limit(IntEnum):
    """Telegram's limits, in UTF-16 units of the text after parsing."""

    MESSAGE = 4096
    CAPTION = 1024
    ANSWER = 200  # a button's answer (answerCallbackQuery), shown unparsed


# A tag, a character reference, or a run of anything else. A "<" or "&" that starts no tag
# or reference (never in our escaped texts) is taken as one plain character.
_TOKEN = re.compile(r"<[^<>]*>|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{1,8});|[^<&]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's unit."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def visible(text: str) -> str:
    """What a reader sees of Telegram HTML: tags dropped, character references decoded."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith("<") and len(token) > 1:
            continue
        out.append(html.unescape(token) if token.startswith("&") else token)
    return "".join(out)


def html_length(text: str) -> int:
    """UTF-16 units of Telegram HTML after parsing (surrounding whitespace included)."""
    return utf16_len(visible(text))


def fit_plain(text: str, limit: int) -> str:
    """A plain text (a button's answer, a document name) cut to `limit` with "…"."""
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    kept: list[str] = []
    for ch in text:
        budget -= _units(ch)
        if budget < 0:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + ELLIPSIS


def fit_html(text: str, limit: int) -> str:
    """Telegram HTML cut to `limit` visible units with "…", its open tags closed."""
    if html_length(text) <= limit:
        return text
    budget = limit - utf16_len(ELLIPSIS)
    out: list[str] = []
    open_tags: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith("<") and len(token) > 1:
            name = _TAG_NAME.match(token)
            if name is None:
                continue
            if token.startswith("</"):
                if open_tags:
                    open_tags.pop()
            elif not token.endswith("/>"):
                open_tags.append(name.group(1).lower())
            out.append(token)
            continue
        if token.startswith("&") and len(token) > 1:
            cost = utf16_len(html.unescape(token))
            if cost > budget:
                break
            budget -= cost
            out.append(token)
            continue
        piece: list[str] = []
        for ch in token:
            if _units(ch) > budget:
                break
            budget -= _units(ch)
            piece.append(ch)
        kept = "".join(piece)
        out.append(html.escape(kept, quote=False) if token in ("<", "&") else kept)
        if len(piece) < len(token):
            break
    cut = "".join(out).rstrip()
    return cut + ELLIPSIS + "".join(f"</{tag}>" for tag in reversed(open_tags))


def one_line(text: str, width: int = 100) -> str:
    """What a person typed, for echoing back: its first non-empty line, cut to `width`.

    Plain text: the catalog escapes it as it fills a placeholder (escape it yourself
    anywhere else). Zero-width and direction marks stay; they are a character each."""
    lines = [line.strip() for line in text.strip().splitlines()]
    first = next((line for line in lines if line), "")
    more = len([line for line in lines if line]) > 1
    if len(first) > width:
        return first[: width - 1].rstrip() + ELLIPSIS
    return first + (ELLIPSIS if more else "")
