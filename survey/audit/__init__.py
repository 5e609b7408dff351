"""The audit log: who created, opened, closed, exported, revoked, imported or changed what.

Every action writes an `AuditEvent` in the same transaction as the change it records
(`record_audit`). Process leaders read the events of their delregion and administrators
all events on the log pages (`survey.audit.views`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import db, utcnow

if TYPE_CHECKING:
    from survey.accounts.models import User


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # email of the user, or "kommandorad"
    action: Mapped[str] = mapped_column(String(50))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), index=True
    )
    delregion: Mapped[str | None] = mapped_column(String(8), index=True)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None]


# The actor recorded when nobody is logged in: an operator at the command line, or the web.
COMMAND_LINE_ACTOR = "kommandorad"
ANONYMOUS_WEB_ACTOR = "webb (ej inloggad)"


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

    `user` is the acting user; without one, the logged-in user of the current request is
    the actor, and outside a request the command line is.
    """
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


def init_app(app: Flask) -> None:
    """Register the log pages and their menu item (process leaders and administrators)."""
    from survey.accounts.models import Role
    from survey.accounts.permissions import register_menu_item
    from survey.audit.views import bp

    app.register_blueprint(bp)
    register_menu_item("audit.log", "Logg", [Role.PROCESS_LEADER], order=700, landing=False)
