"""The answers version of each round: bumped with every change to the round's answers.

A table of its own rather than a column of ``rounds``: answering locks the round row for
reading (survey.responses.service), and bumping a column there would turn two concurrent
submissions into a deadlock. A round without a row has version 0.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Model


class RoundAnswersVersion(Model):
    __tablename__ = "round_answers_versions"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=0)
