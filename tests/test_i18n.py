"""The catalogs: zh and en say the same things, and every text is valid Telegram HTML."""

from __future__ import annotations

import tomllib

import pytest

from bot.i18n import LANGUAGES, LOCALES_DIR, Catalog, placeholders
from sandbox.formatting import EntityParseError, parse_html

CATALOG = Catalog.load()


def test_zh_and_en_have_the_same_keys() -> None:
    zh, en = CATALOG.texts["zh"], CATALOG.texts["en"]
    assert sorted(set(zh) ^ set(en)) == []
    assert len(en) > 100


@pytest.mark.parametrize("key", sorted(CATALOG.texts["en"]))
def test_zh_and_en_have_the_same_placeholders(key: str) -> None:
    assert placeholders(CATALOG.texts["zh"][key]) == placeholders(CATALOG.texts["en"][key])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_renders_as_telegram_html(language: str) -> None:
    for key, text in CATALOG.texts[language].items():
        rendered = CATALOG.text(language, key, **dict.fromkeys(placeholders(text), "<x&y>"))
        try:
            parse_html(rendered)
        except EntityParseError as exc:  # pragma: no cover - the message names the key
            pytest.fail(f"{language}:{key} is not valid Telegram HTML: {exc}")


def test_parameters_are_escaped_so_a_name_cannot_break_a_message() -> None:
    text = CATALOG.text("en", "start.welcome", name="<b>A&B</b>")
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in text


def test_a_missing_key_is_an_error_not_a_silent_fallback() -> None:
    with pytest.raises(KeyError):
        CATALOG.text("en", "no.such.key")


CAPABILITIES = ("kit", "org", "reception", "evaluation")


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_files_are_named_by_capability_each_with_its_commands(language: str) -> None:
    """`<capability>.toml` holds a capability's commands; `<capability>-<part>.toml` the
    rest of its texts: whoever changes a capability finds its texts by its name."""
    files = sorted((LOCALES_DIR / language).glob("*.toml"))
    assert files
    for path in files:
        assert path.stem.split("-")[0] in CAPABILITIES, path.name
        with path.open("rb") as handle:
            has_commands = "command" in tomllib.load(handle)
        assert has_commands == (path.stem in CAPABILITIES), path.name
