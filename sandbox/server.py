"""The loopback Bot API server and the ``Sandbox`` test API around it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.web_request import FileField

from sandbox import spec
from sandbox.methods import BotApi, NotSupported, UploadedFile
from sandbox.world import (
    JSON,
    ApiError,
    CallbackQuery,
    LimitExceeded,
    SandboxChat,
    SandboxUser,
    StoredMessage,
    World,
    scope_key,
)

ChatRef = SandboxChat | SandboxUser | int
# "429": Too Many Requests with retry_after. "500": Telegram's JSON Internal Server Error.
# "502": the HTML Bad Gateway page of Telegram's front nginx (not JSON, as in real outages).
# "hang": the request is held and never carried out. "lost_reply": the request IS carried out
# (the message is delivered) but its answer is held, so the client times out not knowing.
# Held requests are released when the client gives up or the server stops.
FAULT_KINDS = ("429", "500", "502", "hang", "lost_reply")
# Never failed by the rate mode: getUpdates is how the harness delivers updates, and these are
# only called by PTB while starting or stopping, where a failure aborts the run instead of
# exercising the bot's error handling. A scripted inject_fault can still target them.
RATE_EXEMPT = frozenset(
    {"getUpdates", "getMe", "deleteWebhook", "getWebhookInfo", "logOut", "close"}
)
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


@dataclass
class Fault:
    """A scripted failure for the next ``count`` calls of one method ("*" for any)."""

    method: str
    kind: str
    count: int
    retry_after: int
    # Only calls to this chat (their chat_id), so a test can fail one destination of many.
    chat_id: int | None = None

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.count <= 0 or self.method not in (method, "*"):
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class FaultRate:
    """The random mode: each eligible call fails with probability ``rate``."""

    rate: float
    kinds: tuple[str, ...]
    retry_after: tuple[int, int]
    methods: frozenset[str] | None  # None: every method but RATE_EXEMPT
    seed: int | None
    rng: random.Random

    def applies(self, method: str) -> bool:
        """Whether the rate mode may fail this method."""
        if self.methods is None:
            return method not in RATE_EXEMPT
        return method in self.methods

    def to_json(self) -> dict[str, Any]:
        """The settings, for the control API."""
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "retry_after": list(self.retry_after),
            "methods": sorted(self.methods) if self.methods is not None else None,
            "seed": self.seed,
        }


class _Signal:
    """Wakes every waiter whenever the world changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), max(seconds, 0))


def _looks_like_int(raw: str) -> bool:
    return re.fullmatch(r"-?\d{1,19}", raw.strip()) is not None


def decode_param(method: str, name: str, raw: str) -> Any:
    """Decode one form/query field the way the Bot API server does, by its declared type."""
    types = spec.field_types(method, name)
    if types is None:
        # Unknown parameter (already a violation): keep structured JSON, plain text otherwise.
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return value if isinstance(value, dict | list | bool | int | float) else raw
    if types == ("String",) or "InputFile" in types:
        return raw
    if set(types) == {"Integer", "String"}:
        return int(raw) if _looks_like_int(raw) else raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _chat_id(chat: ChatRef) -> int:
    if isinstance(chat, SandboxChat | SandboxUser):
        return chat.id
    return int(chat)


def _short(msg: JSON) -> str:
    body = msg.get("text") or msg.get("caption") or ""
    if "document" in msg:
        body = f"[document {msg['document'].get('file_name')}] {body}"
    body = body.replace("\n", " ")
    if len(body) > 70:
        body = body[:67] + "..."
    thread = f" thread={msg['message_thread_id']}" if "message_thread_id" in msg else ""
    buttons = ""
    if msg.get("reply_markup"):
        labels = [b.get("text") for row in msg["reply_markup"]["inline_keyboard"] for b in row]
        buttons = f" buttons={labels}"
    return f"#{msg['message_id']}{thread}: {body!r}{buttons}"


class Sandbox:
    """A fake Telegram Bot API on loopback, plus the test-side controls of its world."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "hotel_vip_bot",
        bot_name: str = "Hotel VIP Bot",
        *,
        strict_html: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = SandboxUser(self.bot_id, bot_name, username=bot_username, is_bot=True)
        self.world = World(self.bot_user)
        self.api = BotApi(self.world, strict_html=strict_html)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
        # (method, params, description) of every call answered with an error.
        self.errors: list[tuple[str, dict[str, Any], str]] = []
        self.faults: list[Fault] = []
        self.fault_rate_mode: FaultRate | None = None
        # Faults actually injected (scripted and random): per kind, and (method, kind) in order.
        self.fault_counts: Counter[str] = Counter()
        self.fault_log: list[tuple[str, str]] = []
        self._signal: _Signal | None = None
        self._stopping: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._host = "127.0.0.1"
        self._port = 0
        self._poll_generation = 0
        self._in_flight = 0
        self._last_activity = 0.0
        self._cursors: dict[tuple[int, int | None], int] = {}

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (port 0 picks a free one)."""
        self._signal = _Signal()
        self._stopping = asyncio.Event()
        self._last_activity = asyncio.get_running_loop().time()
        app = self.make_app()
        # Cancel handlers whose client went away, so abandoned long polls stop waiting.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        server = self._site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._host = host
        self._port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        """Release hung requests and shut the server down."""
        if self._stopping is not None:
            self._stopping.set()
        self._fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    def _fire(self) -> None:
        if self._signal is not None:
            self._signal.fire()

    async def _wait_change(self, seconds: float) -> None:
        if self._signal is None:
            raise RuntimeError("the sandbox is not started")
        await self._signal.wait(seconds)

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    # ----- world setup -----------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SandboxUser:
        """Create a user; their private chat counts as started once they write to the bot."""
        return self.world.add_user(user_id, first_name, last_name, username, language_code)

    def add_group(
        self,
        title: str,
        chat_id: int | None = None,
        supergroup: bool = True,
        forum: bool = False,
        members: list[SandboxUser] | None = None,
        admins: list[SandboxUser] | None = None,
        *,
        creator: SandboxUser | None = None,
        bot_status: str = "administrator",
    ) -> SandboxChat:
        """Create a group the bot is in (as administrator unless bot_status says otherwise)."""
        return self.world.add_group(
            title,
            chat_id,
            supergroup=supergroup,
            forum=forum,
            members=members,
            admins=admins,
            creator=creator,
            bot_status=bot_status,
        )

    def add_topic(self, chat: ChatRef, name: str) -> int:
        """Create a forum topic and return its message_thread_id."""
        return self.world.add_topic(self.chat(chat), name)

    def add_member(self, chat: ChatRef, user: SandboxUser, status: str = "member") -> None:
        """Set a user's (or, with the bot's SandboxUser, the bot's) status in a group."""
        self.world.add_member(self.chat(chat), user, status)

    def block_bot(self, user: SandboxUser) -> None:
        """The user blocks the bot: sends then fail with 403 until the user writes again."""
        self.world.chats[user.id].blocked = True

    def user(self, user_id: int) -> SandboxUser:
        """A user by id."""
        return self.world.users[user_id]

    def chat(self, chat: ChatRef) -> SandboxChat:
        """A chat from a SandboxChat, a SandboxUser (their private chat) or a chat id."""
        chat_id = _chat_id(chat)
        if chat_id not in self.world.chats:
            raise KeyError(f"no chat {chat_id} in the sandbox")
        return self.world.chats[chat_id]

    # ----- acting as users -------------------------------------------------------------------

    def _advance_cursor(self, chat: SandboxChat, thread_id: int | None) -> None:
        # Bot messages sent before a user's action count as seen for later wait_for_message.
        self._cursors[(chat.id, thread_id)] = chat.last_message_id
        if not chat.is_forum:
            self._cursors[(chat.id, None)] = chat.last_message_id

    async def send_message(
        self,
        user: SandboxUser,
        chat: ChatRef | None = None,
        text: str = "",
        thread_id: int | None = None,
        reply_to: int | None = None,
        *,
        anonymous: bool = False,
    ) -> JSON:
        """A user writes text (chat None → their private chat); returns the stored message.

        ``anonymous=True``: a group admin writes on behalf of the group (``sender_chat``).
        """
        target = self.chat(chat if chat is not None else user)
        msg = self.world.user_message(
            user, target, text, thread_id=thread_id, reply_to=reply_to, anonymous=anonymous
        )
        self._advance_cursor(target, thread_id)
        self._fire()
        return self.world.message_json(msg)

    async def send_document(
        self,
        user: SandboxUser,
        chat: ChatRef | None = None,
        filename: str = "file.bin",
        content: bytes = b"",
        caption: str | None = None,
        mime_type: str | None = None,
        thread_id: int | None = None,
    ) -> JSON:
        """A user sends a file; the bot can fetch it with getFile and the /file route."""
        target = self.chat(chat if chat is not None else user)
        if mime_type is None:
            mime_type = _guess_mime(filename)
        stored = self.world.store_file(content, "documents", filename, mime_type)
        msg = self.world.user_message(
            user, target, None, thread_id=thread_id, document=stored, caption=caption
        )
        self._advance_cursor(target, thread_id)
        self._fire()
        return self.world.message_json(msg)

    async def press_button(
        self,
        user: SandboxUser,
        chat: ChatRef | None,
        message_id: int,
        data: str | None = None,
        label: str | None = None,
        thread_id: int | None = None,
    ) -> str:
        """Press an inline button (by callback_data or visible label); returns the query id."""
        target = self.chat(chat if chat is not None else user)
        msg = self._pressable(user, target, message_id, thread_id)
        buttons = [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]
        chosen = [
            b
            for b in buttons
            if (data is not None and b.get("callback_data") == data)
            or (label is not None and b.get("text") == label)
        ]
        if data is None and label is None:
            raise ValueError("press_button needs data= or label=")
        if not chosen or "callback_data" not in chosen[0]:
            shown = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise ValueError(
                f"message {message_id} in chat {target.id} has no callback button "
                f"data={data!r} label={label!r}; its buttons (label, data): {shown}"
            )
        return await self.press_raw(user, target, message_id, str(chosen[0]["callback_data"]))

    async def press_raw(
        self, user: SandboxUser, chat: ChatRef | None, message_id: int, data: str
    ) -> str:
        """Send a callback query with arbitrary (possibly forged) data for a bot message."""
        target = self.chat(chat if chat is not None else user)
        msg = self._pressable(user, target, message_id, None)
        query = self.world.press(user, msg, data)
        self._advance_cursor(target, msg.message_thread_id)
        self._fire()
        return query.id

    def _pressable(
        self, user: SandboxUser, chat: SandboxChat, message_id: int, thread_id: int | None
    ) -> StoredMessage:
        msg = self.world.message(chat.id, message_id)
        if msg is None or not msg.from_bot:
            raise ValueError(f"chat {chat.id} has no bot message {message_id}")
        if thread_id is not None and msg.message_thread_id != thread_id:
            raise ValueError(f"message {message_id} is not in thread {thread_id}")
        if chat.type != "private" and chat.members.get(user.id, "left") in ("left", "kicked"):
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        if chat.type == "private" and chat.id != user.id:
            raise ValueError(f"user {user.id} cannot see the private chat {chat.id}")
        return msg

    def callback_answer(self, query_id: str) -> JSON | None:
        """The bot's answer to a callback query, or None while unanswered."""
        query = self._query(query_id)
        return dict(query.answer) if query.answer is not None else None

    def _query(self, query_id: str) -> CallbackQuery:
        if query_id not in self.world.callback_queries:
            raise KeyError(f"no callback query {query_id}")
        return self.world.callback_queries[query_id]

    async def wait_callback_answer(self, query_id: str, timeout: float = 5) -> JSON:  # noqa: ASYNC109
        """Wait until the bot answered a callback query; returns {text, show_alert, ...}."""
        deadline = self._loop_time() + timeout
        while True:
            answer = self.callback_answer(query_id)
            if answer is not None:
                return answer
            remaining = deadline - self._loop_time()
            if remaining <= 0:
                raise TimeoutError(
                    f"the bot did not answer callback query {query_id} within {timeout} s"
                    + self._recent_errors()
                )
            await self._wait_change(remaining)

    # ----- observing the bot -----------------------------------------------------------------

    def _in_thread(self, chat: SandboxChat, msg: StoredMessage, thread_id: int | None) -> bool:
        if thread_id is None:
            return not chat.is_forum or msg.message_thread_id is None
        return msg.message_thread_id == thread_id

    def _stored(
        self,
        chat: SandboxChat,
        thread_id: int | None,
        *,
        from_bot: bool,
        include_deleted: bool = False,
    ) -> list[StoredMessage]:
        found = [
            m
            for (cid, _), m in self.world.messages.items()
            if cid == chat.id
            and (include_deleted or not m.deleted)
            and (m.from_bot or not from_bot)
            and not (from_bot and m.service)
            and self._in_thread(chat, m, thread_id)
        ]
        return sorted(found, key=lambda m: m.message_id)

    def messages(
        self,
        chat: ChatRef,
        thread_id: int | None = None,
        *,
        from_bot: bool = True,
        include_deleted: bool = False,
    ) -> list[JSON]:
        """Messages of a chat/topic in order (bot's only unless from_bot=False), current text.

        For forums thread_id None means the General topic; otherwise the whole chat.
        """
        target = self.chat(chat)
        stored = self._stored(
            target, thread_id, from_bot=from_bot, include_deleted=include_deleted
        )
        return [self.world.message_json(m) for m in stored]

    def message(self, chat: ChatRef, message_id: int) -> JSON | None:
        """One stored message (even if deleted) as Telegram JSON, or None."""
        msg = self.world.messages.get((self.chat(chat).id, message_id))
        return self.world.message_json(msg) if msg is not None else None

    def is_deleted(self, chat: ChatRef, message_id: int) -> bool:
        """Whether the bot deleted that message."""
        msg = self.world.messages.get((self.chat(chat).id, message_id))
        return msg is not None and msg.deleted

    def pinned(self, chat: ChatRef) -> list[int]:
        """Ids of the pinned messages of a chat, in order."""
        target = self.chat(chat)
        return sorted(
            m.message_id
            for m in self.world.messages.values()
            if m.chat_id == target.id and m.pinned and not m.deleted
        )

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot sent (a document or photo), by its file_id."""
        return self.world.files[file_id].content

    def edits(self, chat: ChatRef, message_id: int) -> list[JSON]:
        """The edits of one message, oldest first: {text, entities, caption, reply_markup}."""
        msg = self.world.messages.get((self.chat(chat).id, message_id))
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {_chat_id(chat)}")
        return [dict(e) for e in msg.edits]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command menu stored by setMyCommands for a scope (None = default) and language."""
        return [dict(c) for c in self.world.commands.get((scope_key(scope), language_code), [])]

    async def wait_for_message(
        self,
        chat: ChatRef,
        thread_id: int | None = None,
        *,
        after: int | None = None,
        contains: str | None = None,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5,  # noqa: ASYNC109 - part of the agreed test API
    ) -> JSON:
        """Wait for the next unseen bot message in a chat/topic that matches.

        "Unseen" means: message_id > ``after`` if given, else newer than the last message a
        wait returned for this chat/topic and than the latest user action there.
        """
        found = await self._wait_messages(
            chat, 1, thread_id, after, timeout, contains=contains, predicate=predicate
        )
        return found[0]

    async def wait_for_messages(
        self,
        chat: ChatRef,
        count: int,
        thread_id: int | None = None,
        after: int | None = None,
        timeout: float = 5,  # noqa: ASYNC109 - part of the agreed test API
    ) -> list[JSON]:
        """Wait for ``count`` unseen bot messages in a chat/topic; returns them in order."""
        return await self._wait_messages(chat, count, thread_id, after, timeout)

    async def _wait_messages(
        self,
        chat: ChatRef,
        count: int,
        thread_id: int | None,
        after: int | None,
        seconds: float,
        *,
        contains: str | None = None,
        predicate: Callable[[JSON], bool] | None = None,
    ) -> list[JSON]:
        target = self.chat(chat)
        key = (target.id, thread_id)
        start = after if after is not None else self._cursors.get(key, 0)
        deadline = self._loop_time() + seconds
        while True:
            matched: list[JSON] = []
            for msg in self._stored(target, thread_id, from_bot=True):
                if msg.message_id <= start:
                    continue
                as_json = self.world.message_json(msg)
                text = as_json.get("text") or as_json.get("caption") or ""
                if contains is not None and contains not in text:
                    continue
                if predicate is not None and not predicate(as_json):
                    continue
                matched.append(as_json)
                if len(matched) == count:
                    break
            if len(matched) == count:
                last = matched[-1]["message_id"]
                self._cursors[key] = max(self._cursors.get(key, 0), last)
                return matched
            remaining = deadline - self._loop_time()
            if remaining <= 0:
                raise TimeoutError(
                    self._describe_timeout(target, thread_id, start, count, matched, contains)
                )
            await self._wait_change(remaining)

    def _describe_timeout(
        self,
        chat: SandboxChat,
        thread_id: int | None,
        start: int,
        count: int,
        matched: list[JSON],
        contains: str | None,
    ) -> str:
        where = f"chat {chat.id}" + (f" thread {thread_id}" if thread_id is not None else "")
        wanted = f"{count} bot message(s)" + (f" containing {contains!r}" if contains else "")
        lines = [f"timed out waiting for {wanted} in {where} after message_id {start}"]
        lines.append(f"matched so far: {len(matched)}")
        everything = self._stored(chat, None if not chat.is_forum else thread_id, from_bot=False)
        lines.append("the chat has (newest last):")
        shown = everything[-15:]
        for msg in shown:
            who = "bot" if msg.from_bot else f"user {msg.from_user.id}"
            lines.append(f"  {who} {_short(self.world.message_json(msg))}")
        if not shown:
            lines.append("  (nothing)")
        return "\n".join(lines) + self._recent_errors()

    def _recent_errors(self) -> str:
        if not self.errors and not self.violations:
            return ""
        lines = ["", "recent failed Bot API calls:"]
        for method, params, description in self.errors[-8:]:
            lines.append(f"  {method} {_brief(params)} → {description}")
        if self.violations:
            lines.append(f"violations: {self.violations[-8:]}")
        return "\n".join(lines)

    async def wait_idle(self, timeout: float = 5, quiet: float = 0.2) -> None:  # noqa: ASYNC109
        """Wait until the bot fetched every update and made no API call for ``quiet`` s."""
        deadline = self._loop_time() + timeout
        while True:
            now = self._loop_time()
            fetched = all(uid <= self.world.delivered_update_id for uid, _ in self.world.updates)
            if fetched and self._in_flight == 0 and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                pending = [uid for uid, _ in self.world.updates]
                raise TimeoutError(
                    f"the bot was not idle within {timeout} s: pending updates {pending}, "
                    f"delivered up to {self.world.delivered_update_id}, "
                    f"{self._in_flight} API call(s) in flight"
                )
            await asyncio.sleep(0.02)

    # ----- faults ----------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        *,
        chat: ChatRef | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail with 429, 500 or hang;
        with ``chat``, only the calls to that chat (the others go through)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        if method != "*" and spec.canonical_name(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        name = "*" if method == "*" else str(spec.canonical_name(method))
        chat_id = None if chat is None else _chat_id(chat)
        self.faults.append(Fault(name, kind, count, retry_after, chat_id))

    def fault_rate(
        self,
        rate: float,
        kinds: Collection[str] = ("429", "500", "hang"),
        *,
        seed: int | None = None,
        retry_after: int | tuple[int, int] = (1, 3),
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail each eligible Bot API call with probability ``rate`` (0 turns the mode off).

        The kind is drawn uniformly from ``kinds`` (see FAULT_KINDS; "hang" and "lost_reply"
        are separate kinds, so the caller chooses whether timeouts leave the world unchanged,
        carried out, or both). A 429's retry_after is drawn from the inclusive range (or is the
        given int). ``methods`` None means every method but RATE_EXEMPT (getUpdates and PTB's
        start-up/shutdown calls); a set means exactly those, getUpdates never. The same seed
        gives the same faults for the same sequence of calls. Scripted inject_fault faults
        take precedence.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, not {rate!r}")
        if rate == 0:
            self.fault_rate_mode = None
            return
        chosen = tuple(kinds)
        if not chosen or any(k not in FAULT_KINDS for k in chosen):
            raise ValueError(f"fault kinds must be among {FAULT_KINDS}, not {chosen!r}")
        low, high = (retry_after, retry_after) if isinstance(retry_after, int) else retry_after
        if not 1 <= low <= high:
            raise ValueError(f"retry_after must be a positive int or range, not {retry_after!r}")
        names: frozenset[str] | None = None
        if methods is not None:
            canonical = {m: spec.canonical_name(m) for m in methods}
            unknown = [m for m, c in canonical.items() if c is None]
            if unknown:
                raise ValueError(f"unknown Bot API method(s) {unknown!r}")
            names = frozenset(str(c) for c in canonical.values())
            if "getUpdates" in names:
                raise ValueError("getUpdates cannot be failed at a rate: it delivers updates")
        self.fault_rate_mode = FaultRate(
            rate, chosen, (low, high), names, seed, random.Random(seed)
        )

    def _take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, params):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        mode = self.fault_rate_mode
        if mode is not None and mode.applies(method) and mode.rng.random() < mode.rate:
            kind = mode.rng.choice(mode.kinds)
            return Fault(method, kind, 1, mode.rng.randint(*mode.retry_after))
        return None

    # ----- HTTP: the Bot API -----------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application: Bot API, file downloads and the control API."""
        from sandbox.control import add_control_routes

        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        return app

    async def _read_params(self, request: web.Request, method: str) -> dict[str, Any]:
        params: dict[str, Any] = {k: decode_param(method, k, v) for k, v in request.query.items()}
        if request.method not in ("POST", "PUT") or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: the JSON body must be an object")
            params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            files: dict[str, UploadedFile] = {}
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    content = bytes(await part.read())
                    ptype = part.headers.get("Content-Type")
                    files[part.name] = UploadedFile(part.filename, content, ptype)
                else:
                    params[part.name] = decode_param(method, part.name, await part.text())
            # attach://name values point at file parts; other file parts are parameters.
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://"):
                    attached = files.pop(value.removeprefix("attach://"), None)
                    if attached is not None:
                        params[key] = attached
            params.update(files)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = decode_param(method, key, value)
                elif isinstance(value, FileField):
                    params[key] = UploadedFile(
                        value.filename, value.file.read(), value.content_type
                    )
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        raw_method = request.match_info["method"]
        method = spec.canonical_name(raw_method)
        if method is None:
            self.violations.append(f"unknown method {raw_method}")
            self.errors.append((raw_method, {}, "Not Found"))
            return _error(404, "Not Found")
        self._in_flight += 1
        self._last_activity = self._loop_time()
        counted = True
        try:
            try:
                params = await self._read_params(request, method)
            except ApiError as exc:
                return self._fail(method, {}, exc)
            self.requests.append((method, params))
            problems = spec.check_request(method, params)
            if problems:
                self.violations.extend(problems)
                return self._fail(method, params, ApiError(400, f"Bad Request: {problems[0]}"))
            fault = self._take_fault(method, params)
            if fault is not None:
                self.fault_counts[fault.kind] += 1
                self.fault_log.append((method, fault.kind))
                if fault.kind == "429":
                    return self._fail(
                        method,
                        params,
                        ApiError(
                            429,
                            f"Too Many Requests: retry after {fault.retry_after}",
                            retry_after=fault.retry_after,
                        ),
                    )
                if fault.kind == "500":
                    return self._fail(method, params, ApiError(500, "Internal Server Error"))
                if fault.kind == "502":
                    self.errors.append((method, params, "Bad Gateway"))
                    return web.Response(
                        status=502, text=BAD_GATEWAY_HTML, content_type="text/html"
                    )
            if fault is not None and fault.kind == "hang":
                response: web.StreamResponse = _error(500, "Internal Server Error")
            else:
                response = await self._run(method, params)
            if fault is not None:
                # hang / lost_reply: hold the answer until the client gives up (aiohttp then
                # cancels this handler) or the server stops. A held call must not keep
                # wait_idle from ever succeeding, so it stops counting as in flight.
                self._in_flight -= 1
                counted = False
                self._last_activity = self._loop_time()
                self._fire()
                assert self._stopping is not None
                await self._stopping.wait()
            return response
        finally:
            if counted:
                self._in_flight -= 1
            self._last_activity = self._loop_time()
            self._fire()

    async def _run(self, method: str, params: dict[str, Any]) -> web.Response:
        """Carry out one call; every failure becomes Telegram's error answer."""
        try:
            if method == "getUpdates":
                # A long poll is not "in flight" for wait_idle while it waits.
                self._in_flight -= 1
                try:
                    result = await self._get_updates(params)
                finally:
                    self._in_flight += 1
            else:
                result = self.api.call(method, params)
        except LimitExceeded as exc:
            self.violations.append(f"{method}: {exc.description} ({exc.detail})")
            return self._fail(method, params, exc)
        except ApiError as exc:
            return self._fail(method, params, exc)
        except NotSupported as exc:
            self.violations.append(str(exc))
            return self._fail(method, params, ApiError(400, f"Bad Request: {exc}"))
        except Exception as exc:  # a sandbox bug must surface as a violation, not a hang
            self.violations.append(f"sandbox internal error in {method}: {exc!r}")
            return self._fail(method, params, ApiError(500, "Internal Server Error"))
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    def _fail(self, method: str, params: dict[str, Any], exc: ApiError) -> web.Response:
        self.errors.append((method, params, exc.description))
        return _error(exc.code, exc.description, exc.retry_after)

    async def _get_updates(self, params: dict[str, Any]) -> list[JSON]:
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(offset, int | None) or not isinstance(limit, int):
            raise ApiError(400, "Bad Request: wrong parameter type in getUpdates")
        if not isinstance(timeout, int | float):
            timeout = 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.world.allowed_updates = [str(a) for a in allowed]
        # Only one getUpdates may wait at a time; a newer one ends the older with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._fire()
        deadline = self._loop_time() + float(timeout)
        assert self._stopping is not None
        while True:
            batch = self.world.take_updates(offset, limit)
            if batch:
                self._fire()
                return batch
            remaining = deadline - self._loop_time()
            if remaining <= 0 or self._stopping.is_set():
                return []
            await self._wait_change(remaining)
            if self._poll_generation != generation:
                raise ApiError(409, CONFLICT)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        stored = self.world.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # ----- control-API helpers ---------------------------------------------------------------

    def state(self) -> JSON:
        """Users, chats and topics, so a person can discover ids."""
        return {
            "bot": self.bot_user.to_json(),
            "users": [u.to_json() for u in self.world.users.values()],
            "chats": [
                {
                    **c.to_json(),
                    "members": {str(k): v for k, v in c.members.items()},
                    "topics": {str(k): v for k, v in c.topics.items()},
                    "started": c.started,
                }
                for c in self.world.chats.values()
            ],
        }


def _brief(params: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in params.items() if k in ("chat_id", "message_id", "text", "caption")}
    text = json.dumps(shown, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code, dumps=_dumps)


def _guess_mime(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
