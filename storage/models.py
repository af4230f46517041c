"""Database tables. Telegram ids are BIGINT: supergroup ids (-100…) overflow 32 bits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.states import OutboxState, PeriodStatus, TaskStatus, VisitStatus

# --- Organisation: departments -------------------------------------------------------------


class Department(SQLModel, table=True):
    """A unit with a code (`hk`), a name in each language, and at most one bound chat."""

    code: str = Field(primary_key=True, max_length=16)
    name_zh: str = Field(max_length=64)
    name_en: str = Field(max_length=64)
    sort_order: int = 0

    def name_in(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en


# --- Organisation: where each department talks -------------------------------------------------


class ChatBinding(SQLModel, table=True):
    """The group, or the topic of a forum supergroup, bound to a department."""

    __tablename__ = "chat_binding"
    __table_args__ = (UniqueConstraint("department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(
        sa_column=Column(ForeignKey("department.code", ondelete="CASCADE"), nullable=False)
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    # None for a plain group, or the forum's General topic.
    thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    chat_title: str = Field(default="", max_length=256)
    bound_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    bound_at: datetime


# --- People ------------------------------------------------------------------------------------

# A person's life cycle: known to the bot (said /start), asked to join, staff, turned down,
# or no longer with the hotel.
STATUS_VISITOR = "visitor"
STATUS_PENDING = "pending"
STATUS_ACTIVE = "active"
STATUS_REJECTED = "rejected"
STATUS_INACTIVE = "inactive"


class Staff(SQLModel, table=True):
    """Anyone the bot knows: a visitor, an applicant, or a member of staff.

    A roster row with only a username has no telegram_id until that person sends /start.
    """

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    # Lower-case, without "@", so a roster row and a Telegram update match.
    username: str | None = Field(default=None, max_length=32, unique=True, nullable=True)
    name: str = Field(default="", max_length=64)
    department_code: str | None = Field(
        default=None,
        sa_column=Column(ForeignKey("department.code", ondelete="SET NULL"), nullable=True),
    )
    reports_to_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    )
    # The person's own choice (/language); None means follow Telegram's language.
    language: str | None = Field(default=None, max_length=2)
    # Their Telegram app's language when last seen, for messages the bot sends first.
    telegram_language: str | None = Field(default=None, max_length=16)
    status: str = Field(default=STATUS_VISITOR, max_length=16, index=True)
    created_at: datetime
    updated_at: datetime


class StaffRole(SQLModel, table=True):
    """One role a person holds; a person may hold several."""

    __tablename__ = "staff_role"

    staff_id: int = Field(
        sa_column=Column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(primary_key=True, max_length=16)


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


# --- Outbox: every timed message is a row, sent exactly once --------------------------------


class Reminder(SQLModel, table=True):
    """A message due at a time: a task's reminder or one level of its escalation."""

    __table_args__ = (UniqueConstraint("task_id", "kind", "level", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(
        sa_column=Column(ForeignKey("visit.id", ondelete="CASCADE"), nullable=False)
    )
    task_id: int = Field(
        sa_column=Column(ForeignKey("visit_task.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)  # remind | escalate
    level: int = 0
    version: int = 0
    due_at: datetime = Field(index=True)
    state: str = Field(default=OutboxState.PENDING, max_length=16, index=True)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    late: bool = False
    # Telegram said "not yet" (429, 5xx, a timeout before the call went out): tried again at
    # next_try_at, with backoff; the destinations it already reached are not sent again.
    attempts: int = 0
    next_try_at: datetime | None = None


# What one outbox row did at one destination (a department's chat, a person's private chat),
# so a row tried again after a "not yet" never writes twice to a place it already reached.
SEND_SENDING = "sending"  # the call is under way; a crash here leaves it "maybe"
SEND_SENT = "sent"
SEND_REFUSED = "refused"  # for good: no chat bound, the bot removed, the chat gone…
SEND_MAYBE = "maybe"  # the call timed out after it went out: never resent, CS is told

OUTBOX_VISIT = "visit"  # rows of `reminder`
OUTBOX_EVALUATION = "evaluation"  # rows of `evaluation_reminder`


class OutboxSend(SQLModel, table=True):
    __tablename__ = "outbox_send"
    __table_args__ = (UniqueConstraint("outbox", "row_id", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox: str = Field(max_length=16)
    row_id: int = Field(index=True)
    target: str = Field(max_length=40)  # "dept:hk", "user:<telegram id>"
    state: str = Field(max_length=16)
    reason: str = Field(default="", max_length=256)
    at: datetime
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


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


# --- Conversations kept as rows: a half-typed /vip notice, a /register in progress ----------

DRAFT_VIP = "vip"
DRAFT_REGISTER = "register"


class ConversationDraft(SQLModel, table=True):
    """Where one person's /vip or /register conversation stands, and the answers so far.

    Read on every update, so the next answer continues it after a restart or on another
    instance. Each move is one UPDATE conditional on `version` (storage.drafts): two
    instances answering two quick messages never both move from the same state.
    """

    __tablename__ = "conversation_draft"

    telegram_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False)
    )
    kind: str = Field(primary_key=True, max_length=16)  # vip | register
    step: str = Field(max_length=32)  # the conversation's own words: "ask:party", "name"…
    answers: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    version: int = 0
    started_at: datetime
    updated_at: datetime


# --- Six-hearts evaluation: periods, evaluations, their history and reminders --------------


class EvaluationPeriod(SQLModel, table=True):
    """One month of evaluation. Its rules are copied in when it opens, so a later change of
    the defaults never rewrites a past period."""

    __tablename__ = "evaluation_period"

    key: str = Field(primary_key=True, max_length=7)  # "2026-11"
    status: str = Field(default=PeriodStatus.OPEN, max_length=16, index=True)
    starts_at: datetime
    ends_at: datetime
    deadline_at: datetime
    # Bumped each time the deadline moves, so re-timed reminders are new rows, not resends.
    deadline_version: int = 0
    scale_min: int = 1
    scale_max: int = 5
    comment_at_or_below: int = 2
    hearts: str = Field(max_length=128)  # the period's hearts, in order, comma-separated
    opened_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    opened_at: datetime
    closed_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    closed_at: datetime | None = None
    signed_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    signed_at: datetime | None = None


EVALUATION_DRAFT = "draft"
EVALUATION_SUBMITTED = "submitted"
EVALUATION_RETURNED = "returned"
EVALUATION_CONFIRMED = "confirmed"


class Evaluation(SQLModel, table=True):
    """One person's evaluation in one period, by one evaluator."""

    __table_args__ = (UniqueConstraint("period_key", "evaluee_id"),)

    id: int | None = Field(default=None, primary_key=True)
    period_key: str = Field(
        sa_column=Column(
            ForeignKey("evaluation_period.key", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    evaluee_id: int = Field(sa_column=Column(ForeignKey("staff.id"), nullable=False))
    evaluator_id: int = Field(sa_column=Column(ForeignKey("staff.id"), nullable=False))
    # The evaluee's department when scoring began: reports stay put if they move later.
    department_code: str | None = Field(default=None, max_length=16)
    status: str = Field(default=EVALUATION_DRAFT, max_length=16, index=True)
    # Where the scoring conversation stands (bot.hearts: "h:0", "c:2", "o", "s").
    step: str = Field(default="h:0", max_length=8)
    overall_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    overall_done: bool = False
    return_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime
    # When its evaluator last worked on it: the draft the next typed comment is for.
    updated_at: datetime
    submitted_at: datetime | None = None
    confirmed_by: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    confirmed_at: datetime | None = None


class EvaluationScore(SQLModel, table=True):
    """One heart's score, and the comment on it."""

    __tablename__ = "evaluation_score"

    evaluation_id: int = Field(
        sa_column=Column(ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True)
    )
    heart: str = Field(primary_key=True, max_length=16)
    score: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class EvaluationEvent(SQLModel, table=True):
    """A step of an evaluation's history: started, submitted, returned, confirmed, signed."""

    __tablename__ = "evaluation_event"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(
        sa_column=Column(
            ForeignKey("evaluation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    at: datetime
    actor_id: int | None = Field(default=None, sa_column=Column(ForeignKey("staff.id")))
    kind: str = Field(max_length=16)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class EvaluationReminder(SQLModel, table=True):
    """A timed evaluation message, sent exactly once like the VIP reminders (same states)."""

    __tablename__ = "evaluation_reminder"
    __table_args__ = (UniqueConstraint("period_key", "kind", "level", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    period_key: str = Field(
        sa_column=Column(ForeignKey("evaluation_period.key", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)
    level: int = 0
    version: int = 0
    due_at: datetime = Field(index=True)
    state: str = Field(default=OutboxState.PENDING, max_length=16, index=True)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    next_try_at: datetime | None = None
