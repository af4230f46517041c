"""A hotel ready for a six-hearts evaluation, for the end-to-end tests.

Two departments, each with a head and staff; the heads report to an operations manager;
a marketing director, a GM and an admin. Everyone has a private chat open with the bot,
and housekeeping has a bound group with all of them in it, to prove no score reaches a
group. Languages are mixed on purpose: scores must read right in both.

    ops     Olivia Ops (ops_manager, mgmt)          scores the two heads
    hk      Hannah Head (head) → Olivia             scores Sam and Sue
            Sam Staff, Sue Staff (staff) → Hannah
    fb      Felix Head (head, zh) → Olivia          scores Fay
            Fay Staff (staff, zh) → Felix
    mkt     Diana Director (director)               reviews
    mgmt    George GM (gm, zh)                      signs
    —       Nadia Nobody (staff, fb) → nobody       listed to admins as unassigned
    (Olivia reports to nobody either: the source names nobody who scores the operations
    manager, so she too is listed to admins.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.roster import RosterRow
from bot.runtime import Runtime
from sandbox import Sandbox
from sandbox.world import SandboxChat, SandboxUser
from storage import org
from storage.roster import import_roster
from tests.conftest import NOW
from tests.e2e.conftest import ADMIN_ID, Hotel

# name, telegram id, department, roles, reports_to (telegram id), language
PEOPLE: tuple[tuple[str, int, str, tuple[str, ...], int | None, str], ...] = (
    ("Olivia Ops", 7001, "mgmt", ("ops_manager",), None, "en"),
    ("Hannah Head", 7002, "hk", ("head",), 7001, "en"),
    ("Sam Staff", 7003, "hk", ("staff",), 7002, "en"),
    ("Sue Staff", 7004, "hk", ("staff",), 7002, "en"),
    ("Felix Head", 7005, "fb", ("head",), 7001, "zh"),
    ("Fay Staff", 7006, "fb", ("staff",), 7005, "zh"),
    ("Diana Director", 7007, "mkt", ("director",), None, "en"),
    ("George GM", 7008, "mgmt", ("gm",), None, "zh"),
    ("Nadia Nobody", 7009, "fb", ("staff",), None, "en"),
)


@dataclass
class EvaluationHotel:
    hotel: Hotel
    sandbox: Sandbox
    runtime: Runtime
    people: dict[str, SandboxUser] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    hk_group: SandboxChat | None = None

    def __getitem__(self, first_name: str) -> SandboxUser:
        """A person by first name: hotel["Sam"]."""
        return self.people[first_name]

    def id_of(self, first_name: str) -> int:
        return self.staff_ids[first_name]

    @property
    def admin(self) -> SandboxUser:
        return self.sandbox.user(ADMIN_ID)

    @property
    def group(self) -> SandboxChat:
        assert self.hk_group is not None
        return self.hk_group

    async def say(self, first_name: str, text: str) -> dict[str, Any]:
        """The person sends `text` in private; returns the bot's next message to them."""
        user = self.people[first_name]
        await self.sandbox.send_message(user, text=text)
        return await self.sandbox.wait_for_message(user)

    def inbox(self, first_name: str) -> list[dict[str, Any]]:
        """Everything the bot sent the person in private, oldest first."""
        return self.sandbox.messages(self.people[first_name])

    def group_texts(self) -> list[str]:
        """Every text and caption the bot ever put in the housekeeping group."""
        return [
            str(message.get("text") or message.get("caption") or "")
            for message in self.sandbox.messages(self.group)
        ]


async def evaluation_hotel(sandbox: Sandbox, hotel: Hotel, runtime: Runtime) -> EvaluationHotel:
    """Enrol the people above (as an admin's roster import would) and bind the hk group."""
    result = EvaluationHotel(hotel, sandbox, runtime)
    hotel.admin()
    rows = []
    for line, (name, telegram_id, department, roles, boss, language) in enumerate(PEOPLE, 2):
        user = hotel.person(telegram_id, name, language=language)
        sandbox.chat(user).started = True
        result.people[name.split()[0]] = user
        rows.append(
            RosterRow(
                line=line,
                telegram_id=telegram_id,
                username=None,
                name=name,
                department=department,
                roles=roles,
                reports_to=str(boss) if boss else None,
                language=language,
            )
        )
    async with runtime.sessions() as session:
        outcome = await import_roster(session, rows=rows, now=NOW)
        assert outcome.errors == []
        for first_name, user in result.people.items():
            view = await org.view_by_telegram_id(session, user.id)
            assert view is not None
            assert view.staff.id is not None
            result.staff_ids[first_name] = view.staff.id
    group = hotel.group(
        "Housekeeping team",
        hotel.sandbox.user(ADMIN_ID),
        *result.people.values(),
        admins=(hotel.sandbox.user(ADMIN_ID),),
    )
    result.hk_group = group
    await sandbox.send_message(hotel.sandbox.user(ADMIN_ID), group, "/bind hk")
    await sandbox.wait_for_message(group)
    return result
