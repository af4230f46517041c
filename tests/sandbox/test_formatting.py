"""The HTML parser (against tdlib's own test cases), command entities and the spec checks."""

from __future__ import annotations

import pytest

from sandbox import spec
from sandbox.formatting import EntityParseError, bot_command_entities, parse_html, utf16_len
from sandbox.server import decode_param


@pytest.mark.parametrize(
    ("html", "error"),
    [
        # Cases and texts from tdlib's test/message_entities.cpp.
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x < y", 'Unsupported start tag "" at byte offset 2'),
        ("Hello <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_match_tdlib(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == error


def test_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html("➡️ ➡️<i>➡️ ➡️</i><b>🏟 x</b>")
    assert text == "➡️ ➡️➡️ ➡️🏟 x"
    assert entities == [
        {"type": "italic", "offset": 5, "length": 5},
        {"type": "bold", "offset": 10, "length": 4},
    ]


def test_html_unescapes_and_supports_every_documented_tag() -> None:
    html = (
        "&lt;&gt;&amp;&quot;&#39;&#x41; <strong>b</strong><em>i</em><ins>u</ins><del>s</del>"
        '<tg-spoiler>p</tg-spoiler><span class="tg-spoiler">q</span><a href="https://x.org/a">'
        'l</a><code>c</code><pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, entities = parse_html(html)
    assert text == "<>&\"'A biuspqlcx = 1qe👍"
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("bold", 7, 1),
        ("italic", 8, 1),
        ("underline", 9, 1),
        ("strikethrough", 10, 1),
        ("spoiler", 11, 1),
        ("spoiler", 12, 1),
        ("text_link", 13, 1),
        ("code", 14, 1),
        ("pre", 15, 5),
        ("blockquote", 20, 1),
        ("expandable_blockquote", 21, 1),
        ("custom_emoji", 22, 2),
    ]
    assert entities[6]["url"] == "https://x.org/a"
    assert entities[8]["language"] == "python"


def test_bare_ampersand_is_rejected_only_in_strict_mode() -> None:
    with pytest.raises(EntityParseError, match='Unescaped "&" at byte offset 4'):
        parse_html("Tom & Jerry")
    assert parse_html("Tom & Jerry", strict_ampersand=False) == ("Tom & Jerry", [])


def test_surrounding_whitespace_is_trimmed_with_entities() -> None:
    assert parse_html("  <b> hi </b>\n") == ("hi", [{"type": "bold", "offset": 0, "length": 2}])


def test_bot_commands_are_detected_like_telegram() -> None:
    text = "/start@hotel_vip_bot then /help, not a/b or /x/y"
    found = [(e["offset"], e["length"]) for e in bot_command_entities(text)]
    assert found == [(0, 20), (26, 5)]
    assert bot_command_entities("🏟 /go")[0]["offset"] == utf16_len("🏟 ")


def test_spec_checks_methods_case_insensitively() -> None:
    assert spec.check_request("SENDMESSAGE", {"chat_id": 1, "text": "x"}) == []
    assert spec.check_request("sendMessage", {"chat_id": 1}) == [
        "missing required parameter 'text' for method sendMessage"
    ]
    assert spec.check_request("sendMessage", {"chat_id": 1, "text": "x", "colour": 1}) == [
        "unknown parameter 'colour' for method sendMessage"
    ]
    assert spec.check_request("sendTelepathy", {}) == ["unknown method sendTelepathy"]


def test_form_fields_are_decoded_by_declared_type() -> None:
    assert decode_param("sendMessage", "text", "123") == "123"
    assert decode_param("sendMessage", "text", "true") == "true"
    assert decode_param("sendMessage", "chat_id", "-100123") == -100123
    assert decode_param("sendMessage", "chat_id", "@hotel") == "@hotel"
    assert decode_param("sendMessage", "message_thread_id", "7") == 7
    assert decode_param("sendMessage", "disable_notification", "true") is True
    assert decode_param("sendMessage", "reply_markup", '{"inline_keyboard": []}') == {
        "inline_keyboard": []
    }
    assert decode_param("sendDocument", "document", "12") == "12"
