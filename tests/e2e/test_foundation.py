"""The foundation, as people use it: /start and /help, /language, /bind, /register."""

from __future__ import annotations

from bot.runtime import Runtime
from sandbox import Sandbox
from storage import org
from storage.models import STATUS_ACTIVE
from tests.e2e.conftest import Hotel, seen

t = seen


# --- /start, /help, /language --------------------------------------------------------------------


async def test_start_greets_a_newcomer_in_english_and_points_to_register(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    emily = hotel.person(2001, "Emily", language="en-GB")
    await sandbox.send_message(emily, text="/start")
    answer = await sandbox.wait_for_message(emily)
    assert t(runtime, "en", "start.welcome", name="Emily") in answer["text"]
    assert t(runtime, "en", "start.visitor") in answer["text"]
    assert "/register — " + t(runtime, "en", "command.register") in answer["text"]
    assert "/bind" not in answer["text"]


async def test_start_and_help_answer_in_chinese_for_a_chinese_app(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    wang = hotel.person(2002, "王芳", language="zh-hans")
    await sandbox.send_message(wang, text="/start")
    answer = await sandbox.wait_for_message(wang)
    assert t(runtime, "zh", "start.visitor") in answer["text"]
    await sandbox.send_message(wang, text="/help")
    help_answer = await sandbox.wait_for_message(wang)
    assert help_answer["text"].startswith(t(runtime, "zh", "help.header"))
    assert "/language — " + t(runtime, "zh", "command.language") in help_answer["text"]


async def test_help_shows_an_admin_the_admin_commands(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    await sandbox.send_message(admin, text="/help")
    answer = await sandbox.wait_for_message(admin)
    for command in ("bind", "unbind", "staff", "roster"):
        assert f"/{command} — " + t(runtime, "en", f"command.{command}") in answer["text"]


async def test_language_button_overrides_the_telegram_language(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    li = hotel.person(2003, "Li", language="en")
    await sandbox.send_message(li, text="/language")
    prompt = await sandbox.wait_for_message(li)
    assert prompt["text"] == t(runtime, "en", "language.prompt")
    query = await sandbox.press_button(li, None, prompt["message_id"], label="中文")
    await sandbox.wait_callback_answer(query)
    await sandbox.wait_idle()
    confirmed = sandbox.message(li, prompt["message_id"])
    assert confirmed is not None
    assert confirmed["text"] == t(runtime, "zh", "language.saved", language="中文")
    await sandbox.send_message(li, text="/start")
    answer = await sandbox.wait_for_message(li)
    assert t(runtime, "zh", "start.visitor") in answer["text"]


async def test_command_menus_are_published_per_scope_and_language(
    sandbox: Sandbox, app: object
) -> None:
    private_zh = sandbox.commands({"type": "all_private_chats"}, "zh")
    group_en = sandbox.commands({"type": "all_group_chats"}, "en")
    admins_en = sandbox.commands({"type": "all_chat_administrators"}, "en")
    assert {c["command"] for c in private_zh} >= {"start", "help", "language", "register"}
    # A language is a person's own: set in private, so a group's menu does not offer it.
    assert {c["command"] for c in group_en} == {"start", "help", "visits", "visit"}
    assert {"bind", "unbind"} <= {c["command"] for c in admins_en}
    assert "language" not in {c["command"] for c in admins_en}
    assert next(c for c in private_zh if c["command"] == "help")["description"] == "查看可用功能"


async def test_an_unknown_command_and_a_forged_button_get_one_sentence(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    emily = hotel.person(2004, "Emily", language="en")
    await sandbox.send_message(emily, text="/fly")
    answer = await sandbox.wait_for_message(emily)
    assert answer["text"] == t(runtime, "en", "common.unknown_command", command="/fly")
    await sandbox.send_message(emily, text="/language")
    prompt = await sandbox.wait_for_message(emily)
    for forged in ("lang:set:fr", "reg:ok:99999", "st:view:1", "zz:top", "x" * 64):
        query = await sandbox.press_raw(emily, None, prompt["message_id"], forged)
        toast = await sandbox.wait_callback_answer(query)
        assert toast["text"] in (
            t(runtime, "en", "common.stale_button"),
            t(runtime, "en", "staff.not_admin"),
        ), forged
    async with runtime.sessions() as session:
        view = await org.view_by_telegram_id(session, emily.id)
    assert view is not None
    assert view.staff.language is None
    assert view.staff.status != STATUS_ACTIVE


# --- /bind and /unbind ---------------------------------------------------------------------------


async def test_admin_binds_a_plain_group_to_housekeeping(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    group = hotel.group("Housekeeping team", admin, admins=(admin,))
    await sandbox.send_message(admin, group, "/bind hk")
    answer = await sandbox.wait_for_message(group)
    assert answer["text"] == t(runtime, "en", "bind.done", department="Housekeeping")
    async with runtime.sessions() as session:
        binding = await org.get_binding(session, "hk")
    assert binding is not None
    assert (binding.chat_id, binding.thread_id) == (group.id, None)


async def test_admin_binds_a_forum_topic_and_the_answer_stays_in_that_topic(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin(language="zh")
    forum = hotel.group("酒店运营", admin, forum=True, admins=(admin,))
    engineering = sandbox.add_topic(forum, "工程部")
    security = sandbox.add_topic(forum, "保安部")
    await sandbox.send_message(admin, forum, "/bind@hotel_vip_bot eng", thread_id=engineering)
    answer = await sandbox.wait_for_message(forum, engineering)
    assert answer["text"] == t(runtime, "zh", "bind.done_topic", department="工程部")
    assert answer["message_thread_id"] == engineering
    assert sandbox.messages(forum, security) == []
    async with runtime.sessions() as session:
        binding = await org.get_binding(session, "eng")
    assert binding is not None
    assert (binding.chat_id, binding.thread_id) == (forum.id, engineering)

    await sandbox.send_message(admin, forum, "/unbind", thread_id=engineering)
    answer = await sandbox.wait_for_message(forum, engineering)
    assert answer["text"] == t(runtime, "zh", "unbind.done", departments="工程部")
    async with runtime.sessions() as session:
        assert await org.get_binding(session, "eng") is None


async def test_bind_is_refused_for_a_non_admin_and_changes_nothing(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    bob = hotel.person(2005, "Bob", language="en")
    await hotel.staff(bob, "hk", "head")
    group = hotel.group("Housekeeping team", bob, admins=(bob,))
    await sandbox.send_message(bob, group, "/bind hk")
    answer = await sandbox.wait_for_message(group)
    assert answer["text"] == t(runtime, "en", "bind.not_admin")
    async with runtime.sessions() as session:
        assert await org.get_binding(session, "hk") is None


async def test_an_anonymous_admin_can_neither_bind_nor_unbind(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    """Posting as the group hides who wrote: the bot cannot check it is an admin."""
    admin = hotel.admin()
    group = hotel.group("Housekeeping team", admin, admins=(admin,))
    await sandbox.send_message(admin, group, "/bind hk")
    await sandbox.wait_for_message(group)
    for command in ("/bind eng", "/unbind"):
        await sandbox.send_message(admin, group, command, anonymous=True)
        answer = await sandbox.wait_for_message(group)
        # Nobody known wrote it: the hotel's language.
        assert answer["text"] == t(runtime, "zh", "bind.anonymous"), command
    async with runtime.sessions() as session:
        housekeeping = await org.get_binding(session, "hk")
        assert await org.get_binding(session, "eng") is None
    assert housekeeping is not None
    assert (housekeeping.chat_id, housekeeping.thread_id) == (group.id, None)


async def test_bind_answers_a_wrong_department_and_a_private_chat(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    group = hotel.group("Team", admin, admins=(admin,))
    codes = "cs, front, hk, eng, sec, bell, fb, mkt, mgmt"
    await sandbox.send_message(admin, group, "/bind kitchen")
    answer = await sandbox.wait_for_message(group)
    assert answer["text"] == t(
        runtime, "en", "bind.unknown_department", code="kitchen", codes=codes
    )
    await sandbox.send_message(admin, group, "/bind")
    answer = await sandbox.wait_for_message(group)
    assert answer["text"] == t(runtime, "en", "bind.usage", codes=codes)
    await sandbox.send_message(admin, text="/bind hk")
    answer = await sandbox.wait_for_message(admin)
    assert answer["text"] == t(runtime, "en", "bind.private")
    async with runtime.sessions() as session:
        assert await org.get_binding(session, "hk") is None


# --- /register -----------------------------------------------------------------------------------


async def test_register_then_head_approves_and_the_role_takes_effect(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    await sandbox.send_message(admin, text="/start")  # so the bot knows the admin's language
    await sandbox.wait_for_message(admin)
    head = hotel.person(2010, "Huang Mei", language="zh")
    await hotel.staff(head, "hk", "head")
    amy = hotel.person(2011, "Amy", language="en", username="amy_hk")

    await sandbox.send_message(amy, text="/register")
    assert (await sandbox.wait_for_message(amy))["text"] == t(runtime, "en", "register.ask_name")
    await sandbox.send_message(amy, text="/" + "x")  # a command is not a name: /x is unknown
    await sandbox.wait_for_message(amy)
    await sandbox.send_message(amy, text="A" * 65)
    assert (await sandbox.wait_for_message(amy))["text"] == t(runtime, "en", "register.bad_name")
    await sandbox.send_message(amy, text="Amy  Chen")
    ask = await sandbox.wait_for_message(amy)
    assert ask["text"] == t(runtime, "en", "register.ask_department", name="Amy Chen")
    await sandbox.send_message(amy, text="Housekeeping")
    assert (await sandbox.wait_for_message(amy))["text"] == t(
        runtime, "en", "register.tap_department"
    )
    await sandbox.press_button(amy, None, ask["message_id"], label="Housekeeping")
    sent = await sandbox.wait_for_message(amy)
    assert sent["text"] == t(
        runtime, "en", "register.sent", name="Amy Chen", department="Housekeeping"
    )

    # The admin (English) and the head (Chinese) each get the request in their language.
    to_admin = await sandbox.wait_for_message(admin)
    to_head = await sandbox.wait_for_message(head)
    assert "Amy Chen" in to_admin["text"]
    assert "@amy_hk" in to_admin["text"]
    assert "客房部" in to_head["text"]

    async with runtime.sessions() as session:
        pending = await org.view_by_telegram_id(session, amy.id)
    assert pending is not None
    assert pending.staff.status == "pending"

    query = await sandbox.press_button(head, None, to_head["message_id"], label="✅ 批准")
    assert (await sandbox.wait_callback_answer(query)).get("text") in (None, "")
    welcome = await sandbox.wait_for_message(amy)
    assert welcome["text"].startswith(
        t(runtime, "en", "register.welcome", approver="Huang Mei", department="Housekeeping")
    )
    assert "/register" not in welcome["text"]

    # The admin's copy is now stale: pressing it says so and removes its buttons.
    query = await sandbox.press_button(admin, None, to_admin["message_id"], label="❌ Reject")
    toast = await sandbox.wait_callback_answer(query)
    assert toast["text"] == t(runtime, "en", "register.already_decided")
    await sandbox.wait_idle()
    admin_copy = sandbox.message(admin, to_admin["message_id"])
    assert admin_copy is not None
    assert not admin_copy.get("reply_markup")

    await sandbox.send_message(amy, text="/start")
    status = await sandbox.wait_for_message(amy)
    assert (
        t(runtime, "en", "start.active", department="Housekeeping", roles="staff")
        in (status["text"])
    )
    async with runtime.sessions() as session:
        approved = await org.view_by_telegram_id(session, amy.id)
    assert approved is not None
    assert approved.staff.status == STATUS_ACTIVE
    assert approved.roles == frozenset({"staff"})


async def test_a_department_head_cannot_approve_for_another_department(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    hotel.admin()
    eng_head = hotel.person(2020, "Wu Gang", language="en")
    await hotel.staff(eng_head, "eng", "head")
    hk_head = hotel.person(2021, "Huang Mei", language="en")
    await hotel.staff(hk_head, "hk", "head")
    amy = hotel.person(2022, "Amy", language="en")
    await sandbox.send_message(amy, text="/register")
    await sandbox.wait_for_message(amy)
    await sandbox.send_message(amy, text="Amy")
    ask = await sandbox.wait_for_message(amy)
    await sandbox.press_button(amy, None, ask["message_id"], label="Housekeeping")
    await sandbox.wait_for_message(amy)
    request = await sandbox.wait_for_message(hk_head)
    # The engineering head was not sent the request; a forged press from them is refused.
    assert sandbox.messages(eng_head) == []
    sandbox.chat(eng_head).started = True
    await sandbox.send_message(eng_head, text="/start")
    start = await sandbox.wait_for_message(eng_head)
    button = request["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    query = await sandbox.press_raw(eng_head, None, start["message_id"], button)
    toast = await sandbox.wait_callback_answer(query)
    # Not a button of the message it was pressed on: refused before anyone's rights count.
    assert toast["text"] == t(runtime, "en", "common.stale_button")
    async with runtime.sessions() as session:
        view = await org.view_by_telegram_id(session, amy.id)
    assert view is not None
    assert view.staff.status == "pending"


async def test_register_in_a_group_points_to_a_private_chat(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    amy = hotel.person(2030, "Amy", language="en")
    group = hotel.group("Lobby", amy)
    await sandbox.send_message(amy, group, "/register")
    answer = await sandbox.wait_for_message(group)
    assert answer["text"] == t(runtime, "en", "register.group", bot="hotel_vip_bot")


async def test_register_cancel_saves_nothing(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    amy = hotel.person(2031, "Amy", language="en")
    await sandbox.send_message(amy, text="/register")
    await sandbox.wait_for_message(amy)
    await sandbox.send_message(amy, text="Amy")
    await sandbox.wait_for_message(amy)
    await sandbox.send_message(amy, text="/cancel")
    answer = await sandbox.wait_for_message(amy)
    assert answer["text"] == t(runtime, "en", "register.cancelled")
    async with runtime.sessions() as session:
        view = await org.view_by_telegram_id(session, amy.id)
    assert view is not None
    assert view.staff.status == "visitor"
    assert view.staff.department_code is None


async def test_each_person_s_private_menu_holds_only_what_their_roles_allow(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    sam = hotel.person(2101, "Sam", language="en")
    diana = hotel.person(2102, "Diana", language="zh")
    await hotel.staff(sam, "hk", "staff")
    await hotel.staff(diana, "mkt", "director")
    admin = hotel.admin()
    for user in (sam, diana, admin):
        await sandbox.send_message(user, text="/start")
        await sandbox.wait_for_message(user)

    def menu(user: object) -> list[str]:
        return [c["command"] for c in sandbox.commands({"type": "chat", "chat_id": user.id})]  # type: ignore[attr-defined]

    assert "myscore" in menu(sam)
    assert not {"review", "sign", "staff", "period", "register"} & set(menu(sam))
    assert {"review", "scores", "vip"} <= set(menu(diana))
    assert "sign" not in menu(diana)
    assert {"staff", "roster", "period"} <= set(menu(admin))
    # Descriptions are in the person's language.
    described = sandbox.commands({"type": "chat", "chat_id": diana.id})
    assert next(c for c in described if c["command"] == "help")["description"] == "查看可用功能"
    # Someone who is not staff yet keeps the everyone menu, with /register.
    assert {c["command"] for c in sandbox.commands({"type": "all_private_chats"}, "en")} == {
        "start",
        "help",
        "language",
        "register",
    }
