"""The mail settings an app refuses to start with, all named at once when the app is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config import ConfigError
from survey.errors import ErrorCode
from survey.mail.compose import (
    MAX_SENDER_LENGTH,
    InvalidMail,
    address_part,
    check_address,
    check_header_text,
)
from survey.mail.worker import check_delivery_mode


def check_mail_settings(config: Mapping[str, Any]) -> None:
    """Refuse an unknown delivery mode, a sender that is not one address, MAIL_MAX_EMAILS."""
    problems = []
    try:
        check_delivery_mode(config["SURVEY_MAIL_DELIVERY"])
    except ValueError as exc:
        problems.append(str(exc))
    sender = config["MAIL_DEFAULT_SENDER"]
    try:
        # It goes into every From header and SMTP envelope: one plain address.
        check_header_text("MAIL_DEFAULT_SENDER", sender, MAX_SENDER_LENGTH)
        check_address("MAIL_DEFAULT_SENDER", address_part(sender))
    except InvalidMail as exc:
        problems.append(f"{exc} — set MAIL_DEFAULT_SENDER to e.g. enkat@region.se")
    if config.get("MAIL_MAX_EMAILS"):
        # Flask-Mail would reconnect inside a send, after the message went out, and a
        # failure there would be taken for a failed message. The batch size bounds the
        # messages per connection instead.
        problems.append("MAIL_MAX_EMAILS is not supported — set SURVEY_MAIL_BATCH_SIZE instead")
    if problems:
        raise ConfigError(*problems, code=ErrorCode.CONFIG_MAIL)
