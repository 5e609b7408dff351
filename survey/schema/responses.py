"""Responses: a respondent's draft and every submitted version of their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.db import Model, utcnow
from survey.schema.rounds import Recipient


class Response(Model):
    """One per recipient: the current draft and the latest submitted answers.

    `answers` is a copy of the latest `ResponseSubmission` so that results read one row
    per respondent; the submissions keep the history of amendments.
    """

    __tablename__ = "responses"
    __table_args__ = (
        # The round's status counts responses without reading their answers (a row of
        # answers spills over several pages): everything it needs is in this index.
        Index(
            "ix_responses_round_id_recipient_id",
            "round_id",
            "recipient_id",
            "submitted_at",
            "draft_saved_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), unique=True
    )
    draft: Mapped[dict[str, Any] | None]  # raw values as typed, by question id
    draft_saved_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any] | None]  # validated, typed; None until first submission
    submitted_at: Mapped[datetime | None]
    first_submitted_at: Mapped[datetime | None]
    submission_count: Mapped[int] = mapped_column(default=0)
    imported: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking: two tabs saving at once cannot silently overwrite each other.
    version_id: Mapped[int] = mapped_column(default=1)

    recipient: Mapped[Recipient] = relationship()

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ResponseSubmission(Model):
    """One submitted (or imported) version of a response; numbered 1, 2, … per response."""

    __tablename__ = "response_submissions"
    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    number: Mapped[int]
    answers: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported: Mapped[bool] = mapped_column(default=False)
