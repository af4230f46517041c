"""A VIP reception as the hotel lives it: notice, cross-check, assignments, reminders,
check-offs, problems, escalation, the status card, changes and the archive."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from handlers.kit.base import plain
from sandbox import Sandbox
from storage import org, visits
from tests.e2e.conftest import FakeClock, Hotel, eventually, seen
from tests.e2e.reception import PASTED_EN, PASTED_ZH, Reception, reception_hotel


@pytest.fixture
async def reception(hotel: Hotel, sandbox: Sandbox) -> Reception:
    return await reception_hotel(hotel, sandbox)


async def test_a_pasted_english_notice_is_checked_then_every_department_gets_its_part(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    mona = reception.people["announcer"]
    await sandbox.send_message(mona, text=PASTED_EN)
    summary = await sandbox.wait_for_message(mona)
    assert summary["text"].startswith(seen(runtime, "en", "vip.summary"))
    assert "Mr. Wang Jun" in summary["text"]
    assert "2026-11-27 16:00" in summary["text"]
    await sandbox.press_button(mona, None, summary["message_id"], label="✅ Send for cross-check")
    sent = await sandbox.wait_for_message(mona)
    assert sent["text"] == seen(runtime, "en", "vip.sent", visit=1)

    # The duty manager (in private) and the CS chat get it with Confirm / Return.
    to_manager = await sandbox.wait_for_message(reception.people["duty_manager"])
    assert "Huadong Group" in to_manager["text"]
    to_cs = await reception.wait("cs")
    assert [b["text"] for b in to_cs["reply_markup"]["inline_keyboard"][0]] == [
        "✅ 确认",
        "↩️ 退回",
    ]
    # Nothing reached a department before the check.
    assert reception.inbox("hk") == []

    await sandbox.press_button(
        reception.people["duty_manager"], None, to_manager["message_id"], label="✅ 确认"
    )
    confirmed = await sandbox.wait_for_message(mona, contains="#1")
    assert confirmed["text"] == seen(
        runtime, "en", "vip.confirmed_announcer", visit=1, name="李娜", tasks=11
    )
    await reception.settled(1)  # the assignments go out through the outbox

    # Each department's chat or topic has exactly its own tasks of standard A, with buttons.
    assert runtime.playbook is not None
    header = seen(runtime, "zh", "task.header.assign")
    for department in ("cs", "hk", "eng", "sec", "bell", "mgmt"):
        expected = {
            task.title_zh
            for task in runtime.playbook.for_standard("A")
            if department in task.departments
        }
        got = [m for m in reception.inbox(department) if m["text"].startswith(header)]
        assert {m["text"].splitlines()[1] for m in got} == expected, department
        assert all(m.get("reply_markup") for m in got)
    assert [m for m in reception.inbox("fb") if m["text"].startswith(header)] == []
    room = next(m for m in reception.inbox("hk") if "贵宾房查房" in m["text"])
    assert "房号 1808, 1809" in room["text"]
    assert "开始：2026-11-27 14:00（4 小时后）" in room["text"]  # T-2h of a 16:00 arrival
    checklist = [row[0]["text"] for row in room["reply_markup"]["inline_keyboard"][1:-1]]
    assert checklist == [
        "☐ 房卡",
        "☐ 清洁卫生",
        "☐ 设施设备",
        "☐ 客用品",
        "☐ 房间景观",
        "☐ 周边环境",
    ]
    parking = next(m["text"] for m in reception.inbox("sec") if m["text"].startswith(header))
    assert "车辆 2" in parking
    # The CS chat has its card, pinned.
    card = await reception.card()
    assert card["text"].startswith("🛎 贵宾接待 #1：Mr. Wang Jun")


async def test_a_pasted_chinese_notice_with_spoken_time_reaches_the_summary(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    zhang = reception.people["cs_head"]
    await sandbox.send_message(zhang, text=PASTED_ZH)
    summary = await sandbox.wait_for_message(zhang)
    assert summary["text"].startswith(seen(runtime, "zh", "vip.summary"))
    assert "贵宾：王总" in summary["text"]
    assert "人数：6" in summary["text"]
    assert "抵店时间：2026-11-27 16:00" in summary["text"]  # 今天下午4点, at 10:00 that day
    assert "接待标准：B" in summary["text"]


async def test_every_wrong_pasted_line_is_listed_at_once_and_nothing_is_saved(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    mona = reception.people["announcer"]
    await sandbox.send_message(
        mona,
        text="/vip\nGuest: Mr. Li\nParty: lots\nArrival: yesterday 9\nStandard: Z\nColour: red",
    )
    answer = await sandbox.wait_for_message(mona)
    lines = answer["text"].splitlines()
    assert lines[0] == seen(runtime, "en", "vip.pasted_errors")
    assert [line.split(" (")[0] for line in lines[1:5]] == ["Line 3", "Line 4", "Line 5", "Line 6"]
    assert seen(runtime, "en", "notice.error.not_a_number", low=1, high=500) in lines[1]
    assert seen(runtime, "en", "notice.error.standard", choices="A/B/C") in lines[3]
    async with reception.hotel.runtime.sessions() as session:
        from storage import visits

        assert await visits.list_visits(session) == []


async def test_step_by_step_notice_answers_every_bad_field_then_edits_one(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    mona = reception.people["announcer"]

    async def say(text: str) -> str:
        await sandbox.send_message(mona, text=text)
        return str((await sandbox.wait_for_message(mona))["text"])

    await sandbox.send_message(mona, text="/vip")
    intro = await sandbox.wait_for_messages(mona, 2)
    assert intro[1]["text"].startswith(seen(runtime, "en", "notice.ask.guest"))
    assert (await say("-")).startswith(seen(runtime, "en", "notice.ask.company"))
    assert await say("-") == seen(runtime, "en", "notice.error.guest_or_company")
    assert (await say("Huadong Group")).startswith(seen(runtime, "en", "notice.ask.group"))
    await say("-")  # group
    assert (await say("-")).startswith(seen(runtime, "en", "notice.ask.party"))  # titles
    wrong = await say("a dozen")
    assert wrong.startswith(seen(runtime, "en", "notice.error.not_a_number", low=1, high=500))
    assert (await say("0")).startswith(
        seen(runtime, "en", "notice.error.out_of_range", low=1, high=500)
    )
    assert (await say("12")).startswith(seen(runtime, "en", "notice.ask.vehicles"))
    assert (await say("3")).startswith(seen(runtime, "en", "notice.ask.arrival"))
    past = await say("today 09:00")
    assert past.startswith(seen(runtime, "en", "when.error.past", when="2026-11-27 09:00"))
    assert (await say("soon")).startswith(
        seen(runtime, "en", "when.error.unreadable", text="soon")
    )
    assert (await say("tomorrow 15:00")).startswith(seen(runtime, "en", "notice.ask.rooms"))
    await say("2001")
    await say("-")  # itinerary
    assert (await say("-")).startswith(seen(runtime, "en", "notice.ask.standard"))
    assert (await say("D")).startswith(
        seen(runtime, "en", "notice.error.standard", choices="A/B/C")
    )
    summary_text = await say("c")
    assert "Arrival: 2026-11-28 15:00" in summary_text
    assert "Reception standard: C" in summary_text
    summary = sandbox.messages(mona)[-1]
    await sandbox.press_button(mona, None, summary["message_id"], data="ni:edit")
    await sandbox.wait_idle()
    await sandbox.press_button(mona, None, summary["message_id"], data="ni:field:party")
    assert (await sandbox.wait_for_message(mona))["text"].startswith(
        seen(runtime, "en", "notice.ask.party")
    )
    edited = await say("14")
    assert "Party size: 14" in edited
    assert "Company: Huadong Group" in edited


async def test_a_reason_typed_after_losing_the_right_to_return_changes_nothing(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    manager = reception.people["duty_manager"]
    visit_id = await reception.announce()
    request = await sandbox.wait_for_message(manager, contains=f"#{visit_id}")
    await sandbox.press_button(manager, None, request["message_id"], label="↩️ 退回")
    question = await sandbox.wait_for_message(manager)
    # Taken off the staff list between the question and the answer.
    async with runtime.sessions() as session:
        await org.deactivate(
            session, staff_id=reception.staff_ids["duty_manager"], now=runtime.clock()
        )
    await sandbox.send_message(manager, text="房号有误", reply_to=question["message_id"])
    answer = await sandbox.wait_for_message(manager)
    assert answer["text"] == seen(runtime, "zh", "vip.check_not_allowed")
    visit = await reception.visit(visit_id)
    assert visit.status == "awaiting_check"
    assert visit.return_reason is None


async def test_a_returned_notice_goes_back_with_the_reason_and_is_corrected(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    mona = reception.people["announcer"]
    manager = reception.people["duty_manager"]
    visit_id = await reception.announce()
    request = await sandbox.wait_for_message(manager, contains=f"#{visit_id}")
    await sandbox.press_button(manager, None, request["message_id"], label="↩️ 退回")
    question = await sandbox.wait_for_message(manager)
    assert question["text"] == seen(runtime, "zh", "vip.return_ask", name="李娜", visit=visit_id)
    # ForceReply is not part of the stored message (as in Telegram): check the request.
    asked = [p for m, p in sandbox.requests if m == "sendMessage" and p["chat_id"] == manager.id]
    assert asked[-1]["reply_markup"]["force_reply"] is True
    await sandbox.send_message(
        manager, text="房号1809已预订给他人", reply_to=question["message_id"]
    )
    returned = await sandbox.wait_for_message(mona, contains="↩️")
    assert returned["text"] == seen(
        runtime,
        "en",
        "vip.returned_announcer",
        visit=visit_id,
        name="李娜",
        reason="房号1809已预订给他人",
    )
    # The CS chat's copy is now stale: a press is refused politely.
    cs_copy = next(m for m in reception.inbox("cs") if f"#{visit_id}" in m["text"])
    query = await sandbox.press_button(
        reception.people["cs_head"], reception.chat("cs"), cs_copy["message_id"], label="✅ 确认"
    )
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "vip.check_already"
    )
    await sandbox.press_button(mona, None, returned["message_id"], label="✏️ Correct and resend")
    summary = await sandbox.wait_for_message(mona)
    await sandbox.press_button(mona, None, summary["message_id"], data="ni:edit")
    await sandbox.wait_idle()
    await sandbox.press_button(mona, None, summary["message_id"], data="ni:field:rooms")
    await sandbox.wait_for_message(mona)
    await sandbox.send_message(mona, text="1808, 1810")
    corrected = await sandbox.wait_for_message(mona)
    assert "Rooms: 1808, 1810" in corrected["text"]
    await sandbox.press_button(mona, None, corrected["message_id"], data="ni:send")
    await sandbox.wait_for_message(mona, contains=f"#{visit_id}")
    await reception.confirm(visit_id)
    visit = await reception.visit(visit_id)
    assert visit.status == "confirmed"
    assert visit.rooms == "1808, 1810"


async def test_a_last_minute_notice_sends_passed_tasks_at_once_marked_urgent(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    visit_id = await reception.announce(PASTED_EN.replace("2026-11-27 16:00", "10:40"))
    await reception.confirm(visit_id)
    urgent = seen(runtime, "zh", "task.urgent")
    parking = [m["text"] for m in reception.inbox("sec")]
    assert len(parking) == 1
    assert urgent in parking[0]  # T-2h passed long ago
    ready = next(m["text"] for m in reception.inbox("hk") if "开房门" in m["text"])
    assert urgent not in ready  # T-30m is still 10 minutes away


# --- Time: reminders, restarts, a moving arrival, escalation ----------------------------------


def reminders(reception: Reception, department: str, runtime: Runtime) -> list[str]:
    """Reminder texts a department's chat received, oldest first."""
    header = seen(runtime, "zh", "task.header.remind")
    late = seen(runtime, "zh", "task.header.remind_late", minutes=0).split("：")[0]
    return [
        m["text"] for m in reception.inbox(department) if header in m["text"] or late in m["text"]
    ]


async def test_each_reminder_comes_at_its_offset_exactly_once(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    visit_id = await reception.announce()  # arrives 16:00; it is 10:00
    await reception.confirm(visit_id)
    assert reminders(reception, "cs", runtime) == []
    clock.advance(hours=2, minutes=59)  # 12:59: the route walk (T-3h) is a minute away
    await sandbox.wait_idle()
    assert reminders(reception, "cs", runtime) == []
    clock.advance(minutes=1)  # 13:00
    walk = await reception.wait("cs", contains=seen(runtime, "zh", "task.header.remind"))
    assert "巡查贵宾进店路线" in walk["text"]
    clock.advance(minutes=30)
    await sandbox.wait_idle()
    assert len(reminders(reception, "cs", runtime)) == 1  # never twice
    clock.advance(minutes=30)  # 14:00: room inspection (cs, hk, eng) and parking (sec)
    await reception.wait("sec", contains=seen(runtime, "zh", "task.header.remind"))
    await sandbox.wait_idle()
    assert len(reminders(reception, "sec", runtime)) == 1
    assert len([r for r in reminders(reception, "hk", runtime) if "贵宾房查房" in r]) == 1
    assert len([r for r in reminders(reception, "eng", runtime) if "贵宾房查房" in r]) == 1


async def test_a_restart_sends_the_overdue_reminder_late_and_nothing_twice(
    sandbox: Sandbox,
    reception: Reception,
    runtime: Runtime,
    clock: FakeClock,
    app: object,
    settings: object,
    handler_errors: list[BaseException],
) -> None:
    from tests.e2e.conftest import running_bot

    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    clock.advance(hours=3)  # 13:00: the route walk reminder goes out
    await reception.wait("cs", contains="巡查贵宾进店路线")
    await sandbox.wait_idle()
    # The bot goes down at 13:00 …
    await app.updater.stop()  # type: ignore[attr-defined]
    await app.stop()  # type: ignore[attr-defined]
    clock.advance(minutes=65)  # … and is back at 14:05, after the 14:00 reminders were due
    async with running_bot(settings, clock, handler_errors):  # type: ignore[arg-type]
        late = await reception.wait(
            "sec", contains=seen(runtime, "zh", "task.header.remind_late", minutes=5)
        )
        assert "为贵宾车辆预留停车位" in late["text"]
        # Claimed after the restart: the redrawn reminder still says it was sent late.
        sec_head = reception.people["sec_head"]
        query = await sandbox.press_button(
            sec_head, reception.chat("sec"), late["message_id"], label="🙋 我来负责"
        )
        await sandbox.wait_callback_answer(query)
        late_header = seen(runtime, "zh", "task.header.remind_late", minutes=5)
        redrawn = await eventually(
            lambda: sandbox.message(reception.chat("sec"), late["message_id"]),
            lambda message: "马军" in message["text"],
        )
        assert late_header in redrawn["text"]
        await sandbox.wait_idle()
        clock.advance(minutes=5)
        await sandbox.wait_idle()
    assert len([r for r in reminders(reception, "cs", runtime) if "巡查贵宾进店路线" in r]) == 1
    assert len(reminders(reception, "sec", runtime)) == 1
    # The first bot's application is restarted by the fixture's teardown; keep it startable.
    await app.start()  # type: ignore[attr-defined]
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[attr-defined]


async def test_moving_the_arrival_twice_retimes_everything_and_tells_each_department_once(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    visit_id = await reception.announce()  # 16:00
    await reception.confirm(visit_id)
    zhang = reception.people["cs_head"]
    await sandbox.send_message(zhang, text=f"/arrival {visit_id} 18:00")
    moved = await sandbox.wait_for_message(zhang)
    assert moved["text"].startswith(
        seen(
            runtime,
            "zh",
            "visit.arrival_moved",
            visit=visit_id,
            arrival="2026-11-27 18:00",
            tasks=9,
        )[:20]
    )
    notice = seen(
        runtime,
        "zh",
        "visit.arrival_notice",
        visit=visit_id,
        guest="Mr. Wang Jun · Huadong Group",
        old="2026-11-27 16:00",
        new="2026-11-27 18:00",
    )
    await sandbox.wait_idle()
    for department in ("cs", "hk", "eng", "sec", "bell", "mgmt"):
        told = [m["text"] for m in reception.inbox(department) if m["text"].startswith(notice)]
        assert len(told) == 1, department
    parking_line = next(m["text"] for m in reception.inbox("sec") if m["text"].startswith(notice))
    assert "2026-11-27 16:00" in parking_line.splitlines()[-1]  # T-2h of 18:00

    # Second move, earlier this time; the old 13:00 route walk must not fire any more.
    await sandbox.send_message(zhang, text=f"/arrival #{visit_id} 17:00")
    await sandbox.wait_for_message(zhang)
    clock.advance(hours=3)  # 13:00: the first schedule's route walk
    await sandbox.wait_idle()
    assert reminders(reception, "cs", runtime) == []
    clock.advance(hours=1)  # 14:00 = T-3h of 17:00
    walk = await reception.wait("cs", contains=seen(runtime, "zh", "task.header.remind"))
    assert "巡查贵宾进店路线" in walk["text"]
    clock.advance(hours=1)  # 15:00 = T-2h of 17:00 (and the 16:00 of the first move is ahead)
    await reception.wait("sec", contains=seen(runtime, "zh", "task.header.remind"))
    clock.advance(hours=1)
    await sandbox.wait_idle()
    assert len(reminders(reception, "sec", runtime)) == 1
    assert len([r for r in reminders(reception, "cs", runtime) if "巡查贵宾进店路线" in r]) == 1


async def test_an_unchecked_task_escalates_two_levels_and_stops_at_the_check_off(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    sec_head = reception.people["sec_head"]
    manager = reception.people["duty_manager"]
    cs_head = reception.people["cs_head"]
    clock.advance(hours=4)  # 14:00: parking is due now
    await reception.wait("sec", contains="为贵宾车辆预留停车位")
    escalated = seen(runtime, "zh", "task.header.escalate", minutes=10)
    clock.advance(minutes=10)  # level 1: the department's head, in private
    first = await sandbox.wait_for_message(sec_head, contains=escalated)
    assert "为贵宾车辆预留停车位" in first["text"]
    await sandbox.wait_idle()
    assert not any(escalated in m["text"] for m in sandbox.messages(manager))
    clock.advance(minutes=10)  # level 2: the duty manager and CS's lead
    second = seen(runtime, "zh", "task.header.escalate", minutes=20)

    # Other open tasks escalate at the same minute: wait for parking's own alerts.
    def about_parking(message: dict[str, object]) -> bool:
        text = str(message["text"])
        return second in text and "为贵宾车辆预留停车位" in text

    await sandbox.wait_for_message(manager, predicate=about_parking)
    await sandbox.wait_for_message(cs_head, predicate=about_parking)
    # The card shows 🔺 on parking.
    clock.advance(seconds=10)
    await reception.card_showing(lambda line: line.startswith("🔺") and "停车位" in line)
    # Security checks it off: nothing more, even much later.
    parking = next(m for m in reception.inbox("sec") if m.get("reply_markup"))
    query = await sandbox.press_button(
        sec_head, reception.chat("sec"), parking["message_id"], label="✅ 完成"
    )
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "task.ok.done"
    )

    def parking_alerts() -> int:
        return sum("为贵宾车辆预留停车位" in m["text"] for m in sandbox.messages(manager))

    before = parking_alerts()
    clock.advance(hours=2)  # other tasks, still open, go on escalating; parking does not
    await sandbox.wait_idle()
    assert parking_alerts() == before
    task = await reception.task(visit_id, "parking")
    assert task.status == "done"
    assert task.escalated_level == 2


# --- Check-offs, problems, the card ----------------------------------------------------------


async def test_room_inspection_problem_notifies_housekeeping_and_cs_until_resolved(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    zhao = reception.people["hk_staff"]
    hk_chat, hk_topic = reception.chat("hk"), reception.topic("hk")
    room = next(m for m in reception.inbox("hk") if "贵宾房查房" in m["text"])
    # Claim, then tick the checklist item by item; Done only when all six pass.
    query = await sandbox.press_button(zhao, hk_chat, room["message_id"], label="🙋 我来负责")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "task.ok.claim"
    )
    for label in ("☐ 房卡", "☐ 清洁卫生", "☐ 设施设备"):
        query = await sandbox.press_button(zhao, hk_chat, room["message_id"], label=label)
        assert (await sandbox.wait_callback_answer(query))["text"] == seen(
            runtime, "zh", "task.ok.item"
        )
    # The outbox redraws the task's messages a moment after the presses.
    redrawn = await eventually(
        lambda: sandbox.message(hk_chat, room["message_id"]),
        lambda m: m is not None and "☑️ 设施设备 — 赵强" in m["text"],
    )
    assert "☑️ 房卡 — 赵强" in redrawn["text"]
    assert seen(runtime, "zh", "task.claimed_by", name="赵强") in redrawn["text"]
    # The copy in the CS chat shows the same progress.
    header = seen(runtime, "zh", "task.header.assign")
    cs_id = next(
        m["message_id"]
        for m in reception.inbox("cs")
        if m["text"].startswith(header) and "贵宾房查房" in m["text"]
    )
    await eventually(
        lambda: sandbox.message(reception.chat("cs"), cs_id),
        lambda m: m is not None and "☑️ 设施设备 — 赵强" in m["text"],
    )

    # Problem: the air-conditioning. Asked as a ForceReply in the topic, answered there.
    await sandbox.press_button(zhao, hk_chat, room["message_id"], label="⚠️ 有问题")
    question = await sandbox.wait_for_message(hk_chat, hk_topic)
    assert question["text"] == seen(
        runtime, "zh", "task.problem_ask", name="赵强", title="贵宾房查房"
    )
    await sandbox.send_message(
        zhao, hk_chat, "1808空调不制冷", thread_id=hk_topic, reply_to=question["message_id"]
    )
    notice_text = seen(
        runtime,
        "zh",
        "task.problem_notice",
        name="赵强",
        title="贵宾房查房",
        text="1808空调不制冷",
        visit=visit_id,
    )
    in_hk = await sandbox.wait_for_message(hk_chat, hk_topic, contains="1808空调不制冷")
    assert in_hk["text"] == notice_text
    in_cs = await reception.wait("cs", contains="1808空调不制冷")
    in_eng = await reception.wait("eng", contains="1808空调不制冷")
    assert in_eng["text"] == notice_text
    clock.advance(seconds=10)
    await reception.card_showing(lambda line: line.startswith("⚠️") and "贵宾房查房" in line)

    # Engineering fixes it and presses Resolved in the CS copy; the card clears.
    wu = reception.people["eng_head"]
    query = await sandbox.press_button(
        wu, reception.chat("cs"), in_cs["message_id"], label="✔️ 已解决"
    )
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "task.ok.resolved"
    )
    query = await sandbox.press_button(zhao, hk_chat, in_hk["message_id"], label="✔️ 已解决")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "task.refused.already_resolved"
    )
    for label in ("☐ 客用品", "☐ 房间景观", "☐ 周边环境"):
        await sandbox.press_button(zhao, hk_chat, room["message_id"], label=label)
        await sandbox.wait_idle()
    clock.advance(seconds=10)
    task = await reception.task(visit_id, "room_inspection")
    assert task.status == "done"
    await reception.card_showing(lambda line: line.startswith("✅") and "贵宾房查房 (6/6)" in line)


async def test_presses_from_outsiders_forged_or_stale_buttons_change_nothing(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    parking = next(m for m in reception.inbox("sec") if m.get("reply_markup"))
    sec_chat = reception.chat("sec")
    # Someone from F&B who happens to be in the security group.
    outsider = reception.people["fb_staff"]
    query = await sandbox.press_button(outsider, sec_chat, parking["message_id"], label="✅ 完成")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "task.not_yours"
    )
    # Forged data: other tasks' ids, nonsense, a huge id, the wrong prefix.
    stale = seen(runtime, "zh", "common.stale_button")
    for forged, expected in (
        ("t:done:99999", stale),
        ("t:zap:1", stale),
        ("t:done:abc", stale),
        ("p:res:12345", stale),
        ("vip:ok:999", seen(runtime, "zh", "vip.check_not_allowed")),
    ):
        query = await sandbox.press_raw(
            reception.people["sec_head"], sec_chat, parking["message_id"], forged
        )
        assert (await sandbox.wait_callback_answer(query))["text"] == expected, forged
    task = await reception.task(visit_id, "parking")
    assert task.status == "pending"
    # Done twice: the second press is answered and changes nothing.
    sec_head = reception.people["sec_head"]
    await sandbox.press_button(sec_head, sec_chat, parking["message_id"], label="✅ 完成")
    await sandbox.wait_idle()
    stale = await sandbox.press_raw(sec_head, sec_chat, parking["message_id"], f"t:done:{task.id}")
    assert (await sandbox.wait_callback_answer(stale))["text"] == seen(
        runtime, "zh", "task.refused.already_done"
    )
    done = await reception.task(visit_id, "parking")
    assert done.done_by == reception.staff_ids["sec_head"]


async def test_thirty_check_offs_in_a_burst_give_one_card_edit_per_window(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime, clock: FakeClock
) -> None:
    # A playbook of thirty small tasks, spread over seven departments' groups so that
    # Telegram's 20-messages-a-minute group limit does not slow the test down.
    import dataclasses

    assert runtime.playbook is not None
    base = runtime.playbook.tasks[0]
    departments = ("cs", "sec", "bell", "mgmt", "front", "fb", "mkt")
    many = tuple(
        dataclasses.replace(
            base,
            key=f"check_{i}",
            departments=(departments[i % len(departments)],),
            title_zh=f"检查{i}",
            title_en=f"Check {i}",
        )
        for i in range(30)
    )
    runtime.playbook = dataclasses.replace(runtime.playbook, tasks=many)
    reception = await reception_hotel(hotel, sandbox)
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    await sandbox.wait_idle()
    card = await reception.card()
    edits_before = len(sandbox.edits(reception.chat("cs"), card["message_id"]))
    manager = reception.people["duty_manager"]  # the duty manager may check off anything
    header = seen(runtime, "zh", "task.header.assign")
    queries = []
    for department in departments:
        for message in reception.inbox(department):
            if message.get("reply_markup") and message["text"].startswith(header):
                queries.append(
                    await sandbox.press_button(
                        manager, reception.chat(department), message["message_id"], label="✅ 完成"
                    )
                )
    assert len(queries) == 30
    for query in queries:
        assert (await sandbox.wait_callback_answer(query, timeout=20))["text"] == seen(
            runtime, "zh", "task.ok.done"
        )
    async with runtime.sessions() as session:
        from storage import visits

        tasks = await visits.tasks_of(session, visit_id)
    assert [t.status for t in tasks] == ["done"] * 30
    await sandbox.wait_idle()
    # Inside the window (the clock has not moved): not a single edit yet.
    assert len(sandbox.edits(reception.chat("cs"), card["message_id"])) == edits_before
    clock.advance(seconds=10)
    await reception.card_showing(lambda line: line.startswith("✅") and "检查29" in line)
    clock.advance(seconds=10)
    await sandbox.wait_idle()
    edits = sandbox.edits(reception.chat("cs"), card["message_id"])
    assert len(edits) == edits_before + 1
    assert edits[-1]["text"].count("✅") == 30


# --- Gaps, closing, the archive --------------------------------------------------------------


async def test_a_department_without_a_chat_is_reported_to_cs_and_the_announcer(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    async with runtime.sessions() as session:
        from storage import org

        await org.unbind_chat(session, chat_id=reception.chat("sec").id, thread_id=None)
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    expected = seen(
        runtime,
        "zh",
        "task.unbound",
        departments="保安部",
        title="为贵宾车辆预留停车位",
        visit=visit_id,
    )
    in_cs = await reception.wait("cs", contains="保安部")
    assert in_cs["text"] == expected
    to_announcer = await sandbox.wait_for_message(
        reception.people["announcer"], contains="Security"
    )
    assert runtime.playbook is not None
    parking = runtime.playbook.get("parking")
    assert parking is not None
    assert to_announcer["text"] == seen(
        runtime,
        "en",
        "task.unbound",
        departments="Security",
        title=parking.title_en,
        visit=visit_id,
    )


async def test_visits_are_listed_completed_archived_and_exported(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    import io

    from openpyxl import load_workbook

    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    sophie = reception.people["cs_agent"]
    await sandbox.send_message(sophie, text="/visits")
    listing = await sandbox.wait_for_message(sophie)
    assert (
        f"#{visit_id} · 2026-11-27 16:00 · Mr. Wang Jun · Huadong Group · 6 guests"
        in listing["text"]
    )
    # The guest arrives: the bell desk checks off the arrival task.
    bell = reception.people["bell_head"]
    clock.advance(hours=6)
    arrival = next(
        m for m in reception.inbox("bell") if "贵宾抵达" in m["text"] and m.get("reply_markup")
    )
    await sandbox.press_button(
        bell, reception.chat("bell"), arrival["message_id"], label="✅ 完成"
    )
    await sandbox.wait_idle()
    assert (await reception.visit(visit_id)).status == "arrived"
    # /complete asks first (it cannot be undone); "Keep it open" changes nothing.
    await sandbox.send_message(sophie, text=f"/complete {visit_id}")
    ask = await sandbox.wait_for_message(sophie)
    assert ask["text"] == seen(
        runtime, "en", "visit.complete_ask", visit=visit_id, guest="Mr. Wang Jun · Huadong Group"
    )
    query = await sandbox.press_button(sophie, None, ask["message_id"], label="Keep it open")
    await sandbox.wait_callback_answer(query)
    assert (await reception.visit(visit_id)).status == "arrived"
    await sandbox.send_message(sophie, text=f"/complete {visit_id}")
    ask = await sandbox.wait_for_message(sophie)
    await sandbox.press_button(sophie, None, ask["message_id"], data=f"vc:done:{visit_id}")
    done = await sandbox.wait_for_message(sophie)
    assert done["text"] == seen(runtime, "en", "visit.completed_done", visit=visit_id)
    document = await sandbox.wait_for_message(sophie)
    assert document["document"]["file_name"] == f"vip-reception-{visit_id}-2026-11-27.html"
    page = sandbox.file_bytes(document["document"]["file_id"]).decode()
    assert "Mr. Wang Jun" in page
    assert "Bell Desk" in page or "礼宾部" in page
    visit = await reception.visit(visit_id)
    assert visit.status == "completed"
    await sandbox.send_message(sophie, text=f"/complete {visit_id}")
    assert (await sandbox.wait_for_message(sophie))["text"] == seen(
        runtime, "en", "visit.already_closed", visit=visit_id
    )
    # The month's export: the workbook's numbers are the database's.
    await sandbox.send_message(sophie, text="/export visits 2026-11")
    export = await sandbox.wait_for_message(sophie)
    workbook = load_workbook(io.BytesIO(sandbox.file_bytes(export["document"]["file_id"])))
    visits_sheet = workbook.worksheets[0]
    rows = list(visits_sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == visit_id
    async with runtime.sessions() as session:
        from storage import visits

        tasks = await visits.tasks_of(session, visit_id)
    assert len(list(workbook.worksheets[1].iter_rows(values_only=True))) == len(tasks) + 1
    # Refusals: no month, and a housekeeper may not export.
    await sandbox.send_message(sophie, text="/export visits november")
    assert (await sandbox.wait_for_message(sophie))["text"] == seen(
        runtime, "en", "hearts.period.error.unreadable", text="november"
    )
    await sandbox.send_message(sophie, text="/export november")
    assert (await sandbox.wait_for_message(sophie))["text"] == seen(
        runtime, "en", "visit.export_usage"
    )
    zhao = reception.people["hk_staff"]
    await sandbox.send_message(zhao, text="/export visits 2026-11")
    assert (await sandbox.wait_for_message(zhao))["text"] == seen(
        runtime, "zh", "visit.export_not_allowed"
    )


async def test_a_called_off_visit_tells_every_department_once_and_stops_reminders(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, clock: FakeClock
) -> None:
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    zhao = reception.people["hk_staff"]
    await sandbox.send_message(zhao, text=f"/cancelvisit {visit_id}")
    assert (await sandbox.wait_for_message(zhao))["text"] == seen(
        runtime, "zh", "visit.manage_not_allowed"
    )
    manager = reception.people["duty_manager"]
    await sandbox.send_message(manager, text=f"/cancelvisit {visit_id}")
    ask = await sandbox.wait_for_message(manager, contains=f"#{visit_id}")
    # Asking changes nothing yet; forged presses on the question change nothing either.
    assert (await reception.visit(visit_id)).status == "confirmed"
    for forged in ("vc:off:999999", "vc:off", f"vc:burn:{visit_id}"):
        query = await sandbox.press_raw(manager, None, ask["message_id"], forged)
        refused = await sandbox.wait_callback_answer(query)
        assert refused["text"] == plain(seen(runtime, "zh", "common.stale_button"))
    assert (await reception.visit(visit_id)).status == "confirmed"
    await sandbox.press_button(manager, None, ask["message_id"], data=f"vc:off:{visit_id}")
    await sandbox.wait_for_message(manager, contains=f"#{visit_id}")
    notice = seen(
        runtime,
        "zh",
        "visit.cancelled_notice",
        visit=visit_id,
        guest="Mr. Wang Jun · Huadong Group",
        name="李娜",
    )
    await sandbox.wait_idle()
    for department in ("cs", "hk", "eng", "sec", "bell", "mgmt"):
        assert [m["text"] for m in reception.inbox(department)].count(notice) == 1, department
    clock.advance(hours=8)
    await sandbox.wait_idle()
    assert reminders(reception, "cs", runtime) == []
    assert (await reception.visit(visit_id)).status == "cancelled"


async def test_the_card_button_moves_the_arrival_by_a_reply_in_the_cs_chat(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    card = await reception.card()
    cs_chat = reception.chat("cs")
    zhao = reception.people["hk_staff"]  # a member of the CS group, but not CS
    query = await sandbox.press_button(zhao, cs_chat, card["message_id"], label="🕒 修改抵店时间")
    assert (await sandbox.wait_callback_answer(query))["text"] == seen(
        runtime, "zh", "visit.manage_not_allowed"
    )
    sophie = reception.people["cs_agent"]
    await sandbox.press_button(sophie, cs_chat, card["message_id"], label="🕒 修改抵店时间")
    question = await reception.wait("cs", contains="Sophie Sun")
    assert question["text"] == seen(
        runtime, "en", "visit.arrival_ask", name="Sophie Sun", visit=visit_id
    )
    # Someone else's reply does not count; Sophie's does.
    await sandbox.send_message(zhao, cs_chat, "17:00", reply_to=question["message_id"])
    assert (await reception.wait("cs"))["text"] == seen(runtime, "zh", "prompt.not_yours")
    # A time that is no time gets its reason and changes nothing: the question stays open.
    await sandbox.send_message(sophie, cs_chat, "teatime", reply_to=question["message_id"])
    unreadable = await reception.wait("cs")
    assert unreadable["text"].startswith(
        seen(runtime, "en", "when.error.unreadable", text="teatime")
    )
    async with runtime.sessions() as session:
        still_open = await visits.find_prompt(
            session, chat_id=cs_chat.id, message_id=question["message_id"]
        )
    assert still_open is not None
    assert (await reception.visit(visit_id)).arrival_at.isoformat() == "2026-11-27T08:00:00+00:00"

    await sandbox.send_message(sophie, cs_chat, "tomorrow 9:30", reply_to=question["message_id"])
    moved = await reception.wait("cs", contains=f"#{visit_id}")
    assert "2026-11-28 09:30" in moved["text"]
    visit = await reception.visit(visit_id)
    assert visit.arrival_at.isoformat() == "2026-11-28T01:30:00+00:00"
    told = seen(
        runtime,
        "zh",
        "visit.arrival_notice",
        visit=visit_id,
        guest="Mr. Wang Jun · Huadong Group",
        old="2026-11-27 16:00",
        new="2026-11-28 09:30",
    )
    await sandbox.wait_idle()
    assert sum(m["text"].startswith(told) for m in reception.inbox("sec")) == 1


async def test_a_notice_being_checked_stays_with_cs_and_management(
    sandbox: Sandbox, reception: Reception, runtime: Runtime
) -> None:
    visit_id = await reception.announce()
    zhao = reception.people["hk_staff"]
    await sandbox.send_message(zhao, text="/visits")
    assert (await sandbox.wait_for_message(zhao))["text"] == seen(runtime, "zh", "visit.none")
    await sandbox.send_message(zhao, text=f"/visit {visit_id}")
    assert (await sandbox.wait_for_message(zhao))["text"] == seen(
        runtime, "zh", "visit.not_found", visit=visit_id
    )
    # No card reaches the CS group for a notice that is withdrawn before its check.
    mona = reception.people["announcer"]
    await sandbox.send_message(mona, text=f"/complete {visit_id}")
    assert (await sandbox.wait_for_message(mona))["text"] == seen(
        runtime, "en", "visit.complete_not_allowed"
    )
    await sandbox.send_message(mona, text=f"/cancelvisit {visit_id}")
    ask = await sandbox.wait_for_message(mona, contains=f"#{visit_id}")
    await sandbox.press_button(mona, None, ask["message_id"], data=f"vc:off:{visit_id}")
    await sandbox.wait_for_message(mona, contains=f"#{visit_id}")
    await sandbox.wait_idle()
    assert sandbox.pinned(reception.chat("cs")) == []
    assert (await reception.visit(visit_id)).status == "cancelled"
