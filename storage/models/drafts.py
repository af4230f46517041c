"""Conversations kept as rows (storage.drafts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

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
