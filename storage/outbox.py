"""The exactly-once protocol of every timed message, for any outbox table (the VIP
reminders, the evaluation's reminders): a due row is claimed by one conditional update
before it is sent and marked sent after.

A row goes to several destinations (departments, people); each destination's outcome is an
`OutboxSend` row, written "sending" before the call and settled after it. So a row that
Telegram answered "not yet" somewhere is tried again later at just those destinations, and
a row a crash left claimed is resumed: what had gone out is not sent again, and the one call
that was under way is "maybe" — never resent, reported to a person.

A table takes part by having `id`, `state`, `due_at`, `claimed_at`, `sent_at`, `attempts`
and `next_try_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.states import OutboxState
from storage.models import SEND_MAYBE, SEND_SENDING, OutboxSend

Row = TypeVar("Row", bound=SQLModel)


async def claim_due(
    session: AsyncSession, table: type[Row], *, now: datetime, limit: int
) -> list[Row]:
    """Rows due by `now`, oldest first, each claimed by one conditional update, so that two
    senders (two ticks, or two bot processes) never both send the same one."""
    t: Any = table
    result = await session.exec(
        select(t.id)
        .where(
            col(t.state) == OutboxState.PENDING,
            func.coalesce(col(t.next_try_at), col(t.due_at)) <= now,
        )
        .order_by(col(t.due_at), col(t.id))
        .limit(limit)
    )
    claimed = []
    for row_id in result.all():
        outcome = await session.exec(
            update(t)
            .where(col(t.id) == row_id, col(t.state) == OutboxState.PENDING)
            .values(state=OutboxState.SENDING, claimed_at=now)
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
        update(t).where(col(t.id) == row_id).values(state=OutboxState.SENT, sent_at=now, **values)
    )
    await session.commit()


async def postpone(
    session: AsyncSession, table: type[SQLModel], *, row_id: int, next_try_at: datetime
) -> None:
    """A claimed row Telegram answered "not yet" somewhere: pending again, tried at
    `next_try_at`; the destinations it reached keep their OutboxSend rows."""
    t: Any = table
    await session.exec(
        update(t)
        .where(col(t.id) == row_id, col(t.state) == OutboxState.SENDING)
        .values(
            state=OutboxState.PENDING,
            claimed_at=None,
            attempts=t.attempts + 1,
            next_try_at=next_try_at,
        )
    )
    await session.commit()


async def interrupted(
    session: AsyncSession, table: type[Row], *, outbox: str, claimed_before: datetime
) -> tuple[list[Row], list[OutboxSend]]:
    """Rows claimed before `claimed_before` and never finished: the sender stopped (a crash,
    a kill) — another instance still sending has claimed its rows more recently. Each is
    pending again, to reach the destinations it had not; the call that was under way at the
    time is marked "maybe" and returned with them, so a person can be told."""
    t: Any = table
    result = await session.exec(
        select(t).where(col(t.state) == OutboxState.SENDING, col(t.claimed_at) <= claimed_before)
    )
    resumed: list[int] = []
    in_flight: list[OutboxSend] = []
    for row_id in [row.id for row in result.all()]:
        outcome = await session.exec(
            update(t)
            .where(col(t.id) == row_id, col(t.state) == OutboxState.SENDING)
            .values(state=OutboxState.PENDING, claimed_at=None)
        )
        if outcome.rowcount != 1:
            continue  # another instance resumed it first
        resumed.append(row_id)
        sends = await session.exec(
            select(OutboxSend).where(
                col(OutboxSend.outbox) == outbox,
                col(OutboxSend.row_id) == row_id,
                col(OutboxSend.state) == SEND_SENDING,
            )
        )
        for send in sends.all():
            send.state = SEND_MAYBE
            send.reason = "interrupted"
            session.add(send)
            in_flight.append(send)
    await session.commit()
    if not resumed:
        return [], in_flight
    rows = await session.exec(select(t).where(col(t.id).in_(resumed)).order_by(col(t.id)))
    return list(rows.all()), in_flight


# --- Each destination of a row ---------------------------------------------------------------


async def begin_send(
    session: AsyncSession, *, outbox: str, row_id: int, target: str, now: datetime
) -> OutboxSend | None:
    """Note that this row is about to write to `target`; None when an earlier try of the row
    already dealt with it (sent, refused for good, or maybe sent): it is not written again."""
    send = OutboxSend(outbox=outbox, row_id=row_id, target=target, state=SEND_SENDING, at=now)
    session.add(send)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return send


async def settle_send(
    session: AsyncSession,
    *,
    send_id: int,
    state: str,
    now: datetime,
    reason: str = "",
    message_id: int | None = None,
) -> None:
    """Record what the call did: sent, refused for good, or maybe sent."""
    await session.exec(
        update(OutboxSend)
        .where(col(OutboxSend.id) == send_id)
        .values(state=state, at=now, reason=reason[:256], message_id=message_id)
    )
    await session.commit()


async def forget_send(session: AsyncSession, *, send_id: int) -> None:
    """The call did not go out (Telegram said "not yet"): the next try writes it afresh."""
    await session.exec(delete(OutboxSend).where(col(OutboxSend.id) == send_id))
    await session.commit()


async def sends_of(session: AsyncSession, *, outbox: str, row_ids: list[int]) -> list[OutboxSend]:
    result = await session.exec(
        select(OutboxSend)
        .where(col(OutboxSend.outbox) == outbox, col(OutboxSend.row_id).in_(row_ids))
        .order_by(col(OutboxSend.id))
    )
    return list(result.all())
