"""Conversations kept as rows: where a person's /vip or /register conversation stands.

One row per person and kind. A move is one UPDATE conditional on the version the caller
read (`WHERE version = …`), so of two instances answering two quick messages from the same
state only one moves it; the other is told (None) and reads again. A draft untouched for
`ABANDONED_AFTER` on the bot's clock is treated as gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationDraft

ABANDONED_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Draft:
    """A conversation as one update found it; `version` is what a move is conditional on."""

    telegram_id: int
    kind: str
    step: str
    answers: dict[str, Any]
    version: int
    started_at: datetime
    updated_at: datetime


def _draft(row: ConversationDraft) -> Draft:
    answers = json.loads(row.answers)
    return Draft(
        telegram_id=row.telegram_id,
        kind=row.kind,
        step=row.step,
        answers=answers if isinstance(answers, dict) else {},
        version=row.version,
        started_at=row.started_at,
        updated_at=row.updated_at,
    )


def _json(answers: dict[str, Any]) -> str:
    return json.dumps(answers, ensure_ascii=False, sort_keys=True)


def _key(telegram_id: int, kind: str) -> tuple[Any, ...]:
    return (col(ConversationDraft.telegram_id) == telegram_id, col(ConversationDraft.kind) == kind)


async def live_draft(
    session: AsyncSession, *, telegram_id: int, kind: str, now: datetime
) -> Draft | None:
    """The person's draft of this kind, unless there is none or it was abandoned."""
    row = (
        await session.exec(
            select(ConversationDraft).where(
                *_key(telegram_id, kind),
                col(ConversationDraft.updated_at) > now - ABANDONED_AFTER,
            )
        )
    ).first()
    return _draft(row) if row is not None else None


async def latest_draft(session: AsyncSession, *, telegram_id: int, now: datetime) -> Draft | None:
    """The person's live draft touched last, of any kind: the one their next text answers."""
    row = (
        await session.exec(
            select(ConversationDraft)
            .where(
                col(ConversationDraft.telegram_id) == telegram_id,
                col(ConversationDraft.updated_at) > now - ABANDONED_AFTER,
            )
            .order_by(col(ConversationDraft.updated_at).desc(), col(ConversationDraft.kind))
        )
    ).first()
    return _draft(row) if row is not None else None


async def start_draft(
    session: AsyncSession,
    *,
    telegram_id: int,
    kind: str,
    step: str,
    answers: dict[str, Any],
    now: datetime,
) -> Draft:
    """A new draft of this kind for the person, replacing whatever they had (abandoned or
    not). Its version moves on from the replaced one's, so a move read from that is refused."""
    values: dict[str, Any] = {
        "step": step,
        "answers": _json(answers),
        "started_at": now,
        "updated_at": now,
    }
    for _ in range(5):
        existing = (
            await session.exec(select(ConversationDraft).where(*_key(telegram_id, kind)))
        ).first()
        if existing is not None:
            version = existing.version + 1
            outcome = await session.exec(
                update(ConversationDraft)
                .where(
                    *_key(telegram_id, kind), col(ConversationDraft.version) == existing.version
                )
                .values(version=version, **values)
            )
            if outcome.rowcount != 1:
                await session.rollback()
                continue
            await session.commit()
        else:
            version = 0
            session.add(
                ConversationDraft(telegram_id=telegram_id, kind=kind, version=version, **values)
            )
            try:
                await session.commit()
            except IntegrityError:  # another instance started one a moment before
                await session.rollback()
                continue
        return Draft(telegram_id, kind, step, answers, version, now, now)
    raise RuntimeError(f"could not start a {kind} draft for {telegram_id}")


async def move_draft(
    session: AsyncSession, *, draft: Draft, step: str, answers: dict[str, Any], now: datetime
) -> Draft | None:
    """The draft at its next step with these answers, if it still stands where `draft` was
    read; None when another update moved it (or ended it) in the meantime."""
    outcome = await session.exec(
        update(ConversationDraft)
        .where(
            *_key(draft.telegram_id, draft.kind),
            col(ConversationDraft.version) == draft.version,
        )
        .values(step=step, answers=_json(answers), version=draft.version + 1, updated_at=now)
    )
    if outcome.rowcount != 1:
        await session.rollback()
        return None
    await session.commit()
    return Draft(
        draft.telegram_id,
        draft.kind,
        step,
        answers,
        draft.version + 1,
        draft.started_at,
        now,
    )


async def end_draft(session: AsyncSession, *, draft: Draft) -> bool:
    """Take the draft away to act on it (send the notice, the request): True for exactly one
    of two presses at once, False when it had moved or ended already."""
    outcome = await session.exec(
        delete(ConversationDraft).where(
            *_key(draft.telegram_id, draft.kind),
            col(ConversationDraft.version) == draft.version,
        )
    )
    await session.commit()
    return bool(outcome.rowcount == 1)


async def drop_draft(session: AsyncSession, *, telegram_id: int, kind: str) -> bool:
    """/cancel: the person's draft of this kind is gone, whatever its state."""
    outcome = await session.exec(delete(ConversationDraft).where(*_key(telegram_id, kind)))
    await session.commit()
    return bool(outcome.rowcount)
