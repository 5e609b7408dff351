"""Small helpers that put rows in the test database. Call them inside an app context."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey.accounts.passwords import hash_password
from survey.db import db
from survey.questionnaires.model import Questionnaire
from survey.schema.accounts import User
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState
from tests.sample import sample_questionnaire

# The `make_app` fixture: `make_app(SETTING=value, ...)` builds an app on the test database.
MakeApp = Callable[..., Flask]


def make_questionnaire_version(questionnaire: Questionnaire | None = None) -> QuestionnaireVersion:
    questionnaire = questionnaire or sample_questionnaire()
    stored = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        definition=questionnaire.to_json(),
        content_hash=questionnaire.content_hash,
        source_name=f"{questionnaire.id}.yaml",
        source_text="# built in tests\n",
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def open_nv_round(now: datetime) -> tuple[Round, list[Recipient]]:
    """An open round of delregion NV, made by the round service, with two recipients
    (m1@ and m2@example.se, vårdcentraler in Lund) whose invitations are queued."""
    from survey.organisations import OrganisationType
    from survey.rounds.lifecycle import create_round, open_round
    from survey.rounds.recipients_file import RecipientRow
    from survey.rounds.roster import add_recipients
    from survey.rounds.settings import RoundSettings

    round_ = create_round(
        RoundSettings(
            questionnaire_version_id=make_questionnaire_version().id,
            title="Årlig enkät 2025",
            delregion="NV",
            reference_date=now.date(),
            opens_at=now,
            closes_at=now + timedelta(days=30),
            sender_name="Processledare nära vård, Nordväst",
        ),
        now=now,
    )
    recipients = add_recipients(
        round_,
        [
            RecipientRow(
                f"Mottagare {n}",
                f"m{n}@example.se",
                f"Vårdcentralen {n}",
                OrganisationType.REGIONAL_PV,
                "Lund",
                "NV",
            )
            for n in (1, 2)
        ],
        now=now,
    )
    open_round(round_, now=now)
    return round_, recipients


def make_round(
    questionnaire_version: QuestionnaireVersion | None = None,
    *,
    delregion: str = "NV",
    state: RoundState = RoundState.OPEN,
    reference_date: date = date(2025, 12, 31),
    **fields: Any,
) -> Round:
    now = datetime.now(UTC)
    round_ = Round(
        questionnaire_version=questionnaire_version or make_questionnaire_version(),
        title=fields.pop("title", "Årlig enkät 2025"),
        delregion=delregion,
        reference_date=reference_date,
        opens_at=fields.pop("opens_at", now - timedelta(days=1)),
        closes_at=fields.pop("closes_at", now + timedelta(days=30)),
        reminder_days=fields.pop("reminder_days", [7, 14]),
        max_reminders=fields.pop("max_reminders", 2),
        sender_name=fields.pop("sender_name", "Processledare nära vård NV"),
        reply_to=fields.pop("reply_to", "processledare@example.se"),
        invitation_subject=fields.pop("invitation_subject", "Inbjudan: {omgang}"),
        invitation_body=fields.pop("invitation_body", "Hej {namn}!\n\nSvara här: {lank}\n"),
        reminder_subject=fields.pop("reminder_subject", "Påminnelse: {omgang}"),
        reminder_body=fields.pop(
            "reminder_body", "Hej {namn}!\n\nSvara senast {sista_dag}: {lank}\n"
        ),
        state=state,
        **fields,
    )
    db.session.add(round_)
    db.session.flush()
    return round_


def make_recipient(round_: Round, **fields: Any) -> Recipient:
    suffix = secrets.token_hex(3)
    recipient = Recipient(
        round_id=round_.id,
        name=fields.pop("name", f"Anna Andersson {suffix}"),
        email=fields.pop("email", f"anna.{suffix}@example.se"),
        organisation=fields.pop("organisation", "Vårdcentralen Ängelholm"),
        organisation_type=fields.pop("organisation_type", "regional_pv"),
        kommun=fields.pop("kommun", "Ängelholm"),
        delregion=fields.pop("delregion", round_.delregion),
        **fields,
    )
    db.session.add(recipient)
    db.session.flush()
    return recipient


# Accounts. A hash is made once per password and app setting: Argon2 is slow on purpose.
DEFAULT_PASSWORD = "rätt-hästbatteri-häftklammer"


@functools.cache
def _cached_hash(password: str, fast: bool) -> str:
    return hash_password(password)


def _password_hash(password: str) -> str:
    return _cached_hash(password, bool(current_app.config.get("SURVEY_FAST_PASSWORD_HASHING")))


def make_user(
    role: str = "admin",
    delregion: str | None = None,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    name: str | None = None,
    active: bool = True,
) -> User:
    """Add an account (role: "admin", "processledare", "lasare")."""
    suffix = secrets.token_hex(3)
    user = User(
        email=(email or f"{role}.{(delregion or 'alla').lower()}.{suffix}@example.se").lower(),
        name=name or f"{role.capitalize()} {delregion or ''} {suffix}".replace("  ", " "),
        role=role,
        delregion=delregion,
        password_hash=_password_hash(password),
        active=active,
        session_generation=0,
    )
    db.session.add(user)
    db.session.flush()
    return user


def login(
    client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD, **kwargs: Any
) -> TestResponse:
    """Log in through the login page, with its CSRF token if it has one; returns the response."""
    data = {"email": email, "password": password}
    form = client.get("/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    if token is not None:
        data["csrf_token"] = token.group(1)
    return client.post("/logga-in", data=data, **kwargs)


def logged_in_client(app: Flask, role: str = "lasare", delregion: str | None = "NV") -> FlaskClient:
    """A test client of `app` logged in as a new account of the role."""
    with app.app_context():
        email = make_user(role, delregion).email
        db.session.commit()
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@dataclass(frozen=True)
class Member:
    """One account of the cast, kept as plain values (rows expire when a test commits)."""

    id: int
    email: str
    role: str
    delregion: str | None


@dataclass(frozen=True)
class Cast:
    admin: Member
    leader_nv: Member
    leader_no: Member
    reader_nv: Member


# The `client_for` fixture: a new client logged in as a member of the cast, by attribute name.
ClientFor = Callable[[str], FlaskClient]


def make_cast() -> Cast:
    """Add the cast of permission tests: an administrator, leaders of NV and NO, a reader of NV."""

    def member(role: str, delregion: str | None, email: str) -> Member:
        user = make_user(role, delregion, email=email)
        return Member(user.id, user.email, user.role, user.delregion)

    return Cast(
        admin=member("admin", None, "admin@example.se"),
        leader_nv=member("processledare", "NV", "processledare.nv@example.se"),
        leader_no=member("processledare", "NO", "processledare.no@example.se"),
        reader_nv=member("lasare", "NV", "lasare.nv@example.se"),
    )


def make_submitted_response(
    round_: Round, recipient: Recipient, *versions: dict[str, Any], imported: bool = False
) -> Response:
    """Add a response submitted once per answers version; `answers` is the latest, as kept."""
    first = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)
    response = Response(
        round_id=round_.id,
        recipient_id=recipient.id,
        answers=versions[-1],
        submitted_at=first + timedelta(days=len(versions) - 1),
        first_submitted_at=first,
        submission_count=len(versions),
        imported=imported,
    )
    db.session.add(response)
    db.session.flush()
    for number, answers in enumerate(versions, start=1):
        submission = ResponseSubmission(
            response_id=response.id,
            number=number,
            answers=answers,
            submitted_at=first + timedelta(days=number - 1),
            imported=imported,
        )
        db.session.add(submission)
    db.session.flush()
    return response
