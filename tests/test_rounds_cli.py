"""`survey round …`: the web pages' rules; English errors, exit code 1, nothing written."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update

from survey.db import db, utcnow
from survey.localtime import to_local
from survey.schema.audit import AuditEvent
from survey.schema.outbox import OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import make_questionnaire_version, make_submitted_response

GOOD_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;asa.oberg@example.se;Vårdcentralen Ängelholm;Regional primärvård;Ängelholm;NV\r\n"
    "Björn Ek;bjorn.ek@example.se;Ängelholms kommun;Kommun;Ängelholm;\r\n"
)
BAD_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;inte-en-adress;Vårdcentralen Ängelholm;Regional primärvård;Ängelholm;NV\r\n"
    "Björn Ek;bjorn.ek@example.se;;Okänd typ;Ängelholm;NV\r\n"
)


@pytest.fixture
def loaded(app: Flask) -> None:
    with app.app_context():
        make_questionnaire_version()
        db.session.commit()


def local(days: float, clock: str = "08:00") -> str:
    return f"{to_local(utcnow() + timedelta(days=days)).date().isoformat()}T{clock}"


def create_args(**changes: str | None) -> list[str]:
    options: dict[str, str | None] = {
        "--questionnaire": "prov",
        "--title": "Årlig enkät 2025",
        "--delregion": "NV",
        "--reference-date": "2025-12-31",
        "--opens": local(1),
        "--closes": local(30, "23:59"),
    }
    options.update(changes)
    args = ["round", "create"]
    for name, value in options.items():
        if value is not None:
            args += [name, value]
    return args


def csv_file(tmp_path: Path, content: str, name: str = "mottagare.csv") -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def counts(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        rounds, recipients, messages, events = (
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Round, Recipient, OutboxMessage, AuditEvent)
        )
        return rounds, recipients, messages, events


def created_id(output: str) -> int:
    last = output.strip().splitlines()[-1]
    assert last.isdigit(), output
    return int(last)


def test_it_creates_a_round_with_recipients_and_prints_its_id_last(
    app: Flask, runner: FlaskCliRunner, loaded: None, tmp_path: Path
) -> None:
    file = csv_file(tmp_path, GOOD_CSV)
    options = {
        "--recipients": file,
        "--reminders": "5,10",
        "--max-reminders": "3",
        "--reply-to": "pl@example.se",
    }
    result = runner.invoke(args=create_args(**options))
    assert result.exit_code == 0, result.output
    round_id = created_id(result.output)
    assert "read 2 recipient(s)" in result.output
    assert (
        f"created round {round_id} 'Årlig enkät 2025' (prov version 1, NV) as a draft with 2"
        in (result.output)
    )
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None and round_.state == RoundState.DRAFT
        assert (round_.reminder_days, round_.max_reminders) == ([5, 10], 3)
        assert round_.reply_to == "pl@example.se"
        assert round_.sender_name == "Processledare nära vård, Nordvästra Skåne"
        assert to_local(round_.closes_at).strftime("%H:%M") == "23:59"
        assert db.session.scalar(select(func.count()).select_from(Recipient)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--questionnaire": "saknas"}, "questionnaire 'saknas' is not loaded"),
        ({"--version": "7"}, "questionnaire 'prov' version '7' is not loaded"),
        ({"--opens": "imorgon"}, "--opens 'imorgon' is not a date and time"),
        ({"--opens": "2025-11-01"}, "is not a date and time — write it as YYYY-MM-DDTHH:MM"),
        ({"--reference-date": "31/12"}, "--reference-date '31/12' is not a date"),
        ({"--delregion": "XX"}, "unknown delregion 'XX'"),
        (
            {"--closes": local(0.5), "--opens": local(2)},
            "the closing time must be after the opening",
        ),
        ({"--closes": "2020-01-01T12:00", "--opens": "2019-01-01T12:00"}, "has passed"),
        ({"--reminders": "7,sju"}, "reminder days: 'sju' is not a number of days"),
        ({"--max-reminders": "11"}, "from 0 to 10"),
        ({"--reply-to": "inte-en-adress"}, "reply-to address 'inte-en-adress' is not a valid"),
        ({"--title": " "}, "the title is empty"),
    ],
)
def test_it_refuses_bad_options_in_english_and_writes_nothing(
    app: Flask, runner: FlaskCliRunner, loaded: None, changes: dict[str, str], message: str
) -> None:
    before = counts(app)
    result = runner.invoke(args=create_args(**changes))
    assert result.exit_code == 1
    assert message in result.output
    assert counts(app) == before


def test_it_lists_every_problem_of_a_recipients_file_and_creates_nothing(
    app: Flask, runner: FlaskCliRunner, loaded: None, tmp_path: Path
) -> None:
    file = csv_file(tmp_path, BAD_CSV, "fel.csv")
    before = counts(app)
    result = runner.invoke(args=create_args(**{"--recipients": file}))
    assert result.exit_code == 1
    assert (
        f'error: {file}, row 2, column "E-post": "inte-en-adress" är inte en giltig'
        in result.output
    )
    assert f'error: {file}, row 3, column "Organisation": Organisation saknas.' in result.output
    assert (
        f'error: {file}, row 3, column "Organisationstyp": Okänd organisationstyp' in result.output
    )
    assert "has 3 problem(s), listed above by row and column; nothing was imported" in result.output
    assert counts(app) == before
    missing = runner.invoke(args=create_args(**{"--recipients": str(tmp_path / "saknas.csv")}))
    assert missing.exit_code == 1 and "cannot be read" in missing.output


def make_round(runner: FlaskCliRunner, tmp_path: Path | None = None) -> int:
    args = create_args()
    if tmp_path is not None:
        args += ["--recipients", csv_file(tmp_path, GOOD_CSV)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return created_id(result.output)


def test_it_adds_recipients_all_or_nothing(
    app: Flask, runner: FlaskCliRunner, loaded: None, tmp_path: Path
) -> None:
    round_id = make_round(runner)
    bad = runner.invoke(
        args=["round", "recipients", str(round_id), csv_file(tmp_path, BAD_CSV, "fel.csv")]
    )
    assert bad.exit_code == 1 and "nothing was imported" in bad.output
    assert counts(app)[1] == 0

    good = runner.invoke(args=["round", "recipients", str(round_id), csv_file(tmp_path, GOOD_CSV)])
    assert good.exit_code == 0, good.output
    assert f"added 2 recipient(s) to round {round_id}" in good.output
    again = runner.invoke(args=["round", "recipients", str(round_id), csv_file(tmp_path, GOOD_CSV)])
    assert again.exit_code == 1 and "finns redan bland omgångens mottagare" in again.output
    unknown = runner.invoke(args=["round", "recipients", "999", csv_file(tmp_path, GOOD_CSV)])
    assert unknown.exit_code == 1 and "there is no round 999" in unknown.output


def test_it_sends_reminds_reports_closes_and_extends(
    app: Flask, runner: FlaskCliRunner, loaded: None, tmp_path: Path
) -> None:
    round_id = make_round(runner, tmp_path)
    empty_id = make_round(runner)
    refused = runner.invoke(args=["round", "send", str(empty_id)])
    assert refused.exit_code == 1
    assert (
        f"round {empty_id} has no recipients" in refused.output
        and "nothing was changed" in refused.output
    )

    sent = runner.invoke(args=["round", "send", str(round_id)])
    assert sent.exit_code == 0, sent.output
    assert f"opened round {round_id}; queued 2 invitation(s)" in sent.output
    assert "queued 0 invitation(s)" in runner.invoke(args=["round", "send", str(round_id)]).output

    soon = runner.invoke(args=["round", "remind", str(round_id)])
    assert "queued 0 reminder(s)" in soon.output and "skipped 2 recipient(s)" in soon.output
    with app.app_context():
        db.session.execute(update(Recipient).values(last_contacted_at=utcnow() - timedelta(days=2)))
        round_ = db.session.get_one(Round, round_id)
        first = db.session.scalars(select(Recipient).order_by(Recipient.id)).first()
        assert first is not None
        make_submitted_response(round_, first, {"sip_okning": "ja"})
        db.session.commit()
    reminded = runner.invoke(args=["round", "remind", str(round_id)])
    assert reminded.exit_code == 0 and "queued 1 reminder(s)" in reminded.output

    status = runner.invoke(args=["round", "status", str(round_id)])
    assert status.exit_code == 0
    assert "recipients 2, invited 2, not sent 1, delivery failed 0" in status.output
    assert "submitted 1, response rate 50.0 %" in status.output
    assert "asa.oberg@example.se" in status.output and "submitted (Inskickad)" in status.output
    document = json.loads(runner.invoke(args=["round", "status", str(round_id), "--json"]).output)
    assert document["total"]["submitted"] == 1 and document["state"] == "open"
    assert {row["state"] for row in document["recipients"]} == {"submitted", "queued"}
    assert document["by_organisation_type"]["kommun"]["invited"] == 1

    closed = runner.invoke(args=["round", "close", str(round_id)])
    assert closed.exit_code == 0 and f"closed round {round_id}" in closed.output
    twice = runner.invoke(args=["round", "close", str(round_id)])
    assert twice.exit_code == 1 and "is already closed" in twice.output

    bad = runner.invoke(args=["round", "extend", str(round_id), "--closes", "snart"])
    assert bad.exit_code == 1 and "--closes 'snart' is not a date and time" in bad.output
    past = runner.invoke(args=["round", "extend", str(round_id), "--closes", "2020-01-01T10:00"])
    assert past.exit_code == 1 and "has passed" in past.output
    extended = runner.invoke(
        args=["round", "extend", str(round_id), "--closes", local(60, "16:00")]
    )
    assert extended.exit_code == 0, extended.output
    assert "16:00 (Europe/Stockholm); it is open again" in extended.output

    listing = runner.invoke(args=["round", "list"])
    assert f"{round_id}\topen\tNV" in listing.output and "1/2 submitted" in listing.output
    assert f"{empty_id}\tdraft\tNV" in listing.output


def test_it_says_when_there_are_no_rounds(runner: FlaskCliRunner) -> None:
    assert "no rounds yet" in runner.invoke(args=["round", "list"]).output
    assert runner.invoke(args=["round", "status", "5"]).exit_code == 1
