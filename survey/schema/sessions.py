"""Logged-in sessions held on the server: what a session cookie names, and until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow


class UserSession(Model):
    """One login of one user; the cookie carries its id, the table only the id's hash.

    Deleting the row ends the session wherever its cookie is (logout, deactivation, a
    password change); `expires_at` is fixed at login and never moved by activity.
    """

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
