"""A real python-telegram-bot ``Bot`` against the sandbox: PTB's encodings and error mapping."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut

from sandbox import Sandbox, SandboxUser

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Confirm ✅", callback_data="confirm:7")],
     [InlineKeyboardButton("Site", url="https://example.org")]]
)  # fmt: skip


async def started_user(sb: Sandbox, user_id: int = 1001) -> SandboxUser:
    user = sb.add_user(user_id, "Li Wei", username="liwei", language_code="zh")
    await sb.send_message(user, text="/start")
    return user


async def test_send_html_with_keyboard_and_read_it_back(sb: Sandbox, bot: Bot) -> None:
    user = sb.add_user(1001, "Li Wei", username="liwei")
    await sb.send_message(user, text="/start")
    sent = await bot.send_message(
        user.id, "Welcome, <b>Li Wei</b> &amp; 🏟 <i>guest</i>", parse_mode="HTML",
        reply_markup=KEYBOARD,
    )  # fmt: skip
    assert sent.text == "Welcome, Li Wei & 🏟 guest"
    assert sent.entities == (
        MessageEntity(MessageEntity.BOLD, 9, 6),
        MessageEntity(MessageEntity.ITALIC, 21, 5),
    )
    assert sent.reply_markup == KEYBOARD
    assert sent.from_user is not None
    assert sent.from_user.username == "hotel_vip_bot"
    stored = await sb.wait_for_message(user)
    assert stored["message_id"] == sent.message_id
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "confirm:7"
    assert sb.violations == []


async def test_edit_and_not_modified(sb: Sandbox, bot: Bot) -> None:
    user = await started_user(sb)
    sent = await bot.send_message(1001, "Room 12: <b>dirty</b>", parse_mode="HTML",
                                  reply_markup=KEYBOARD)  # fmt: skip
    edited = await bot.edit_message_text(
        "Room 12: <b>clean</b>", 1001, sent.message_id, parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Room 12: clean"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_text(
            "Room 12: <b>clean</b>", 1001, sent.message_id, parse_mode="HTML",
            reply_markup=KEYBOARD,
        )  # fmt: skip
    # PTB strips "Bad Request: " and capitalises the rest.
    assert caught.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    # Same text without the keyboard is a modification: Telegram removes the keyboard.
    await bot.edit_message_text("Room 12: <b>clean</b>", 1001, sent.message_id, parse_mode="HTML")
    assert [e["reply_markup"] is None for e in sb.edits(user, sent.message_id)] == [False, True]
    assert sb.messages(user)[-1]["text"] == "Room 12: clean"
    assert "reply_markup" not in sb.messages(user)[-1]
    await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=KEYBOARD)
    assert len(sb.edits(user, sent.message_id)) == 3
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 1001, 999)


async def test_bot_cannot_edit_a_users_message(sb: Sandbox, bot: Bot) -> None:
    user = sb.add_user(1001, "Li Wei")
    incoming = await sb.send_message(user, text="my message")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("changed", 1001, incoming["message_id"])


async def test_delete_and_pin(sb: Sandbox, bot: Bot) -> None:
    user = await started_user(sb)
    sent = await bot.send_message(1001, "to pin")
    assert await bot.pin_chat_message(1001, sent.message_id)
    assert sb.pinned(user) == [sent.message_id]
    assert await bot.unpin_chat_message(1001)
    assert sb.pinned(user) == []
    assert await bot.delete_message(1001, sent.message_id)
    assert sb.messages(user) == []
    assert sb.is_deleted(user, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, sent.message_id)


async def test_bot_cannot_initiate_or_reach_unknown_chats(sb: Sandbox, bot: Bot) -> None:
    sb.add_user(1002, "Quiet Guest")
    with pytest.raises(Forbidden) as caught:
        await bot.send_message(1002, "hello?")
    assert caught.value.message == "Forbidden: bot can't initiate conversation with a user"
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.send_message(-100999, "hello?")
    blocked = await started_user(sb, 1003)
    sb.block_bot(blocked)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(1003, "hello?")


async def test_forum_topics(sb: Sandbox, bot: Bot) -> None:
    staff = sb.add_user(2001, "Ana")
    group = sb.add_group("Front desk", forum=True, members=[staff])
    assert group.id < -1_000_000_000_000
    housekeeping = sb.add_topic(group, "Housekeeping")
    in_topic = await bot.send_message(group.id, "Room 12 ready", message_thread_id=housekeeping)
    assert in_topic.message_thread_id == housekeeping
    assert in_topic.is_topic_message is True
    general = await bot.send_message(group.id, "Morning all")
    assert general.message_thread_id is None
    assert [m["text"] for m in sb.messages(group, housekeeping)] == ["Room 12 ready"]
    assert [m["text"] for m in sb.messages(group)] == ["Morning all"]
    with pytest.raises(BadRequest, match="^Message thread not found$"):
        await bot.send_message(group.id, "lost", message_thread_id=housekeeping + 100)


async def test_limits_surface_as_bad_request(sb: Sandbox, bot: Bot) -> None:
    await started_user(sb)
    with pytest.raises(BadRequest, match="^Message is too long$"):
        await bot.send_message(1001, "x" * 4097)
    too_big = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="^Button_data_invalid$"):
        await bot.send_message(1001, "pick", reply_markup=too_big)
    with pytest.raises(BadRequest, match="^Message caption is too long$"):
        await bot.send_document(1001, b"data", filename="a.txt", caption="c" * 1025)
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(1001, "1 < 2", parse_mode="HTML")
    # A broken limit is a bot bug even when the bot catches the error; a parse error is not.
    assert sb.violations == [
        "sendMessage: Bad Request: message is too long "
        "(text is 4097 UTF-16 units after entity parsing, over 4096)",
        f"sendMessage: Bad Request: BUTTON_DATA_INVALID (callback_data of 65 bytes, not 1-64: "
        f"{'d' * 65!r})",
        "sendDocument: Bad Request: message caption is too long "
        "(caption is 1025 UTF-16 units after entity parsing, over 1024)",
    ]


async def test_get_updates_message_and_button_press(sb: Sandbox, bot: Bot) -> None:
    staff = sb.add_user(2001, "Ana", username="ana")
    group = sb.add_group("Front desk", forum=True, members=[staff])
    topic = sb.add_topic(group, "Requests")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    incoming = await sb.send_message(staff, group, "/done@hotel_vip_bot 12", thread_id=topic)
    updates = await poll
    assert len(updates) == 1
    update = updates[0]
    assert update.message is not None
    assert update.message.text == "/done@hotel_vip_bot 12"
    assert update.effective_message is not None
    assert update.effective_message.message_thread_id == topic
    assert update.message.is_topic_message is True
    assert update.message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        MessageEntity(MessageEntity.BOT_COMMAND, 0, 19): "/done@hotel_vip_bot"
    }
    assert update.message.message_id == incoming["message_id"]

    sent = await bot.send_message(group.id, "Confirm?", message_thread_id=topic,
                                  reply_markup=KEYBOARD)  # fmt: skip
    query_id = await sb.press_button(staff, group, sent.message_id, label="Confirm ✅")
    more = await bot.get_updates(offset=update.update_id + 1, timeout=5)
    assert len(more) == 1
    query = more[0].callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "confirm:7"
    assert query.chat_instance
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert more[0].effective_message is not None
    assert more[0].effective_message.message_thread_id == topic

    answer = asyncio.create_task(sb.wait_callback_answer(query_id, timeout=5))
    await asyncio.sleep(0)
    assert await bot.answer_callback_query(query_id, text="Done", show_alert=True)
    assert (await answer)["text"] == "Done"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError, match="has no callback button"):
        await sb.press_button(staff, group, sent.message_id, label="Site")


async def test_reply_to_message_is_the_full_message(sb: Sandbox, bot: Bot) -> None:
    user = await started_user(sb)
    sent = await bot.send_message(1001, "Which room?")
    await sb.send_message(user, text="12", reply_to=sent.message_id)
    updates = await bot.get_updates(timeout=0)
    reply = updates[-1].message
    assert reply is not None
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Which room?"
    assert reply.text == "12"
    replied = await bot.send_message(1001, "Noted", reply_to_message_id=reply.message_id)
    assert replied.reply_to_message is not None
    assert replied.reply_to_message.message_id == reply.message_id
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_to_message_id=999)


async def test_documents_both_ways(sb: Sandbox, bot: Bot) -> None:
    user = await started_user(sb)
    sent = await bot.send_document(
        1001, b"name,room\nLi,12\n", filename="roster.csv", caption="<b>Roster</b>",
        parse_mode="HTML",
    )  # fmt: skip
    assert sent.document is not None
    assert sent.document.file_name == "roster.csv"
    assert sent.caption == "Roster"
    stored = sb.messages(user)[-1]
    file = sb.world.files[stored["document"]["file_id"]]
    assert file.content == b"name,room\nLi,12\n"

    incoming = await sb.send_document(user, filename="list.csv", content=b"a,b\n1,2\n")
    got = await bot.get_file(incoming["document"]["file_id"])
    assert got.file_path is not None
    assert got.file_path.startswith(sb.base_file_url)
    assert bytes(await got.download_as_bytearray()) == b"a,b\n1,2\n"
    # A known file_id can be re-sent without uploading.
    again = await bot.send_document(1001, incoming["document"]["file_id"])
    assert again.document is not None
    assert again.document.file_name == "list.csv"
    photo = await bot.send_photo(1001, b"\xff\xd8\xff fake jpeg", caption="view")
    assert photo.photo
    assert photo.caption == "view"
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")
    assert sb.violations == []


async def test_commands_per_scope_and_language(sb: Sandbox, bot: Bot) -> None:
    scope = BotCommandScopeAllPrivateChats()
    commands = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    assert await bot.set_my_commands(commands, scope=scope, language_code="zh")
    assert sb.commands({"type": "all_private_chats"}, "zh") == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]
    assert sb.commands({"type": "all_private_chats"}) == []
    assert await bot.get_my_commands(scope=scope, language_code="zh") == tuple(commands)
    assert await bot.set_my_commands([BotCommand("menu", "Menu")])
    assert sb.commands() == [{"command": "menu", "description": "Menu"}]
    assert await bot.delete_my_commands(scope=scope, language_code="zh")
    assert sb.commands({"type": "all_private_chats"}, "zh") == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert sb.violations == []


async def test_chat_and_members(sb: Sandbox, bot: Bot) -> None:
    boss = sb.add_user(2001, "Ana")
    clerk = sb.add_user(2002, "Bo")
    outsider = sb.add_user(2003, "Cy")
    group = sb.add_group("Managers", members=[clerk], admins=[boss])
    chat = await bot.get_chat(group.id)
    assert chat.title == "Managers"
    assert chat.type == "supergroup"
    assert (await bot.get_chat_member(group.id, boss.id)).status == "administrator"
    assert (await bot.get_chat_member(group.id, clerk.id)).status == "member"
    assert (await bot.get_chat_member(group.id, outsider.id)).status == "left"
    sb.add_member(group, outsider, "creator")
    assert (await bot.get_chat_member(group.id, outsider.id)).status == "creator"
    admins = await bot.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {boss.id, outsider.id, sb.bot_id}
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(group.id, 9999)
    assert await bot.send_chat_action(group.id, "typing")
    assert await bot.set_chat_menu_button()
    assert (await bot.get_chat_menu_button()).type == "default"
    assert sb.violations == []


async def test_retry_after_and_timeouts(
    sb: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (an error under filterwarnings=error) in RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await started_user(sb)
    sb.inject_fault("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert (await bot.send_message(1001, "hi")).text == "hi"
    sb.inject_fault("sendMessage", "hang")
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "never answered", read_timeout=0.3)
    assert [m["text"] for m in sb.messages(1001)] == ["hi"]


async def test_unknown_parameter_from_ptb_is_recorded(sb: Sandbox, bot: Bot) -> None:
    await started_user(sb)
    with pytest.raises(BadRequest, match="Unknown parameter 'mood'"):
        await bot.send_message(1001, "hi", api_kwargs={"mood": "cheerful"})
    assert sb.violations == ["unknown parameter 'mood' for method sendMessage"]


async def test_wait_helpers(sb: Sandbox, bot: Bot) -> None:
    user = await started_user(sb)
    await bot.send_message(1001, "one")
    await bot.send_message(1001, "two")
    assert (await sb.wait_for_message(user, contains="two"))["text"] == "two"
    with pytest.raises(TimeoutError) as caught:
        await sb.wait_for_message(user, timeout=0.2)
    assert "'two'" in str(caught.value)
    assert "'/start'" in str(caught.value)
    many = asyncio.create_task(sb.wait_for_messages(user, 2, timeout=3))
    await bot.send_message(1001, "three")
    await bot.send_message(1001, "four")
    assert [m["text"] for m in await many] == ["three", "four"]
    # The /start update was never fetched, so the bot is not idle yet.
    with pytest.raises(TimeoutError, match="pending updates"):
        await sb.wait_idle(timeout=0.5)
    await bot.get_updates(timeout=0)
    await sb.wait_idle(timeout=2)


async def test_ptb_update_parsing_of_a_private_command(sb: Sandbox, bot: Bot) -> None:
    user = sb.add_user(1001, "Li Wei")
    await sb.send_message(user, text="/start welcome")
    updates = await bot.get_updates(timeout=0)
    update: Update = updates[0]
    assert update.effective_user is not None
    assert update.effective_user.id == 1001
    assert update.effective_chat is not None
    assert update.effective_chat.type == "private"
    assert update.message is not None
    assert update.message.text == "/start welcome"
    assert update.message.entities[0].type == MessageEntity.BOT_COMMAND


async def test_group_rights_and_reply_threads(sb: Sandbox, bot: Bot) -> None:
    staff = sb.add_user(2001, "Ana")
    plain = sb.add_group("Lobby", supergroup=False, members=[staff], bot_status="member")
    assert plain.id < 0
    said = await sb.send_message(staff, plain, "hello bot")
    mine = await bot.send_message(plain.id, "hello staff")
    with pytest.raises(BadRequest, match="Not enough rights to manage pinned messages"):
        await bot.pin_chat_message(plain.id, mine.message_id)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(plain.id, said["message_id"])
    assert await bot.delete_message(plain.id, mine.message_id)

    forum = sb.add_group("Desk", forum=True, members=[staff])
    topic = sb.add_topic(forum, "Spa")
    asked = await sb.send_message(staff, forum, "spa at 5?", thread_id=topic)
    # A reply without message_thread_id lands in the topic of the replied message.
    answer = await bot.send_message(forum.id, "Booked", reply_to_message_id=asked["message_id"])
    assert answer.message_thread_id == topic
    assert (await sb.wait_for_message(forum, topic))["text"] == "Booked"
    assert sb.messages(forum) == []


async def test_anonymous_admin_writes_as_the_group(sb: Sandbox, bot: Bot) -> None:
    boss = sb.add_user(2001, "Ana")
    clerk = sb.add_user(2002, "Bo")
    group = sb.add_group("Managers", members=[clerk], admins=[boss])
    incoming = await sb.send_message(boss, group, "/visits", anonymous=True)
    assert incoming["sender_chat"] == {"id": group.id, "type": "supergroup", "title": "Managers"}
    updates = await bot.get_updates(timeout=0)
    message = updates[-1].message
    assert message is not None
    assert message.sender_chat is not None
    assert message.sender_chat.id == group.id
    assert message.from_user is not None
    assert message.from_user.id == 1087968824
    assert message.from_user.username == "GroupAnonymousBot"
    # The admin's own identity never reaches the bot.
    assert updates[-1].effective_user is not None
    assert updates[-1].effective_user.id != boss.id
    # Not a bot message for the harness, and only admins can be anonymous.
    assert sb.messages(group) == []
    assert [m["text"] for m in sb.messages(group, from_bot=False)] == ["/visits"]
    with pytest.raises(ValueError, match="only an admin"):
        await sb.send_message(clerk, group, "hi", anonymous=True)
    plain = await sb.send_message(clerk, group, "hi")
    assert "sender_chat" not in plain
