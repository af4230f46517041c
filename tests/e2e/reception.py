"""A hotel ready for a VIP reception, for the end-to-end tests: every department bound to a
chat (housekeeping and engineering as topics of one forum), and a person of every role."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from sandbox import Sandbox
from sandbox.world import SandboxChat, SandboxUser
from storage import org, visits
from storage.models import Visit
from tests.conftest import NOW
from tests.e2e.conftest import Hotel

PASTED_EN = """/vip
Guest: Mr. Wang Jun
Company: Huadong Group
Group: Annual strategy meeting
Titles: Chairman; CFO
Party: 6
Vehicles: 2
Arrival: 2026-11-27 16:00
Rooms: 1808, 1809
Itinerary: 16:00 arrival
18:30 dinner at the Jade Room
Requirements: quiet floor, no lilies
Standard: A"""

PASTED_ZH = """/vip
贵宾：王总
单位：华东集团
人数：6人
车辆：2
抵店时间：今天下午4点
房号：1808
标准：B"""


@dataclass
class Reception:
    """The people and chats of a reception, and the moves they make."""

    hotel: Hotel
    sandbox: Sandbox
    chats: dict[str, tuple[SandboxChat, int | None]] = field(default_factory=dict)
    people: dict[str, SandboxUser] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)

    def chat(self, department: str) -> SandboxChat:
        return self.chats[department][0]

    def topic(self, department: str) -> int | None:
        return self.chats[department][1]

    def inbox(self, department: str) -> list[dict[str, Any]]:
        """What the department's chat (or topic) received from the bot."""
        chat, topic = self.chats[department]
        return self.sandbox.messages(chat, topic)

    async def wait(self, department: str, **kwargs: Any) -> dict[str, Any]:
        chat, topic = self.chats[department]
        return await self.sandbox.wait_for_message(chat, topic, **kwargs)

    async def card(self) -> dict[str, Any]:
        """The pinned status card in the CS chat, as it reads now (waiting for its first post:
        Telegram's flood limits may hold it behind a burst of assignments)."""
        for _ in range(100):
            pinned = self.sandbox.pinned(self.chat("cs"))
            if pinned:
                card = self.sandbox.message(self.chat("cs"), pinned[-1])
                assert card is not None
                return card
            await asyncio.sleep(0.05)
        raise AssertionError("no status card was pinned in the CS chat")

    async def card_showing(self, line_test: Any) -> dict[str, Any]:
        """Wait (up to 5 s) until a line of the status card passes `line_test`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            card = await self.card()
            if any(line_test(line) for line in card["text"].splitlines()):
                return card
            if loop.time() > deadline:
                raise AssertionError(f"the status card never showed it; it reads:\n{card['text']}")
            await asyncio.sleep(0.05)

    async def announce(self, text: str = PASTED_EN, *, who: str = "announcer") -> int:
        """The announcer pastes a notice and sends it for cross-checking; returns its id."""
        user = self.people[who]
        await self.sandbox.send_message(user, text=text)
        summary = await self.sandbox.wait_for_message(user)
        buttons = summary.get("reply_markup", {}).get("inline_keyboard", [])
        assert buttons, f"no summary buttons, the bot said: {summary['text']}"
        await self.sandbox.press_button(user, None, summary["message_id"], data="ni:send")
        await self.sandbox.wait_for_message(user, contains="#")
        async with self.hotel.runtime.sessions() as session:
            found = await visits.list_visits(session)
        return max(v.id or 0 for v in found)

    async def confirm(self, visit_id: int, *, who: str = "duty_manager") -> None:
        """The duty manager confirms from the copy they got in private."""
        user = self.people[who]
        prefix = f"vip:ok:{visit_id}:"

        def confirm_data(message: dict[str, Any]) -> str | None:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            datas = [button.get("callback_data", "") for row in rows for button in row]
            return next((d for d in datas if d.startswith(prefix)), None)

        request = await self.sandbox.wait_for_message(
            user, predicate=lambda m: confirm_data(m) is not None
        )
        await self.sandbox.press_button(
            user, None, request["message_id"], data=confirm_data(request)
        )
        await self.settled(visit_id)

    async def settled(self, visit_id: int) -> None:
        """Wait until every message due for the visit has gone out (the assignments after a
        confirmation can take a while behind Telegram's flood limits)."""
        runtime = self.hotel.runtime
        for _ in range(200):
            async with runtime.sessions() as session:
                rows = await visits.reminders_of(session, visit_id)
                visit = await visits.get_visit(session, visit_id)
            now = runtime.clock()
            waiting = [r for r in rows if r.state in ("pending", "sending") and r.due_at <= now]
            if visit is not None and visit.status != "awaiting_check" and not waiting:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"visit {visit_id}'s due messages never all went out")
        await self.sandbox.wait_idle()

    async def visit(self, visit_id: int) -> Visit:
        async with self.hotel.runtime.sessions() as session:
            found = await visits.get_visit(session, visit_id)
        assert found is not None
        return found

    async def task(self, visit_id: int, key: str):  # type: ignore[no-untyped-def]
        async with self.hotel.runtime.sessions() as session:
            tasks = await visits.tasks_of(session, visit_id)
        return next(t for t in tasks if t.key == key)


PEOPLE = {
    # key: (telegram id, name, department, roles, language)
    "announcer": (3001, "Mona Marketing", "mkt", ("staff",), "en"),
    "duty_manager": (3002, "李娜", "front", ("duty_manager",), "zh"),
    "cs_head": (3003, "张伟", "cs", ("head", "cs_agent"), "zh"),
    "cs_agent": (3004, "Sophie Sun", "cs", ("cs_agent",), "en"),
    "hk_head": (3005, "黄梅", "hk", ("head",), "zh"),
    "hk_staff": (3006, "赵强", "hk", ("staff",), "zh"),
    "eng_head": (3007, "吴刚", "eng", ("head",), "zh"),
    "sec_head": (3008, "马军", "sec", ("head",), "zh"),
    "bell_head": (3009, "郭斌", "bell", ("head",), "zh"),
    "gm": (3010, "周岚", "mgmt", ("gm",), "zh"),
    "fb_staff": (3011, "钱多", "fb", ("staff",), "zh"),
}


def department_chats(
    sandbox: Sandbox, members: list[SandboxUser]
) -> dict[str, tuple[SandboxChat, int | None]]:
    """Housekeeping and engineering as topics of one forum, every other department a group."""
    chats: dict[str, tuple[SandboxChat, int | None]] = {}
    forum = sandbox.add_group("Rooms & Engineering", forum=True, members=members)
    for department in ("hk", "eng"):
        chats[department] = (forum, sandbox.add_topic(forum, department))
    for department in ("cs", "sec", "bell", "mgmt", "front", "fb", "mkt"):
        chats[department] = (sandbox.add_group(f"{department} team", members=members), None)
    return chats


async def bind_department_chats(
    session: AsyncSession, chats: dict[str, tuple[SandboxChat, int | None]], *, now: datetime
) -> None:
    for department, (chat, topic) in chats.items():
        await org.bind_chat(
            session,
            department_code=department,
            chat_id=chat.id,
            thread_id=topic,
            chat_title=chat.title or "",
            bound_by=0,
            now=now,
        )


async def reception_hotel(hotel: Hotel, sandbox: Sandbox) -> Reception:
    reception = Reception(hotel, sandbox)
    for key, (user_id, name, department, roles, language) in PEOPLE.items():
        user = hotel.person(user_id, name, language=language, username=f"user{user_id}")
        reception.people[key] = user
        reception.staff_ids[key] = await hotel.staff(user, department, *roles)
    reception.chats = department_chats(sandbox, list(reception.people.values()))
    async with hotel.runtime.sessions() as session:
        await bind_department_chats(session, reception.chats, now=NOW)
    return reception
