"""Answering: the rules for answers, the respondent's form and the questionnaire preview."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's blueprints, and keep personal links out of the request logs."""
    from survey.answering import respondent
    from survey.answering.views import bp
    from survey.logredact import DEFAULT_LOGGERS, install_log_redaction

    app.register_blueprint(bp)
    app.register_blueprint(respondent.bp)
    # Flask's own "Exception on /svara/…" lines go to the app's logger.
    install_log_redaction((*DEFAULT_LOGGERS, app.logger.name))
