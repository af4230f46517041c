"""VIP receptions' tables: visits, their tasks, checklists, task messages, problems, the
visit's timeline and the ForceReply questions waiting for an answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.states import TaskStatus, VisitStatus

# --- VIP receptions: the visit ------------------------------------------------------------------

# Every `status`, `state` and `kind` below holds a member of a bot.states StrEnum.


class Visit(SQLModel, table=True):
    """One VIP reception notice (贵宾接待通知单) and where it stands."""

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=VisitStatus.AWAITING_CHECK, max_length=16, index=True)
    guest: str = Field(default="", max_length=128)
    company: str = Field(default="", max_length=128)
    group_name: str = Field(default="", max_length=128)
    titles: str = Field(default="", max_length=256)
    party_size: int = 1
    vehicles: int = 0
    arrival_at: datetime = Field(index=True)
    departure_at: datetime | None = None
    rooms: str = Field(default="", max_length=256)
    itinerary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requirements: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    standard: str = Field(default="", max_length=8)
    announced_by: int = Field(sa_column=Column(ForeignKey("staff.id"), nullable=False))
    announced_at: datetime
    checked_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    checked_at: datetime | None = None
    return_reason: str | None = Field(default=None, max_length=512)
    arrived_at: datetime | None = None
    closed_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    closed_at: datetime | None = None
    # The live status card in the CS chat, and when it last changed / was last redrawn:
    # redraws are coalesced to stay within Telegram's 20 edits a minute per group.
    card_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    card_thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    card_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    card_dirty_at: datetime | None = None
    # Counted up with every change the card shows: a redraw clears card_dirty_at only if no
    # change came in while it was drawing (two changes can share one `now`).
    card_seq: int = 0
    card_drawn_at: datetime | None = None
    # Until when one instance holds the card's first post (a lease, not a process lock): two
    # instances drawing at once would otherwise each post and pin a card of their own.
    card_claimed_until: datetime | None = None
    # Bumped each time the arrival moves, so re-timed reminders are new rows, not resends.
    schedule_version: int = 0


# --- VIP receptions: tasks, their checklists and the messages that carry their buttons -------


class VisitTask(SQLModel, table=True):
    """A playbook task made concrete for one visit; texts are copied so history never moves."""

    __tablename__ = "visit_task"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(
        sa_column=Column(ForeignKey("visit.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    key: str = Field(max_length=32)
    position: int = 0
    # Department codes, the responsible one first, comma-separated (e.g. "cs,hk,eng").
    departments: str = Field(max_length=128)
    title_zh: str = Field(max_length=128)
    title_en: str = Field(max_length=128)
    details_zh: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    details_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    anchor: str = Field(max_length=16)  # confirm | arrival | departure
    offset_minutes: int = 0
    due_offset_minutes: int = 0
    # "10:head;20:duty_manager+cs_lead": minutes after due, and whom to tell.
    escalation: str = Field(default="", max_length=256)
    remind_at: datetime | None = None
    due_at: datetime | None = None
    urgent: bool = False
    is_arrival: bool = False
    status: str = Field(default=TaskStatus.PENDING, max_length=16)
    claimed_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    claimed_at: datetime | None = None
    done_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    done_at: datetime | None = None
    escalated_level: int = 0
    # Counted up by every change its messages show (a claim, a tick, done); the tick redraws
    # them and records the count it drew, so a crash, an error, or a change made while
    # drawing leaves the task for the next tick. (A count, not a time: two changes can
    # share one `now`.)
    redraw_seq: int = 0
    redrawn_seq: int = 0

    @property
    def department_codes(self) -> tuple[str, ...]:
        """The departments as codes, the responsible one first: the one reading of the
        stored "cs,hk,eng"."""
        return tuple(self.departments.split(","))

    def title_in(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en

    def details_in(self, language: str) -> str:
        return self.details_zh if language == "zh" else self.details_en


class TaskCheckItem(SQLModel, table=True):
    """One line of a task's checklist (the room inspection's six items)."""

    __tablename__ = "task_check_item"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(
            ForeignKey("visit_task.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    key: str = Field(max_length=32)
    position: int = 0
    label_zh: str = Field(max_length=128)
    label_en: str = Field(max_length=128)
    done_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    done_at: datetime | None = None

    def label_in(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en


class TaskMessage(SQLModel, table=True):
    """A message the bot sent with a task's buttons, so it can be redrawn when the task moves."""

    __tablename__ = "task_message"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(
        sa_column=Column(
            ForeignKey("visit_task.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    department: str = Field(max_length=16)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=16)  # assignment | reminder


class Problem(SQLModel, table=True):
    """A problem reported on a task; it stays open until someone marks it resolved."""

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(
        sa_column=Column(ForeignKey("visit.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    task_id: int = Field(
        sa_column=Column(ForeignKey("visit_task.id", ondelete="CASCADE"), nullable=False)
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    reported_by: int = Field(sa_column=Column(ForeignKey("staff.id"), nullable=False))
    reported_at: datetime
    resolved_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    resolved_at: datetime | None = None


# --- VIP receptions: the problem notices that carry a ✔️ Resolved button -------------------


class ProblemNotice(SQLModel, table=True):
    """A problem's notice in a department chat, so a ✔️ Resolved press can be told to come
    from that problem's own notice."""

    __tablename__ = "problem_notice"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(
        sa_column=Column(ForeignKey("problem.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    sent_at: datetime


# --- What happened, for the archive's timeline, and prompts waiting for a typed reply --------


class VisitEvent(SQLModel, table=True):
    __tablename__ = "visit_event"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(
        sa_column=Column(ForeignKey("visit.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    at: datetime
    actor_id: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    kind: str = Field(max_length=32)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class PendingPrompt(SQLModel, table=True):
    """A ForceReply question waiting for its answer (works under group privacy mode).

    Kept in the database so an answer after a restart still lands.
    """

    __tablename__ = "pending_prompt"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    telegram_user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=16)  # return_reason | problem
    ref_id: int
    created_at: datetime
