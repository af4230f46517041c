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
        ("handlers/kit/probe.py", "from handlers import vip\n"),
        ("handlers/kit/probe.py", "from handlers.scoring import score_command\n"),
        ("handlers/kit/probe.py", "import handlers.tasks\n"),
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
        ("handlers/probe.py", "from handlers import vip\nimport telegram\n"),
        ("storage/probe.py", "from bot.states import VisitStatus\n"),
    ],
)
def test_an_allowed_import_passes(path: str, source: str) -> None:
    assert "TID251" not in lint(path, source)
