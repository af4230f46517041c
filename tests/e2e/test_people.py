"""Admins manage people in chat: a roster file sent to the bot, and /staff."""

from __future__ import annotations

import io

from openpyxl import Workbook

from bot.runtime import Runtime
from sandbox import Sandbox
from storage import org
from tests.e2e.conftest import Hotel, seen

t = seen


ROSTER_CSV = (
    "\ufefftelegram_id,username,name,department,roles,reports_to,language\n"
    "4001,,Huang Mei,hk,head,,zh\n"
    "4002,,Zhao Qiang,hk,staff,4001,zh\n"
    ",@amy_front,Amy Chen,front,staff;cs_agent,4001,en\n"
).encode()


async def test_admin_imports_a_csv_roster_and_a_username_row_is_claimed_on_start(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    await sandbox.send_document(admin, filename="roster.csv", content=ROSTER_CSV)
    answer = await sandbox.wait_for_message(admin)
    assert answer["text"] == t(runtime, "en", "roster.done", created=3, updated=0, waiting=1)

    # The same file again updates and never duplicates.
    await sandbox.send_document(admin, filename="roster.csv", content=ROSTER_CSV)
    answer = await sandbox.wait_for_message(admin)
    assert answer["text"] == t(runtime, "en", "roster.done", created=0, updated=3, waiting=1)

    amy = hotel.person(4003, "Amy", language="en", username="Amy_Front")
    await sandbox.send_message(amy, text="/start")
    status = await sandbox.wait_for_message(amy)
    assert "Front Office" in status["text"]
    assert "staff, CS agent" in status["text"] or "CS agent, staff" in status["text"]
    async with runtime.sessions() as session:
        view = await org.view_by_telegram_id(session, 4003)
        head = await org.view_by_telegram_id(session, 4001)
        assert await org.count_staff(session, statuses=("active",)) == 3
    assert view is not None
    assert head is not None
    assert view.staff.reports_to_id == head.staff.id
    assert view.roles == frozenset({"staff", "cs_agent"})


async def test_a_roster_with_bad_rows_is_reported_by_line_and_nothing_is_imported(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin(language="zh")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["telegram_id", "name", "department", "roles", "reports_to", "language"])
    sheet.append([5001, "Good Person", "hk", "staff", None, "en"])
    sheet.append([5002, "Wrong Dept", "kitchen", "staff", None, "en"])
    sheet.append([5003, "Wrong Role", "hk", "chef", None, "en"])
    sheet.append(["abc", "Bad Id", "hk", "staff", None, "en"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    await sandbox.send_document(admin, filename="staff.xlsx", content=buffer.getvalue())
    answer = await sandbox.wait_for_message(admin)
    lines = answer["text"].splitlines()
    assert lines[0] == t(runtime, "zh", "roster.failed")
    assert [line.split("：")[0] for line in lines[1:]] == ["第 3 行", "第 4 行", "第 5 行"]
    async with runtime.sessions() as session:
        assert await org.view_by_telegram_id(session, 5001) is None


async def test_a_roster_from_a_non_admin_or_of_the_wrong_kind_is_refused(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin(language="zh")
    bob = hotel.person(5101, "Bob", language="en")
    await hotel.staff(bob, "hk", "head")
    await sandbox.send_document(bob, filename="roster.csv", content=ROSTER_CSV)
    answer = await sandbox.wait_for_message(bob)
    assert answer["text"] == t(runtime, "en", "roster.not_admin")
    await sandbox.send_document(admin, filename="roster.pdf", content=b"%PDF-1.4")
    answer = await sandbox.wait_for_message(admin)
    assert answer["text"] == t(runtime, "zh", "roster.wrong_file", filename="roster.pdf")
    async with runtime.sessions() as session:
        assert await org.view_by_telegram_id(session, 4001) is None


async def test_admin_gives_a_role_and_an_evaluator_with_staff_buttons(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin(language="zh")
    head = hotel.person(6001, "Huang Mei", language="zh")
    head_id = await hotel.staff(head, "hk", "head")
    zhao = hotel.person(6002, "Zhao Qiang", language="zh")
    zhao_id = await hotel.staff(zhao, "hk")

    await sandbox.send_message(admin, text="/staff")
    listing = await sandbox.wait_for_message(admin)
    message_id = listing["message_id"]
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, data=f"st:view:{zhao_id}")
    )
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, label="角色")
    )
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, data=f"st:role:{zhao_id}:cs_agent")
    )
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, data=f"st:view:{zhao_id}")
    )
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, data=f"st:mgr:{zhao_id}:0")
    )
    await sandbox.wait_callback_answer(
        await sandbox.press_button(admin, None, message_id, data=f"st:setmgr:{zhao_id}:{head_id}")
    )

    card = sandbox.message(admin, message_id)
    assert card is not None
    assert "评价人：Huang Mei" in card["text"]
    assert "客服专员" in card["text"]
    # One message, edited in place: no new message per press.
    assert len(sandbox.messages(admin)) == 1
    async with runtime.sessions() as session:
        view = await org.view(session, zhao_id)
    assert view is not None
    assert view.roles == frozenset({"staff", "cs_agent"})
    assert view.staff.reports_to_id == head_id

    # The head may not use the admin's buttons, even forged onto their own chat.
    await sandbox.send_message(head, text="/staff")
    refusal = await sandbox.wait_for_message(head)
    assert refusal["text"] == t(runtime, "zh", "staff.not_admin")
    query = await sandbox.press_raw(head, None, refusal["message_id"], f"st:role:{head_id}:admin")
    toast = await sandbox.wait_callback_answer(query)
    assert toast["text"] == t(runtime, "zh", "staff.not_admin")
    async with runtime.sessions() as session:
        head_view = await org.view(session, head_id)
    assert head_view is not None
    assert "admin" not in head_view.roles


async def test_a_roster_full_of_long_mistakes_still_gets_a_readable_answer(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin()
    rows = [
        f"{7000 + i},Person {i},hk,Assistant Front Office Manager {'x' * 200}" for i in range(60)
    ]
    content = ("telegram_id,name,department,roles\n" + "\n".join(rows)).encode()
    await sandbox.send_document(admin, filename="roster.csv", content=content)
    answer = await sandbox.wait_for_message(admin)
    lines = answer["text"].splitlines()
    assert lines[0] == t(runtime, "en", "roster.failed")
    assert len(answer["text"]) < 4096
    assert lines[-1].startswith("…and ")
    async with runtime.sessions() as session:
        assert await org.view_by_telegram_id(session, 7000) is None


async def test_admin_approves_a_waiting_request_and_reactivates_someone_from_staff(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    admin = hotel.admin(language="zh")
    amy = hotel.person(6101, "Amy", language="en")
    await sandbox.send_message(amy, text="/register")
    await sandbox.wait_for_message(amy)
    await sandbox.send_message(amy, text="Amy Chen")
    ask = await sandbox.wait_for_message(amy)
    await sandbox.press_button(amy, None, ask["message_id"], label="Housekeeping")
    await sandbox.wait_idle()
    request = [m for m in sandbox.messages(admin) if "Amy Chen" in m["text"]]
    assert len(request) == 1  # the admin also got the request with buttons
    async with runtime.sessions() as session:
        amy_view = await org.view_by_telegram_id(session, amy.id)
    assert amy_view is not None
    amy_id = amy_view.staff.id

    await sandbox.send_message(admin, text="/staff")
    listing = await sandbox.wait_for_message(admin)
    assert "⏳ Amy Chen · HK" in [
        b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row
    ]
    # /staff answers a press once its screen is redrawn: then the card's buttons are there.
    shown = await sandbox.press_button(
        admin, None, listing["message_id"], data=f"st:view:{amy_id}"
    )
    await sandbox.wait_callback_answer(shown)
    await sandbox.press_button(admin, None, listing["message_id"], label="✅ 批准")
    welcome = await sandbox.wait_for_message(amy, contains="Welcome")
    assert welcome["text"].startswith(
        t(runtime, "en", "register.welcome", approver="Admin Ada", department="Housekeeping")
    )
    async with runtime.sessions() as session:
        approved = await org.view(session, amy_id or 0)
    assert approved is not None
    assert approved.staff.status == "active"
    # The request's own buttons are now stale for the admin.
    query = await sandbox.press_button(admin, None, request[0]["message_id"], label="✅ 批准")
    assert (await sandbox.wait_callback_answer(query))["text"] == t(
        runtime, "zh", "register.already_decided"
    )

    # Deactivate, then reactivate with the same roles.
    await sandbox.press_button(admin, None, listing["message_id"], data=f"st:off:{amy_id}")
    await sandbox.wait_idle()
    await sandbox.press_button(admin, None, listing["message_id"], data=f"st:offok:{amy_id}")
    await sandbox.wait_idle()
    await sandbox.press_button(admin, None, listing["message_id"], data=f"st:view:{amy_id}")
    await sandbox.wait_idle()
    query = await sandbox.press_button(admin, None, listing["message_id"], label="♻️ 重新启用")
    assert (await sandbox.wait_callback_answer(query))["text"] == t(
        runtime, "zh", "staff.reactivated", name="Amy Chen"
    )
    async with runtime.sessions() as session:
        back = await org.view(session, amy_id or 0)
    assert back is not None
    assert back.staff.status == "active"
    assert back.roles == frozenset({"staff"})
