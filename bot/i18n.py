"""Every user-facing text, in a zh and an en catalog (`bot/locales/<lang>/*.toml`).

Keys are named by situation (`register.ask_name`); placeholders are `str.format` fields.
Texts are Telegram HTML: literal `<`, `>` and `&` in a catalog are written as entities, and
every parameter is escaped here, so a guest called "A&B <VIP>" cannot break a message.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
LOCALES_DIR = Path(__file__).parent / "locales"


class CatalogError(Exception):
    """A catalog file is malformed or defines a key twice."""


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str], source: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping):
            _flatten(key, value, into, source)
        elif isinstance(value, str):
            if key in into:
                raise CatalogError(f"{source}: key {key} is defined twice")
            into[key] = value
        else:
            raise CatalogError(f"{source}: key {key} must be a string")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


class Catalog:
    """Texts by language and key."""

    def __init__(self, texts: dict[str, dict[str, str]], default_language: str) -> None:
        self.texts = texts
        self.default_language = default_language

    @classmethod
    def load(cls, default_language: str = "zh", directory: Path = LOCALES_DIR) -> Catalog:
        texts: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            flat: dict[str, str] = {}
            for path in sorted((directory / language).glob("*.toml")):
                with path.open("rb") as handle:
                    try:
                        _flatten("", tomllib.load(handle), flat, path)
                    except tomllib.TOMLDecodeError as exc:
                        raise CatalogError(f"{path}: {exc}") from exc
            texts[language] = flat
        return cls(texts, default_language)

    def text(self, language: str, key: str, /, **params: Any) -> str:
        """The text for `key`; a missing key is a bug, so it raises rather than guessing."""
        table = self.texts.get(language) or self.texts[self.default_language]
        escaped = {
            name: html.escape(value, quote=False) if isinstance(value, str) else value
            for name, value in params.items()
        }
        return table[key].format(**escaped)

    def has(self, key: str) -> bool:
        return key in self.texts[self.default_language]
