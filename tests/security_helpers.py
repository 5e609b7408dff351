"""A seeded world with a row of every kind, and helpers to walk the app's routes with it.

The security tests visit every route the app has (`app.url_map`), so that a page or form
added later is covered without anyone remembering to: `seed_world` makes the rows whose
ids the routes need (an open round with invited recipients, a failed message, an account
to administer, a respondent with a live link) and `url_for_rule` fills any rule with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.routing import Rule

from survey.db import db, utcnow
from survey.jobs.queue import enqueue_job
from survey.organisations import OrganisationType
from survey.rounds.lifecycle import create_round, open_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.schema.jobs import JobState
from survey.schema.outbox import MailStatus, OutboxMessage
from survey.schema.rounds import Recipient
from tests.factories import (
    Cast,
    login,
    make_cast,
    make_questionnaire_version,
    make_recipient,
    make_submitted_response,
    make_user,
)
from tests.plan_helpers import load_nv_plan
from tests.respondent_helpers import Invited, invite

HEALTHY_EMAIL = "anna@example.se"
FAILED_EMAIL = "studsar@example.se"
ANSWERED_EMAIL = "dora@example.se"  # a lokal samverkan whose inventory is submitted
INVENTORY_PARTICIPANT = "Dora Deltagare"  # named in that inventory's answers
GROUP_CONTACT_NAME = "Gun Grupp"
GROUP_CONTACT_EMAIL = "gun@angelholm.se"


@dataclass(frozen=True)
class World:
    """The ids the routes need, as plain values."""

    cast: Cast
    round_id: int  # an open round of NV with the sample questionnaire
    recipient_id: int  # invited, delivered, remindable (HEALTHY_EMAIL, regional PV)
    failed_recipient_id: int  # whose invitation failed (FAILED_EMAIL)
    message_id: int  # the failed invitation: it can be sent again
    user_id: int  # a reader of NV to administer
    questionnaire_id: str
    questionnaire_version_id: int
    respondent: Invited  # a recipient of the round with a live link
    group_id: int = 0  # a lokal samverkan of NV (Ängelholm) with a live link
    response_id: int = 0  # the submitted inventory of ANSWERED_EMAIL
    job_id: int = 0  # an export of the round the administrator ordered (finished)
    import_job_id: int = 0  # a check of an answers file the administrator ordered (correct)
    report_job_id: int = 0  # a report of the NV plan the administrator ordered (finished)

    def url_values(self, endpoint: str = "") -> dict[str, Any]:
        """Values for every argument a rule (of `endpoint`) may have."""
        job_id = self.job_id
        if endpoint.startswith("response_import."):
            job_id = self.import_job_id
        elif endpoint.startswith("plans."):
            job_id = self.report_job_id
        return {
            "round_id": self.round_id,
            "recipient_id": self.recipient_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "questionnaire_id": self.questionnaire_id,
            "extension": "csv",
            "token": self.respondent.token,
            "group_id": self.group_id,
            "response_id": self.response_id,
            "filename": "style.css",
            "plan_key": "nv-aktivitetsplan",
            "indicator_id": "1a.3d",
            "kind": "pdf",
            "job_id": job_id,
        }


def seed_world(app: Flask) -> World:
    """Add the cast, an open round with recipients in every useful state, and a respondent."""
    with app.app_context():
        cast = make_cast()
        reader = make_user("lasare", "NV", name="Läsare Att Ändra")
        now = utcnow()
        version = make_questionnaire_version()
        round_ = create_round(
            RoundSettings(
                questionnaire_version_id=version.id,
                title="Årlig enkät 2025",
                delregion="NV",
                reference_date=now.date(),
                opens_at=now,
                closes_at=now + timedelta(days=30),
                sender_name="Processledare nära vård, Nordväst",
                reply_to="processledare.nv@example.se",
            ),
            now=now,
        )
        healthy, failed = add_recipients(
            round_,
            [
                RecipientRow("Anna Andersson", HEALTHY_EMAIL, "Vårdcentralen Ängelholm",
                             OrganisationType.REGIONAL_PV, "Ängelholm", "NV"),
                RecipientRow("Bo Berg", FAILED_EMAIL, "Höganäs kommun",
                             OrganisationType.KOMMUN, "Höganäs", "NV"),
            ],
            now=now,
        )  # fmt: skip
        open_round(round_, now=now)
        message_id = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.recipient_id == failed.id)
        ).one()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=MailStatus.FAILED.value, last_error="550 5.1.1 Mailbox does not exist")
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient_id == healthy.id)
            .values(status=MailStatus.SENT.value, sent_at=now - timedelta(days=2))
        )
        # Contacted two days ago: a reminder by hand may go out now.
        db.session.execute(
            update(Recipient)
            .where(Recipient.round_id == round_.id)
            .values(last_contacted_at=now - timedelta(days=2), invited_at=now - timedelta(days=2))
        )
        answered = make_recipient(round_, name=INVENTORY_PARTICIPANT, email=ANSWERED_EMAIL,
                                  organisation="Lokal samverkan Bjuv", kommun="Bjuv",
                                  organisation_type="lokal_samverkan")  # fmt: skip
        response = make_submitted_response(
            round_, answered, {"deltagare": f"{INVENTORY_PARTICIPANT}, samordnare"}
        )
        response_id = response.id
        job = enqueue_job(
            "excel_export",
            {"round_id": round_.id, "identifying": False},
            round_id=round_.id,
            created_by_id=cast.admin.id,
        )
        # Finished, as the worker leaves it, so that its download can be walked too.
        job.state = JobState.DONE.value
        job.params = {
            **job.params,
            "summary": {"variant": "pseudonymiserad", "responses": 0, "non_respondents": 0,
                        "free_text_answers": 0, "exported_at": now.isoformat(),
                        "utf8_name": "export.xlsx"},
        }  # fmt: skip
        job.result, job.result_name, job.result_size = b"PK\x03\x04", "export.xlsx", 4
        job.finished_at, job.expires_at = now, now + timedelta(days=1)
        db.session.flush()
        job_id = job.id
        world_ids = (round_.id, healthy.id, failed.id, message_id, reader.id, version.id)
        questionnaire_id = version.questionnaire_id
        plan_id = load_nv_plan().id  # commits
        import_job_id, report_job_id = _seed_import_and_report_jobs(
            world_ids[0], cast.admin.id, plan_id, now
        )
        db.session.commit()
    round_id, healthy_id, failed_id, message_id, reader_id, version_id = world_ids
    respondent = invite(
        app, round_id=round_id, name="Cilla Carlsson", email="cilla@example.se",
        organisation="Trelleborgs kommun", organisation_type="kommun", kommun="Trelleborg",
    )  # fmt: skip
    with app.app_context():
        from survey.local_collaboration.groups import create_group
        from survey.local_collaboration.links import issue_group_link

        group = create_group(kommun="Ängelholm", delregion="NV", contact_name=GROUP_CONTACT_NAME,
                             contact_email=GROUP_CONTACT_EMAIL)  # fmt: skip
        issue_group_link(group)
        group_id = group.id
        db.session.commit()
    return World(
        group_id=group_id,
        response_id=response_id,
        cast=cast,
        round_id=round_id,
        recipient_id=healthy_id,
        failed_recipient_id=failed_id,
        message_id=message_id,
        user_id=reader_id,
        job_id=job_id,
        import_job_id=import_job_id,
        report_job_id=report_job_id,
        questionnaire_id=questionnaire_id,
        questionnaire_version_id=version_id,
        respondent=respondent,
    )


# The file of the seeded check: one answer of the round's recipient HEALTHY_EMAIL.
SEEDED_ANSWERS_FILE = b"e-post;sip_okning\r\n" + HEALTHY_EMAIL.encode() + b";ja\r\n"


def _seed_import_and_report_jobs(
    round_id: int, admin_id: int, plan_id: int, now: datetime
) -> tuple[int, int]:
    """A check of an answers file (correct, its file kept) and a finished report of the NV
    plan, both the administrator's, as the worker leaves them."""
    from survey.plans.report_jobs import PLAN_REPORT_JOB
    from survey.responses.import_jobs import (
        FILE_LIFETIME,
        IMPORT_JOB,
        UPLOAD_PURPOSE,
    )
    from survey.rounds.staging import keep_upload_for_job

    upload_id = keep_upload_for_job(
        admin_id, UPLOAD_PURPOSE, "svar.csv", SEEDED_ANSWERS_FILE, now=now, lifetime=FILE_LIFETIME
    )
    summary = {"check_only": True, "ok": True, "imported": False, "rows": 1, "created": 1,
               "amended": 0, "unchanged": 0, "recipients_created": 0, "problem_count": 0,
               "problems": [], "warnings": [], "file_description": None}  # fmt: skip
    checked = enqueue_job(
        IMPORT_JOB,
        {"round_id": round_id, "user_id": admin_id, "upload_id": upload_id,
         "filename": "svar.csv", "add_recipients": False, "check_only": True},
        round_id=round_id,
        created_by_id=admin_id,
    )  # fmt: skip
    checked.state = JobState.DONE.value
    checked.params = {**checked.params, "summary": summary}
    checked.finished_at, checked.expires_at = now, now + timedelta(days=1)
    report = enqueue_job(
        PLAN_REPORT_JOB, {"plan_id": plan_id, "as_of": "2026-01-31", "kind": "pdf"},
        created_by_id=admin_id,
    )  # fmt: skip
    report.state = JobState.DONE.value
    report.result, report.result_name, report.result_size = b"%PDF-1.7", "rapport.pdf", 8
    report.finished_at, report.expires_at = now, now + timedelta(days=1)
    db.session.flush()
    return checked.id, report.id


def client_of(app: Flask, email: str | None, respondent: Invited | None = None) -> FlaskClient:
    """A client logged in as `email` (None: anonymous), holding `respondent`'s session too."""
    client = app.test_client()
    if email is not None:
        response = login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
    if respondent is not None:
        assert client.get(respondent.link).status_code == 303
    return client


def url_for_rule(app: Flask, rule: Rule, world: World) -> str:
    """The rule's URL with the world's ids."""
    values = world.url_values(rule.endpoint)
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def rules_with(app: Flask, method: str) -> list[Rule]:
    """Every rule of the app accepting `method`, in a stable order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in (rule.methods or ())),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def database_snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, as text: compare two snapshots to see whether anything changed."""
    with app.app_context():
        snapshot = {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables
        }
        db.session.rollback()
        return snapshot


def form_values(html: str, action: str | None = None) -> dict[str, str]:
    """The values a browser would post from the page's form (the one posting to `action`)."""
    soup = BeautifulSoup(html, "html.parser")
    forms = list(soup.find_all("form", method=re.compile("post", re.IGNORECASE)))
    if action is not None:
        forms = [form for form in forms if str(form.get("action", "")).split("?")[0] == action]
    assert forms, f"no form posting to {action} on the page"
    values: dict[str, str] = {}
    for field in forms[0].find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        name = str(name)
        if field.name == "textarea":
            values[name] = field.get_text()
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[name] = str(chosen.get("value", "")) if chosen else ""
        elif field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                values[name] = str(field.get("value", "on"))
        elif field.get("type") not in ("submit", "button", "file"):
            values[name] = str(field.get("value", ""))
    return values


def csrf_token_in(html: str) -> str:
    """The CSRF token a page carries (every page of a logged-in user has one in its menu)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


def every_template() -> Iterator[tuple[str, str]]:
    """(path, text) of every Jinja template."""
    from config import PROJECT_ROOT

    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):
        yield str(path.relative_to(PROJECT_ROOT)), path.read_text(encoding="utf-8")
