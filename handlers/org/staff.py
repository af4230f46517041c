"""/staff: admins list people and change their roles, department and evaluator in place.

Every screen edits the same message; the press guard re-checks every press (an admin, in
their private chat, on a button of the menu they opened).
Callback data: st:page:<n> · st:view:<id> · st:roles:<id> · st:role:<id>:<role> ·
st:dept:<id> · st:setdept:<id>:<code> · st:mgr:<id>:<page> · st:setmgr:<id>:<mgr|0> ·
st:off:<id> · st:offok:<id> · st:appr:<id> · st:rej:<id> · st:react:<id>
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.org import ROLES, can_edit_staff
from handlers.kit import callbacks
from handlers.kit.base import (
    Caller,
    Context,
    edit_screen,
    identify,
    is_private,
    pressed,
    reply,
    runtime,
)
from handlers.kit.everyone import department_name
from handlers.org.registration import tell_applicant
from storage import org
from storage.models import STATUS_ACTIVE, STATUS_INACTIVE, STATUS_PENDING

PAGE_SIZE = 8
LISTED = (STATUS_ACTIVE, STATUS_PENDING, STATUS_INACTIVE)
MARKS = {STATUS_PENDING: "⏳ ", STATUS_INACTIVE: "⛔ "}


def _button(label: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        label, callback_data=callbacks.encode(callbacks.STAFF, *map(str, parts))
    )


async def staff_command(update: Update, context: Context) -> None:
    """Shows the first page of staff, each person a button (admins, private chat)."""
    caller = await identify(update, context)
    if not can_edit_staff(caller.person):
        await reply(update, caller.t("staff.not_admin"))
        return
    if not is_private(update):
        await reply(update, caller.t("common.private_only", bot=context.bot.username))
        return
    text, keyboard = await _page(context, caller, 0)
    await reply(update, text, reply_markup=keyboard)


async def staff_button(update: Update, context: Context) -> None:
    """One press on a /staff screen: change what it says, then redraw the screen."""
    # The press guard has checked that an admin pressed, in private, on this menu's buttons.
    rt, query, caller, data = await pressed(update, context)
    if data is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    target = data.int_arg(0)
    now = rt.clock()
    toast = None
    screen: tuple[str, InlineKeyboardMarkup] | None = None
    async with rt.sessions() as session:
        person = await org.view(session, target) if target is not None else None
        if data.action == "page" and target is not None:
            screen = await _page(context, caller, target)
        elif person is None or person.staff.id is None:
            pass
        elif data.action == "view":
            screen = await _card(context, caller, person.staff.id)
        elif data.action == "roles":
            screen = _roles_screen(caller, person)
        elif data.action == "role" and len(data.args) == 2 and data.args[1] in ROLES:
            if person.staff.telegram_id == caller.user.id and data.args[1] == "admin":
                toast = caller.toast("staff.keep_own_admin")
            else:
                await org.toggle_role(
                    session, staff_id=person.staff.id, role=data.args[1], now=now
                )
            refreshed = await org.view(session, person.staff.id)
            assert refreshed is not None
            screen = _roles_screen(caller, refreshed)
        elif data.action == "dept":
            departments = await org.list_departments(session)
            rows = [
                [_button(department_name(caller, d), "setdept", person.staff.id, d.code)]
                for d in departments
            ]
            rows.append([_button(caller.t("staff.back"), "view", person.staff.id)])
            text = caller.t("staff.pick_department", name=person.staff.name)
            screen = (text, InlineKeyboardMarkup(rows))
        elif data.action == "setdept" and len(data.args) == 2:
            department = await org.get_department(session, data.args[1])
            if department is not None:
                await org.set_department(
                    session, staff_id=person.staff.id, department_code=department.code, now=now
                )
                screen = await _card(context, caller, person.staff.id)
        elif data.action == "mgr":
            screen = await _manager_screen(context, caller, person.staff.id, data.int_arg(1) or 0)
        elif data.action == "setmgr" and data.int_arg(1) is not None:
            manager_id = data.int_arg(1) or None
            manager = await org.get_staff(session, manager_id) if manager_id else None
            if manager_id is None or (manager is not None and manager.status == STATUS_ACTIVE):
                ok = await org.set_reports_to(
                    session, staff_id=person.staff.id, manager_id=manager_id, now=now
                )
                if not ok:
                    toast = caller.toast("staff.manager_loop")
                screen = await _card(context, caller, person.staff.id)
        elif data.action == "off":
            rows = [
                [_button(caller.t("staff.deactivate_confirm"), "offok", person.staff.id)],
                [_button(caller.t("staff.back"), "view", person.staff.id)],
            ]
            text = caller.t("staff.deactivate_question", name=person.staff.name)
            screen = (text, InlineKeyboardMarkup(rows))
        elif data.action in ("appr", "rej") and person.staff.department_code:
            decided = await org.decide_registration(
                session,
                staff_id=person.staff.id,
                department_code=person.staff.department_code,
                approve=data.action == "appr",
                now=now,
            )
            if decided is None:
                toast = caller.toast("register.already_decided")
            else:
                await tell_applicant(context.bot, rt, decided, approver=caller.user.full_name)
            screen = await _card(context, caller, person.staff.id)
        elif data.action == "react":
            await org.reactivate(session, staff_id=person.staff.id, now=now)
            toast = caller.toast("staff.reactivated", name=person.staff.name)
            screen = await _card(context, caller, person.staff.id)
        elif data.action == "offok":
            if person.staff.telegram_id == caller.user.id:
                toast = caller.toast("staff.keep_own_admin")
                screen = await _card(context, caller, person.staff.id)
            else:
                await org.deactivate(session, staff_id=person.staff.id, now=now)
                toast = caller.toast("staff.deactivated", name=person.staff.name)
                screen = await _page(context, caller, 0)
    if screen is None:
        await query.answer(caller.toast("common.stale_button"))
        return
    # Pressing the button for the screen already shown changes nothing: not an error.
    await edit_screen(update, screen[0], screen[1])
    # Answered once the screen is redrawn, so the next press meets the new buttons.
    await query.answer(toast)


async def _page(context: Context, caller: Caller, page: int) -> tuple[str, InlineKeyboardMarkup]:
    rt = runtime(context)
    async with rt.sessions() as session:
        total = await org.count_staff(session, statuses=LISTED)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        people = await org.list_staff(
            session, statuses=LISTED, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    if not people:
        return caller.t("staff.empty"), InlineKeyboardMarkup([])
    rows = []
    for person in people:
        mark = MARKS.get(person.status, "")
        dept = (person.department_code or "—").upper()
        rows.append([_button(f"{mark}{person.name} · {dept}", "view", person.id)])
    nav = []
    if page > 0:
        nav.append(_button("◀", "page", page - 1))
    if page < pages - 1:
        nav.append(_button("▶", "page", page + 1))
    if nav:
        rows.append(nav)
    text = caller.t("staff.list", count=total, page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(rows)


async def _card(
    context: Context, caller: Caller, staff_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    rt = runtime(context)
    async with rt.sessions() as session:
        person = await org.view(session, staff_id)
        assert person is not None
        staff = person.staff
        department = (
            await org.get_department(session, staff.department_code)
            if staff.department_code
            else None
        )
        manager = (
            await org.get_staff(session, staff.reports_to_id) if staff.reports_to_id else None
        )
    roles = ", ".join(caller.t(f"role.{r}") for r in ROLES if r in person.roles) or "—"
    telegram = f"@{staff.username}" if staff.username else str(staff.telegram_id or "—")
    text = caller.t(
        "staff.card",
        name=staff.name,
        department=department_name(caller, department),
        roles=roles,
        manager=manager.name if manager else "—",
        telegram=telegram,
        status=caller.t(f"status.{staff.status}"),
    )
    if staff.status == STATUS_PENDING:
        # A request nobody could decide (no approver had opened a chat yet) is decided here.
        status_row = [
            _button(caller.t("register.approve"), "appr", staff_id),
            _button(caller.t("register.reject"), "rej", staff_id),
        ]
    elif staff.status == STATUS_INACTIVE:
        status_row = [_button(caller.t("staff.reactivate"), "react", staff_id)]
    else:
        status_row = [_button(caller.t("staff.deactivate"), "off", staff_id)]
    rows = [
        [
            _button(caller.t("staff.edit_roles"), "roles", staff_id),
            _button(caller.t("staff.edit_department"), "dept", staff_id),
        ],
        [_button(caller.t("staff.edit_manager"), "mgr", staff_id, 0), *status_row],
        [_button(caller.t("staff.back_to_list"), "page", 0)],
    ]
    return text, InlineKeyboardMarkup(rows)


def _roles_screen(caller: Caller, person: org.StaffView) -> tuple[str, InlineKeyboardMarkup]:
    assert person.staff.id is not None
    rows = [
        [
            _button(
                ("✅ " if role in person.roles else "▫️ ") + caller.t(f"role.{role}"),
                "role",
                person.staff.id,
                role,
            )
        ]
        for role in ROLES
    ]
    rows.append([_button(caller.t("staff.back"), "view", person.staff.id)])
    return caller.t("staff.pick_roles", name=person.staff.name), InlineKeyboardMarkup(rows)


async def _manager_screen(
    context: Context, caller: Caller, staff_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    rt = runtime(context)
    async with rt.sessions() as session:
        person = await org.get_staff(session, staff_id)
        assert person is not None
        total = await org.count_staff(session, statuses=(STATUS_ACTIVE,))
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        candidates = await org.list_staff(
            session, statuses=(STATUS_ACTIVE,), offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    rows = [
        [_button(f"{c.name} · {(c.department_code or '—').upper()}", "setmgr", staff_id, c.id)]
        for c in candidates
        if c.id != staff_id
    ]
    nav = []
    if page > 0:
        nav.append(_button("◀", "mgr", staff_id, page - 1))
    if page < pages - 1:
        nav.append(_button("▶", "mgr", staff_id, page + 1))
    if nav:
        rows.append(nav)
    rows.append([_button(caller.t("staff.no_manager"), "setmgr", staff_id, 0)])
    rows.append([_button(caller.t("staff.back"), "view", staff_id)])
    return caller.t("staff.pick_manager", name=person.name), InlineKeyboardMarkup(rows)
