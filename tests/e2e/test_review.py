"""The director's /review, the GM's /sign and the admins' /period, through the sandbox.

Scores are put in by driving storage directly (the /score conversation is tested on its
own); everything the director, the GM and the admin do is done as they would do it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot import hearts
from bot.hearts import split_period
from bot.runtime import Runtime
from bot.settings import Settings
from bot.states import EvaluationReminderKind, EvaluationStatus, OutboxState, PeriodStatus
from handlers.evaluation.board import load_board
from handlers.evaluation.review_screens import shown_digest
from sandbox import Sandbox
from storage import hearts as store
from storage import org
from storage.models import Evaluation, EvaluationPeriod
from tests.conftest import NOW
from tests.e2e.conftest import ADMIN_ID, FakeClock, eventually, running_bot, seen
from tests.e2e.evaluation import EvaluationHotel

PERIOD = "2026-11"
TOKEN = "202611"

# Each evaluee: evaluator, department, scores in HEARTS order, comments, overall comment.
PLAN: dict[str, tuple[str, str, tuple[int, ...], dict[str, str], str]] = {
    "Sam": ("Hannah", "hk", (4, 5, 4, 2, 4, 5), {"patience": "Rushed a guest at checkout"}, ""),
    "Sue": ("Hannah", "hk", (5, 5, 5, 4, 5, 4), {}, "A model of care"),
    "Fay": ("Felix", "fb", (3, 4, 4, 4, 3, 4), {}, ""),
    "Hannah": ("Olivia", "hk", (4, 4, 4, 4, 4, 4), {}, ""),
    "Felix": ("Olivia", "fb", (5, 4, 3, 4, 5, 4), {}, ""),
}


async def open_november(runtime: Runtime, clock: FakeClock) -> EvaluationPeriod:
    async with runtime.sessions() as session:
        period, _ = await store.open_period(
            session, PERIOD, now=clock(), zone=runtime.settings.zone
        )
    return period


async def score(
    evaluation: EvaluationHotel, clock: FakeClock, name: str, *, submit: bool = True
) -> int:
    """Score `name` as their evaluator would in /score, step by step; submit unless told."""
    runtime = evaluation.runtime
    evaluator, department, numbers, comments, overall = PLAN[name]
    await open_november(runtime, clock)
    rules = hearts.PeriodRules()
    scores = dict(zip(hearts.HEARTS, numbers, strict=True))
    evaluator_id = evaluation.id_of(evaluator)
    async with runtime.sessions() as session:
        started = await store.start_evaluation(
            session,
            period_key=PERIOD,
            evaluee_id=evaluation.id_of(name),
            evaluator_id=evaluator_id,
            department=department,
            now=clock(),
        )
        assert started.id is not None
        evaluation_id = started.id
        given: dict[str, int] = {}
        said: dict[str, str] = {}
        step = started.step
        while step != hearts.STEP_SUMMARY:
            parsed = hearts.parse_step(step, rules)
            assert parsed is not None
            if parsed.kind == "h":
                assert parsed.index is not None
                heart = hearts.HEARTS[parsed.index]
                given[heart] = scores[heart]
                following = hearts.step_after_score(
                    parsed.index, given, said, rules, changing=False, overall_done=False
                )
                assert await store.record_score(
                    session,
                    evaluation_id,
                    expected_step=step,
                    heart=heart,
                    score=scores[heart],
                    next_step=following,
                    now=clock(),
                )
            elif parsed.kind == "c":
                assert parsed.index is not None
                heart = hearts.HEARTS[parsed.index]
                said[heart] = comments[heart]
                following = hearts.next_step(given, said, rules, overall_done=False)
                assert await store.record_comment(
                    session,
                    evaluation_id,
                    expected_step=step,
                    heart=heart,
                    comment=comments[heart],
                    next_step=following,
                    now=clock(),
                )
            else:
                following = hearts.STEP_SUMMARY
                assert await store.record_comment(
                    session,
                    evaluation_id,
                    expected_step=step,
                    heart=None,
                    comment=overall,
                    next_step=following,
                    now=clock(),
                )
            step = following
        if submit:
            assert await store.submit(
                session, evaluation_id, by=evaluator_id, now=clock(), period_status="open"
            )
    return evaluation_id


async def score_everyone(evaluation: EvaluationHotel, clock: FakeClock) -> dict[str, int]:
    return {name: await score(evaluation, clock, name) for name in PLAN}


async def evaluation_row(runtime: Runtime, evaluation_id: int) -> Evaluation:
    async with runtime.sessions() as session:
        row = await store.get_evaluation(session, evaluation_id)
    assert row is not None
    return row


async def period_row(runtime: Runtime) -> EvaluationPeriod:
    async with runtime.sessions() as session:
        row = await store.get_period(session, PERIOD)
    assert row is not None
    return row


async def statuses(runtime: Runtime, ids: Mapping[str, int]) -> dict[str, str]:
    return {name: (await evaluation_row(runtime, i)).status for name, i in ids.items()}


def buttons(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def press(
    sandbox: Sandbox, user: Any, message_id: int, data: str, *, raw: bool = False
) -> str:
    """Press a button (or send forged data) in the user's private chat; the toast text."""
    if raw:
        query = await sandbox.press_raw(user, None, message_id, data)
    else:
        query = await sandbox.press_button(user, None, message_id, data=data)
    return str((await sandbox.wait_callback_answer(query)).get("text") or "")


async def review(
    sandbox: Sandbox, evaluation: EvaluationHotel, count: int
) -> list[dict[str, Any]]:
    """Diana sends /review; her `count` answers (departments, then Confirm all)."""
    await sandbox.send_message(evaluation["Diana"], text="/review")
    return await sandbox.wait_for_messages(evaluation["Diana"], count)


async def all_data(runtime: Runtime, count: int) -> str:
    """The data of the "Confirm all (count)" button for what the database holds now."""
    board = await load_board(runtime, PERIOD)
    assert board is not None
    return f"hr:all:{TOKEN}:{count}:{shown_digest(board)}"


def current(sandbox: Sandbox, evaluation: EvaluationHotel, name: str, message_id: int) -> Any:
    message = sandbox.message(evaluation[name], message_id)
    assert message is not None
    return message


# --- /review ---------------------------------------------------------------------------------


async def test_the_director_sees_each_department_and_a_confirm_redraws_its_buttons(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    ids = await score_everyone(evaluation, clock)
    hk, fb, mgmt, confirm_all = await review(sandbox, evaluation, 4)

    assert hk["text"].splitlines()[:2] == [
        seen(
            runtime, "en", "review.department", department="Housekeeping", period="November 2026"
        ),
        seen(runtime, "en", "review.counts", submitted=3, confirmed=0, returned=0, waiting=0),
    ]
    # Sam's block: evaluator, compact scores with total and average, the low score's comment.
    assert "Sam Staff — submitted, awaiting the director" in hk["text"]
    assert "Scored by Hannah Head" in hk["text"]
    assert "Conf 4 Warm 5 Att 4 Pat 2 Sin 4 Care 5 · total 24/30 · average 4.00" in hk["text"]
    assert "⚠️ Patience 2: Rushed a guest at checkout" in hk["text"]
    assert "Overall: A model of care" in hk["text"]
    assert ("✓ Confirm · Sam Staff", f"hr:ok:{ids['Sam']}") in buttons(hk)
    assert ("↩ Return", f"hr:ret:{ids['Sam']}") in buttons(hk)
    assert ("🕓 History", f"hr:hist:{ids['Sam']}") in buttons(hk)
    # Felix's department lists Nadia, whom nobody scores; Olivia (nobody scores her either)
    # makes Management's message.
    assert fb["text"].startswith("📋 Food & Beverage")
    assert "Nadia Nobody — nobody scores them" in fb["text"]
    assert seen(runtime, "en", "review.counts_unassigned", count=1) in fb["text"]
    assert "Olivia Ops — nobody scores them" in mgmt["text"]
    assert buttons(mgmt) == []
    assert confirm_all["text"] == seen(
        runtime, "en", "review.all_text", count=5, period="November 2026"
    )
    assert buttons(confirm_all) == [("✓ Confirm all (5)", await all_data(runtime, 5))]

    toast = await press(sandbox, evaluation["Diana"], hk["message_id"], f"hr:ok:{ids['Sam']}")
    assert toast == seen(runtime, "en", "review.confirmed", name="Sam Staff")
    sam = await evaluation_row(runtime, ids["Sam"])
    assert sam.status == EvaluationStatus.CONFIRMED
    assert sam.confirmed_by == evaluation.id_of("Diana")
    assert sam.confirmed_at == clock()
    # The message now matches the database: Sam has only History, the others still decide.
    redrawn = current(sandbox, evaluation, "Diana", hk["message_id"])
    assert ("🕓 History · Sam Staff", f"hr:hist:{ids['Sam']}") in buttons(redrawn)
    assert all(data != f"hr:ok:{ids['Sam']}" for _, data in buttons(redrawn))
    assert "Sam Staff — confirmed by the director" in redrawn["text"]
    assert (
        seen(runtime, "en", "review.counts", submitted=2, confirmed=1, returned=0, waiting=0)
        in redrawn["text"]
    )
    assert buttons(current(sandbox, evaluation, "Diana", confirm_all["message_id"])) == [
        ("✓ Confirm all (4)", await all_data(runtime, 4))
    ]

    # A second press of the old button changes nothing and says why.
    toast = await press(
        sandbox, evaluation["Diana"], hk["message_id"], f"hr:ok:{ids['Sam']}", raw=True
    )
    assert toast == seen(runtime, "en", "review.already.confirmed", name="Sam Staff")
    async with runtime.sessions() as session:
        kinds = [e.kind for e in await store.history(session, ids["Sam"])]
    assert kinds == ["started", "submitted", "confirmed"]
    # Nothing of this reached the housekeeping group.
    assert evaluation.group_texts()[1:] == []


async def test_a_returned_evaluation_reaches_its_evaluator_with_the_reason_and_comes_back(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    ids = await score_everyone(evaluation, clock)
    _hk, fb, _mgmt, confirm_all = await review(sandbox, evaluation, 4)
    diana = evaluation["Diana"]

    await press(sandbox, diana, fb["message_id"], f"hr:ret:{ids['Fay']}")
    question = await sandbox.wait_for_message(diana)
    assert question["text"] == seen(
        runtime,
        "en",
        "review.return_ask",
        evaluee="Fay Staff",
        period="November 2026",
        evaluator="Felix Head",
    )
    asked = [p for m, p in sandbox.requests if m == "sendMessage" and p["chat_id"] == diana.id]
    assert asked[-1]["reply_markup"]["force_reply"] is True
    assert (await evaluation_row(runtime, ids["Fay"])).status == EvaluationStatus.SUBMITTED

    clock.advance(minutes=5)
    await sandbox.send_message(
        diana, text="Sincerity 3 needs a comment", reply_to=question["message_id"]
    )
    done = await sandbox.wait_for_message(diana)
    assert done["text"] == seen(
        runtime, "en", "review.returned_done", evaluee="Fay Staff", evaluator="Felix Head"
    )
    # Felix reads Chinese: told in his language, who returned whose evaluation, and why.
    told = await sandbox.wait_for_message(evaluation["Felix"])
    assert told["text"] == seen(
        runtime,
        "zh",
        "review.returned_evaluator",
        director="Diana Director",
        evaluee="Fay Staff",
        period="2026年11月",
        reason="Sincerity 3 needs a comment",
    )
    fay = await evaluation_row(runtime, ids["Fay"])
    assert fay.status == EvaluationStatus.RETURNED
    assert fay.return_reason == "Sincerity 3 needs a comment"
    async with runtime.sessions() as session:
        events = await store.history(session, ids["Fay"])
    assert (events[-1].kind, events[-1].actor_id, events[-1].detail, events[-1].at) == (
        "returned",
        evaluation.id_of("Diana"),
        "Sincerity 3 needs a comment",
        clock(),
    )
    # The department message was redrawn: Fay is returned, with the reason and no decision.
    redrawn = await eventually(
        lambda: current(sandbox, evaluation, "Diana", fb["message_id"]),
        lambda message: "Fay Staff — returned to the evaluator" in message["text"],
    )
    assert "↩️ Returned because: Sincerity 3 needs a comment" in redrawn["text"]
    assert all(data != f"hr:ok:{ids['Fay']}" for _, data in buttons(redrawn))
    # The Confirm-all message is redrawn right after (a moment later).
    four = await all_data(runtime, 4)
    await eventually(
        lambda: buttons(current(sandbox, evaluation, "Diana", confirm_all["message_id"])),
        lambda shown: shown == [("✓ Confirm all (4)", four)],
    )
    # Return again: refused, it is no longer submitted.
    toast = await press(sandbox, diana, fb["message_id"], f"hr:ret:{ids['Fay']}", raw=True)
    assert toast == seen(runtime, "en", "review.already.returned", name="Fay Staff")

    # The history button shows who did what, and when.
    await press(sandbox, diana, redrawn["message_id"], f"hr:hist:{ids['Fay']}")
    history = await sandbox.wait_for_message(diana)
    assert history["text"].startswith("🕓 Fay Staff · Food & Beverage · November 2026")
    assert "2026-11-27 10:00 · submitted by Felix Head" in history["text"]
    assert (
        "2026-11-27 10:05 · returned by Diana Director: Sincerity 3 needs a comment"
        in history["text"]
    )

    # Felix fixes it and submits again: the director can decide on it again.
    async with runtime.sessions() as session:
        assert await store.submit(
            session,
            ids["Fay"],
            by=evaluation.id_of("Felix"),
            now=clock(),
            period_status="open",
        )
    again = await review(sandbox, evaluation, 4)
    assert ("✓ Confirm · Fay Staff", f"hr:ok:{ids['Fay']}") in buttons(again[1])
    assert buttons(again[3]) == [("✓ Confirm all (5)", await all_data(runtime, 5))]


async def test_confirm_all_confirms_only_the_count_the_director_saw(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    ids = {name: await score(evaluation, clock, name) for name in ("Sam", "Sue", "Hannah")}
    fay = await score(evaluation, clock, "Fay", submit=False)
    hk, _fb, _mgmt, confirm_all = await review(sandbox, evaluation, 4)
    three = await all_data(runtime, 3)
    assert buttons(confirm_all) == [("✓ Confirm all (3)", three)]

    # Felix submits Fay after the director's list was drawn: the button's 3 no longer holds.
    async with runtime.sessions() as session:
        assert await store.submit(
            session, fay, by=evaluation.id_of("Felix"), now=clock(), period_status="open"
        )
    toast = await press(sandbox, evaluation["Diana"], confirm_all["message_id"], three)
    assert toast == seen(runtime, "en", "review.all_changed_toast")
    assert set((await statuses(runtime, ids | {"Fay": fay})).values()) == {
        EvaluationStatus.SUBMITTED
    }
    shown = current(sandbox, evaluation, "Diana", confirm_all["message_id"])
    assert shown["text"].startswith(seen(runtime, "en", "review.all_changed"))
    four = await all_data(runtime, 4)
    assert buttons(shown) == [("✓ Confirm all (4)", four)]

    toast = await press(sandbox, evaluation["Diana"], confirm_all["message_id"], four)
    assert toast == seen(runtime, "en", "review.all_done", count=4, period="November 2026")
    assert set((await statuses(runtime, ids | {"Fay": fay})).values()) == {
        EvaluationStatus.CONFIRMED
    }
    assert buttons(current(sandbox, evaluation, "Diana", confirm_all["message_id"])) == []
    # The department messages were redrawn too: no Confirm or Return is left.
    redrawn = current(sandbox, evaluation, "Diana", hk["message_id"])
    assert {data.split(":")[1] for _, data in buttons(redrawn)} == {"hist"}
    # Pressing Confirm all again (a slow client's second tap on a message that kept no
    # button) confirms nothing more.
    toast = await press(sandbox, evaluation["Diana"], confirm_all["message_id"], four, raw=True)
    assert toast == seen(runtime, "en", "common.stale_button")
    assert set((await statuses(runtime, ids | {"Fay": fay})).values()) == {
        EvaluationStatus.CONFIRMED
    }


async def test_after_a_restart_confirm_all_still_redraws_every_message_of_the_review(
    sandbox: Sandbox,
    evaluation: EvaluationHotel,
    runtime: Runtime,
    clock: FakeClock,
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    handler_errors: list[BaseException],
) -> None:
    """Which messages the latest /review sent is a row, not the process's memory: the bot
    that redraws them (after a restart, or another instance) need not be the one that sent
    them."""
    await score_everyone(evaluation, clock)
    hk, fb, _mgmt, confirm_all = await review(sandbox, evaluation, 4)
    five = await all_data(runtime, 5)
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    async with running_bot(settings, clock, handler_errors):
        toast = await press(sandbox, evaluation["Diana"], confirm_all["message_id"], five)
        assert toast == seen(runtime, "en", "review.all_done", count=5, period="November 2026")
        await sandbox.wait_idle()
        for message in (hk, fb):  # the departments whose people were confirmed
            redrawn = current(sandbox, evaluation, "Diana", message["message_id"])
            assert {data.split(":")[1] for _, data in buttons(redrawn)} == {"hist"}
            assert "confirmed by the director" in redrawn["text"]
        assert buttons(current(sandbox, evaluation, "Diana", confirm_all["message_id"])) == []
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)


# --- /sign -----------------------------------------------------------------------------------


async def test_the_gm_signs_after_a_confirmation_and_everyone_is_told_without_a_score(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    ids = await score_everyone(evaluation, clock)
    async with runtime.sessions() as session:
        confirmed = await store.confirm_all(
            session, PERIOD, by=evaluation.id_of("Diana"), now=clock()
        )
    assert sorted(confirmed) == sorted(ids.values())
    hk_board, *_rest = await review(sandbox, evaluation, 4)
    george = evaluation["George"]

    await sandbox.send_message(george, text="/sign")
    overview = await sandbox.wait_for_message(george)
    text = overview["text"]
    assert text.startswith(seen(runtime, "zh", "sign.title", period="2026年11月"))
    assert "✓ Sam Staff · 24/30 · 4.00" in text
    assert "❔ 没有评分人：Nadia Nobody" in text
    assert "❔ 没有评分人：Olivia Ops" in text
    assert seen(runtime, "zh", "sign.ready", count=5) in text
    assert buttons(overview) == [("✍️ 签署2026年11月", f"hg:ask:{TOKEN}")]

    await press(sandbox, george, overview["message_id"], f"hg:ask:{TOKEN}")
    asking = current(sandbox, evaluation, "George", overview["message_id"])
    assert seen(runtime, "zh", "sign.ask", period="2026年11月") in asking["text"]
    assert buttons(asking) == [("✅ 确定签署", f"hg:yes:{TOKEN}"), ("取消", f"hg:no:{TOKEN}")]
    assert (await period_row(runtime)).status == PeriodStatus.OPEN  # asking signs nothing

    clock.advance(minutes=30)
    toast = await press(sandbox, george, overview["message_id"], f"hg:yes:{TOKEN}")
    assert toast == seen(runtime, "zh", "sign.done", period="2026年11月")
    period = await period_row(runtime)
    assert (period.status, period.signed_by, period.signed_at) == (
        PeriodStatus.SIGNED,
        evaluation.id_of("George"),
        clock(),
    )
    async with runtime.sessions() as session:
        for evaluation_id in ids.values():
            last = (await store.history(session, evaluation_id))[-1]
            assert (last.kind, last.actor_id) == ("signed", evaluation.id_of("George"))
    signed = current(sandbox, evaluation, "George", overview["message_id"])
    assert buttons(signed) == []
    assert "George GM 已于 2026-11-27 10:30 签署" in signed["text"]

    # Every confirmed evaluee is told, in their language, with nothing but the pointer.
    for name in ids:
        language = "zh" if name in ("Fay", "Felix") else "en"
        period_name = "2026年11月" if language == "zh" else "November 2026"
        notice = await sandbox.wait_for_message(evaluation[name])
        assert notice["text"] == seen(runtime, language, "sign.notice_evaluee", period=period_name)
        # Exactly the pointer to /myscore: no score, total or comment rides along.
        assert "/myscore" in notice["text"]
        assert evaluation.inbox(name) == [notice]
    told = await sandbox.wait_for_message(evaluation["Diana"])
    assert told["text"] == seen(
        runtime, "en", "sign.notice_director", gm="George GM", period="November 2026", count=5
    )
    assert evaluation.inbox("Nadia") == []
    assert evaluation.inbox("Olivia") == []

    # A second signature (a second tap on the overview, which kept no button) is one
    # sentence and changes nothing.
    toast = await press(sandbox, george, overview["message_id"], f"hg:yes:{TOKEN}", raw=True)
    assert toast == seen(runtime, "zh", "common.stale_button")
    assert (await period_row(runtime)).signed_at == period.signed_at
    again = await evaluation.say("George", f"/sign {PERIOD}")
    assert (
        seen(runtime, "zh", "review.signed_header", who="George GM", at="2026-11-27 10:30")
        in (again["text"])
    )
    assert buttons(again) == []

    # After signing nothing moves: forged on the director's board (its History buttons are
    # left), her old buttons refuse in one sentence.
    sam_before = await evaluation_row(runtime, ids["Sam"])
    for data in (f"hr:ok:{ids['Sam']}", f"hr:ret:{ids['Sam']}", f"hr:all:{TOKEN}:5:0"):
        toast = await press(sandbox, evaluation["Diana"], hk_board["message_id"], data, raw=True)
        assert toast == seen(runtime, "en", "review.refused_signed", period="November 2026")
    assert await evaluation_row(runtime, ids["Sam"]) == sam_before
    async with runtime.sessions() as session:
        assert (
            await store.evaluations_in(session, PERIOD, statuses=(EvaluationStatus.RETURNED,))
            == []
        )
    assert evaluation.group_texts()[1:] == []


async def test_signing_is_refused_when_the_period_changed_after_the_gm_looked(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    sam = await score(evaluation, clock, "Sam")
    fay = await score(evaluation, clock, "Fay", submit=False)
    george = evaluation["George"]

    # Nothing confirmed yet: no Sign button, and the reason instead.
    first = await evaluation.say("George", "/sign")
    assert seen(runtime, "zh", "hearts.sign.error.unconfirmed") in first["text"]
    assert buttons(first) == []

    async with runtime.sessions() as session:
        assert await store.confirm(session, sam, by=evaluation.id_of("Diana"), now=clock())
    overview = await evaluation.say("George", "/sign")
    assert "⏳ 未提交：Fay Staff（Felix Head）" in overview["text"]
    await press(sandbox, george, overview["message_id"], f"hg:ask:{TOKEN}")
    # Fay is submitted while the GM is being asked: the signature is refused.
    async with runtime.sessions() as session:
        assert await store.submit(
            session, fay, by=evaluation.id_of("Felix"), now=clock(), period_status="open"
        )
    toast = await press(sandbox, george, overview["message_id"], f"hg:yes:{TOKEN}")
    assert toast == seen(runtime, "zh", "hearts.sign.error.unconfirmed")
    assert (await period_row(runtime)).status == PeriodStatus.OPEN
    shown = current(sandbox, evaluation, "George", overview["message_id"])
    assert buttons(shown) == []
    assert "📨 待总监审核：Fay Staff" in shown["text"]
    assert evaluation.inbox("Sam") == []

    # Cancel from the question goes back to the overview and signs nothing.
    async with runtime.sessions() as session:
        assert await store.confirm(session, fay, by=evaluation.id_of("Diana"), now=clock())
    overview = await evaluation.say("George", "/sign")
    await press(sandbox, george, overview["message_id"], f"hg:ask:{TOKEN}")
    await press(sandbox, george, overview["message_id"], f"hg:no:{TOKEN}")
    back = current(sandbox, evaluation, "George", overview["message_id"])
    assert buttons(back) == [("✍️ 签署2026年11月", f"hg:ask:{TOKEN}")]
    assert (await period_row(runtime)).status == PeriodStatus.OPEN


# --- refusals --------------------------------------------------------------------------------


async def test_wrong_people_chats_and_buttons_get_one_sentence_and_change_nothing(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    sam_id = await score(evaluation, clock, "Sam")

    assert (await evaluation.say("Sam", "/review"))["text"] == seen(
        runtime, "en", "review.not_director"
    )
    assert (await evaluation.say("Sam", "/sign"))["text"] == seen(runtime, "en", "sign.not_gm")
    assert (await evaluation.say("Sam", "/period"))["text"] == seen(
        runtime, "en", "period.not_admin"
    )
    assert (await evaluation.say("Diana", "/sign"))["text"] == seen(runtime, "en", "sign.not_gm")
    assert (await evaluation.say("George", "/review"))["text"] == seen(
        runtime, "zh", "review.not_director"
    )
    assert (await evaluation.say("Diana", "/review 2025-01"))["text"] == seen(
        runtime, "en", "evaluation.no_such_period", period="January 2025"
    )
    assert (await evaluation.say("Diana", "/review soon"))["text"] == seen(
        runtime, "en", "hearts.period.error.unreadable", text="soon"
    )

    # In the group: one line asking for the private chat, and no score. (The line follows
    # the sender's language today; group texts should use the hotel's: reported.)
    private_only = {seen(runtime, lang, "evaluation.private_only") for lang in ("en", "zh")}
    before = len(evaluation.group_texts())
    for who, command in (("Diana", "/review"), ("George", "/sign"), ("Sam", "/review")):
        await sandbox.send_message(evaluation[who], evaluation.group, command)
        answer = await sandbox.wait_for_message(evaluation.group)
        assert answer["text"] in private_only
    await sandbox.send_message(evaluation.admin, evaluation.group, "/period")
    answer = await sandbox.wait_for_message(evaluation.group)
    assert answer["text"] in private_only
    assert len(evaluation.group_texts()) == before + 4
    assert not any("Sam Staff" in text or "24" in text for text in evaluation.group_texts())

    # Forged and foreign presses.
    hk, *_ = await review(sandbox, evaluation, 3)
    diana = evaluation["Diana"]
    stale = seen(runtime, "en", "common.stale_button")
    for data in ("hr:ok:999999", "hr:ok:abc", "hr:ok", "hr:nope:1", "hr:all:2026:1", "hr:ok:1:2"):
        assert await press(sandbox, diana, hk["message_id"], data, raw=True) == stale, data
    assert await press(sandbox, diana, hk["message_id"], "hr:ok:<script>", raw=True) == stale
    # Sam presses a copy of the director's button in his own chat: refused by role.
    decoy = await evaluation.say("Sam", "/review")
    toast = await press(
        sandbox, evaluation["Sam"], decoy["message_id"], f"hr:ok:{sam_id}", raw=True
    )
    assert toast == seen(runtime, "en", "review.not_director")
    toast = await press(
        sandbox, evaluation["Sam"], decoy["message_id"], f"hg:yes:{TOKEN}", raw=True
    )
    assert toast == seen(runtime, "en", "sign.not_gm")
    assert (await evaluation_row(runtime, sam_id)).status == EvaluationStatus.SUBMITTED
    assert (await period_row(runtime)).status == PeriodStatus.OPEN


# --- /period ---------------------------------------------------------------------------------


async def test_period_shows_the_open_month_and_who_nobody_scores(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    await score(evaluation, clock, "Sam")
    await score(evaluation, clock, "Sue", submit=False)
    await sandbox.send_message(evaluation.admin, text="/period")
    overview = await sandbox.wait_for_message(evaluation.admin)
    lines = overview["text"].splitlines()
    assert lines[0] == seen(runtime, "en", "period.header")
    assert (
        seen(
            runtime,
            "en",
            "period.line",
            period="November 2026",
            status="open",
            deadline="2026-12-05 18:00",
        )
        in lines
    )
    # hk: Sam submitted, Sue a draft; Hannah, Fay, Felix not started; Nadia and Olivia nobody.
    assert (
        seen(
            runtime,
            "en",
            "period.counts",
            submitted=1,
            confirmed=0,
            returned=0,
            waiting=4,
            unassigned=2,
        )
        in lines
    )
    unassigned = next(line for line in lines if line.startswith("❔"))
    assert "Nadia Nobody (Food & Beverage)" in unassigned
    assert "Olivia Ops (Management)" in unassigned
    assert seen(runtime, "en", "period.unassigned_hint") in lines
    assert "Pat" not in overview["text"]  # counts, never scores


async def test_period_deadline_moves_the_reminders_and_refuses_a_past_time(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    await open_november(runtime, clock)

    async def pending() -> list[tuple[str, int, datetime]]:
        async with runtime.sessions() as session:
            rows = await store.reminders_of(session, PERIOD)
        return [
            (r.kind, r.level, r.due_at)
            for r in rows
            if r.state == OutboxState.PENDING
            and r.kind in (EvaluationReminderKind.REMIND, EvaluationReminderKind.LATE)
        ]

    planned = await pending()
    assert len(planned) == 3

    async def admin(text: str) -> str:
        await sandbox.send_message(evaluation.admin, text=text)
        return str((await sandbox.wait_for_message(evaluation.admin))["text"])

    assert await admin(f"/period deadline {PERIOD} 2026-11-26 18:00") == seen(
        runtime, "en", "when.error.past", when="2026-11-26 18:00"
    )
    assert await admin(f"/period deadline {PERIOD} someday") == seen(
        runtime, "en", "when.error.unreadable", text="someday"
    )
    assert await admin("/period deadline 2026-13 2026-12-10 18:00") == seen(
        runtime, "en", "hearts.period.error.no_such_month", month="13"
    )
    assert await admin(f"/period deadline {PERIOD}") == seen(runtime, "en", "period.usage")
    assert await admin("/period later") == seen(runtime, "en", "period.usage")
    assert await pending() == planned
    assert (await period_row(runtime)).deadline_at == datetime(2026, 12, 5, 10, tzinfo=UTC)

    assert await admin(f"/period deadline {PERIOD} 2026-12-10 18:00") == seen(
        runtime, "en", "period.deadline_set", period="November 2026", deadline="2026-12-10 18:00"
    )
    deadline = datetime(2026, 12, 10, 10, tzinfo=UTC)
    period = await period_row(runtime)
    assert period.deadline_at == deadline
    assert sorted(due for *_, due in await pending()) == sorted(
        [*hearts.reminder_times(deadline), deadline]
    )
    async with runtime.sessions() as session:
        old = [r for r in await store.reminders_of(session, PERIOD) if r.version == 0]
    assert {
        r.state
        for r in old
        if r.kind in (EvaluationReminderKind.REMIND, EvaluationReminderKind.LATE)
    } == {OutboxState.CANCELLED}

    # "last month" is two words, and October was never opened.
    assert await admin("/period deadline last month 2026-12-10 18:00") == seen(
        runtime, "en", "evaluation.no_such_period", period="October 2026"
    )


async def test_period_close_reopen_and_open_another_month(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    await open_november(runtime, clock)

    async def admin(text: str) -> str:
        await sandbox.send_message(evaluation.admin, text=text)
        return str((await sandbox.wait_for_message(evaluation.admin))["text"])

    assert await admin("/period close 2026-11") == seen(
        runtime, "en", "period.closed", period="November 2026"
    )
    period = await period_row(runtime)
    assert period.status == PeriodStatus.CLOSED
    assert period.closed_by is not None
    assert await admin("/period close 2026-11") == seen(
        runtime, "en", "period.not_open", period="November 2026", status="closed to new scoring"
    )
    assert await admin("/period reopen 2026-11") == seen(
        runtime, "en", "period.reopened", period="November 2026"
    )
    assert (await period_row(runtime)).status == PeriodStatus.OPEN
    assert await admin("/period reopen 2026-11") == seen(
        runtime, "en", "period.not_closed", period="November 2026", status="open"
    )
    assert await admin("/period open 上月") == seen(
        runtime, "en", "period.opened", period="October 2026", deadline="2026-11-05 18:00"
    )
    async with runtime.sessions() as session:
        october = await store.get_period(session, "2026-10")
        ada = await org.find_by_telegram_id(session, ADMIN_ID)
    assert october is not None
    assert ada is not None
    assert october.opened_by == ada.id
    assert period.closed_by == ada.id
    assert await admin("/period open 2026-10") == seen(
        runtime,
        "en",
        "period.already_opened",
        period="October 2026",
        status="open",
        deadline="2026-11-05 18:00",
    )
    assert await admin("/period close 2026-09") == seen(
        runtime, "en", "evaluation.no_such_period", period="September 2026"
    )


# --- the module's small pure helpers ---------------------------------------------------------

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["2026-11", "2026-12-10", "18:00"], ("2026-11", ["2026-12-10", "18:00"])),
        (["last", "month", "12-10", "18:00"], ("2026-10", ["12-10", "18:00"])),
        (["本月"], ("2026-11", [])),
        (["11月", "明天", "18点"], ("2026-11", ["明天", "18点"])),
        (["soon", "2026-12-10"], hearts.PeriodError(hearts.PERIOD_UNREADABLE, {"text": "soon"})),
        (["2026-13"], hearts.PeriodError(hearts.PERIOD_NO_SUCH_MONTH, {"month": "13"})),
    ],
)
def test_split_period_reads_the_period_then_leaves_the_rest(
    words: list[str], expected: object
) -> None:
    assert split_period(words, now=NOW, zone=ZONE) == expected


async def test_confirm_all_refuses_when_an_evaluation_changed_behind_the_same_count(
    sandbox: Sandbox, evaluation: EvaluationHotel, runtime: Runtime, clock: FakeClock
) -> None:
    """Three submitted when the director looked; Sam's is then returned and resubmitted with
    other scores. Still three, but not the three she saw: nothing is confirmed."""
    ids = {name: await score(evaluation, clock, name) for name in ("Sam", "Sue", "Hannah")}
    _hk, _fb, _mgmt, confirm_all = await review(sandbox, evaluation, 4)
    seen_three = await all_data(runtime, 3)
    assert buttons(confirm_all) == [("✓ Confirm all (3)", seen_three)]
    clock.advance(minutes=10)
    async with runtime.sessions() as session:
        hannah = evaluation.id_of("Hannah")
        assert await store.return_evaluation(
            session, ids["Sam"], by=evaluation.id_of("Diana"), reason="Again.", now=clock()
        )
        assert await store.submit(
            session, ids["Sam"], by=hannah, now=clock(), period_status="open"
        )
    assert await all_data(runtime, 3) != seen_three
    toast = await press(sandbox, evaluation["Diana"], confirm_all["message_id"], seen_three)
    assert toast == seen(runtime, "en", "review.all_changed_toast")
    assert set((await statuses(runtime, ids)).values()) == {EvaluationStatus.SUBMITTED}
