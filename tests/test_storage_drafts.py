"""Conversations kept as rows (storage.drafts), on SQLite and PostgreSQL: a move happens
only from the state it was read in, a draft is taken once, a day-old draft is gone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage import drafts
from storage.db import SessionFactory
from storage.models import DRAFT_REGISTER, DRAFT_VIP
from tests.conftest import NOW

MONA = 3001


async def test_a_move_happens_only_from_the_version_it_was_read_at(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        started = await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="ask:guest", answers={}, now=NOW
        )
    later = NOW + timedelta(minutes=1)
    async with sessions() as session:
        moved = await drafts.move_draft(
            session, draft=started, step="ask:company", answers={"guest": "王总"}, now=later
        )
    assert moved is not None
    assert moved.version == started.version + 1
    async with sessions() as session:
        # A second update that read the same state is refused, and changes nothing.
        assert (
            await drafts.move_draft(
                session, draft=started, step="ask:company", answers={"guest": "李总"}, now=later
            )
            is None
        )
        stored = await drafts.live_draft(session, telegram_id=MONA, kind=DRAFT_VIP, now=later)
    assert stored is not None
    assert (stored.step, stored.answers, stored.version) == (
        "ask:company",
        {"guest": "王总"},
        moved.version,
    )
    assert stored.updated_at == later
    assert stored.started_at == NOW


async def test_of_two_moves_at_once_from_one_state_exactly_one_lands(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        started = await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="ask:guest", answers={}, now=NOW
        )

    async def move(guest: str) -> drafts.Draft | None:
        async with sessions() as session:
            return await drafts.move_draft(
                session, draft=started, step="ask:company", answers={"guest": guest}, now=NOW
            )

    outcomes = await asyncio.gather(move("王总"), move("李总"))
    landed = [o for o in outcomes if o is not None]
    assert len(landed) == 1
    async with sessions() as session:
        stored = await drafts.live_draft(session, telegram_id=MONA, kind=DRAFT_VIP, now=NOW)
    assert stored is not None
    assert stored.answers == landed[0].answers


async def test_a_draft_is_taken_once_and_a_fresh_start_refuses_moves_read_before_it(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        first = await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="summary", answers={}, now=NOW
        )
        again = await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="ask:guest", answers={}, now=NOW
        )
        assert again.version > first.version
        assert await drafts.end_draft(session, draft=first) is False  # replaced since
        assert (
            await drafts.move_draft(session, draft=first, step="pick", answers={}, now=NOW) is None
        )
        assert await drafts.end_draft(session, draft=again) is True
        assert await drafts.end_draft(session, draft=again) is False
        assert await drafts.live_draft(session, telegram_id=MONA, kind=DRAFT_VIP, now=NOW) is None


async def test_a_draft_untouched_for_a_day_is_abandoned_and_text_goes_to_the_latest(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="ask:guest", answers={}, now=NOW
        )
        await drafts.start_draft(
            session,
            telegram_id=MONA,
            kind=DRAFT_REGISTER,
            step="name",
            answers={},
            now=NOW + timedelta(hours=1),
        )
        # Someone else's draft is not Mona's.
        await drafts.start_draft(
            session,
            telegram_id=MONA + 1,
            kind=DRAFT_VIP,
            step="summary",
            answers={},
            now=NOW + timedelta(hours=2),
        )
        latest = await drafts.latest_draft(session, telegram_id=MONA, now=NOW + timedelta(hours=2))
        assert latest is not None
        assert latest.kind == DRAFT_REGISTER
        day_later = NOW + drafts.ABANDONED_AFTER
        assert (
            await drafts.live_draft(session, telegram_id=MONA, kind=DRAFT_VIP, now=day_later)
            is None
        )
        latest = await drafts.latest_draft(session, telegram_id=MONA, now=day_later)
        assert latest is not None
        assert latest.kind == DRAFT_REGISTER
        assert await drafts.drop_draft(session, telegram_id=MONA, kind=DRAFT_REGISTER) is True
        assert await drafts.latest_draft(session, telegram_id=MONA, now=day_later) is None
        # A new /vip over the abandoned draft starts clean.
        fresh = await drafts.start_draft(
            session, telegram_id=MONA, kind=DRAFT_VIP, step="ask:guest", answers={}, now=day_later
        )
        assert fresh.version == 1
