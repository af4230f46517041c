"""The outbox's tables: the VIP reminders, and each destination of a timed message of either
capability, written at most once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.states import OutboxState

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
