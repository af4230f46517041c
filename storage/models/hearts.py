"""The six-hearts evaluation's tables: periods, evaluations, scores, history, reminders and
the messages of the latest /review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.states import OutboxState, PeriodStatus

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


class ReviewMessage(SQLModel, table=True):
    """A message of the latest /review in a director's chat: which part of which period's
    board it shows, so a press that changes several (Confirm all, a return answered later)
    redraws them all, whichever instance sent them and after a restart."""

    __tablename__ = "review_message"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_key: str = Field(max_length=7)
    # A department's code, "" for people without one, "*" for the Confirm-all message.
    department: str = Field(max_length=16)
    part: int = 0
    sent_at: datetime
