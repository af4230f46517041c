"""A small synchronous client for the sandbox's HTTP control API (/_sandbox/...)."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

JSON = dict[str, Any]


class SandboxClientError(RuntimeError):
    """The control API refused a request."""


class SandboxClient:
    """Drive a running sandbox over HTTP, e.g. when the bot runs in another process."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.base_url}/_sandbox", timeout=timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        clean = {k: v for k, v in (body or {}).items() if v is not None}
        extra: dict[str, Any] = {}
        if timeout is not None:
            # The server holds long polls open for `timeout` seconds; leave it room to answer.
            extra["timeout"] = timeout + 10
        response = self._http.request(
            method, path, json=clean if body is not None else None, params=query, **extra
        )
        data = response.json()
        if response.status_code == 408:
            raise TimeoutError(data.get("error", "timed out"))
        if response.status_code >= 400:
            raise SandboxClientError(f"{response.status_code}: {data.get('error', data)}")
        return data

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """Create a user."""
        body = {
            "user_id": user_id,
            "first_name": first_name,
            "username": username,
            "language_code": language_code,
            "last_name": last_name,
        }
        result: JSON = self._call("POST", "/users", body)
        return result

    def add_group(
        self,
        title: str,
        *,
        supergroup: bool = True,
        forum: bool = False,
        chat_id: int | None = None,
        member_ids: list[int] | None = None,
        admin_ids: list[int] | None = None,
        bot_status: str = "administrator",
    ) -> JSON:
        """Create a group; returns its Chat JSON (with the id)."""
        body = {
            "title": title,
            "supergroup": supergroup,
            "forum": forum,
            "chat_id": chat_id,
            "member_ids": member_ids or [],
            "admin_ids": admin_ids or [],
            "bot_status": bot_status,
        }
        result: JSON = self._call("POST", "/chats", body)
        return result

    def add_topic(self, chat_id: int, name: str) -> int:
        """Create a forum topic; returns its message_thread_id."""
        return int(
            self._call("POST", f"/chats/{chat_id}/topics", {"name": name})["message_thread_id"]
        )

    def send_message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        *,
        anonymous: bool = False,
    ) -> JSON:
        """A user writes to the bot (chat_id None → their private chat); ``anonymous``: a
        group admin writes on behalf of the group."""
        body = {
            "user_id": user_id,
            "text": text,
            "chat_id": chat_id,
            "message_thread_id": message_thread_id,
            "reply_to_message_id": reply_to_message_id,
            "anonymous": anonymous,
        }
        result: JSON = self._call("POST", "/messages", body)
        return result

    def press_button(
        self,
        user_id: int,
        message_id: int,
        *,
        chat_id: int | None = None,
        data: str | None = None,
        label: str | None = None,
    ) -> str:
        """Press an inline button by callback data or label; returns the callback query id."""
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "data": data,
            "label": label,
        }
        return str(self._call("POST", "/press", body)["callback_query_id"])

    def wait_callback_answer(self, query_id: str, timeout: float = 5) -> JSON:
        """Wait for the bot's answer to a callback query."""
        result: JSON = self._call(
            "GET", f"/callback_answers/{query_id}", params={"timeout": timeout}, timeout=timeout
        )
        return result

    def messages(
        self, chat_id: int, thread_id: int | None = None, after: int | None = None
    ) -> list[JSON]:
        """The bot's messages in a chat (or topic), optionally only those after an id."""
        params = {"thread_id": thread_id, "after": after}
        result: list[JSON] = self._call("GET", f"/chats/{chat_id}/messages", params=params)
        return result

    def wait_for_message(
        self,
        chat_id: int,
        thread_id: int | None = None,
        *,
        after: int | None = None,
        contains: str | None = None,
        timeout: float = 5,
    ) -> JSON:
        """Long-poll for the next unseen bot message; raises TimeoutError with a listing."""
        params = {"thread_id": thread_id, "after": after, "contains": contains, "timeout": timeout}
        result: JSON = self._call("GET", f"/chats/{chat_id}/wait", params=params, timeout=timeout)
        return result

    def state(self) -> JSON:
        """Users, chats and topics."""
        result: JSON = self._call("GET", "/state")
        return result

    def inject_fault(
        self,
        method: str,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make the next calls of a Bot API method fail (kind "429", "500", "502", "hang",
        "lost_reply"; see sandbox.server.FAULT_KINDS); with chat_id, only calls to that chat."""
        body: JSON = {"method": method, "kind": kind, "count": count, "retry_after": retry_after}
        if chat_id is not None:
            body["chat_id"] = chat_id
        self._call("POST", "/faults", body)

    def fault_rate(
        self,
        rate: float,
        kinds: Sequence[str] = ("429", "500", "hang"),
        *,
        seed: int | None = None,
        retry_after: int | tuple[int, int] = (1, 3),
        methods: Sequence[str] | None = None,
    ) -> None:
        """Fail each Bot API call at random with probability ``rate`` (0 = off); see
        ``Sandbox.fault_rate``."""
        body: JSON = {
            "rate": rate,
            "kinds": list(kinds),
            "seed": seed,
            "retry_after": retry_after if isinstance(retry_after, int) else list(retry_after),
        }
        if methods is not None:
            body["methods"] = list(methods)
        self._call("POST", "/fault_rate", body)

    def fault_counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (scripted and random)."""
        result: dict[str, int] = self._call("GET", "/faults")["counts"]
        return result

    def fault_report(self) -> JSON:
        """{counts, log: [{method, kind}], pending: scripted faults left, rate: settings|None}."""
        result: JSON = self._call("GET", "/faults")
        return result

    def violations(self) -> list[str]:
        """Spec/limit violations recorded so far."""
        result: list[str] = self._call("GET", "/violations")
        return result

    def requests(self) -> list[JSON]:
        """Every Bot API call the bot made: [{method, params}]."""
        result: list[JSON] = self._call("GET", "/requests")
        return result
