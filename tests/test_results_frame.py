"""The results frame: typed columns from plain records and from the database in one query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import event

from survey.db import db
from survey.organisations import OrganisationType
from survey.questionnaires.model import Question, Questionnaire, QuestionType, Section
from survey.questionnaires.storage import questionnaire_of
from survey.results.attainment import compute_indicator_results
from survey.results.frame import (
    FIXED_COLUMNS,
    RECIPIENT_COLUMNS,
    load_recipients_frame,
    load_responses_frame,
    responses_frame_from_records,
)
from survey.results.frame_columns import choices_mask, chosen_values
from survey.schema.responses import Response
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

SAMPLE_QUESTIONS = [
    "sip_okning",
    "omraden",
    "nojdhet",
    "forum",
    "utbildning",
    "dygn",
    "kommentar",
    "beskrivning",
    "startdatum",
    "vecka",
    "npo",
]


def full_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "sip_okning": "ja",
        "omraden": ["fallrisk", "undernaring"],
        "nojdhet": "ganska_nojd",
        "forum": "dot",
        "utbildning": 55,
        "dygn": 2.5,
        "kommentar": "Kort",
        "beskrivning": "En längre beskrivning.",
        "startdatum": "2024-03-01",
        "vecka": "2025-W09",
    }
    answers.update(overrides)
    return answers


# -- from records -----------------------------------------------------------------------


def test_it_builds_typed_columns_from_records() -> None:
    questionnaire = sample_questionnaire()
    submitted = datetime(2025, 11, 3, 9, 30, tzinfo=UTC)
    frame = responses_frame_from_records(
        questionnaire,
        [
            {
                "response_id": 7,
                "recipient_id": 70,
                "organisation": "Vårdcentralen Åstorp",
                "organisation_type": "regional_pv",
                "kommun": "Åstorp",
                "delregion": "NV",
                "submitted_at": submitted,
                "imported": True,
                **full_answers(),
            },
            {
                "response_id": 8,
                "recipient_id": 80,
                "organisation": "Bjuvs kommun",
                "organisation_type": "kommun",
                "kommun": "Bjuv",
                "delregion": "NV",
                "sip_okning": "ej_aktuellt",
                "npo": "nej",
                "kommentar": "  ",
                "omraden": [],
            },
        ],
    )
    assert list(frame.columns) == [*FIXED_COLUMNS, *SAMPLE_QUESTIONS]
    assert frame["response_id"].tolist() == [7, 8]
    assert frame["recipient_id"].dtype == np.int64
    assert frame["imported"].tolist() == [True, False]
    assert frame["submitted_at"].iloc[0] == pd.Timestamp(submitted)
    assert pd.isna(frame["submitted_at"].iloc[1])
    for column in (
        "organisation",
        "organisation_type",
        "kommun",
        "delregion",
        "sip_okning",
        "nojdhet",
        "forum",
        "npo",
    ):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert list(frame["sip_okning"].cat.categories) == ["ja", "nej", "ej_aktuellt"]
    assert frame["sip_okning"].tolist() == ["ja", "ej_aktuellt"]
    assert frame["npo"].isna().tolist() == [True, False]
    assert frame["omraden"].dtype == "Int64"
    assert chosen_values(frame["omraden"], questionnaire.question("omraden")).tolist() == [
        ["fallrisk", "undernaring"],
        None,  # nothing ticked is no answer
    ]
    assert frame["utbildning"].dtype == np.float64
    assert frame["utbildning"].tolist()[0] == 55.0
    assert np.isnan(frame["utbildning"].iloc[1])
    assert frame["dygn"].iloc[0] == 2.5
    assert frame["kommentar"].iloc[0] == "Kort"
    assert pd.isna(frame["kommentar"].iloc[1])  # only white space is no answer
    assert frame["beskrivning"].iloc[0] == "En längre beskrivning."
    assert frame["startdatum"].iloc[0] == pd.Timestamp(2024, 3, 1)
    assert pd.isna(frame["startdatum"].iloc[1])
    assert frame["vecka"].iloc[0] == "2025-W09"


def test_it_numbers_records_without_ids_and_orders_categories_the_swedish_way() -> None:
    kommuner = ["Örkelljunga", "Ängelholm", "Åstorp", "Bjuv", "ängelholm"]
    frame = responses_frame_from_records(
        sample_questionnaire(),
        [
            {
                "organisation": f"Org {kommun}",
                "organisation_type": "kommun",
                "kommun": kommun,
                "delregion": "NV",
            }
            for kommun in kommuner
        ],
    )
    assert frame["response_id"].tolist() == [1, 2, 3, 4, 5]
    assert frame["recipient_id"].tolist() == [1, 2, 3, 4, 5]
    assert list(frame["kommun"].cat.categories) == [
        "Bjuv",
        "Åstorp",
        "Ängelholm",
        "ängelholm",
        "Örkelljunga",
    ]
    assert list(frame["organisation_type"].cat.categories) == [
        str(kind) for kind in OrganisationType
    ]


def test_it_keeps_unknown_choice_values_as_extra_categories_that_no_option_counts() -> None:
    frame = responses_frame_from_records(
        sample_questionnaire(), [{"nojdhet": "okand"}, {"nojdhet": "mycket_nojd"}]
    )
    assert list(frame["nojdhet"].cat.categories)[-1] == "okand"
    assert frame["nojdhet"].tolist() == ["okand", "mycket_nojd"]


def test_it_reads_numbers_leniently_and_leaves_garbage_out() -> None:
    frame = responses_frame_from_records(
        sample_questionnaire(),
        [{"utbildning": "12,5"}, {"utbildning": "abc"}, {"utbildning": True}, {"utbildning": 7}],
    )
    values = frame["utbildning"].tolist()
    assert values[0] == 12.5 and values[3] == 7.0
    assert np.isnan(values[1]) and np.isnan(values[2])


def test_it_refuses_a_question_id_that_clashes_with_a_fixed_column() -> None:
    questionnaire = Questionnaire(
        id="krock",
        version="1",
        title="Krock",
        sections=(
            Section("s", "S", (Question("kommun", QuestionType.SHORT_TEXT, "Kommun?", "s"),)),
        ),
    )
    with pytest.raises(ValueError, match="question id\\(s\\) kommun clash"):
        responses_frame_from_records(questionnaire, [])


def test_it_builds_the_mask_of_chosen_values() -> None:
    question = sample_questionnaire().question("omraden")
    # Choices in order: suicidprevention 1, ofrivillig_ensamhet 2, fallrisk 4, undernaring 8.
    assert choices_mask(question, ["fallrisk", "undernaring"]) == 12
    assert choices_mask(question, ["okand"]) == 0


def test_it_gives_the_same_organisation_the_same_key() -> None:
    frame = responses_frame_from_records(
        sample_questionnaire(),
        [
            {
                "organisation": "Ängelholms kommun, SÄBO",
                "organisation_type": "kommun",
                "kommun": "Ängelholm",
            },
            {
                "organisation": "Ängelholms kommun",
                "organisation_type": "kommun",
                "kommun": "ängelholm",
            },
            {"organisation": "VC Norr", "organisation_type": "regional_pv", "kommun": "Ängelholm"},
            {"organisation": "vc  norr", "organisation_type": "regional_pv", "kommun": "Ängelholm"},
            {"organisation": "VC Norr", "organisation_type": "regional_pv", "kommun": "Höganäs"},
            {"organisation": "VC Norr", "organisation_type": "psykiatri", "kommun": "Ängelholm"},
            {"organisation": None, "organisation_type": "regional_pv", "kommun": "Ängelholm"},
            {"organisation": None, "organisation_type": "regional_pv", "kommun": "Ängelholm"},
        ],
    )
    keys = frame["organisation_key"].tolist()
    assert keys[0] == keys[1]  # a kommun is one organisation whatever its units are called
    assert keys[2] == keys[3]
    assert len({keys[0], keys[2], keys[4], keys[5], keys[6], keys[7]}) == 6


# -- from the database ------------------------------------------------------------------


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_it_loads_the_latest_submitted_answers_in_one_query(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        amended = make_recipient(round_, organisation="VC Norr", kommun="Höganäs")
        once = make_recipient(
            round_, organisation="Bjuvs kommun", organisation_type="kommun", kommun="Bjuv"
        )
        drafting = make_recipient(round_, organisation="VC Syd")
        removed = make_recipient(round_, organisation="VC Öst", removed_at=datetime.now(UTC))
        silent = make_recipient(round_, organisation="VC Väst")
        other_round = make_round(make_questionnaire_version(sample_questionnaire(version="2")))
        elsewhere = make_recipient(other_round, organisation="VC Annan")
        make_submitted_response(
            round_,
            amended,
            full_answers(sip_okning="nej", utbildning=10),
            full_answers(sip_okning="ja", utbildning=90),
        )
        make_submitted_response(
            round_, once, {"sip_okning": "ej_aktuellt", "npo": "ja"}, imported=True
        )
        db.session.add(
            Response(round_id=round_.id, recipient_id=drafting.id, draft={"sip_okning": "ja"})
        )
        make_submitted_response(round_, removed, full_answers())
        # Answers set to None are stored as JSON null, which is not SQL NULL: still no answers.
        erased = make_recipient(round_, organisation="VC Raderad")
        db.session.add(
            Response(
                round_id=round_.id,
                recipient_id=erased.id,
                answers=None,
                submitted_at=datetime.now(UTC),
            )
        )
        make_submitted_response(other_round, elsewhere, full_answers())
        db.session.commit()
        questionnaire = questionnaire_of(round_.questionnaire_version)
        round_id, ids = round_.id, (amended.id, once.id)
        assert silent.id not in ids

        with counted_statements() as statements:
            frame = load_responses_frame(round_id, questionnaire)
        assert len(statements) == 1

        assert frame["recipient_id"].tolist() == list(ids)
        assert frame["organisation"].tolist() == ["VC Norr", "Bjuvs kommun"]
        assert frame["organisation_type"].tolist() == ["regional_pv", "kommun"]
        assert frame["kommun"].tolist() == ["Höganäs", "Bjuv"]
        assert frame["delregion"].tolist() == ["NV", "NV"]
        assert frame["imported"].tolist() == [False, True]
        assert frame["submitted_at"].tolist() == [
            pd.Timestamp(2025, 11, 2, 8, tz="UTC"),
            pd.Timestamp(2025, 11, 1, 8, tz="UTC"),
        ]
        # Only the amended answers count.
        assert frame["sip_okning"].tolist() == ["ja", "ej_aktuellt"]
        assert frame["utbildning"].iloc[0] == 90.0
        results = compute_indicator_results(questionnaire, frame, reference_date=date(2025, 12, 31))
        assert results[0].value == 100.0 and results[0].n == 1 and results[0].n_not_applicable == 1


def test_it_builds_the_same_frame_from_the_database_chunk_by_chunk_as_from_records(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of two rows: values first seen in a later chunk (an unknown choice, a new
    # organisation) must get the same categories and order as when read all at once.
    monkeypatch.setattr("survey.results.frame.LOAD_CHUNK_ROWS", 2)
    answers = [
        full_answers(),
        full_answers(nojdhet="okand", utbildning="12,5", omraden=[]),
        {"sip_okning": "nej", "kommentar": "  ", "vecka": "2025-W10"},
        full_answers(nojdhet=["inte", "ett", "val"], dygn=True, startdatum="inte ett datum"),
        full_answers(sip_okning="ej_aktuellt", nojdhet="annat", omraden=["okand"]),
        {},
        full_answers(forum=None, utbildning=None, omraden="fallrisk"),
    ]
    organisations = ["VC Öst", "Åstorps kommun", "VC Norr", "vc öst", "VC Ängel", "VC Norr", "B"]
    with app.app_context():
        round_ = make_round()
        records = []
        for number, (given, organisation) in enumerate(zip(answers, organisations, strict=True)):
            recipient = make_recipient(
                round_,
                organisation=organisation,
                organisation_type="kommun" if "kommun" in organisation else "regional_pv",
                kommun=("Åstorp", "Bjuv", "Höganäs")[number % 3],
            )
            response = make_submitted_response(round_, recipient, given, imported=number == 3)
            records.append(
                {
                    "response_id": response.id,
                    "recipient_id": recipient.id,
                    "organisation": organisation,
                    "organisation_type": recipient.organisation_type,
                    "kommun": recipient.kommun,
                    "delregion": recipient.delregion,
                    "submitted_at": response.submitted_at,
                    "imported": response.imported,
                    **given,
                }
            )
        db.session.commit()
        questionnaire = questionnaire_of(round_.questionnaire_version)

        loaded = load_responses_frame(round_.id, questionnaire)

    expected = responses_frame_from_records(questionnaire, records)
    pd.testing.assert_frame_equal(loaded, expected, check_exact=True)
    assert list(loaded["nojdhet"].cat.categories)[-2:] == ["annat", "okand"]
    assert loaded["nojdhet"].isna().tolist() == [False, False, True, True, False, True, False]


def test_it_takes_the_questionnaire_from_the_round_when_not_given(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        make_submitted_response(round_, make_recipient(round_), full_answers())
        db.session.commit()
        round_id = round_.id
        db.session.expunge_all()
        with counted_statements() as statements:
            frame = load_responses_frame(round_id)
        assert len(statements) == 2  # the round with its questionnaire, then the answers
        assert frame["omraden"].tolist() == [12]


def test_it_loads_an_empty_frame_for_a_round_without_answers(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        make_recipient(round_)
        db.session.commit()
        frame = load_responses_frame(round_.id)
        assert len(frame) == 0
        assert list(frame.columns) == [*FIXED_COLUMNS, *SAMPLE_QUESTIONS]
        with pytest.raises(LookupError, match="round 999999 does not exist"):
            load_responses_frame(999999)


def test_it_loads_invited_recipients_with_whether_they_answered(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        invited = datetime(2025, 10, 1, 7, 0, tzinfo=UTC)
        answered = make_recipient(round_, organisation="VC Norr", invited_at=invited)
        waiting = make_recipient(
            round_, organisation="VC Syd", invited_at=invited, reminders_sent=2
        )
        drafting = make_recipient(round_, organisation="VC Öst", invited_at=invited)
        make_recipient(round_, organisation="VC Ej inbjuden")  # not invited yet: left out
        make_recipient(round_, organisation="VC Borttagen", invited_at=invited, removed_at=invited)
        on_paper = make_recipient(
            round_, organisation="Bjuvs kommun", organisation_type="kommun", kommun="Bjuv"
        )  # never invited, answers imported
        make_submitted_response(round_, answered, full_answers())
        make_submitted_response(round_, on_paper, {"npo": "ja"}, imported=True)
        db.session.add(
            Response(round_id=round_.id, recipient_id=drafting.id, draft={"sip_okning": "ja"})
        )
        ids = [answered.id, waiting.id, drafting.id, on_paper.id]
        round_id = round_.id
        db.session.commit()
        with counted_statements() as statements:
            frame = load_recipients_frame(round_id)
        assert len(statements) == 1
        assert list(frame.columns) == list(RECIPIENT_COLUMNS)
        assert frame["recipient_id"].tolist() == ids
        assert frame["submitted"].tolist() == [True, False, False, True]
        assert frame["reminders_sent"].tolist() == [0, 2, 0, 0]
        assert frame["organisation_type"].tolist() == ["regional_pv"] * 3 + ["kommun"]
        assert frame["invited_at"].iloc[0] == pd.Timestamp(invited)
        assert pd.isna(frame["invited_at"].iloc[3])
