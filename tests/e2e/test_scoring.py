"""/score as an evaluator lives it: pick a person, six hearts of 1–5 with their descriptions,
comments where they are needed, a summary to check and change, submit; a draft left
half-way resumes after a restart; wrong presses and typed text change nothing; no score
ever reaches a group."""

from __future__ import annotations

from typing import Any

from bot import hearts
from bot.runtime import Runtime
from bot.states import EvaluationStatus, PeriodStatus
from sandbox import Sandbox
from storage import hearts as store
from storage.hearts import Scored
from tests.conftest import NOW
from tests.e2e.conftest import FakeClock, running_bot, seen
from tests.e2e.evaluation import EvaluationHotel

PERIOD = "2026-11"
TOKEN = "202611"
EN_PERIOD = "November 2026"
ZH_PERIOD = "2026年11月"


# --- how an evaluator acts ---------------------------------------------------------------------


def score_label(runtime: Runtime, language: str, score: int) -> str:
    label = seen(runtime, language, f"hearts.score.{score}")
    return seen(runtime, language, "score.button", score=score, label=label)


def labels(message: dict[str, Any]) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in keyboard for button in row]


async def press(
    sandbox: Sandbox,
    user: Any,
    message_id: int,
    *,
    label: str | None = None,
    data: str | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """Press a button; the bot's toast (None when silent) and the pressed message after."""
    query = await sandbox.press_button(user, None, message_id, label=label, data=data)
    answer = await sandbox.wait_callback_answer(query)
    message = sandbox.message(user, message_id)
    assert message is not None
    return answer.get("text"), message


async def forge(sandbox: Sandbox, user: Any, message_id: int, data: str) -> str | None:
    """A press with data the bot's own buttons may not carry (any more); the toast."""
    query = await sandbox.press_raw(user, None, message_id, data)
    return (await sandbox.wait_callback_answer(query)).get("text")


async def evaluation_of(runtime: Runtime, evaluee_id: int) -> Scored | None:
    async with runtime.sessions() as session:
        found = await store.evaluation_of(session, PERIOD, evaluee_id)
        return await store.scored(session, found.id or 0) if found is not None else None


async def history_kinds(runtime: Runtime, evaluation_id: int) -> list[str]:
    async with runtime.sessions() as session:
        return [event.kind for event in await store.history(session, evaluation_id)]


async def to_summary(
    evaluation: EvaluationHotel,
    runtime: Runtime,
    evaluator: str,
    person: str,
    scores: tuple[int, ...],
) -> dict[str, Any]:
    """/score, pick `person`, press six scores of 3 or more, skip the overall comment: the
    summary (the same message, edited all along)."""
    sandbox = evaluation.sandbox
    user = evaluation[evaluator]
    listing = await evaluation.say(evaluator, "/score")
    message_id = listing["message_id"]
    await press(sandbox, user, message_id, label=person)
    for score in scores:
        await press(sandbox, user, message_id, label=score_label(runtime, "en", score))
    _toast, summary = await press(sandbox, user, message_id, label="Skip")
    assert labels(summary) == ["✅ Submit", "✏️ Change a heart", "💾 Save draft"]
    return summary


# --- the whole round ---------------------------------------------------------------------------


async def test_hannah_scores_sam_with_comments_changes_a_heart_submits_and_the_director_hears_after_sue(  # noqa: E501
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    # In the group, one line asks for the private chat.
    await sandbox.send_message(hannah, evaluation.group, "/score")
    in_group = await sandbox.wait_for_message(evaluation.group)
    assert in_group["text"] == seen(runtime, "zh", "evaluation.private_only")

    listing = await evaluation.say("Hannah", "/score")
    assert listing["text"].splitlines()[0] == f"Six-hearts evaluation · {EN_PERIOD}"
    assert "2026-12-05 18:00" in listing["text"]
    assert labels(listing) == ["Sam Staff · Housekeeping", "Sue Staff · Housekeeping"]
    mid = listing["message_id"]

    toast, screen = await press(sandbox, hannah, mid, label="Sam Staff · Housekeeping")
    assert toast is None
    assert screen["text"].startswith(f"Sam Staff · {EN_PERIOD} · 1/6")
    assert seen(runtime, "en", "hearts.description.confidence") in screen["text"]
    assert labels(screen) == [score_label(runtime, "en", n) for n in range(1, 6)] + [
        "💾 Save draft"
    ]

    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 4))
    _, screen = await press(sandbox, hannah, mid, label=score_label(runtime, "en", 2))
    # A 2 needs its comment: asked for, and no Skip.
    assert (
        seen(runtime, "en", "score.ask_comment_required", score=2, name="Sam Staff")
        in (screen["text"])
    )
    assert labels(screen) == ["💾 Save draft"]
    answer = await evaluation.say("Hannah", "Kept a guest waiting twice at turndown.")
    assert answer["text"].startswith(seen(runtime, "en", "score.comment_saved"))
    assert f"Sam Staff · {EN_PERIOD} · 3/6" in answer["text"]
    assert seen(runtime, "en", "hearts.description.attentiveness") in answer["text"]

    mid = answer["message_id"]  # the conversation goes on under the comment
    for score in (5, 4, 3, 4):
        _, screen = await press(sandbox, hannah, mid, label=score_label(runtime, "en", score))
    assert seen(runtime, "en", "score.ask_overall", name="Sam Staff") in screen["text"]
    summary = await evaluation.say("Hannah", "Reliable and kind; must be quicker at turndown.")
    assert (
        "Warmth: 2 · Below standard — Kept a guest waiting twice at turndown." in (summary["text"])
    )
    assert "Total 22/30 · average 3.67" in summary["text"]
    assert "Overall: Reliable and kind; must be quicker at turndown." in summary["text"]

    # Change a heart from the summary: sincerity 3 → 4, and its optional comment skipped.
    mid = summary["message_id"]
    _, chooser = await press(sandbox, hannah, mid, label="✏️ Change a heart")
    assert labels(chooser)[4] == "Sincerity · 3"
    _, screen = await press(sandbox, hannah, mid, label="Sincerity · 3")
    assert seen(runtime, "en", "score.now", score=3, label="Satisfactory") in screen["text"]
    _, screen = await press(sandbox, hannah, mid, label=score_label(runtime, "en", 4))
    assert seen(runtime, "en", "score.ask_comment", heart="Sincerity") in screen["text"]
    _, summary = await press(sandbox, hannah, mid, label="Skip")
    assert "Sincerity: 4 · Good" in summary["text"]
    assert "Total 23/30" in summary["text"]

    toast, submitted = await press(sandbox, hannah, mid, label="✅ Submit")
    assert toast is None
    assert submitted["text"].endswith(seen(runtime, "en", "score.submitted"))
    assert labels(submitted) == []
    after = await sandbox.wait_for_message(hannah)
    assert labels(after) == ["Sue Staff · Housekeeping"]

    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert sam.scores == {
        "confidence": 4,
        "warmth": 2,
        "attentiveness": 5,
        "patience": 4,
        "sincerity": 4,
        "carefulness": 4,
    }
    assert sam.comments == {"warmth": "Kept a guest waiting twice at turndown."}
    assert sam.evaluation.overall_comment == "Reliable and kind; must be quicker at turndown."
    assert sam.evaluation.status == EvaluationStatus.SUBMITTED
    assert sam.evaluation.evaluator_id == evaluation.id_of("Hannah")
    assert await history_kinds(runtime, sam.id) == ["started", "submitted"]
    # One of two: the director hears nothing yet.
    await sandbox.wait_idle()
    assert evaluation.inbox("Diana") == []

    # Sue too: now the director is told, once.
    await press(sandbox, hannah, after["message_id"], label="Sue Staff · Housekeeping")
    for _ in range(6):
        await press(sandbox, hannah, after["message_id"], label=score_label(runtime, "en", 5))
    await press(sandbox, hannah, after["message_id"], label="Skip")
    await press(sandbox, hannah, after["message_id"], label="✅ Submit")
    done = await sandbox.wait_for_message(hannah)
    assert done["text"] == seen(
        runtime, "en", "score.all_done", period=EN_PERIOD, submitted=2, confirmed=0
    )
    notice = await sandbox.wait_for_message(evaluation["Diana"])
    assert notice["text"] == seen(
        runtime,
        "en",
        "score.notice.all_submitted",
        evaluator="Hannah Head",
        n=2,
        period=EN_PERIOD,
    )
    await sandbox.wait_idle()
    assert len(evaluation.inbox("Diana")) == 1

    # Nothing of it reached the group: the one line, and the /bind answer before it.
    group = evaluation.group_texts()
    assert group.count(seen(runtime, "zh", "evaluation.private_only")) == 1
    assert len(group) == 2
    assert not any("Sam" in text or "Sue" in text or "/30" in text for text in group)


async def test_a_draft_left_after_three_hearts_resumes_at_the_fourth_after_a_restart(
    evaluation: EvaluationHotel,
    sandbox: Sandbox,
    runtime: Runtime,
    clock: FakeClock,
    app: Any,
    settings: Any,
    handler_errors: list[BaseException],
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    await press(sandbox, hannah, listing["message_id"], label="Sam Staff · Housekeeping")
    for score in (4, 5, 3):
        _, screen = await press(
            sandbox, hannah, listing["message_id"], label=score_label(runtime, "en", score)
        )
    assert "· 4/6" in screen["text"]
    await sandbox.wait_idle()
    # The bot goes down mid-way …
    await app.updater.stop()
    await app.stop()
    clock.advance(hours=2)
    # … and another one starts on the same database.
    async with running_bot(settings, clock, handler_errors):
        again = await evaluation.say("Hannah", "/score")
        assert labels(again) == ["✎ Sam Staff · Housekeeping", "Sue Staff · Housekeeping"]
        _, resumed = await press(
            sandbox, hannah, again["message_id"], label="✎ Sam Staff · Housekeeping"
        )
        assert resumed["text"].startswith(f"Sam Staff · {EN_PERIOD} · 4/6")
        assert seen(runtime, "en", "hearts.description.patience") in resumed["text"]
        assert "Conf 4 Warm 5 Att 3 Pat – Sin – Care –" in resumed["text"]
        _, screen = await press(
            sandbox, hannah, again["message_id"], label=score_label(runtime, "en", 4)
        )
        assert "· 5/6" in screen["text"]
        await sandbox.wait_idle()
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert sam.scores == {"confidence": 4, "warmth": 5, "attentiveness": 3, "patience": 4}
    assert sam.evaluation.step == "h:4"
    # The fixture's teardown stops the first bot again: keep it startable.
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)


# --- refusals: one sentence, nothing changes -------------------------------------------------


async def test_typed_text_where_a_button_is_expected_changes_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    await press(sandbox, hannah, listing["message_id"], label="Sam Staff · Housekeeping")
    await press(sandbox, hannah, listing["message_id"], label=score_label(runtime, "en", 4))
    before = await evaluation_of(runtime, evaluation.id_of("Sam"))
    answer = await evaluation.say("Hannah", "5")
    assert answer["text"] == seen(runtime, "en", "score.use_buttons")
    after = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert before is not None
    assert after is not None
    assert (after.scores, after.comments, after.evaluation.step) == (
        {"confidence": 4},
        {},
        "h:1",
    )
    assert after.evaluation.updated_at == before.evaluation.updated_at
    # Someone with no draft at all just gets the usual answer to stray text.
    stray = await evaluation.say("Sue", "hello")
    assert stray["text"] == seen(runtime, "en", "common.not_understood")


async def test_an_earlier_hearts_button_or_forged_data_is_refused_and_changes_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    mid = listing["message_id"]
    await press(sandbox, hannah, mid, label="Sam Staff · Housekeeping")
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 4))
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    # The first heart's "2", pressed again after the conversation moved on.
    assert await forge(sandbox, hannah, mid, f"hs:set:{sam.id}:0:2") == seen(
        runtime, "en", "score.stale"
    )
    assert await forge(sandbox, hannah, mid, f"hs:set:{sam.id}:1:9") == seen(
        runtime, "en", "common.stale_button"
    )
    assert await forge(sandbox, hannah, mid, "hs:set:x") == seen(
        runtime, "en", "common.stale_button"
    )
    assert await forge(sandbox, hannah, mid, "hs:nonsense:1") == seen(
        runtime, "en", "common.stale_button"
    )
    assert await forge(sandbox, hannah, mid, f"hs:skip:{sam.id}:c0") == seen(
        runtime, "en", "score.stale"
    )
    # Sue presses Hannah's draft's button in her own chat: it is on no screen of hers (she
    # has nobody to score), so the press guard refuses it before the scoring rules.
    sue = evaluation["Sue"]
    own = await evaluation.say("Sue", "/score")
    assert own["text"] == seen(runtime, "en", "score.nobody")
    assert await forge(sandbox, sue, own["message_id"], f"hs:set:{sam.id}:1:1") == seen(
        runtime, "en", "common.stale_button"
    )
    after = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert after is not None
    assert (after.scores, after.evaluation.step) == ({"confidence": 4}, "h:1")
    # The screen still shows the second heart, and its buttons still work.
    assert f"Sam Staff · {EN_PERIOD} · 2/6" in str(sandbox.message(hannah, mid)["text"])  # type: ignore[index]
    toast, _ = await press(sandbox, hannah, mid, label=score_label(runtime, "en", 3))
    assert toast is None


async def test_a_second_submit_is_refused(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    summary = await to_summary(
        evaluation, runtime, "Hannah", "Sam Staff · Housekeeping", (4, 4, 4, 4, 4, 4)
    )
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    toast, _ = await press(sandbox, hannah, summary["message_id"], label="✅ Submit")
    assert toast is None
    listing = await sandbox.wait_for_message(hannah)  # the list again
    # Pressed again on the summary, which kept no button, the guard refuses; forged on the
    # list (a scoring screen), the scoring rules do: it is submitted.
    assert await forge(sandbox, hannah, summary["message_id"], f"hs:sub:{sam.id}") == seen(
        runtime, "en", "common.stale_button"
    )
    assert await forge(sandbox, hannah, listing["message_id"], f"hs:sub:{sam.id}") == seen(
        runtime, "en", "score.refused.submitted"
    )
    assert await forge(sandbox, hannah, listing["message_id"], f"hs:chh:{sam.id}:0") == seen(
        runtime, "en", "score.refused.submitted"
    )
    assert await history_kinds(runtime, sam.id) == ["started", "submitted"]


async def test_a_forged_pick_of_someone_not_hers_creates_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    fay = evaluation.id_of("Fay")
    toast = await forge(sandbox, hannah, listing["message_id"], f"hs:pick:{TOKEN}:{fay}")
    assert toast == seen(runtime, "en", "score.not_yours")
    assert await evaluation_of(runtime, fay) is None
    # Nor herself, nor a period that does not exist.
    me = evaluation.id_of("Hannah")
    assert await forge(sandbox, hannah, listing["message_id"], f"hs:pick:{TOKEN}:{me}") == seen(
        runtime, "en", "score.not_yours"
    )
    assert await forge(sandbox, hannah, listing["message_id"], "hs:pick:209913:1") == seen(
        runtime, "en", "common.stale_button"
    )
    assert await evaluation_of(runtime, me) is None
    assert sandbox.message(hannah, listing["message_id"])["text"] == listing["text"]  # type: ignore[index]


async def test_staff_with_nobody_to_score_are_told_where_evaluators_come_from(
    evaluation: EvaluationHotel, runtime: Runtime
) -> None:
    answer = await evaluation.say("Sam", "/score")
    assert answer["text"] == seen(runtime, "en", "score.nobody")
    assert "/staff" in answer["text"]


async def test_a_named_signed_period_is_one_sentence(
    evaluation: EvaluationHotel, runtime: Runtime
) -> None:
    # October, signed (as the GM's /sign leaves it).
    async with runtime.sessions() as session:
        october, _ = await store.open_period(
            session, "2026-10", now=NOW, zone=runtime.settings.zone
        )
        october.status = PeriodStatus.SIGNED
        session.add(october)
        await session.commit()
    answer = await evaluation.say("Hannah", "/score 2026-10")
    assert answer["text"] == seen(runtime, "en", "score.signed", period="October 2026")


# --- a return answered -----------------------------------------------------------------------


async def test_a_returned_evaluation_is_listed_first_with_the_reason_changed_and_resubmitted(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime, clock: FakeClock
) -> None:
    hannah = evaluation["Hannah"]
    summary = await to_summary(
        evaluation, runtime, "Hannah", "Sam Staff · Housekeeping", (4, 4, 4, 4, 4, 4)
    )
    await press(sandbox, hannah, summary["message_id"], label="✅ Submit")
    await sandbox.wait_for_message(hannah)
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    clock.advance(hours=1)
    reason = "Warmth looks generous after the complaint on the 12th."
    async with runtime.sessions() as session:
        assert await store.return_evaluation(
            session, sam.id, by=evaluation.id_of("Diana"), reason=reason, now=clock()
        )

    listing = await evaluation.say("Hannah", "/score")
    assert (
        seen(runtime, "en", "score.list_returned", name="Sam Staff", reason=reason)
        in (listing["text"])
    )
    assert labels(listing) == ["↩ Sam Staff · Housekeeping", "Sue Staff · Housekeeping"]
    mid = listing["message_id"]
    _, screen = await press(sandbox, hannah, mid, label="↩ Sam Staff · Housekeeping")
    assert seen(runtime, "en", "score.return_reason", reason=reason) in screen["text"]
    assert labels(screen) == ["✅ Submit", "✏️ Change a heart", "💾 Save draft"]

    await press(sandbox, hannah, mid, label="✏️ Change a heart")
    await press(sandbox, hannah, mid, label="Warmth · 4")
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 3))
    summary = await evaluation.say("Hannah", "Slow to answer the complaint.")
    assert "Warmth: 3 · Satisfactory — Slow to answer the complaint." in summary["text"]
    toast, resubmitted = await press(sandbox, hannah, summary["message_id"], label="✅ Submit")
    assert toast is None
    assert resubmitted["text"].endswith(seen(runtime, "en", "score.resubmitted"))

    notice = await sandbox.wait_for_message(evaluation["Diana"])
    assert notice["text"] == seen(
        runtime,
        "en",
        "score.notice.resubmitted",
        evaluator="Hannah Head",
        name="Sam Staff",
        period=EN_PERIOD,
    )
    after = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert after is not None
    assert after.evaluation.status == EvaluationStatus.SUBMITTED
    assert after.scores["warmth"] == 3
    assert after.comments == {"warmth": "Slow to answer the complaint."}
    assert await history_kinds(runtime, sam.id) == [
        "started",
        "submitted",
        "returned",
        "resubmitted",
    ]


async def test_back_from_changing_a_heart_keeps_the_score(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    summary = await to_summary(
        evaluation, runtime, "Hannah", "Sam Staff · Housekeeping", (4, 4, 4, 4, 4, 5)
    )
    mid = summary["message_id"]
    await press(sandbox, hannah, mid, label="✏️ Change a heart")
    _, screen = await press(sandbox, hannah, mid, label="Carefulness · 5")
    assert "◀ Back" in labels(screen)
    _, back = await press(sandbox, hannah, mid, label="◀ Back")
    assert labels(back) == ["✅ Submit", "✏️ Change a heart", "💾 Save draft"]
    _, saved = await press(sandbox, hannah, mid, label="💾 Save draft")
    assert saved["text"].endswith(seen(runtime, "en", "score.saved"))
    assert labels(saved) == []
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert (sam.scores["carefulness"], sam.evaluation.step, sam.evaluation.status) == (
        5,
        "s",
        EvaluationStatus.DRAFT,
    )


# --- in Chinese ----------------------------------------------------------------------------------


async def test_felix_scores_fay_in_chinese(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    felix = evaluation["Felix"]
    listing = await evaluation.say("Felix", "/score")
    assert listing["text"].splitlines()[0] == f"六心评估 · {ZH_PERIOD}"
    assert labels(listing) == ["Fay Staff · 餐饮部"]
    mid = listing["message_id"]
    _, screen = await press(sandbox, felix, mid, label="Fay Staff · 餐饮部")
    assert screen["text"].startswith(f"Fay Staff · {ZH_PERIOD} · 1/6")
    assert seen(runtime, "zh", "hearts.description.confidence") in screen["text"]
    assert labels(screen)[:2] == ["1 · 差", "2 · 较差"]
    assert labels(screen)[-1] == "💾 保存草稿"
    _, screen = await press(sandbox, felix, mid, label="1 · 差")
    assert (
        seen(runtime, "zh", "score.ask_comment_required", score=1, name="Fay Staff")
        in (screen["text"])
    )
    too_long = await evaluation.say("Felix", "太" * 501)
    assert too_long["text"] == seen(runtime, "zh", "score.comment_length", max=500)
    answer = await evaluation.say("Felix", "上周两次迟到。")
    assert answer["text"].startswith(seen(runtime, "zh", "score.comment_saved"))
    assert seen(runtime, "zh", "hearts.description.warmth") in answer["text"]
    fay = await evaluation_of(runtime, evaluation.id_of("Fay"))
    assert fay is not None
    assert (fay.scores, fay.comments) == ({"confidence": 1}, {"confidence": "上周两次迟到。"})


# --- older periods ---------------------------------------------------------------------------


async def test_a_return_in_a_closed_earlier_month_comes_first_and_nothing_new_starts_there(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    reason = "Patience: say what happened."
    # October: Sam's evaluation was returned, Sue was never scored, then an admin closed it.
    async with runtime.sessions() as session:
        await store.open_period(session, "2026-10", now=NOW, zone=runtime.settings.zone)
        returned = await store.start_evaluation(
            session,
            period_key="2026-10",
            evaluee_id=evaluation.id_of("Sam"),
            evaluator_id=evaluation.id_of("Hannah"),
            department="hk",
            now=NOW,
        )
        returned.status = EvaluationStatus.RETURNED
        returned.return_reason = reason
        returned.step = hearts.STEP_SUMMARY
        session.add(returned)
        await session.commit()
        assert await store.close_period(session, "2026-10", by=None, now=NOW)

    listing = await evaluation.say("Hannah", "/score")
    assert listing["text"].splitlines()[0] == "Six-hearts evaluation · October 2026"
    assert (
        seen(runtime, "en", "score.list_returned", name="Sam Staff", reason=reason)
        in (listing["text"])
    )
    assert labels(listing) == ["↩ Sam Staff · Housekeeping"]
    toast = await forge(
        sandbox, hannah, listing["message_id"], f"hs:pick:202610:{evaluation.id_of('Sue')}"
    )
    assert toast == seen(runtime, "en", "score.refused.closed")
    async with runtime.sessions() as session:
        assert await store.evaluation_of(session, "2026-10", evaluation.id_of("Sue")) is None
    # This month is still there when asked for by name.
    november = await evaluation.say("Hannah", "/score this month")
    assert labels(november) == ["Sam Staff · Housekeeping", "Sue Staff · Housekeeping"]


async def test_submitting_an_incomplete_summary_says_what_is_missing_and_goes_there(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    mid = listing["message_id"]
    await press(sandbox, hannah, mid, label="Sam Staff · Housekeeping")
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 4))
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    # A summary reached with hearts missing (no button leads there; a hand-edited row might).
    async with runtime.sessions() as session:
        assert await store.move_step(
            session, sam.id, expected_step="h:1", step=hearts.STEP_SUMMARY, now=NOW
        )
    again = await evaluation.say("Hannah", "/score")
    _, summary = await press(
        sandbox, hannah, again["message_id"], label="✎ Sam Staff · Housekeeping"
    )
    assert "Warmth: —" in summary["text"]
    toast, screen = await press(sandbox, hannah, again["message_id"], label="✅ Submit")
    assert toast == seen(runtime, "en", "score.incomplete_toast")
    assert seen(runtime, "en", "hearts.error.missing", heart="Warmth") in screen["text"]
    assert f"Sam Staff · {EN_PERIOD} · 2/6" in screen["text"]
    after = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert after is not None
    assert (after.evaluation.status, after.evaluation.step) == (EvaluationStatus.DRAFT, "h:1")
    assert await history_kinds(runtime, sam.id) == ["started"]


# --- an evaluator who leaves ------------------------------------------------------------------


async def test_when_a_head_leaves_her_successor_takes_over_her_drafts_and_returns(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    """Hannah begins Sue's evaluation and submits Sam's, the director returns Sam's, and
    Hannah leaves the hotel. Her successor Henry finds both on his list, picks them up (the
    history says so), and can finish them: nothing is stuck, and the period can be signed."""
    from bot.roster import RosterRow
    from storage import org
    from storage.roster import import_roster

    hannah_id = evaluation.id_of("Hannah")
    mid = await to_summary(evaluation, runtime, "Hannah", "Sam Staff · Housekeeping", (4,) * 6)
    await press(sandbox, evaluation["Hannah"], mid["message_id"], label="✅ Submit")
    listing = await evaluation.say("Hannah", "/score")
    await press(
        sandbox, evaluation["Hannah"], listing["message_id"], label="Sue Staff · Housekeeping"
    )
    await press(
        sandbox, evaluation["Hannah"], listing["message_id"], label=score_label(runtime, "en", 3)
    )
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    async with runtime.sessions() as session:
        assert await store.return_evaluation(
            session, sam.id, by=evaluation.id_of("Diana"), reason="Say why.", now=NOW
        )
        # Hannah leaves; Henry becomes the head Sam and Sue report to.
        await org.deactivate(session, staff_id=hannah_id, now=NOW)
        await session.commit()
        henry_user = evaluation.hotel.person(7010, "Henry Head", language="en")
        sandbox.chat(henry_user).started = True
        row = RosterRow(
            line=2,
            telegram_id=7010,
            username=None,
            name="Henry Head",
            department="hk",
            roles=("head",),
            reports_to="7001",
            language="en",
        )
        assert (await import_roster(session, rows=[row], now=NOW)).errors == []
        henry = await org.view_by_telegram_id(session, 7010)
        assert henry is not None
        henry_id = henry.staff.id or 0
        for name in ("Sam", "Sue"):
            assert await org.set_reports_to(
                session, staff_id=evaluation.id_of(name), manager_id=henry_id, now=NOW
            )
        await session.commit()
    evaluation.people["Henry"] = henry_user

    listing = await evaluation.say("Henry", "/score")
    assert labels(listing) == ["↩ Sam Staff · Housekeeping", "✎ Sue Staff · Housekeeping"]
    _toast, screen = await press(
        sandbox, henry_user, listing["message_id"], label="✎ Sue Staff · Housekeeping"
    )
    assert "Sue Staff · November 2026 · 2/6" in screen["text"]  # where Hannah stopped
    sue = await evaluation_of(runtime, evaluation.id_of("Sue"))
    assert sue is not None
    assert sue.evaluation.evaluator_id == henry_id
    assert await history_kinds(runtime, sue.id) == ["started", "reassigned"]

    listing = await evaluation.say("Henry", "/score")
    _toast, summary = await press(
        sandbox, henry_user, listing["message_id"], label="↩ Sam Staff · Housekeeping"
    )
    assert "Say why." in summary["text"]
    _toast, done = await press(sandbox, henry_user, listing["message_id"], label="✅ Submit")
    assert seen(runtime, "en", "score.resubmitted") in done["text"]
    assert await history_kinds(runtime, sam.id) == [
        "started",
        "submitted",
        "returned",
        "reassigned",
        "resubmitted",
    ]


async def test_a_comment_written_for_a_low_score_can_be_removed_when_the_score_changes(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    """Warmth 2 with its required comment, then changed to 5: the comment about the 2 can go.
    While the score was a 2, the same button is refused: its comment is required."""
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    mid = listing["message_id"]
    await press(sandbox, hannah, mid, label="Sam Staff · Housekeeping")
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 4))
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 2))
    answer = await evaluation.say("Hannah", "Rude at the desk.")
    mid = answer["message_id"]
    for score in (4, 4, 4, 4):
        await press(sandbox, hannah, mid, label=score_label(runtime, "en", score))
    overall = await press(sandbox, hannah, mid, label="Skip")
    summary = overall[1]
    assert "Rude at the desk." in summary["text"]
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    # A forged removal while the 2 stands: refused, the comment stays.
    toast = await forge(sandbox, hannah, mid, f"hs:clear:{sam.id}:c1")
    assert toast == seen(runtime, "en", "score.stale")

    await press(sandbox, hannah, mid, label="✏️ Change a heart")
    await press(sandbox, hannah, mid, label="Warmth · 2")
    _, screen = await press(sandbox, hannah, mid, label=score_label(runtime, "en", 5))
    remove = seen(runtime, "en", "score.remove_comment")
    assert remove in labels(screen)
    _, summary = await press(sandbox, hannah, mid, label=remove)
    assert "Warmth: 5 · Excellent" in summary["text"]
    assert "Rude at the desk." not in summary["text"]
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert sam.comments == {}
    assert sam.scores["warmth"] == 5


async def test_a_comment_question_left_overnight_does_not_take_the_next_days_text(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime, clock: FakeClock
) -> None:
    hannah = evaluation["Hannah"]
    listing = await evaluation.say("Hannah", "/score")
    mid = listing["message_id"]
    await press(sandbox, hannah, mid, label="Sam Staff · Housekeeping")
    await press(sandbox, hannah, mid, label=score_label(runtime, "en", 2))
    await press(sandbox, hannah, mid, label="💾 Save draft")
    clock.advance(hours=13)
    answer = await evaluation.say("Hannah", "good morning")
    assert answer["text"] == seen(runtime, "en", "score.use_buttons")
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert sam.comments == {}
    assert sam.evaluation.step == "c:0"
    # /score asks the question again, and the answer to it counts.
    listing = await evaluation.say("Hannah", "/score")
    await press(sandbox, hannah, listing["message_id"], label="✎ Sam Staff · Housekeeping")
    await evaluation.say("Hannah", "Unsure with guests at check-in.")
    sam = await evaluation_of(runtime, evaluation.id_of("Sam"))
    assert sam is not None
    assert sam.comments == {"confidence": "Unsure with guests at check-in."}
