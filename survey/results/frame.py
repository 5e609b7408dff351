"""The results frame: every submitted response of a round as one typed pandas DataFrame.

One row per recipient with a submitted response (``Response.answers`` is a copy of the
latest submission, so an amended response counts once, as amended). Removed recipients
are left out. Rows are ordered by ``response_id``.

Columns, in this order:

=====================  ==========================================================
``response_id``        int64
``recipient_id``       int64
``organisation``       categorical of str (categories in Swedish alphabetical order)
``organisation_type``  categorical of str: the organisation type codes in declared
                       order (``kommun``, ``regional_pv``, …), unknown codes after
``kommun``             categorical of str (Swedish alphabetical order)
``delregion``          categorical of str (alphabetical)
``submitted_at``       datetime64, UTC (NaT when unknown)
``imported``           bool
``organisation_key``   int64: which organisation the response answers for, as
                       used by ``per_organisation`` (see `organisation_keys`)
=====================  ==========================================================

then one column per question, named by the question id, in questionnaire order:

* ``yes_no``, ``single_choice``, ``scale``: categorical of str whose categories are the
  question's choice values in declared order (values not among them, which validated
  answers never have, are kept as extra categories after them); missing: NaN.
* ``multiple_choice``: nullable ``Int64`` bit mask: bit *i* is set when the question's
  *i*-th choice is chosen (`choice_bits`), so "chose any of these" is one vectorised
  ``&``. An empty selection counts as no answer (``<NA>``): a respondent who ticks no box
  cannot be told apart from one who skipped the question. `chosen_values` decodes the
  column to lists for display and export. At most 63 choices are supported.
* ``percent``, ``number``: float64, NaN when missing.
* ``short_text``, ``long_text``, ``week``: str, missing (or only white space) is NaN.
* ``date``: datetime64 (midnight of the date), NaT when missing.

Question ids equal to one of the fixed column names (`FIXED_COLUMNS`) cannot be put in
the frame and are refused with a ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Select, Text, cast, select

from survey.db import db
from survey.organisations import OrganisationType, normalise_word
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.storage import questionnaire_of
from survey.results.cache import cached, results_cache
from survey.results.frame_columns import (
    ColumnBuilder,
    GroupColumn,
    PresenceColumn,
    as_utc_times,
    column_builder,
    concat_times,
)
from survey.results.ordering import organisation_type_sort_key, swedish_sort_key
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round

RESPONSE_COLUMNS: tuple[str, ...] = (
    "response_id",
    "recipient_id",
    "organisation",
    "organisation_type",
    "kommun",
    "delregion",
    "submitted_at",
    "imported",
)
# Computed from the others when the frame is built (see `organisation_keys`).
FIXED_COLUMNS: tuple[str, ...] = (*RESPONSE_COLUMNS, "organisation_key")
RECIPIENT_COLUMNS: tuple[str, ...] = (
    "recipient_id",
    "organisation",
    "organisation_type",
    "kommun",
    "delregion",
    "invited_at",
    "submitted",
    "reminders_sent",
)
# Rows fetched, decoded and turned into column values at a time while loading: the raw
# answers of one chunk at most are in memory, never those of the whole round.
LOAD_CHUNK_ROWS = 5_000


# -- building the frame -------------------------------------------------------------


def responses_frame_from_records(
    questionnaire: Questionnaire, records: Iterable[Mapping[str, Any]]
) -> pd.DataFrame:
    """Build the results frame from plain dicts: the fixed columns and answers by question id.

    Each record may hold any of `RESPONSE_COLUMNS` and the answers as stored in
    ``Response.answers`` (``"ja"``, ``["fallrisk", "undernaring"]``, ``42.5``, text …) under
    their question ids. Missing ``response_id``/``recipient_id`` are numbered 1, 2, …;
    other missing fields are NA and ``imported`` defaults to False.
    """
    rows = list(records)
    meta: dict[str, list[Any]] = {
        column: [row.get(column) for row in rows] for column in RESPONSE_COLUMNS
    }
    numbering = list(range(1, len(rows) + 1))
    for column in ("response_id", "recipient_id"):
        if any(value is None for value in meta[column]):
            meta[column] = numbering
    meta["imported"] = [bool(value) for value in meta["imported"]]
    return _build_frame(questionnaire, meta, rows)


def load_responses_frame(round_id: int, questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """`read_responses_frame`, kept in survey.results.cache per answers version (a copy)."""
    pinned = questionnaire or _round_questionnaire(round_id)
    if results_cache() is None:  # a command or a job: no cache, so no copy to keep it safe
        return read_responses_frame(round_id, pinned)
    # The questionnaire is kept with the frame, so its id stays its own while cached.
    _, frame = cached(
        [round_id],
        "responses_frame",
        id(pinned),
        lambda: (pinned, read_responses_frame(round_id, pinned)),
    )
    return frame.copy()


def read_responses_frame(
    round_id: int, questionnaire: Questionnaire | None = None, *, texts: bool = True
) -> pd.DataFrame:
    """Load the round's submitted responses as the results frame, in one streamed SQL query.

    `questionnaire` is the round's pinned questionnaire; when not given it is taken from
    the round (no query when the round is already in the session). With `texts` false
    each short and long text question's column only says whether there is an answer
    (`PresenceColumn`): the export of a large round reads the texts as it writes them.

    Rows are fetched `LOAD_CHUNK_ROWS` at a time (a server-side cursor on PostgreSQL);
    each chunk's answers are decoded with one ``json.loads`` (they are read as text) and
    turned into compact column values at once (choice codes, bit masks, floats), so memory
    holds the columns being built, not every response's decoded answers.
    """
    if questionnaire is None:
        questionnaire = _round_questionnaire(round_id)
    builder = _FrameBuilder(questionnaire, texts=texts)
    # Core, not the ORM: these are plain columns, and the ORM's row handling would cost
    # more than the query.
    # The option goes on the statement: Connection.execution_options() would change the
    # session's connection in place, and later INSERTs would then run in a server-side cursor.
    streamed = responses_statement(round_id).execution_options(yield_per=LOAD_CHUNK_ROWS)
    for chunk in db.session.connection().execute(streamed).partitions():
        builder.add_stored_rows(chunk)
    return builder.frame()


def responses_statement(round_id: int) -> Select[*tuple[Any, ...]]:
    """The query of `load_responses_frame`: submitted answers (as JSON text) and who gave them."""
    return (
        select(
            Response.id,
            Response.recipient_id,
            Recipient.organisation,
            Recipient.organisation_type,
            Recipient.kommun,
            Recipient.delregion,
            Response.submitted_at,
            Response.imported,
            cast(Response.answers, Text),
        )
        .join(Recipient, Recipient.id == Response.recipient_id)
        .where(
            Response.round_id == round_id,
            Recipient.round_id == round_id,
            Recipient.removed_at.is_(None),
            Response.answers.is_not(None),
        )
        .order_by(Response.id)
    )


def load_recipients_frame(round_id: int) -> pd.DataFrame:
    """The round's recipients frame (`read_recipients_frame`), computed once per answers version."""
    if results_cache() is None:
        return read_recipients_frame(round_id)
    frame = cached([round_id], "recipients_frame", None, lambda: read_recipients_frame(round_id))
    return frame.copy()


def read_recipients_frame(round_id: int) -> pd.DataFrame:
    """Load the round's invited recipients, answered or not, for response rates (one query).

    A recipient counts as invited when the invitation was sent or a response was submitted
    (e.g. imported from paper); removed recipients are left out. Columns:
    `RECIPIENT_COLUMNS` (``submitted`` is bool, ``invited_at`` UTC datetime or NaT).
    """
    submitted = Response.answers.is_not(None) & Response.submitted_at.is_not(None)
    statement = (
        select(
            Recipient.id,
            Recipient.organisation,
            Recipient.organisation_type,
            Recipient.kommun,
            Recipient.delregion,
            Recipient.invited_at,
            Response.id.is_not(None) & submitted,
            Recipient.reminders_sent,
        )
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(
            Recipient.round_id == round_id,
            Recipient.removed_at.is_(None),
            Recipient.invited_at.is_not(None) | (Response.id.is_not(None) & submitted),
        )
        .order_by(Recipient.id)
    )
    ids: list[npt.NDArray[np.int64]] = []
    groups = {column: GroupColumn() for column in GROUP_COLUMNS}
    invited: list[pd.Series] = []
    submitted_flags: list[npt.NDArray[np.bool_]] = []
    reminders: list[npt.NDArray[np.int64]] = []
    # Streamed a chunk at a time, as the responses are: a national round has a million.
    streamed = statement.execution_options(yield_per=LOAD_CHUNK_ROWS)
    for rows in db.session.connection().execute(streamed).partitions():
        columns = list(zip(*rows, strict=True))
        ids.append(np.array(columns[0], dtype=np.int64))
        for index, column in enumerate(GROUP_COLUMNS, start=1):
            groups[column].add(columns[index])
        invited.append(as_utc_times(columns[5]))
        submitted_flags.append(np.array([bool(value) for value in columns[6]], dtype=bool))
        reminders.append(np.array([int(value or 0) for value in columns[7]], dtype=np.int64))
    return pd.DataFrame(
        {
            "recipient_id": np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
            **{column: _finish_group(column, group) for column, group in groups.items()},
            "invited_at": concat_times(invited, as_utc_times([])).array,
            "submitted": (
                np.concatenate(submitted_flags) if submitted_flags else np.zeros(0, dtype=bool)
            ),
            "reminders_sent": (
                np.concatenate(reminders) if reminders else np.zeros(0, dtype=np.int64)
            ),
        }
    )


def _round_questionnaire(round_id: int) -> Questionnaire:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"round {round_id} does not exist")
    return questionnaire_of(round_.questionnaire_version)


def _build_frame(
    questionnaire: Questionnaire,
    meta: Mapping[str, Sequence[Any]],
    answers: Sequence[Mapping[str, Any]],
) -> pd.DataFrame:
    builder = _FrameBuilder(questionnaire)
    builder.add(meta, answers)
    return builder.frame()


def _check_question_ids(questionnaire: Questionnaire) -> None:
    clashes = [question.id for question in questionnaire.questions if question.id in FIXED_COLUMNS]
    if clashes:
        raise ValueError(
            f"questionnaire {questionnaire.id} version {questionnaire.version}: question id(s) "
            f"{', '.join(clashes)} clash with the results frame's fixed columns "
            f"({', '.join(FIXED_COLUMNS)}); rename the question(s)"
        )


class _FrameBuilder:
    """Collects responses chunk by chunk and builds the frame from them at the end.

    Every chunk becomes numpy values at once (ids, group codes, times, answers), so no
    Python object of a row outlives its chunk.
    """

    def __init__(self, questionnaire: Questionnaire, *, texts: bool = True) -> None:
        _check_question_ids(questionnaire)
        self.ids: dict[str, list[npt.NDArray[np.int64]]] = {
            "response_id": [],
            "recipient_id": [],
        }
        self.groups = {column: GroupColumn() for column in GROUP_COLUMNS}
        self.submitted: list[pd.Series] = []
        self.imported: list[npt.NDArray[np.bool_]] = []
        self.columns: list[tuple[str, ColumnBuilder]] = [
            (
                question.id,
                column_builder(question)
                if texts or not question.type.is_text
                else PresenceColumn(),
            )
            for question in questionnaire.questions
        ]

    def add(self, meta: Mapping[str, Sequence[Any]], answers: Sequence[Mapping[str, Any]]) -> None:
        """Add responses: their fixed columns, and their answers by question id."""
        for column, chunks in self.ids.items():
            chunks.append(np.array(meta[column], dtype=np.int64))
        for column, group in self.groups.items():
            group.add(meta[column])
        self.submitted.append(as_utc_times(meta["submitted_at"]))
        self.imported.append(np.array([bool(value) for value in meta["imported"]], dtype=bool))
        for question_id, builder in self.columns:
            builder.add([answer.get(question_id) for answer in answers])

    def add_stored_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows of the load query: the fixed columns, then the answers as JSON text."""
        decoded = json.loads("[" + ",".join(row[-1] for row in rows) + "]")
        # A JSON 'null' is not SQL NULL: such a row has no answers either.
        kept = [index for index, answers in enumerate(decoded) if isinstance(answers, dict)]
        if len(kept) != len(rows):
            rows = [rows[index] for index in kept]
            decoded = [decoded[index] for index in kept]
        meta = {
            column: [row[index] for row in rows] for index, column in enumerate(RESPONSE_COLUMNS)
        }
        self.add(meta, decoded)

    def frame(self) -> pd.DataFrame:
        """The results frame of everything added (the builder is spent afterwards).

        Each column's chunks are let go as soon as the column is whole, and the frame takes
        the columns as they are (no consolidating copy): at a million answers the peak is
        the frame and one column, not two frames.
        """
        columns: dict[str, Any] = {}
        for column, chunks in self.ids.items():
            columns[column] = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
            chunks.clear()
        groups = {column: _finish_group(column, group) for column, group in self.groups.items()}
        self.groups.clear()
        columns.update(groups)
        columns["submitted_at"] = concat_times(self.submitted, as_utc_times([])).array
        self.submitted.clear()
        columns["imported"] = (
            np.concatenate(self.imported) if self.imported else np.zeros(0, dtype=bool)
        )
        self.imported.clear()
        columns["organisation_key"] = organisation_keys(pd.DataFrame(groups))[0].astype(np.int64)
        while self.columns:
            question_id, builder = self.columns.pop(0)
            columns[question_id] = builder.finish()
        return pd.DataFrame(columns, copy=False)


GROUP_COLUMNS: tuple[str, ...] = ("organisation", "organisation_type", "kommun", "delregion")


def _finish_group(column: str, group: GroupColumn) -> pd.Categorical:
    if column == "organisation_type":
        return group.finish(
            organisation_type_sort_key, always=[str(kind) for kind in OrganisationType]
        )
    return group.finish(swedish_sort_key)


# -- organisations -------------------------------------------------------------------


def organisation_keys(responses: pd.DataFrame) -> tuple[npt.NDArray[np.intp], int]:
    """Which organisation each response answers for, as codes 0…count−1.

    A *kommun* is one organisation whatever its units are called: its key is the
    organisation type and the kommun. Any other organisation is the organisation's name,
    type and kommun. Names and kommuner are compared case- and accent-insensitively with
    spaces collapsed (`normalise_word`). A response lacking the name (or, for a kommun, the
    kommun) is an organisation of its own.
    """
    size = len(responses)
    if size == 0:
        return np.zeros(0, dtype=np.intp), 0
    name = _normalised_codes(responses["organisation"])
    kommun = _normalised_codes(responses["kommun"])
    kind_series = responses["organisation_type"].astype("category")
    kind = kind_series.cat.codes.to_numpy().astype(np.int64)
    kommun_code = kind_series.cat.categories.get_indexer(
        pd.Index([str(OrganisationType.KOMMUN)], dtype=object)
    )[0]
    is_kommun = (kind == kommun_code) & (kommun_code >= 0)
    name = np.where(is_kommun, -1, name)
    alone = np.where(is_kommun, kommun < 0, name < 0)
    kinds = len(kind_series.cat.categories) + 1
    kommuner = int(kommun.max(initial=-1)) + 2
    combined = ((name + 1) * kinds + (kind + 1)) * kommuner + (kommun + 1)
    # Responses without a usable key get keys no real organisation has.
    ceiling = int(combined.max(initial=0)) + 1
    combined = np.where(alone, ceiling + np.arange(size, dtype=np.int64), combined)
    codes, uniques = pd.factorize(combined)
    return codes.astype(np.intp), len(uniques)


def _normalised_codes(column: pd.Series) -> npt.NDArray[np.int64]:
    series = column.astype("category")
    names = [normalise_word(str(name)) for name in series.cat.categories]
    per_category, _ = pd.factorize(pd.Index(names, dtype=object))
    per_category = np.append(per_category.astype(np.int64), -1)  # code -1 (missing) maps to -1
    return per_category[series.cat.codes.to_numpy().astype(np.int64)]
