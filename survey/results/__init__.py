"""Results: indicators against targets, breakdowns, trends, free text; the import of answers."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Register the results pages, the answers import page and their `round` commands."""
    from survey.responses.import_views import bp as import_bp
    from survey.results.commands import import_responses_command, results_command
    from survey.results.views import bp

    app.register_blueprint(bp)
    # The import page belongs with the results it feeds; the responses part has no blueprint.
    app.register_blueprint(import_bp)
    group = app.cli.commands.get("round")
    if not isinstance(group, click.Group):
        # The rounds part registers `round` first (create_app's order); without it, make one.
        group = AppGroup("round", help="Run survey rounds: results and imported answers.")
        app.cli.add_command(group)
    group.add_command(results_command)
    group.add_command(import_responses_command)
