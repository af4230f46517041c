"""Telegram's text formatting: the HTML parse mode, UTF-16 offsets and bot-command entities.

The HTML parser follows tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp), which is what the
Bot API server runs, including its error texts and *byte* offsets.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SPACES = b" \t\r\n\f\v"


class EntityParseError(ValueError):
    """The text could not be parsed in the requested parse mode."""


def utf16_len(text: str) -> int:
    """Length of a string in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte(data: bytes, i: int) -> int:
    # tdlib works on a NUL-terminated CSlice; reading past the end yields 0.
    return data[i] if i < len(data) else 0


def _is_space(c: int) -> bool:
    return c != 0 and c in _SPACES


def _is_alnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


def _decode_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode an HTML character reference at ``pos``; returns (code point or 0, new position)."""
    end = pos + 1
    value = 0
    if _byte(data, end) == ord("#"):
        end += 1
        if _byte(data, end) == ord("x"):
            end += 1
            while chr(_byte(data, end)) in "0123456789abcdefABCDEF" and _byte(data, end):
                value = value * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while 48 <= _byte(data, end) <= 57:
                value = value * 10 + data[end] - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while 65 <= _byte(data, end) <= 90 or 97 <= _byte(data, end) <= 122:
            end += 1
        name = data[pos + 1 : end]
        value = {b"lt": 60, b"gt": 62, b"amp": 38, b"quot": 34}.get(name, 0)
        if value == 0:
            return 0, pos
    if _byte(data, end) == ord(";"):
        end += 1
    return value, end


def _normalize_url(url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    if url.startswith("tg://"):
        return url
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        url = "http://" + url
    if not re.match(r"^(https?|ftp|tonsite)://[^\s/?#]+", url, re.IGNORECASE):
        return None
    return url


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into (plain text, entities) or raise EntityParseError.

    With ``strict_ampersand`` a bare "&" that starts no character reference is rejected; tdlib
    keeps it literally, but Telegram's docs require "&amp;", and an unescaped "&" usually means
    a "<" in the same user-supplied string would break the message.
    """
    data = text.encode("utf-8")
    out = bytearray()
    entities: list[Entity] = []
    # (tag name, argument, utf16 offset at start, byte length of the output at start)
    stack: list[tuple[str, str, int, int]] = []
    utf16 = 0
    i = 0
    n = len(data)
    while i < n:
        c = data[i]
        if c == ord("&"):
            ch, new_i = _decode_entity(data, i)
            if ch:
                utf16 += 2 if ch > 0xFFFF else 1
                out += chr(ch).encode("utf-8", "surrogatepass")
                i = new_i
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {i}; write it as "&amp;" (sandbox strictness: '
                    'Telegram itself would keep a bare "&" literally)'
                )
        if c != ord("<"):
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if _byte(data, i) != ord("/"):
            while _byte(data, i) and not _is_space(data[i]) and data[i] != ord(">"):
                i += 1
            if _byte(data, i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while _byte(data, i) != ord(">"):
                while _is_space(_byte(data, i)):
                    i += 1
                if _byte(data, i) == ord(">"):
                    break
                attr_begin = i
                while _byte(data, i) and not _is_space(data[i]) and chr(data[i]) not in "=>/\"'":
                    i += 1
                attr = data[attr_begin:i].decode("utf-8", "replace")
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while _is_space(_byte(data, i)):
                    i += 1
                if _byte(data, i) != ord("="):
                    if _byte(data, i) == 0:
                        raise EntityParseError(
                            f'Unclosed start tag "{tag}" at byte offset {begin}'
                        )
                    if tag == "blockquote" and attr == "expandable":
                        argument = "1"
                    continue
                i += 1
                while _is_space(_byte(data, i)):
                    i += 1
                if _byte(data, i) == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                value_bytes = bytearray()
                if chr(data[i]) not in "'\"":
                    token_begin = i
                    while _is_alnum(_byte(data, i)) or _byte(data, i) in (ord("."), ord("-")):
                        i += 1
                    value_bytes += data[token_begin:i].lower()
                    if not _is_space(_byte(data, i)) and _byte(data, i) != ord(">"):
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = data[i]
                    i += 1
                    while _byte(data, i) and data[i] != quote:
                        if data[i] == ord("&"):
                            ch, new_i = _decode_entity(data, i)
                            if ch:
                                value_bytes += chr(ch).encode("utf-8", "surrogatepass")
                                i = new_i
                                continue
                        value_bytes.append(data[i])
                        i += 1
                    if _byte(data, i) == quote:
                        i += 1
                if _byte(data, i) == 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                value = value_bytes.decode("utf-8", "replace")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append((tag, argument, utf16, len(out)))
            i += 1  # past ">"
            continue

        # An end tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while _byte(data, i) and not _is_space(data[i]) and data[i] != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode("utf-8", "replace")
        while _is_space(_byte(data, i)):
            i += 1
        if _byte(data, i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        tag, argument, start, start_byte = stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > start:
            _close_entity(entities, tag, argument, start, utf16 - start, bytes(out[start_byte:]))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    try:
        plain = out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from exc
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return strip_text(plain, entities)


def _close_entity(
    entities: list[Entity], tag: str, argument: str, offset: int, length: int, inner: bytes
) -> None:
    simple = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
    }  # fmt: skip
    if tag in simple:
        entities.append({"type": simple[tag], "offset": offset, "length": length})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = _normalize_url(argument or inner.decode("utf-8", "replace"))
        if url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (offset, length)
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and (last["offset"], last["length"]) == (offset, length)
            and argument
        ):
            last["language"] = argument
        else:
            entity: Entity = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument
            entities.append(entity)


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, clipping entities to the remaining text."""
    stripped = text.strip()
    if stripped == text:
        return text, sort_entities(entities)
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, sort_entities(kept)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Order entities the way Telegram returns them: by offset, outer before inner."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>@])")


def bot_command_entities(text: str) -> list[Entity]:
    """``bot_command`` entities as Telegram detects them in incoming text (/cmd, /cmd@bot)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _BOT_COMMAND.finditer(text)
    ]
