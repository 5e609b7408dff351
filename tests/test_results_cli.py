"""`survey round results ROUND [--json]`: the indicator rows for a terminal or for other tools."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from survey.db import db
from survey.schema.rounds import RoundState
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

KEYS = [
    "id", "title", "value", "n", "status", "direction", "target", "next_target", "final_target",
    "previous", "change", "population", "bounds", "min_responses", "disagreements", "changes",
]  # fmt: skip


@pytest.fixture
def round_id(app: Flask) -> int:
    """A 2025 round (1a.1b: 3 of 4 ja = 75 %) after a 2024 round (1 of 2 = 50 %)."""
    with app.app_context():
        version = make_questionnaire_version(sample_questionnaire())
        earlier = make_round(version, reference_date=date(2024, 12, 31), state=RoundState.CLOSED)
        for answer in ("ja", "nej"):
            make_submitted_response(earlier, make_recipient(earlier), {"sip_okning": answer})
        current = make_round(version, reference_date=date(2025, 12, 31))
        for answer, training in (("ja", 70), ("ja", 90), ("ja", None), ("nej", None)):
            answers: dict[str, object] = {"sip_okning": answer}
            if training is not None:
                answers["utbildning"] = training
            make_submitted_response(current, make_recipient(current), answers)
        db.session.commit()
        return int(current.id)


def test_it_prints_the_indicator_rows_as_json(runner: FlaskCliRunner, round_id: int) -> None:
    result = runner.invoke(args=["round", "results", str(round_id), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [list(row) for row in rows] == [KEYS] * 5
    by_id = {row["id"]: row for row in rows}
    assert by_id["1a.1b"] == {
        "id": "1a.1b",
        "title": "Ökning av SIP",
        "value": 75.0,
        "n": 4,
        "status": "uppnått",
        "direction": "at_least",
        "target": {"value": 75.0, "date": "2025-12-31"},
        "next_target": {"value": 100.0, "date": "2026-12-31"},
        "final_target": {"value": 100.0, "date": "2026-12-31"},
        "previous": 50.0,
        "change": 25.0,
        "population": {
            "unit": "response",
            "invited": 4,
            "answered": 4,
            "not_applicable": 0,
            "missing": 0,
        },
        "bounds": None,
        "min_responses": 1,
        "disagreements": [],
        "changes": [],
    }
    assert by_id["1a.1a"]["value"] == 80.0
    # the milestone in force at 2025-12-31 is 50 % (2023-12-31); 100 % is due 2026-12-31
    assert by_id["1a.1a"]["target"] == {"value": 50.0, "date": "2023-12-31"}
    assert by_id["1a.1a"]["next_target"] == {"value": 100.0, "date": "2026-12-31"}
    assert by_id["1a.1a"]["status"] == "uppnått"
    # two of four responded without answering utbildning
    assert by_id["1a.1a"]["population"]["missing"] == 2
    assert by_id["1b.2a"]["target"] == {"value": 100.0, "date": None}  # an undated target
    assert by_id["1b.2a"]["value"] is None and by_id["1b.2a"]["status"] == "för få svar"
    assert by_id["1b.2b"]["status"] == "inget mål"
    # 1a.5 counts kommuner: none of the recipients is one
    assert by_id["1a.5"]["population"]["unit"] == "organisation"
    assert by_id["1a.5"]["bounds"] is None


def test_it_prints_a_readable_table(runner: FlaskCliRunner, round_id: int) -> None:
    result = runner.invoke(args=["round", "results", str(round_id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "reference date 2025-12-31" in lines[0]
    assert lines[1].split() == [
        "id", "value", "n", "status", "target", "target_date", "next_target", "next_date",
        "invited", "answered", "n/a", "missing", "low", "high", "previous", "change",
    ]  # fmt: skip
    assert lines[2].split() == [
        "1a.1b", "75.0", "4", "uppnått", "75", "2025-12-31", "100", "2026-12-31",
        "4", "4", "0", "0", "-", "-", "50.0", "25.0",
    ]  # fmt: skip


@pytest.mark.parametrize("reference", ["999", "abc", "0"])
def test_it_refuses_an_unknown_round(runner: FlaskCliRunner, reference: str) -> None:
    result = runner.invoke(args=["round", "results", reference, "--json"])
    assert result.exit_code == 1
    assert f"round '{reference}' does not exist" in result.output
