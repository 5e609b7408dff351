"""The migrations create exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner

from survey.db import db


def test_it_leaves_no_difference_between_models_and_migrated_schema(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_it_reports_no_pending_migration_through_the_cli(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
