"""`python -m bot demo` plays a whole reception; here at a higher speed, in-process."""

from __future__ import annotations

from bot.demo import play
from bot.settings import load_settings


async def test_the_demo_plays_a_reception_from_notice_to_archive() -> None:
    lines: list[str] = []
    status = await play(load_settings(_env_file=None), out=lines.append, speed=1200)
    transcript = "\n".join(lines)
    assert status == "completed"
    for scene in (
        "announces a VIP",
        "cross-checks and confirms",
        "Housekeeping finds a problem",
        "The guest arrives",
        "closes and archives",
    ):
        assert scene in transcript
    assert "⚠️ “贵宾房查房”" in transcript  # the problem reached the departments
    assert "vip-reception-1-" in transcript  # the archive document
    card = transcript.split("now reads: ===")[-1]
    task_lines = [
        line for line in card.splitlines() if line[:2] in ("✅ ", "⏳ ", "⚠️", "🔺 ", "▫️")
    ]
    assert len(task_lines) == 9
    assert all(line.startswith("✅") for line in task_lines)
