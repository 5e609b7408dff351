"""Answering: the rules for answers, the respondent's form and the questionnaire preview."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's blueprint and commands."""
    from survey.answering.views import bp

    app.register_blueprint(bp)
