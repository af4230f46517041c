"""The hotel's organisation as rules: departments out of the box, roles, who may do what.

Pure: no Telegram, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES: tuple[str, ...] = (
    "staff",
    "head",
    "cs_agent",
    "duty_manager",
    "ops_manager",
    "director",
    "gm",
    "admin",
)


@dataclass(frozen=True)
class DepartmentSeed:
    code: str
    name_zh: str
    name_en: str


# From the source process: CS runs the reception, the others each own a part of it.
DEFAULT_DEPARTMENTS: tuple[DepartmentSeed, ...] = (
    DepartmentSeed("cs", "客户服务部", "Customer Service"),
    DepartmentSeed("front", "前厅部", "Front Office"),
    DepartmentSeed("hk", "客房部", "Housekeeping"),
    DepartmentSeed("eng", "工程部", "Engineering"),
    DepartmentSeed("sec", "保安部", "Security"),
    DepartmentSeed("bell", "礼宾部", "Bell Desk"),
    DepartmentSeed("fb", "餐饮部", "Food & Beverage"),
    DepartmentSeed("mkt", "市场营销中心", "Marketing Center"),
    DepartmentSeed("mgmt", "管理层", "Management"),
)


@dataclass(frozen=True)
class Person:
    """What the rules need to know about whoever sent an update."""

    telegram_id: int
    roles: frozenset[str]
    department: str | None
    is_active: bool
    is_configured_admin: bool  # listed in ADMIN_USER_IDS

    @property
    def is_admin(self) -> bool:
        return self.is_configured_admin or (self.is_active and "admin" in self.roles)

    @property
    def effective_roles(self) -> frozenset[str]:
        roles = self.roles if self.is_active else frozenset()
        return roles | {"admin"} if self.is_configured_admin else roles


def can_manage_bindings(person: Person) -> bool:
    return person.is_admin


def can_decide_registration(person: Person, department: str | None) -> bool:
    """Admins decide any request; a department head decides requests to their department."""
    if person.is_admin:
        return True
    return (
        person.is_active
        and "head" in person.roles
        and department is not None
        and person.department == department
    )


def can_edit_staff(person: Person) -> bool:
    return person.is_admin


# --- VIP receptions --------------------------------------------------------------------------

ANNOUNCER_ROLES = frozenset({"director", "gm", "cs_agent", "duty_manager", "admin"})
ANNOUNCER_DEPARTMENTS = frozenset({"mgmt", "mkt"})
CHECKER_ROLES = frozenset({"duty_manager", "cs_agent", "admin"})
OVERSEER_ROLES = frozenset({"duty_manager", "admin", "gm"})
# Management reads every visit, its archive and the month's export, as CS does.
MANAGEMENT_ROLES = frozenset({"director", "gm"})
# Who a notice goes to for its cross-check in private (the CS chat gets it too), and who
# hears of a task's escalation to "the duty manager".
DUTY_MANAGER = "duty_manager"


def can_announce_vip(person: Person) -> bool:
    """Senior management, the Marketing Center, CS and the duty manager announce VIPs."""
    if person.effective_roles & ANNOUNCER_ROLES:
        return True
    return person.is_active and person.department in ANNOUNCER_DEPARTMENTS


def can_cross_check(person: Person) -> bool:
    """The lobby duty manager and CS confirm a notice (CS's head counts as CS)."""
    if person.effective_roles & CHECKER_ROLES:
        return True
    return person.is_active and person.department == "cs" and "head" in person.roles


def can_see_every_visit(person: Person) -> bool:
    """CS, the duty manager and management: every visit, its archive, /export visits."""
    return can_cross_check(person) or bool(person.effective_roles & MANAGEMENT_ROLES)


def can_work_on_task(person: Person, departments: tuple[str, ...]) -> bool:
    """A task's own departments check it off; the duty manager may act on any task."""
    if person.effective_roles & OVERSEER_ROLES:
        return True
    return person.is_active and person.department in departments


def can_manage_visit(person: Person, *, announced_by_them: bool) -> bool:
    """Move the arrival, call off or close a visit: CS, the duty manager, or its announcer."""
    return (
        can_cross_check(person)
        or (person.is_active and announced_by_them)
        or bool(person.effective_roles & OVERSEER_ROLES)
    )


def normalise_username(raw: str) -> str:
    return raw.strip().lstrip("@").lower()


def pick_language(override: str | None, telegram_code: str | None, default: str) -> str:
    """The person's choice wins, then their Telegram app's language, then the hotel's."""
    if override in ("zh", "en"):
        return override
    if telegram_code:
        code = telegram_code.lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return default
