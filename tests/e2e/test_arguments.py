"""Wrong command arguments get one clear sentence with an example, in the person's language."""

from __future__ import annotations

from typing import Any

import pytest

from bot.runtime import Runtime
from tests.e2e.conftest import seen

YEARS = {"min": "2000", "max": "2100"}


@pytest.mark.parametrize(
    ("argument", "key", "params"),
    [
        ("0000-01", "hearts.period.error.year_out_of_range", YEARS),
        ("9999-12", "hearts.period.error.year_out_of_range", YEARS),
        ("2026-13", "hearts.period.error.no_such_month", {"month": "13"}),
        ("abc", "hearts.period.error.unreadable", {"text": "abc"}),
    ],
)
async def test_export_visits_with_an_impossible_month_says_what_to_send(
    evaluation: Any, runtime: Runtime, argument: str, key: str, params: dict[str, str]
) -> None:
    for name, language in (("Diana", "en"), ("George", "zh")):
        answer = await evaluation.say(name, f"/export visits {argument}")
        assert answer["text"] == seen(runtime, language, key, **params)
        assert "2026-11" in answer["text"]


@pytest.mark.parametrize(
    "argument", ["abc", "-1", "99999999999999999999", str(2**64), "#", "1.5", "١٢"]
)
async def test_a_visit_number_that_is_no_number_gets_the_usage(
    evaluation: Any, runtime: Runtime, argument: str
) -> None:
    for command, key in (
        ("visit", "visit.usage"),
        ("arrival", "visit.arrival_usage"),
        ("complete", "visit.complete_usage"),
        ("cancelvisit", "visit.cancel_usage"),
    ):
        answer = await evaluation.say("Diana", f"/{command} {argument}")
        assert answer["text"] == seen(runtime, "en", key)


async def test_months_of_the_evaluation_commands_are_refused_in_one_sentence(
    evaluation: Any, runtime: Runtime
) -> None:
    for text in ("/scores 0000-01", "/sign 9999-12", "/export scores 0000-01"):
        answer = await evaluation.say("George", text)
        assert answer["text"] == seen(
            runtime, "zh", "hearts.period.error.year_out_of_range", **YEARS
        )
    answer = await evaluation.say("Diana", "/scores 2026-13")
    assert answer["text"] == seen(runtime, "en", "hearts.period.error.no_such_month", month="13")


async def test_a_long_unreadable_month_is_echoed_as_one_short_escaped_line(
    evaluation: Any, runtime: Runtime
) -> None:
    typed = "<b>" + "x" * 3000 + "&amp;"
    answer = await evaluation.say("Diana", f"/scores {typed}")
    assert answer["text"] == seen(
        runtime, "en", "hearts.period.error.unreadable", text="<b>" + "x" * 96 + "…"
    )
    assert "&amp;" not in answer["text"]


async def test_unbind_with_text_after_it_unbinds_nothing(
    sandbox: Any, evaluation: Any, runtime: Runtime
) -> None:
    await sandbox.send_message(evaluation.admin, evaluation.group, "/unbind hk")
    answer = await sandbox.wait_for_message(evaluation.group)
    assert answer["text"] == seen(runtime, "en", "unbind.usage")
