"""The bot stopped dead and started again on the same database: nothing a person did or was
due to hear is lost, and nothing is sent twice.

A kill is played in-process by cutting the tick off where it stands (the job queue's
running jobs are cancelled, as a process's death would end them): nothing after the call
under way runs, no row is settled. A new Application on the same database and sandbox is
the restarted bot.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from telegram.ext import Application

from bot.app import build_application, runtime_of, stop_bot
from bot.runtime import Runtime
from bot.settings import Settings
from bot.states import OutboxState
from bot.when import format_local
from handlers.outbox import CLAIM_LEASE
from handlers.reception.cards import draw_changed_cards
from sandbox import Sandbox
from storage import outbox, visits
from storage.db import SessionFactory
from storage.models import OUTBOX_VISIT, SEND_MAYBE, SEND_SENDING, SEND_SENT, Visit, VisitTask
from tests.e2e.conftest import FakeClock, Hotel, eventually, running_bot, seen
from tests.e2e.reception import Reception, reception_hotel

ROOM_INSPECTION = "贵宾房查房"


@asynccontextmanager
async def bot_killed_at_exit(
    settings: Settings, clock: FakeClock, failures: list[BaseException]
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The running bot, ended as a kill ends it: the tick is cut off mid-call, so whatever it
    had begun (a claimed row, a redraw) is left exactly as the database last saw it."""
    async with running_bot(settings, clock, failures) as application:
        try:
            yield application
        finally:
            await cut_off_jobs(application)
    # The cut-off jobs' database connections are left half-open, as a killed process leaves
    # them (and takes them along): collected here, not in some later test's setup, where
    # their ResourceWarning would fail a test that did nothing wrong.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


async def cut_off_jobs(application: Application) -> None:  # type: ignore[type-arg]
    """No job starts any more, and every running one is cancelled where it stands. PTB
    shields a running job from its own stop (which would let the tick finish its row): the
    shielded runs are cancelled."""
    assert application.job_queue is not None
    application.job_queue.scheduler.shutdown(wait=False)
    running = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Job._run"
    ]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    assert all(task.cancelled() for task in running)


async def task_of(sessions: SessionFactory, visit_id: int, key: str) -> VisitTask:
    """A task as the database has it, read between two runs of the bot."""
    async with sessions() as session:
        tasks = await visits.tasks_of(session, visit_id)
    return next(t for t in tasks if t.key == key)


def calls_since(sandbox: Sandbox, mark: int, method: str) -> list[dict[str, Any]]:
    return [params for m, params in sandbox.requests[mark:] if m == method]


def sends_since(sandbox: Sandbox, mark: int) -> list[str]:
    """Every message-creating call made since `mark` (sendMessage, sendDocument…)."""
    return [
        m for m, _ in sandbox.requests[mark:] if m.startswith("send") and m != "sendChatAction"
    ]


def assert_clean(failures: list[BaseException], logged_errors: list[logging.LogRecord]) -> None:
    assert failures == [], f"a handler raised: {failures!r}"
    assert [r.getMessage() for r in logged_errors] == [], "the bot logged errors"


async def confirmed_reception(sandbox: Sandbox, application: Application) -> tuple[Reception, int]:  # type: ignore[type-arg]
    reception = await reception_hotel(Hotel(sandbox, runtime_of(application)), sandbox)
    visit_id = await reception.announce()
    await reception.confirm(visit_id)
    return reception, visit_id


def restarted(reception: Reception, application: Application) -> Runtime:  # type: ignore[type-arg]
    """The reception's helpers now read through the restarted bot."""
    reception.hotel = Hotel(reception.sandbox, runtime_of(application))
    return reception.hotel.runtime


# --- A press, then a kill before its redraw -----------------------------------------------------


async def test_a_check_off_pressed_just_before_a_kill_is_redrawn_once_by_the_restarted_bot(
    sandbox: Sandbox,
    settings: Settings,
    clock: FakeClock,
    logged_errors: list[logging.LogRecord],
    sessions: SessionFactory,
) -> None:
    failures: list[BaseException] = []
    async with bot_killed_at_exit(settings, clock, failures) as first:
        reception, visit_id = await confirmed_reception(sandbox, first)
        sec = reception.chat("sec")
        parking = next(m for m in reception.inbox("sec") if m.get("reply_markup"))
        # The redraw's edit never gets through: the bot dies while it waits.
        sandbox.inject_fault("editMessageText", "hang", chat=sec)
        mark = len(sandbox.requests)
        query = await sandbox.press_button(
            reception.people["sec_head"], sec, parking["message_id"], label="✅ 完成"
        )
        answer = await sandbox.wait_callback_answer(query)
        assert answer["text"] == seen(runtime_of(first), "zh", "task.ok.done")
        await eventually(lambda: calls_since(sandbox, mark, "editMessageText"), bool)
    task = await task_of(sessions, visit_id, "parking")
    assert task.status == "done"
    assert task.redraw_seq > task.redrawn_seq  # the redraw is still owed
    assert sandbox.edits(sec, parking["message_id"]) == []
    done_at = task.done_at
    assert done_at is not None

    mark = len(sandbox.requests)
    async with running_bot(settings, clock, failures) as second:
        runtime = restarted(reception, second)
        edits = await eventually(lambda: sandbox.edits(sec, parking["message_id"]), bool)
        await sandbox.wait_idle()
    edits = sandbox.edits(sec, parking["message_id"])
    assert len(edits) == 1
    done_line = seen(
        runtime, "zh", "task.done_by", name="马军", at=format_local(done_at, settings.zone)
    )
    assert edits[0]["text"].splitlines()[-1] == done_line
    buttons = [b["text"] for row in edits[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [seen(runtime, "zh", "task.button.problem")]
    assert sends_since(sandbox, mark) == []  # a redraw, not a new message
    task = await task_of(sessions, visit_id, "parking")
    assert task.redrawn_seq == task.redraw_seq
    assert_clean(failures, logged_errors)


async def test_a_redraw_telegram_carried_out_but_never_answered_before_a_kill_is_not_shown_twice(
    sandbox: Sandbox,
    settings: Settings,
    clock: FakeClock,
    logged_errors: list[logging.LogRecord],
    sessions: SessionFactory,
) -> None:
    failures: list[BaseException] = []
    async with bot_killed_at_exit(settings, clock, failures) as first:
        reception, visit_id = await confirmed_reception(sandbox, first)
        sec = reception.chat("sec")
        parking = next(m for m in reception.inbox("sec") if m.get("reply_markup"))
        # The edit lands, its answer never comes back: the bot dies not knowing.
        sandbox.inject_fault("editMessageText", "lost_reply", chat=sec)
        await sandbox.press_button(
            reception.people["sec_head"], sec, parking["message_id"], label="✅ 完成"
        )
        await eventually(lambda: sandbox.edits(sec, parking["message_id"]), bool)
    task = await task_of(sessions, visit_id, "parking")
    assert task.redraw_seq > task.redrawn_seq

    mark = len(sandbox.requests)
    async with running_bot(settings, clock, failures) as second:
        restarted(reception, second)
        # The restarted bot redraws again; Telegram finds nothing to change.
        await eventually(lambda: calls_since(sandbox, mark, "editMessageText"), bool)
        await sandbox.wait_idle()
    task = await task_of(sessions, visit_id, "parking")
    assert task.redrawn_seq == task.redraw_seq
    assert len(sandbox.edits(sec, parking["message_id"])) == 1
    assert sends_since(sandbox, mark) == []
    assert_clean(failures, logged_errors)


# --- A kill in the middle of a row ------------------------------------------------------------


async def test_a_reminder_cut_off_between_departments_is_finished_after_the_lease_never_twice(
    sandbox: Sandbox,
    settings: Settings,
    clock: FakeClock,
    logged_errors: list[logging.LogRecord],
    sessions: SessionFactory,
) -> None:
    failures: list[BaseException] = []
    async with bot_killed_at_exit(settings, clock, failures) as first:
        reception, visit_id = await confirmed_reception(sandbox, first)
        clock.advance(hours=3)  # 13:00: the route walk's reminder
        await reception.settled(visit_id)
        forum = reception.chat("hk")  # housekeeping and engineering are topics of one forum
        # 14:00: the room inspection is reminded to CS, housekeeping, engineering, in that
        # order. CS gets it; housekeeping's call hangs, and the bot dies there.
        sandbox.inject_fault("sendMessage", "hang", chat=forum)
        mark = len(sandbox.requests)
        clock.advance(hours=1)

        def to_forum() -> list[dict[str, Any]]:
            return [
                p for p in calls_since(sandbox, mark, "sendMessage") if p["chat_id"] == forum.id
            ]

        await eventually(to_forum, bool)
        assert to_forum()[0].get("message_thread_id") == reception.topic("hk")
    # On time or marked late, a reminder's header begins the same way.
    remind = os.path.commonprefix(
        [
            seen(runtime_of(first), "zh", "task.header.remind"),
            seen(runtime_of(first), "zh", "task.header.remind_late", minutes=4),
        ]
    )
    assert remind

    def reminders_of_inspection(department: str) -> list[dict[str, Any]]:
        return [
            m
            for m in reception.inbox(department)
            if ROOM_INSPECTION in m["text"] and m["text"].startswith(remind)
        ]

    assert len(reminders_of_inspection("cs")) == 1
    assert reminders_of_inspection("hk") == reminders_of_inspection("eng") == []
    task = await task_of(sessions, visit_id, "room_inspection")
    async with sessions() as session:
        rows = [r for r in await visits.reminders_of(session, visit_id) if r.task_id == task.id]
        row = next(r for r in rows if r.kind == "remind")
        assert row.state == OutboxState.SENDING
        assert row.id is not None
        sends = await outbox.sends_of(session, outbox=OUTBOX_VISIT, row_ids=[row.id])
    assert {s.target: s.state for s in sends} == {"dept:cs": SEND_SENT, "dept:hk": SEND_SENDING}

    # Restarted a little later than the lease: the row is the stopped sender's.
    clock.advance(seconds=CLAIM_LEASE.total_seconds() + 60)
    async with running_bot(settings, clock, failures) as second:
        runtime = restarted(reception, second)
        uncertain = seen(
            runtime, "zh", "task.uncertain", visit=visit_id, title=task.title_in("zh")
        )
        await reception.wait("cs", contains=uncertain[:20])
        await reception.wait("eng", contains=ROOM_INSPECTION)
        await reception.settled(visit_id)
    # CS's copy is not sent again; housekeeping's (maybe sent) is not resent; engineering,
    # never reached before, gets its own.
    assert len(reminders_of_inspection("cs")) == 1
    assert reminders_of_inspection("hk") == []
    assert len(reminders_of_inspection("eng")) == 1
    assert [m["text"] for m in reception.inbox("cs") if m["text"] == uncertain] == [uncertain]
    # The other rows due at 14:00 went out once each, after the restart.
    parking = [m for m in reception.inbox("sec") if m["text"].startswith(remind)]
    fruit = [m for m in reception.inbox("hk") if m["text"].startswith(remind)]
    assert (len(parking), len(fruit)) == (1, 1)
    async with sessions() as session:
        sends = await outbox.sends_of(session, outbox=OUTBOX_VISIT, row_ids=[row.id])
        finished = await session.get(type(row), row.id)
    assert {s.target: s.state for s in sends} == {
        "dept:cs": SEND_SENT,
        "dept:hk": SEND_MAYBE,
        "dept:eng": SEND_SENT,
    }
    assert finished is not None
    assert finished.state == "sent"
    assert_clean(failures, logged_errors)


# --- The status card -----------------------------------------------------------------------------


async def test_a_status_card_posted_just_before_a_kill_is_not_posted_again(
    sandbox: Sandbox,
    settings: Settings,
    clock: FakeClock,
    logged_errors: list[logging.LogRecord],
) -> None:
    failures: list[BaseException] = []
    async with bot_killed_at_exit(settings, clock, failures) as first:
        reception = await reception_hotel(Hotel(sandbox, runtime_of(first)), sandbox)
        cs = reception.chat("cs")
        # The card is posted; pinning it hangs, and the bot dies there.
        sandbox.inject_fault("pinChatMessage", "hang", chat=cs)
        visit_id = await reception.announce()
        await reception.confirm(visit_id)
        await eventually(lambda: [m for m, _ in sandbox.requests if m == "pinChatMessage"], bool)
    card_header = f"🛎 贵宾接待 #{visit_id}"

    def cards() -> list[dict[str, Any]]:
        return [m for m in reception.inbox("cs") if m["text"].startswith(card_header)]

    assert len(cards()) == 1
    async with running_bot(settings, clock, failures) as second:
        restarted(reception, second)
        clock.advance(seconds=settings.card_window_seconds)
        await sandbox.wait_idle()
    assert len(cards()) == 1
    assert_clean(failures, logged_errors)


async def test_two_instances_drawing_at_the_same_moment_post_and_pin_one_card(
    sandbox: Sandbox,
    settings: Settings,
    clock: FakeClock,
    logged_errors: list[logging.LogRecord],
) -> None:
    failures: list[BaseException] = []
    async with running_bot(settings, clock, failures) as first:
        reception, visit_id = await confirmed_reception(sandbox, first)
        card_header = f"🛎 贵宾接待 #{visit_id}"
        await eventually(
            lambda: [m for m in reception.inbox("cs") if m["text"].startswith(card_header)], bool
        )
    # Two instances on one database, each with its own tick, both started after someone
    # deleted the card: the next drawer posts a new one.
    one, other = build_application(settings, clock=clock), build_application(settings, clock=clock)
    sessions = runtime_of(one).sessions
    async with sessions() as session:
        await visits.forget_card(session, visit_id=visit_id)
        await session.exec(
            update(Visit).where(col(Visit.id) == visit_id).values(card_dirty_at=clock())
        )
        await session.commit()
    mark = len(sandbox.requests)
    async with one, other:
        # Drawing at the same moment.
        await asyncio.gather(
            draw_changed_cards(one.bot, runtime_of(one)),
            draw_changed_cards(other.bot, runtime_of(other)),
        )
    async with sessions() as session:
        visit = await visits.get_visit(session, visit_id)
    await stop_bot(one)
    await stop_bot(other)
    posted = f"贵宾接待 #{visit_id}</b>"
    posts = [p for p in calls_since(sandbox, mark, "sendMessage") if posted in p["text"]]
    assert len(posts) == 1
    assert len(calls_since(sandbox, mark, "pinChatMessage")) == 1
    assert calls_since(sandbox, mark, "deleteMessage") == []
    assert visit is not None
    assert visit.card_message_id is not None
    assert visit.card_dirty_at is None
    assert_clean(failures, logged_errors)
