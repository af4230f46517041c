"""The HTTP control API through SandboxClient (sync, so it runs in a worker thread here)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import Sandbox, SandboxClient
from sandbox.client import SandboxClientError


@pytest.fixture
def client(sb: Sandbox) -> Iterator[SandboxClient]:
    with SandboxClient(sb.url) as c:
        yield c


async def test_setup_and_conversation_over_http(
    sb: Sandbox, bot: Bot, client: SandboxClient
) -> None:
    user = await asyncio.to_thread(client.add_user, 1001, "Li Wei", "liwei", "zh")
    assert user == {
        "id": 1001, "is_bot": False, "first_name": "Li Wei", "username": "liwei",
        "language_code": "zh",
    }  # fmt: skip
    group = await asyncio.to_thread(client.add_group, "Front desk", forum=True, member_ids=[1001])
    assert group["type"] == "supergroup"
    assert group["is_forum"] is True
    topic = await asyncio.to_thread(client.add_topic, group["id"], "Housekeeping")
    state = await asyncio.to_thread(client.state)
    chat = next(c for c in state["chats"] if c["id"] == group["id"])
    assert chat["topics"] == {str(topic): "Housekeeping"}
    assert chat["members"]["1001"] == "member"

    incoming = await asyncio.to_thread(client.send_message, 1001, "/clean 12", group["id"], topic)
    assert incoming["message_thread_id"] == topic
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None
    assert updates[0].message.text == "/clean 12"

    waiting = asyncio.create_task(
        asyncio.to_thread(client.wait_for_message, group["id"], topic, timeout=5)
    )
    await asyncio.sleep(0.1)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done:12")]])
    sent = await bot.send_message(
        group["id"], "Room 12?", message_thread_id=topic, reply_markup=keyboard
    )
    got = await waiting
    assert got["message_id"] == sent.message_id
    listed = await asyncio.to_thread(client.messages, group["id"], topic)
    assert [m["text"] for m in listed] == ["Room 12?"]

    query_id = await asyncio.to_thread(
        client.press_button, 1001, sent.message_id, chat_id=group["id"], label="Done"
    )
    answer = asyncio.create_task(asyncio.to_thread(client.wait_callback_answer, query_id, 5))
    more = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert more[0].callback_query is not None
    assert more[0].callback_query.data == "done:12"
    await bot.answer_callback_query(query_id, "ok")
    assert (await answer)["text"] == "ok"
    assert await asyncio.to_thread(client.violations) == []
    requests = await asyncio.to_thread(client.requests)
    assert [r["method"] for r in requests][-1] == "answerCallbackQuery"


async def test_wait_timeout_and_errors_over_http(sb: Sandbox, client: SandboxClient) -> None:
    await asyncio.to_thread(client.add_user, 1001, "Li Wei")
    await asyncio.to_thread(client.send_message, 1001, "hello")
    with pytest.raises(TimeoutError, match="timed out waiting"):
        await asyncio.to_thread(client.wait_for_message, 1001, timeout=0.2)
    with pytest.raises(SandboxClientError, match="400"):
        await asyncio.to_thread(client.add_user, 1001, "Again")
    with pytest.raises(SandboxClientError, match="fault kind"):
        await asyncio.to_thread(client.inject_fault, "getMe", "explode")


async def test_faults_over_http(sb: Sandbox, bot: Bot, client: SandboxClient) -> None:
    from telegram.error import NetworkError

    await asyncio.to_thread(client.inject_fault, "getMe", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    assert (await bot.get_me()).username == "hotel_vip_bot"
