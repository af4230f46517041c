"""The JSON control API under /_sandbox/, mirroring the ``Sandbox`` Python API."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.world import JSON, SandboxUser

if TYPE_CHECKING:
    from sandbox.server import Sandbox

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
    )


def _guarded(fn: RouteHandler) -> RouteHandler:
    """Turn the Python API's exceptions into JSON errors instead of 500 pages."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except TimeoutError as exc:
            return _json({"error": str(exc)}, status=408)
        except (KeyError, ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, status=400)

    return wrapper


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("the request body must be a JSON object")
    return data


def _opt_int(value: object) -> int | None:
    if value in (None, ""):
        return None
    return int(str(value))


def add_control_routes(app: web.Application, sb: Sandbox) -> None:
    """Register the /_sandbox/ routes for one sandbox."""

    def user(user_id: object) -> SandboxUser:
        return sb.user(int(str(user_id)))

    @_guarded
    async def add_user(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        created = sb.add_user(
            int(b["user_id"]),
            str(b["first_name"]),
            b.get("last_name"),
            b.get("username"),
            b.get("language_code"),
        )
        return _json(created.to_json())

    @_guarded
    async def add_chat(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        chat = sb.add_group(
            str(b["title"]),
            _opt_int(b.get("chat_id")),
            supergroup=bool(b.get("supergroup", True)),
            forum=bool(b.get("forum", False)),
            members=[user(i) for i in b.get("member_ids", [])],
            admins=[user(i) for i in b.get("admin_ids", [])],
            bot_status=str(b.get("bot_status", "administrator")),
        )
        return _json(chat.to_json())

    @_guarded
    async def add_topic(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        thread_id = sb.add_topic(int(request.match_info["chat_id"]), str(b["name"]))
        return _json({"message_thread_id": thread_id})

    @_guarded
    async def post_message(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        msg = await sb.send_message(
            user(b["user_id"]),
            _opt_int(b.get("chat_id")),
            str(b["text"]),
            thread_id=_opt_int(b.get("message_thread_id")),
            reply_to=_opt_int(b.get("reply_to_message_id")),
            anonymous=bool(b.get("anonymous", False)),
        )
        return _json(msg)

    @_guarded
    async def press(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        query_id = await sb.press_button(
            user(b["user_id"]),
            _opt_int(b.get("chat_id")),
            int(b["message_id"]),
            data=b.get("data"),
            label=b.get("label"),
        )
        return _json({"callback_query_id": query_id})

    @_guarded
    async def callback_answer(request: web.Request) -> web.StreamResponse:
        timeout = float(request.query.get("timeout", "5"))
        answer = await sb.wait_callback_answer(request.match_info["query_id"], timeout)
        return _json(answer)

    @_guarded
    async def list_messages(request: web.Request) -> web.StreamResponse:
        q = request.query
        after = _opt_int(q.get("after")) or 0
        found = sb.messages(
            int(request.match_info["chat_id"]),
            _opt_int(q.get("thread_id")),
            from_bot=q.get("from_bot", "true").lower() != "false",
        )
        return _json([m for m in found if m["message_id"] > after])

    @_guarded
    async def wait_message(request: web.Request) -> web.StreamResponse:
        q = request.query
        msg = await sb.wait_for_message(
            int(request.match_info["chat_id"]),
            _opt_int(q.get("thread_id")),
            after=_opt_int(q.get("after")),
            contains=q.get("contains"),
            timeout=float(q.get("timeout", "5")),
        )
        return _json(msg)

    @_guarded
    async def state(request: web.Request) -> web.StreamResponse:
        del request
        return _json(sb.state())

    @_guarded
    async def faults(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        sb.inject_fault(
            str(b["method"]),
            str(b["kind"]),
            int(b.get("count", 1)),
            int(b.get("retry_after", 1)),
            chat=int(b["chat_id"]) if b.get("chat_id") is not None else None,
        )
        return _json({"ok": True})

    @_guarded
    async def fault_rate(request: web.Request) -> web.StreamResponse:
        b = await _body(request)
        retry_after = b.get("retry_after", [1, 3])
        methods = b.get("methods")
        sb.fault_rate(
            float(b["rate"]),
            [str(k) for k in b.get("kinds", ["429", "500", "hang"])],
            seed=_opt_int(b.get("seed")),
            retry_after=(
                int(retry_after)
                if isinstance(retry_after, int | str)
                else (int(retry_after[0]), int(retry_after[1]))
            ),
            methods=[str(m) for m in methods] if methods is not None else None,
        )
        return _json({"ok": True})

    @_guarded
    async def fault_report(request: web.Request) -> web.StreamResponse:
        del request
        mode = sb.fault_rate_mode
        return _json(
            {
                "counts": dict(sb.fault_counts),
                "log": [{"method": m, "kind": k} for m, k in sb.fault_log],
                "pending": [
                    {"method": f.method, "kind": f.kind, "count": f.count} for f in sb.faults
                ],
                "rate": mode.to_json() if mode is not None else None,
            }
        )

    @_guarded
    async def violations(request: web.Request) -> web.StreamResponse:
        del request
        return _json(list(sb.violations))

    @_guarded
    async def requests(request: web.Request) -> web.StreamResponse:
        del request
        out = [
            {"method": m, "params": json.loads(json.dumps(p, default=_jsonable))}
            for m, p in sb.requests
        ]
        return _json(out)

    r = app.router
    r.add_post("/_sandbox/users", add_user)
    r.add_post("/_sandbox/chats", add_chat)
    r.add_post("/_sandbox/chats/{chat_id}/topics", add_topic)
    r.add_get("/_sandbox/chats/{chat_id}/messages", list_messages)
    r.add_get("/_sandbox/chats/{chat_id}/wait", wait_message)
    r.add_post("/_sandbox/messages", post_message)
    r.add_post("/_sandbox/press", press)
    r.add_get("/_sandbox/callback_answers/{query_id}", callback_answer)
    r.add_get("/_sandbox/state", state)
    r.add_post("/_sandbox/faults", faults)
    r.add_get("/_sandbox/faults", fault_report)
    r.add_post("/_sandbox/fault_rate", fault_rate)
    r.add_get("/_sandbox/violations", violations)
    r.add_get("/_sandbox/requests", requests)


def _jsonable(value: object) -> object:
    filename = getattr(value, "filename", None)
    content = getattr(value, "content", None)
    if isinstance(content, bytes):
        return {"filename": filename, "size": len(content)}
    return str(value)
