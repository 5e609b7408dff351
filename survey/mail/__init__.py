"""Mail: the durable outbox, its delivery worker and the `survey outbox` commands."""

from __future__ import annotations

from flask import Flask

from config import ConfigError
from survey.extensions import mail
from survey.mail.compose import (
    MAX_SENDER_LENGTH,
    InvalidMail,
    address_part,
    check_address,
    check_header_text,
)
from survey.mail.worker import check_delivery_mode


def init_app(app: Flask) -> None:
    """Attach Flask-Mail, check the delivery settings and register the outbox commands."""
    try:
        check_delivery_mode(app.config["SURVEY_MAIL_DELIVERY"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    sender = app.config["MAIL_DEFAULT_SENDER"]
    try:
        # It goes into every From header and SMTP envelope: one plain address.
        check_header_text("MAIL_DEFAULT_SENDER", sender, MAX_SENDER_LENGTH)
        check_address("MAIL_DEFAULT_SENDER", address_part(sender))
    except InvalidMail as exc:
        raise ConfigError(f"{exc} — set MAIL_DEFAULT_SENDER to e.g. enkat@region.se") from None
    if app.config.get("MAIL_MAX_EMAILS"):
        # Flask-Mail would reconnect inside a send, after the message went out, and a
        # failure there would be taken for a failed message. The batch size bounds the
        # messages per connection instead.
        raise ConfigError("MAIL_MAX_EMAILS is not supported — set SURVEY_MAIL_BATCH_SIZE instead")
    mail.init_app(app)

    from survey.mail.cli import outbox_cli

    app.cli.add_command(outbox_cli)
