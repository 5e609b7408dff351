"""One question's column of the results frame, built a chunk of stored answers at a time.

`survey.results.frame` loads a round's answers in chunks; each column builder here turns a
chunk's stored values into compact numpy values at once (choice codes, bit masks, floats,
dates), so that memory holds the columns being built, never every response's Python
objects. `GroupColumn` does the same for the text columns of few distinct values
(organisation, organisation type, kommun, delregion). The column types are described in
`survey.results.frame`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from survey.questionnaires.model import (
    NO,
    NOT_APPLICABLE,
    YES,
    Question,
    Questionnaire,
    QuestionType,
)

MAX_MULTIPLE_CHOICES = 63
_SINGLE_VALUE_TYPES = frozenset(
    {QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE}
)
_STRING_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.WEEK})


# -- text columns of few values -----------------------------------------------------


class _Codes:
    """Codes of a column's distinct text values, assigned chunk by chunk in order met.

    Empty strings and non-strings are missing (−1). `_categorical` renumbers the codes to
    the order of the categories asked for, once, at the end.
    """

    def __init__(self, known: Sequence[str] = ()) -> None:
        self.values: list[str] = list(known)
        self.position: dict[str, int] = {value: index for index, value in enumerate(known)}
        self.chunks: list[npt.NDArray[np.int32]] = []  # 4 bytes a row while loading

    def add(self, raw: Sequence[Any]) -> None:
        codes, uniques = _factorize(raw)
        mapping = np.array([self._code(value) for value in uniques] + [-1], dtype=np.int32)
        self.chunks.append(mapping[codes])

    def _code(self, value: Any) -> int:
        if not isinstance(value, str) or value == "":
            return -1
        code = self.position.get(value)
        if code is None:
            code = self.position[value] = len(self.values)
            self.values.append(value)
        return code

    def _categorical(self, categories: Sequence[str]) -> pd.Categorical:
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int32)
        self.chunks.clear()
        position = {value: index for index, value in enumerate(categories)}
        renumbered = np.array([position[value] for value in self.values] + [-1], dtype=np.int32)
        return pd.Categorical.from_codes(
            renumbered[codes], categories=pd.Index(list(categories), dtype="str"), validate=False
        )


class GroupColumn(_Codes):
    """A text column of few distinct values (organisation, kommun …), its categories sorted.

    `finish` gives the same categorical as factorising all the values at once would.
    """

    def finish(self, key: Any, always: Sequence[str] = ()) -> pd.Categorical:
        return self._categorical(sorted(set(self.values).union(always), key=key))


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


# -- one question's column ----------------------------------------------------------


def declared_choice_values(question: Question) -> tuple[str, ...]:
    """The question's choice values (ja, nej, ej_aktuellt for a yes/no question declaring none)."""
    if question.choices:
        return question.choice_values
    if question.type is QuestionType.YES_NO:
        return (YES, NO, NOT_APPLICABLE)
    return ()


class ColumnBuilder:
    """One question's column, built from the stored answers a chunk at a time."""

    def add(self, raw: Sequence[Any]) -> None:
        raise NotImplementedError

    def finish(self) -> Any:
        raise NotImplementedError


def column_builder(question: Question) -> ColumnBuilder:
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


class _ChoiceColumn(_Codes, ColumnBuilder):
    """Categorical codes: the declared values in order, other values after them (sorted)."""

    def __init__(self, question: Question) -> None:
        self.declared = declared_choice_values(question)
        super().__init__(self.declared)

    def finish(self) -> pd.Categorical:
        # Values not declared (validated answers never have one) come after, sorted.
        extras = sorted(self.values[len(self.declared) :])
        return self._categorical([*self.declared, *extras])


class _MultipleChoiceColumn(ColumnBuilder):
    """Bit masks of the chosen values; no choice at all is missing."""

    def __init__(self, question: Question) -> None:
        self.bits = choice_bits(question)
        self.chunks: list[npt.NDArray[np.int64]] = []

    def add(self, raw: Sequence[Any]) -> None:
        bits = self.bits
        masks: list[int] = []
        for value in raw:
            chosen = [value] if isinstance(value, str) else value
            mask = 0
            if isinstance(chosen, list | tuple | set | frozenset):
                for item in chosen:
                    mask |= bits.get(item, 0) if isinstance(item, str) else 0
            masks.append(mask)
        self.chunks.append(np.array(masks, dtype=np.int64))

    def finish(self) -> pd.arrays.IntegerArray:
        values = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int64)
        return pd.arrays.IntegerArray(values, values == 0)


class _NumberColumn(ColumnBuilder):
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


class _TextColumn(ColumnBuilder):
    """Strings; missing or only white space is NaN."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []

    def add(self, raw: Sequence[Any]) -> None:
        self.texts.extend(
            value if isinstance(value, str) and value.strip() else None for value in raw
        )

    def finish(self) -> Any:
        return pd.array(self.texts, dtype="str")


# What a text column holds where there is an answer, when the frame is loaded without
# the texts (`read_responses_frame(..., texts=False)`, for the export of a large round).
TEXT_PRESENT = "[text]"


class PresenceColumn(ColumnBuilder):
    """Whether there is a text answer: a categorical of `TEXT_PRESENT` or missing.

    One byte a row instead of the text: counts, conditions and the reading order work on
    it as on the texts; the export reads the texts themselves from the database.
    """

    def __init__(self) -> None:
        self.chunks: list[npt.NDArray[np.int8]] = []

    def add(self, raw: Sequence[Any]) -> None:
        self.chunks.append(
            np.array(
                [0 if isinstance(value, str) and value.strip() else -1 for value in raw],
                dtype=np.int8,
            )
        )

    def finish(self) -> pd.Categorical:
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.int8)
        self.chunks.clear()
        return pd.Categorical.from_codes(
            codes, categories=pd.Index([TEXT_PRESENT], dtype="str"), validate=False
        )


def texts_in_frame(frame: pd.DataFrame, questionnaire: Questionnaire) -> bool:
    """Whether the frame's text columns hold the texts (not only `TEXT_PRESENT`)."""
    for question in questionnaire.questions:
        if question.type.is_text:
            dtype = frame[question.id].dtype
            return not (
                isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == [TEXT_PRESENT]
            )
    return True


class _DateColumn(ColumnBuilder):
    """Dates (midnight); anything that is not an ISO date is NaT."""

    def __init__(self) -> None:
        self.chunks: list[pd.Series] = []

    def add(self, raw: Sequence[Any]) -> None:
        self.chunks.append(as_dates([value if isinstance(value, str) else None for value in raw]))

    def finish(self) -> Any:
        return concat_times(self.chunks, as_dates([])).array


def as_dates(values: Sequence[Any]) -> pd.Series:
    """ISO dates as datetimes (midnight); anything else NaT."""
    return pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d", errors="coerce")


def as_utc_times(values: Sequence[Any]) -> pd.Series:
    """Datetimes (or None) as UTC times."""
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True)


def concat_times(chunks: Sequence[pd.Series], empty: pd.Series) -> pd.Series:
    """The chunks as one series, with the resolution converting them all at once gives."""
    if not chunks:
        return empty
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True)


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
