"""Six hearts, attacked as real users would: people asking for scores that are not theirs to
see, forged button presses (other people's evaluation ids, huge numbers, wrong arity,
other periods, presses in groups), typed text at every step, markup in comments and names,
anything at all after signing. Every attempt gets one sentence and leaves the database as
it was; no score ever reaches a group; nothing raises (the `app` fixture checks that).

Evaluations are built through storage with the helpers of test_results (the scoring and
review conversations have their own tests); the attacks go through the sandbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot import hearts
from bot.roster import RosterRow
from bot.runtime import Runtime
from bot.states import EvaluationStatus
from sandbox import Sandbox
from storage import hearts as store
from storage.models import (
    Evaluation,
    EvaluationEvent,
    EvaluationPeriod,
    EvaluationScore,
    Staff,
)
from storage.roster import import_roster
from tests.e2e.conftest import data_of, eventually, seen
from tests.e2e.evaluation import EvaluationHotel
from tests.e2e.test_results import (
    FAY_NOV,
    SAM_NOV,
    SUE_NOV,
    evaluate,
    november,
    october,
    open_periods,
    sign,
)

PERIOD = "2026-11"
TOKEN = "202611"
EN_PERIOD = "November 2026"
HUGE = "9" * 24  # the longest number a callback part may hold: far past a 64-bit integer
JUST_PAST_INT64 = str(2**63)

Snapshot = list[tuple[str, list[dict[str, Any]]]]


# --- helpers ---------------------------------------------------------------------------------


async def snapshot(runtime: Runtime) -> Snapshot:
    """Every period, evaluation, score and history row: what a refusal must leave alone."""
    tables: Snapshot = []
    async with runtime.sessions() as session:
        for model in (EvaluationPeriod, Evaluation, EvaluationScore, EvaluationEvent):
            rows = (await session.exec(select(model))).all()
            dumped = sorted((row.model_dump() for row in rows), key=repr)
            tables.append((model.__name__, dumped))
    return tables


async def forge(sandbox: Sandbox, user: Any, message_id: int, data: str, chat: Any = None) -> str:
    """A press with data of the attacker's choosing on a bot message; the toast text."""
    query = await sandbox.press_raw(user, chat, message_id, data)
    return str((await sandbox.wait_callback_answer(query)).get("text") or "")


async def any_message(ev: EvaluationHotel, name: str) -> int:
    """A bot message in the person's private chat, to press forged buttons on."""
    answer = await ev.say(name, "/help")
    return int(answer["message_id"])


def screen_of(ev: EvaluationHotel, name: str, prefix: str) -> int | None:
    """The person's last private message carrying `prefix` buttons: a screen of that kind,
    the only kind of message the press guard lets an evaluation press act on."""
    for message in reversed(ev.inbox(name)):
        if any(data.startswith(f"{prefix}:") for data in data_of(message)):
            return int(message["message_id"])
    return None


async def review_screen(ev: EvaluationHotel, data_prefix: str = "hr:") -> int:
    """The director's /review board for the period: a message with the given buttons."""
    await ev.say("Diana", f"/review {PERIOD}")
    await ev.sandbox.wait_idle()
    for message in reversed(ev.inbox("Diana")):
        if any(data.startswith(data_prefix) for data in data_of(message)):
            return int(message["message_id"])
    raise AssertionError(f"no review message carries {data_prefix!r}")


def inbox_text(ev: EvaluationHotel, name: str) -> str:
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in ev.inbox(name))


async def evaluation_id_of(runtime: Runtime, evaluee_id: int, key: str = PERIOD) -> int:
    async with runtime.sessions() as session:
        found = await store.evaluation_of(session, key, evaluee_id)
    assert found is not None
    assert found.id is not None
    return found.id


@pytest.fixture
async def signed(evaluation: EvaluationHotel) -> EvaluationHotel:
    """October and November scored, confirmed and signed (see test_results); Olivia's
    evaluation of Felix is a November draft left half way."""
    await open_periods(evaluation, "2026-10", PERIOD)
    await october(evaluation)
    await november(evaluation)
    await sign(evaluation, PERIOD)
    return evaluation


@pytest.fixture
async def unsigned(evaluation: EvaluationHotel) -> EvaluationHotel:
    """October signed; November scored and confirmed, not signed yet."""
    await open_periods(evaluation, "2026-10", PERIOD)
    await october(evaluation)
    await november(evaluation)
    return evaluation


# --- who may see what ------------------------------------------------------------------------


async def test_a_staff_member_sees_no_colleagues_scores_by_any_name(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    before = await snapshot(runtime)
    sue = ev.id_of("Sue")
    for text in ("Sue", "Sue Staff", "sue staff", f"{sue}", f"#{sue}", "@sue", "Hannah"):
        answer = await ev.say("Sam", f"/trend {text}")
        assert answer["text"] == seen(runtime, "en", "results.trend.unknown", text=text), text
    assert (await ev.say("Sam", "/scores 2026-11"))["text"] == seen(
        runtime, "en", "results.scores.not_allowed"
    )
    assert (await ev.say("Sam", "/scores 2026-11 hk"))["text"] == seen(
        runtime, "en", "results.scores.not_allowed"
    )
    assert (await ev.say("Sam", "/export scores 2026-11"))["text"] == seen(
        runtime, "en", "results.export.not_allowed"
    )
    assert (await ev.say("Sam", "/review 2026-11"))["text"] == seen(
        runtime, "en", "review.not_director"
    )
    assert (await ev.say("Sam", "/sign 2026-11"))["text"] == seen(runtime, "en", "sign.not_gm")
    # "/myscore Sue" is not a way to name someone else: it is an unreadable period.
    assert (await ev.say("Sam", "/myscore Sue"))["text"] == seen(
        runtime, "en", "hearts.period.error.unreadable", text="Sue"
    )
    await sandbox.wait_idle()
    # Sue's total (21) and her comment never reached Sam; no chart or file either.
    everything = inbox_text(ev, "Sam")
    assert "Rushed a guest" not in everything
    assert " 21" not in everything
    assert not any("photo" in m or "document" in m for m in ev.inbox("Sam"))
    assert await snapshot(runtime) == before


async def test_before_signing_a_staff_member_sees_not_even_their_own_result(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    assert (await ev.say("Sam", "/myscore 2026-11"))["text"] == seen(
        runtime, "en", "results.my.not_signed", period=EN_PERIOD
    )
    assert (await ev.say("Sam", "/myscore this month"))["text"] == seen(
        runtime, "en", "results.my.not_signed", period=EN_PERIOD
    )
    # With no period, the latest signed one (October), never November.
    october_only = await ev.say("Sam", "/myscore")
    assert "October 2026" in october_only["text"]
    assert "photo" in await sandbox.wait_for_message(ev["Sam"])  # its radar
    trend = await ev.say("Sam", f"/trend {ev.id_of('Sam')}")
    assert "November" not in trend["text"]
    assert "photo" in await sandbox.wait_for_message(ev["Sam"])
    await sandbox.wait_idle()
    assert "Guests ask for him" not in inbox_text(ev, "Sam")
    assert str(sum(SAM_NOV)) not in inbox_text(ev, "Sam")


async def test_an_evaluator_sees_only_the_people_she_scored(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    fay, felix = ev.id_of("Fay"), ev.id_of("Felix")
    for text in ("Fay", "Fay Staff", str(fay), f"#{fay}", "Felix", str(felix)):
        assert (await ev.say("Hannah", f"/trend {text}"))["text"] == seen(
            runtime, "en", "results.trend.unknown", text=text
        ), text
    assert (await ev.say("Hannah", "/scores 2026-11 fb"))["text"] == seen(
        runtime, "en", "results.scores.nothing_own", period=EN_PERIOD
    )
    assert (await ev.say("Hannah", "/export scores 2026-11"))["text"] == seen(
        runtime, "en", "results.export.not_allowed"
    )
    # Olivia scores the heads: Sam is not hers, and her hk report holds Hannah alone.
    sam = ev.id_of("Sam")
    for text in ("Sam", str(sam), "Sue"):
        assert (await ev.say("Olivia", f"/trend {text}"))["text"] == seen(
            runtime, "en", "results.trend.unknown", text=text
        ), text
    report = await ev.say("Olivia", "/scores 2026-11 hk")
    assert "Hannah Head" in report["text"]
    assert "Sam Staff" not in report["text"]
    assert "Sue Staff" not in report["text"]
    assert seen(runtime, "en", "results.scores.own_scope") in report["text"]
    await sandbox.wait_idle()
    assert "Fay Staff —" not in inbox_text(ev, "Hannah")
    assert str(sum(FAY_NOV)) not in inbox_text(ev, "Hannah")
    assert "Rushed a guest" not in inbox_text(ev, "Olivia")
    assert str(sum(SUE_NOV)) not in inbox_text(ev, "Olivia")


async def test_an_admin_sees_no_score_through_any_command(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    admin = ev.admin
    before = await snapshot(runtime)

    async def ask(text: str) -> str:
        await sandbox.send_message(admin, text=text)
        return str((await sandbox.wait_for_message(admin))["text"])

    assert await ask("/myscore") == seen(runtime, "en", "results.my.nothing_signed")
    assert await ask("/myscore 2026-11") == seen(
        runtime, "en", "results.my.none_in", period=EN_PERIOD
    )
    assert await ask("/trend Sam") == seen(runtime, "en", "results.trend.unknown", text="Sam")
    assert await ask(f"/trend {ev.id_of('Sam')}") == seen(
        runtime, "en", "results.trend.unknown", text=str(ev.id_of("Sam"))
    )
    assert await ask("/trend") == seen(runtime, "en", "results.trend.none_own")
    assert await ask("/scores 2026-11") == seen(runtime, "en", "results.scores.not_allowed")
    assert await ask("/export scores 2026-11") == seen(runtime, "en", "results.export.not_allowed")
    assert await ask("/review 2026-11") == seen(runtime, "en", "review.not_director")
    assert await ask("/sign 2026-11") == seen(runtime, "en", "sign.not_gm")
    assert await ask("/score") == seen(runtime, "en", "score.not_staff")
    last = sandbox.messages(admin)[-1]["message_id"]
    sam_eval = await evaluation_id_of(runtime, ev.id_of("Sam"))
    assert await forge(sandbox, admin, last, f"hr:hist:{sam_eval}") == seen(
        runtime, "en", "review.not_director"
    )
    assert await forge(sandbox, admin, last, f"hs:sub:{sam_eval}") == seen(
        runtime, "en", "score.not_staff"
    )
    await sandbox.wait_idle()
    everything = "\n".join(
        str(m.get("text") or m.get("caption") or "") for m in sandbox.messages(admin)
    )
    for secret in ("Sam Staff", "Guests ask", "Rushed a guest", str(sum(SAM_NOV))):
        assert secret not in everything
    assert not any("photo" in m or "document" in m for m in sandbox.messages(admin))
    assert await snapshot(runtime) == before


async def test_the_gm_and_evaluators_pressing_review_buttons_change_nothing(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    # A submitted one to aim at: Olivia's draft of Felix would not do.
    await evaluate(ev, PERIOD, "Felix", "Olivia", (4, 4, 4, 4, 4, 4), confirm=False)
    felix_eval = await evaluation_id_of(runtime, ev.id_of("Felix"))
    before = await snapshot(runtime)
    not_director = seen(runtime, "zh", "review.not_director")
    george = ev["George"]
    mid = await any_message(ev, "George")
    for data in (
        f"hr:ok:{felix_eval}",
        f"hr:ret:{felix_eval}",
        f"hr:hist:{felix_eval}",
        f"hr:all:{TOKEN}:1",
    ):
        assert await forge(sandbox, george, mid, data) == not_director, data
    for name in ("Hannah", "Olivia", "Sam"):
        mid = await any_message(ev, name)
        toast = await forge(sandbox, ev[name], mid, f"hr:ok:{felix_eval}")
        assert toast == seen(runtime, "en", "review.not_director"), name
        toast = await forge(sandbox, ev[name], mid, f"hg:yes:{TOKEN}")
        assert toast == seen(runtime, "en", "sign.not_gm"), name
    mid = await any_message(ev, "Diana")
    assert await forge(sandbox, ev["Diana"], mid, f"hg:yes:{TOKEN}") == seen(
        runtime, "en", "sign.not_gm"
    )
    await sandbox.wait_idle()
    assert "Felix Head" not in inbox_text(ev, "George")
    assert await snapshot(runtime) == before


# --- forged score buttons --------------------------------------------------------------------


async def test_forged_score_buttons_with_other_peoples_ids_and_wrong_shapes(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, "2026-10", PERIOD)
    # Felix has a draft of Fay waiting for her second heart; Hannah submitted Sam.
    fay_eval = await evaluate(ev, PERIOD, "Fay", "Felix", (3,))
    sam_eval = await evaluate(ev, PERIOD, "Sam", "Hannah", SAM_NOV, confirm=False)
    before = await snapshot(runtime)
    hannah = ev["Hannah"]
    listing = await ev.say("Hannah", "/score")
    mid = listing["message_id"]
    not_yours = seen(runtime, "en", "score.not_yours")
    stale = seen(runtime, "en", "common.stale_button")
    for data in (
        f"hs:set:{fay_eval}:1:5",
        f"hs:skip:{fay_eval}:o",
        f"hs:save:{fay_eval}",
        f"hs:sub:{fay_eval}",
        f"hs:chg:{fay_eval}",
        f"hs:chh:{fay_eval}:0",
        f"hs:back:{fay_eval}",
        f"hs:pick:{TOKEN}:{ev.id_of('Fay')}",
        f"hs:pick:{TOKEN}:{ev.id_of('Nadia')}",
        f"hs:pick:{TOKEN}:{ev.id_of('Diana')}",
    ):
        assert await forge(sandbox, hannah, mid, data) == not_yours, data
    for data in (
        "hs:set",
        f"hs:set:{fay_eval}",
        f"hs:set:{fay_eval}:1",
        f"hs:skip:{fay_eval}",
        f"hs:skip:{fay_eval}:x",
        f"hs:skip:{fay_eval}:c",
        "hs:pick:2026:1",
        f"hs:pick:{TOKEN}",
        "hs:pick:209913:1",
        "hs:page:202613:0",
        f"hs:page:{TOKEN}",
        "hs:sub:0",
        "hs:sub:424242",
        "hs:sub:",
        "hs:SUB:1",
        "hs:sub:1 ",
        "hs:sub:-1",
        "hs",
        "hs:",
        "hs:" + "s" * 70,
    ):
        assert await forge(sandbox, hannah, mid, data) == stale, data
    # Her own submitted one, by a forged press: already with the director.
    assert await forge(sandbox, hannah, mid, f"hs:set:{sam_eval}:0:1") == seen(
        runtime, "en", "score.refused.submitted"
    )
    # The list is as it was; the database too.
    assert sandbox.message(hannah, mid)["text"] == listing["text"]  # type: ignore[index]
    assert await snapshot(runtime) == before


async def test_huge_ids_in_score_buttons_are_stale(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    before = await snapshot(runtime)
    hannah = ev["Hannah"]
    mid = await any_message(ev, "Hannah")
    stale = seen(runtime, "en", "common.stale_button")
    for number in (HUGE, JUST_PAST_INT64):
        for data in (
            f"hs:set:{number}:0:1",
            f"hs:sub:{number}",
            f"hs:pick:{TOKEN}:{number}",
        ):
            assert await forge(sandbox, hannah, mid, data) in (
                stale,
                seen(runtime, "en", "score.not_yours"),
            ), data
    assert await snapshot(runtime) == before


async def test_huge_ids_in_review_buttons_are_stale(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    before = await snapshot(runtime)
    diana = ev["Diana"]
    mid = await any_message(ev, "Diana")
    stale = seen(runtime, "en", "common.stale_button")
    for number in (HUGE, JUST_PAST_INT64):
        for data in (f"hr:ok:{number}", f"hr:ret:{number}", f"hr:hist:{number}"):
            assert await forge(sandbox, diana, mid, data) == stale, data
    assert await snapshot(runtime) == before


async def test_forged_review_and_sign_buttons_with_wrong_shapes_or_periods(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    before = await snapshot(runtime)
    stale = seen(runtime, "en", "common.stale_button")
    diana = ev["Diana"]
    # Forged on her own review screen, so that the review's rules judge them, not the guard.
    mid = await review_screen(ev)
    before = await snapshot(runtime)
    for data in (
        "hr:all:202613:1",
        "hr:all:209901:1",
        f"hr:all:{TOKEN}",
        f"hr:all:{TOKEN}:x",
        f"hr:all:{TOKEN}:1:2:3",
        "hr:ok:0",
        "hr:hist:0",
        f"hr:hist:{HUGE[:6]}",
        "hr",
    ):
        assert await forge(sandbox, diana, mid, data) == stale, data
    # A count that no longer matches confirms nothing; one no button could carry is forged.
    assert await forge(sandbox, diana, mid, f"hr:all:{TOKEN}:7:00000000") == seen(
        runtime, "en", "review.all_changed_toast"
    )
    assert await forge(sandbox, diana, mid, f"hr:all:{TOKEN}:{HUGE}") == stale
    george = ev["George"]
    zh_stale = seen(runtime, "zh", "common.stale_button")
    await ev.say("George", f"/sign {PERIOD}")
    gmid = screen_of(ev, "George", "hg")
    assert gmid is not None
    for data in (
        "hg:yes",
        "hg:yes:2026",
        "hg:yes:202613",
        "hg:yes:209901",
        f"hg:yes:{TOKEN}:1",
        f"hg:sign:{TOKEN}",
        "hg:ask:20261",
    ):
        assert await forge(sandbox, george, gmid, data) == zh_stale, data
    # Another period's token: October is signed already.
    assert await forge(sandbox, george, gmid, "hg:yes:202610") == seen(
        runtime, "zh", hearts.SIGN_ALREADY_SIGNED
    )
    assert await snapshot(runtime) == before


# --- groups ----------------------------------------------------------------------------------


async def test_every_evaluation_command_in_any_group_or_topic_answers_one_line(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    everyone = list(ev.people.values())
    other = ev.hotel.group("Night shift", *everyone)
    forum = ev.hotel.group("Hotel forum", *everyone, forum=True)
    topic = sandbox.add_topic(forum, "Scores?")
    private_only = seen(runtime, "zh", "evaluation.private_only")  # the hotel's language
    commands = (
        ("Hannah", "/score"),
        ("Hannah", "/score 2026-11"),
        ("Diana", "/review"),
        ("Diana", "/review 2026-11"),
        ("George", "/sign 2026-11"),
        ("Sam", "/myscore"),
        ("Sam", "/myscore 2026-11"),
        ("Diana", "/scores 2026-11 hk"),
        ("Hannah", "/trend Sam"),
        ("George", "/export scores 2026-11"),
    )
    for chat, thread in ((ev.group, None), (other, None), (forum, topic)):
        for name, command in commands:
            await sandbox.send_message(ev[name], chat, command, thread_id=thread)
            answer = await sandbox.wait_for_message(chat, thread)
            assert answer["text"] == private_only, command
            assert answer.get("message_thread_id") == thread, command
    await sandbox.wait_idle()
    for chat in (ev.group, other, forum):
        messages = sandbox.messages(chat)
        assert not any("photo" in m or "document" in m for m in messages)
        texts = "\n".join(str(m.get("text") or m.get("caption") or "") for m in messages)
        for secret in ("Sam Staff", "Sue Staff", "Guests ask", "Rushed", "27", "21", "/30"):
            assert secret not in texts, secret


async def test_a_forged_review_press_in_a_group_changes_nothing_and_shows_no_score(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    sam_eval = await evaluate(ev, PERIOD, "Sam", "Hannah", SAM_NOV, confirm=False)
    await sandbox.send_message(ev["Diana"], ev.group, "/review")
    line = await sandbox.wait_for_message(ev.group)
    before = await snapshot(runtime)
    for data in (f"hr:ok:{sam_eval}", f"hr:all:{TOKEN}:1:00000000"):
        toast = await forge(sandbox, ev["Diana"], line["message_id"], data, chat=ev.group)
        assert toast == seen(runtime, "en", "evaluation.private_only"), data
    await sandbox.wait_idle()
    assert sandbox.message(ev.group, line["message_id"])["text"] == line["text"]  # type: ignore[index]
    assert "Sam Staff" not in "\n".join(ev.group_texts())
    assert await snapshot(runtime) == before


async def test_a_forged_sign_press_in_a_group_changes_nothing_and_shows_no_score(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    await sandbox.send_message(ev["George"], ev.group, "/sign")
    line = await sandbox.wait_for_message(ev.group)
    before = await snapshot(runtime)
    toast = await forge(sandbox, ev["George"], line["message_id"], f"hg:ask:{TOKEN}", ev.group)
    assert toast == seen(runtime, "zh", "evaluation.private_only")
    await sandbox.wait_idle()
    assert sandbox.message(ev.group, line["message_id"])["text"] == line["text"]  # type: ignore[index]
    group = "\n".join(ev.group_texts())
    assert "Sam Staff" not in group
    assert str(sum(SAM_NOV)) not in group
    assert await snapshot(runtime) == before


async def test_a_forged_score_press_in_a_group_changes_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    sam_eval = await evaluate(ev, PERIOD, "Sam", "Hannah", (4,))
    await sandbox.send_message(ev["Hannah"], ev.group, "/score")
    line = await sandbox.wait_for_message(ev.group)
    before = await snapshot(runtime)
    for data in (f"hs:set:{sam_eval}:1:1", f"hs:pick:{TOKEN}:{ev.id_of('Sue')}"):
        toast = await forge(sandbox, ev["Hannah"], line["message_id"], data, chat=ev.group)
        assert toast == seen(runtime, "en", "evaluation.private_only"), data
    assert sandbox.message(ev.group, line["message_id"])["text"] == line["text"]  # type: ignore[index]
    assert await snapshot(runtime) == before


# --- after signing ---------------------------------------------------------------------------


async def test_after_signing_every_action_on_the_period_is_refused_and_changes_nothing(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = unsigned
    # Screens drawn before the signature: Olivia's and Hannah's /score, Diana's /review.
    await ev.say("Olivia", f"/score {PERIOD}")
    await ev.say("Hannah", f"/score {PERIOD}")
    await review_screen(ev)
    await ev.say("George", f"/sign {PERIOD}")
    await sign(ev, PERIOD)
    sam_eval = await evaluation_id_of(runtime, ev.id_of("Sam"))
    felix_draft = await evaluation_id_of(runtime, ev.id_of("Felix"))
    before = await snapshot(runtime)
    refused = seen(runtime, "en", "score.refused.signed")
    olivia = ev["Olivia"]
    stale = seen(runtime, "en", "common.stale_button")
    # Pressed on a scoring screen drawn before the signature (Olivia's draft of Felix
    # stopped at his third heart; Hannah's of Sam is confirmed), the evaluation's rules
    # refuse; pressed on any other message, the press guard does before them.
    mid = screen_of(ev, "Olivia", "hs")
    assert mid is not None
    other = await any_message(ev, "Olivia")
    for data in (
        f"hs:set:{felix_draft}:2:5",
        f"hs:save:{felix_draft}",
        f"hs:sub:{felix_draft}",
        f"hs:pick:{TOKEN}:{ev.id_of('Felix')}",
        f"hs:pick:{TOKEN}:{ev.id_of('Hannah')}",
        f"hs:page:{TOKEN}:0",
    ):
        assert await forge(sandbox, olivia, mid, data) == refused, data
        assert await forge(sandbox, olivia, other, data) == stale, data
    # Hannah's evaluations are all confirmed: her /score carries no button to press on.
    assert screen_of(ev, "Hannah", "hs") is None
    hmid = await any_message(ev, "Hannah")
    for data in (f"hs:chh:{sam_eval}:0", f"hs:sub:{sam_eval}"):
        assert await forge(sandbox, ev["Hannah"], hmid, data) == stale, data
    # Typed text no longer goes to the signed draft.
    assert (await ev.say("Olivia", "He is great")).get("text") == seen(
        runtime, "en", "common.not_understood"
    )
    assert (await ev.say("Olivia", "/score 2026-11"))["text"] == seen(
        runtime, "en", "score.signed", period=EN_PERIOD
    )
    diana = ev["Diana"]
    dmid = screen_of(ev, "Diana", "hr")
    assert dmid is not None
    signed_toast = seen(runtime, "en", "review.refused_signed", period=EN_PERIOD)
    for data in (f"hr:ok:{sam_eval}", f"hr:ret:{sam_eval}", f"hr:all:{TOKEN}:0:00000000"):
        assert await forge(sandbox, diana, dmid, data) == signed_toast, data
    gmid = screen_of(ev, "George", "hg")  # his /sign overview, drawn before the signature
    assert gmid is not None
    assert await forge(sandbox, ev["George"], gmid, f"hg:yes:{TOKEN}") == seen(
        runtime, "zh", hearts.SIGN_ALREADY_SIGNED
    )
    # That answer redrew the overview as signed: no button is left on it to press again.
    assert screen_of(ev, "George", "hg") is None
    assert await forge(sandbox, ev["George"], gmid, f"hg:ask:{TOKEN}") == seen(
        runtime, "zh", "common.stale_button"
    )
    admin = ev.admin
    for text in (
        "/period close 2026-11",
        "/period reopen 2026-11",
        "/period deadline 2026-11 2026-12-20 18:00",
    ):
        await sandbox.send_message(admin, text=text)
        answer = await sandbox.wait_for_message(admin)
        assert answer["text"] == seen(runtime, "en", "period.signed", period=EN_PERIOD), text
    await sandbox.wait_idle()
    assert await snapshot(runtime) == before


async def test_a_return_reason_typed_after_the_evaluation_was_confirmed_changes_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    sam_eval = await evaluate(ev, PERIOD, "Sam", "Hannah", SAM_NOV, confirm=False)
    diana = ev["Diana"]
    await sandbox.send_message(diana, text="/review")
    await sandbox.wait_idle()
    hk = next(m for m in ev.inbox("Diana") if f"hr:ret:{sam_eval}" in str(m.get("reply_markup")))
    query = await sandbox.press_button(diana, None, hk["message_id"], data=f"hr:ret:{sam_eval}")
    await sandbox.wait_callback_answer(query)
    question = await sandbox.wait_for_message(diana, contains="Why are you returning")
    # She changes her mind and confirms from a forged copy of the button, then answers.
    assert await forge(sandbox, diana, hk["message_id"], f"hr:ok:{sam_eval}") == seen(
        runtime, "en", "review.confirmed", name="Sam Staff"
    )
    before = await snapshot(runtime)
    await sandbox.send_message(diana, text="Too generous", reply_to=question["message_id"])
    answer = await sandbox.wait_for_message(diana)
    assert answer["text"] == seen(runtime, "en", "review.already.confirmed", name="Sam Staff")
    await sandbox.wait_idle()
    assert "Too generous" not in inbox_text(ev, "Hannah")
    assert await snapshot(runtime) == before


# --- typed text and markup -------------------------------------------------------------------


async def sam_at_first_comment(ev: EvaluationHotel, runtime: Runtime) -> tuple[int, int]:
    """Hannah, through /score, gives Sam a 2 for confidence: the draft waits for a comment.
    The message id of the conversation and the evaluation id."""
    sandbox = ev.sandbox
    hannah = ev["Hannah"]
    listing = await ev.say("Hannah", "/score")
    mid = listing["message_id"]
    query = await sandbox.press_button(hannah, None, mid, label="Sam Staff · Housekeeping")
    await sandbox.wait_callback_answer(query)
    two = seen(runtime, "en", "score.button", score=2, label=seen(runtime, "en", "hearts.score.2"))
    query = await sandbox.press_button(hannah, None, mid, label=two)
    await sandbox.wait_callback_answer(query)
    return mid, await evaluation_id_of(runtime, ev.id_of("Sam"))


async def test_a_comment_with_markup_a_newline_and_emoji_is_kept_as_typed(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    _mid, sam_eval = await sam_at_first_comment(ev, runtime)
    comment = "<b>Late</b> & <script>alert(1)</script> 🙂\nline two &amp; <i>"
    answer = await ev.say("Hannah", comment)
    assert answer["text"].startswith(seen(runtime, "en", "score.comment_saved"))
    async with runtime.sessions() as session:
        item = await store.scored(session, sam_eval)
    assert item is not None
    assert item.comments == {"confidence": comment}
    assert item.evaluation.step == "h:1"
    # The screen after it reads the step that follows: the second heart.
    assert "2/6" in answer["text"]


async def test_bad_comments_and_commands_while_a_comment_is_awaited_change_nothing(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    _mid, sam_eval = await sam_at_first_comment(ev, runtime)
    before = await snapshot(runtime)
    too_long = seen(runtime, "en", "score.comment_length", max=500)
    for text in ("x" * 501, "   ", "好" * 501):
        assert (await ev.say("Hannah", text))["text"] == too_long
    # Commands are commands, not comments.
    assert (await ev.say("Hannah", "/myscore"))["text"] == seen(
        runtime, "en", "results.my.nothing_signed"
    )
    assert (await ev.say("Hannah", "/scores 2026-11"))["text"] == seen(
        runtime, "en", "results.scores.nothing_own", period=EN_PERIOD
    )
    unknown = await ev.say("Hannah", "/bogus because")
    assert unknown["text"] == seen(runtime, "en", "common.unknown_command", command="/bogus")
    assert await snapshot(runtime) == before
    # The longest comment is still taken.
    assert (await ev.say("Hannah", "y" * 500))["text"].startswith(
        seen(runtime, "en", "score.comment_saved")
    )
    async with runtime.sessions() as session:
        item = await store.scored(session, sam_eval)
    assert item is not None
    assert item.comments == {"confidence": "y" * 500}


async def test_a_comment_typed_as_a_reply_to_the_question_is_saved(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    mid, sam_eval = await sam_at_first_comment(ev, runtime)
    await sandbox.send_message(ev["Hannah"], text="Late twice this month", reply_to=mid)
    answer = await sandbox.wait_for_message(ev["Hannah"])
    assert answer["text"].startswith(seen(runtime, "en", "score.comment_saved"))
    async with runtime.sessions() as session:
        item = await store.scored(session, sam_eval)
    assert item is not None
    assert item.comments == {"confidence": "Late twice this month"}


async def test_names_and_comments_with_markup_read_literally_in_every_result(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    odd = "Sam <b>&amp;</b> <Co> & “Q”"
    async with runtime.sessions() as session:
        staff = await session.get(Staff, ev.id_of("Sam"))
        assert staff is not None
        staff.name = odd
        session.add(staff)
        await session.commit()
    await open_periods(ev, PERIOD)
    sam_eval = await evaluate(
        ev,
        PERIOD,
        "Sam",
        "Hannah",
        (1, 4, 4, 4, 4, 4),
        comments={"confidence": "<i>never</i> & <u>ever</u>"},
        overall="a < b > c &",
        confirm=False,
    )
    diana = ev["Diana"]
    await sandbox.send_message(diana, text="/review")
    # Its four messages may take a moment (one chat: one message a second at most).
    await eventually(
        lambda: inbox_text(ev, "Diana"),
        lambda text: odd in text and "<i>never</i> & <u>ever</u>" in text,
    )
    hk = next(m for m in ev.inbox("Diana") if f"hr:ok:{sam_eval}" in str(m.get("reply_markup")))
    assert await forge(sandbox, diana, hk["message_id"], f"hr:hist:{sam_eval}") == ""
    history = await sandbox.wait_for_message(diana, contains="a < b > c &")
    assert odd in history["text"]
    assert await forge(sandbox, diana, hk["message_id"], f"hr:ok:{sam_eval}") == seen(
        runtime, "en", "review.confirmed", name=odd
    )
    await sign(ev, PERIOD)
    mine = await ev.say("Sam", "/myscore")
    assert "<i>never</i> & <u>ever</u>" in mine["text"]
    assert "photo" in await sandbox.wait_for_message(ev["Sam"])
    report = await ev.say("Diana", "/scores 2026-11")
    assert odd in report["text"]
    assert "photo" in await sandbox.wait_for_message(diana)
    trend = await ev.say("Diana", "/trend <Co>")
    assert trend["text"].splitlines()[0] == seen(runtime, "en", "results.trend.title", name=odd)


# --- the longest texts -------------------------------------------------------------------------


async def test_a_returned_evaluation_with_the_longest_comments_still_opens(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    long = {heart: heart[0] * 500 for heart in hearts.HEARTS}
    sam_eval = await evaluate(
        ev, PERIOD, "Sam", "Hannah", (1,) * 6, comments=long, overall="o" * 500, confirm=False
    )
    async with runtime.sessions() as session:
        assert await store.return_evaluation(
            session, sam_eval, by=ev.id_of("Diana"), reason="r" * 500, now=runtime.clock()
        )
    listing = await ev.say("Hannah", "/score")
    query = await sandbox.press_button(
        ev["Hannah"], None, listing["message_id"], label="↩ Sam Staff · Housekeeping"
    )
    assert (await sandbox.wait_callback_answer(query)).get("text") is None
    shown = sandbox.message(ev["Hannah"], listing["message_id"])
    assert shown is not None
    assert "r" * 500 in shown["text"]


async def test_the_longest_result_reaches_the_director_and_the_evaluee(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, PERIOD)
    long = {heart: heart[0] * 500 for heart in hearts.HEARTS}
    sam_eval = await evaluate(
        ev, PERIOD, "Sam", "Hannah", (1,) * 6, comments=long, overall="o" * 500
    )
    diana = ev["Diana"]
    mid = await review_screen(ev, f"hr:hist:{sam_eval}")
    query = await sandbox.press_button(diana, None, mid, data=f"hr:hist:{sam_eval}")
    assert (await sandbox.wait_callback_answer(query)).get("text") is None
    await sandbox.wait_for_message(diana, contains="o" * 500)
    await sign(ev, PERIOD)
    mine = await ev.say("Sam", "/myscore")
    assert "o" * 500 in mine["text"]
    assert "photo" in await sandbox.wait_for_message(ev["Sam"])


async def test_the_director_cannot_open_a_draft_through_a_forged_history_button(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    """A draft is still its evaluator's: /review never shows its scores, nor does History."""
    ev = unsigned
    draft_id = await evaluation_id_of(runtime, ev.id_of("Felix"))  # Olivia's half-way draft
    async with runtime.sessions() as session:
        draft = await store.get_evaluation(session, draft_id)
    assert draft is not None
    assert draft.status == EvaluationStatus.DRAFT
    diana = ev["Diana"]
    mid = await review_screen(ev)  # forged on her own board, so the review's rules judge it
    before = len(ev.inbox("Diana"))
    toast = await forge(sandbox, diana, mid, f"hr:hist:{draft_id}")
    assert toast == seen(runtime, "en", "review.already.draft", name="Felix Head")
    await sandbox.wait_idle()
    assert len(ev.inbox("Diana")) == before


async def test_a_hotel_too_big_for_one_message_gets_its_lists_as_documents_beside_the_buttons(
    unsigned: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    """400 more people in housekeeping, not scored yet: the GM's overview and the admin's
    /period outgrow a message. Each list arrives whole as a document; the GM's Sign button
    is on one short message that is edited as he presses."""
    ev = unsigned
    rows = [
        RosterRow(
            line=line,
            telegram_id=9000 + line,
            username=None,
            name=f"Extra Person {line:03}",
            department="hk",
            roles=("staff",),
            # Hannah is behind with the even ones (the GM's overview lists each); nobody
            # scores the odd ones yet (the admin's /period lists each).
            reports_to="7002" if line % 2 == 0 else None,
            language="en",
        )
        for line in range(2, 402)
    ]
    async with runtime.sessions() as session:
        assert (await import_roster(session, rows=rows, now=runtime.clock())).errors == []
    george = ev["George"]
    before = len(ev.inbox("George"))
    await sandbox.send_message(george, text=f"/sign {PERIOD}")
    await sandbox.wait_for_message(george, predicate=lambda m: bool(data_of(m)))
    document, screen = ev.inbox("George")[before:]
    assert document["document"]["file_name"] == f"sign-{PERIOD}.txt"
    listed = sandbox.file_bytes(document["document"]["file_id"]).decode()
    assert "Extra Person 002" in listed
    assert "Extra Person 400" in listed
    assert "Extra Person" not in screen["text"]
    assert screen["text"].startswith(seen(runtime, "zh", "sign.title", period="2026年11月"))
    ask = next(d for d in data_of(screen) if d.startswith("hg:ask:"))
    query = await sandbox.press_button(george, None, screen["message_id"], data=ask)
    await sandbox.wait_callback_answer(query)
    await sandbox.wait_idle()
    asking = sandbox.message(george, screen["message_id"])
    assert asking is not None
    assert f"hg:yes:{TOKEN}" in data_of(asking)
    assert "Extra Person" not in asking["text"]

    admin = ev.admin
    await sandbox.send_message(admin, text="/period")
    last = await sandbox.wait_for_message(admin, predicate=lambda m: "document" in m)
    assert last["document"]["file_name"] == "periods.txt"
    assert "Extra Person 401" in sandbox.file_bytes(last["document"]["file_id"]).decode()
