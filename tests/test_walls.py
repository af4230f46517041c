"""The walls between the layers are real: lint (ruff's banned-api, per directory) refuses a
forbidden import. Each case is checked as if the probe were a file at that path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint(path: str, source: str) -> str:
    """What ruff's TID251 (banned imports) says of `source` as the file at `path`."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--no-cache",
         "--output-format", "concise", "--stdin-filename", path, "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    return done.stdout


@pytest.mark.parametrize(
    ("path", "source"),
    [
        # The kit imports no capability, nor the modules that know them all.
        ("handlers/kit/probe.py", "from handlers.reception import vip\n"),
        ("handlers/kit/probe.py", "from handlers.evaluation.scoring import score_command\n"),
        ("handlers/kit/probe.py", "import handlers.org.staff\n"),
        ("handlers/kit/probe.py", "from handlers import outbox\n"),
        # A capability never imports another.
        ("handlers/reception/probe.py", "from handlers.evaluation import results\n"),
        ("handlers/evaluation/probe.py", "from handlers.reception.task_messages import deliver\n"),
        ("handlers/org/probe.py", "import handlers.evaluation.review\n"),
        ("handlers/evaluation/probe.py", "from handlers import exports\n"),
        # The rules and storage never import telegram.
        ("storage/probe.py", "import telegram\n"),
        ("bot/probe.py", "from telegram import Bot\n"),
    ],
)
def test_a_forbidden_import_fails_lint(path: str, source: str) -> None:
    assert "TID251" in lint(path, source)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("handlers/kit/probe.py", "from handlers.kit import callbacks\nimport telegram\n"),
        ("handlers/reception/probe.py", "from handlers.kit import tick\nimport telegram\n"),
        ("handlers/reception/probe.py", "from handlers.reception import cards\n"),
        ("handlers/evaluation/probe.py", "from handlers.evaluation.shared import few_names\n"),
        # The one tick and /export know every capability.
        ("handlers/outbox.py", "from handlers.evaluation import outbox\n"),
        ("handlers/exports.py", "from handlers.reception import visits\n"),
        ("storage/probe.py", "from bot.states import VisitStatus\n"),
    ],
)
def test_an_allowed_import_passes(path: str, source: str) -> None:
    assert "TID251" not in lint(path, source)
