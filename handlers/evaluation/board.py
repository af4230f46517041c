"""A period's board: everyone to evaluate in it, who scores them and where each evaluation
stands in the chain (draft → submitted → confirmed → signed). Read in one go from the
database; /review (handlers.evaluation.review), the GM's /sign (signing) and /period
(periods) all draw from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton

from bot import hearts
from bot.runtime import Runtime
from bot.states import EvaluationStatus, PeriodStatus
from handlers.kit import callbacks
from storage import hearts as store
from storage import org
from storage.hearts import Scored
from storage.models import Department, EvaluationPeriod

NOT_STARTED = "not_started"  # an evaluated person whose evaluator has not begun
UNASSIGNED = "unassigned"  # an evaluated person nobody scores
WAITING = (EvaluationStatus.DRAFT, NOT_STARTED)  # "not yet submitted"


# --- what a period holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One person to evaluate in a period, with their evaluation once it has begun."""

    staff_id: int
    name: str
    department: str | None
    evaluator_id: int | None
    item: Scored | None

    @property
    def state(self) -> str:
        if self.item is not None:
            return self.item.evaluation.status
        return NOT_STARTED if self.evaluator_id is not None else UNASSIGNED


@dataclass(frozen=True)
class Board:
    """A period's evaluations and the people still without one, read in one go."""

    period: EvaluationPeriod
    entries: list[Entry]
    names: dict[int, str]
    departments: dict[str, Department]
    zone: ZoneInfo

    @property
    def rules(self) -> hearts.PeriodRules:
        return store.rules_of(self.period)

    @property
    def signed(self) -> bool:
        return self.period.status == PeriodStatus.SIGNED

    def grouped(self) -> list[tuple[str | None, list[Entry]]]:
        """Entries by department (in the hotel's order, none last), by name within one."""
        codes = {entry.department for entry in self.entries}

        def order(code: str | None) -> tuple[bool, int, str]:
            department = self.departments.get(code or "")
            return (code is None, department.sort_order if department else 0, code or "")

        return [
            (
                code,
                sorted(
                    (e for e in self.entries if e.department == code),
                    key=lambda e: (e.name, e.staff_id),
                ),
            )
            for code in sorted(codes, key=order)
        ]

    def department_name(self, code: str | None, language: str) -> str:
        department = self.departments.get(code or "")
        if department is None:
            return code.upper() if code else "—"
        return department.name_in(language)

    def name(self, staff_id: int | None) -> str:
        return self.names.get(staff_id or 0, "—")

    def entry_of(self, evaluation_id: int) -> Entry | None:
        return next(
            (e for e in self.entries if e.item is not None and e.item.id == evaluation_id), None
        )


async def load_board(rt: Runtime, key: str) -> Board | None:
    async with rt.sessions() as session:
        period = await store.get_period(session, key)
        if period is None:
            return None
        people = await store.members(session, period=period)
        items = await store.with_scores(session, await store.evaluations_in(session, key))
        departments = {d.code: d for d in await org.list_departments(session)}
        names = {member.staff_id: member.name for member in people}
        missing = {i.evaluation.evaluator_id for i in items} - set(names)
        names |= await org.names_by_id(session, missing)
    entries = [
        Entry(
            staff_id=i.evaluation.evaluee_id,
            name=names.get(i.evaluation.evaluee_id, "—"),
            department=i.evaluation.department_code,
            evaluator_id=i.evaluation.evaluator_id,
            item=i,
        )
        for i in items
    ]
    if period.status != PeriodStatus.SIGNED:
        # Who still has no evaluation comes from today's org chart; once signed, a period
        # is what was scored in it.
        started = {i.evaluation.evaluee_id for i in items}
        chain = hearts.evaluators(people)
        entries += [
            Entry(m.staff_id, m.name, m.department, chain[m.staff_id], None)
            for m in people
            if hearts.is_evaluated(m) and m.staff_id not in started
        ]
    return Board(period, entries, names, departments, rt.settings.zone)


def counts(entries: Sequence[Entry]) -> dict[str, int]:
    states = [entry.state for entry in entries]
    return {
        "submitted": states.count(EvaluationStatus.SUBMITTED),
        "confirmed": states.count(EvaluationStatus.CONFIRMED),
        "returned": states.count(EvaluationStatus.RETURNED),
        "waiting": sum(states.count(state) for state in WAITING),
        "unassigned": states.count(UNASSIGNED),
    }


def button(label: str, prefix: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(prefix, action, *args))
