"""Beyond one machine: two app servers and two mail workers on one PostgreSQL database.

A round runs as it would in production (docs/deployment.md): two gunicorn app servers
(the project's gunicorn.conf.py, production settings, behind a proxy), two mail workers
(`survey outbox send --loop`) and `survey tick --no-deliver` as the scheduler, all
separate processes on one database, with a real SMTP server. Respondents open their
links and answer alternately on both app servers — a session begun on one continues on
the other — while reminders are queued (time moved forward between ticks) and the
workers deliver. At the end every invitation and reminder has arrived exactly once, to
the right people, and every answer is kept.

PostgreSQL only: several processes writing at once is what PostgreSQL is for in
production; SQLite (the laptop default) serialises writers and runs on one machine.
"""

from __future__ import annotations

import re
import secrets
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.organisations import OrganisationType
from survey.questionnaires.storage import find_questionnaire_version, questionnaire_of
from survey.rounds.messages import DEFAULT_INVITATION_BODY, DEFAULT_REMINDER_BODY
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import MakeApp, make_recipient, make_round
from tests.gunicorn_helpers import CSRF_TOKEN, Client, app_environment, start_gunicorn, stop
from tests.outbox_helpers import PROJECT_ROOT, SURVEY_COMMAND
from tests.realistic_data import form_fields, load_questionnaire
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

BASE_URL = "https://enkat.example.se"
LINK = re.compile(re.escape(BASE_URL) + r"/svara/(\d+)/([A-Za-z0-9_-]{43})")
KINDS = [OrganisationType.KOMMUN, OrganisationType.REGIONAL_PV, OrganisationType.SLUTENVARD]
# Who answers when: right after the invitation, after the first reminder, never
# (some of these only save a draft, which is no answer).
EARLY, LATE, NEVER = "early", "late", "never"
GROUP_SIZE = 6


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "runs several processes against one PostgreSQL database; set "
            "SURVEY_TEST_DATABASE_URL=postgresql://… (SQLite is the single-machine default)"
        )
    return database_url


@pytest.fixture
def mail_app(make_app: MakeApp, smtp_server: SmtpServer, postgres_url: str) -> Flask:
    return make_app(**smtp_server.settings)


class Deployment:
    """The processes of the deployment, sharing one environment (and so one SECRET_KEY)."""

    def __init__(self, database_url: str, smtp_server: SmtpServer, directory: Path) -> None:
        self.environment = app_environment(
            database_url,
            secrets.token_urlsafe(48),
            SURVEY_BASE_URL=BASE_URL,
            MAIL_SERVER=smtp_server.host,
            MAIL_PORT=str(smtp_server.port),
            MAIL_DEFAULT_SENDER="enkat@example.se",
            MAIL_TIMEOUT_SECONDS="10",
            SURVEY_MAIL_BATCH_SIZE="3",
        )
        self.directory = directory
        self.servers: list[tuple[subprocess.Popen[bytes], int, Path]] = []
        self.workers: list[subprocess.Popen[str]] = []

    def start_app_server(self) -> int:
        access_log = self.directory / f"access-{len(self.servers)}.log"
        process, port = start_gunicorn(self.environment, workers=2, access_log=access_log)
        self.servers.append((process, port, access_log))
        return port

    def start_mail_worker(self) -> None:
        self.workers.append(
            subprocess.Popen(
                [SURVEY_COMMAND, "outbox", "send", "--loop", "--interval", "0.2"],
                env=self.environment,
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )

    def tick(self) -> str:
        """`survey tick --no-deliver`, as cron runs it (the workers deliver)."""
        done = subprocess.run(
            [SURVEY_COMMAND, "tick", "--no-deliver"],
            env=self.environment,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def stop_workers(self) -> list[str]:
        outputs = []
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
            outputs.append(worker.communicate(timeout=60)[0])
        return outputs

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate(timeout=30)
        for process, _, _ in self.servers:
            stop(process)

    def access_logs(self) -> str:
        return "".join(log.read_text(encoding="utf-8") for _, _, log in self.servers)


def _prepare_round(recipients: int) -> tuple[int, dict[int, OrganisationType]]:
    """A draft round of the NV questionnaire, due to open now, with its recipients."""
    questionnaire = load_questionnaire()
    version = find_questionnaire_version(questionnaire.id, questionnaire.version)
    now = utcnow()
    round_ = make_round(
        version,
        state=RoundState.DRAFT,
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=30),
        reminder_days=[7, 14],
        max_reminders=2,
        invitation_body=DEFAULT_INVITATION_BODY,
        reminder_body=DEFAULT_REMINDER_BODY,
    )
    kinds = {}
    for number in range(recipients):
        kind = KINDS[number % len(KINDS)]
        recipient = make_recipient(
            round_,
            name=f"Åsa Öberg {number}",
            email=f"chef{number}@vard.example.se",
            organisation=f"Enhet {number}",
            organisation_type=str(kind),
        )
        kinds[recipient.id] = kind
    db.session.commit()
    return round_.id, kinds


def _move_time_forward(round_id: int, days: int) -> None:
    """As if `days` had passed since every invitation and contact (reminders fall due)."""
    back = timedelta(days=days)
    for recipient in db.session.scalars(select(Recipient).where(Recipient.round_id == round_id)):
        assert recipient.invited_at is not None and recipient.last_contacted_at is not None
        recipient.invited_at -= back
        recipient.last_contacted_at -= back
    db.session.commit()


def _links(smtp_server: SmtpServer, kind_subject: str) -> dict[str, str]:
    """Each recipient's personal link from the messages whose subject starts with the kind."""
    links = {}
    for received in list(smtp_server.received):
        if received.message["Subject"].startswith(kind_subject):
            part = received.message.get_body(preferencelist=("plain",))
            assert part is not None
            body = part.get_content()
            match = LINK.search(body)
            assert match is not None, body
            links[received.envelope_recipients[0]] = match.group(0)[len(BASE_URL) :]
    return links


def _answer(ports: list[int], link: str, answers: list[tuple[str, str]], submit: bool) -> str:
    """Answer as a respondent, each request on the other app server than the one before."""
    client_a, client_b = Client(ports[0], "10.1.0.1"), Client(ports[1], "10.1.0.1")
    form_path = link.rsplit("/", 1)[0]

    def on(client: Client, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        status, text, _ = client.request(method, path, body)
        # One browser: the cookie set by either server goes with the next request.
        client_a.cookies.update(client.cookies)
        client_b.cookies.update(client.cookies)
        return status, text

    from urllib.parse import urlencode

    status, _ = on(client_a, "GET", link)
    assert status == 303
    status, page = on(client_b, "GET", form_path)  # the session began on A
    assert status == 200, page
    token = CSRF_TOKEN.search(page)
    assert token is not None
    draft = [("csrf_token", token.group(1)), ("action", "save"), *answers[:3]]
    status, _ = on(client_a, "POST", form_path, urlencode(draft))
    assert status == 303
    status, page = on(client_b, "GET", form_path)
    assert status == 200 and "Utkastet är sparat" in page
    if submit:
        complete = [("csrf_token", token.group(1)), ("action", "submit"), *answers]
        status, page = on(client_b, "POST", form_path, urlencode(complete))
        assert status == 303, page
        status, page = on(client_a, "GET", f"{form_path}/klart")
        assert status == 200
    client_a.close()
    client_b.close()
    return page


def test_it_delivers_every_message_once_and_keeps_every_answer_across_two_servers(
    mail_app: Flask, smtp_server: SmtpServer, postgres_url: str, tmp_path: Path
) -> None:
    import random

    from tests.realistic_data import realistic_answers

    smtp_server.slow_down(0.02)  # the workers overlap instead of one doing everything
    with mail_app.app_context():
        round_id, kinds = _prepare_round(3 * GROUP_SIZE)
        emails: dict[str, int] = {}
        for email, recipient_id in db.session.execute(select(Recipient.email, Recipient.id)):
            assert email is not None
            emails[email] = recipient_id
        questionnaire = questionnaire_of(db.session.get_one(Round, round_id).questionnaire_version)
        db.session.rollback()
    order = sorted(emails)
    group = {email: (EARLY, LATE, NEVER)[index % 3] for index, email in enumerate(order)}
    rng = random.Random(7)
    typed = {email: realistic_answers(rng, questionnaire, kinds[emails[email]]) for email in order}
    answers = {email: form_fields(typed[email]) for email in order}

    deployment = Deployment(postgres_url, smtp_server, tmp_path)
    try:
        ports = [deployment.start_app_server(), deployment.start_app_server()]
        deployment.start_mail_worker()
        deployment.start_mail_worker()

        assert "opened 1 round(s), queued 18 invitation(s)" in deployment.tick()
        assert smtp_server.wait_for(18, timeout=120), len(smtp_server.received)
        invitations = _links(smtp_server, "Inbjudan")
        assert sorted(invitations) == order
        for email in order:
            if group[email] == EARLY:
                _answer(ports, invitations[email], answers[email], submit=True)
            elif group[email] == NEVER and emails[email] % 2:
                _answer(ports, invitations[email], answers[email], submit=False)

        with mail_app.app_context():
            _move_time_forward(round_id, 8)
        assert "queued 0 invitation(s) and 12 reminder(s)" in deployment.tick()
        assert smtp_server.wait_for(18 + 12, timeout=120), len(smtp_server.received)
        for email in order:
            if group[email] == LATE:
                # The reminder carries the same link as the invitation.
                _answer(ports, invitations[email], answers[email], submit=True)

        with mail_app.app_context():
            _move_time_forward(round_id, 8)
        assert "queued 0 invitation(s) and 6 reminder(s)" in deployment.tick()
        assert smtp_server.wait_for(18 + 12 + 6, timeout=120), len(smtp_server.received)
        assert "queued 0 invitation(s) and 0 reminder(s)" in deployment.tick()
        outputs = deployment.stop_workers()
    finally:
        deployment.stop_all()

    # Every message exactly once, and each to the right people.
    assert all(count == 1 for count in smtp_server.message_id_counts().values())
    # 36 invitations and reminders, and a receipt to each of the 12 who submitted (issue 13).
    submitters = [email for email in order if group[email] != NEVER]
    assert len(submitters) == 12
    assert len(smtp_server.received) == 36 + len(submitters)
    received = Counter(
        (message.envelope_recipients[0], message.message["Subject"].split(":")[0])
        for message in smtp_server.received
    )
    expected_reminders = {EARLY: 0, LATE: 1, NEVER: 2}
    for email in order:
        assert received[(email, "Inbjudan")] == 1
        assert received[(email, "Påminnelse")] == expected_reminders[group[email]], email
        assert received[(email, "Kvitto")] == (1 if email in submitters else 0), email
    # Both workers delivered (they share the work), and together exactly what arrived.
    sent = [
        sum(int(count) for count in re.findall(r"batch: sent (\d+)", output)) for output in outputs
    ]
    assert sum(sent) == 36 + len(submitters) and all(sent), outputs
    # Personal links never reach the access logs.
    logs = deployment.access_logs()
    assert "/svara/" in logs and "[personlig-länk]" in logs
    assert not any(link.rsplit("/", 1)[1] in logs for link in invitations.values())

    with mail_app.app_context():
        statuses = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        assert statuses == {MailStatus.SENT.value: 36 + len(submitters)}
        assert (
            db.session.scalar(
                select(func.count()).where(OutboxMessage.kind == MailKind.REMINDER.value)
            )
            == 18
        )
        responses = {
            response.recipient_id: response
            for response in db.session.scalars(
                select(Response).where(Response.round_id == round_id)
            )
        }
        for email in order:
            response = responses.get(emails[email])
            if group[email] == NEVER:
                submitted = response is not None and response.submitted_at is not None
                assert not submitted
                assert (response is not None) == bool(emails[email] % 2)
                continue
            assert response is not None and response.submitted_at is not None, email
            assert response.answers is not None
            assert response.submission_count == 1
            assert set(response.answers) == set(typed[email]), email
            for question_id, value in typed[email].items():
                if isinstance(value, str) and " " not in value:  # a choice
                    assert response.answers[question_id] == value
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ResponseSubmission)
                .join(Response, Response.id == ResponseSubmission.response_id)
                .where(Response.round_id == round_id)
            )
            == 2 * GROUP_SIZE
        )
        db.session.rollback()
