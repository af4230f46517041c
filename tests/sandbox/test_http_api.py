"""The Bot API over raw HTTP: routing, decoding of every body kind, errors and faults."""

from __future__ import annotations

import json

import httpx

from sandbox import Sandbox

from .conftest import TOKEN


async def test_wrong_token_is_unauthorized(sb: Sandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{sb.base_url}123456:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_not_found_and_a_violation(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    response = await http.post("/sendTelepathy", data={"chat_id": "1"})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert sb.violations == ["unknown method sendTelepathy"]


async def test_get_me_is_case_insensitive_and_works_with_get(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    response = await http.get("/GETME")
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["id"] == sb.bot_id == 123456
    assert body["result"]["username"] == "hotel_vip_bot"
    assert body["result"]["is_bot"] is True
    assert sb.requests == [("getMe", {})]


async def test_form_json_and_query_bodies_decode_alike(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    u = sb.add_user(1001, "Li Wei")
    await sb.send_message(u, text="hi")
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    form = await http.post(
        "/sendMessage",
        data={"chat_id": "1001", "text": "123", "reply_markup": json.dumps(markup)},
    )
    as_json = await http.post(
        "/sendMessage", json={"chat_id": 1001, "text": "true", "reply_markup": markup}
    )
    query = await http.get("/sendMessage", params={"chat_id": "1001", "text": "1.5"})
    texts = [r.json()["result"]["text"] for r in (form, as_json, query)]
    assert texts == ["123", "true", "1.5"]
    assert form.json()["result"]["reply_markup"] == markup
    assert as_json.json()["result"]["reply_markup"] == markup
    assert [m["text"] for m in sb.messages(u)] == ["123", "true", "1.5"]
    assert sb.violations == []


async def test_unknown_parameter_is_rejected_and_recorded(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    sb.add_user(1001, "Li Wei")
    response = await http.post(
        "/sendMessage", data={"chat_id": "1001", "text": "x", "colour": "red"}
    )
    assert response.status_code == 400
    assert response.json()["description"] == (
        "Bad Request: unknown parameter 'colour' for method sendMessage"
    )
    assert sb.violations == ["unknown parameter 'colour' for method sendMessage"]


async def test_missing_required_parameter(sb: Sandbox, http: httpx.AsyncClient) -> None:
    response = await http.post("/sendMessage", data={"text": "x"})
    assert response.status_code == 400
    assert sb.violations == ["missing required parameter 'chat_id' for method sendMessage"]


async def test_unimplemented_method_is_a_violation(sb: Sandbox, http: httpx.AsyncClient) -> None:
    response = await http.post("/sendDice", data={"chat_id": "1"})
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: method not implemented in sandbox: sendDice",
    }
    assert sb.violations == ["method not implemented in sandbox: sendDice"]


async def test_markdown_v2_is_refused_as_a_violation(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(1001, "Li Wei")
    await sb.send_message(u, text="hi")
    response = await http.post(
        "/sendMessage", data={"chat_id": "1001", "text": "*x*", "parse_mode": "MarkdownV2"}
    )
    assert response.status_code == 400
    assert sb.violations == ["parse_mode MarkdownV2 is not supported by the sandbox; use HTML"]


async def test_html_errors_use_telegram_texts(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(1001, "Li Wei")
    await sb.send_message(u, text="hi")
    response = await http.post(
        "/sendMessage",
        data={"chat_id": "1001", "text": "Hello <foo>x</foo>", "parse_mode": "HTML"},
    )
    assert response.json()["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 6'
    )
    unclosed = await http.post(
        "/sendMessage", data={"chat_id": "1001", "text": "<b>x", "parse_mode": "HTML"}
    )
    assert unclosed.json()["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert sb.messages(u) == []


async def test_inline_keyboard_rules(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(1001, "Li Wei")
    await sb.send_message(u, text="hi")

    async def send(buttons: list[dict[str, object]]) -> str:
        markup = json.dumps({"inline_keyboard": [buttons]})
        response = await http.post(
            "/sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": markup}
        )
        return str(response.json().get("description"))

    prefix = "Bad Request: can't parse inline keyboard button: "
    assert await send([{"text": "bare"}]) == (
        prefix + "Text buttons are unallowed in the inline keyboard"
    )
    assert await send([{"text": "two", "callback_data": "a", "url": "https://x.org"}]) == (
        prefix + "InlineKeyboardButton must have exactly one action"
    )
    assert await send([{"text": "big", "callback_data": "é" * 33}]) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert await send([{"text": "empty", "callback_data": ""}]) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert await send([{"text": "max", "callback_data": "x" * 64}]) == "None"
    assert len(sb.messages(u)) == 1


async def test_text_limits(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(1001, "Li Wei")
    await sb.send_message(u, text="hi")
    empty = await http.post(
        "/sendMessage", data={"chat_id": "1001", "text": "<b> </b>", "parse_mode": "HTML"}
    )
    assert empty.json()["description"] == "Bad Request: message text is empty"
    exact = await http.post("/sendMessage", data={"chat_id": "1001", "text": "a" * 4096})
    assert exact.json()["ok"] is True
    # Markup does not count: the limit applies after entity parsing.
    tagged = await http.post(
        "/sendMessage",
        data={"chat_id": "1001", "text": "<b>" + "a" * 4096 + "</b>", "parse_mode": "HTML"},
    )
    assert tagged.json()["ok"] is True


async def test_rate_limit_fault_has_retry_after(sb: Sandbox, http: httpx.AsyncClient) -> None:
    sb.inject_fault("getMe", "429", count=2, retry_after=3)
    first = await http.post("/getMe")
    second = await http.post("/getMe")
    third = await http.post("/getMe")
    assert first.status_code == second.status_code == 429
    assert first.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert third.json()["ok"] is True


async def test_server_error_fault(sb: Sandbox, http: httpx.AsyncClient) -> None:
    sb.inject_fault("*", "500")
    failed = await http.post("/getMe")
    assert failed.status_code == 500
    assert failed.json()["description"] == "Internal Server Error"
    assert (await http.post("/getMe")).status_code == 200


async def test_hang_fault_holds_the_request(sb: Sandbox, http: httpx.AsyncClient) -> None:
    sb.inject_fault("getMe", "hang")
    try:
        await http.post("/getMe", timeout=0.3)
    except httpx.ReadTimeout:
        pass
    else:
        raise AssertionError("a hung request must not be answered")
    assert (await http.post("/getMe")).status_code == 200
    await sb.wait_idle(timeout=2)


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    import asyncio

    u = sb.add_user(1001, "Li Wei")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(http.post("/getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await sb.send_message(u, text="hello")
    response = await poll
    assert loop.time() - started < 2
    updates = response.json()["result"]
    assert [up["message"]["text"] for up in updates] == ["hello"]
    # Without an offset the update is delivered again; with offset it is confirmed and dropped.
    again = await http.post("/getUpdates", data={"timeout": "0"})
    assert len(again.json()["result"]) == 1
    confirmed = await http.post(
        "/getUpdates", data={"offset": str(updates[0]["update_id"] + 1), "timeout": "0"}
    )
    assert confirmed.json()["result"] == []


async def test_long_poll_times_out_empty(http: httpx.AsyncClient) -> None:
    response = await http.post("/getUpdates", data={"timeout": "1"})
    assert response.json() == {"ok": True, "result": []}


async def test_a_second_poller_ends_the_first_with_conflict(http: httpx.AsyncClient) -> None:
    import asyncio

    first = asyncio.create_task(http.post("/getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(http.post("/getUpdates", data={"timeout": "1"}))
    response = await first
    assert response.status_code == 409
    assert response.json()["description"].startswith("Conflict: terminated by other getUpdates")
    assert (await second).json()["result"] == []


async def test_allowed_updates_filter_and_limit(sb: Sandbox, http: httpx.AsyncClient) -> None:
    u = sb.add_user(1001, "Li Wei")
    for i in range(3):
        await sb.send_message(u, text=f"m{i}")
    limited = await http.post("/getUpdates", data={"limit": "2"})
    assert [x["message"]["text"] for x in limited.json()["result"]] == ["m0", "m1"]
    only_buttons = await http.post(
        "/getUpdates", data={"allowed_updates": json.dumps(["callback_query"])}
    )
    assert only_buttons.json()["result"] == []
    assert sb.world.updates == []


async def test_file_route_checks_token(sb: Sandbox) -> None:
    u = sb.add_user(1001, "Li Wei")
    msg = await sb.send_document(u, filename="a.txt", content=b"abc")
    path = sb.world.files[msg["document"]["file_id"]].file_path
    async with httpx.AsyncClient() as client:
        good = await client.get(f"{sb.base_file_url}{TOKEN}/{path}")
        bad = await client.get(f"{sb.base_file_url}1:X/{path}")
    assert good.content == b"abc"
    assert bad.status_code == 401
