"""Every state machine's states, one StrEnum each: what models store, rules decide on,
handlers compare and catalogs label (a member is its own stored string, so a row read back
compares equal to it). A new state is added here, with its label in both catalogs:
tests/test_states.py fails otherwise.

Pure: no Telegram, no database.
"""

from __future__ import annotations

from enum import StrEnum


class VisitStatus(StrEnum):
    """A visit's life: announced and waiting for the duty manager / CS cross-check, sent back
    to its announcer with a reason, confirmed (its tasks exist), the guest arrived, archived,
    or called off."""

    AWAITING_CHECK = "awaiting_check"
    RETURNED = "returned"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_VISIT_STATUSES = (
    VisitStatus.AWAITING_CHECK,
    VisitStatus.RETURNED,
    VisitStatus.CONFIRMED,
    VisitStatus.ARRIVED,
)


class TaskStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderKind(StrEnum):
    """A VIP task's timed messages: its assignment, its reminder, a level of escalation."""

    ASSIGN = "assign"
    REMIND = "remind"
    ESCALATE = "escalate"


class EvaluationReminderKind(StrEnum):
    REMIND = "remind"  # to evaluators with people still unscored
    LATE = "late"  # to the director: who is late, after the deadline
    UNASSIGNED = "unassigned"  # to admins: people nobody scores, when the period opens


class OutboxState(StrEnum):
    """A timed message's row (both outboxes): sent exactly once."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; one that stops is resumed after a lease
    SENT = "sent"
    CANCELLED = "cancelled"
    # Rows a stopped sender left before migration 0004. Since then its row is resumed, and
    # only the one call under way is "maybe" (an OutboxSend): never resent, CS is told.
    UNCERTAIN = "uncertain"


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    SIGNED = "signed"


UNSIGNED_PERIODS = (PeriodStatus.OPEN, PeriodStatus.CLOSED)


class EvaluationStatus(StrEnum):
    """An evaluation's life: scored in a draft, submitted to the director, returned to its
    evaluator with a reason, confirmed (then signed with its period)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    CONFIRMED = "confirmed"


class TaskRefusal(StrEnum):
    """Why a press on a task changed nothing (its toast: task.refused.<reason>)."""

    ALREADY_DONE = "already_done"
    ALREADY_CLAIMED = "already_claimed"
    CHECKLIST_OPEN = "checklist_open"
    VISIT_CLOSED = "visit_closed"
    ALREADY_TICKED = "already_ticked"
    ALREADY_RESOLVED = "already_resolved"
