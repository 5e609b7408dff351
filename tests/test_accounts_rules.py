"""The rules for accounts and passwords, and the audit helper, without a web request."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import func, select

from config import load_settings
from survey.accounts.passwords import (
    Verification,
    hash_password,
    password_problems,
    verify_password,
)
from survey.accounts.users import (
    AccountError,
    NewUser,
    create_user,
    parse_role,
    role_problems,
    set_password,
)
from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode
from survey.schema.accounts import Role, User
from survey.schema.audit import AuditEvent
from tests.factories import make_user

PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-Zq8vN2xLp5RtY7wB4mC9dF6gH1jK0sA",
    "DATABASE_URL": "postgresql://survey@db/survey",
    "SURVEY_BASE_URL": "https://enkat.example.se",
}
NOT_THE_EMAIL = "Lösenordet får inte vara e-postadressen."


@pytest.mark.parametrize(
    ("password", "email", "swedish"),
    [
        ("elva-tecken", "a@example.se", "Lösenordet måste vara minst 12 tecken långt."),
        ("", "a@example.se", "Lösenordet måste vara minst 12 tecken långt."),
        ("x" * 257, "a@example.se", "Lösenordet får vara högst 256 tecken långt."),
        ("Anna.Berg@Example.se", "anna.berg@example.SE", NOT_THE_EMAIL),
        ("anna.bergstrom", "anna.bergstrom@example.se", NOT_THE_EMAIL),
        ("tolv-tecken!", "a@example.se", None),
        ("x" * 256, "a@example.se", None),
        ("åäö-lösenord-med-mellanslag ", "a@example.se", None),
    ],
)
def test_it_checks_new_passwords(password: str, email: str, swedish: str | None) -> None:
    problems = password_problems(password, email)
    assert [problem.swedish for problem in problems] == ([swedish] if swedish else [])
    assert all(problem.english and problem.field == "password" for problem in problems)


def test_it_hashes_with_argon2id_and_real_parameters_outside_the_test_suite(tmp_path: Path) -> None:
    strong = hash_password("ett-långt-lösenord")
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(strong, "ett-långt-lösenord") == Verification(True, False)
    assert verify_password(strong, "fel-lösenord-123") == Verification(False)
    assert verify_password("inte en hash", "ett-långt-lösenord") == Verification(False)
    for name in ("development", "production"):
        settings = load_settings(name, tmp_path, PRODUCTION_ENV)
        assert not settings.get("SURVEY_FAST_PASSWORD_HASHING")


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("admin", Role.ADMIN),
        ("Administratör", Role.ADMIN),
        ("processledare", Role.PROCESS_LEADER),
        ("LÄSARE", Role.READER),
        ("lasare", Role.READER),
        (" läsare ", Role.READER),
        ("reader", None),
        ("", None),
    ],
)
def test_it_reads_roles_as_people_write_them(text: str, role: Role | None) -> None:
    assert parse_role(text) == role


@pytest.mark.parametrize(
    ("name", "role", "delregion", "fields"),
    [
        ("Anna", "admin", None, []),
        ("Anna", "admin", "NV", []),
        ("Anna", "processledare", "NV", []),
        ("Anna", "lasare", "MS", []),
        ("Anna", "processledare", None, ["delregion"]),
        ("Anna", "lasare", "", ["delregion"]),
        ("Anna", "lasare", "Nordväst", ["delregion"]),  # the form sends codes only
        ("", "okänd", "XX", ["name", "role", "delregion"]),
        ("x" * 201, "admin", None, ["name"]),
    ],
)
def test_it_requires_a_known_delregion_for_everyone_but_administrators(
    name: str, role: str, delregion: str | None, fields: list[str]
) -> None:
    assert [problem.field for problem in role_problems(name, role, delregion)] == fields


def test_it_creates_nothing_when_a_rule_is_broken(app: Flask) -> None:
    with app.app_context():
        new = NewUser("ny@example.se", "Ny", "processledare", None, "kort")
        with pytest.raises(AccountError) as raised:
            create_user(new)
        assert [problem.field for problem in raised.value.problems] == ["delregion", "password"]
        assert "needs a delregion" in str(raised.value)
        assert raised.value.code is ErrorCode.ACCOUNT_INVALID
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_it_bumps_the_session_generation_on_a_new_password(app: Flask) -> None:
    with app.app_context():
        user = make_user("lasare", "NV")
        old_id = user.get_id()
        set_password(user, "ett-helt-nytt-lösenord")
        assert user.session_generation == 1
        assert user.get_id() != old_id
        with pytest.raises(AccountError) as weak:
            set_password(user, "kort")
        assert weak.value.code is ErrorCode.ACCOUNT_WEAK_PASSWORD
        assert user.session_generation == 1


def test_it_records_the_command_line_as_actor_outside_requests(app: Flask) -> None:
    with app.app_context():
        event = record_audit("round.opened", "Omgången öppnades.", round_id=None, delregion="NV")
        db.session.commit()
        stored = db.session.scalars(select(AuditEvent)).one()
        assert stored is event
        assert (stored.actor, stored.user_id, stored.delregion) == ("kommandorad", None, "NV")


def test_it_records_the_logged_in_user_as_actor_in_requests(app: Flask) -> None:
    with app.app_context():
        user = make_user("processledare", "NV", email="pl@example.se")
        db.session.commit()
        user_id = user.id
    with app.test_request_context("/"):
        login_user(db.session.get(User, user_id))
        event = record_audit("export.downloaded", "Export hämtades.", details={"format": "xlsx"})
        assert (event.actor, event.user_id) == ("pl@example.se", user_id)
        assert event.details == {"format": "xlsx"}
    with app.test_request_context("/"):
        event = record_audit("token.revoked", "Länk spärrades.")
        assert (event.actor, event.user_id) == ("webb (ej inloggad)", None)


def test_it_records_an_explicit_actor_and_leaves_committing_to_the_caller(app: Flask) -> None:
    with app.app_context():
        user = make_user("admin", email="admin@example.se")
        db.session.commit()
        record_audit("user.created", "Kontot skapades.", user=user)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        record_audit("user.created", "Kontot skapades.", user=user)
        db.session.commit()
        assert db.session.scalars(select(AuditEvent.actor)).one() == "admin@example.se"
