"""The exactly-once protocol of every timed message, for any outbox table (the VIP
reminders, the evaluation's reminders): a due row is claimed by one conditional update
before it is sent and marked sent after; a row a crash left claimed is never resent.

A table takes part by having `id`, `state`, `due_at`, `claimed_at` and `sent_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    REMINDER_PENDING,
    REMINDER_SENDING,
    REMINDER_SENT,
    REMINDER_UNCERTAIN,
)

Row = TypeVar("Row", bound=SQLModel)


async def claim_due(
    session: AsyncSession, table: type[Row], *, now: datetime, limit: int
) -> list[Row]:
    """Rows due by `now`, oldest first, each claimed by one conditional update, so that two
    senders (two ticks, or two bot processes) never both send the same one."""
    t: Any = table
    result = await session.exec(
        select(t.id)
        .where(col(t.state) == REMINDER_PENDING, col(t.due_at) <= now)
        .order_by(col(t.due_at), col(t.id))
        .limit(limit)
    )
    claimed = []
    for row_id in result.all():
        outcome = await session.exec(
            update(t)
            .where(col(t.id) == row_id, col(t.state) == REMINDER_PENDING)
            .values(state=REMINDER_SENDING, claimed_at=now)
        )
        if outcome.rowcount == 1:
            claimed.append(row_id)
    await session.commit()
    if not claimed:
        return []
    rows = await session.exec(select(t).where(col(t.id).in_(claimed)))
    return sorted(rows.all(), key=lambda r: (r.due_at, r.id or 0))


async def finish(
    session: AsyncSession, table: type[SQLModel], *, row_id: int, now: datetime, **values: Any
) -> None:
    """Mark a claimed row sent (with any other columns the table records, e.g. `late`)."""
    t: Any = table
    await session.exec(
        update(t).where(col(t.id) == row_id).values(state=REMINDER_SENT, sent_at=now, **values)
    )
    await session.commit()


async def interrupted(session: AsyncSession, table: type[Row]) -> Sequence[Row]:
    """Rows a previous run claimed but never finished: it may or may not have sent them.
    They are marked uncertain, never resent, and returned so a person can be told."""
    t: Any = table
    result = await session.exec(select(t).where(col(t.state) == REMINDER_SENDING))
    rows = list(result.all())
    for row in rows:
        row.state = REMINDER_UNCERTAIN
        session.add(row)
    await session.commit()
    return rows
