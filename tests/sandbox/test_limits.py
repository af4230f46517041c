"""Telegram's length limits, counted as Telegram counts: UTF-16 units of the parsed text."""

from __future__ import annotations

import json

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from sandbox import Sandbox

EMOJI = "🏨"  # outside the BMP: two UTF-16 units


async def started(sb: Sandbox) -> None:
    await sb.send_message(sb.add_user(1001, "Li Wei"), text="/start")


async def send(http: httpx.AsyncClient, method: str, **params: str) -> dict[str, object]:
    response = await http.post(f"/{method}", data={"chat_id": "1001", **params})
    body: dict[str, object] = response.json()
    return body


async def test_text_counts_utf16_units_after_parsing(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    # 2048 emoji are 4096 units: the limit exactly. One more unit is too long.
    assert (await send(http, "sendMessage", text=EMOJI * 2048))["ok"] is True
    over = await send(http, "sendMessage", text=EMOJI * 2048 + "a")
    assert over["description"] == "Bad Request: message is too long"
    # Tags count nothing and "&amp;" counts one.
    tagged = "<b>" + "&amp;" * 4000 + "</b>" + "<i>x</i>" * 96
    assert (await send(http, "sendMessage", text=tagged, parse_mode="HTML"))["ok"] is True
    tagged_over = "<b>" + "&amp;" * 4000 + "</b>" + "<i>x</i>" * 97
    assert (await send(http, "sendMessage", text=tagged_over, parse_mode="HTML"))[
        "description"
    ] == "Bad Request: message is too long"
    # Surrounding whitespace is trimmed before counting.
    assert (await send(http, "sendMessage", text="  " + "a" * 4096 + "\n"))["ok"] is True
    assert sb.violations == [
        "sendMessage: Bad Request: message is too long "
        "(text is 4097 UTF-16 units after entity parsing, over 4096)",
        "sendMessage: Bad Request: message is too long "
        "(text is 4097 UTF-16 units after entity parsing, over 4096)",
    ]


async def test_empty_text_is_a_violation(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    empty = await send(http, "sendMessage", text="<b> </b>", parse_mode="HTML")
    assert empty["description"] == "Bad Request: message text is empty"
    assert sb.violations == [
        "sendMessage: Bad Request: message text is empty (message text is empty after parsing)"
    ]


async def test_caption_limit_on_documents_and_photos(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    files = {"document": ("a.txt", b"data", "text/plain")}
    ok = await http.post(
        "/sendDocument", data={"chat_id": "1001", "caption": EMOJI * 512}, files=files
    )
    assert ok.json()["ok"] is True
    for method, field in (("sendDocument", "document"), ("sendPhoto", "photo")):
        response = await http.post(
            f"/{method}",
            data={
                "chat_id": "1001",
                "caption": "<b>" + EMOJI * 512 + "</b>.",
                "parse_mode": "HTML",
            },
            files={field: ("a.jpg", b"\xff\xd8\xff", "image/jpeg")},
        )
        assert response.json()["description"] == "Bad Request: message caption is too long"
    # An empty caption is fine.
    no_caption = await http.post("/sendDocument", data={"chat_id": "1001"}, files=files)
    assert no_caption.json()["ok"] is True
    assert len(sb.violations) == 2


async def test_edits_answer_message_too_long(sb: Sandbox, bot: Bot) -> None:
    await started(sb)
    sent = await bot.send_message(1001, "short")
    with pytest.raises(BadRequest, match="^Message_too_long$"):
        await bot.edit_message_text(EMOJI * 2049, 1001, sent.message_id)
    edited = await bot.edit_message_text(
        "<b>" + EMOJI * 2048 + "</b>", 1001, sent.message_id, parse_mode="HTML"
    )
    assert not isinstance(edited, bool)
    assert edited.text == EMOJI * 2048
    doc = await bot.send_document(1001, b"x", filename="a.txt", caption="c")
    with pytest.raises(BadRequest, match="^Message_too_long$"):
        await bot.edit_message_caption(1001, doc.message_id, caption="c" * 1025)
    assert sb.violations == [
        "editMessageText: Bad Request: MESSAGE_TOO_LONG "
        "(text is 4098 UTF-16 units after entity parsing, over 4096)",
        "editMessageCaption: Bad Request: MESSAGE_TOO_LONG "
        "(caption is 1025 UTF-16 units after entity parsing, over 1024)",
    ]


async def test_callback_answer_counts_utf16_units(sb: Sandbox, bot: Bot) -> None:
    user = sb.add_user(1001, "Li Wei")
    await sb.send_message(user, text="/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(1001, "Press", reply_markup=keyboard)
    first = await sb.press_button(user, None, sent.message_id, label="Go")
    with pytest.raises(BadRequest, match="^Message_too_long$"):
        await bot.answer_callback_query(first, EMOJI * 100 + "a")
    assert await bot.answer_callback_query(first, EMOJI * 100)
    assert sb.callback_answer(first) == {
        "text": EMOJI * 100,
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    assert sb.violations == [
        "answerCallbackQuery: Bad Request: MESSAGE_TOO_LONG "
        "(callback answer text is 201 UTF-16 units, over 200)"
    ]


async def test_button_text_and_callback_data(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)

    async def with_button(button: dict[str, object]) -> object:
        markup = json.dumps({"inline_keyboard": [[button]]})
        return (await send(http, "sendMessage", text="x", reply_markup=markup)).get("description")

    assert await with_button({"text": " ", "callback_data": "a"}) == (
        "Bad Request: BUTTON_TEXT_INVALID"
    )
    # callback_data is counted in UTF-8 bytes: 16 emoji are 64 bytes, "é" * 33 is 66.
    assert await with_button({"text": "ok", "callback_data": EMOJI * 16}) is None
    assert await with_button({"text": "big", "callback_data": "é" * 33}) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert sb.violations == [
        "sendMessage: Bad Request: BUTTON_TEXT_INVALID (inline button with empty text)",
        "sendMessage: Bad Request: BUTTON_DATA_INVALID (callback_data of 66 bytes, not 1-64: "
        f"{'é' * 33!r})",
    ]
