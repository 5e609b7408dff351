"""Shared fixtures: an app on a fresh database (SQLite by default, PostgreSQL on request).

Set ``SURVEY_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` to run the
suite on PostgreSQL: each test process then creates its own scratch database next to
the one named (so parallel runs never meet) and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import normalise_database_url
from survey import create_app
from survey.db import db
from tests.factories import Cast, ClientFor, MakeApp, login, make_cast
from tests.import_helpers import ImportRound, make_import_round

POSTGRES_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")

# The `smtp_server` fixture: a real SMTP server on loopback with failures on demand;
# `live_server`, `browser`, `browser_page`: the app served over HTTP and headless Chromium.
# `tests.reliability_report`: tallies the bad-input outcomes behind docs/reliability.md.
pytest_plugins = ["tests.smtp_server", "tests.browser", "tests.reliability_report"]


def pytest_report_header() -> str:
    return f"survey database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


def _scratch_postgres_database(base_url: str) -> Iterator[str]:
    url = make_url(normalise_database_url(base_url))
    name = f"survey_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test process."""
    if POSTGRES_URL:
        scratch = _scratch_postgres_database(POSTGRES_URL)
        url = next(scratch)
    else:
        scratch = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'survey.sqlite'}"
    app = create_app({"SURVEY_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
        db.engine.dispose()
    yield url
    if scratch is not None:
        next(scratch, None)


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def _empty_all_tables(app: Flask) -> None:
    with app.app_context():
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{table.name}"' for table in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def make_app(database_url: str) -> Iterator[MakeApp]:
    """Build apps on the test database with extra settings; tables are emptied afterwards."""
    made: list[Flask] = []

    def build(**settings: object) -> Flask:
        config = {"SURVEY_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **settings}
        new_app = create_app(config)
        made.append(new_app)
        return new_app

    yield build
    if made:
        _empty_all_tables(made[0])
        for each in made[1:]:
            with each.app_context():
                db.engine.dispose()


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    """The app in test configuration (CSRF off; see `csrf_app` for CSRF on)."""
    return make_app()


@pytest.fixture
def csrf_app(make_app: MakeApp) -> Flask:
    """The app with CSRF protection on, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def cast(app: Flask) -> Cast:
    """The cast of permission tests (admin, leaders of NV and NO, reader of NV), committed."""
    with app.app_context():
        made = make_cast()
        db.session.commit()
        return made


@pytest.fixture
def client_for(app: Flask, cast: Cast) -> ClientFor:
    """`client_for("leader_nv")`: a new client of `app` logged in as that member of the cast
    (`"anonymous"`: not logged in)."""

    def logged_in(who: str) -> FlaskClient:
        new_client = app.test_client()
        if who != "anonymous":
            assert login(new_client, getattr(cast, who).email).status_code == 302
        return new_client

    return logged_in


@pytest.fixture
def target(app: Flask) -> ImportRound:
    """The round the answers-import tests import into (sample questionnaire, NV, closed)."""
    return make_import_round(app)
