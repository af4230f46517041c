"""How the six-hearts evaluation scales with the hotel's size. Run by hand:

    .venv/bin/python bench/hearts.py [staff] [database-url]

A hotel of `staff` people in departments of 20 (a head each, the heads under one operations
manager), every one of them scored and confirmed in one period. Measured: reading the
organisation as the rules see it (every /score, reminder and report does), who scores whom
(the /score list, a head's view), who is behind (each reminder), the confirmed evaluations
with their scores, the /scores report, the .xlsx export and one radar chart; plus the peak
memory Python allocated for the report and the export.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import charts, hearts
from bot.score_report import Result, build_report, scores_workbook
from storage import hearts as store
from storage.db import make_engine, make_session_factory, upgrade_schema
from storage.models import STATUS_ACTIVE, Staff, StaffRole

ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-11"
NOW = datetime(2026, 12, 2, 2, tzinfo=UTC)
# Everyone was on the staff before the period began.
HIRED = datetime(2026, 10, 1, tzinfo=UTC)
DEPARTMENTS = ("front", "hk", "eng", "sec", "bell", "fb", "cs")


async def timed(label: str, action: Callable[[], Awaitable[Any]]) -> Any:
    started = time.perf_counter()
    result = await action()
    print(f"{label:<46} {1000 * (time.perf_counter() - started):9.1f} ms")
    return result


async def build_hotel(sessions: Any, count: int) -> tuple[int, list[int]]:
    """The people, in bulk; the ops manager's id and each head's id."""
    async with sessions() as session:
        ops = Staff(
            name="Ops",
            status=STATUS_ACTIVE,
            department_code="mgmt",
            created_at=HIRED,
            updated_at=HIRED,
        )
        session.add(ops)
        await session.flush()
        session.add(StaffRole(staff_id=ops.id or 0, role="ops_manager"))
        heads: list[int] = []
        head_id = 0
        for index in range(count):
            department = DEPARTMENTS[(index // 20) % len(DEPARTMENTS)]
            if index % 20 == 0:
                head = Staff(
                    name=f"Head {index}",
                    status=STATUS_ACTIVE,
                    department_code=department,
                    reports_to_id=ops.id,
                    created_at=HIRED,
                    updated_at=HIRED,
                )
                session.add(head)
                await session.flush()
                head_id = head.id or 0
                heads.append(head_id)
                session.add(StaffRole(staff_id=head_id, role="head"))
                continue
            person = Staff(
                name=f"Staff {index}",
                status=STATUS_ACTIVE,
                department_code=department,
                reports_to_id=head_id,
                created_at=HIRED,
                updated_at=HIRED,
            )
            session.add(person)
            await session.flush()
            session.add(StaffRole(staff_id=person.id or 0, role="staff"))
        await session.commit()
    return ops.id or 0, heads


async def score_everyone(sessions: Any) -> None:
    """Every evaluation begun, fully scored, submitted and confirmed, as rows."""
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        people = await store.members(session)
        for member in people:
            evaluator = hearts.evaluator_of(member, people)
            if evaluator is None:
                continue
            evaluation = await store.start_evaluation(
                session,
                period_key=PERIOD,
                evaluee_id=member.staff_id,
                evaluator_id=evaluator,
                department=member.department,
                now=NOW,
            )
            assert evaluation.id is not None
            for index, heart in enumerate(hearts.HEARTS):
                last = index + 1 == len(hearts.HEARTS)
                await store.record_score(
                    session,
                    evaluation.id,
                    expected_step=hearts.step_score(index),
                    heart=heart,
                    score=1 + (member.staff_id + index) % 5,
                    next_step="s" if last else hearts.step_score(index + 1),
                    now=NOW,
                )
            await store.submit(session, evaluation.id, by=evaluator, now=NOW, period_status="open")
        await store.confirm_all(session, PERIOD, by=1, now=NOW)


async def main(count: int, url: str) -> None:
    engine = make_engine(url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    print(f"hotel of {count} staff, {url.split(':')[0]}")
    _ops, heads = await timed("set-up: people", lambda: build_hotel(sessions, count))
    await timed("set-up: every evaluation scored and confirmed", lambda: score_everyone(sessions))

    async def load_members() -> list[hearts.Member]:
        async with sessions() as session:
            return await store.members(session)

    people = await timed("members (the organisation as rules see it)", load_members)

    async def head_list() -> list[hearts.Member]:
        return hearts.evaluees_of(heads[0], people)

    async def everyone_unassigned() -> list[hearts.Member]:
        return hearts.unassigned(people)

    async def behind() -> list[store.Outstanding]:
        async with sessions() as session:
            return await store.outstanding(session, PERIOD, people)

    await timed("evaluees_of (a head's /score list)", head_list)
    await timed("unassigned (the admins' list)", everyone_unassigned)
    await timed("outstanding (who a reminder goes to)", behind)

    async def confirmed() -> list[store.Scored]:
        async with sessions() as session:
            rows = await store.evaluations_in(session, PERIOD, statuses=("confirmed",))
            return await store.with_scores(session, rows)

    scored = await timed("confirmed evaluations with their scores", confirmed)
    names = {member.staff_id: member.name for member in people}
    results = [
        Result(
            period=PERIOD,
            evaluee_id=item.evaluation.evaluee_id,
            name=names[item.evaluation.evaluee_id],
            department=item.evaluation.department_code,
            evaluator_id=item.evaluation.evaluator_id,
            evaluator=names[item.evaluation.evaluator_id],
            scores=item.scores,
        )
        for item in scored
    ]

    tracemalloc.start()

    async def report() -> Any:
        return build_report(results, results, department_order=DEPARTMENTS)

    reports = await timed("/scores report (ranks, averages, change)", report)

    async def export() -> bytes:
        return scores_workbook(
            reports,
            department_names={code: code for code in DEPARTMENTS},
            heart_order=hearts.HEARTS,
            text=lambda key, **_params: key,
            zone=ZONE,
            title="bench",
        )

    workbook = await timed("/export scores (.xlsx)", export)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'report + export: peak Python memory':<46} {peak / 1024 / 1024:9.1f} MiB")
    print(f"{'.xlsx size':<46} {len(workbook) / 1024:9.1f} KiB")

    async def radar() -> bytes:
        values = [float(results[0].scores[h]) for h in hearts.HEARTS]
        return await asyncio.to_thread(
            lambda: charts.radar_png(
                values,
                labels=hearts.HEARTS,
                fallback_labels=hearts.HEARTS,
                title="bench",
                fallback_title="bench",
                comparison=values,
            )
        )

    await timed("one radar chart (PNG)", radar)
    await engine.dispose()


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        default = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(main(size, sys.argv[2] if len(sys.argv) > 2 else default))
