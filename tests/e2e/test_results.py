"""Six-hearts results as people see them: /myscore, /scores, /trend and /export scores.

The evaluations are built through storage (the /score and /review conversations are tested
on their own): October is signed with Sam 24 and Sue 23; in November Hannah scored Sam 27
(returned once by the director, then confirmed) and Sue 21, Olivia scored Hannah 24, Felix
scored Fay 18, and Olivia's evaluation of Felix is still a draft.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from openpyxl import load_workbook

from bot import hearts
from bot.runtime import Runtime
from sandbox import Sandbox
from storage import hearts as store
from storage import org
from tests.e2e.conftest import seen
from tests.e2e.evaluation import EvaluationHotel

PNG = b"\x89PNG\r\n\x1a\n"
RETURN_REASON = "Explain the 5 for sincerity, please"

SAM_NOV = (5, 5, 4, 4, 5, 4)  # 27
SUE_NOV = (4, 3, 4, 2, 4, 4)  # 21: a 2 for patience needs a comment
HANNAH_NOV = (4, 4, 4, 4, 4, 4)  # 24
FAY_NOV = (3, 3, 3, 3, 3, 3)  # 18
SAM_OCT = (4, 4, 4, 4, 4, 4)  # 24
SUE_OCT = (4, 4, 4, 4, 4, 3)  # 23


async def evaluate(
    ev: EvaluationHotel,
    period_key: str,
    evaluee: str,
    evaluator: str,
    values: Sequence[int],
    *,
    comments: Mapping[str, str] | None = None,
    overall: str = "",
    returned_with: str | None = None,
    confirm: bool = True,
) -> int:
    """An evaluation taken step by step as the scoring conversation would, submitted and
    confirmed by Diana (after one return, if `returned_with`)."""
    rt = ev.runtime
    comments = dict(comments or {})
    now = rt.clock()
    async with rt.sessions() as session:
        period = await store.get_period(session, period_key)
        assert period is not None
        rules = store.rules_of(period)
        department = "fb" if evaluee in ("Felix", "Fay") else "hk"
        evaluation = await store.start_evaluation(
            session,
            period_key=period_key,
            evaluee_id=ev.id_of(evaluee),
            evaluator_id=ev.id_of(evaluator),
            department=department,
            now=now,
        )
        evaluation_id = evaluation.id
        assert evaluation_id is not None
        step = evaluation.step
        given: dict[str, int] = {}
        said: dict[str, str] = {}
        for index, (heart, score) in enumerate(zip(rules.hearts, values, strict=False)):
            given[heart] = score
            after = hearts.step_after_score(
                index, given, said, rules, changing=False, overall_done=False
            )
            assert await store.record_score(
                session,
                evaluation_id,
                expected_step=step,
                heart=heart,
                score=score,
                next_step=after,
                now=now,
            )
            step = after
            if step.startswith("c:"):
                said[heart] = comments[heart]
                after = hearts.next_step(given, said, rules, overall_done=False)
                assert await store.record_comment(
                    session,
                    evaluation_id,
                    expected_step=step,
                    heart=heart,
                    comment=said[heart],
                    next_step=after,
                    now=now,
                )
                step = after
        if len(values) < len(rules.hearts):
            return evaluation_id  # a draft left half way
        assert step == hearts.STEP_OVERALL
        assert await store.record_comment(
            session,
            evaluation_id,
            expected_step=step,
            heart=None,
            comment=overall,
            next_step=hearts.STEP_SUMMARY,
            now=now,
        )
        by = ev.id_of(evaluator)
        assert await store.submit(session, evaluation_id, by=by, now=now, period_status="open")
        director = ev.id_of("Diana")
        if returned_with is not None:
            assert await store.return_evaluation(
                session, evaluation_id, by=director, reason=returned_with, now=now
            )
            assert await store.submit(session, evaluation_id, by=by, now=now, period_status="open")
        if confirm:
            assert await store.confirm(session, evaluation_id, by=director, now=now)
    return evaluation_id


async def open_periods(ev: EvaluationHotel, *keys: str) -> None:
    rt = ev.runtime
    async with rt.sessions() as session:
        for key in keys:
            await store.open_period(session, key, now=rt.clock(), zone=rt.settings.zone)


async def sign(ev: EvaluationHotel, key: str) -> None:
    async with ev.runtime.sessions() as session:
        assert await store.sign_period(session, key, by=ev.id_of("George"), now=ev.runtime.clock())


async def october(ev: EvaluationHotel) -> None:
    await evaluate(ev, "2026-10", "Sam", "Hannah", SAM_OCT)
    await evaluate(ev, "2026-10", "Sue", "Hannah", SUE_OCT)
    await sign(ev, "2026-10")


async def november(ev: EvaluationHotel) -> None:
    await evaluate(
        ev,
        "2026-11",
        "Sam",
        "Hannah",
        SAM_NOV,
        overall="Guests ask for him by name",
        returned_with=RETURN_REASON,
    )
    await evaluate(
        ev,
        "2026-11",
        "Sue",
        "Hannah",
        SUE_NOV,
        comments={"patience": "Rushed a guest at checkout"},
    )
    await evaluate(ev, "2026-11", "Hannah", "Olivia", HANNAH_NOV)
    await evaluate(ev, "2026-11", "Fay", "Felix", FAY_NOV)
    await evaluate(ev, "2026-11", "Felix", "Olivia", (5, 5))  # a draft: never counted


@pytest.fixture
async def signed(evaluation: EvaluationHotel) -> EvaluationHotel:
    """October and November both scored, confirmed and signed."""
    await open_periods(evaluation, "2026-10", "2026-11")
    await october(evaluation)
    await november(evaluation)
    await sign(evaluation, "2026-11")
    return evaluation


def person_line(
    runtime: Runtime, language: str, rank: int, name: str, total: int, change: str
) -> str:
    return seen(
        runtime,
        language,
        "results.scores.person",
        rank=rank,
        name=name,
        total=total,
        average=f"{total / 6:.2f}",
        change=change,
    )


async def next_photo(sandbox: Sandbox, ev: EvaluationHotel, name: str) -> dict[str, Any]:
    photo = await sandbox.wait_for_message(ev[name])
    assert "photo" in photo, photo
    assert sandbox.file_bytes(photo["photo"][-1]["file_id"]).startswith(PNG)
    return photo


def everything_sent_to(ev: EvaluationHotel, name: str) -> str:
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in ev.inbox(name))


# --- /myscore --------------------------------------------------------------------------------


async def test_after_signing_sam_sees_his_own_result_and_a_radar_and_sue_sees_only_hers(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    mine = await ev.say("Sam", "/myscore")
    text = mine["text"]
    lines = text.splitlines()
    assert lines[0] == seen(runtime, "en", "results.my.title", period="November 2026")
    assert lines[1] == seen(runtime, "en", "results.my.evaluator", name="Hannah Head")
    for heart, score in zip(hearts.HEARTS, SAM_NOV, strict=True):
        expected = seen(
            runtime,
            "en",
            "evaluation.line",
            heart=seen(runtime, "en", hearts.name_key(heart)),
            score=score,
            label=seen(runtime, "en", hearts.score_key(score)),
        )
        assert expected in lines
    assert seen(runtime, "en", "evaluation.total", total=27, max=30, average="4.50") in lines
    assert seen(runtime, "en", "evaluation.overall", comment="Guests ask for him by name") in lines
    assert (
        seen(runtime, "en", "results.my.rank", department="Housekeeping", rank=1, count=3) in lines
    )
    assert seen(runtime, "en", "results.my.change", period="October 2026", change="▲ +3") in lines
    # The director's return reason is between her and the evaluator.
    assert RETURN_REASON not in text
    radar = await next_photo(sandbox, ev, "Sam")
    assert radar["caption"] == seen(
        runtime,
        "en",
        "results.my.chart_caption",
        department="Housekeeping",
        period="November 2026",
    )

    hers = await ev.say("Sue", "/myscore 2026-11")
    assert "Rushed a guest at checkout" in hers["text"]
    assert (
        seen(runtime, "en", "evaluation.total", total=21, max=30, average="3.50")
        in hers["text"].splitlines()
    )
    assert (
        seen(runtime, "en", "results.my.change", period="October 2026", change="▼ -2")
        in hers["text"]
    )
    await next_photo(sandbox, ev, "Sue")
    # Sue asks for every report there is: nothing of Sam's reaches her.
    assert (await ev.say("Sue", "/scores 2026-11"))["text"] == seen(
        runtime, "en", "results.scores.not_allowed"
    )
    assert (await ev.say("Sue", "/trend Sam"))["text"] == seen(
        runtime, "en", "results.trend.unknown", text="Sam"
    )
    assert (await ev.say("Sue", "/export scores 2026-11"))["text"] == seen(
        runtime, "en", "results.export.not_allowed"
    )
    seen_by_sue = everything_sent_to(ev, "Sue")
    assert "Sam Staff" not in seen_by_sue
    assert "Guests ask for him" not in seen_by_sue
    assert "27" not in seen_by_sue


async def test_a_zh_reader_gets_the_result_in_chinese(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    fay = await signed.say("Fay", "/myscore")
    assert fay["text"].splitlines()[0] == seen(
        runtime, "zh", "results.my.title", period="2026年11月"
    )
    assert (
        seen(runtime, "zh", "results.my.rank", department="餐饮部", rank=1, count=1) in fay["text"]
    )
    # No October result for Fay: nothing to compare with.
    assert seen(runtime, "zh", "results.my.change", period="2026年10月", change="—") in fay["text"]
    await next_photo(sandbox, signed, "Fay")


async def test_before_signing_nobody_sees_their_own_result(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, "2026-11")
    await november(ev)
    before = len(ev.inbox("Sam"))
    assert (await ev.say("Sam", "/myscore"))["text"] == seen(
        runtime, "en", "results.my.nothing_signed"
    )
    assert (await ev.say("Sam", "/myscore 2026-11"))["text"] == seen(
        runtime, "en", "results.my.not_signed", period="November 2026"
    )
    assert (await ev.say("Sam", "/myscore 2026-10"))["text"] == seen(
        runtime, "en", "evaluation.no_such_period", period="October 2026"
    )
    assert (await ev.say("Sam", "/myscore someday"))["text"] == seen(
        runtime, "en", "hearts.period.error.unreadable", text="someday"
    )
    assert (await ev.say("Sam", "/trend"))["text"] == seen(runtime, "en", "results.trend.none_own")
    await sandbox.wait_idle()
    assert len(ev.inbox("Sam")) == before + 5  # one sentence each, no photo
    assert "27" not in everything_sent_to(ev, "Sam")

    # The evaluator sees what they scored all along, marked as not final.
    report = await ev.say("Hannah", "/scores 2026-11")
    assert seen(runtime, "en", "results.scores.unsigned") in report["text"].splitlines()


async def test_nadia_signed_but_not_scored_has_no_result(
    signed: EvaluationHotel, runtime: Runtime
) -> None:
    assert (await signed.say("Nadia", "/myscore 2026-11"))["text"] == seen(
        runtime, "en", "results.my.none_in", period="November 2026"
    )


# --- /scores ---------------------------------------------------------------------------------


async def test_the_director_sees_every_department_with_ranks_changes_and_a_chart(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    report = await ev.say("Diana", "/scores 2026-11")
    lines = report["text"].splitlines()
    assert lines[0] == seen(runtime, "en", "results.scores.title", period="November 2026")
    assert lines[1] == seen(
        runtime, "en", "results.scores.signed", who="George GM", at="2026-11-27 10:00"
    )
    assert seen(runtime, "en", "results.scores.change_note", period="October 2026") in lines
    assert (
        seen(
            runtime,
            "en",
            "results.scores.department",
            department="Housekeeping",
            count=3,
            average="24.00",
            max=30,
        )
        in lines
    )
    hk = lines.index(
        seen(
            runtime,
            "en",
            "results.scores.department",
            department="Housekeeping",
            count=3,
            average="24.00",
            max=30,
        )
    )
    # Per-heart averages of Sam, Sue and Hannah.
    assert lines[hk + 1] == "Conf 4.33 Warm 4.00 Att 4.00 Pat 3.33 Sin 4.33 Care 4.00"
    assert lines[hk + 2 : hk + 5] == [
        person_line(runtime, "en", 1, "Sam Staff", 27, "▲ +3"),
        person_line(runtime, "en", 2, "Hannah Head", 24, "—"),
        person_line(runtime, "en", 3, "Sue Staff", 21, "▼ -2"),
    ]
    fb = lines.index(
        seen(
            runtime,
            "en",
            "results.scores.department",
            department="Food & Beverage",
            count=1,
            average="18.00",
            max=30,
        )
    )
    assert fb > hk
    assert lines[fb + 2] == person_line(runtime, "en", 1, "Fay Staff", 18, "—")
    assert "Felix" not in report["text"]  # a draft never counts
    chart = await next_photo(sandbox, ev, "Diana")
    assert chart["caption"] == seen(runtime, "en", "results.scores.title", period="November 2026")

    # One department by its code.
    only_fb = await ev.say("Diana", "/scores 2026-11 fb")
    assert "Fay Staff" in only_fb["text"]
    assert "Sam Staff" not in only_fb["text"]
    await next_photo(sandbox, ev, "Diana")


async def test_a_head_sees_only_the_people_she_scored(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    report = await ev.say("Hannah", "/scores 2026-11")
    lines = report["text"].splitlines()
    assert seen(runtime, "en", "results.scores.own_scope") in lines
    people = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert people == [
        person_line(runtime, "en", 1, "Sam Staff", 27, "▲ +3"),
        person_line(runtime, "en", 2, "Sue Staff", 21, "▼ -2"),
    ]
    assert "Fay" not in report["text"]
    assert "Hannah Head —" not in report["text"]  # her own result is not hers to report
    await next_photo(sandbox, ev, "Hannah")

    # The ops manager scored Hannah (confirmed) and Felix (a draft): Hannah only.
    olivia = await ev.say("Olivia", "/scores 2026-11")
    assert person_line(runtime, "en", 1, "Hannah Head", 24, "—") in olivia["text"].splitlines()
    assert "Felix" not in olivia["text"]
    assert "Sam" not in olivia["text"]
    await next_photo(sandbox, ev, "Olivia")

    # A department she scored nobody in.
    assert (await ev.say("Hannah", "/scores 2026-11 fb"))["text"] == seen(
        runtime, "en", "results.scores.nothing_own", period="November 2026"
    )


async def test_scores_refuses_bad_input_with_one_sentence(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    cases = [
        ("Sam", "/scores 2026-11", seen(runtime, "en", "results.scores.not_allowed")),
        ("Diana", "/scores", seen(runtime, "en", "results.scores.usage")),
        (
            "Diana",
            "/scores 2026-11 spa",
            seen(runtime, "en", "results.scores.unknown_department", code="spa"),
        ),
        (
            "Diana",
            "/scores someday",
            seen(runtime, "en", "hearts.period.error.unreadable", text="someday"),
        ),
        (
            "Diana",
            "/scores 2026-13",
            seen(runtime, "en", "hearts.period.error.no_such_month", month="13"),
        ),
        (
            "Diana",
            "/scores 2025-01",
            seen(runtime, "en", "evaluation.no_such_period", period="January 2025"),
        ),
        (
            "Diana",
            "/scores 2026-11 mkt",
            seen(runtime, "en", "results.scores.nothing", period="November 2026"),
        ),
    ]
    for name, command, expected in cases:
        before = len(ev.inbox(name))
        assert (await ev.say(name, command))["text"] == expected, command
        await sandbox.wait_idle()
        assert len(ev.inbox(name)) == before + 1, command


async def test_scores_reads_a_typed_period_followed_by_a_department(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    # "last month" on 27 November is October.
    report = await signed.say("George", "/scores last month hk")
    assert report["text"].splitlines()[0] == seen(
        runtime, "zh", "results.scores.title", period="2026年10月"
    )
    assert "Sam Staff" in report["text"]
    await next_photo(sandbox, signed, "George")


# --- /export scores --------------------------------------------------------------------------


async def test_the_gm_exports_a_workbook_whose_numbers_equal_the_database(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    sent = await ev.say("George", "/export scores 2026-11")
    assert sent["document"]["file_name"] == "six-hearts-2026-11.xlsx"
    assert sent["caption"] == seen(
        runtime, "zh", "results.export.caption", period="2026年11月", count=4
    )
    book = load_workbook(io.BytesIO(sandbox.file_bytes(sent["document"]["file_id"])))
    assert book.sheetnames == ["汇总", "客房部", "餐饮部"]

    async with runtime.sessions() as session:
        confirmed = await store.with_scores(
            session, await store.evaluations_in(session, "2026-11", statuses=("confirmed",))
        )
        names = await org.names_by_id(session, [i.evaluation.evaluee_id for i in confirmed])
    in_db = {names[i.evaluation.evaluee_id]: i for i in confirmed}
    assert set(in_db) == {"Sam Staff", "Sue Staff", "Hannah Head", "Fay Staff"}

    in_book = {}
    for sheet in ("客房部", "餐饮部"):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert rows[0][:8] == ("姓名", "评分人", "信心", "热心", "用心", "耐心", "诚心", "细心")
        for row in rows[1:]:
            in_book[row[0]] = (sheet, row)
    assert set(in_book) == set(in_db)
    for name, item in in_db.items():
        sheet, row = in_book[name]
        assert sheet == ("餐饮部" if item.evaluation.department_code == "fb" else "客房部")
        assert list(row[2:8]) == [item.scores[heart] for heart in hearts.HEARTS]
        assert row[8] == hearts.total(item.scores)
        assert row[9] == hearts.average(item.scores)
        assert all(isinstance(value, int | float) for value in row[2:11])
    assert in_book["Sam Staff"][1][10] == 1  # rank
    assert in_book["Sam Staff"][1][11] == 3  # change against October
    assert in_book["Sue Staff"][1][14] == "耐心: Rushed a guest at checkout"
    assert RETURN_REASON not in str([list(r) for s in book for r in s.iter_rows(values_only=True)])
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[1][:3] == ("客房部", 3, 24.0)
    assert summary[2][:3] == ("餐饮部", 1, 18.0)


async def test_only_director_and_gm_export_scores_and_visits_export_still_answers(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    for name in ("Sam", "Hannah", "Olivia"):
        assert (await ev.say(name, "/export scores 2026-11"))["text"] == seen(
            runtime, "en", "results.export.not_allowed"
        )
    assert (await ev.say("Diana", "/export scores"))["text"] == seen(
        runtime, "en", "results.export.usage"
    )
    assert (await ev.say("Diana", "/export scores 2026-09"))["text"] == seen(
        runtime, "en", "evaluation.no_such_period", period="September 2026"
    )
    diana = await ev.say("Diana", "/export scores 2026-11")
    assert diana["document"]["file_name"] == "six-hearts-2026-11.xlsx"
    # /export visits is still the VIP archive.
    visits = await ev.say("Diana", "/export visits 2026-11")
    assert visits["document"]["file_name"] == "vip-receptions-2026-11.xlsx"


# --- /trend ----------------------------------------------------------------------------------


async def test_sam_sees_his_trend_over_both_periods_and_the_director_sees_anyones(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    october_line = seen(
        runtime,
        "en",
        "results.trend.line",
        period="October 2026",
        total=24,
        max=30,
        average="4.00",
    )
    november_line = seen(
        runtime,
        "en",
        "results.trend.line",
        period="November 2026",
        total=27,
        max=30,
        average="4.50",
    )
    own = await ev.say("Sam", "/trend")
    assert own["text"].splitlines() == [
        seen(runtime, "en", "results.trend.title", name="Sam Staff"),
        october_line,
        november_line,
    ]
    await next_photo(sandbox, ev, "Sam")

    by_director = await ev.say("Diana", "/trend sam staff")
    assert by_director["text"].splitlines()[1:] == [october_line, november_line]
    await next_photo(sandbox, ev, "Diana")

    by_head = await ev.say("Hannah", f"/trend {ev.id_of('Sam')}")
    assert by_head["text"].splitlines()[1:] == [october_line, november_line]
    await next_photo(sandbox, ev, "Hannah")


async def test_trend_never_tells_whether_someone_the_caller_may_not_see_exists(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    # Fay exists and has a result; Hannah did not score her. "Zed" does not exist.
    assert (await ev.say("Hannah", "/trend Fay"))["text"] == seen(
        runtime, "en", "results.trend.unknown", text="Fay"
    )
    assert (await ev.say("Hannah", "/trend Zed"))["text"] == seen(
        runtime, "en", "results.trend.unknown", text="Zed"
    )
    assert (await ev.say("Diana", "/trend Staff"))["text"] == seen(
        runtime,
        "en",
        "results.trend.ambiguous",
        text="Staff",
        names=", ".join(
            f"{name} (#{ev.id_of(name.split()[0])})"
            for name in ("Fay Staff", "Sam Staff", "Sue Staff")
        ),
    )
    await sandbox.wait_idle()
    assert not any("photo" in m for m in ev.inbox("Hannah"))


async def test_a_trend_shows_an_unsigned_period_to_the_director_only(
    evaluation: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = evaluation
    await open_periods(ev, "2026-10", "2026-11")
    await october(ev)
    await november(ev)  # confirmed, not signed
    own = await ev.say("Sam", "/trend")
    assert "November" not in own["text"]
    assert len(own["text"].splitlines()) == 2  # the title and October
    await next_photo(sandbox, ev, "Sam")
    director = await ev.say("Diana", "/trend Sam")
    assert (
        director["text"].splitlines()[-1].endswith(seen(runtime, "en", "results.trend.unsigned"))
    )
    await next_photo(sandbox, ev, "Diana")


# --- groups ----------------------------------------------------------------------------------


async def test_in_a_group_every_results_command_answers_one_line_and_shows_no_score(
    signed: EvaluationHotel, sandbox: Sandbox, runtime: Runtime
) -> None:
    ev = signed
    private_only = {
        seen(runtime, language, "evaluation.private_only") for language in ("en", "zh")
    }
    for name, command in (
        ("Sam", "/myscore"),
        ("Diana", "/scores 2026-11"),
        ("Sam", "/trend"),
        ("George", "/export scores 2026-11"),
    ):
        before = len(ev.group_texts())
        await sandbox.send_message(ev[name], ev.group, command)
        answer = await sandbox.wait_for_message(ev.group)
        assert answer["text"] in private_only, command
        await sandbox.wait_idle()
        assert len(ev.group_texts()) == before + 1, command
    group = "\n".join(ev.group_texts())
    for secret in ("27", "24", "Sam Staff", "Guests ask"):
        assert secret not in group
    assert not any("photo" in m or "document" in m for m in sandbox.messages(ev.group))


async def test_admins_see_no_scores(signed: EvaluationHotel, runtime: Runtime) -> None:
    admin = signed.admin
    await signed.sandbox.send_message(admin, text="/scores 2026-11")
    answer = await signed.sandbox.wait_for_message(admin)
    assert answer["text"] == seen(runtime, "en", "results.scores.not_allowed")
