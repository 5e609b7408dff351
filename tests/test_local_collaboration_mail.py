"""Lokal samverkan mail: the link and the reminders through the outbox, never twice; export; CLI."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update

from survey.db import db, utcnow
from survey.errors import ErrorCode, SurveyError
from survey.local_collaboration.reminders import (
    FOLLOW_UP,
    QUIET,
    ActionFacts,
    DueReminder,
    due_reminders,
)
from survey.schema.local_collaboration import LocalAction, LocalGroup, LocalGroupMail
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.ticks import run_tick
from tests.factories import MakeApp, logged_in_client
from tests.local_collaboration_helpers import ACTION, contact_client, make_group
from tests.smtp_server import SmtpServer

TODAY = date(2026, 5, 4)


def facts(**changes: Any) -> ActionFacts:
    values: dict[str, Any] = {
        "id": 7,
        "what": "Hälsosamtal",
        "is_open": True,
        "due_on": TODAY + timedelta(days=30),
        "follow_up_on": TODAY,
    }
    values.update(changes)
    return ActionFacts(**values)


def rule(
    actions: Iterable[ActionFacts] = (),
    last_change: date = TODAY,
    already: Iterable[tuple[str, str]] = (),
    link_live: bool = True,
    quiet_days: int = 90,
) -> list[DueReminder]:
    return due_reminders(
        link_live=link_live,
        last_change=last_change,
        actions=list(actions),
        today=TODAY,
        quiet_days=quiet_days,
        already=set(already),
    )


def test_a_follow_up_that_has_come_is_due_once_per_date() -> None:
    due = rule([facts()])
    assert [(r.reason, r.key) for r in due] == [(FOLLOW_UP, "action:7:2026-05-04")]
    assert rule([facts()], already=[(FOLLOW_UP, "action:7:2026-05-04")]) == []
    assert rule([facts(follow_up_on=TODAY + timedelta(days=1))]) == []
    assert rule([facts(is_open=False)]) == []
    # Without a follow-up date the due date counts.
    assert rule([facts(follow_up_on=None, due_on=TODAY)])[0].key == "action:7:2026-05-04"


def test_a_quiet_plan_is_due_once_per_quiet_spell() -> None:
    quiet_since = TODAY - timedelta(days=90)
    due = rule(last_change=quiet_since)
    assert [(r.reason, r.key) for r in due] == [(QUIET, "since:2026-02-03")]
    assert rule(last_change=quiet_since, already=[(QUIET, "since:2026-02-03")]) == []
    assert rule(last_change=TODAY - timedelta(days=89)) == []


def test_nothing_is_due_without_a_live_link() -> None:
    assert rule([facts()], last_change=TODAY - timedelta(days=400), link_live=False) == []


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer) -> Flask:
    return make_app(**smtp_server.settings)


def test_the_tick_reminds_of_a_due_follow_up_once_and_delivers_it_with_a_working_link(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    group = make_group(mail_app)
    client = contact_client(mail_app, group)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert (
        client.post("/samverkan/plan", data={**ACTION, "uppfoljning_datum": yesterday}).status_code
        == 303
    )
    with mail_app.app_context():
        first = run_tick()
        assert first.group_reminders == 1, first.problems
        second = run_tick()
        assert second.group_reminders == 0
        assert db.session.scalar(select(func.count()).select_from(LocalGroupMail)) == 1
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MailKind.GROUP_REMINDER.value)
        ).one()
        assert message.status == MailStatus.SENT.value
        assert "/samverkan/" not in message.body_text  # the link is never stored
    received = smtp_server.messages_to("kontakt@hassleholm.se")
    assert len(received) == 1
    body = received[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dags att följa upp" in str(received[0].message["Subject"])
    assert "Gemensamma hälsosamtal för 75-åringar" in body
    link = next(line for line in body.splitlines() if "/samverkan/" in line).strip()
    path = link[link.index("/samverkan/") :]
    assert mail_app.test_client().get(path).status_code == 303  # the link works


def test_a_plan_left_alone_gets_one_reminder_and_a_revoked_link_none(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    quiet = make_group(mail_app)
    revoked = make_group(mail_app, kommun="Osby", email="kontakt@osby.se")
    with mail_app.app_context():
        long_ago = utcnow() - timedelta(days=120)
        db.session.execute(update(LocalGroup).values(created_at=long_ago))
        gone = db.session.get(LocalGroup, revoked.id)
        assert gone is not None
        gone.token_hash = None
        db.session.commit()
        assert run_tick().group_reminders == 1
        assert run_tick().group_reminders == 0
        mails = list(db.session.scalars(select(LocalGroupMail)))
        assert [(m.group_id, m.reason) for m in mails] == [(quiet.id, QUIET)]
    assert len(smtp_server.messages_to("kontakt@hassleholm.se")) == 1
    assert smtp_server.messages_to("kontakt@osby.se") == []


def test_a_link_mail_whose_link_was_revoked_before_sending_fails_instead_of_sending(
    mail_app: Flask, smtp_server: SmtpServer
) -> None:
    group = make_group(mail_app)
    leader = logged_in_client(mail_app, "processledare", "NO")
    assert leader.post(f"/samverkan/grupper/{group.id}/lank").status_code == 303
    assert leader.post(f"/samverkan/grupper/{group.id}/lank/aterkalla").status_code == 303
    with mail_app.app_context():
        run_tick()
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.status == MailStatus.FAILED.value
    assert smtp_server.messages_to("kontakt@hassleholm.se") == []


# -- the Excel export ---------------------------------------------------------------------


def test_the_exports_hold_the_overview_and_every_plan_with_no_formula(app: Flask) -> None:
    group = make_group(app)
    make_group(app, kommun="Osby", email="kontakt@osby.se")
    client = contact_client(app, group)
    client.post(
        "/samverkan/plan", data={**ACTION, "vad": '=HYPERLINK("http://x")', "klart": "2025-01-31"}
    )
    client.post(
        "/samverkan/plan", data={"del": "finding", "fraga": "nuvarande", "upptackt": "+46 äldre"}
    )
    leader = logged_in_client(app, "processledare", "NO")
    download = leader.get("/samverkan/oversikt.xlsx")
    assert download.status_code == 200
    assert (download.mimetype or "").endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == ["Översikt", "Hässleholm", "Osby"]
    sheet = book["Översikt"]
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == [
        "Grupp",
        "Kommun",
        "Delregion",
        "Steg",
        "Mognad",
        "Mognad år",
        "Öppna åtgärder",
        "Försenade åtgärder",
    ]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Lokal samverkan Hässleholm"][6:8] == (1, 1)
    cells = [c for c in book["Hässleholm"].iter_rows() for c in c if c.value is not None]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s" and formula.quotePrefix
    assert any(c.value == "+46 äldre" and c.quotePrefix for c in cells)
    one = leader.get(f"/samverkan/grupper/{group.id}/plan.xlsx")
    assert one.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(one.data)).sheetnames == ["Hässleholm"]
    assert logged_in_client(app, "lasare", "NO").get("/samverkan/oversikt.xlsx").status_code == 403


# -- the command line -----------------------------------------------------------------------


def test_the_commands_create_list_send_and_revoke(app: Flask, runner: FlaskCliRunner) -> None:
    made = runner.invoke(
        args=[
            "group",
            "create",
            "--kommun",
            "hässleholms kommun",
            "--delregion",
            "Nordost",
            "--contact-name",
            "Kim",
            "--contact-email",
            "kim@hassleholm.se",
            "--send-link",
        ]
    )
    assert made.exit_code == 0, made.output
    assert "Created Lokal samverkan Hässleholm" in made.output and "link queued" in made.output
    again = runner.invoke(
        args=[
            "group",
            "create",
            "--kommun",
            "Hässleholm",
            "--delregion",
            "NO",
            "--contact-name",
            "Kim",
            "--contact-email",
            "kim@hassleholm.se",
        ]
    )
    assert again.exit_code != 0
    assert "Hässleholm already has a lokal samverkan" in again.output
    assert "Traceback" not in again.output
    wrong = runner.invoke(
        args=[
            "group",
            "create",
            "--kommun",
            "Atlantis",
            "--delregion",
            "NO",
            "--contact-name",
            "Kim",
            "--contact-email",
            "kim@example.se",
        ]
    )
    assert (
        wrong.exit_code != 0
        and "--kommun 'Atlantis' is not one of Skåne's 33 kommuner" in wrong.output
    )
    bad_mail = runner.invoke(
        args=[
            "group",
            "create",
            "--kommun",
            "Osby",
            "--delregion",
            "NO",
            "--contact-name",
            "Kim",
            "--contact-email",
            "inte en adress",
        ]
    )
    assert bad_mail.exit_code != 0 and "--contact-email" in bad_mail.output
    listed = runner.invoke(args=["group", "list"])
    assert "Lokal samverkan Hässleholm" in listed.output and "link live" in listed.output
    assert runner.invoke(args=["group", "send-link", "--kommun", "Hässleholm"]).exit_code == 0
    assert runner.invoke(args=["group", "revoke-link", "--kommun", "Hässleholm"]).exit_code == 0
    twice = runner.invoke(args=["group", "revoke-link", "--kommun", "Hässleholm"])
    assert twice.exit_code != 0 and "has no live link" in twice.output
    # The same refusals, matched by their codes.
    create = ["group", "create", "--contact-name", "Kim"]
    hassleholm = [*create, "--kommun", "Hässleholm", "--contact-email", "kim@hassleholm.se"]
    osby = [*create, "--kommun", "Osby", "--contact-email", "kim@osby.se"]
    for args, code in [
        ([*hassleholm, "--delregion", "NO"], ErrorCode.GROUP_EXISTS),
        ([*osby, "--kommun", "Atlantis", "--delregion", "NO"], ErrorCode.GROUP_NOT_A_KOMMUN),
        ([*osby, "--delregion", "XX"], ErrorCode.GROUP_NOT_A_DELREGION),
        ([*osby, "--delregion", "NO", "--contact-email", "inte en"], ErrorCode.GROUP_BAD_INPUT),
        (["group", "revoke-link", "--kommun", "Hässleholm"], ErrorCode.GROUP_NO_LIVE_LINK),
        (["group", "send-link", "--kommun", "Atlantis"], ErrorCode.GROUP_NOT_FOUND),
    ]:
        result = runner.invoke(args=args, standalone_mode=False)
        assert isinstance(result.exception, SurveyError), (args, result.exception)
        assert result.exception.code is code, args
    assert (
        "--delregion 'XX' is not a delregion"
        in runner.invoke(args=[*osby, "--delregion", "XX"]).output
    )
    with app.app_context():
        links = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.kind == MailKind.GROUP_LINK.value)
        ).all()
        assert len(links) == 2  # one per link generation
        assert db.session.scalar(select(func.count()).select_from(LocalAction)) == 0
