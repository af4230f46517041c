"""A whole reception while Telegram misbehaves: one Bot API call in ten is answered 429
(retry_after 1–3 s), 500, a 502 page, or not at all (a "lost reply": Telegram carried the
call out, but its answer never came back before the bot's read timeout).

What a CS team relies on: every assignment, reminder and escalation reaches its chat exactly
once; every check-off is recorded; no false "no chat bound" or "the bot stopped"; the bot
keeps running. A plain hang (Telegram never carries the call out) is the one case a bot
cannot tell from a lost reply: that is the separate test below, where CS is told.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from telegram.error import NetworkError, RetryAfter

from bot.runtime import Runtime
from sandbox import Sandbox
from storage import outbox, visits
from storage.models import OUTBOX_VISIT, SEND_MAYBE, SEND_SENT, OutboxSend
from tests.e2e.conftest import FakeClock, Hotel, seen
from tests.e2e.reception import Reception, reception_hotel

# Who checks off each department's tasks.
WORKER = {
    "cs": "cs_agent",
    "hk": "hk_staff",
    "eng": "eng_head",
    "sec": "sec_head",
    "bell": "bell_head",
    "mgmt": "gm",
    "fb": "fb_staff",
}
FAULTS = ("429", "500", "502", "lost_reply")


async def drain(reception: Reception, runtime: Runtime, clock: FakeClock, visit_id: int) -> None:
    """Let every due row go out, moving the clock a few seconds at a time so that rows
    Telegram answered "not yet" come up for their next try (their backoff is on the clock)."""
    for _ in range(600):
        async with runtime.sessions() as session:
            rows = await visits.reminders_of(session, visit_id)
        now = runtime.clock()
        waiting = [r for r in rows if r.state in ("pending", "sending") and r.due_at <= now]
        if not waiting:
            return
        clock.advance(seconds=3)
        await asyncio.sleep(0.1)
    raise AssertionError(f"rows never went out: {[(r.id, r.kind, r.state) for r in waiting]}")


async def cross_check_request(
    sandbox: Sandbox, reception: Reception, visit_id: int
) -> tuple[dict[str, Any], str]:
    """The cross-check the duty manager got in private, and its ✅ Confirm data."""
    prefix = f"vip:ok:{visit_id}:"
    request = await sandbox.wait_for_message(
        reception.people["duty_manager"],
        predicate=lambda m: any(d.startswith(prefix) for d in task_buttons(m)),
    )
    return request, next(d for d in task_buttons(request) if d.startswith(prefix))


async def confirm(sandbox: Sandbox, reception: Reception, runtime: Runtime, visit_id: int) -> None:
    """The duty manager presses ✅ on the cross-check they got in private (their press is
    recorded even when Telegram then fails to show them the answer)."""
    manager = reception.people["duty_manager"]
    request, data = await cross_check_request(sandbox, reception, visit_id)
    await sandbox.press_button(manager, None, request["message_id"], data=data)
    for _ in range(100):
        async with runtime.sessions() as session:
            visit = await visits.get_visit(session, visit_id)
        if visit is not None and visit.status == "confirmed":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the confirmation was never recorded")


def task_buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button.get("callback_data", "") for row in rows for button in row]


async def check_off(
    sandbox: Sandbox, reception: Reception, runtime: Runtime, task_id: int, department: str
) -> None:
    """Someone of the department presses ✅ (or ticks each open checklist line) on a message
    of the task, as a person would, until the bot has recorded it; the buttons of the
    department's older copies work too, so a redraw held up by flood limits does not
    stop them."""
    worker = reception.people[WORKER[department]]
    chat, topic = reception.chats[department]
    for _ in range(40):
        async with runtime.sessions() as session:
            task = await visits.get_task(session, task_id)
            items = await visits.items_of(session, task_id)
        assert task is not None
        if task.status == "done":
            return
        open_items = [item for item in items if item.done_at is None]
        data = f"t:item:{open_items[0].id}" if open_items else f"t:done:{task_id}"
        carrying = [m for m in sandbox.messages(chat, topic) if data in task_buttons(m)]
        assert carrying, f"no message of task {task_id} in {department} has {data}"
        await sandbox.press_button(worker, chat, carrying[-1]["message_id"], data=data)
        for _ in range(50):
            async with runtime.sessions() as session:
                now_done = await visits.items_of(session, task_id)
                again = await visits.get_task(session, task_id)
            if (again is not None and again.status == "done") or sum(
                1 for i in now_done if i.done_at
            ) > len(items) - len(open_items):
                break
            await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} was never recorded done")


def bot_texts(sandbox: Sandbox, chat: Any, topic: int | None) -> list[str]:
    return [str(m.get("text") or "") for m in sandbox.messages(chat, topic)]


async def test_a_whole_reception_under_one_in_ten_failed_calls_loses_and_repeats_nothing(
    sandbox: Sandbox,
    hotel: Hotel,
    runtime: Runtime,
    clock: FakeClock,
    handler_errors: list[BaseException],
) -> None:
    reception = await reception_hotel(hotel, sandbox)
    visit_id = await reception.announce()  # arrives 16:00; it is 10:00
    sandbox.fault_rate(0.1, FAULTS, seed=20261202, retry_after=(1, 3))
    await confirm(sandbox, reception, runtime, visit_id)
    await drain(reception, runtime, clock, visit_id)

    # The day, five minutes at a time: each task is checked off once it is reminded,
    # except parking, which is left open and escalates.
    checked: set[int] = set()
    async with runtime.sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    assert visit is not None
    while runtime.clock() < visit.arrival_at + timedelta(minutes=40):
        clock.advance(minutes=5)
        await drain(reception, runtime, clock, visit_id)
        async with runtime.sessions() as session:
            tasks = await visits.tasks_of(session, visit_id)
        for task in tasks:
            due = task.remind_at is not None and task.remind_at <= runtime.clock()
            if not due or task.status != "pending" or task.key == "parking":
                continue
            await check_off(
                sandbox, reception, runtime, task.id or 0, task.departments.split(",")[0]
            )
            checked.add(task.id or 0)
    await drain(reception, runtime, clock, visit_id)
    sandbox.fault_rate(0)
    await sandbox.wait_idle(timeout=30)

    # Telegram really misbehaved, in every way asked for.
    assert sum(sandbox.fault_counts.values()) >= 5, sandbox.fault_counts

    # Every check-off is recorded, by the person who pressed.
    async with runtime.sessions() as session:
        tasks = {t.id: t for t in await visits.tasks_of(session, visit_id)}
        rows = await visits.reminders_of(session, visit_id)
        sends = await outbox.sends_of(
            session, outbox=OUTBOX_VISIT, row_ids=[r.id or 0 for r in rows]
        )
    assert checked
    for task_id in checked:
        assert tasks[task_id].status == "done"
        assert tasks[task_id].done_by is not None

    # Every row due went out: none left waiting, none in doubt for a stopped sender.
    now = runtime.clock()
    assert [
        (r.kind, r.state) for r in rows if r.due_at <= now and r.state not in ("sent", "cancelled")
    ] == []
    assert {s.state for s in sends} <= {SEND_SENT, SEND_MAYBE}
    parking = next(t for t in tasks.values() if t.key == "parking")
    assert parking.escalated_level == 2

    # Exactly once: each chat received one message per destination row, no text twice.
    per_target: Counter[str] = Counter(s.target for s in sends)
    # (The outbox's messages are the task messages: a header, or a mention above one.)
    headers = tuple(
        seen(runtime, "zh", f"task.header.{kind}", minutes=0)[:2]
        for kind in ("assign", "remind", "escalate")
    ) + ("👤",)
    for department, (chat, topic) in reception.chats.items():
        texts = [t for t in bot_texts(sandbox, chat, topic) if t.startswith(headers)]
        expected = per_target[f"dept:{department}"] + per_target[f"dept:{department}:fallback"]
        assert len(texts) == expected, (department, texts)
        assert len(set(texts)) == len(texts), f"a message came twice in {department}"
    for key, person in reception.people.items():
        escalations = [
            t
            for t in bot_texts(sandbox, person, None)
            if t.startswith(seen(runtime, "zh", "task.header.escalate", minutes=0)[:3])
        ]
        assert len(escalations) == per_target[f"user:{person.id}"], key
        assert len(set(escalations)) == len(escalations), key

    # No false alarm anywhere: nothing said a chat was unbound or the bot stopped.
    false_alarms = [
        seen(runtime, "zh", "task.unbound", departments="", title="", visit=visit_id)[:12],
        seen(runtime, "zh", "task.uncertain", title="", visit=visit_id)[:12],
    ]
    everything = [
        text
        for chat in [
            *{c.id: c for c, _ in reception.chats.values()}.values(),
            *reception.people.values(),
        ]
        for text in bot_texts(sandbox, chat, None)
    ]
    for alarm in false_alarms:
        assert not [t for t in everything if t.startswith(alarm)]

    # Telegram's failures inside handlers were answered as such, never as our bug; the bot
    # still answers.
    unexpected = [e for e in handler_errors if not isinstance(e, NetworkError | RetryAfter)]
    assert unexpected == []
    handler_errors.clear()
    announcer = reception.people["announcer"]
    await sandbox.send_message(announcer, text="/help")
    await sandbox.wait_for_message(announcer, contains="/vip")


async def test_a_reminder_telegram_never_answers_is_not_resent_and_cs_is_told(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime, clock: FakeClock
) -> None:
    reception = await reception_hotel(hotel, sandbox)
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    async with runtime.sessions() as session:
        briefing = next(t for t in await visits.tasks_of(session, visit_id) if t.key == "briefing")
    await check_off(sandbox, reception, runtime, briefing.id or 0, "cs")
    await sandbox.wait_idle()
    sandbox.inject_fault("sendMessage", "hang")  # the next message Telegram swallows …
    clock.advance(hours=3)  # … is the route walk reminder to CS, at 13:00
    await drain(reception, runtime, clock, visit_id)
    told = await reception.wait(
        "cs",
        contains=seen(
            runtime, "zh", "task.maybe_sent", departments="x", title="x", visit=visit_id
        )[:10],
    )
    assert "巡查贵宾进店路线" in told["text"]
    async with runtime.sessions() as session:
        rows = await visits.reminders_of(session, visit_id)
        walk = next(r for r in rows if r.kind == "remind" and r.due_at <= runtime.clock())
        sends: list[OutboxSend] = await outbox.sends_of(
            session, outbox=OUTBOX_VISIT, row_ids=[walk.id or 0]
        )
    assert [(s.target, s.state) for s in sends] == [("dept:cs", SEND_MAYBE)]
    assert walk.state == "sent"
    # Never resent, however long we wait.
    clock.advance(minutes=10)
    await sandbox.wait_idle(timeout=15)
    walk_reminders = [
        t
        for t in bot_texts(sandbox, reception.chat("cs"), None)
        if t.startswith(seen(runtime, "zh", "task.header.remind")) and "巡查贵宾进店路线" in t
    ]
    assert walk_reminders == []


async def test_a_confirm_whose_note_to_the_announcer_times_out_is_not_called_a_failure(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime, clock: FakeClock
) -> None:
    reception = await reception_hotel(hotel, sandbox)
    visit_id = await reception.announce()
    manager = reception.people["duty_manager"]
    request, data = await cross_check_request(sandbox, reception, visit_id)
    # The confirm is saved and shown; the note to the announcer after it never answers.
    sandbox.inject_fault("sendMessage", "lost_reply")
    query = await sandbox.press_button(manager, None, request["message_id"], data=data)
    answer = await sandbox.wait_callback_answer(query)
    assert not answer.get("text")
    await sandbox.wait_idle(timeout=15)
    assert (await reception.visit(visit_id)).status == "confirmed"
    shown = sandbox.message(manager, request["message_id"])
    assert shown is not None
    assert seen(runtime, "zh", "vip.confirmed_by", name=manager.first_name) in shown["text"]
    apologies = [
        t
        for t in bot_texts(sandbox, manager, None)
        if t in (seen(runtime, "zh", "error.generic"), seen(runtime, "zh", "error.telegram"))
    ]
    assert apologies == []
    # The announcer did get the note (Telegram carried it out; only its answer was lost).
    announcer = reception.people["announcer"]
    async with runtime.sessions() as session:
        count = len(await visits.tasks_of(session, visit_id))
    note = seen(
        runtime,
        "en",
        "vip.confirmed_announcer",
        visit=visit_id,
        name=manager.first_name,
        tasks=count,
    )
    assert bot_texts(sandbox, announcer, None).count(note) == 1


async def test_pressing_a_language_twice_is_no_error(
    sandbox: Sandbox, hotel: Hotel, runtime: Runtime
) -> None:
    li = hotel.person(2003, "Li", language="en")
    await sandbox.send_message(li, text="/language")
    prompt = await sandbox.wait_for_message(li)
    # A double tap: both presses leave the phone before the first answer comes back.
    first = await sandbox.press_button(li, None, prompt["message_id"], label="中文")
    second = await sandbox.press_button(li, None, prompt["message_id"], label="中文")
    for query in (first, second):
        answer = await sandbox.wait_callback_answer(query)
        assert (answer.get("text") or "") in ("", seen(runtime, "zh", "common.stale_button"))
    await sandbox.wait_idle()
    assert sandbox.message(li, prompt["message_id"])["text"] == seen(  # type: ignore[index]
        runtime, "zh", "language.saved", language="中文"
    )
    # The second press really asked Telegram for an edit that changes nothing …
    assert any(
        method == "editMessageText" and "not modified" in description
        for method, _params, description in sandbox.errors
    )
    # … and nobody was told something went wrong.
    errors = (seen(runtime, "en", "error.generic"), seen(runtime, "zh", "error.generic"))
    assert [t for t in bot_texts(sandbox, li, None) if t in errors] == []
