"""How fast the outbox finds and claims due reminders as visits pile up. Run by hand:

    .venv/bin/python bench/outbox.py [visits] [database-url]

Each confirmed visit of the default playbook has 32 outbox rows. The tick runs every
TICK_SECONDS (5 s): claiming must stay far below that even with a year of visits.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.notice import Notice
from bot.playbook import load_playbook
from bot.reception import plan_visit
from storage import org, visits
from storage.db import make_engine, make_session_factory, upgrade_schema


async def main(count: int, url: str) -> None:
    engine = make_engine(url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    now = datetime(2026, 1, 1, 2, tzinfo=UTC)
    async with sessions() as session:
        codes = [d.code for d in await org.list_departments(session)]
        manager = await org.greet_user(
            session, telegram_id=1, username=None, first_name="Bench", now=now
        )
    playbook = load_playbook(None, department_codes=codes)
    assert manager.id is not None
    started = time.perf_counter()
    for i in range(count):
        arrival = now + timedelta(hours=6 + i)
        notice = Notice(guest=f"Guest {i}", party=4, vehicles=1, arrival=arrival)
        async with sessions() as session:
            visit = await visits.submit_notice(
                session, notice=notice, announced_by=manager.id, now=now
            )
            plan = plan_visit(
                playbook, standard="", arrival=arrival, confirmed_at=now, departure=None, now=now
            )
            await visits.confirm_notice(
                session, visit_id=visit.id or 0, by=manager.id, now=now, plan=plan
            )
    created = time.perf_counter() - started
    async with sessions() as session:
        assigns = await visits.claim_due_reminders(session, now=now, limit=count * 20)
        for reminder in assigns:
            await visits.finish_reminder(
                session, reminder_id=reminder.id or 0, now=now, late=False
            )
    # The steady state: a tick that finds nothing, then one that finds one hour's rows.
    timings = []
    for _ in range(20):
        t0 = time.perf_counter()
        async with sessions() as session:
            await visits.claim_due_reminders(session, now=now)
        timings.append(time.perf_counter() - t0)
    idle = sorted(timings)[len(timings) // 2]
    # What else every tick asks, whatever is due: rows a stopped sender left, task messages
    # waiting for a redraw.
    housekeeping = []
    for _ in range(20):
        t0 = time.perf_counter()
        async with sessions() as session:
            await visits.interrupted_reminders(session, claimed_before=now - timedelta(minutes=3))
            await visits.tasks_to_redraw(session)
        housekeeping.append(time.perf_counter() - t0)
    chores = sorted(housekeeping)[len(housekeeping) // 2]
    t0 = time.perf_counter()
    async with sessions() as session:
        due = await visits.claim_due_reminders(session, now=now + timedelta(hours=4), limit=1000)
    busy = time.perf_counter() - t0
    await engine.dispose()
    print(f"{count} visits confirmed in {created:.2f} s ({created / count * 1000:.1f} ms each)")
    print(f"idle tick (nothing due), median of 20: {idle * 1000:.2f} ms")
    print(f"busy tick: claimed {len(due)} rows in {busy * 1000:.1f} ms")
    print(f"every tick's resume and redraw look-ups, median of 20: {chores * 1000:.2f} ms")


if __name__ == "__main__":
    visits_count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        database = (
            sys.argv[2] if len(sys.argv) > 2 else f"sqlite+aiosqlite:///{Path(folder) / 'b.db'}"
        )
        asyncio.run(main(visits_count, database))
