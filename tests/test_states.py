"""Every state of every state machine has its words in both languages, and every catalog key
the code builds at run time from a state or an action exists: a new state cannot ship
showing a raw word ("awaiting_check") in a chat or an export."""

from __future__ import annotations

from enum import StrEnum

import pytest

from bot.i18n import LANGUAGES, Catalog
from bot.states import (
    EvaluationStatus,
    PeriodStatus,
    TaskRefusal,
    TaskStatus,
    VisitStatus,
)
from handlers.kit import callbacks

CATALOG = Catalog.load()

# Each state machine, and the catalog tables that name its states.
LABELLED: list[tuple[type[StrEnum], tuple[str, ...]]] = [
    (VisitStatus, ("card.status", "archive.visit_status")),
    (TaskStatus, ("archive.task_status",)),
    (EvaluationStatus, ("evaluation.status",)),
    (PeriodStatus, ("evaluation.status",)),
    (TaskRefusal, ("task.refused",)),
]

KEYS = sorted(
    {f"{table}.{state}" for states, tables in LABELLED for table in tables for state in states}
    # A task press's toast: task.ok.<action> (a problem asks its question instead).
    | {f"task.ok.{action}" for action in callbacks.PREFIXES[callbacks.TASK] if action != "prob"}
    | {"review.state.not_started", "review.state.unassigned"}
)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_state_and_built_key_has_its_text(language: str, key: str) -> None:
    assert CATALOG.texts[language].get(key), f"{language}: no text for {key}"
