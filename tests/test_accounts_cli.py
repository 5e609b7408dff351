"""`survey user …` and `survey demo seed`: accounts from the command line."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from survey.accounts.passwords import verify_password
from survey.db import db
from survey.demo import DEMO_PASSWORD
from survey.schema.accounts import User
from survey.schema.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD, MakeApp, login, make_user

PASSWORD = "kommandorad-lösenord-1"


def stored_user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def row_counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User)) or 0
        events = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return users, events


def create(runner: FlaskCliRunner, *options: str, password: str = PASSWORD) -> Result:
    return runner.invoke(
        args=["user", "create", *options, "--password-stdin"], input=f"{password}\n"
    )


def test_it_creates_a_user_with_the_password_from_standard_input(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = create(
        runner,
        "--email",
        "Eva.Ek@Example.se",
        "--name",
        "Eva Ek",
        "--role",
        "processledare",
        "--delregion",
        "NV",
    )
    assert result.exit_code == 0, result.output
    assert "Created processledare eva.ek@example.se (Eva Ek) in NV." in result.output
    user = stored_user(app, "eva.ek@example.se")
    assert user is not None
    assert (user.name, user.role, user.delregion) == ("Eva Ek", "processledare", "NV")
    assert user.active
    assert verify_password(user.password_hash, PASSWORD).matches
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor, event.user_id) == ("user.created", "kommandorad", None)
    assert login(app.test_client(), "eva.ek@example.se", PASSWORD).status_code == 302


def test_it_creates_a_user_with_the_password_from_a_confirmed_prompt(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--email",
            "admin2@example.se",
            "--name",
            "Adam Admin",
            "--role",
            "admin",
        ],
        input=f"{PASSWORD}\nnågot-annat-lösenord\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert "do not match" in result.output
    user = stored_user(app, "admin2@example.se")
    assert user is not None
    assert (user.role, user.delregion) == ("admin", None)
    assert verify_password(user.password_hash, PASSWORD).matches


@pytest.mark.parametrize(
    ("role", "delregion", "expected"),
    [("läsare", "Nordväst", ("lasare", "NV")), ("Processledare", "no", ("processledare", "NO"))],
)
def test_it_understands_role_and_delregion_as_people_write_them(
    app: Flask, runner: FlaskCliRunner, role: str, delregion: str, expected: tuple[str, str]
) -> None:
    result = create(
        runner, "--email", "x@example.se", "--name", "X", "--role", role, "--delregion", delregion
    )
    assert result.exit_code == 0, result.output
    user = stored_user(app, "x@example.se")
    assert user is not None
    assert (user.role, user.delregion) == expected


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        (
            ["--role", "superuser"],
            PASSWORD,
            "unknown role 'superuser' — use one of: admin, processledare, lasare",
        ),
        (
            ["--role", "processledare"],
            PASSWORD,
            "a processledare needs a delregion — give one of: NV, NO, SV, SO, MS",
        ),
        (["--role", "lasare", "--delregion", "XX"], PASSWORD, "unknown delregion 'XX'"),
        (
            ["--role", "admin", "--email", "befintlig@example.se"],
            PASSWORD,
            "an account with the email befintlig@example.se already exists",
        ),
        (
            ["--role", "admin", "--email", "inte-en-adress"],
            PASSWORD,
            "'inte-en-adress' is not a valid email address",
        ),
        (["--role", "admin"], "kort", "the password is 4 characters long — use at least 12"),
        (
            ["--role", "admin", "--email", "langt.namn.har@example.se"],
            "Langt.Namn.Har",
            "the password must not be the email address",
        ),
        (["--role", "admin"], "", "standard input held no password"),
    ],
)
def test_it_explains_errors_in_english_and_writes_nothing(
    app: Flask, runner: FlaskCliRunner, options: list[str], password: str, message: str
) -> None:
    with app.app_context():
        make_user("admin", email="befintlig@example.se")
        db.session.commit()
    before = row_counts(app)
    if "--email" not in options:
        options = [*options, "--email", "ny@example.se"]
    result = create(runner, "--name", "Ny Person", *options, password=password)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Error: ")
    assert row_counts(app) == before


def test_it_lists_every_account_in_a_table(app: Flask, runner: FlaskCliRunner) -> None:
    assert "No accounts yet" in runner.invoke(args=["user", "list"]).output
    with app.app_context():
        make_user("admin", email="admin@example.se", name="Alva Admin")
        make_user("lasare", "NV", email="lasare@example.se", name="Lars Läsare", active=False)
        db.session.commit()
    login(app.test_client(), "admin@example.se")
    result = runner.invoke(args=["user", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "DELREGION", "ACTIVE", "LAST", "LOGIN"]
    admin_line = next(line for line in lines if line.startswith("admin@example.se"))
    reader_line = next(line for line in lines if line.startswith("lasare@example.se"))
    assert admin_line.split()[1:5] == ["Alva", "Admin", "admin", "-"]
    assert admin_line.split()[5] == "yes" and "never" not in admin_line
    assert reader_line.split()[1:7] == ["Lars", "Läsare", "lasare", "NV", "no", "never"]
    # The columns line up.
    role_column = lines[0].index("ROLE")
    assert role_column == admin_line.index(" admin ") + 1 == reader_line.index(" lasare") + 1


def test_it_sets_a_password_and_ends_open_sessions(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        make_user("processledare", "NV", email="pl@example.se")
        db.session.commit()
    client = app.test_client()
    login(client, "pl@example.se")
    assert client.get("/konto/losenord").status_code == 200
    result = runner.invoke(
        args=["user", "set-password", "--email", "PL@example.se", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Changed the password of pl@example.se" in result.output
    assert client.get("/konto/losenord").status_code == 302
    user = stored_user(app, "pl@example.se")
    assert user is not None
    assert user.session_generation == 1
    assert verify_password(user.password_hash, PASSWORD).matches
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor) == ("user.password_reset", "kommandorad")


def test_it_sets_a_password_from_a_prompt(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        make_user("admin", email="a@example.se")
        db.session.commit()
    result = runner.invoke(
        args=["user", "set-password", "--email", "a@example.se"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert verify_password(stored_user(app, "a@example.se").password_hash, PASSWORD).matches


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("okand@example.se", PASSWORD, "there is no account with the email 'okand@example.se'"),
        ("a@example.se", "för-kort", "use at least 12"),
    ],
)
def test_it_refuses_to_set_a_password_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, email: str, password: str, message: str
) -> None:
    with app.app_context():
        make_user("admin", email="a@example.se")
        db.session.commit()
    before = stored_user(app, "a@example.se")
    result = runner.invoke(
        args=["user", "set-password", "--email", email, "--password-stdin"], input=f"{password}\n"
    )
    assert result.exit_code == 1
    assert message in result.output
    after = stored_user(app, "a@example.se")
    assert (after.password_hash, after.session_generation) == (before.password_hash, 0)
    assert row_counts(app)[1] == 0


def test_it_deactivates_and_activates_accounts(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        make_user("lasare", "NV", email="l@example.se")
        db.session.commit()
    assert runner.invoke(args=["user", "deactivate", "--email", "l@example.se"]).exit_code == 0
    assert login(app.test_client(), "l@example.se", DEFAULT_PASSWORD).status_code == 200
    assert runner.invoke(args=["user", "activate", "--email", "l@example.se"]).exit_code == 0
    assert login(app.test_client(), "l@example.se", DEFAULT_PASSWORD).status_code == 302


def test_it_seeds_demo_accounts_once_in_development(make_app: MakeApp) -> None:
    app = make_app(SURVEY_ENV="development", SURVEY_BASE_URL="http://127.0.0.1:5000")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:5000/logga-in" in first.output
    assert f"admin@example.se  password: {DEMO_PASSWORD}  [created]" in first.output
    assert "processledare.nv@example.se" in first.output
    before = row_counts(app)
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0
    assert f"admin@example.se  password: {DEMO_PASSWORD}  [exists]" in second.output
    assert row_counts(app) == before
    leader = stored_user(app, "processledare.nv@example.se")
    assert (leader.role, leader.delregion) == ("processledare", "NV")
    admin = stored_user(app, "admin@example.se")
    assert verify_password(admin.password_hash, DEMO_PASSWORD).matches


def test_it_does_not_show_a_demo_password_that_was_changed(make_app: MakeApp) -> None:
    app = make_app(SURVEY_ENV="development")
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "seed"])
    runner.invoke(
        args=["user", "set-password", "--email", "admin@example.se", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    output = runner.invoke(args=["demo", "seed"]).output
    assert "admin@example.se  password: (changed since seeding)" in output


@pytest.mark.parametrize("environment", ["testing", "production"])
def test_it_refuses_demo_accounts_outside_development(app: Flask, environment: str) -> None:
    app.config["SURVEY_ENV"] = environment
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 1
    assert "only created when SURVEY_ENV=development" in result.output
    assert row_counts(app) == (0, 0)
