"""A visit's archive: everything that happened to it, as the document /visit and a close
send, and the month's workbook of /export visits (bot.archive draws both).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from telegram import Update

from bot import hearts
from bot.archive import (
    ArchivedCheck,
    ArchivedEvent,
    ArchivedProblem,
    ArchivedTask,
    VisitArchive,
    archive_document,
    archive_filename,
    visits_workbook,
)
from bot.org import can_see_every_visit
from bot.runtime import Runtime
from bot.states import OPEN_VISIT_STATUSES, VisitStatus
from handlers.kit.base import (
    Caller,
    Context,
    is_private,
    plain,
    reply,
    runtime,
)
from handlers.kit.outgoing import reply_file
from storage import org, visits
from storage.models import Visit


async def send_archive(update: Update, rt: Runtime, caller: Caller, visit: Visit) -> None:
    archive = await build_archive(rt, visit, caller.language)
    document = archive_document(
        archive, text=plain_text(rt, caller.language), zone=rt.settings.zone
    )
    await reply_file(
        update,
        document,
        filename=archive_filename(archive, zone=rt.settings.zone),
        caption=caller.t("visit.archive_caption", visit=visit.id),
    )


def plain_text(rt: Runtime, language: str) -> Callable[..., str]:
    """Catalog texts for documents, which escape values themselves."""

    def text(key: str, /, **params: object) -> str:
        return html.unescape(rt.catalog.text(language, key, **params))

    return text


# --- The archive -------------------------------------------------------------------------------


async def build_archive(rt: Runtime, visit: Visit, language: str) -> VisitArchive:
    """Everything about a visit, names resolved, for the document and the workbook."""
    assert visit.id is not None
    async with rt.sessions() as session:
        tasks = await visits.tasks_of(session, visit.id)
        problems = await visits.problems_of(session, visit.id)
        events = await visits.events_of(session, visit.id)
        items = {task.id: await visits.items_of(session, task.id or 0) for task in tasks}
        departments = {d.code: d for d in await org.list_departments(session)}
        ids = [visit.announced_by, visit.checked_by, visit.closed_by]
        ids += [x for task in tasks for x in (task.claimed_by, task.done_by)]
        ids += [i.done_by for its in items.values() for i in its]
        ids += [x for p in problems for x in (p.reported_by, p.resolved_by)]
        ids += [e.actor_id for e in events]
        names = await org.names_by_id(session, ids)

    def name(staff_id: int | None) -> str | None:
        return names.get(staff_id) if staff_id is not None else None

    def dept_names(codes: str) -> str:
        found = [departments.get(code) for code in codes.split(",")]
        return ", ".join(d.name_in(language) for d in found if d is not None)

    titles = {task.id: task.title_in(language) for task in tasks}
    by_key = {task.key: titles[task.id] for task in tasks}
    archived_tasks = tuple(
        ArchivedTask(
            title=titles[task.id],
            departments=dept_names(task.departments),
            remind_at=task.remind_at,
            due_at=task.due_at,
            status=task.status,
            claimed_by=name(task.claimed_by),
            done_by=name(task.done_by),
            done_at=task.done_at,
            urgent=task.urgent,
            escalated_level=task.escalated_level,
            checklist=tuple(
                ArchivedCheck(i.label_in(language), name(i.done_by), i.done_at)
                for i in items[task.id]
            ),
        )
        for task in tasks
    )
    archived_problems = tuple(
        ArchivedProblem(
            task_title=titles.get(p.task_id, ""),
            text=p.text,
            reported_by=name(p.reported_by) or "?",
            reported_at=p.reported_at,
            resolved_by=name(p.resolved_by),
            resolved_at=p.resolved_at,
        )
        for p in problems
    )
    archived_events = tuple(
        ArchivedEvent(
            at=e.at,
            actor=name(e.actor_id),
            text=plain(
                rt.catalog.text(
                    language,
                    f"event.{e.kind}",
                    detail=by_key.get(e.detail.split(":")[0], e.detail),
                )
            ),
        )
        for e in events
    )
    return VisitArchive(
        visit_id=visit.id,
        status=visit.status,
        guest=visit.guest,
        company=visit.company,
        group_name=visit.group_name,
        titles=visit.titles,
        party_size=visit.party_size,
        vehicles=visit.vehicles,
        arrival_at=visit.arrival_at,
        arrived_at=visit.arrived_at,
        departure_at=visit.departure_at,
        rooms=visit.rooms,
        itinerary=visit.itinerary,
        requirements=visit.requirements,
        standard=visit.standard,
        announced_by=name(visit.announced_by) or "?",
        announced_at=visit.announced_at,
        checked_by=name(visit.checked_by),
        checked_at=visit.checked_at,
        closed_by=name(visit.closed_by),
        closed_at=visit.closed_at,
        tasks=archived_tasks,
        problems=archived_problems,
        events=archived_events,
    )


# --- /export visits <month> ------------------------------------------------------------------


async def export_visits(update: Update, context: Context, caller: Caller, args: list[str]) -> None:
    """/export visits 2026-11: the month's receptions as an .xlsx, in a private chat
    (handlers.exports reads /export; `args` are its words after "visits", none for a
    command it could not read, which gets the usage)."""
    rt = runtime(context)
    if not is_private(update):
        await reply(update, caller.t("common.private_only", bot=context.bot.username))
        return
    if not can_see_every_visit(caller.person):
        await reply(update, caller.t("visit.export_not_allowed"))
        return
    if not args:
        await reply(update, caller.t("visit.export_usage"))
        return
    zone = rt.settings.zone
    # The same months as the evaluation's (2026-11, 2026年11月, last month), the same
    # one-sentence answers for a wrong one; years outside 2000–2100 are refused.
    label = hearts.parse_period(" ".join(args), now=rt.clock(), zone=zone)
    if isinstance(label, hearts.PeriodError):
        await reply(update, caller.t(label.key, **label.params))
        return
    start, end = hearts.period_bounds(label, zone)
    async with rt.sessions() as session:
        found = await visits.list_visits(
            session,
            statuses=(*OPEN_VISIT_STATUSES, VisitStatus.COMPLETED, VisitStatus.CANCELLED),
            arriving_from=start,
            arriving_before=end,
        )
    archives = [await build_archive(rt, visit, caller.language) for visit in found]
    workbook = visits_workbook(
        archives, text=plain_text(rt, caller.language), zone=zone, title=label
    )
    await reply_file(
        update,
        workbook,
        filename=f"vip-receptions-{label}.xlsx",
        caption=caller.t("visit.export_caption", month=label, count=len(archives)),
    )
