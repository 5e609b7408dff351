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
from survey.questionnaires.model import (
    NO,
    NOT_APPLICABLE,
    YES,
    Question,
    Questionnaire,
    QuestionType,
)
from survey.questionnaires.storage import questionnaire_of
from survey.results.cache import cached
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
MAX_MULTIPLE_CHOICES = 63
# Rows fetched, decoded and turned into column values at a time while loading: the raw
# answers of one chunk at most are in memory, never those of the whole round.
LOAD_CHUNK_ROWS = 5_000

_SINGLE_VALUE_TYPES = frozenset(
    {QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE}
)
_STRING_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.WEEK})


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
    # The questionnaire is kept with the frame, so its id stays its own while cached.
    _, frame = cached(
        [round_id],
        "responses_frame",
        id(pinned),
        lambda: (pinned, read_responses_frame(round_id, pinned)),
    )
    return frame.copy()


def read_responses_frame(round_id: int, questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """Load the round's submitted responses as the results frame, in one streamed SQL query.

    `questionnaire` is the round's pinned questionnaire; when not given it is taken from
    the round (no query when the round is already in the session).

    Rows are fetched `LOAD_CHUNK_ROWS` at a time (a server-side cursor on PostgreSQL);
    each chunk's answers are decoded with one ``json.loads`` (they are read as text) and
    turned into compact column values at once (choice codes, bit masks, floats), so memory
    holds the columns being built, not every response's decoded answers.
    """
    if questionnaire is None:
        questionnaire = _round_questionnaire(round_id)
    builder = _FrameBuilder(questionnaire)
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
    rows = db.session.execute(statement).all()
    columns: dict[str, list[Any]] = {
        column: [row[index] for row in rows] for index, column in enumerate(RECIPIENT_COLUMNS)
    }
    return pd.DataFrame(
        {
            "recipient_id": np.array(columns["recipient_id"], dtype=np.int64),
            **_group_columns(columns),
            "invited_at": pd.to_datetime(
                pd.Series(columns["invited_at"], dtype=object), utc=True
            ).array,
            "submitted": np.array([bool(value) for value in columns["submitted"]], dtype=bool),
            "reminders_sent": np.array(
                [int(value or 0) for value in columns["reminders_sent"]], dtype=np.int64
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
    """Collects responses chunk by chunk and builds the frame from them at the end."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        _check_question_ids(questionnaire)
        self.meta: dict[str, list[Any]] = {column: [] for column in RESPONSE_COLUMNS}
        self.columns = [
            (question.id, _column_builder(question)) for question in questionnaire.questions
        ]

    def add(self, meta: Mapping[str, Sequence[Any]], answers: Sequence[Mapping[str, Any]]) -> None:
        """Add responses: their fixed columns, and their answers by question id."""
        for column, values in self.meta.items():
            values.extend(meta[column])
        for question_id, column_builder in self.columns:
            column_builder.add([answer.get(question_id) for answer in answers])

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
        """The results frame of everything added."""
        meta = self.meta
        groups = _group_columns(meta)
        columns: dict[str, Any] = {
            "response_id": np.array(meta["response_id"], dtype=np.int64),
            "recipient_id": np.array(meta["recipient_id"], dtype=np.int64),
            **groups,
            "submitted_at": pd.to_datetime(
                pd.Series(meta["submitted_at"], dtype=object), utc=True
            ).array,
            "imported": np.array([bool(value) for value in meta["imported"]], dtype=bool),
            "organisation_key": organisation_keys(pd.DataFrame(groups))[0].astype(np.int64),
        }
        for question_id, column_builder in self.columns:
            columns[question_id] = column_builder.finish()
        return pd.DataFrame(columns)


def _group_columns(meta: Mapping[str, Sequence[Any]]) -> dict[str, pd.Categorical]:
    return {
        "organisation": _categorical_sorted(meta["organisation"], swedish_sort_key),
        "organisation_type": _categorical_sorted(
            meta["organisation_type"],
            organisation_type_sort_key,
            always=[str(kind) for kind in OrganisationType],
        ),
        "kommun": _categorical_sorted(meta["kommun"], swedish_sort_key),
        "delregion": _categorical_sorted(meta["delregion"], swedish_sort_key),
    }


def _categorical_sorted(
    values: Sequence[Any], key: Any, always: Sequence[str] = ()
) -> pd.Categorical:
    # Factorised once (pandas hashes in C), then the few distinct values are sorted and
    # the codes renumbered: much cheaper than letting pandas infer categories from strings.
    codes, uniques = _factorize(values)
    present = [value if isinstance(value, str) and value != "" else None for value in uniques]
    categories = sorted({value for value in present if value is not None}.union(always), key=key)
    position = {value: index for index, value in enumerate(categories)}
    renumbered = np.array(
        [-1 if value is None else position[value] for value in present] + [-1], dtype=np.int64
    )
    return pd.Categorical.from_codes(
        renumbered[codes], categories=pd.Index(categories, dtype="str"), validate=False
    )


def _factorize(values: Sequence[Any]) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Codes 0… of the distinct values (-1: None or NaN) and the values; lists count as None."""
    array = np.fromiter(values, dtype=object, count=len(values))
    try:
        codes, uniques = pd.factorize(array)
    except TypeError:  # unhashable values (lists): none of them is a category
        array = np.fromiter(
            (None if isinstance(value, list | dict | set) else value for value in values),
            dtype=object,
            count=len(values),
        )
        codes, uniques = pd.factorize(array)
    return codes, list(uniques)


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


# -- one question's column ----------------------------------------------------------


def answer_column(question: Question, raw: Sequence[Any]) -> Any:
    """Turn one question's stored answers (one per respondent, None when missing) into a column."""
    builder = _column_builder(question)
    builder.add(raw)
    return builder.finish()


def declared_choice_values(question: Question) -> tuple[str, ...]:
    """The question's choice values (ja, nej, ej_aktuellt for a yes/no question declaring none)."""
    if question.choices:
        return question.choice_values
    if question.type is QuestionType.YES_NO:
        return (YES, NO, NOT_APPLICABLE)
    return ()


class _ColumnBuilder:
    """One question's column, built from the stored answers a chunk at a time."""

    def add(self, raw: Sequence[Any]) -> None:
        raise NotImplementedError

    def finish(self) -> Any:
        raise NotImplementedError


def _column_builder(question: Question) -> _ColumnBuilder:
    if question.type in _SINGLE_VALUE_TYPES:
        return _ChoiceColumn(question)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return _MultipleChoiceColumn(question)
    if question.type.is_numeric:
        return _NumberColumn()
    if question.type in _STRING_TYPES:
        return _TextColumn()
    if question.type is QuestionType.DATE:
        return _DateColumn()
    raise ValueError(f"question {question.id}: unsupported type {question.type}")


class _ChoiceColumn(_ColumnBuilder):
    """Categorical codes: the declared values in order, other values after them (sorted)."""

    def __init__(self, question: Question) -> None:
        self.declared = declared_choice_values(question)
        self.codes = {value: index for index, value in enumerate(self.declared)}
        self.extras: dict[str, int] = {}
        self.chunks: list[npt.NDArray[np.int64]] = []

    def add(self, raw: Sequence[Any]) -> None:
        codes, uniques = _factorize(raw)
        mapping = np.array([self._code(value) for value in uniques] + [-1], dtype=np.int64)
        self.chunks.append(mapping[codes])

    def _code(self, value: Any) -> int:
        if not isinstance(value, str) or value == "":
            return -1
        code = self.codes.get(value)
        if code is None:  # not a declared value (validated answers never have one)
            code = self.codes[value] = self.extras[value] = len(self.codes)
        return code

    def finish(self) -> pd.Categorical:
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int64)
        extras = sorted(self.extras)
        if extras:
            renumbered = np.arange(len(self.codes) + 1, dtype=np.int64)
            for position, value in enumerate(extras, start=len(self.declared)):
                renumbered[self.extras[value]] = position
            renumbered[-1] = -1
            codes = renumbered[codes]
        categories = pd.Index([*self.declared, *extras], dtype="str")
        return pd.Categorical.from_codes(codes, categories=categories, validate=False)


class _MultipleChoiceColumn(_ColumnBuilder):
    """Bit masks of the chosen values; no choice at all is missing."""

    def __init__(self, question: Question) -> None:
        self.bits = choice_bits(question)
        self.masks: list[int] = []

    def add(self, raw: Sequence[Any]) -> None:
        bits = self.bits
        masks = self.masks
        for value in raw:
            chosen = [value] if isinstance(value, str) else value
            mask = 0
            if isinstance(chosen, list | tuple | set | frozenset):
                for item in chosen:
                    mask |= bits.get(item, 0) if isinstance(item, str) else 0
            masks.append(mask)

    def finish(self) -> pd.arrays.IntegerArray:
        values = np.array(self.masks, dtype=np.int64)
        return pd.arrays.IntegerArray(values, values == 0)


class _NumberColumn(_ColumnBuilder):
    """Floats; anything that is not a number is NaN."""

    _PLAIN = frozenset({int, float, type(None)})

    def __init__(self) -> None:
        self.chunks: list[npt.NDArray[np.float64]] = []

    def add(self, raw: Sequence[Any]) -> None:
        if self._PLAIN.issuperset(map(type, raw)):
            # numpy turns None into NaN; bools and strings need the careful path.
            self.chunks.append(np.array(raw, dtype="float64"))
        else:
            self.chunks.append(np.array([_to_float(value) for value in raw], dtype="float64"))

    def finish(self) -> npt.NDArray[np.float64]:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype="float64")


class _TextColumn(_ColumnBuilder):
    """Strings; missing or only white space is NaN."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []

    def add(self, raw: Sequence[Any]) -> None:
        self.texts.extend(
            value if isinstance(value, str) and value.strip() else None for value in raw
        )

    def finish(self) -> Any:
        return pd.array(self.texts, dtype="str")


class _DateColumn(_ColumnBuilder):
    """Dates (midnight); anything that is not an ISO date is NaT."""

    def __init__(self) -> None:
        self.dates: list[str | None] = []

    def add(self, raw: Sequence[Any]) -> None:
        self.dates.extend(value if isinstance(value, str) else None for value in raw)

    def finish(self) -> Any:
        dates = pd.Series(self.dates, dtype=object)
        return pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce").array


def choice_bits(question: Question) -> dict[str, int]:
    """The bit of each choice value of a multiple-choice question in its frame column."""
    values = declared_choice_values(question)
    if len(values) > MAX_MULTIPLE_CHOICES:
        raise ValueError(
            f"question {question.id} has {len(values)} choices; the results frame supports at most "
            f"{MAX_MULTIPLE_CHOICES} for a multiple-choice question"
        )
    return {value: 1 << index for index, value in enumerate(values)}


def choices_mask(question: Question, values: Iterable[str]) -> int:
    """The bit mask of the given choice values (unknown values contribute nothing)."""
    bits = choice_bits(question)
    mask = 0
    for value in values:
        mask |= bits.get(value, 0)
    return mask


def chosen_values(column: pd.Series, question: Question) -> pd.Series:
    """Decode a multiple-choice column to lists of the chosen values (None when missing)."""
    bits = choice_bits(question)
    decoded: dict[int, list[str]] = {}

    def decode(mask: Any) -> list[str] | None:
        if mask is pd.NA or mask is None:
            return None
        key = int(mask)
        if key not in decoded:
            decoded[key] = [value for value, bit in bits.items() if key & bit]
        return list(decoded[key])

    return pd.Series([decode(mask) for mask in column.array], index=column.index, dtype=object)


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return float("nan")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ".").replace("\u2212", "-"))
        except ValueError:
            return float("nan")
    return float("nan")
