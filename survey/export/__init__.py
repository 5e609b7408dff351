"""The Excel export of a survey round: the workbook, its download and its command."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Register the download route and `survey round export`."""
    from survey.export.commands import export_command
    from survey.export.views import bp

    app.register_blueprint(bp)
    group = app.cli.commands.get("round")
    if not isinstance(group, click.Group):
        # The rounds part registers the group first; stand alone without it.
        group = AppGroup("round", help="Create and run survey rounds.")
        app.cli.add_command(group)
    group.add_command(export_command)
