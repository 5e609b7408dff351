"""Recording the audit log: every action writes an event with the change it records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context

from survey.db import db
from survey.schema.accounts import User
from survey.schema.audit import AuditEvent

# The actor recorded when nobody is logged in: an operator at the command line, or the web.
COMMAND_LINE_ACTOR = "kommandorad"
ANONYMOUS_WEB_ACTOR = "webb (ej inloggad)"

# The user on whose behalf work outside a request is done (a job a user queued).
_acting_user: ContextVar[User | None] = ContextVar("acting_user", default=None)


@contextmanager
def acting_for(user: User | None) -> Iterator[None]:
    """Record `user` as the actor of events recorded meanwhile without one (a worker's job)."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def record_audit(
    action: str,
    summary: str,
    *,
    user: User | None = None,
    round_id: int | None = None,
    delregion: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits it with the change it records).

    `user` is the acting user; without one, the user of `acting_for` (a job's), else the
    logged-in user of the current request is the actor, and outside a request the command
    line is.
    """
    if user is None:
        user = _acting_user.get()
    if user is None and has_request_context():
        from flask_login import current_user

        if current_user.is_authenticated:
            user = current_user._get_current_object()
    if user is not None:
        user_id, actor = user.id, user.email
    else:
        user_id, actor = None, ANONYMOUS_WEB_ACTOR if has_request_context() else COMMAND_LINE_ACTOR
    event = AuditEvent(
        user_id=user_id,
        actor=actor,
        action=action,
        round_id=round_id,
        delregion=delregion,
        summary=summary,
        details=details,
    )
    db.session.add(event)
    return event
