"""Shared fixtures: a real database per test (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SessionFactory, make_engine, make_session_factory, upgrade_schema

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")

# As `python -m bot` does: PTB's time spans as timedelta, which also silences its warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
    ),
]

# Property tests. "ci" (the default, what CI runs) draws 200 inputs per test; on PostgreSQL
# a test draws at most POSTGRES_EXAMPLES of them (tests/e2e/test_any_input.drive): what the
# bot answers is the same on both, the database adds only what it refuses to store (a NUL),
# and the cases written out with @example run on both every time. "quick" is for the
# year-ahead run of .ci/run, "long" for a run by hand. No deadline: an end-to-end example
# waits for the bot, which varies.
settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile("quick", max_examples=25, deadline=None, print_blob=True)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
POSTGRES_EXAMPLES = 25
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A fixed instant for tests that need "now": 2026-11-27 10:00 in Shanghai.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a fresh SQLite file, or PostgreSQL's `public` schema wiped."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hotel.db'}"
        return
    engine = make_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield POSTGRES_URL


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated, empty database."""
    engine = make_engine(database_url)
    await upgrade_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return make_session_factory(engine)
