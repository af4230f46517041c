"""Fault injection: scripted and at a seeded rate, each kind answered as Telegram answers it."""

from __future__ import annotations

import asyncio
import datetime as dtm

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from sandbox import Sandbox, SandboxClient
from sandbox.server import BAD_GATEWAY_HTML

from .conftest import TOKEN


async def started(sb: Sandbox, user_id: int = 1001) -> None:
    user = sb.add_user(user_id, "Li Wei")
    await sb.send_message(user, text="/start")


async def statuses(http: httpx.AsyncClient, calls: int) -> list[int]:
    out = []
    for _ in range(calls):
        response = await http.post("/sendChatAction", data={"chat_id": "1001", "action": "typing"})
        out.append(response.status_code)
    return out


async def test_rate_is_roughly_honoured_and_seeded(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    sb.fault_rate(0.2, kinds=("429", "500", "502"), seed=7)
    first = await statuses(http, 300)
    failed = [s for s in first if s != 200]
    assert 40 <= len(failed) <= 80  # 60 expected
    assert set(failed) == {429, 500, 502}
    assert sum(sb.fault_counts.values()) == len(failed)
    assert sb.fault_counts == {
        "429": failed.count(429),
        "500": failed.count(500),
        "502": failed.count(502),
    }
    assert [m for m, _ in sb.fault_log] == ["sendChatAction"] * len(failed)
    # The same seed replays the same faults for the same calls.
    sb.fault_rate(0.2, kinds=("429", "500", "502"), seed=7)
    assert await statuses(http, 300) == first
    sb.fault_rate(0)
    assert set(await statuses(http, 50)) == {200}
    assert sb.fault_rate_mode is None


async def test_each_kind_is_answered_exactly_as_telegram(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    await started(sb)
    sb.fault_rate(1, kinds=("429",), seed=1, retry_after=5)
    too_many = await http.post("/sendMessage", data={"chat_id": "1001", "text": "x"})
    assert too_many.status_code == 429
    assert too_many.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    sb.fault_rate(1, kinds=("500",), seed=1)
    internal = await http.post("/sendMessage", data={"chat_id": "1001", "text": "x"})
    assert internal.status_code == 500
    assert internal.json() == {
        "ok": False,
        "error_code": 500,
        "description": "Internal Server Error",
    }
    sb.fault_rate(1, kinds=("502",), seed=1)
    gateway = await http.post("/sendMessage", data={"chat_id": "1001", "text": "x"})
    assert gateway.status_code == 502
    assert gateway.headers["Content-Type"].startswith("text/html")
    assert gateway.text == BAD_GATEWAY_HTML
    assert sb.messages(1001) == []
    assert sb.fault_counts == {"429": 1, "500": 1, "502": 1}


async def test_retry_after_is_drawn_from_the_range(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    sb.fault_rate(1, kinds=("429",), seed=3, retry_after=(2, 4))
    seen = set()
    for _ in range(30):
        body = (await http.post("/sendMessage", data={"chat_id": "1001", "text": "x"})).json()
        assert (
            body["description"]
            == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
        )
        seen.add(body["parameters"]["retry_after"])
    assert seen == {2, 3, 4}


async def test_get_updates_and_start_up_calls_stay_reliable(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    await started(sb)
    sb.fault_rate(1, kinds=("500",), seed=1)
    for _ in range(10):
        assert (await http.post("/getUpdates", data={"timeout": "0"})).status_code == 200
        assert (await http.post("/getMe")).status_code == 200
        assert (await http.post("/deleteWebhook")).status_code == 200
    assert (await http.post("/getChat", data={"chat_id": "1001"})).status_code == 500
    # An explicit set fails exactly those methods.
    sb.fault_rate(1, kinds=("500",), seed=1, methods={"getMe"})
    assert (await http.post("/getMe")).status_code == 500
    assert (await http.post("/getChat", data={"chat_id": "1001"})).status_code == 200
    with pytest.raises(ValueError, match="getUpdates"):
        sb.fault_rate(0.5, methods={"getupdates"})
    with pytest.raises(ValueError, match="unknown Bot API method"):
        sb.fault_rate(0.5, methods={"sendTelepathy"})
    with pytest.raises(ValueError, match="fault kinds"):
        sb.fault_rate(0.5, kinds=("timeout",))
    with pytest.raises(ValueError, match="rate"):
        sb.fault_rate(1.5)


async def test_lost_reply_delivers_but_never_answers(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    sb.inject_fault("sendMessage", "lost_reply")
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/sendMessage", data={"chat_id": "1001", "text": "delivered"}, timeout=0.3)
    assert [m["text"] for m in sb.messages(1001)] == ["delivered"]
    sb.inject_fault("sendMessage", "hang")
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/sendMessage", data={"chat_id": "1001", "text": "lost"}, timeout=0.3)
    assert [m["text"] for m in sb.messages(1001)] == ["delivered"]
    assert sb.fault_counts == {"lost_reply": 1, "hang": 1}
    await http.post("/getUpdates", data={"timeout": "0"})
    await sb.wait_idle(timeout=2)


async def test_a_fault_for_one_chat_lets_the_calls_to_other_chats_through(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    await started(sb, 1001)
    await started(sb, 1002)
    sb.inject_fault("sendMessage", "500", chat=1002)
    assert (await http.post("/sendMessage", data={"chat_id": "1001", "text": "a"})).is_success
    refused = await http.post("/sendMessage", data={"chat_id": "1002", "text": "b"})
    assert refused.status_code == 500
    assert (await http.post("/sendMessage", data={"chat_id": "1002", "text": "c"})).is_success
    assert [m["text"] for m in sb.messages(1001)] == ["a"]
    assert [m["text"] for m in sb.messages(1002)] == ["c"]
    with SandboxClient(sb.url) as client:
        await asyncio.to_thread(client.inject_fault, "sendMessage", "500", chat_id=1001)
    assert (await http.post("/sendMessage", data={"chat_id": "1002", "text": "d"})).is_success
    assert (await http.post("/sendMessage", data={"chat_id": "1001", "text": "e"})).is_error
    assert sb.fault_counts == {"500": 2}


async def test_held_requests_do_not_block_wait_idle_and_end_at_stop() -> None:
    box = Sandbox(token=TOKEN)
    await box.start()
    async with httpx.AsyncClient(base_url=f"{box.url}/bot{TOKEN}", timeout=30) as http:
        box.inject_fault("getChat", "lost_reply")
        box.inject_fault("getMe", "hang")
        box.add_user(1001, "Li Wei")
        held = [
            asyncio.create_task(http.post("/getChat", data={"chat_id": "1001"})),
            asyncio.create_task(http.post("/getMe")),
        ]
        await asyncio.sleep(0.2)
        # The client is still waiting for both, yet the bot counts as idle.
        await box.wait_idle(timeout=2)
        assert not any(t.done() for t in held)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await box.stop()
        answers = await asyncio.gather(*held, return_exceptions=True)
        assert loop.time() - began < 5
        # Released by the shutdown: answered or cut off, but not left waiting.
        for answer in answers:
            assert isinstance(answer, httpx.Response | httpx.HTTPError)


async def test_ptb_sees_retry_after_network_error_and_timed_out(
    sb: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await started(sb)
    sb.fault_rate(1, kinds=("429",), seed=1, retry_after=2, methods={"sendMessage"})
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "a")
    assert caught.value.retry_after == dtm.timedelta(seconds=2)
    sb.fault_rate(1, kinds=("500",), seed=1, methods={"sendMessage"})
    with pytest.raises(NetworkError, match="^Internal Server Error$"):
        await bot.send_message(1001, "b")
    sb.fault_rate(1, kinds=("502",), seed=1, methods={"sendMessage"})
    with pytest.raises(NetworkError, match="^Bad Gateway \\(502\\)"):
        await bot.send_message(1001, "c")
    sb.fault_rate(1, kinds=("lost_reply",), seed=1, methods={"sendMessage"})
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "carried out", read_timeout=0.3)
    sb.fault_rate(1, kinds=("hang",), seed=1, methods={"sendMessage"})
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "never", read_timeout=0.3)
    sb.fault_rate(0)
    assert (await bot.send_message(1001, "after")).text == "after"
    assert [m["text"] for m in sb.messages(1001)] == ["carried out", "after"]
    assert sb.fault_counts == {"429": 1, "500": 1, "502": 1, "lost_reply": 1, "hang": 1}


async def test_fault_rate_over_http(sb: Sandbox, http: httpx.AsyncClient) -> None:
    await started(sb)
    with SandboxClient(sb.url) as client:
        await asyncio.to_thread(
            client.fault_rate, 1, ["429"], seed=4, retry_after=(3, 3), methods=["sendChatAction"]
        )
        assert await statuses(http, 3) == [429, 429, 429]
        await asyncio.to_thread(client.inject_fault, "getChat", "502")
        assert (await http.post("/getChat", data={"chat_id": "1001"})).status_code == 502
        assert await asyncio.to_thread(client.fault_counts) == {"429": 3, "502": 1}
        report = await asyncio.to_thread(client.fault_report)
        assert report["rate"] == {
            "rate": 1,
            "kinds": ["429"],
            "retry_after": [3, 3],
            "methods": ["sendChatAction"],
            "seed": 4,
        }
        assert report["log"][-1] == {"method": "getChat", "kind": "502"}
        assert report["pending"] == []
        await asyncio.to_thread(client.fault_rate, 0)
        assert await statuses(http, 3) == [200, 200, 200]
        assert (await asyncio.to_thread(client.fault_report))["rate"] is None
