"""Files a user has uploaded and not yet used: kept between a preview and the action it previews."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model, utcnow


class StagedUpload(Model):
    """An uploaded file held for one user until it is used or expires.

    The app runs on several stateless servers, so the file lives in the database, not in
    memory or on one server's disk. Only a hash of the token in the page is stored.
    """

    __tablename__ = "staged_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
