"""Indicators by organisation type, kommun and delregion; response rates overall and by group."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from flask import Flask

from survey.db import db
from survey.results.breakdowns import breakdown_table, compute_breakdown, response_rates
from survey.results.frame import load_recipients_frame, responses_frame_from_records
from tests.factories import make_recipient, make_round, make_submitted_response
from tests.sample import sample_questionnaire

REFERENCE = date(2025, 12, 31)


def row(
    organisation: str, kind: str, kommun: str, delregion: str = "NV", **answers: Any
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "organisation_type": kind,
        "kommun": kommun,
        "delregion": delregion,
        **answers,
    }


ROWS = [
    row("VC Norr", "regional_pv", "Ängelholm", sip_okning="ja", utbildning=80),
    row("VC Syd", "regional_pv", "Höganäs", sip_okning="nej", utbildning=40),
    row(
        "Ängelholms kommun, hemsjukvård",
        "kommun",
        "Ängelholm",
        sip_okning="ja",
        npo="ja",
        utbildning=60,
    ),
    row("Ängelholms kommun, SÄBO", "kommun", "Ängelholm", sip_okning="ej_aktuellt", npo="nej"),
    row("Bjuvs kommun", "kommun", "Bjuv", sip_okning="nej", npo="nej"),
    row(
        "Hässleholms kommun",
        "kommun",
        "Hässleholm",
        "NO",
        sip_okning="ja",
        npo="ja",
        utbildning=100,
    ),
    row("Helsingborgs lasarett", "slutenvard", "Helsingborg"),
]


def breakdown(by: Any, min_responses: int = 1) -> pd.DataFrame:
    questionnaire = sample_questionnaire()
    frame = responses_frame_from_records(questionnaire, ROWS)
    return compute_breakdown(questionnaire, frame, by, REFERENCE, min_responses)


def figures(table: pd.DataFrame, indicator: str) -> list[tuple[str, float | None, int, int, str]]:
    part = table.loc[indicator]
    return [
        (
            str(group),
            None if math.isnan(value) else round(value, 2),
            int(n),
            int(population),
            status,
        )
        for group, value, n, population, status in zip(
            part.index, part["value"], part["n"], part["n_population"], part["status"], strict=True
        )
    ]


def test_it_breaks_down_every_indicator_by_organisation_type() -> None:
    table = breakdown("organisation_type")
    assert table.index.names == ["indicator", "organisation_type"]
    assert list(table.columns) == ["value", "n", "n_population", "status"]
    # Free text (1b.2b) is not scored.
    assert list(dict.fromkeys(table.index.get_level_values(0))) == [
        "1a.1b",
        "1a.1a",
        "1b.2a",
        "1a.5",
    ]
    # 1a.1b against 75 %: kommuner ja, Ej aktuellt, nej, ja = 2 of 3; PV 1 of 2; the hospital blank.
    assert figures(table, "1a.1b") == [
        ("kommun", 66.67, 3, 4, "ej uppnått"),
        ("regional_pv", 50.0, 2, 2, "ej uppnått"),
        ("slutenvard", None, 0, 1, "för få svar"),
    ]
    # 1a.1a, mean against the milestone in force (50 % by 2023-12-31; 100 % is due only
    # 2026-12-31): kommuner (60 + 100) / 2, PV (80 + 40) / 2.
    assert figures(table, "1a.1a") == [
        ("kommun", 80.0, 2, 4, "uppnått"),
        ("regional_pv", 60.0, 2, 2, "uppnått"),
        ("slutenvard", None, 0, 1, "för få svar"),
    ]
    # 1a.5, kommuner once each: Ängelholm ja (one manager of two), Bjuv nej, Hässleholm ja.
    # Against 50 % (in force since 2024-06-01).
    assert figures(table, "1a.5") == [("kommun", 66.67, 3, 3, "uppnått")]


def test_it_breaks_down_by_kommun_in_swedish_order() -> None:
    table = breakdown("kommun", min_responses=2)
    assert figures(table, "1a.1b") == [
        ("Bjuv", 0.0, 1, 1, "för få svar"),
        ("Helsingborg", None, 0, 1, "för få svar"),
        ("Hässleholm", 100.0, 1, 1, "för få svar"),
        ("Höganäs", 0.0, 1, 1, "för få svar"),
        ("Ängelholm", 100.0, 2, 3, "uppnått"),
    ]
    # Ängelholm's two kommun managers count once.
    assert figures(table, "1a.5") == [
        ("Bjuv", 0.0, 1, 1, "för få svar"),
        ("Hässleholm", 100.0, 1, 1, "för få svar"),
        ("Ängelholm", 100.0, 1, 1, "för få svar"),
    ]


def test_it_breaks_down_by_delregion() -> None:
    table = breakdown("delregion")
    # NV: ja, nej, ja, Ej aktuellt, nej and a blank: 2 of 4.
    assert figures(table, "1a.1b") == [
        ("NO", 100.0, 1, 1, "uppnått"),
        ("NV", 50.0, 4, 6, "ej uppnått"),
    ]


def test_it_tabulates_a_breakdown_indicator_by_group() -> None:
    table = breakdown_table(breakdown("kommun"))
    assert list(table.index) == ["1a.1b", "1a.1a", "1b.2a", "1a.5"]
    assert list(table.columns) == ["Bjuv", "Helsingborg", "Hässleholm", "Höganäs", "Ängelholm"]
    assert table.loc["1a.5", "Ängelholm"] == 100.0
    assert table.isna().loc["1a.5", "Höganäs"]  # no kommun respondent there
    counts = breakdown_table(breakdown("kommun"), "n")
    assert counts.loc["1a.1b", "Ängelholm"] == 2


def test_it_refuses_an_unknown_grouping() -> None:
    questionnaire = sample_questionnaire()
    frame = responses_frame_from_records(questionnaire, ROWS)
    with pytest.raises(ValueError, match="cannot break down by 'organisation'"):
        # Deliberately not one of the groupings the signature allows.
        compute_breakdown(questionnaire, frame, "organisation", REFERENCE)  # type: ignore[arg-type]


def recipients_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recipient_id": [1, 2, 3, 4, 5],
            "organisation": [
                "VC Norr",
                "VC Syd",
                "Ängelholms kommun",
                "Åstorps kommun",
                "Bjuvs kommun",
            ],
            "organisation_type": ["regional_pv", "regional_pv", "kommun", "kommun", "kommun"],
            "kommun": ["Ängelholm", "Ängelholm", "Ängelholm", "Åstorp", "Bjuv"],
            "delregion": ["NV"] * 5,
            "submitted": [True, False, True, True, False],
        }
    )


def test_it_computes_the_response_rate_overall() -> None:
    rates = response_rates(recipients_frame())
    assert rates.to_dict("index") == {"total": {"invited": 5, "answered": 3, "rate": 60.0}}


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("organisation_type", {"kommun": (3, 2, 200 / 3), "regional_pv": (2, 1, 50.0)}),
        ("kommun", {"Bjuv": (1, 0, 0.0), "Åstorp": (1, 1, 100.0), "Ängelholm": (3, 2, 200 / 3)}),
        ("delregion", {"NV": (5, 3, 60.0)}),
    ],
)
def test_it_computes_the_response_rate_by_group(
    by: Any, expected: dict[str, tuple[int, int, float]]
) -> None:
    rates = response_rates(recipients_frame(), by)
    assert rates.index.name == by
    assert list(rates.index) == list(expected)  # reading order: Å before Ä
    for group, (invited, answered, rate) in expected.items():
        assert (rates.loc[group, "invited"], rates.loc[group, "answered"]) == (invited, answered)
        assert rates.loc[group, "rate"] == pytest.approx(rate)


def test_it_has_no_response_rate_without_recipients() -> None:
    rates = response_rates(recipients_frame().iloc[0:0])
    assert (rates.loc["total", "invited"], rates.loc["total", "answered"]) == (0, 0)
    assert rates.isna().loc["total", "rate"]


def test_it_computes_response_rates_from_the_database(app: Flask) -> None:
    with app.app_context():
        round_ = make_round()
        invited = datetime(2025, 10, 1, tzinfo=UTC)
        for number, kind in enumerate(["kommun", "kommun", "regional_pv", "regional_pv"]):
            recipient = make_recipient(
                round_, organisation=f"Org {number}", organisation_type=kind, invited_at=invited
            )
            if number in (0, 2, 3):
                make_submitted_response(round_, recipient, {"sip_okning": "ja"})
        db.session.commit()
        rates = response_rates(load_recipients_frame(round_.id), "organisation_type")
        assert rates.to_dict("index") == {
            "kommun": {"invited": 2, "answered": 1, "rate": 50.0},
            "regional_pv": {"invited": 2, "answered": 2, "rate": 100.0},
        }
