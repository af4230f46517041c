"""Importing a checked staff roster: all of it in one transaction, or nothing.

People are matched by telegram id first, then by username; a row with only a username and
nobody holding it becomes a Staff row without a telegram id, claimed later by
`storage.org.greet_user` when that person first sends /start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.org import ROLES
from bot.roster import RosterError, RosterRow, duplicate_errors
from storage import org
from storage.models import STATUS_ACTIVE, Department, Staff, StaffRole


@dataclass(frozen=True)
class RosterOutcome:
    created: int
    updated: int
    waiting: int  # imported people still without a telegram id
    errors: list[RosterError] = field(default_factory=list)


def _error(line: int, reason: str, **params: str) -> RosterError:
    return RosterError(line, f"roster.error.{reason}", dict(params))


async def import_roster(
    session: AsyncSession, *, rows: Sequence[RosterRow], now: datetime
) -> RosterOutcome:
    """Create or update everyone in `rows`; on any error roll back and return the errors."""
    try:
        errors = await _check(session, rows)
        people: list[tuple[RosterRow, Staff]] = []
        created = 0
        if not errors:
            people, created = await _upsert_people(session, rows, now, errors)
        if not errors:
            await _set_reports_to(session, people, errors)
        if errors:
            await session.rollback()
            return RosterOutcome(0, 0, 0, sorted(errors, key=lambda e: e.line))
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    waiting = sum(1 for _, staff in people if staff.telegram_id is None)
    return RosterOutcome(created, len(people) - created, waiting, [])


async def _check(session: AsyncSession, rows: Sequence[RosterRow]) -> list[RosterError]:
    """What the parser checks and the database must agree with: departments, roles, duplicates."""
    result = await session.exec(select(Department.code))
    codes = list(result.all())
    errors = duplicate_errors(rows)
    for row in rows:
        if row.department not in codes:
            errors.append(
                _error(
                    row.line, "unknown_department", value=row.department, known=", ".join(codes)
                )
            )
        errors.extend(
            _error(row.line, "unknown_role", value=role, known=", ".join(ROLES))
            for role in row.roles
            if role not in ROLES
        )
    return errors


# --- Pass 1: the people and their roles --------------------------------------------------------


async def _upsert_people(
    session: AsyncSession, rows: Sequence[RosterRow], now: datetime, errors: list[RosterError]
) -> tuple[list[tuple[RosterRow, Staff]], int]:
    people: list[tuple[RosterRow, Staff]] = []
    line_of: dict[int, int] = {}  # staff id → the row that already matched them
    created = 0
    for row in rows:
        staff = await _match(session, row)
        if staff is None:
            staff = Staff(created_at=now, updated_at=now)
            created += 1
        elif staff.id is not None and staff.id in line_of:
            # e.g. one row by telegram id and another by username, both the same person
            errors.append(_error(row.line, "duplicate_person", first_line=str(line_of[staff.id])))
            continue
        if row.telegram_id is not None and staff.telegram_id is None:
            staff.telegram_id = row.telegram_id
        if row.username and staff.username != row.username:
            await org.release_username(session, row.username, now)
            staff.username = row.username
        staff.name = row.name
        staff.department_code = row.department
        if row.language:
            staff.language = row.language
        staff.status = STATUS_ACTIVE
        staff.updated_at = now
        session.add(staff)
        await session.flush()
        assert staff.id is not None
        line_of[staff.id] = row.line
        await _replace_roles(session, staff.id, row.roles)
        people.append((row, staff))
    return people, created


async def _match(session: AsyncSession, row: RosterRow) -> Staff | None:
    """The person this row is about: by telegram id, then by username.

    A username held by a different Telegram account than the row's id is not a match: the
    username has moved, and the row's person is someone else.
    """
    if row.telegram_id is not None:
        staff = await org.find_by_telegram_id(session, row.telegram_id)
        if staff is not None:
            return staff
    if row.username:
        holder = await org.find_by_username(session, row.username)
        if holder is not None and (row.telegram_id is None or holder.telegram_id is None):
            return holder
    return None


async def _replace_roles(session: AsyncSession, staff_id: int, roles: Sequence[str]) -> None:
    result = await session.exec(select(StaffRole).where(col(StaffRole.staff_id) == staff_id))
    existing = {held.role: held for held in result.all()}
    for role, held in existing.items():
        if role not in roles:
            await session.delete(held)
    for role in roles:
        if role not in existing:
            session.add(StaffRole(staff_id=staff_id, role=role))
    await session.flush()


# --- Pass 2: who evaluates whom ----------------------------------------------------------------


async def _set_reports_to(
    session: AsyncSession, people: list[tuple[RosterRow, Staff]], errors: list[RosterError]
) -> None:
    for row, staff in people:
        if row.reports_to is None:
            staff.reports_to_id = None
            continue
        if row.reports_to.isdigit():
            manager = await org.find_by_telegram_id(session, int(row.reports_to))
        else:
            manager = await org.find_by_username(session, row.reports_to)
        if manager is None or manager.status != STATUS_ACTIVE:
            # Only staff evaluate: someone who merely said /start, or who left, cannot.
            # (People in this file are active by now: pass 1 made them so.)
            errors.append(_error(row.line, "unknown_reports_to", value=row.reports_to))
        elif manager.id == staff.id:
            errors.append(_error(row.line, "reports_to_self"))
        else:
            staff.reports_to_id = manager.id
    if errors:
        return
    await session.flush()
    for row, staff in people:
        if (
            staff.id is not None
            and staff.reports_to_id is not None
            and await org.would_loop(session, staff_id=staff.id, manager_id=staff.reports_to_id)
        ):
            errors.append(_error(row.line, "reports_to_loop"))
