"""`python -m bot run` killed with SIGKILL while it sends and right after a press, then
started again on the same database: nothing is lost, nothing is sent twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from bot.i18n import Catalog
from bot.notice import Notice
from bot.playbook import load_playbook
from bot.reception import plan_visit
from bot.roster import RosterRow
from bot.runtime import utc_now
from bot.states import OutboxState
from sandbox import Sandbox
from sandbox.formatting import parse_html
from sandbox.world import SandboxChat
from storage import org, visits
from storage.db import SessionFactory, make_engine, make_session_factory, upgrade_schema
from storage.models import Reminder
from storage.roster import import_roster
from tests.e2e.reception import PEOPLE, bind_department_chats, department_chats
from tests.e2e.test_processes import clean_env

TOKEN = "6161:KILL-TEST"
CATALOG = Catalog.load("zh")
WAIT = 60.0  # seconds: a process starts in a few, but a loaded machine is slow


def seen(key: str, /, **params: object) -> str:
    text, _entities = parse_html(CATALOG.text("zh", key, **params))
    return text


async def until(what: str, read: Callable[[], Any], timeout: float = WAIT) -> Any:  # noqa: ASYNC109
    """`read()`'s first true value, within `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = read()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what}: never happened within {timeout} s")
        await asyncio.sleep(0.05)


class Hotel:
    """The reception hotel of tests/e2e/reception.py, seeded straight into the database and
    the sandbox before any bot process runs, with a confirmed visit whose assignments are
    due now (the processes run on the real clock)."""

    def __init__(self, sandbox: Sandbox, sessions: SessionFactory) -> None:
        self.sandbox = sandbox
        self.sessions = sessions
        self.chats: dict[str, tuple[SandboxChat, int | None]] = {}
        self.staff: dict[str, int] = {}
        self.visit_id = 0

    async def seed(self) -> None:
        now = utc_now()
        users = {}
        async with self.sessions() as session:
            for key, (user_id, name, department, roles, _language) in PEOPLE.items():
                users[key] = self.sandbox.add_user(user_id, name, username=f"user{user_id}")
                self.sandbox.chat(users[key]).started = True
                row = RosterRow(
                    line=2,
                    telegram_id=user_id,
                    username=f"user{user_id}",
                    name=name,
                    department=department,
                    roles=roles,
                    reports_to=None,
                    language=None,
                )
                assert (await import_roster(session, rows=[row], now=now)).errors == []
                view = await org.view_by_telegram_id(session, user_id)
                assert view is not None
                assert view.staff.id is not None
                self.staff[key] = view.staff.id
            self.chats = department_chats(self.sandbox, list(users.values()))
            await bind_department_chats(session, self.chats, now=now)
            arrival = now + timedelta(hours=6)
            notice = Notice(
                guest="Mr. Wang Jun",
                party=6,
                vehicles=2,
                arrival=arrival,
                rooms="1808",
                standard="A",
            )
            visit = await visits.submit_notice(
                session, notice=notice, announced_by=self.staff["announcer"], now=now
            )
            assert visit.id is not None
            codes = [d.code for d in await org.list_departments(session)]
            plan = plan_visit(
                load_playbook(None, department_codes=codes),
                standard="A",
                arrival=arrival,
                confirmed_at=now,
                departure=None,
                now=now,
            )
            confirmed = await visits.confirm_notice(
                session, visit_id=visit.id, by=self.staff["duty_manager"], now=now, plan=plan
            )
            assert confirmed is not None
            self.visit_id = visit.id

    def chat(self, department: str) -> SandboxChat:
        return self.chats[department][0]

    def inbox(self, department: str) -> list[dict[str, Any]]:
        chat, topic = self.chats[department]
        return self.sandbox.messages(chat, topic)

    def titled(self, department: str, title: str, header_key: str) -> list[dict[str, Any]]:
        header = seen(header_key)
        return [
            m
            for m in self.inbox(department)
            if m["text"].startswith(header) and m["text"].splitlines()[1] == title
        ]

    def titled_text(self, department: str, text: str) -> list[dict[str, Any]]:
        return [m for m in self.inbox(department) if m["text"] == text]

    async def due_waiting(self) -> int:
        """Reminder rows due now and not finished."""
        async with self.sessions() as session:
            rows = await visits.reminders_of(session, self.visit_id)
        now = utc_now()
        waiting = (OutboxState.PENDING, OutboxState.SENDING)
        return sum(r.state in waiting and r.due_at <= now for r in rows)


@asynccontextmanager
async def bot_process(sandbox: Sandbox, database_url: str, cwd: Path) -> AsyncIterator[Any]:
    """`python -m bot run` against the sandbox; SIGKILLed when the block ends, if alive."""
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=sandbox.base_url,
        DATABASE_URL=database_url,
        DEFAULT_LANGUAGE="zh",
        ADMIN_USER_IDS="9001",
        TICK_SECONDS="0.2",
        # Only the card's first post in these tests: every edit is a task's redraw.
        CARD_WINDOW_SECONDS="300",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=WAIT)


def calls_since(sandbox: Sandbox, mark: int, method: str, chat: SandboxChat) -> list[Any]:
    return [p for m, p in sandbox.requests[mark:] if m == method and p.get("chat_id") == chat.id]


async def test_a_bot_killed_mid_row_and_after_a_press_loses_nothing_and_sends_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    await upgrade_schema(engine)
    try:
        async with Sandbox(token=TOKEN) as sandbox:
            hotel = Hotel(sandbox, make_session_factory(engine))
            await hotel.seed()
            await kill_mid_row_then_resume(sandbox, hotel, database_url, tmp_path)
            await kill_after_a_press_then_redraw(sandbox, hotel, database_url, tmp_path)
            assert sandbox.violations == []
    finally:
        await engine.dispose()


async def kill_mid_row_then_resume(
    sandbox: Sandbox, hotel: Hotel, database_url: str, cwd: Path
) -> None:
    forum = hotel.chat("hk")
    inspection = next(t for t in await tasks(hotel) if t.key == "room_inspection").title_zh
    # The room inspection is assigned to CS, housekeeping and engineering, in that order:
    # CS gets it; housekeeping's call hangs, and the process is killed there.
    sandbox.inject_fault("sendMessage", "hang", chat=forum)
    mark = len(sandbox.requests)
    async with bot_process(sandbox, database_url, cwd) as process:
        await until(
            "housekeeping's call", lambda: calls_since(sandbox, mark, "sendMessage", forum)
        )
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=WAIT)
    assert len(hotel.titled("cs", inspection, "task.header.assign")) == 1
    assert hotel.titled("eng", inspection, "task.header.assign") == []
    # Restarted after the lease: as if the kill were four minutes ago.
    async with hotel.sessions() as session:
        await session.exec(
            update(Reminder)
            .where(col(Reminder.state) == OutboxState.SENDING)
            .values(claimed_at=utc_now() - timedelta(minutes=4))
        )
        await session.commit()
    uncertain = seen("task.uncertain", visit=hotel.visit_id, title=inspection)
    async with bot_process(sandbox, database_url, cwd):
        await until("the uncertain copy reported", lambda: hotel.titled_text("cs", uncertain))
        await until(
            "engineering's copy", lambda: hotel.titled("eng", inspection, "task.header.assign")
        )
        for _ in range(int(WAIT / 0.1)):
            if await hotel.due_waiting() == 0:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the assignments never all went out")
        await sandbox.wait_idle(timeout=WAIT)
    assert len(hotel.titled("cs", inspection, "task.header.assign")) == 1
    assert hotel.titled("hk", inspection, "task.header.assign") == []
    assert len(hotel.titled("eng", inspection, "task.header.assign")) == 1
    assert len(hotel.titled_text("cs", uncertain)) == 1
    # Every other assignment reached its department exactly once.
    for department in hotel.chats:
        expected = sorted(
            t.title_zh
            for t in await tasks(hotel)
            if department in t.departments.split(",")
            and not (department == "hk" and t.key == "room_inspection")
        )
        header = seen("task.header.assign")
        got = sorted(
            m["text"].splitlines()[1]
            for m in hotel.inbox(department)
            if m["text"].startswith(header)
        )
        assert got == expected, department


async def kill_after_a_press_then_redraw(
    sandbox: Sandbox, hotel: Hotel, database_url: str, cwd: Path
) -> None:
    sec = hotel.chat("sec")
    parking = next(m for m in hotel.inbox("sec") if m.get("reply_markup"))
    sec_head = sandbox.user(PEOPLE["sec_head"][0])
    async with bot_process(sandbox, database_url, cwd) as process:
        # The redraw's edit hangs; the process is killed while it waits.
        sandbox.inject_fault("editMessageText", "hang", chat=sec)
        mark = len(sandbox.requests)
        query = await sandbox.press_button(sec_head, sec, parking["message_id"], label="✅ 完成")
        answer = await sandbox.wait_callback_answer(query, timeout=WAIT)
        assert answer["text"] == seen("task.ok.done")
        await until(
            "the redraw's edit", lambda: calls_since(sandbox, mark, "editMessageText", sec)
        )
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=WAIT)
    task = next(t for t in await tasks(hotel) if t.key == "parking")
    assert task.status == "done"
    assert task.redraw_seq > task.redrawn_seq
    assert sandbox.edits(sec, parking["message_id"]) == []
    mark = len(sandbox.requests)
    async with bot_process(sandbox, database_url, cwd):
        await until("the redraw", lambda: sandbox.edits(sec, parking["message_id"]))
        await sandbox.wait_idle(timeout=WAIT)
    edits = sandbox.edits(sec, parking["message_id"])
    assert len(edits) == 1
    assert edits[0]["text"].splitlines()[-1].startswith("✅ 马军 于 ")
    assert [b["text"] for row in edits[0]["reply_markup"]["inline_keyboard"] for b in row] == [
        seen("task.button.problem")
    ]
    made = [
        m for m, _ in sandbox.requests[mark:] if m.startswith("send") and m != "sendChatAction"
    ]
    assert made == []  # the restarted bot redrew; it sent nothing new
    task = next(t for t in await tasks(hotel) if t.key == "parking")
    assert task.redrawn_seq == task.redraw_seq


async def tasks(hotel: Hotel) -> list[Any]:
    async with hotel.sessions() as session:
        return list(await visits.tasks_of(session, hotel.visit_id))
