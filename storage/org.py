"""Data access for the organisation: departments, chat bindings, people and their roles.

Every function takes the session first and its other arguments by keyword; functions that
change something commit, so a caller never leaves half a change behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    STATUS_PENDING,
    STATUS_REJECTED,
    STATUS_VISITOR,
    ChatBinding,
    Department,
    Staff,
    StaffRole,
)

# --- Departments -------------------------------------------------------------------------------


async def list_departments(session: AsyncSession) -> list[Department]:
    result = await session.exec(
        select(Department).order_by(col(Department.sort_order), col(Department.code))
    )
    return list(result.all())


async def get_department(session: AsyncSession, code: str) -> Department | None:
    return await session.get(Department, code.strip().lower())


# --- Chat bindings -----------------------------------------------------------------------------


async def bind_chat(
    session: AsyncSession,
    *,
    department_code: str,
    chat_id: int,
    thread_id: int | None,
    chat_title: str,
    bound_by: int,
    now: datetime,
) -> ChatBinding | None:
    """Bind the department to this chat or topic; returns the binding it replaced, if any."""
    existing = await get_binding(session, department_code)
    previous = None
    if existing is not None:
        previous = ChatBinding.model_validate(existing.model_dump())
        await session.delete(existing)
        await session.flush()
    session.add(
        ChatBinding(
            department_code=department_code,
            chat_id=chat_id,
            thread_id=thread_id,
            chat_title=chat_title,
            bound_by=bound_by,
            bound_at=now,
        )
    )
    await session.commit()
    return previous


async def unbind_chat(session: AsyncSession, *, chat_id: int, thread_id: int | None) -> list[str]:
    """Remove every binding of this chat or topic; returns the department codes unbound."""
    codes = await departments_bound_to(session, chat_id=chat_id, thread_id=thread_id)
    if codes:
        await session.exec(
            delete(ChatBinding).where(
                col(ChatBinding.chat_id) == chat_id,
                _same_thread(thread_id),
            )
        )
        await session.commit()
    return codes


async def move_bindings(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> int:
    """Point every binding of a chat at its new id; returns how many moved."""
    outcome = await session.exec(
        update(ChatBinding)
        .where(col(ChatBinding.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
    )
    await session.commit()
    return int(outcome.rowcount)


async def get_binding(session: AsyncSession, department_code: str) -> ChatBinding | None:
    result = await session.exec(
        select(ChatBinding).where(col(ChatBinding.department_code) == department_code)
    )
    return result.first()


async def departments_bound_to(
    session: AsyncSession, *, chat_id: int, thread_id: int | None
) -> list[str]:
    result = await session.exec(
        select(ChatBinding.department_code)
        .where(col(ChatBinding.chat_id) == chat_id, _same_thread(thread_id))
        .order_by(col(ChatBinding.department_code))
    )
    return list(result.all())


def _same_thread(thread_id: int | None) -> ColumnElement[bool]:
    if thread_id is None:
        return col(ChatBinding.thread_id).is_(None)
    return col(ChatBinding.thread_id) == thread_id


# --- People ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffView:
    """A person with their roles, read in one go so handlers never lazy-load."""

    staff: Staff
    roles: frozenset[str]

    @property
    def is_active(self) -> bool:
        return self.staff.status == STATUS_ACTIVE


async def get_staff(session: AsyncSession, staff_id: int) -> Staff | None:
    return await session.get(Staff, staff_id)


async def find_by_telegram_id(session: AsyncSession, telegram_id: int) -> Staff | None:
    result = await session.exec(select(Staff).where(col(Staff.telegram_id) == telegram_id))
    return result.first()


async def roles_of(session: AsyncSession, staff_id: int) -> frozenset[str]:
    result = await session.exec(select(StaffRole.role).where(col(StaffRole.staff_id) == staff_id))
    return frozenset(result.all())


async def view_by_telegram_id(session: AsyncSession, telegram_id: int) -> StaffView | None:
    staff = await find_by_telegram_id(session, telegram_id)
    if staff is None or staff.id is None:
        return None
    return StaffView(staff, await roles_of(session, staff.id))


async def view(session: AsyncSession, staff_id: int) -> StaffView | None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return None
    return StaffView(staff, await roles_of(session, staff_id))


async def views(session: AsyncSession, staff_ids: Iterable[int]) -> dict[int, StaffView]:
    """Several people with their roles in two queries (not two per person)."""
    wanted = sorted(set(staff_ids))
    if not wanted:
        return {}
    people = (await session.exec(select(Staff).where(col(Staff.id).in_(wanted)))).all()
    roles: dict[int, set[str]] = {}
    held = await session.exec(
        select(StaffRole.staff_id, StaffRole.role).where(col(StaffRole.staff_id).in_(wanted))
    )
    for staff_id, role in held.all():
        roles.setdefault(staff_id, set()).add(role)
    return {
        staff.id: StaffView(staff, frozenset(roles.get(staff.id, ())))
        for staff in people
        if staff.id is not None
    }


async def views_with_role(session: AsyncSession, role: str) -> list[StaffView]:
    """Active people holding a role, with all their roles, oldest first."""
    holders = await staff_with_role(session, role)
    found = await views(session, [s.id for s in holders if s.id is not None])
    return [found[s.id] for s in holders if s.id in found]


async def greet_user(
    session: AsyncSession,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str,
    now: datetime,
    language_code: str | None = None,
) -> Staff:
    """Record someone who talks to the bot; a roster row waiting for their username is claimed."""
    staff = await find_by_telegram_id(session, telegram_id)
    clean_username = username.lower() if username else None
    waiting = None
    if clean_username:
        result = await session.exec(
            select(Staff).where(
                col(Staff.username) == clean_username, col(Staff.telegram_id).is_(None)
            )
        )
        waiting = result.first()
    if waiting is not None and (
        staff is None or staff.status in (STATUS_VISITOR, STATUS_REJECTED)
    ):
        # The roster has a place for this person: it wins over a bare "said /start" record.
        if staff is not None:
            waiting.language = waiting.language or staff.language
            await session.delete(staff)
            await session.flush()
        staff = waiting
        staff.telegram_id = telegram_id
    if staff is None:
        if clean_username:
            await release_username(session, clean_username, now)
        staff = Staff(
            telegram_id=telegram_id,
            username=clean_username,
            name=first_name[:64],
            status=STATUS_VISITOR,
            created_at=now,
            updated_at=now,
        )
    elif clean_username and staff.username != clean_username:
        await release_username(session, clean_username, now)
        staff.username = clean_username
    if language_code:
        staff.telegram_language = language_code[:16]
    session.add(staff)
    await session.commit()
    return staff


async def find_by_username(session: AsyncSession, username: str) -> Staff | None:
    result = await session.exec(select(Staff).where(col(Staff.username) == username))
    return result.first()


async def release_username(session: AsyncSession, username: str, now: datetime) -> None:
    """Telegram usernames move between people: whoever held this one loses it.

    A holder without a telegram id (a roster row waiting for /start) could then never be
    claimed, so they become inactive.
    """
    holder = await find_by_username(session, username)
    if holder is None:
        return
    holder.username = None
    if holder.telegram_id is None:
        holder.status = STATUS_INACTIVE
    holder.updated_at = now
    session.add(holder)
    await session.flush()  # before the new holder takes it: usernames are unique


async def note_telegram_language(
    session: AsyncSession, *, staff_id: int, language_code: str
) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is not None:
        staff.telegram_language = language_code[:16]
        session.add(staff)
        await session.commit()


async def set_language(
    session: AsyncSession, *, staff_id: int, language: str | None, now: datetime
) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return
    staff.language = language
    staff.updated_at = now
    session.add(staff)
    await session.commit()


async def request_registration(
    session: AsyncSession, *, staff_id: int, name: str, department_code: str, now: datetime
) -> Staff | None:
    """Turn a visitor (or a rejected applicant) into a pending applicant; None if not allowed."""
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.status not in (STATUS_VISITOR, STATUS_REJECTED, STATUS_PENDING):
        return None
    staff.name = name
    staff.department_code = department_code
    staff.status = STATUS_PENDING
    staff.updated_at = now
    session.add(staff)
    await session.commit()
    return staff


async def decide_registration(
    session: AsyncSession,
    *,
    staff_id: int,
    department_code: str,
    approve: bool,
    now: datetime,
) -> Staff | None:
    """Approve (as plain staff) or reject a pending request to join this department.

    None if it is no longer pending, or now asks for another department (the approver's
    button was for the earlier request). One conditional update, so two approvers pressing
    at once cannot both decide it.
    """
    outcome = await session.exec(
        update(Staff)
        .where(
            col(Staff.id) == staff_id,
            col(Staff.status) == STATUS_PENDING,
            col(Staff.department_code) == department_code,
        )
        .values(status=STATUS_ACTIVE if approve else STATUS_REJECTED, updated_at=now)
    )
    if outcome.rowcount != 1:
        return None  # nothing was changed, so there is nothing to roll back
    staff = await session.get(Staff, staff_id, populate_existing=True)
    assert staff is not None
    if approve and not await roles_of(session, staff_id):
        session.add(StaffRole(staff_id=staff_id, role="staff"))
    await session.commit()
    return staff


async def heads_of(session: AsyncSession, department_code: str) -> list[Staff]:
    return await staff_with_role(session, "head", department=department_code)


async def admin_telegram_ids(session: AsyncSession, configured: Iterable[int]) -> list[int]:
    """ADMIN_USER_IDS plus active staff holding the admin role, without duplicates."""
    result = await session.exec(
        select(Staff.telegram_id)
        .join(StaffRole, col(StaffRole.staff_id) == col(Staff.id))
        .where(col(Staff.status) == STATUS_ACTIVE, col(StaffRole.role) == "admin")
    )
    granted = [i for i in result.all() if i is not None]
    return list(dict.fromkeys([*sorted(configured), *granted]))


async def count_staff(session: AsyncSession, *, statuses: Sequence[str]) -> int:
    result = await session.exec(
        select(func.count()).select_from(Staff).where(col(Staff.status).in_(statuses))
    )
    return int(result.one())


async def list_staff(
    session: AsyncSession, *, statuses: Sequence[str], offset: int = 0, limit: int = 50
) -> list[Staff]:
    result = await session.exec(
        select(Staff)
        .where(col(Staff.status).in_(statuses))
        .order_by(col(Staff.department_code), col(Staff.name), col(Staff.id))
        .offset(offset)
        .limit(limit)
    )
    return list(result.all())


async def toggle_role(session: AsyncSession, *, staff_id: int, role: str, now: datetime) -> bool:
    """Give or take one role; returns whether the person holds it afterwards."""
    existing = await session.get(StaffRole, (staff_id, role))
    if existing is not None:
        await session.delete(existing)
    else:
        session.add(StaffRole(staff_id=staff_id, role=role))
    await _touch(session, staff_id, now)
    await session.commit()
    return existing is None


async def set_department(
    session: AsyncSession, *, staff_id: int, department_code: str, now: datetime
) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return
    staff.department_code = department_code
    staff.updated_at = now
    session.add(staff)
    await session.commit()


async def set_reports_to(
    session: AsyncSession, *, staff_id: int, manager_id: int | None, now: datetime
) -> bool:
    """Set who evaluates this person; refuses (False) a loop such as A→B→A."""
    if manager_id is not None and await would_loop(
        session, staff_id=staff_id, manager_id=manager_id
    ):
        return False
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return False
    staff.reports_to_id = manager_id
    staff.updated_at = now
    session.add(staff)
    await session.commit()
    return True


async def would_loop(session: AsyncSession, *, staff_id: int, manager_id: int) -> bool:
    """Whether following reports_to up from `manager_id` comes back to `staff_id`."""
    seen: set[int] = set()
    current: int | None = manager_id
    while current is not None and current not in seen:
        if current == staff_id:
            return True
        seen.add(current)
        manager = await session.get(Staff, current)
        current = manager.reports_to_id if manager else None
    return False


async def deactivate(session: AsyncSession, *, staff_id: int, now: datetime) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return
    staff.status = STATUS_INACTIVE
    staff.updated_at = now
    session.add(staff)
    await session.commit()


async def reactivate(session: AsyncSession, *, staff_id: int, now: datetime) -> None:
    """Bring a deactivated person back with the roles they had."""
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.status != STATUS_INACTIVE:
        return
    staff.status = STATUS_ACTIVE
    staff.updated_at = now
    session.add(staff)
    await session.commit()


async def _touch(session: AsyncSession, staff_id: int, now: datetime) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is not None:
        staff.updated_at = now
        session.add(staff)


async def staff_with_role(
    session: AsyncSession, role: str, *, department: str | None = None
) -> list[Staff]:
    """Active people holding a role (optionally in one department), oldest first."""
    query = (
        select(Staff)
        .join(StaffRole, col(StaffRole.staff_id) == col(Staff.id))
        .where(col(Staff.status) == STATUS_ACTIVE, col(StaffRole.role) == role)
    )
    if department is not None:
        query = query.where(col(Staff.department_code) == department)
    result = await session.exec(query.order_by(col(Staff.id)))
    return list(result.all())


async def names_by_id(session: AsyncSession, staff_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names for a set of staff ids, in one query."""
    wanted = {i for i in staff_ids if i is not None}
    if not wanted:
        return {}
    result = await session.exec(select(Staff).where(col(Staff.id).in_(wanted)))
    return {s.id: s.name for s in result.all() if s.id is not None}
