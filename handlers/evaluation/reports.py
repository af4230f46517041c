"""/scores and /export scores: a period's confirmed results for those who may see them all
(handlers.evaluation.results has who may see what, and /myscore and /trend), as a ranked
report with a chart, or as a spreadsheet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from telegram import Update

from bot import charts, hearts, score_report
from bot.limits import one_line
from bot.runtime import Runtime
from bot.score_report import SCOPE_ALL, Result
from bot.states import PeriodStatus
from bot.when import format_local
from handlers.evaluation.results import (
    CONFIRMED,
    english_texts,
    max_total,
    names_of_departments,
    period_name,
    plain_texts,
    result_of,
    send_photo,
)
from handlers.evaluation.shared import (
    Texts,
    period_from_args,
    private_only,
)
from handlers.kit.base import (
    Caller,
    Context,
    identify,
    plain,
    reply,
    runtime,
)
from handlers.kit.outgoing import reply_file, reply_whole
from storage import hearts as store
from storage import org
from storage.models import Department, EvaluationPeriod

# --- /scores ---------------------------------------------------------------------------------


async def _report_scope(rt: Runtime, caller: Caller) -> str | None:
    """Everyone's results, the caller's own evaluations', or none (see score_report)."""
    staff_id = caller.staff_id
    is_evaluator = False
    if staff_id is not None and not hearts.may_see_all(caller.person):
        async with rt.sessions() as session:
            people = await store.members(session)
            is_evaluator = bool(hearts.evaluees_of(staff_id, people)) or bool(
                await store.confirmed_evaluees(session, evaluator_id=staff_id)
            )
    return score_report.report_scope(caller.person, is_evaluator=is_evaluator)


async def _period_results(
    rt: Runtime, key: str, *, evaluator_id: int | None, department: str | None = None
) -> tuple[list[Result], list[Result]]:
    """The confirmed results of a period (one evaluator's, one department's, or all) and the
    same evaluator's results of the period before, for the changes."""
    async with rt.sessions() as session:
        current = await store.with_scores(
            session,
            await store.evaluations_in(
                session, key, statuses=CONFIRMED, evaluator_id=evaluator_id, department=department
            ),
        )
        previous = await store.with_scores(
            session,
            await store.evaluations_in(
                session,
                hearts.previous_period(key),
                statuses=CONFIRMED,
                evaluator_id=evaluator_id,
            ),
        )
        names = await org.names_by_id(
            session,
            [i.evaluation.evaluee_id for i in current]
            + [i.evaluation.evaluator_id for i in current],
        )
    return [result_of(i, names) for i in current], [result_of(i, names) for i in previous]


def _heart_averages_line(
    t: Texts, averages: Mapping[str, float], heart_order: Sequence[str]
) -> str:
    return " ".join(
        t(
            "evaluation.compact",
            short=t(f"evaluation.short.{heart}"),
            score=score_report.two_places(averages[heart]) if heart in averages else "—",
        )
        for heart in heart_order
    )


def _report_blocks(
    caller: Caller,
    rt: Runtime,
    period: EvaluationPeriod,
    reports: Sequence[score_report.DepartmentReport],
    department_names: Mapping[str | None, str],
    *,
    own: bool,
    signer: str,
) -> list[str]:
    """The report as message blocks: a header (signed or not, whose), then a department each."""
    t = caller.t
    rules = store.rules_of(period)
    header = [t("results.scores.title", period=period_name(t, period.key))]
    if period.status == PeriodStatus.SIGNED and period.signed_at is not None:
        header.append(
            t(
                "results.scores.signed",
                who=signer,
                at=format_local(period.signed_at, rt.settings.zone),
            )
        )
    else:
        header.append(t("results.scores.unsigned"))
    if own:
        header.append(t("results.scores.own_scope"))
    header.append(
        t("results.scores.change_note", period=period_name(t, hearts.previous_period(period.key)))
    )
    blocks = ["\n".join(header)]
    for report in reports:
        lines = [
            t(
                "results.scores.department",
                department=department_names.get(report.department, "—"),
                count=report.count,
                average=score_report.two_places(report.average_total),
                max=max_total(rules),
            ),
            _heart_averages_line(t, report.heart_averages, rules.hearts),
        ]
        lines += [
            t(
                "results.scores.person",
                rank=row.rank,
                name=row.result.name,
                total=row.result.total,
                average=score_report.two_places(row.result.average),
                change=score_report.change_text(row.change),
            )
            for row in report.rows
        ]
        blocks.append("\n".join(lines))
    return blocks


def _report_chart(
    caller: Caller,
    period: EvaluationPeriod,
    reports: Sequence[score_report.DepartmentReport],
    departments: Iterable[Department],
) -> bytes:
    """One department: its people's totals, best first. Several: each department's average
    total (a long list of everyone's bars reads worse than the text above it)."""
    local, english = plain_texts(caller), english_texts(caller)
    rules = store.rules_of(period)
    local_names = names_of_departments(
        departments, caller.language, local("results.no_department")
    )
    english_names = names_of_departments(departments, "en", english("results.no_department"))
    if len(reports) == 1:
        rows = reports[0].rows
        values: list[float] = [row.result.total for row in rows]
        labels = fallback = [row.result.name for row in rows]
        key = "results.scores.chart_people"
    else:
        values = [report.average_total for report in reports]
        labels = [local_names.get(report.department, "—") for report in reports]
        fallback = [english_names.get(report.department, "—") for report in reports]
        key = "results.scores.chart_departments"
    return charts.bars_png(
        values,
        labels=labels,
        fallback_labels=fallback,
        title=local(key, period=period_name(local, period.key)),
        fallback_title=english(key, period=period_name(english, period.key)),
        value_max=max_total(rules),
    )


async def scores_command(update: Update, context: Context) -> None:
    """/scores 2026-11 [hk]: per department and per person totals, per-heart averages, ranks
    and changes, then one chart. Director and GM see everyone, evaluators their own people."""
    rt = runtime(context)
    caller = await identify(update, context)
    if not await private_only(update, caller):
        return
    scope = await _report_scope(rt, caller)
    if scope is None:
        await reply(update, caller.t("results.scores.not_allowed"))
        return
    args = context.args or []
    if not args:
        await reply(update, caller.t("results.scores.usage"))
        return
    async with rt.sessions() as session:
        departments = await org.list_departments(session)
    text, department_code = " ".join(args), None
    unreadable = hearts.parse_period(text, now=rt.clock(), zone=rt.settings.zone)
    if len(args) > 1 and isinstance(unreadable, hearts.PeriodError):
        # The last word is a department ("/scores 2026-11 hk", "/scores last month fb").
        text, department_code = " ".join(args[:-1]), args[-1].strip().lower()
        if department_code not in {d.code for d in departments}:
            await reply(
                update, caller.t("results.scores.unknown_department", code=one_line(args[-1], 40))
            )
            return
    period = await period_from_args(rt, update, caller, text)
    if period is None:
        return
    own = scope != SCOPE_ALL
    current, previous = await _period_results(
        rt,
        period.key,
        evaluator_id=caller.staff_id if own else None,
        department=department_code,
    )
    if not current:
        key = "results.scores.nothing_own" if own else "results.scores.nothing"
        await reply(update, caller.t(key, period=period_name(caller.t, period.key)))
        return
    reports = score_report.build_report(
        current, previous, department_order=[d.code for d in departments]
    )
    async with rt.sessions() as session:
        signer = (await org.names_by_id(session, [period.signed_by])).get(period.signed_by or 0)
    names = names_of_departments(
        departments, caller.language, plain(caller.t("results.no_department"))
    )
    blocks = _report_blocks(caller, rt, period, reports, names, own=own, signer=signer or "—")
    # A whole hotel's report arrives whole: as a document when it outgrows a message.
    await reply_whole(
        update,
        "\n\n".join(blocks),
        filename=f"scores-{period.key}.txt",
        caption=caller.t("results.scores.title", period=period_name(caller.t, period.key)),
    )
    png = await asyncio.to_thread(_report_chart, caller, period, reports, departments)
    await send_photo(
        update, png, caller.t("results.scores.title", period=period_name(caller.t, period.key))
    )


# --- /export scores <period> -----------------------------------------------------------------


async def export_scores(
    update: Update, context: Context, caller: Caller, args: Sequence[str]
) -> None:
    """/export scores 2026-11: the period's confirmed results as an .xlsx (director, GM)."""
    rt = runtime(context)
    if not await private_only(update, caller):
        return
    if not score_report.may_export(caller.person):
        await reply(update, caller.t("results.export.not_allowed"))
        return
    if not args:
        await reply(update, caller.t("results.export.usage"))
        return
    period = await period_from_args(rt, update, caller, " ".join(args))
    if period is None:
        return
    current, previous = await _period_results(rt, period.key, evaluator_id=None)
    label = period_name(caller.t, period.key)
    if not current:
        await reply(update, caller.t("results.scores.nothing", period=label))
        return
    async with rt.sessions() as session:
        departments = await org.list_departments(session)
    reports = score_report.build_report(
        current, previous, department_order=[d.code for d in departments]
    )
    workbook = await asyncio.to_thread(
        partial(
            score_report.scores_workbook,
            reports,
            department_names=names_of_departments(
                departments, caller.language, plain_texts(caller)("results.no_department")
            ),
            heart_order=store.rules_of(period).hearts,
            text=caller.t,
            zone=rt.settings.zone,
            title=label,
        )
    )
    await reply_file(
        update,
        workbook,
        filename=f"six-hearts-{period.key}.xlsx",
        caption=caller.t("results.export.caption", period=label, count=len(current)),
    )
