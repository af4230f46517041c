"""What every handler needs, in one typed object stored in `bot_data` under one key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import Catalog
from bot.playbook import Playbook
from bot.settings import Settings
from storage.db import SessionFactory

RUNTIME_KEY = "runtime"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    catalog: Catalog
    # Rules take `now` as an argument; handlers get it from here so tests can move time.
    clock: Callable[[], datetime] = utc_now
    # Errors already reported to the admins, so each distinct one is reported once.
    reported_errors: set[str] = field(default_factory=set)
    # Loaded at start-up, once the department codes can be read from the database.
    playbook: Playbook | None = None
    # One tick at a time in this process: a nudge while a tick runs asks it for one more
    # round instead of starting a second one beside it (which would redraw the same messages
    # twice and spend a group's twenty messages a minute). Only an economy: correctness
    # across processes comes from the rows (claims, change counts), not from this lock.
    tick_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tick_wanted: bool = False
    # The command menu last set for each person's private chat (language, commands), so
    # it is set again only when their roles or language change (or after a restart).
    menus_shown: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def runtime_in(bot_data: Mapping[str, Any]) -> Runtime:
    """The one way to get the Runtime: from the application's (or a context's) bot_data."""
    value = bot_data[RUNTIME_KEY]
    assert isinstance(value, Runtime)
    return value
