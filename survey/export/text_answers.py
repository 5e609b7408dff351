"""The export's free text, read from the database a chunk at a time instead of held.

A round of a million answers holds more free text than everything else in its results
frame together. The export therefore loads the frame with each text question's column
only saying *whether* there is an answer (`read_responses_frame(..., texts=False)`), and
reads the texts themselves here, as the sheets are written: the `Svar` sheet by ranges
of response ids in the frame's order, the `Fritext` sheet by the ids of a batch of its
rows in reading order. The database extracts the one value from each answers document
(JSON path on SQLite, ``->>`` on PostgreSQL), so no answers document is decoded in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select

from survey.db import db
from survey.schema.responses import Response

BATCH_IDS: Final = 2_000  # response ids per query of the Fritext sheet


def _value_columns(question_ids: Sequence[str]) -> list[Any]:
    return [
        Response.answers[question_id].as_string().label(f"q{index}")
        for index, question_id in enumerate(question_ids)
    ]


class ChunkTexts:
    """The text answers of a range of the frame's rows, read once for all text columns."""

    def __init__(self, round_id: int, question_ids: Sequence[str], response_ids: Any) -> None:
        self.round_id = round_id
        self.question_ids = list(question_ids)
        self.response_ids = response_ids  # the frame's, ascending
        self._range: tuple[int, int] | None = None
        self._texts: dict[str, list[Any]] = {}

    def texts(self, question_id: str, start: int, stop: int) -> list[Any]:
        """The question's stored answers of rows start…stop−1 (None where there is none)."""
        if self._range != (start, stop):
            self._load(start, stop)
        return self._texts[question_id]

    def _load(self, start: int, stop: int) -> None:
        ids = [int(value) for value in self.response_ids[start:stop]]
        found: dict[int, tuple[Any, ...]] = {}
        if ids:
            for row in db.session.execute(
                select(Response.id, *_value_columns(self.question_ids)).where(
                    Response.round_id == self.round_id,
                    Response.id >= ids[0],
                    Response.id <= ids[-1],
                )
            ):
                found[row[0]] = tuple(row[1:])
        empty = (None,) * len(self.question_ids)
        values = [found.get(response_id, empty) for response_id in ids]
        self._texts = {
            question_id: [row[index] for row in values]
            for index, question_id in enumerate(self.question_ids)
        }
        self._range = (start, stop)


def texts_of(round_id: int, question_id: str, response_ids: Sequence[int]) -> list[Any]:
    """The question's stored answers of these responses, in their order (None: none).

    One query: the caller gives at most `BATCH_IDS` ids at a time.
    """
    found: dict[int, Any] = {
        response_id: value
        for response_id, value in db.session.execute(
            select(Response.id, *_value_columns([question_id])).where(
                Response.round_id == round_id, Response.id.in_(list(response_ids))
            )
        )
    }
    return [found.get(response_id) for response_id in response_ids]
