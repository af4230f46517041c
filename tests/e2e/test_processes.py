"""The bot as a deployment runs it: `python -m bot …` in its own process, over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import Sandbox, SandboxClient

TOKEN = "5151:PROCESS-TEST"


def clean_env(**settings: str) -> dict[str, str]:
    """The machine's environment without any bot setting, plus the given ones."""
    names = {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "HOTEL_TIMEZONE",
        "DEFAULT_LANGUAGE",
        "ADMIN_USER_IDS",
    }
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(settings)
    return env


async def test_python_m_bot_run_answers_a_command_through_the_sandbox(tmp_path: Path) -> None:
    async with Sandbox(token=TOKEN) as sandbox:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=sandbox.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            DEFAULT_LANGUAGE="en",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            guest = sandbox.add_user(3001, "Grace", language_code="en")
            await sandbox.send_message(guest, text="/start")
            answer = await sandbox.wait_for_message(guest, timeout=60)
            assert "Hello, Grace!" in answer["text"]
            assert sandbox.violations == []
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, output.decode()
        assert b"Traceback" not in output


def test_run_without_a_token_says_what_to_set_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN=" in result.stderr
    assert "python -m bot sandbox" in result.stderr
    assert len(result.stderr.splitlines()) < 25  # one screen


def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean_env(HOTEL_TIMEZONE="Mars/Olympus"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "HOTEL_TIMEZONE" in lines[0]
    assert "Asia/Shanghai" in lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sandbox_process(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`python -m bot sandbox` as a person starts it, with its banner read from stdout."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner = []
    for line in process.stdout:
        banner.append(line)
        if "Stop with Ctrl+C" in line:
            break
    yield f"http://127.0.0.1:{port}", "".join(banner)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output


def test_sandbox_mode_lets_a_person_talk_to_the_demo_hotel_over_http(
    sandbox_process: tuple[str, str],
) -> None:
    url, banner = sandbox_process
    assert f"listening on {url}" in banner
    with SandboxClient(url) as client:
        state = client.state()
        assert {u["id"] for u in state["users"]} >= {1001, 1012}
        client.send_message(1012, "/start")
        answer = client.wait_for_message(1012, timeout=30)
        # Emily Hart is front-office staff in the demo roster; her language is English.
        assert "Hello, Emily Hart!" in answer["text"]
        assert "Front Office" in answer["text"]
        client.send_message(1001, "/help")
        admin_help = client.wait_for_message(1001, timeout=30)
        assert "/bind" in admin_help["text"]
        assert client.violations() == []


def test_roster_import_from_the_command_line_then_again_updates(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "telegram_id,name,department,roles,reports_to,language\n"
        "8001,Huang Mei,hk,head,,zh\n"
        "8002,Zhao Qiang,hk,staff,8001,zh\n",
        encoding="utf-8",
    )
    env = clean_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", DEFAULT_LANGUAGE="en"
    )
    command = [sys.executable, "-m", "bot", "roster", "import", str(roster)]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert (
        first.stdout.strip()
        == "Roster imported: 2 added, 0 updated, 0 waiting for their first /start."
    )
    assert (
        again.stdout.strip()
        == "Roster imported: 0 added, 2 updated, 0 waiting for their first /start."
    )

    roster.write_text("telegram_id,name,department\n8003,Nobody,kitchen\n", encoding="utf-8")
    bad = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Line 2" in bad.stderr
    assert "kitchen" in bad.stderr


def test_alembic_upgrade_head_builds_an_empty_database(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    root = Path(__file__).resolve().parents[2]
    alembic = Path(sys.executable).with_name("alembic")
    result = subprocess.run(
        [str(alembic), "-c", str(root / "alembic.ini"), "upgrade", "head"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        departments = connection.execute("SELECT count(*) FROM department").fetchone()[0]
    assert {"department", "chat_binding", "staff", "staff_role"} <= tables
    assert departments == 9


async def test_a_malformed_playbook_stops_start_up_naming_file_line_and_reason(
    tmp_path: Path,
) -> None:
    playbook = tmp_path / "hotel-playbook.toml"
    playbook.write_text(
        '[[task]]\nkey = "parking"\ndepartments = ["garage"]\nat = "T-2h"\n'
        'title_zh = "车位"\ntitle_en = "Parking"\n',
        encoding="utf-8",
    )
    async with Sandbox(token=TOKEN) as sandbox:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=sandbox.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            PLAYBOOK_PATH=str(playbook),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    last = err.decode().strip().splitlines()[-1]
    assert f"{playbook}:3:" in last
    assert "garage" in last
    assert "Traceback" not in err.decode()
