"""Answering: the rules for answers, the respondent's form and the questionnaire preview."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's blueprints, and keep personal links out of the request logs."""
    from survey.answering import respondent
    from survey.answering.views import bp
    from survey.logredact import DEFAULT_LOGGERS, install_log_redaction
    from survey.pages import keep_posted_fields_on_outage

    app.register_blueprint(bp)
    app.register_blueprint(respondent.bp)
    # If the database is down when answers are posted, the 503 page keeps them to post again.
    keep_posted_fields_on_outage("respond.post_answers", respondent.kept_fields)
    # Flask's own "Exception on /svara/…" lines go to the app's logger.
    install_log_redaction((*DEFAULT_LOGGERS, app.logger.name))
