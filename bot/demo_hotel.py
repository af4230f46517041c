"""A small demo hotel for the sandbox: one forum group with a topic per department, and a
few people of every role, so a person trying the bot has someone to be at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.roster import RosterRow
from sandbox import Sandbox
from storage import org
from storage.db import SessionFactory
from storage.roster import import_roster


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    name: str
    username: str
    department: str
    roles: tuple[str, ...]
    language: str
    reports_to: int | None = None


OPERATIONS_GROUP_ID = -1001000000001

DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(1001, "周岚 Zhou Lan", "zhou_lan", "mgmt", ("gm", "admin"), "zh"),
    DemoPerson(1002, "陈杰 Chen Jie", "chen_jie", "mkt", ("director",), "zh", 1001),
    DemoPerson(1003, "刘洋 Liu Yang", "liu_yang", "mgmt", ("ops_manager",), "zh", 1001),
    DemoPerson(1004, "李娜 Li Na", "li_na", "front", ("duty_manager",), "zh", 1003),
    DemoPerson(1005, "张伟 Zhang Wei", "zhang_wei", "cs", ("head", "cs_agent"), "zh", 1003),
    DemoPerson(1006, "Sophie Sun", "sophie_sun", "cs", ("cs_agent", "staff"), "en", 1005),
    DemoPerson(1007, "黄梅 Huang Mei", "huang_mei", "hk", ("head",), "zh", 1003),
    DemoPerson(1008, "赵强 Zhao Qiang", "zhao_qiang", "hk", ("staff",), "zh", 1007),
    DemoPerson(1009, "吴刚 Wu Gang", "wu_gang", "eng", ("head",), "zh", 1003),
    DemoPerson(1010, "马军 Ma Jun", "ma_jun", "sec", ("head",), "zh", 1003),
    DemoPerson(1011, "郭斌 Guo Bin", "guo_bin", "bell", ("head",), "zh", 1003),
    DemoPerson(1012, "Emily Hart", "emily_hart", "front", ("staff",), "en", 1004),
)
DEMO_ADMIN_IDS = frozenset(p.telegram_id for p in DEMO_PEOPLE if "admin" in p.roles)


async def seed_demo_hotel(
    sandbox: Sandbox, sessions: SessionFactory, now: datetime, *, one_forum: bool = True
) -> None:
    """Create the people and the chats in the sandbox, and the same hotel in the database.

    `one_forum`: every department a topic of one forum group (as many hotels run it);
    otherwise a group each, which Telegram lets receive more messages a minute in total.
    """
    users = [
        sandbox.add_user(p.telegram_id, p.name, username=p.username, language_code=p.language)
        for p in DEMO_PEOPLE
    ]
    for user in users:
        # The demo people have all opened a chat with the bot already.
        sandbox.chat(user).started = True
    admins = [u for u, p in zip(users, DEMO_PEOPLE, strict=True) if "admin" in p.roles]
    forum = None
    if one_forum:
        forum = sandbox.add_group(
            "酒店运营 Hotel Operations",
            chat_id=OPERATIONS_GROUP_ID,
            forum=True,
            members=users,
            admins=admins,
        )
    async with sessions() as session:
        for department in await org.list_departments(session):
            title = f"{department.name_zh} {department.name_en}"
            if forum is not None:
                chat, thread_id = forum, sandbox.add_topic(forum, title)
            else:
                chat = sandbox.add_group(title, members=users, admins=admins)
                thread_id = None
            await org.bind_chat(
                session,
                department_code=department.code,
                chat_id=chat.id,
                thread_id=thread_id,
                chat_title=chat.title or "",
                bound_by=admins[0].id,
                now=now,
            )
        # The same path as an admin's roster file, so the demo hotel is a real roster.
        rows = [
            RosterRow(
                line=number,
                telegram_id=p.telegram_id,
                username=p.username,
                name=p.name,
                department=p.department,
                roles=p.roles,
                reports_to=str(p.reports_to) if p.reports_to else None,
                language=p.language,
            )
            for number, p in enumerate(DEMO_PEOPLE, start=2)
        ]
        outcome = await import_roster(session, rows=rows, now=now)
        if outcome.errors:
            raise RuntimeError(f"the demo roster is inconsistent: {outcome.errors}")
