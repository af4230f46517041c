"""The sandbox's in-memory Telegram world: users, chats, topics, messages and pending updates.

Pure data and rules, no I/O; the server turns ``ApiError`` into Bot API error responses.
"""

from __future__ import annotations

import copy
import datetime as dtm
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.formatting import Entity, bot_command_entities

JSON = dict[str, Any]

MEMBER_STATUSES = ("creator", "administrator", "member", "left", "kicked")

# Update types Telegram delivers when allowed_updates is empty (everything but these three).
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    """A Bot API error answer: HTTP/error code plus Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class LimitExceeded(ApiError):
    """A 400 for a broken Telegram limit; also recorded in ``Sandbox.violations``.

    A bot that sends too long a text has a bug Telegram would answer the same way, so tests
    should fail on it even when the bot catches the BadRequest.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(400, f"Bad Request: {reason}")
        self.detail = detail


def bad_request(reason: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def now_ts() -> int:
    """The current Unix time, as Telegram's integer dates."""
    return int(dtm.datetime.now(dtm.UTC).timestamp())


@dataclass
class SandboxUser:
    """A Telegram user (a guest or a staff member) who can talk to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> JSON:
        """The Telegram ``User`` object."""
        out: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    @property
    def full_name(self) -> str:
        """First and last name, as clients show them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


# The placeholder sender Telegram puts in "from" of a message an anonymous admin sent on behalf
# of the group; the group itself is then the message's sender_chat.
GROUP_ANONYMOUS_BOT = SandboxUser(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)


@dataclass
class SandboxChat:
    """A chat: a user's private chat with the bot, a group or a (forum) supergroup."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    is_forum: bool = False
    username: str | None = None
    user: SandboxUser | None = None  # the other party of a private chat
    # Status per user id, bot included: "creator", "administrator", "member", "left", "kicked".
    members: dict[int, str] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)  # message_thread_id → topic name
    started: bool = False  # private chats: the user has written to the bot
    blocked: bool = False  # private chats: the user blocked the bot
    last_message_id: int = 0

    def to_json(self) -> JSON:
        """The Telegram ``Chat`` object."""
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user is not None:
            out.update({k: v for k, v in self.user.to_json().items() if k in _CHAT_USER_KEYS})
        else:
            out["title"] = self.title or ""
        if self.username:
            out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out

    def next_message_id(self) -> int:
        """Allocate the next message id of this chat."""
        self.last_message_id += 1
        return self.last_message_id


_CHAT_USER_KEYS = ("first_name", "last_name", "username")


@dataclass
class StoredFile:
    """An uploaded or incoming file, downloadable through getFile and the /file route."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class StoredMessage:
    """One message in a chat, sent by a user or by the bot; edits update it in place."""

    chat_id: int
    message_id: int
    from_user: SandboxUser
    date: int
    message_thread_id: int | None = None
    is_topic_message: bool = False
    text: str | None = None
    entities: list[Entity] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    service: JSON | None = None  # e.g. {"forum_topic_created": {...}}
    pinned: bool = False
    deleted: bool = False
    edits: list[JSON] = field(default_factory=list)
    sender_chat_id: int | None = None  # sent on behalf of a chat (an anonymous group admin)

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message (not GroupAnonymousBot standing in for an admin)."""
        return self.from_user.is_bot and self.sender_chat_id is None


@dataclass
class CallbackQuery:
    """A button press and, once the bot answered it, the answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: JSON | None = None


class World:
    """All state of the sandboxed Telegram, mutated only through its methods."""

    def __init__(self, bot: SandboxUser) -> None:
        self.bot = bot
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.updates: list[tuple[int, JSON]] = []  # pending, in update_id order
        self.last_update_id = 0
        self.delivered_update_id = 0  # highest update_id returned by getUpdates so far
        self.allowed_updates: list[str] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self._ids = itertools.count(1)
        self._group_ids = itertools.count(1)

    # ----- setup -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SandboxUser:
        """Create a user and their (not yet started) private chat with the bot."""
        if user_id in self.users or user_id in self.chats or user_id <= 0:
            raise ValueError(f"user id {user_id} is taken or not positive")
        user = SandboxUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.chats[user_id] = SandboxChat(
            user_id, "private", user=user, members={user_id: "member", self.bot.id: "member"}
        )
        return user

    def add_group(
        self,
        title: str,
        chat_id: int | None = None,
        *,
        supergroup: bool = True,
        forum: bool = False,
        members: list[SandboxUser] | None = None,
        admins: list[SandboxUser] | None = None,
        creator: SandboxUser | None = None,
        bot_status: str = "administrator",
    ) -> SandboxChat:
        """Create a group or supergroup the bot is in; a forum must be a supergroup."""
        if forum and not supergroup:
            raise ValueError("a forum must be a supergroup")
        if chat_id is None:
            n = next(self._group_ids)
            chat_id = -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
            while chat_id in self.chats:
                chat_id -= 1
        if chat_id >= 0 or chat_id in self.chats:
            raise ValueError(f"group chat id {chat_id} must be negative and unused")
        chat = SandboxChat(
            chat_id, "supergroup" if supergroup else "group", title=title, is_forum=forum
        )
        chat.members[self.bot.id] = bot_status
        for user in members or []:
            chat.members[user.id] = "member"
        for user in admins or []:
            chat.members[user.id] = "administrator"
        if creator is not None:
            chat.members[creator.id] = "creator"
        self.chats[chat_id] = chat
        return chat

    def add_topic(self, chat: SandboxChat, name: str, creator: SandboxUser | None = None) -> int:
        """Create a forum topic; its id is the id of its creation service message."""
        if not chat.is_forum:
            raise ValueError(f"chat {chat.id} is not a forum")
        thread_id = chat.next_message_id()
        chat.topics[thread_id] = name
        self.messages[(chat.id, thread_id)] = StoredMessage(
            chat_id=chat.id,
            message_id=thread_id,
            from_user=creator or self.bot,
            date=now_ts(),
            message_thread_id=thread_id,
            is_topic_message=True,
            service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
        )
        return thread_id

    def add_member(self, chat: SandboxChat, user: SandboxUser, status: str = "member") -> None:
        """Set a user's membership status in a group."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        chat.members[user.id] = status

    # ----- lookups ---------------------------------------------------------------------------

    def find_chat(self, chat_id: object) -> SandboxChat:
        """The chat for a Bot API chat_id (int or "@username"), else "chat not found"."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                owner = chat.user.username if chat.user else chat.username
                if owner and owner.lower() == name:
                    return chat
            raise bad_request("chat not found")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool) and chat_id in self.chats:
            return self.chats[chat_id]
        raise bad_request("chat not found")

    def check_can_send(self, chat: SandboxChat, thread_id: object = None) -> None:
        """Raise Telegram's error when the bot may not post into this chat (and thread)."""
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            status = chat.members.get(self.bot.id, "left")
            if status == "kicked":
                kind = "supergroup" if chat.type == "supergroup" else "group"
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            if status == "left":
                raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        if thread_id is not None:
            self.check_thread(chat, thread_id)

    def check_thread(self, chat: SandboxChat, thread_id: object) -> None:
        """A thread id must name a topic of a forum (or a message of a non-forum chat)."""
        ok = isinstance(thread_id, int) and (
            thread_id in chat.topics if chat.is_forum else (chat.id, thread_id) in self.messages
        )
        if not ok:
            raise bad_request("message thread not found")

    def message(self, chat_id: int, message_id: object) -> StoredMessage | None:
        """A stored, not deleted message, or None."""
        if not isinstance(message_id, int):
            return None
        found = self.messages.get((chat_id, message_id))
        return found if found is not None and not found.deleted else None

    def bot_status(self, chat: SandboxChat) -> str:
        """The bot's own membership status in a chat."""
        return chat.members.get(self.bot.id, "left")

    # ----- messages --------------------------------------------------------------------------

    def store_message(
        self,
        chat: SandboxChat,
        sender: SandboxUser,
        *,
        thread_id: int | None = None,
        text: str | None = None,
        entities: list[Entity] | None = None,
        caption: str | None = None,
        caption_entities: list[Entity] | None = None,
        reply_markup: JSON | None = None,
        reply_to: int | None = None,
        document: StoredFile | None = None,
        photo: StoredFile | None = None,
        sender_chat_id: int | None = None,
    ) -> StoredMessage:
        """Append a message to a chat with the chat's next message id."""
        msg = StoredMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id(),
            from_user=sender,
            date=now_ts(),
            message_thread_id=thread_id,
            is_topic_message=chat.is_forum and thread_id is not None,
            text=text,
            entities=list(entities or []),
            caption=caption,
            caption_entities=list(caption_entities or []),
            reply_markup=reply_markup,
            reply_to_message_id=reply_to,
            document=document,
            photo=photo,
            sender_chat_id=sender_chat_id,
        )
        self.messages[(chat.id, msg.message_id)] = msg
        return msg

    def user_message(
        self,
        user: SandboxUser,
        chat: SandboxChat,
        text: str | None = None,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        document: StoredFile | None = None,
        caption: str | None = None,
        anonymous: bool = False,
    ) -> StoredMessage:
        """A user writes into a chat: store the message and queue the update for the bot.

        ``anonymous``: an anonymous admin of a group writes on behalf of the group, so the bot
        sees GroupAnonymousBot as ``from`` and the group as ``sender_chat``, never the user.
        """
        if chat.type == "private":
            if chat.user is None or chat.user.id != user.id:
                raise ValueError(f"user {user.id} cannot write into the private chat {chat.id}")
            chat.started = True
            chat.blocked = False
        elif chat.members.get(user.id, "left") in ("left", "kicked"):
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        if thread_id is not None:
            try:
                self.check_thread(chat, thread_id)
            except ApiError:
                raise ValueError(f"chat {chat.id} has no thread {thread_id}") from None
        if reply_to is not None and self.message(chat.id, reply_to) is None:
            raise ValueError(f"chat {chat.id} has no message {reply_to} to reply to")
        if anonymous and chat.members.get(user.id) not in ("creator", "administrator"):
            raise ValueError(f"only an admin of chat {chat.id} can write anonymously")
        entities = bot_command_entities(text) if text else []
        msg = self.store_message(
            chat,
            GROUP_ANONYMOUS_BOT if anonymous else user,
            sender_chat_id=chat.id if anonymous else None,
            thread_id=thread_id,
            text=text,
            entities=entities,
            caption=caption,
            reply_to=reply_to,
            document=document,
        )
        self.push_update("message", self.message_json(msg))
        return msg

    def message_json(self, msg: StoredMessage, *, with_reply: bool = True) -> JSON:
        """The Telegram ``Message`` object of a stored message."""
        chat = self.chats[msg.chat_id]
        out: JSON = {"message_id": msg.message_id}
        if msg.message_thread_id is not None:
            out["message_thread_id"] = msg.message_thread_id
        out["from"] = msg.from_user.to_json()
        if msg.sender_chat_id is not None:
            out["sender_chat"] = self.chats[msg.sender_chat_id].to_json()
        out["chat"] = chat.to_json()
        out["date"] = msg.date
        if msg.is_topic_message:
            out["is_topic_message"] = True
        if msg.reply_to_message_id is not None:
            replied = self.messages.get((msg.chat_id, msg.reply_to_message_id))
            if replied is not None and with_reply:
                # Telegram nests one level only.
                out["reply_to_message"] = self.message_json(replied, with_reply=False)
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = copy.deepcopy(msg.entities)
        if msg.document is not None:
            out["document"] = file_json(msg.document)
        if msg.photo is not None:
            out["photo"] = [{**file_json(msg.photo), "width": 1280, "height": 960}]
            for key in ("file_name", "mime_type"):
                out["photo"][0].pop(key, None)
        if msg.caption is not None:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = copy.deepcopy(msg.caption_entities)
        if msg.service:
            out.update(copy.deepcopy(msg.service))
        if msg.reply_markup is not None:
            out["reply_markup"] = copy.deepcopy(msg.reply_markup)
        return out

    # ----- updates ---------------------------------------------------------------------------

    def push_update(self, kind: str, payload: JSON) -> int:
        """Queue an update for getUpdates and return its update_id."""
        self.last_update_id += 1
        self.updates.append(
            (self.last_update_id, {"update_id": self.last_update_id, kind: payload})
        )
        return self.last_update_id

    def take_updates(self, offset: int | None, limit: int) -> list[JSON]:
        """Confirm updates below ``offset`` and return up to ``limit`` allowed pending ones."""
        if offset is not None:
            if offset < 0:
                # Negative offsets count from the end of the queue, as in Telegram.
                self.updates = self.updates[offset:]
            else:
                self.updates = [(uid, u) for uid, u in self.updates if uid >= offset]
        allowed = set(self.allowed_updates)
        kept: list[tuple[int, JSON]] = []
        for uid, update in self.updates:
            kind = next(k for k in update if k != "update_id")
            wanted = kind in allowed if allowed else kind not in NOT_DELIVERED_BY_DEFAULT
            if wanted:
                kept.append((uid, update))
        # Updates of types the bot does not want are dropped, as Telegram does.
        self.updates = kept
        batch = [copy.deepcopy(update) for _, update in kept[: max(1, min(limit, 100))]]
        if batch:
            self.delivered_update_id = max(self.delivered_update_id, batch[-1]["update_id"])
        return batch

    def press(self, user: SandboxUser, msg: StoredMessage, data: str) -> CallbackQuery:
        """A user presses an inline button carrying ``data``; queues the callback_query update."""
        query = CallbackQuery(
            id=str(4_000_000_000_000_000 + next(self._ids)),
            user_id=user.id,
            chat_id=msg.chat_id,
            message_id=msg.message_id,
            data=data,
        )
        self.callback_queries[query.id] = query
        payload: JSON = {
            "id": query.id,
            "from": user.to_json(),
            "message": self.message_json(msg),
            # Telegram gives a stable opaque id per chat; derive one from the chat id.
            "chat_instance": str(abs(msg.chat_id) * 7919 + 104_729),
            "data": data,
        }
        self.push_update("callback_query", payload)
        return query

    # ----- files -----------------------------------------------------------------------------

    def store_file(
        self, content: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep file bytes under a fresh file_id and file_path."""
        n = next(self._ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photos":
            suffix = ".jpg"
        stored = StoredFile(
            file_id=f"SBX{kind[:3].upper()}{n:08d}AAQ",
            file_unique_id=f"U{n:08d}",
            file_path=f"{kind}/file_{n}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored


def scope_key(scope: object) -> str:
    """A canonical key for a BotCommandScope (None means the default scope)."""
    if scope is None:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def file_json(stored: StoredFile) -> JSON:
    """The Telegram ``Document``-like object of a stored file."""
    out: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if stored.file_name:
        out["file_name"] = stored.file_name
    if stored.mime_type:
        out["mime_type"] = stored.mime_type
    return out
