"""Issue 12 on a real database: whom a figure counts, which target is due, increase goals,
minimums, disagreements, changes between versions, and the page, export and JSON agreeing.

The NV example of the issue: 11 kommuner invited, 8 answer Ja to producer rights (1a.5),
3 do not answer. Every expected figure is worked out by hand in a comment.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook

from survey.answering.form import build_answer_form
from survey.db import db
from survey.export.workbook import INDICATOR_COLUMNS, build_workbook
from survey.organisations import OrganisationType
from survey.questionnaires.model import Direction, Indicator, Measure, Questionnaire
from survey.questionnaires.parsing import read_questionnaire_file
from survey.results.judging import Status
from survey.results.trends import compute_round_results
from survey.schema.rounds import Round, RoundState
from tests.export_helpers import INVITED
from tests.factories import (
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"
KOMMUNER = (
    "Bjuv", "Båstad", "Helsingborg", "Höganäs", "Klippan", "Landskrona", "Perstorp", "Svalöv",
    "Åstorp", "Ängelholm", "Örkelljunga",
)  # fmt: skip


_ids = itertools.count(1)


def kommun_recipient(round_: Round, kommun: str, **fields: Any) -> Any:
    return make_recipient(
        round_,
        organisation=fields.pop("organisation", f"{kommun}s kommun"),
        organisation_type="kommun",
        kommun=kommun,
        **fields,
    )


def nv_round(app: Flask, *, answers: dict[str, list[str]]) -> int:
    """A 2025 round of the sample questionnaire to the 11 NV kommuner.

    `answers` maps a kommun to its managers' answers to npo (1a.5); a kommun not in it is
    invited (its manager has an invitation) but has not answered.
    """
    with app.app_context():
        # A questionnaire id of its own: rounds of one test do not compare with each other.
        questionnaire = dataclasses.replace(sample_questionnaire(), id=f"prov-{next(_ids)}")
        version = make_questionnaire_version(questionnaire)
        round_ = make_round(version, reference_date=date(2025, 12, 31))
        for kommun in KOMMUNER:
            given = answers.get(kommun)
            if not given:
                kommun_recipient(round_, kommun, invited_at=INVITED)
                continue
            for number, answer in enumerate(given):
                recipient = kommun_recipient(
                    round_, kommun, organisation=f"{kommun}s kommun, enhet {number + 1}"
                )
                make_submitted_response(round_, recipient, {"npo": answer, "sip_okning": "ja"})
        db.session.commit()
        return int(round_.id)


def results_of(app: Flask, round_id: int) -> dict[str, Any]:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        return {result.id: result for result in compute_round_results(round_)}


EIGHT_OF_ELEVEN = {kommun: ["ja"] for kommun in KOMMUNER[:8]}


def test_samtliga_kommuner_with_three_missing_cannot_be_decided(app: Flask) -> None:
    # 8 of 11 kommuner answer Ja; Ängelholm, Åstorp and Örkelljunga do not answer.
    round_id = nv_round(app, answers=EIGHT_OF_ELEVEN)
    result = results_of(app, round_id)["1a.5"]
    assert result.value == pytest.approx(100.0)  # the share among answering kommuner
    assert dataclasses.astuple(result.population) == ("organisation", 11, 8, 0, 3)
    # low: 8 / 11 = 72.7 %; high: (8 + 3) / 11 = 100 %; the target in force (2024-06-01) is
    # 50 %: met even if all three said Nej.
    assert result.bounds.low == pytest.approx(800 / 11)
    assert result.bounds.high == pytest.approx(100.0)
    assert result.status is Status.UPPNATT
    assert result.missing_text == "8 av 11 kommuner har svarat"


def test_the_final_target_of_all_kommuner_cannot_be_decided_with_any_missing(app: Flask) -> None:
    # The same round dated at the final target, 100 % by 2026-12-31: 72.7 % .. 100 %.
    round_id = nv_round(app, answers=EIGHT_OF_ELEVEN)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        round_.reference_date = date(2026, 12, 31)
        db.session.commit()
    result = results_of(app, round_id)["1a.5"]
    assert result.status is Status.KAN_INTE_AVGORAS
    # All eleven answering Ja decides it.
    everyone = nv_round(app, answers={kommun: ["ja"] for kommun in KOMMUNER})
    with app.app_context():
        round_ = db.session.get(Round, everyone)
        assert round_ is not None
        round_.reference_date = date(2026, 12, 31)
        db.session.commit()
    assert results_of(app, everyone)["1a.5"].status is Status.UPPNATT
    # And if even all three missing said Ja, 5 Ja of 11 misses 100 %.
    few = nv_round(app, answers={kommun: ["ja"] if i < 5 else ["nej"] for i, kommun in
                                 enumerate(KOMMUNER[:8])})  # fmt: skip
    with app.app_context():
        round_ = db.session.get(Round, few)
        assert round_ is not None
        round_.reference_date = date(2026, 12, 31)
        db.session.commit()
    assert results_of(app, few)["1a.5"].status is Status.EJ_UPPNATT


def test_a_kommun_with_several_managers_is_invited_once(app: Flask) -> None:
    answers = dict(EIGHT_OF_ELEVEN, Helsingborg=["ja", "ja", "nej"])
    result = results_of(app, nv_round(app, answers=answers))["1a.5"]
    assert (result.population.invited, result.population.answered) == (11, 8)
    # Per response (1a.1b) every manager counts: 7 + 3 answered, 3 invited without answer.
    per_response = results_of(app, nv_round(app, answers=answers))["1a.1b"]
    assert dataclasses.astuple(per_response.population) == ("response", 13, 10, 0, 3)
    assert per_response.bounds is None


def test_disagreeing_managers_are_flagged(app: Flask) -> None:
    answers = dict(EIGHT_OF_ELEVEN, Helsingborg=["ja", "nej", "ja"])
    round_id = nv_round(app, answers=answers)
    result = results_of(app, round_id)["1a.5"]
    assert [item.text() for item in result.disagreements] == [
        "2 av 3 svarande i Helsingborg svarade Ja"
    ]
    # on the results page
    client = logged_in_client(app, "processledare")
    page = client.get(f"/omgangar/{round_id}/resultat")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    flagged = soup.select("#indikator-1a-5 .disagreement")
    assert [item.get_text(strip=True) for item in flagged] == [
        "2 av 3 svarande i Helsingborg svarade Ja"
    ]
    # and in the export
    with app.app_context():
        out = io.BytesIO()
        build_workbook(round_id, identifying=False, out=out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Indikatorer"]
    column = INDICATOR_COLUMNS.index("Oenighet") + 1
    rows: dict[str, int] = {}
    for row in range(2, sheet.max_row + 1):  # the indicator rows, up to the chart's table
        if sheet.cell(row, 1).value is None:
            break
        rows[sheet.cell(row, 1).value] = row
    assert sheet.cell(rows["1a.5"], column).value == "2 av 3 svarande i Helsingborg svarade Ja"


# -- increase goals and the previous round -----------------------------------------------


def increase_questionnaire(version: str = "1") -> Questionnaire:
    base = sample_questionnaire()
    rising = Indicator(
        "3.1b", "Ökning", "3 Kompetens", "sip_okning", Measure.SHARE_YES,
        direction=Direction.INCREASE, goal="En ökning ska ses mellan åren.",
    )  # fmt: skip
    return dataclasses.replace(base, version=version, indicators=(rising,))


def answered_round(version: Any, year: int, answers: list[str], state: RoundState) -> Round:
    round_ = make_round(version, reference_date=date(year, 12, 31), state=state)
    for answer in answers:
        make_submitted_response(round_, make_recipient(round_), {"sip_okning": answer})
    return round_


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (["ja", "nej"], ["ja", "ja", "nej"], Status.UPPNATT),  # 50 % → 66.7 %
        (["ja", "nej"], ["ja", "nej"], Status.EJ_UPPNATT),  # unchanged
        (["ja", "ja"], ["ja", "nej"], Status.EJ_UPPNATT),  # fell
        (None, ["ja", "nej"], Status.INGET_JAMFORELSEVARDE),  # no previous round
    ],
)
def test_an_increase_goal_is_judged_against_the_previous_round(
    app: Flask, runner: FlaskCliRunner, before: list[str] | None, now: list[str], expected: Status
) -> None:
    with app.app_context():
        version = make_questionnaire_version(increase_questionnaire())
        if before is not None:
            answered_round(version, 2024, before, RoundState.CLOSED)
        current = answered_round(version, 2025, now, RoundState.OPEN)
        db.session.commit()
        round_id = current.id
    result = runner.invoke(args=["round", "results", str(round_id), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["status"] == expected.value
    assert row["direction"] == "increase"
    assert row["target"] is None and row["next_target"] is None


# -- minimums ------------------------------------------------------------------------------


def test_the_questionnaire_and_the_indicator_set_their_own_minimum(app: Flask) -> None:
    base = sample_questionnaire()
    census = dataclasses.replace(base.indicator("1a.5"), min_responses=3)
    questionnaire = dataclasses.replace(
        base,
        min_responses=5,
        indicators=(base.indicator("1a.1b"), census),
    )
    with app.app_context():
        version = make_questionnaire_version(questionnaire)
        round_ = make_round(version, reference_date=date(2025, 12, 31))
        for kommun in ("Bjuv", "Båstad", "Höganäs", "Klippan"):
            make_submitted_response(
                round_, kommun_recipient(round_, kommun), {"sip_okning": "ja", "npo": "ja"}
            )
        db.session.commit()
        # SURVEY_MIN_RESPONSES is 1, yet 4 answers are too few for the questionnaire's 5 …
        results = {result.id: result for result in compute_round_results(round_)}
    assert results["1a.1b"].minimum == 5
    assert results["1a.1b"].status is Status.FOR_FA_SVAR
    # … while 4 kommuner are enough for the census of at least 3.
    assert results["1a.5"].minimum == 3
    assert results["1a.5"].status is Status.UPPNATT


# -- a new questionnaire version: changes noted, replaced questions not compared ----------


def test_the_trend_notes_wording_and_target_changes_between_versions(app: Flask) -> None:
    first = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat.yaml")
    second = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat-v2.yaml")
    with app.app_context():
        old = make_round(
            make_questionnaire_version(first),
            reference_date=date(2024, 12, 31),
            state=RoundState.CLOSED,
        )
        make_submitted_response(
            old, make_recipient(old), {"q3_1b": "ja", "q1b_2a": "mycket_nojd", "q4_2": "ja"}
        )
        new = make_round(make_questionnaire_version(second), reference_date=date(2025, 12, 31))
        for _ in range(5):  # version 2 asks for at least five answers
            make_submitted_response(
                new,
                make_recipient(new),
                {"q3_1b_rikssar": "ja", "q1b_2a": "mycket_nojd", "q4_2": "ja"},
            )
        db.session.commit()
        results = {result.id: result for result in compute_round_results(new)}
        new_id = new.id
    # 3.1b is measured by a new question: noted, and not compared with the old one
    question_note = next(note for note in results["3.1b"].changes if "annan fråga" in note)
    assert re.fullmatch(r"mäts med en annan fråga \(fråga \d+ → fråga \d+\)", question_note)
    assert "målet har ändrats" in results["3.1b"].changes  # now an increase goal
    assert results["3.1b"].previous is None
    assert results["3.1b"].status is Status.INGET_JAMFORELSEVARDE
    # 1b.2a keeps its question id but the wording changed ("Hur nöjd är du …")
    assert results["1b.2a"].changes == ("frågan har ändrats",)
    assert results["1b.2a"].previous == pytest.approx(100.0)
    # 4.2 only speaks to the unit now: its wording changed too; 2b.1c is new (nothing noted)
    assert results["2b.1c"].changes == ()
    client = logged_in_client(app, "processledare")
    soup = BeautifulSoup(
        client.get(f"/omgangar/{new_id}/resultat").get_data(as_text=True), "html.parser"
    )
    notes = [item.get_text(" ", strip=True) for item in soup.select(".change-note")]
    assert any("mäts med en annan fråga" in note for note in notes)
    assert soup.select_one(".version-notes") is not None


# -- the page, the export and the JSON agree ---------------------------------------------


def test_the_results_page_and_the_export_agree_with_the_json(
    app: Flask, runner: FlaskCliRunner
) -> None:
    answers = dict(EIGHT_OF_ELEVEN, Helsingborg=["ja", "nej", "ja"])
    round_id = nv_round(app, answers=answers)
    result = runner.invoke(args=["round", "results", str(round_id), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)}

    with app.app_context():
        out = io.BytesIO()
        build_workbook(round_id, identifying=False, out=out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Indikatorer"]
    header = [cell.value for cell in sheet[1]]
    exported = {
        row[0]: dict(zip(header, row, strict=False))
        for row in sheet.iter_rows(min_row=2, max_row=1 + len(rows), values_only=True)
    }
    client = logged_in_client(app, "processledare")
    soup = BeautifulSoup(
        client.get(f"/omgangar/{round_id}/resultat").get_data(as_text=True), "html.parser"
    )

    def fraction(value: float | None) -> float | None:
        return None if value is None else round(round(value, 1) / 100.0, 3)

    for indicator_id, row in rows.items():
        excel = exported[indicator_id]
        assert excel["Status"] == row["status"], indicator_id
        assert excel["Antal svar"] == row["n"], indicator_id
        assert excel["Värde"] == pytest.approx(fraction(row["value"])), indicator_id
        target = row["target"]
        assert excel["Mål i kraft"] == pytest.approx(fraction(target and target["value"]))
        next_target = row["next_target"]
        assert excel["Nästa mål"] == pytest.approx(fraction(next_target and next_target["value"]))
        population = row["population"]
        assert (excel["Inbjudna"], excel["Ej aktuellt"], excel["Saknas"]) == (
            population["invited"],
            population["not_applicable"],
            population["missing"],
        ), indicator_id
        bounds = row["bounds"]
        if bounds is None:
            assert excel["Lägsta möjliga"] is None and excel["Högsta möjliga"] is None
        else:
            assert excel["Lägsta möjliga"] == pytest.approx(fraction(bounds["low"]))
            assert excel["Högsta möjliga"] == pytest.approx(fraction(bounds["high"]))
        html_row = soup.select_one(f"#indikator-{indicator_id.replace('.', '-')}")
        if html_row is None:  # free text: not a row of the indicator table
            assert row["status"] == "inget mål"
            continue
        status = html_row.select_one(".status")
        assert status is not None and status.get_text(strip=True) == row["status"]
        counts = html_row.select_one('[data-label="Antal svar"]')
        assert counts is not None
        text = counts.get_text(" ", strip=True)
        assert text.startswith(f"{row['n']} av {population['invited']} inbjudna"), text
        if population["missing"]:
            assert f"{population['missing']} saknas" in text
    assert rows["1a.5"]["disagreements"] == [
        {"organisation": "Helsingborg", "counted": 2, "answered": 3}
    ]


def test_question_numbers_do_not_depend_on_who_answers(app: Flask) -> None:
    # In version 1 the Övrigt question was number 14 for a kommun, 12 for a vårdcentral.
    second = read_questionnaire_file(QUESTIONNAIRES / "nv-arlig-enkat-v2.yaml")
    numbers = {}
    with app.test_request_context("/"):
        for kind in (OrganisationType.KOMMUN, OrganisationType.REGIONAL_PV):
            layout = build_answer_form(second, kind).layout()
            numbers[kind] = {
                view.id: view.number for section in layout.sections for view in section.questions
            }
    kommun, vardcentral = numbers[OrganisationType.KOMMUN], numbers[OrganisationType.REGIONAL_PV]
    assert set(kommun) != set(vardcentral)  # they are asked different questions …
    for question_id in set(kommun) & set(vardcentral):  # … numbered the same
        assert kommun[question_id] == vardcentral[question_id], question_id
    assert kommun["q_ovrigt"] == vardcentral["q_ovrigt"] == len(second.questions)
