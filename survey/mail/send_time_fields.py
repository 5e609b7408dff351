"""Fields filled in at sending time: values never stored in the outbox (a personal link).

A feature registers a marker and a lookup on the app (`register_send_time_field`); the
batch looks up the values of all its messages at once (`SendTimeFields`) and replaces
each marker in the bodies just before composing. A message whose recipient has no
value (a revoked link, say) cannot be sent and FAILS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask import Flask
from markupsafe import escape

from survey.db import db
from survey.mail.claims import ClaimedMessage

SEND_TIME_FIELDS = "survey_mail_send_time_fields"
# The same, looked up by the outbox message's own id (mail to someone who is no recipient).
SEND_TIME_MESSAGE_FIELDS = "survey_mail_send_time_message_fields"

# Given the recipient ids of a batch's messages that contain the field's marker, return
# each recipient's value; a recipient left out cannot be mailed (the message FAILS).
SendTimeValues = Callable[[Sequence[int]], Mapping[int, str]]


def register_send_time_field(app: Flask, marker: str, values: SendTimeValues) -> None:
    """Fill `marker` in message bodies at sending time (e.g. a personal link never stored)."""
    app.extensions.setdefault(SEND_TIME_FIELDS, {})[marker] = values


def register_send_time_message_field(app: Flask, marker: str, values: SendTimeValues) -> None:
    """As `register_send_time_field`, but `values` is given outbox message ids, not recipients'."""
    app.extensions.setdefault(SEND_TIME_MESSAGE_FIELDS, {})[marker] = values


class SendTimeFields:
    """The send-time values of one batch, looked up once per batch."""

    def __init__(self, app: Flask, claimed: list[ClaimedMessage]) -> None:
        self.values: dict[str, Mapping[int, str]] = {}
        self.by_message: dict[str, Mapping[int, str]] = {}
        by_message: dict[str, SendTimeValues] = app.extensions.get(SEND_TIME_MESSAGE_FIELDS, {})
        for marker, lookup in by_message.items():
            message_ids = [message.id for message in claimed if _contains(message, marker)]
            if message_ids:
                self.by_message[marker] = lookup(message_ids)
        registered: dict[str, SendTimeValues] = app.extensions.get(SEND_TIME_FIELDS, {})
        for marker, lookup in registered.items():
            ids = sorted(
                {
                    message.recipient_id
                    for message in claimed
                    if message.recipient_id is not None and _contains(message, marker)
                }
            )
            if any(_contains(message, marker) for message in claimed):
                self.values[marker] = lookup(ids) if ids else {}
        if self.values or self.by_message:
            # The lookups read through the session; end its transaction, which on
            # SQLite holds the write lock the worker's own connection needs next.
            db.session.rollback()

    def fill(self, message: ClaimedMessage) -> tuple[str, str | None]:
        """The message's bodies with every marker replaced; ValueError if one cannot be."""
        text, html = message.body_text, message.body_html
        for marker, values in self.values.items():
            if not _contains(message, marker):
                continue
            value = values.get(message.recipient_id) if message.recipient_id is not None else None
            if value is None:
                raise ValueError(
                    f"Meddelandet innehåller {marker}, men inget värde fanns för mottagaren "
                    "när det skulle skickas (till exempel en återkallad personlig länk)."
                )
            text = text.replace(marker, value)
            if html is not None:
                html = html.replace(marker, str(escape(value)))
        for marker, by_id in self.by_message.items():
            if not _contains(message, marker):
                continue
            found = by_id.get(message.id)
            if found is None:
                raise ValueError(
                    f"Meddelandet innehåller {marker}, men inget värde fanns för det "
                    "när det skulle skickas (till exempel en återkallad personlig länk)."
                )
            text = text.replace(marker, found)
            if html is not None:
                html = html.replace(marker, str(escape(found)))
        return text, html


def _contains(message: ClaimedMessage, marker: str) -> bool:
    return marker in message.body_text or (
        message.body_html is not None and marker in message.body_html
    )
