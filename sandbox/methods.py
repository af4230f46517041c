"""The Bot API methods the sandbox implements, with Telegram's checks and error texts.

Every handler takes the decoded parameters and returns the ``result`` or raises ``ApiError``.
getUpdates lives in the server because it waits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.formatting import EntityParseError, parse_html, strip_text, utf16_len
from sandbox.world import (
    JSON,
    LimitExceeded,
    SandboxChat,
    StoredFile,
    StoredMessage,
    World,
    bad_request,
    file_json,
    now_ts,
    scope_key,
)

# Telegram counts these in UTF-16 code units of the text after entity parsing (what the user
# sees: tags stripped, "&amp;" one unit, an emoji outside the BMP two) and after trimming.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64  # UTF-8 bytes

# Telegram's answers to an over-long text: sends and edits word it differently.
TOO_LONG = {
    (False, False): "message is too long",
    (True, False): "message caption is too long",
    (False, True): "MESSAGE_TOO_LONG",
    (True, True): "MESSAGE_TOO_LONG",
}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

SCOPE_TYPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


class NotSupported(Exception):
    """A request the sandbox cannot serve faithfully; answered 400 and recorded as a violation."""


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None


Handler = Callable[["BotApi", dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under the spec spelling of one or more method names."""

    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


class BotApi:
    """Implements the Bot API methods on a ``World``."""

    def __init__(self, world: World, *, strict_html: bool = True) -> None:
        self.world = world
        self.strict_html = strict_html
        self.settings: dict[str, Any] = {}

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Run a method by its spec name; raises ApiError or NotSupported."""
        handler = HANDLERS.get(method)
        if handler is None:
            raise NotSupported(f"method not implemented in sandbox: {method}")
        return handler(self, params)

    # ----- shared checks ---------------------------------------------------------------------

    def formatted(
        self,
        text: object,
        parse_mode: object,
        entities: object,
        *,
        caption: bool,
        edit: bool = False,
    ) -> tuple[str, list[JSON]]:
        """Apply parse_mode or explicit entities; enforce Telegram's limits on the result."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            text = str(text)
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        if entities:
            plain, ents = strip_text(text, [dict(e) for e in entities if isinstance(e, dict)])
        elif parse_mode in (None, ""):
            plain, ents = strip_text(text, [])
        elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                plain, ents = parse_html(text, strict_ampersand=self.strict_html)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif isinstance(parse_mode, str) and parse_mode.lower() in ("markdownv2", "markdown"):
            raise NotSupported(
                f"parse_mode {parse_mode} is not supported by the sandbox; use HTML"
            )
        else:
            raise bad_request("unsupported parse_mode")
        what = "caption" if caption else "text"
        if not caption and not plain:
            raise LimitExceeded("message text is empty", "message text is empty after parsing")
        units, limit = utf16_len(plain), MAX_CAPTION if caption else MAX_TEXT
        if units > limit:
            raise LimitExceeded(
                TOO_LONG[(caption, edit)],
                f"{what} is {units} UTF-16 units after entity parsing, over {limit}",
            )
        return plain, ents

    def reply_markup(self, markup: object) -> JSON | None:
        """Validate a reply_markup; returns the inline keyboard to store, if any."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            # Reply keyboards, ReplyKeyboardRemove and ForceReply are not part of the Message.
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                self._check_button(button)
        return {"inline_keyboard": [[dict(b) for b in row] for row in rows]}

    @staticmethod
    def _check_button(button: object) -> None:
        prefix = "can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise bad_request(prefix + "InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise bad_request(prefix + 'Field "text" must be of type String')
        if not button["text"].strip():
            raise LimitExceeded("BUTTON_TEXT_INVALID", "inline button with empty text")
        actions = [k for k in BUTTON_ACTIONS if k in button]
        if not actions:
            raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise bad_request(prefix + "InlineKeyboardButton must have exactly one action")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                size = len(data.encode()) if isinstance(data, str) else None
                raise LimitExceeded(
                    "BUTTON_DATA_INVALID",
                    f"callback_data of {size} bytes, not 1-{MAX_CALLBACK_DATA_BYTES}: {data!r}",
                )
        if "url" in button and not (isinstance(button["url"], str) and button["url"].strip()):
            raise bad_request("BUTTON_URL_INVALID")

    def sendable_chat(self, params: dict[str, Any]) -> tuple[SandboxChat, int | None]:
        """The target chat and thread of a send; raises Telegram's errors."""
        chat = self.world.find_chat(params.get("chat_id"))
        thread = params.get("message_thread_id")
        self.world.check_can_send(chat, thread)
        return chat, thread if isinstance(thread, int) else None

    def reply_target(self, chat: SandboxChat, params: dict[str, Any]) -> int | None:
        """The replied-to message id from reply_parameters, checked to exist."""
        reply = params.get("reply_parameters")
        if reply is None:
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        if reply.get("chat_id") not in (None, chat.id):
            raise NotSupported("reply_parameters.chat_id to another chat is not supported")
        target = reply["message_id"]
        if self.world.message(chat.id, target) is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return int(target)

    def reply_thread(
        self, chat: SandboxChat, thread: int | None, reply_to: int | None
    ) -> int | None:
        """In a forum a reply without message_thread_id lands in the replied message's topic."""
        if thread is not None or reply_to is None or not chat.is_forum:
            return thread
        replied = self.world.message(chat.id, reply_to)
        return replied.message_thread_id if replied is not None else None

    def existing(
        self, params: dict[str, Any], not_found: str
    ) -> tuple[SandboxChat, StoredMessage]:
        """The chat and message named by chat_id/message_id, or Telegram's not-found error."""
        if params.get("inline_message_id") is not None:
            raise NotSupported("inline messages (inline_message_id) are not supported")
        chat = self.world.find_chat(params.get("chat_id"))
        msg = self.world.message(chat.id, params.get("message_id"))
        if msg is None:
            raise bad_request(not_found)
        return chat, msg

    def upload(self, value: object, kind: str, mime_default: str | None) -> StoredFile:
        """Store an uploaded file, or resolve a known file_id; URLs cannot be fetched here."""
        if isinstance(value, UploadedFile):
            if not value.content:
                raise bad_request("file must be non-empty")
            mime = value.content_type
            if mime in (None, "application/octet-stream") and mime_default:
                mime = mime_default
            return self.world.store_file(value.content, kind, value.filename, mime)
        if isinstance(value, str) and value in self.world.files:
            return self.world.files[value]
        if isinstance(value, str) and re.match(r"^https?://", value):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def is_admin(self, chat: SandboxChat) -> bool:
        """Whether the bot administers a group (always true in a private chat)."""
        return chat.type == "private" or self.world.bot_status(chat) in (
            "creator",
            "administrator",
        )


# ----- trivial and bot-level methods ---------------------------------------------------------


@handles("getMe")
def _get_me(api: BotApi, params: dict[str, Any]) -> JSON:
    del params
    return {
        **api.world.bot.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@handles("logOut", "close", "setChatMenuButton")
def _ok(api: BotApi, params: dict[str, Any]) -> bool:
    if "menu_button" in params:
        api.world.menu_buttons[params.get("chat_id")] = params["menu_button"]
    return True


@handles("getChatMenuButton")
def _get_menu_button(api: BotApi, params: dict[str, Any]) -> JSON:
    buttons = api.world.menu_buttons
    return buttons.get(params.get("chat_id"), buttons.get(None, {"type": "default"}))


@handles("deleteWebhook")
def _delete_webhook(api: BotApi, params: dict[str, Any]) -> bool:
    if params.get("drop_pending_updates"):
        api.world.updates.clear()
    return True


@handles("getWebhookInfo")
def _webhook_info(api: BotApi, params: dict[str, Any]) -> JSON:
    del params
    return {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(api.world.updates),
    }


def _bot_text_handler(key: str, limit: int, setter: bool) -> Handler:
    def handler(api: BotApi, params: dict[str, Any]) -> Any:
        lang = str(params.get("language_code") or "")
        if setter:
            value = str(params.get(key) or "")
            if len(value) > limit:
                raise bad_request(f"{key.replace('_', ' ')} is too long")
            api.settings[f"{key}:{lang}"] = value
            return True
        return {key: api.settings.get(f"{key}:{lang}", "")}

    return handler


for _name, _key, _limit in (
    ("MyDescription", "description", 512),
    ("MyShortDescription", "short_description", 120),
    ("MyName", "name", 64),
):
    HANDLERS["set" + _name] = _bot_text_handler(_key, _limit, True)
    HANDLERS["get" + _name] = _bot_text_handler(_key, _limit, False)


# ----- commands ------------------------------------------------------------------------------


def _scope(api: BotApi, params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            api.world.find_chat(scope.get("chat_id"))
        if scope["type"] == "chat_member" and scope.get("user_id") not in api.world.users:
            raise bad_request("user not found")
    lang = params.get("language_code") or ""
    return scope_key(scope), str(lang)


@handles("setMyCommands")
def _set_commands(api: BotApi, params: dict[str, Any]) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands")
    clean: list[JSON] = []
    for cmd in commands:
        if not isinstance(cmd, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name = cmd.get("command")
        desc = cmd.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": desc})
    api.world.commands[_scope(api, params)] = clean
    return True


@handles("getMyCommands")
def _get_commands(api: BotApi, params: dict[str, Any]) -> list[JSON]:
    return [dict(c) for c in api.world.commands.get(_scope(api, params), [])]


@handles("deleteMyCommands")
def _delete_commands(api: BotApi, params: dict[str, Any]) -> bool:
    api.world.commands.pop(_scope(api, params), None)
    return True


# ----- sending -------------------------------------------------------------------------------


@handles("sendMessage")
def _send_message(api: BotApi, params: dict[str, Any]) -> JSON:
    chat, thread = api.sendable_chat(params)
    text, entities = api.formatted(
        params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
    )
    markup = api.reply_markup(params.get("reply_markup"))
    reply_to = api.reply_target(chat, params)
    thread = api.reply_thread(chat, thread, reply_to)
    msg = api.world.store_message(
        chat,
        api.world.bot,
        thread_id=thread,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to=reply_to,
    )
    return api.world.message_json(msg)


def _send_file(api: BotApi, params: dict[str, Any], field: str) -> JSON:
    chat, thread = api.sendable_chat(params)
    caption, caption_entities = api.formatted(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    markup = api.reply_markup(params.get("reply_markup"))
    reply_to = api.reply_target(chat, params)
    thread = api.reply_thread(chat, thread, reply_to)
    if field == "photo":
        stored = api.upload(params.get("photo"), "photos", "image/jpeg")
        document, photo = None, stored
    else:
        stored = api.upload(params.get("document"), "documents", None)
        document, photo = stored, None
    msg = api.world.store_message(
        chat,
        api.world.bot,
        thread_id=thread,
        caption=caption or None,
        caption_entities=caption_entities,
        reply_markup=markup,
        reply_to=reply_to,
        document=document,
        photo=photo,
    )
    return api.world.message_json(msg)


@handles("sendDocument")
def _send_document(api: BotApi, params: dict[str, Any]) -> JSON:
    return _send_file(api, params, "document")


@handles("sendPhoto")
def _send_photo(api: BotApi, params: dict[str, Any]) -> JSON:
    return _send_file(api, params, "photo")


@handles("getFile")
def _get_file(api: BotApi, params: dict[str, Any]) -> JSON:
    stored = api.world.files.get(str(params.get("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return {**file_json(stored), "file_path": stored.file_path}


@handles("sendChatAction")
def _chat_action(api: BotApi, params: dict[str, Any]) -> bool:
    api.sendable_chat(params)
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


# ----- editing and deleting ------------------------------------------------------------------


def _record_edit(msg: StoredMessage) -> None:
    msg.edit_date = now_ts()
    msg.edits.append(
        {
            "text": msg.text,
            "entities": msg.entities,
            "caption": msg.caption,
            "reply_markup": msg.reply_markup,
            "edit_date": msg.edit_date,
        }
    )


def _editable(api: BotApi, params: dict[str, Any]) -> StoredMessage:
    _, msg = api.existing(params, "message to edit not found")
    if not msg.from_bot or msg.service:
        raise bad_request("message can't be edited")
    return msg


@handles("editMessageText")
def _edit_text(api: BotApi, params: dict[str, Any]) -> JSON:
    msg = _editable(api, params)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = api.formatted(
        params.get("text"),
        params.get("parse_mode"),
        params.get("entities"),
        caption=False,
        edit=True,
    )
    # Telegram drops the inline keyboard when an edit does not repeat it.
    markup = api.reply_markup(params.get("reply_markup"))
    if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    msg.text, msg.entities, msg.reply_markup = text, entities, markup
    _record_edit(msg)
    return api.world.message_json(msg)


@handles("editMessageCaption")
def _edit_caption(api: BotApi, params: dict[str, Any]) -> JSON:
    msg = _editable(api, params)
    if msg.document is None and msg.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = api.formatted(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
        edit=True,
    )
    markup = api.reply_markup(params.get("reply_markup"))
    new = (caption or None, entities, markup)
    if new == (msg.caption, msg.caption_entities, msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    msg.caption, msg.caption_entities, msg.reply_markup = new
    _record_edit(msg)
    return api.world.message_json(msg)


@handles("editMessageReplyMarkup")
def _edit_markup(api: BotApi, params: dict[str, Any]) -> JSON:
    msg = _editable(api, params)
    markup = api.reply_markup(params.get("reply_markup"))
    if markup == msg.reply_markup:
        raise bad_request(NOT_MODIFIED)
    msg.reply_markup = markup
    _record_edit(msg)
    return api.world.message_json(msg)


def _delete_one(api: BotApi, chat: SandboxChat, msg: StoredMessage) -> None:
    # Bots delete their own messages anywhere and others' only in private chats or as admins.
    if not msg.from_bot and not api.is_admin(chat):
        raise bad_request("message can't be deleted")
    msg.deleted = True
    msg.pinned = False


@handles("deleteMessage")
def _delete_message(api: BotApi, params: dict[str, Any]) -> bool:
    chat, msg = api.existing(params, "message to delete not found")
    _delete_one(api, chat, msg)
    return True


@handles("deleteMessages")
def _delete_messages(api: BotApi, params: dict[str, Any]) -> bool:
    chat = api.world.find_chat(params.get("chat_id"))
    ids = params.get("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    found = [m for m in (api.world.message(chat.id, i) for i in ids) if m is not None]
    if not found:
        raise bad_request("message to delete not found")
    for msg in found:
        _delete_one(api, chat, msg)
    return True


@handles("pinChatMessage")
def _pin(api: BotApi, params: dict[str, Any]) -> bool:
    chat, msg = api.existing(params, "message to pin not found")
    if not api.is_admin(chat):
        raise bad_request("not enough rights to manage pinned messages in the chat")
    msg.pinned = True
    return True


@handles("unpinChatMessage")
def _unpin(api: BotApi, params: dict[str, Any]) -> bool:
    chat = api.world.find_chat(params.get("chat_id"))
    if not api.is_admin(chat):
        raise bad_request("not enough rights to manage pinned messages in the chat")
    if params.get("message_id") is not None:
        msg = api.world.message(chat.id, params["message_id"])
        if msg is None:
            raise bad_request("message to unpin not found")
        msg.pinned = False
        return True
    pinned = [m for m in api.world.messages.values() if m.chat_id == chat.id and m.pinned]
    if pinned:
        max(pinned, key=lambda m: m.message_id).pinned = False
    return True


@handles("unpinAllChatMessages")
def _unpin_all(api: BotApi, params: dict[str, Any]) -> bool:
    chat = api.world.find_chat(params.get("chat_id"))
    if not api.is_admin(chat):
        raise bad_request("not enough rights to manage pinned messages in the chat")
    for msg in api.world.messages.values():
        if msg.chat_id == chat.id:
            msg.pinned = False
    return True


# ----- callback queries ----------------------------------------------------------------------


@handles("answerCallbackQuery")
def _answer_callback(api: BotApi, params: dict[str, Any]) -> bool:
    query = api.world.callback_queries.get(str(params.get("callback_query_id")))
    if query is None or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    text = params.get("text")
    if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER:
        raise LimitExceeded(
            "MESSAGE_TOO_LONG",
            f"callback answer text is {utf16_len(text)} UTF-16 units, over {MAX_CALLBACK_ANSWER}",
        )
    query.answered = True
    query.answer = {
        "text": text,
        "show_alert": bool(params.get("show_alert", False)),
        "url": params.get("url"),
        "cache_time": params.get("cache_time", 0),
    }
    return True


# ----- chats and members ---------------------------------------------------------------------


_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}


def member_json(api: BotApi, chat: SandboxChat, user_id: int) -> JSON:
    """The ChatMember object of a user in a chat."""
    if user_id == api.world.bot.id:
        user = api.world.bot
    elif user_id in api.world.users:
        user = api.world.users[user_id]
    else:
        raise bad_request("user not found")
    status = chat.members.get(user_id, "left")
    out: JSON = {"status": status, "user": user.to_json()}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update(_ADMIN_RIGHTS)
    elif status == "kicked":
        out["until_date"] = 0
    return out


@handles("getChat")
def _get_chat(api: BotApi, params: dict[str, Any]) -> JSON:
    chat = api.world.find_chat(params.get("chat_id"))
    out = {
        **chat.to_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    pinned = [m for m in api.world.messages.values() if m.chat_id == chat.id and m.pinned]
    if pinned:
        latest = max(pinned, key=lambda m: m.message_id)
        out["pinned_message"] = api.world.message_json(latest)
    return out


@handles("getChatMember")
def _get_member(api: BotApi, params: dict[str, Any]) -> JSON:
    chat = api.world.find_chat(params.get("chat_id"))
    user_id = params.get("user_id")
    if not isinstance(user_id, int):
        raise bad_request("invalid user_id specified")
    return member_json(api, chat, user_id)


@handles("getChatAdministrators")
def _get_admins(api: BotApi, params: dict[str, Any]) -> list[JSON]:
    chat = api.world.find_chat(params.get("chat_id"))
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        member_json(api, chat, uid)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator")
    ]


@handles("getChatMemberCount")
def _member_count(api: BotApi, params: dict[str, Any]) -> int:
    chat = api.world.find_chat(params.get("chat_id"))
    return sum(1 for s in chat.members.values() if s in ("creator", "administrator", "member"))
