"""Telegram's limits: counted after HTML parsing in UTF-16 units; cut without breaking HTML."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from bot.limits import ELLIPSIS, Limit, fit_html, fit_plain, html_length, one_line, utf16_len
from sandbox.formatting import parse_html


def test_utf16_counts_an_emoji_outside_the_bmp_as_two_units():
    assert utf16_len("a😀") == 3
    assert utf16_len("中文") == 2


def test_tags_and_references_are_not_counted_as_their_source():
    assert html_length("<b>ab</b> &amp; <a href='x'>c</a>") == 6


def test_a_text_within_its_limit_is_unchanged():
    text = "<b>" + "x" * 4096 + "</b>"
    assert fit_html(text, Limit.MESSAGE) == text


def test_a_long_text_is_cut_with_an_ellipsis_and_its_tags_closed():
    text = "<b>bold <i>" + "x" * 5000 + "</i></b>"
    cut = fit_html(text, Limit.MESSAGE)
    plain, _ = parse_html(cut)
    assert plain.endswith(ELLIPSIS)
    assert utf16_len(plain) <= Limit.MESSAGE
    assert cut.endswith("</i></b>")


def test_the_cut_never_splits_a_character_reference_or_an_emoji():
    text = "&amp;" * 300
    cut = fit_html(text, 200)
    assert cut == "&amp;" * 199 + ELLIPSIS
    assert fit_plain("😀" * 150, 200) == "😀" * 99 + ELLIPSIS


def test_an_answer_is_cut_as_plain_text():
    assert fit_plain("a" * 201, Limit.ANSWER) == "a" * 199 + ELLIPSIS
    assert fit_plain("short", Limit.ANSWER) == "short"


def test_an_echo_is_one_line_of_at_most_a_hundred_characters():
    assert one_line("first\nsecond") == "first…"
    assert one_line("\n\n  only  \n") == "only"
    assert len(one_line("x" * 500)) == 100
    assert one_line("") == ""


_ALPHABET = st.sampled_from(
    ["a", " ", "\n", "中", "😀", "👨‍👩‍👧", "\u200b", "\u202e", "\u200f", "<", ">", "&", '"', "x"]
)
_TYPED = st.lists(_ALPHABET, max_size=400).map("".join) | st.text(max_size=300)


@st.composite
def _html_texts(draw: st.DrawFn) -> str:
    """Catalog-like HTML: escaped typed text inside nested supported tags."""
    parts = draw(st.lists(_TYPED, min_size=1, max_size=6))
    out = []
    for part in parts:
        tag = draw(st.sampled_from(["", "b", "i", "code", "u"]))
        inner = html.escape(part, quote=False)
        out.append(f"<{tag}>{inner}</{tag}>" if tag else inner)
        if draw(st.booleans()):
            out.append("<b><i>" + html.escape(draw(_TYPED), quote=False) + "</i></b>")
    return "".join(out)


@given(text=_html_texts(), limit=st.integers(min_value=1, max_value=600))
def test_every_cut_parses_as_telegram_html_and_fits(text: str, limit: int):
    cut = fit_html(text, limit)
    plain, _ = parse_html(cut)
    assert utf16_len(plain) <= limit
    if html_length(text) <= limit:
        assert cut == text


@given(text=_TYPED, limit=st.integers(min_value=1, max_value=300))
def test_every_plain_cut_fits(text: str, limit: int):
    assert utf16_len(fit_plain(text, limit)) <= limit


@given(text=_TYPED)
def test_an_echo_has_no_line_break(text: str):
    echoed = one_line(text)
    assert "\n" not in echoed
    assert len(echoed) <= 100
