"""Who may press a button, and where: the rule each callback prefix declares beside itself
(handlers.kit.callbacks), as data the one press guard (handlers.kit.guard) checks, and the pure
decisions it takes from them.

Callback data is typed by a client: a modified client can send any data on any message of
a chat it is in. So a press is judged by who pressed (`Who`), in which chat (`Where`), and
whether every id in its data belongs to the pressed message (`Ids`).

Pure: no Telegram, no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.hearts import may_review, may_sign
from bot.org import (
    Person,
    can_cross_check,
    can_decide_registration,
    can_edit_staff,
    can_manage_visit,
    can_work_on_task,
)


class Who(Enum):
    """Who may press: a role the action needs, or the one person the message was for."""

    CHAT_OWNER = "the person whose private chat the message is in: the one it was for"
    ACTIVE_STAFF = "active staff (the evaluator of the draft is checked by its rules)"
    ADMIN = "an admin"
    CHECKER = "a duty manager or CS (cross-check, archive a reception)"
    TASK_DEPARTMENT = "the task's departments, or an overseer"
    PROBLEM_DEPARTMENT = "the problem's task's departments, CS, or an overseer"
    VISIT_MANAGER = "CS, the duty manager, an overseer, or the visit's announcer"
    ANNOUNCER = "the visit's announcer"
    APPROVER = "an admin, or the head of the applicant's department"
    DIRECTOR = "the marketing director"
    GM = "the GM"


class Where(Enum):
    """The chat a press must come from."""

    PRIVATE = "the presser's own private chat with the bot"
    DEPARTMENT_CHAT = "a group or topic: the department chat the message was recorded in"
    PRIVATE_OR_CS = "the presser's private chat, or the CS department's chat"
    ANY = "wherever the message was sent (the ids check ties it to its chat)"


class Ids(Enum):
    """How every id in the data is tied to the pressed message, its visit or evaluation."""

    TASK_MESSAGE = "the task id: the pressed message is recorded for that task"
    ITEM_MESSAGE = "the checklist item id: the pressed message is recorded for its task"
    PROBLEM_NOTICE = "the problem id: the pressed message is recorded as its notice"
    STATUS_CARD = "the visit id: the pressed message is that visit's status card"
    BUTTON = "the data is one of the pressed message's own buttons"
    BUTTON_OF_VISIT = "one of the pressed message's own buttons, naming an existing visit"
    BUTTON_OF_REQUEST = "one of the pressed message's own buttons, naming an applicant"
    EVALUATION_SCREEN = (
        "the pressed message is a screen of the same prefix (it carries such buttons); then "
        "the evaluation's own rules, in the handler: a draft is its evaluator's (or passed to "
        "whoever scores the person now), a review id is on the period's board, a sign token "
        "is an open period. An earlier step's button on that screen gets their own answer."
    )


@dataclass(frozen=True)
class Rule:
    """What one action of a prefix needs. `refusal` overrides the toast of `who`."""

    who: Who
    where: Where
    ids: Ids
    refusal: str | None = None
    chat_refusal: str | None = None


@dataclass(frozen=True)
class Subject:
    """What the ids of a press turned out to name, as far as `Who` needs it."""

    departments: tuple[str, ...] = ()
    announced_by_presser: bool = False
    applicant_department: str | None = None


# Rules that need to know what the ids name; the others are decided by roles alone,
# before any id is looked up.
NEEDS_SUBJECT = frozenset(
    {Who.TASK_DEPARTMENT, Who.PROBLEM_DEPARTMENT, Who.VISIT_MANAGER, Who.ANNOUNCER, Who.APPROVER}
)

REFUSALS: dict[Who, str] = {
    Who.CHAT_OWNER: "press.not_allowed",
    Who.ACTIVE_STAFF: "score.not_staff",
    Who.ADMIN: "staff.not_admin",
    Who.CHECKER: "vip.check_not_allowed",
    Who.TASK_DEPARTMENT: "task.not_yours",
    Who.PROBLEM_DEPARTMENT: "task.not_yours",
    Who.VISIT_MANAGER: "visit.manage_not_allowed",
    Who.ANNOUNCER: "press.not_allowed",
    Who.APPROVER: "press.not_allowed",
    Who.DIRECTOR: "review.not_director",
    Who.GM: "sign.not_gm",
}

CHAT_REFUSALS: dict[Where, str] = {
    Where.PRIVATE: "press.private_only",
    Where.DEPARTMENT_CHAT: "press.wrong_chat",
    Where.PRIVATE_OR_CS: "press.wrong_chat",
    Where.ANY: "press.wrong_chat",
}


def may_press(who: Who, person: Person, subject: Subject | None = None) -> bool:
    """Whether this person may press a button ruled by `who` (`subject`: what it names)."""
    named = subject or Subject()
    match who:
        case Who.CHAT_OWNER:
            return True  # the chat is theirs: `Where.PRIVATE` makes them the one it was for
        case Who.ACTIVE_STAFF:
            return person.is_active
        case Who.ADMIN:
            return can_edit_staff(person)
        case Who.CHECKER:
            return can_cross_check(person)
        case Who.TASK_DEPARTMENT:
            return bool(named.departments) and can_work_on_task(person, named.departments)
        case Who.PROBLEM_DEPARTMENT:
            return bool(named.departments) and can_work_on_task(person, (*named.departments, "cs"))
        case Who.VISIT_MANAGER:
            return can_manage_visit(person, announced_by_them=named.announced_by_presser)
        case Who.ANNOUNCER:
            return person.is_active and named.announced_by_presser
        case Who.APPROVER:
            return can_decide_registration(person, named.applicant_department)
        case Who.DIRECTOR:
            return may_review(person)
        case Who.GM:
            return may_sign(person)


def in_right_chat(where: Where, *, private: bool, cs_chat: bool) -> bool:
    """`private`: the presser's own private chat; `cs_chat`: the chat (topic) bound to CS."""
    match where:
        case Where.PRIVATE:
            return private
        case Where.DEPARTMENT_CHAT:
            return not private
        case Where.PRIVATE_OR_CS:
            return private or cs_chat
        case Where.ANY:
            return True


def refusal_of(rule: Rule) -> str:
    return rule.refusal or REFUSALS[rule.who]


def chat_refusal_of(rule: Rule) -> str:
    return rule.chat_refusal or CHAT_REFUSALS[rule.where]
