"""The organisation's tables: departments, the chats bound to them, people and roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

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
