"""A VIP reception as the hotel lives it: notice, cross-check, assignments, reminders,
check-offs, problems, escalation, the status card, changes and the archive."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from sandbox import Sandbox
from tests.e2e.conftest import FakeClock, Hotel, seen
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
    await sandbox.wait_idle()

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
    card = reception.card()
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
    late = seen(runtime, "zh", "task.header.remind_late")
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
    # The bot goes down at 13:05 …
    await app.updater.stop()  # type: ignore[attr-defined]
    await app.stop()  # type: ignore[attr-defined]
    clock.advance(minutes=65)  # … and is back at 14:10, after the 14:00 reminders were due
    async with running_bot(settings, clock, handler_errors):  # type: ignore[arg-type]
        late = await reception.wait("sec", contains=seen(runtime, "zh", "task.header.remind_late"))
        assert "为贵宾车辆预留停车位" in late["text"]
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
    await sandbox.wait_for_message(manager, contains=second)
    await sandbox.wait_for_message(cs_head, contains=second)
    # The card shows 🔺 on parking.
    clock.advance(seconds=10)
    await sandbox.wait_idle()
    card = reception.card()
    assert any(line.startswith("🔺") and "停车位" in line for line in card["text"].splitlines()), (
        card["text"]
    )
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
