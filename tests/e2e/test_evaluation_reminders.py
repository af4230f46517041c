"""The evaluation's timed messages: the month opens by itself, admins hear who nobody
scores, evaluators who are behind are reminded 3 days and 1 day before the deadline, the
director gets the late list after it; each exactly once, a restart included."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import hearts
from bot.runtime import Runtime
from bot.states import OutboxState
from sandbox import Sandbox
from storage import hearts as store
from tests.conftest import NOW
from tests.e2e.conftest import FakeClock, eventually, running_bot
from tests.e2e.evaluation import EvaluationHotel

PERIOD = "2026-11"


def texts(evaluation: EvaluationHotel, first_name: str) -> list[str]:
    return [str(m.get("text", "")) for m in evaluation.inbox(first_name)]


def reminders_to(evaluation: EvaluationHotel, first_name: str) -> list[str]:
    return [text for text in texts(evaluation, first_name) if text.startswith("⏰")]


async def submit_everything_of(runtime: Runtime, evaluator: int, evaluee: int) -> None:
    """Hannah's evaluation of one of her people, scored and submitted (set-up, as /score would)."""
    async with runtime.sessions() as session:
        period = await store.get_period(session, PERIOD)
        assert period is not None
        evaluation = await store.start_evaluation(
            session,
            period_key=PERIOD,
            evaluee_id=evaluee,
            evaluator_id=evaluator,
            department="hk",
            now=NOW,
        )
        assert evaluation.id is not None
        rules = store.rules_of(period)
        for index, heart in enumerate(rules.hearts):
            after = f"h:{index + 1}" if index + 1 < len(rules.hearts) else "o"
            assert await store.record_score(
                session,
                evaluation.id,
                expected_step=f"h:{index}",
                heart=heart,
                score=4,
                next_step=after,
                now=NOW,
            )
        assert await store.record_comment(
            session,
            evaluation.id,
            expected_step="o",
            heart=None,
            comment="",
            next_step="s",
            now=NOW,
        )
        assert await store.submit(
            session, evaluation.id, by=evaluator, now=NOW, period_status=period.status
        )


async def test_the_month_opens_by_itself_and_admins_hear_who_nobody_scores(
    sandbox: Sandbox, runtime: Runtime, evaluation: EvaluationHotel, clock: FakeClock
) -> None:
    # The bot's first tick opens it (on a busy machine, a moment after start-up).
    for _ in range(100):
        async with runtime.sessions() as session:
            period = await store.get_period(session, PERIOD)
        if period is not None:
            break
        await asyncio.sleep(0.05)
    assert period is not None
    assert period.status == "open"
    assert period.opened_by is None  # nobody had to open it
    # Admins hear who nobody scores when scoring begins: the 1st of next month, 09:00.
    await sandbox.wait_idle()
    assert not any("Nadia" in str(m.get("text")) for m in sandbox.messages(evaluation.admin))
    clock.now = hearts.scoring_starts(PERIOD, runtime.settings.zone)
    admin_texts = await eventually(
        lambda: [str(m.get("text", "")) for m in sandbox.messages(evaluation.admin)],
        lambda found: any("Nadia Nobody" in text for text in found),
    )
    warning = [text for text in admin_texts if "Nadia Nobody" in text]
    assert len(warning) == 1
    # The source names nobody above the operations manager: she is listed too.
    assert "Olivia Ops" in warning[0]
    assert "Hannah Head" not in warning[0]
    assert "/staff" in warning[0]


async def test_evaluators_behind_are_reminded_and_the_director_gets_the_late_list_once(
    sandbox: Sandbox,
    runtime: Runtime,
    evaluation: EvaluationHotel,
    clock: FakeClock,
    app: object,
    settings: object,
    handler_errors: list[BaseException],
) -> None:
    await sandbox.wait_idle()
    async with runtime.sessions() as session:
        period = await store.get_period(session, PERIOD)
    assert period is not None
    # Deadline 2026-12-05 18:00 Shanghai. Three days before it …
    clock.now = period.deadline_at - timedelta(days=3)
    await eventually(lambda: reminders_to(evaluation, "Hannah"), lambda found: len(found) == 1)
    await eventually(lambda: reminders_to(evaluation, "Olivia"), lambda found: len(found) == 1)
    (hannah,) = reminders_to(evaluation, "Hannah")
    assert "Sam Staff" in hannah
    assert "Sue Staff" in hannah
    assert "2026-12-05 18:00" in hannah
    (olivia,) = reminders_to(evaluation, "Olivia")
    assert "Hannah Head" in olivia
    assert "Felix Head" in olivia
    (felix,) = await eventually(
        lambda: reminders_to(evaluation, "Felix"), lambda found: len(found) == 1
    )
    assert "Fay Staff" in felix
    assert "六心评估" in felix  # in his language
    # Admins heard who nobody scores on Dec 1, once.
    nadia = [m for m in sandbox.messages(evaluation.admin) if "Nadia" in str(m.get("text"))]
    assert len(nadia) == 1
    # Nobody who scores nobody is reminded.
    for first_name in ("Sam", "Diana", "George", "Nadia"):
        assert reminders_to(evaluation, first_name) == []

    # Hannah finishes before the 1-day reminder, which therefore leaves her alone.
    for evaluee in ("Sam", "Sue"):
        await submit_everything_of(runtime, evaluation.id_of("Hannah"), evaluation.id_of(evaluee))
    clock.now = period.deadline_at - timedelta(days=1)
    await eventually(lambda: reminders_to(evaluation, "Olivia"), lambda found: len(found) == 2)
    await eventually(lambda: reminders_to(evaluation, "Felix"), lambda found: len(found) == 2)
    await sandbox.wait_idle()
    assert len(reminders_to(evaluation, "Hannah")) == 1

    # The bot goes down just before the deadline and is back after it: the late list is
    # sent once, by the new run; nothing else is sent again.
    await app.updater.stop()  # type: ignore[attr-defined]
    await app.stop()  # type: ignore[attr-defined]
    clock.now = period.deadline_at + timedelta(hours=2)
    async with running_bot(settings, clock, handler_errors):  # type: ignore[arg-type]
        late = await eventually(
            lambda: reminders_to(evaluation, "Diana"), lambda found: len(found) == 1
        )
        await sandbox.wait_idle()
    (late_list,) = late
    assert "Olivia Ops" in late_list
    assert "Felix Head" in late_list
    assert "Fay Staff" in late_list
    assert "Hannah Head: " not in late_list  # she was on time
    assert len(reminders_to(evaluation, "Olivia")) == 2
    assert len(reminders_to(evaluation, "Felix")) == 2
    async with runtime.sessions() as session:
        rows = await store.reminders_of(session, PERIOD)
    assert sorted((row.kind, row.level, row.state) for row in rows) == [
        ("late", 0, OutboxState.SENT),
        ("remind", 0, OutboxState.SENT),
        ("remind", 1, OutboxState.SENT),
        ("unassigned", 0, OutboxState.SENT),
    ]
    # No reminder ever went to a group, and no group message holds a score.
    assert all("⏰" not in text for text in evaluation.group_texts())
    # The first application is stopped by the fixture's teardown; keep it startable.
    await app.start()  # type: ignore[attr-defined]
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[attr-defined]
