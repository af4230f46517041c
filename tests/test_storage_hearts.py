"""Storage of the six-hearts evaluation, on SQLite and PostgreSQL: every assertion reads
rows back. The point of each test is a guarantee the handlers lean on: a move happens at
most once, in the state it expects, and leaves its who and when in the history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import hearts
from bot.states import OutboxState
from storage import hearts as store
from storage.db import SessionFactory
from storage.models import STATUS_ACTIVE, Staff, StaffRole
from tests.conftest import NOW

ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-11"
STARTS = hearts.scoring_starts(PERIOD, ZONE)  # Dec 1, 09:00: admins hear who nobody scores


async def people(sessions: SessionFactory) -> dict[str, int]:
    """A head, her two staff, the director and the GM; their staff ids by first name."""
    ids: dict[str, int] = {}
    async with sessions() as session:
        for name, role, boss in (
            ("Hannah", "head", None),
            ("Sam", "staff", "Hannah"),
            ("Sue", "staff", "Hannah"),
            ("Diana", "director", None),
            ("George", "gm", None),
        ):
            staff = Staff(
                name=name,
                department_code="hk",
                status=STATUS_ACTIVE,
                reports_to_id=ids.get(boss) if boss else None,
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(staff)
            await session.flush()
            assert staff.id is not None
            session.add(StaffRole(staff_id=staff.id, role=role))
            ids[name] = staff.id
        await session.commit()
    return ids


async def scored_draft(sessions: SessionFactory, ids: dict[str, int], evaluee: str) -> int:
    """Hannah's evaluation of `evaluee`, every heart scored 4, at the summary."""
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        evaluation = await store.start_evaluation(
            session,
            period_key=PERIOD,
            evaluee_id=ids[evaluee],
            evaluator_id=ids["Hannah"],
            department="hk",
            now=NOW,
        )
        assert evaluation.id is not None
        for index, heart in enumerate(hearts.HEARTS):
            after = hearts.step_score(index + 1) if index + 1 < len(hearts.HEARTS) else "o"
            moved = await store.record_score(
                session,
                evaluation.id,
                expected_step=hearts.step_score(index),
                heart=heart,
                score=4,
                next_step=after,
                now=NOW,
            )
            assert moved
        assert await store.record_comment(
            session,
            evaluation.id,
            expected_step="o",
            heart=None,
            comment="Steady.",
            next_step="s",
            now=NOW,
        )
        return evaluation.id


async def test_a_period_opens_once_with_its_rules_and_reminders(sessions: SessionFactory) -> None:
    async with sessions() as first, sessions() as second:
        opened = await asyncio.gather(
            store.open_period(first, PERIOD, now=NOW, zone=ZONE),
            store.open_period(second, PERIOD, now=NOW, zone=ZONE),
        )
    assert sorted(was_opened for _, was_opened in opened) == [False, True]
    async with sessions() as session:
        period = await store.get_period(session, PERIOD)
        rows = await store.reminders_of(session, PERIOD)
    assert period is not None
    assert store.rules_of(period) == hearts.PeriodRules()
    assert period.deadline_at == hearts.default_deadline(PERIOD, ZONE)
    due = sorted((row.kind, row.level, row.due_at) for row in rows)
    assert due == sorted(
        [
            ("unassigned", 0, hearts.scoring_starts(PERIOD, ZONE)),
            ("remind", 0, period.deadline_at - timedelta(days=3)),
            ("remind", 1, period.deadline_at - timedelta(days=1)),
            ("late", 0, period.deadline_at),
        ]
    )


async def test_moving_the_deadline_replans_only_what_is_still_pending(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        assert await store.claim_due_reminders(session, now=NOW) == []
        starts = hearts.scoring_starts(PERIOD, ZONE)
        claimed = await store.claim_due_reminders(session, now=starts)
        assert [row.kind for row in claimed] == ["unassigned"]
        later = hearts.default_deadline(PERIOD, ZONE) + timedelta(days=2)
        moved = await store.set_deadline(session, PERIOD, deadline=later, now=starts)
        assert moved is not None
        rows = await store.reminders_of(session, PERIOD)
    states = sorted((row.kind, row.level, row.version, row.state) for row in rows)
    assert states == [
        ("late", 0, 0, OutboxState.CANCELLED),
        ("late", 0, 1, OutboxState.PENDING),
        ("remind", 0, 0, OutboxState.CANCELLED),
        ("remind", 0, 1, OutboxState.PENDING),
        ("remind", 1, 0, OutboxState.CANCELLED),
        ("remind", 1, 1, OutboxState.PENDING),
        ("unassigned", 0, 0, OutboxState.SENDING),
    ]
    new_late = next(r for r in rows if r.kind == "late" and r.version == 1)
    assert new_late.due_at == later


async def test_a_reminder_is_claimed_once_and_an_interrupted_one_is_never_resent(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
    async with sessions() as first, sessions() as second:
        claims = await asyncio.gather(
            store.claim_due_reminders(first, now=STARTS),
            store.claim_due_reminders(second, now=STARTS),
        )
    assert sorted(len(claim) for claim in claims) == [0, 1]
    # Its sender stopped before writing to anyone: resumed, it is claimed again.
    async with sessions() as session:
        interrupted, in_flight = await store.interrupted_reminders(session, claimed_before=STARTS)
        assert [row.kind for row in interrupted] == ["unassigned"]
        assert in_flight == []
        rows = await store.reminders_of(session, PERIOD)
        assert {row.kind: row.state for row in rows}["unassigned"] == OutboxState.PENDING
        again = await store.claim_due_reminders(session, now=STARTS)
        assert [row.kind for row in again] == ["unassigned"]
        assert again[0].id is not None
        await store.finish_reminder(session, reminder_id=again[0].id, now=NOW)
    async with sessions() as session:
        deadline = hearts.default_deadline(PERIOD, ZONE)
        (due,) = await store.claim_due_reminders(session, now=deadline - timedelta(days=3))
        assert due.id is not None
        await store.finish_reminder(session, reminder_id=due.id, now=NOW)
        rows = await store.reminders_of(session, PERIOD)
    assert {(row.kind, row.level): row.state for row in rows}[("remind", 0)] == OutboxState.SENT


async def test_a_stale_step_changes_nothing(sessions: SessionFactory) -> None:
    ids = await people(sessions)
    evaluation_id = await scored_draft(sessions, ids, "Sam")
    async with sessions() as session:
        # A press on the first heart's button, long after the conversation moved on.
        assert not await store.record_score(
            session,
            evaluation_id,
            expected_step="h:0",
            heart="confidence",
            score=1,
            next_step="c:0",
            now=NOW,
        )
        item = await store.scored(session, evaluation_id)
    assert item is not None
    assert item.scores == dict.fromkeys(hearts.HEARTS, 4)
    assert item.evaluation.step == hearts.STEP_SUMMARY
    assert item.evaluation.overall_comment == "Steady."


async def test_submit_return_resubmit_confirm_sign_each_once_with_who_and_when(
    sessions: SessionFactory,
) -> None:
    ids = await people(sessions)
    sam = await scored_draft(sessions, ids, "Sam")
    later = NOW + timedelta(hours=1)
    async with sessions() as session:
        assert await store.submit(session, sam, by=ids["Hannah"], now=NOW, period_status="open")
        assert not await store.submit(
            session, sam, by=ids["Hannah"], now=NOW, period_status="open"
        )
        # Signing waits for the director.
        assert not await store.sign_period(session, PERIOD, by=ids["George"], now=later)
        assert await store.return_evaluation(
            session, sam, by=ids["Diana"], reason="Say why patience is a 4.", now=later
        )
        assert not await store.confirm(session, sam, by=ids["Diana"], now=later)
        assert await store.submit(session, sam, by=ids["Hannah"], now=later, period_status="open")
        assert await store.confirm_all(session, PERIOD, by=ids["Diana"], now=later) == [sam]
        assert await store.sign_period(session, PERIOD, by=ids["George"], now=later)
        assert not await store.sign_period(session, PERIOD, by=ids["George"], now=later)
        events = await store.history(session, sam)
        period = await store.get_period(session, PERIOD)
        evaluation = await store.get_evaluation(session, sam)
        pending = [
            row
            for row in await store.reminders_of(session, PERIOD)
            if row.state == OutboxState.PENDING
        ]
    assert [(e.kind, e.actor_id) for e in events] == [
        ("started", ids["Hannah"]),
        ("submitted", ids["Hannah"]),
        ("returned", ids["Diana"]),
        ("resubmitted", ids["Hannah"]),
        ("confirmed", ids["Diana"]),
        ("signed", ids["George"]),
    ]
    assert events[2].detail == "Say why patience is a 4."
    assert period is not None
    assert (period.status, period.signed_by, period.signed_at) == ("signed", ids["George"], later)
    assert evaluation is not None
    assert (evaluation.status, evaluation.confirmed_by) == ("confirmed", ids["Diana"])
    assert pending == []  # a signed period reminds nobody


async def test_a_closed_period_takes_only_the_fix_of_a_returned_evaluation(
    sessions: SessionFactory,
) -> None:
    ids = await people(sessions)
    sam = await scored_draft(sessions, ids, "Sam")
    sue = await scored_draft(sessions, ids, "Sue")
    async with sessions() as session:
        assert await store.submit(session, sam, by=ids["Hannah"], now=NOW, period_status="open")
        assert await store.return_evaluation(session, sam, by=ids["Diana"], reason="Why?", now=NOW)
        assert await store.close_period(session, PERIOD, by=None, now=NOW)
        assert not await store.close_period(session, PERIOD, by=None, now=NOW)
        assert not await store.submit(
            session, sue, by=ids["Hannah"], now=NOW, period_status="closed"
        )
        assert await store.submit(session, sam, by=ids["Hannah"], now=NOW, period_status="closed")
        statuses = {e.id: e.status for e in await store.evaluations_in(session, PERIOD)}
    assert statuses == {sam: "submitted", sue: "draft"}


async def test_who_is_still_behind(sessions: SessionFactory) -> None:
    ids = await people(sessions)
    sam = await scored_draft(sessions, ids, "Sam")
    async with sessions() as session:
        members = await store.members(session)
        before = await store.outstanding(session, PERIOD, members)
        assert await store.submit(session, sam, by=ids["Hannah"], now=NOW, period_status="open")
        after = await store.outstanding(session, PERIOD, members)
    assert before == [store.Outstanding(ids["Hannah"], (ids["Sam"], ids["Sue"]))]
    assert after == [store.Outstanding(ids["Hannah"], (ids["Sue"],))]


async def test_a_deadline_set_too_close_for_both_reminders_still_gets_one_now(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        soon = NOW + timedelta(hours=20)
        assert await store.set_deadline(session, PERIOD, deadline=soon, now=NOW) is not None
        rows = await store.reminders_of(session, PERIOD)
    pending = sorted(
        (row.kind, row.due_at) for row in rows if row.state == OutboxState.PENDING and row.version
    )
    assert pending == [("late", soon), ("remind", NOW)]


async def test_reopening_a_closed_period_plans_its_reminders_again(
    sessions: SessionFactory,
) -> None:
    deadline = hearts.default_deadline(PERIOD, ZONE)
    async with sessions() as session:
        await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        assert await store.close_period(session, PERIOD, by=None, now=NOW)
        # While closed, the admins' list and the 3-day reminder fell due (and the outbox
        # sent the reminder to nobody).
        three_days = deadline - timedelta(days=3)
        due = await store.claim_due_reminders(session, now=three_days, limit=10)
        assert sorted(r.kind for r in due) == ["remind", "unassigned"]
        for row in due:
            await store.finish_reminder(session, reminder_id=row.id or 0, now=three_days)
        assert await store.reopen_period(session, PERIOD, now=three_days + timedelta(hours=1))
        assert not await store.reopen_period(session, PERIOD, now=three_days)
        rows = await store.reminders_of(session, PERIOD)
    pending = sorted((r.kind, r.level, r.due_at) for r in rows if r.state == OutboxState.PENDING)
    assert pending == [
        ("late", 0, deadline),
        ("remind", 0, deadline - timedelta(days=1)),
    ]


async def test_someone_who_joined_after_a_month_is_not_behind_for_it(
    sessions: SessionFactory,
) -> None:
    ids = await people(sessions)
    december_3 = hearts.scoring_starts(PERIOD, ZONE) + timedelta(days=2)
    async with sessions() as session:
        november, _ = await store.open_period(session, PERIOD, now=NOW, zone=ZONE)
        newcomer = Staff(
            name="Nina",
            department_code="hk",
            status=STATUS_ACTIVE,
            reports_to_id=ids["Hannah"],
            created_at=december_3,
            updated_at=december_3,
        )
        session.add(newcomer)
        await session.flush()
        session.add(StaffRole(staff_id=newcomer.id or 0, role="staff"))
        await session.commit()
        in_november = await store.members(session, period=november)
        today = await store.members(session)
        behind = await store.outstanding(session, PERIOD, in_november)
    nina = newcomer.id or 0
    assert [m.staff_id for m in hearts.evaluees_of(ids["Hannah"], in_november)] == [
        ids["Sam"],
        ids["Sue"],
    ]
    assert nina in [m.staff_id for m in hearts.evaluees_of(ids["Hannah"], today)]
    assert behind == [store.Outstanding(ids["Hannah"], (ids["Sam"], ids["Sue"]))]


async def test_nothing_lands_in_a_period_signed_a_moment_before(sessions: SessionFactory) -> None:
    """A handler that read the period as open just before the GM signed still cannot submit,
    confirm or return into it: the statement itself checks the period."""
    ids = await people(sessions)
    sam = await scored_draft(sessions, ids, "Sam")
    sue = await scored_draft(sessions, ids, "Sue")
    async with sessions() as session:
        assert await store.submit(session, sam, by=ids["Hannah"], now=NOW, period_status="open")
        assert await store.confirm(session, sam, by=ids["Diana"], now=NOW)
        assert await store.sign_period(session, PERIOD, by=ids["George"], now=NOW)
        assert not await store.submit(
            session, sue, by=ids["Hannah"], now=NOW, period_status="open"
        )
        assert not await store.record_score(
            session, sue, expected_step="s", heart="warmth", score=1, next_step="s", now=NOW
        )
        statuses = {e.id: e.status for e in await store.evaluations_in(session, PERIOD)}
        events = [e.kind for e in await store.history(session, sue)]
    assert statuses == {sam: "confirmed", sue: "draft"}
    assert events == ["started"]
