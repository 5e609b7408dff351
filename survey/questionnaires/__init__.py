"""Questionnaires: the YAML language, its validated model and the stored versions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `questionnaire` command group."""
    from survey.questionnaires.commands import questionnaire_cli

    app.cli.add_command(questionnaire_cli)
