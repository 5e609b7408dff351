"""`survey plan …`: load, show, record, import, status and report, as the operator runs them."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from survey.db import db
from survey.errors import ErrorCode, SurveyError
from survey.plans.importing import ImportRefused, read_measurements
from survey.plans.storage import (
    PlanRefused,
    load_plan_text,
    plan_by_key,
    plan_of,
    version_in_force,
    versions_of,
)
from survey.questionnaires.parsing import read_questionnaire_file
from survey.schema.audit import AuditEvent
from survey.schema.plans import PlanMeasurement
from survey.schema.rounds import RoundState
from tests.factories import (
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.plan_helpers import PLAN_FILE, PLAN_KEY, load_nv_plan, revision_21

ROOT = Path(__file__).resolve().parents[1]


def _status(runner: FlaskCliRunner, as_of: str) -> dict[str, dict[str, Any]]:
    result = runner.invoke(args=["plan", "status", PLAN_KEY, "--as-of", as_of, "--json"])
    assert result.exit_code == 0, result.output
    return {item["id"]: item for item in json.loads(result.output)}


def _record(
    runner: FlaskCliRunner,
    indicator: str,
    value: str,
    day: str,
    source: str = "Uttag QV 2026-01-15",
    *,
    standalone_mode: bool = True,
) -> Result:
    return runner.invoke(
        args=[
            "plan",
            "record",
            PLAN_KEY,
            indicator,
            "--value",
            value,
            "--date",
            day,
            "--source",
            source,
        ],
        standalone_mode=standalone_mode,
    )


def _refusal(result: Result) -> ErrorCode:
    """The code of the error a command run with standalone_mode=False refused with."""
    assert isinstance(result.exception, SurveyError), result.exception
    return result.exception.code


def test_it_loads_a_plan_once_and_shows_it_as_json(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    assert first.exit_code == 0, first.output
    assert "loaded nv-aktivitetsplan version 2.0" in first.output
    again = runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    assert "unchanged" in again.output
    shown = runner.invoke(args=["plan", "show", PLAN_KEY, "--json"])
    indicators = {item["id"]: item for item in json.loads(shown.output)["indicators"]}
    assert len(indicators) == 50
    assert indicators["1a.3d"]["method"] == "qv"
    assert indicators["1a.3d"]["targets"] == [
        {"date": "2025-12-31", "value": 12.0, "direction": "at_most"}
    ]
    assert indicators["1a.5"]["population"] == "kommuner"
    assert indicators["1a.5"]["question_indicator"] == "1a.5"
    assert indicators["1c.1"]["question_indicator"] is None


def test_it_refuses_a_bad_file_with_its_line_and_stores_nothing(
    runner: FlaskCliRunner, tmp_path: Path, app: Flask
) -> None:
    bad = tmp_path / "nv.yaml"
    bad.write_text(
        PLAN_FILE.read_text(encoding="utf-8").replace("method: qv\n", "method: qvv\n", 1),
        encoding="utf-8",
    )
    result = runner.invoke(args=["plan", "load", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "unknown method 'qvv'" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(args=["plan", "show", PLAN_KEY]).exit_code == 1


def test_a_changed_file_with_the_same_version_is_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["plan", "load", str(PLAN_FILE)])
    changed = tmp_path / "nv.yaml"
    changed.write_text(
        PLAN_FILE.read_text(encoding="utf-8").replace("value: 12,", "value: 11,"), encoding="utf-8"
    )
    result = runner.invoke(args=["plan", "load", str(changed)])
    assert result.exit_code == 1 and "give the revision a new 'version:'" in result.output
    with app.app_context():
        with pytest.raises(PlanRefused) as refused:
            load_plan_text(changed.read_text(encoding="utf-8"), str(changed))
        assert refused.value.code is ErrorCode.PLAN_VERSION_CONFLICT
        db.session.rollback()


def test_recorded_measurements_are_judged_and_missing_ones_say_ingen_matning(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        load_nv_plan()
    assert _record(runner, "1a.3d", "12,5 %", "2025-12-31").exit_code == 0
    assert _record(runner, "1a.3e", "1,6", "2025-12-31").exit_code == 0
    assert _record(runner, "3.3a", "Ja", "2025-11-30", "Fråga till lärosätena").exit_code == 0
    status = _status(runner, "2026-01-31")
    assert status["1a.3d"]["status"] == "ej uppnått" and status["1a.3d"]["value"] == 12.5
    assert status["1a.3d"]["target"] == 12.0 and status["1a.3d"]["target_date"] == "2025-12-31"
    assert (
        status["1a.3d"]["source"] == "Uttag QV 2026-01-15"
        and status["1a.3d"]["date"] == "2025-12-31"
    )
    assert status["1a.3e"]["status"] == "uppnått"
    assert status["3.3a"]["status"] == "uppnått"
    assert status["1c.1"]["status"] == "ingen mätning"
    # A year later the measurement no longer describes the period.
    assert _status(runner, "2027-06-30")["1a.3d"]["status"] == "ingen mätning"


def test_one_ja_nej_per_kommun_is_undecidable_while_kommuner_are_missing(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        load_nv_plan()
    all_but_one = ", ".join(
        f"{name}=Ja"
        for name in (
            "Bjuv",
            "Båstad",
            "Helsingborg",
            "Höganäs",
            "Klippan",
            "Landskrona",
            "Perstorp",
            "Svalöv",
            "Åstorp",
            "Ängelholm",
        )
    )
    assert (
        _record(runner, "1c.1", all_but_one, "2026-12-31", "Processledarnas uppföljning").exit_code
        == 0
    )
    item = _status(runner, "2026-12-31")["1c.1"]
    assert item["status"] == "kan inte avgöras" and item["shown"] == "10 av 11 Ja"
    assert (
        _record(runner, "1c.1", all_but_one + ", Örkelljunga=Nej", "2026-12-31", "PL").exit_code
        == 0
    )
    assert _status(runner, "2026-12-31")["1c.1"]["status"] == "ej uppnått"


def test_an_increase_goal_compares_with_the_previous_year(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        load_nv_plan()
    _record(runner, "2b.1b", "120", "2024-12-31")
    assert _status(runner, "2024-12-31")["2b.1b"]["status"] == "inget jämförelsevärde"
    _record(runner, "2b.1b", "150", "2025-12-31")
    assert _status(runner, "2025-12-31")["2b.1b"]["status"] == "uppnått"


def test_bad_values_are_refused_in_one_line_and_nothing_is_stored(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        load_nv_plan()
    for indicator, value, day, expected, code in [
        ("1a.3d", "tolv", "2025-12-31", "inte ett tal", ErrorCode.MEASUREMENT_NOT_A_NUMBER),
        ("1a.3d", "150", "2025-12-31", "mellan 0 och 100", ErrorCode.MEASUREMENT_OUT_OF_RANGE),
        ("1a.3d", "12", "2025-13-01", "not a date", ErrorCode.COMMAND_BAD_OPTION),
        ("3.3a", "kanske", "2025-12-31", "Ja eller Nej", ErrorCode.MEASUREMENT_BAD_YES_NO),
        (
            "1c.1",
            "Malmö=Ja",
            "2025-12-31",
            "hör inte till planens kommuner",
            ErrorCode.MEASUREMENT_UNKNOWN_ORGANISATION,
        ),
        ("9.9", "1", "2025-12-31", "finns inte i planen", ErrorCode.MEASUREMENT_UNKNOWN_INDICATOR),
        (
            "1a.4",
            "Ja",
            "2025-12-31",
            "mäts med den årliga enkäten",
            ErrorCode.MEASUREMENT_MEASURED_BY_ENKAT,
        ),
    ]:
        result = _record(runner, indicator, value, day)
        assert result.exit_code == 1, (indicator, value)
        assert expected in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert _refusal(_record(runner, indicator, value, day, standalone_mode=False)) is code
    unknown = ["plan", "record", "okand", "1a.3d", "--value", "1", "--date", "2025-12-31"]
    assert (
        _refusal(runner.invoke(args=[*unknown, "--source", "x"], standalone_mode=False))
        is ErrorCode.PLAN_NOT_FOUND
    )
    assert (
        runner.invoke(
            args=[
                "plan",
                "record",
                "okand",
                "1a.3d",
                "--value",
                "1",
                "--date",
                "2025-12-31",
                "--source",
                "x",
            ]
        ).exit_code
        == 1
    )
    with app.app_context():
        assert db.session.query(PlanMeasurement).count() == 0


def test_enkat_indicators_take_the_latest_closed_round(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        questionnaire = read_questionnaire_file(ROOT / "questionnaires" / "nv-arlig-enkat.yaml")
        version = make_questionnaire_version(questionnaire)
        round_ = make_round(version, state=RoundState.CLOSED, reference_date=date(2025, 12, 31))
        for answer in ("ja", "ja", "ja", "nej"):
            make_submitted_response(round_, make_recipient(round_), {"q1a_4": answer})
        open_round = make_round(version, state=RoundState.OPEN, reference_date=date(2026, 1, 31))
        make_submitted_response(open_round, make_recipient(open_round), {"q1a_4": "nej"})
        db.session.commit()
        load_nv_plan()
    item = _status(runner, "2026-02-28")["1a.4"]
    assert item["value"] == 75.0 and item["date"] == "2025-12-31"
    assert item["status"] == "ej uppnått" and "Årlig enkät 2025" in item["source"]


def test_a_revision_judges_from_its_date_and_says_what_changed(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        load_nv_plan()
    revised = tmp_path / "nv-2.1.yaml"
    revised.write_text(revision_21(), encoding="utf-8")
    assert runner.invoke(args=["plan", "load", str(revised)]).exit_code == 0
    _record(runner, "1a.3d", "11,5", "2025-12-31")
    before = _status(runner, "2026-01-31")["1a.3d"]
    assert before["version"] == "2.0" and before["status"] == "uppnått" and before["changes"] == []
    _record(runner, "1a.3d", "11,5", "2026-12-31")
    after = _status(runner, "2026-12-31")["1a.3d"]
    assert after["version"] == "2.1" and after["target"] == 11.0 and after["status"] == "ej uppnått"
    assert any("Målet ändrades i version 2.1" in note for note in after["changes"])
    assert any("Formuleringen ändrades" in note for note in after["changes"])


def test_import_takes_the_template_all_or_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        load_nv_plan()
    template = tmp_path / "mall.xlsx"
    assert runner.invoke(args=["plan", "template", PLAN_KEY, "-o", str(template)]).exit_code == 0
    book = openpyxl.load_workbook(template)
    sheet = book["Mätningar"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [
        "Indikator",
        "Organisation",
        "Datum",
        "Periodens början",
        "Värde",
        "Källa",
        "Kommentar",
    ]
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    assert "1a.4" not in rows and "1a.3d" in rows  # enkät indicators are not recorded by hand
    sheet.cell(rows["1a.3d"], 3, "2025-12-31")
    sheet.cell(rows["1a.3d"], 5, "12,5")
    sheet.cell(rows["1a.3d"], 6, "Uttag QV 2026-01-15")
    sheet.append(["1c.1", "Bjuv", "2025-12-31", None, "Ja", "PL uppföljning", None])
    sheet.append(["1c.1", "Båstad", "2025-12-31", None, "Nej", "PL uppföljning", None])
    good = tmp_path / "good.xlsx"
    book.save(good)
    sheet.append(["1a.3e", None, "2025-12-31", None, "=1+1", "QV", None])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    refused = runner.invoke(args=["plan", "import", PLAN_KEY, str(bad)])
    assert refused.exit_code == 1 and "1 problem; nothing was imported" in refused.output
    assert "Rad " in refused.output
    with app.app_context():
        record = plan_by_key(PLAN_KEY)
        assert record is not None
        plan = plan_of(version_in_force(versions_of(record), date.today()))
        with pytest.raises(ImportRefused) as formula:
            read_measurements(bad.read_bytes(), bad.name, plan)
        assert formula.value.code is ErrorCode.TABLE_BAD_CELL  # the table's own code, kept
        sheet.cell(sheet.max_row, 5, "tolv")
        not_a_number = tmp_path / "tolv.xlsx"
        book.save(not_a_number)
        with pytest.raises(ImportRefused) as problems:
            read_measurements(not_a_number.read_bytes(), not_a_number.name, plan)
        assert problems.value.code is ErrorCode.PLAN_IMPORT_HAS_PROBLEMS
        assert problems.value.problems[0].startswith("Rad ")
        with pytest.raises(ImportRefused) as unreadable:
            read_measurements(b"", "tom.xlsx", plan)
        assert unreadable.value.code is ErrorCode.TABLE_EMPTY
    with app.app_context():
        assert db.session.query(PlanMeasurement).count() == 0
    done = runner.invoke(args=["plan", "import", PLAN_KEY, str(good)])
    assert done.exit_code == 0, done.output
    assert "imported 2 measurements" in done.output
    status = _status(runner, "2026-01-31")
    assert status["1a.3d"]["value"] == 12.5 and status["1c.1"]["shown"] == "1 av 11 Ja"
    with app.app_context():
        assert (
            db.session.query(AuditEvent).filter_by(action="plan.measurement.recorded").count() == 2
        )


def test_the_report_is_a_pdf_with_text_page_numbers_and_date_and_a_workbook(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        load_nv_plan()
    _record(runner, "1a.3d", "12,5", "2025-12-31")
    _record(runner, "1a.3d", "13", "2024-12-31")
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(
        args=["plan", "report", PLAN_KEY, "--as-of", "2026-01-31", "-o", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Rapport till delregional tjänstemannaberedning" in text
    assert "Sammanfattning per område" in text
    assert "Rapportdatum 2026-01-31" in text and "Sida 1 av" in text
    assert "1a.3d Hur har antalet återinläggningar" in text and "12,5 %" in text
    assert "högst 12 % senast 2025-12-31" in text
    pages = subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "p")],
        capture_output=True,
        check=True,
    )
    assert pages.returncode == 0 and list(tmp_path.glob("p*.png"))
    xlsx = tmp_path / "report.xlsx"
    assert (
        runner.invoke(
            args=["plan", "report", PLAN_KEY, "--as-of", "2026-01-31", "-o", str(xlsx)]
        ).exit_code
        == 0
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert book.sheetnames == ["Sammanfattning", "Indikatorer"]
    rows = list(book["Indikatorer"].iter_rows(values_only=True))
    readmissions = next(row for row in rows if row[1] == "1a.3d")
    assert readmissions[8] == "ej uppnått" and "2024: 13 %" in readmissions[12]
    wrong = runner.invoke(
        args=["plan", "report", PLAN_KEY, "--as-of", "2026-01-31", "-o", str(tmp_path / "r.doc")]
    )
    assert wrong.exit_code == 1 and "written as .pdf or .xlsx" in wrong.output
    report_as_doc = ["plan", "report", PLAN_KEY, "--as-of", "2026-01-31", "-o", "r.doc"]
    assert (
        _refusal(runner.invoke(args=report_as_doc, standalone_mode=False))
        is ErrorCode.COMMAND_BAD_OPTION
    )


def test_dates_out_of_range_are_refused_in_one_line(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        load_nv_plan()
    result = runner.invoke(args=["plan", "status", PLAN_KEY, "--as-of", "0001-01-01", "--json"])
    assert (
        result.exit_code == 2
        and "out of range" in result.output
        and "Traceback" not in result.output
    )
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="plan.version.loaded").count() == 1
