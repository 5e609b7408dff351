"""`survey questionnaire check|load|list|show` through the CLI runner, and once as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey.db import db
from survey.questionnaires.parsing import parse_questionnaire
from survey.questionnaires.storage import find_questionnaire_version
from survey.schema.questionnaires import QuestionnaireVersion
from tests.factories import make_round
from tests.sample import SAMPLE_YAML

PROJECT = Path(__file__).resolve().parent.parent

GOOD = SAMPLE_YAML

OTHER = GOOD.replace("id: prov\n", "id: annan-enkat\n").replace(
    "title: Provenkät", "title: Annan enkät"
)
CHANGED = GOOD.replace("value: 75}", "value: 80}")
BROKEN = GOOD.replace("required: false", "requried: false").replace("value: 75}", "value: 175}")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored_versions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.version).order_by(
                QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.version
            )
        ).all()
        return [(row[0], row[1]) for row in rows]


# -- check -----------------------------------------------------------------------------


def test_it_checks_a_good_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    result = runner.invoke(args=["questionnaire", "check", str(path)])
    assert result.exit_code == 0
    assert result.output == f"OK {path}\n"


def test_it_prints_every_error_and_checks_the_other_files(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    broken = write(tmp_path, "trasig.yaml", BROKEN)
    good = write(tmp_path, "prov.yaml", GOOD)
    result = runner.invoke(args=["questionnaire", "check", str(broken), str(good)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:19: unknown key 'requried' in question 'kommentar' — did you mean 'required'?",
        f"{broken}:27: target 1 of indicator 1a.1b: value 175 is outside 0–100 — the value is a "
        "percentage: use a number from 0 to 100 (75 for 75 %)",
        f"OK {good}",
    ]


def test_it_reports_a_missing_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "saknas.yaml"
    result = runner.invoke(args=["questionnaire", "check", str(missing)])
    assert result.exit_code == 1
    assert result.output == f"{missing}: file not found — check the path\n"


def test_it_needs_a_path_to_check(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaire", "check"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_it_checks_the_documented_example(runner: FlaskCliRunner, tmp_path: Path) -> None:
    from tests.test_questionnaire_language import documented_example

    path = write(tmp_path, "exempel.yaml", documented_example())
    result = runner.invoke(args=["questionnaire", "check", str(path)])
    assert (result.exit_code, result.output) == (0, f"OK {path}\n")


# -- load ------------------------------------------------------------------------------


def test_it_loads_once_and_then_reports_unchanged(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    other = write(tmp_path, "annan.yaml", OTHER)
    first = runner.invoke(args=["questionnaire", "load", str(path), str(other)])
    assert (first.exit_code, first.output) == (0, "created prov 1\ncreated annan-enkat 1\n")
    relaid = write(
        tmp_path, "prov-kopia.yaml", "# en kopia\n" + GOOD.replace("type: yes_no", "type: ja_nej")
    )
    again = runner.invoke(args=["questionnaire", "load", str(relaid)])
    assert (again.exit_code, again.output) == (0, "unchanged prov 1\n")
    assert stored_versions(app) == [("annan-enkat", "1"), ("prov", "1")]
    with app.app_context():
        stored = find_questionnaire_version("prov")
        assert stored is not None
        assert stored.source_name == str(path)
        assert stored.source_text == GOOD


def test_it_refuses_changed_content_under_a_loaded_version(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    assert runner.invoke(args=["questionnaire", "load", str(path)]).exit_code == 0
    changed = write(tmp_path, "prov-andrad.yaml", CHANGED)
    result = runner.invoke(args=["questionnaire", "load", str(changed)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{changed}:2: questionnaire 'prov' version 1 is already loaded with different content — "
        "a loaded version never changes (rounds pin it): raise 'version' (the highest loaded is 1; "
        "e.g. 2 or 1.1) and load again",
        "Nothing was loaded: fix the errors above and run load again.",
    ]
    with app.app_context():
        stored = find_questionnaire_version("prov")
        assert stored is not None and stored.source_text == GOOD
    raised = write(tmp_path, "prov-2.yaml", CHANGED.replace("version: 1\n", "version: 2\n"))
    result = runner.invoke(args=["questionnaire", "load", str(raised)])
    assert (result.exit_code, result.output) == (0, "created prov 2\n")


@pytest.mark.parametrize(
    ("second_text", "expected"),
    [
        (BROKEN, "unknown key 'requried'"),
        (CHANGED, "already loaded with different content"),
    ],
    ids=["invalid-file", "conflicting-file"],
)
def test_it_loads_nothing_when_any_file_fails(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, second_text: str, expected: str
) -> None:
    # The conflict is with prov 1 given earlier on the same command line.
    good = write(tmp_path, "annan.yaml", OTHER)
    first = write(tmp_path, "prov.yaml", GOOD)
    second = write(tmp_path, "andra.yaml", second_text)
    result = runner.invoke(args=["questionnaire", "load", str(good), str(first), str(second)])
    assert result.exit_code == 1
    assert expected in result.output
    assert "created" not in result.output
    assert result.output.endswith("Nothing was loaded: fix the errors above and run load again.\n")
    assert stored_versions(app) == []


# -- list ------------------------------------------------------------------------------


def test_it_lists_nothing_before_anything_is_loaded(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 0
    assert (
        result.output == "No questionnaires loaded. Load one with: survey questionnaire load FILE\n"
    )


def test_it_lists_loaded_versions_with_their_rounds(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    version_10 = CHANGED.replace("version: 1\n", "version: 10\n")
    for name, text in [("a.yaml", GOOD), ("b.yaml", OTHER), ("c.yaml", version_10)]:
        assert (
            runner.invoke(
                args=["questionnaire", "load", str(write(tmp_path, name, text))]
            ).exit_code
            == 0
        )
    stockholm = ZoneInfo("Europe/Stockholm")
    with app.app_context():
        prov_1 = find_questionnaire_version("prov", "1")
        assert prov_1 is not None
        make_round(prov_1, title="Årlig enkät 2024")
        make_round(prov_1, title="Årlig enkät 2025")
        db.session.commit()
        at = {
            (stored.questionnaire_id, stored.version): stored.loaded_at.astimezone(
                stockholm
            ).strftime("%Y-%m-%d %H:%M")
            for stored in db.session.scalars(select(QuestionnaireVersion))
        }
    result = runner.invoke(args=["questionnaire", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "ID           VERSION  TITLE        LOADED AT         ROUNDS",
        f"annan-enkat  1        Annan enkät  {at['annan-enkat', '1']}  0",
        f"prov         1        Provenkät    {at['prov', '1']}  2",
        f"prov         10       Provenkät    {at['prov', '10']}  0",
    ]


# -- show ------------------------------------------------------------------------------


def test_it_shows_a_file_as_json(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    result = runner.invoke(args=["questionnaire", "show", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == parse_questionnaire(GOOD, "x").to_json()
    assert '"title": "Provenkät"' in result.output  # UTF-8, not \\u escapes
    assert '\n  "sections": [' in result.output  # indented by two


def test_it_shows_a_loaded_questionnaire_by_id(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["questionnaire", "load", str(write(tmp_path, "a.yaml", GOOD))])
    runner.invoke(
        args=[
            "questionnaire",
            "load",
            str(write(tmp_path, "b.yaml", CHANGED.replace("version: 1\n", "version: 2\n"))),
        ]
    )
    latest = runner.invoke(args=["questionnaire", "show", "prov", "--json"])
    assert latest.exit_code == 0
    assert json.loads(latest.output)["version"] == "2"
    assert json.loads(latest.output)["indicators"][0]["targets"] == [
        {"date": "2025-12-31", "value": 80}
    ]
    first = runner.invoke(args=["questionnaire", "show", "prov", "--version", "1", "--json"])
    assert json.loads(first.output) == parse_questionnaire(GOOD, "x").to_json()


def test_it_summarises_a_questionnaire(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    result = runner.invoke(args=["questionnaire", "show", str(path)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:2] == ["prov version 1: Provenkät", "1 section, 3 questions, 1 indicator"]
    assert "  vilka (multiple_choice; if okning = ja): Inom vilka områden?" in lines
    assert "  kommentar (long_text; optional): Kommentar" in lines
    assert "  1a.1b share_yes of okning — 75 % by 2025-12-31: Ökning" in lines


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (["saknas"], 1, "questionnaire 'saknas' is not loaded"),
        (["prov", "--version", "7"], 1, "version 7 of questionnaire 'prov' is not loaded"),
        (["saknas.yaml"], 1, "saknas.yaml: file not found"),
    ],
)
def test_it_explains_what_it_cannot_show(
    runner: FlaskCliRunner, tmp_path: Path, args: list[str], exit_code: int, expected: str
) -> None:
    runner.invoke(args=["questionnaire", "load", str(write(tmp_path, "a.yaml", GOOD))])
    result = runner.invoke(args=["questionnaire", "show", *args])
    assert result.exit_code == exit_code
    assert expected in result.output


def test_it_shows_the_errors_of_a_broken_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "trasig.yaml", BROKEN)
    result = runner.invoke(args=["questionnaire", "show", str(path), "--json"])
    assert result.exit_code == 1
    assert f"{path}:19: unknown key 'requried'" in result.output


def test_it_refuses_a_version_with_a_path(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "prov.yaml", GOOD)
    result = runner.invoke(args=["questionnaire", "show", str(path), "--version", "1"])
    assert result.exit_code == 2
    assert "--version applies to a loaded questionnaire's id" in result.output


# -- the real command line -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        [str(PROJECT / ".venv" / "bin" / "survey")],
        [sys.executable, "-m", "flask", "--app", "survey"],
    ],
    ids=["survey", "flask"],
)
def test_it_is_a_command_of_the_real_cli(tmp_path: Path, command: list[str]) -> None:
    good = write(tmp_path, "prov.yaml", GOOD)
    broken = write(tmp_path, "trasig.yaml", BROKEN)
    env = {**os.environ, "SURVEY_ENV": "testing"}
    ok = subprocess.run(
        [*command, "questionnaire", "check", str(good)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=60,
        check=False,
    )
    assert (ok.returncode, ok.stdout) == (0, f"OK {good}\n"), ok.stderr
    failed = subprocess.run(
        [*command, "questionnaire", "check", str(broken)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1, failed.stderr
    assert f"{broken}:19: unknown key 'requried'" in failed.stdout
