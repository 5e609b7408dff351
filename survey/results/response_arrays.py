"""Count an indicator over the results frame, vectorised: the arrays, the units, the tallies.

Everything here is a pure function of the questionnaire model and the results frame
(`survey.results.frame`), vectorised with numpy: the cost is a handful of array operations per
indicator, whatever the number of responses.

Counting happens on *units*: a unit is a response, or, for an indicator with
``per_organisation``, an organisation whose managers' answers have been combined first.
Of the units in an indicator's population (of the population's organisation type, and
asked the question: in its audience and with its ``show_if`` condition met), each is
exactly one of *answered* (counted in ``n``), *not applicable* (answered *Ej aktuellt*)
or *blank* (no usable answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from survey.organisations import OrganisationType
from survey.questionnaires.model import (
    NOT_APPLICABLE,
    YES,
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
)
from survey.results.frame import organisation_keys
from survey.results.frame_columns import choices_mask

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per group (index 0 only when ungrouped) for one indicator."""

    measure: Measure
    n: IntArray
    n_population: IntArray
    n_not_applicable: IntArray
    n_blank: IntArray
    numerator: FloatArray  # shares and counts: units counted; mean: sum of the values

    def value(self, group: int) -> float | None:
        """The indicator's value in one group (None without answers or for measure none)."""
        n = int(self.n[group])
        if n == 0 or self.measure is Measure.NONE:
            return None
        numerator = float(self.numerator[group])
        if self.measure.is_share:
            return 100.0 * numerator / n
        if self.measure is Measure.MEAN:
            return numerator / n
        return numerator


@dataclass(frozen=True, slots=True)
class _Units:
    """Per unit (a response or an organisation): the facts the measures count."""

    in_population: BoolArray
    answered: BoolArray  # implies in_population
    not_applicable: BoolArray  # implies in_population and not answered
    # Counted (bool) for shares and counts of choices; the answer (float) for numbers, 0 when
    # not answered.
    numerator: npt.NDArray[Any]
    group: IntArray | None = None
    # Per organisation, when combined: how many managers answered, and how many of them
    # were counted (answered Ja / chose an option); None for counts per response.
    answers: IntArray | None = None
    counted: IntArray | None = None


_SINGLE_VALUE_TYPES = frozenset(
    {QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE}
)
_NUMERIC_TYPES = frozenset({QuestionType.PERCENT, QuestionType.NUMBER})
_FITTING_TYPES: dict[Measure, frozenset[QuestionType]] = {
    Measure.SHARE_YES: frozenset({QuestionType.YES_NO}),
    Measure.MEAN: _NUMERIC_TYPES,
    Measure.SHARE_OF_OPTIONS: _SINGLE_VALUE_TYPES | {QuestionType.MULTIPLE_CHOICE},
    Measure.COUNT: _SINGLE_VALUE_TYPES | {QuestionType.MULTIPLE_CHOICE} | _NUMERIC_TYPES,
    Measure.NONE: frozenset(QuestionType),
}


class ResponseArrays:
    """The results frame as numpy arrays, with the masks the indicators share cached.

    Build one per frame and ask it for each indicator's `tally`; groupings (by
    organisation type, kommun, delregion) are given as a column name.
    """

    def __init__(self, questionnaire: Questionnaire, responses: pd.DataFrame) -> None:
        self.questionnaire = questionnaire
        self.responses = responses
        self.size = len(responses)
        self._codes: dict[str, tuple[npt.NDArray[Any], pd.Index]] = {}
        self._code_of: dict[str, dict[str, int]] = {}
        self._groups: dict[str, IntArray] = {}
        self._numbers: dict[str, FloatArray] = {}
        self._masks: dict[str, npt.NDArray[np.int64]] = {}
        self._asked: dict[str, BoolArray] = {}
        self._types: dict[tuple[str, ...], BoolArray] = {}
        self._rows: dict[tuple[str, Measure, tuple[str, ...], str], _Units] = {}
        self._organisations: tuple[IntArray, int] | None = None
        self._first: IntArray | None = None
        self._lookups: dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]] = {}
        self._responded: dict[tuple[tuple[str, ...], bool], int] = {}
        self._combined: dict[tuple[str, Measure, tuple[str, ...], str], _Units] = {}

    # -- columns ----------------------------------------------------------------

    def codes(self, column: str) -> tuple[npt.NDArray[Any], pd.Index]:
        """Category codes (-1 when missing) and the categories of a categorical column."""
        if column not in self._codes:
            series = self._column(column)
            if not isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype("category")
            categories = series.cat.categories
            self._codes[column] = (series.cat.codes.to_numpy(), categories)
            self._code_of[column] = {str(value): code for code, value in enumerate(categories)}
        return self._codes[column]

    def group_codes(self, column: str) -> IntArray:
        """The codes of a grouping column as indices (-1 when missing)."""
        if column not in self._groups:
            self._groups[column] = self.codes(column)[0].astype(np.intp)
        return self._groups[column]

    def _column(self, column: str) -> pd.Series:
        if column not in self.responses.columns:
            raise ValueError(
                f"the results frame has no column {column!r}; build it for questionnaire "
                f"{self.questionnaire.id} version {self.questionnaire.version}"
            )
        return self.responses[column]

    def _is_one_of(self, column: str, values: Iterable[str]) -> BoolArray:
        """Whether each row's category is one of `values` (cheaper than np.isin)."""
        codes, categories = self.codes(column)
        code_of = self._code_of[column]
        wanted = [code_of[value] for value in values if value in code_of]
        if not wanted:
            return np.zeros(self.size, dtype=bool)
        if len(wanted) <= 8:
            # Comparisons on the small integer codes are much cheaper than a gather.
            chosen: BoolArray = codes == wanted[0]
            for code in wanted[1:]:
                chosen |= codes == code
            return chosen
        # One extra False slot at the end: code -1 (missing) looks it up.
        lookup = np.zeros(len(categories) + 1, dtype=bool)
        lookup[wanted] = True
        gathered: BoolArray = lookup[codes]
        return gathered

    def _numbers_of(self, column: str) -> FloatArray:
        if column not in self._numbers:
            self._numbers[column] = self._column(column).to_numpy(dtype="float64", na_value=np.nan)
        return self._numbers[column]

    def _masks_of(self, column: str) -> npt.NDArray[np.int64]:
        if column not in self._masks:
            self._masks[column] = self._column(column).to_numpy(dtype="int64", na_value=0)
        return self._masks[column]

    def _present(self, question: Question) -> BoolArray:
        if question.type in _SINGLE_VALUE_TYPES:
            present: BoolArray = self.codes(question.id)[0] >= 0
            return present
        if question.type is QuestionType.MULTIPLE_CHOICE:
            chosen: BoolArray = self._masks_of(question.id) != 0
            return chosen
        if question.type.is_numeric:
            return ~np.isnan(self._numbers_of(question.id))
        return self._column(question.id).notna().to_numpy(dtype=bool)

    # -- who is asked, who counts -----------------------------------------------

    def asked(self, question: Question) -> BoolArray:
        """Respondents asked the question: in its audience and with its condition met."""
        if question.id not in self._asked:
            asked = self._of_types(question.audience)
            if question.show_if is not None:
                asked = asked & self._chose_any(
                    self.questionnaire.question(question.show_if.question), question.show_if.answers
                )
            self._asked[question.id] = asked
        return self._asked[question.id]

    def _of_types(self, types: Sequence[OrganisationType] | None) -> BoolArray:
        key = () if types is None else tuple(str(kind) for kind in types)
        if key not in self._types:
            if types is None:
                self._types[key] = np.ones(self.size, dtype=bool)
            else:
                self._types[key] = self._is_one_of("organisation_type", key)
        return self._types[key]

    def _chose_any(self, question: Question, values: Sequence[str]) -> BoolArray:
        if question.type is QuestionType.MULTIPLE_CHOICE:
            chosen: BoolArray = (self._masks_of(question.id) & choices_mask(question, values)) != 0
            return chosen
        if question.type in _SINGLE_VALUE_TYPES:
            return self._is_one_of(question.id, values)
        raise ValueError(f"question {question.id} of type {question.type} cannot be a condition")

    def population(self, indicator: Indicator, question: Question) -> BoolArray:
        """Respondents the indicator counts: asked the question and of its population type."""
        asked = self.asked(question)
        if indicator.population is None:
            return asked
        return asked & self._of_types((indicator.population,))

    # -- units --------------------------------------------------------------------

    def rows(self, indicator: Indicator) -> _Units:
        """Per response: population, answered, not applicable and numerator for the indicator."""
        key = self._row_key(indicator)
        if key in self._rows:
            return self._rows[key]
        question = self._question_of(indicator)
        in_population = self.population(indicator, question)
        present = self._present(question) & in_population
        not_applicable = np.zeros(self.size, dtype=bool)
        if question.type is QuestionType.YES_NO:
            # Ej aktuellt is left out of every measure and counted on its own.
            not_applicable = present & self._chose_any(question, (NOT_APPLICABLE,))
        answered = present & ~not_applicable
        numerator = self._numerator(indicator, question, answered)
        units = _Units(in_population, answered, not_applicable, numerator)
        self._rows[key] = units
        return units

    @staticmethod
    def _row_key(indicator: Indicator) -> tuple[str, Measure, tuple[str, ...], str]:
        return (
            indicator.question,
            indicator.measure,
            indicator.options,
            "" if indicator.population is None else str(indicator.population),
        )

    def _question_of(self, indicator: Indicator) -> Question:
        if not self.questionnaire.has_question(indicator.question):
            raise ValueError(
                f"indicator {indicator.id}: question {indicator.question!r} is not in "
                f"questionnaire {self.questionnaire.id} version {self.questionnaire.version}"
            )
        question = self.questionnaire.question(indicator.question)
        if question.type not in _FITTING_TYPES[indicator.measure]:
            raise ValueError(
                f"indicator {indicator.id}: measure {indicator.measure} does not fit question "
                f"{question.id} of type {question.type}"
            )
        return question

    def _numerator(
        self, indicator: Indicator, question: Question, answered: BoolArray
    ) -> npt.NDArray[Any]:
        measure = indicator.measure
        if measure is Measure.NONE:
            return np.zeros(self.size, dtype=bool)
        if question.type.is_numeric:
            numbers: FloatArray = np.where(answered, self._numbers_of(question.id), 0.0)
            return numbers
        if question.type is QuestionType.YES_NO and measure in (Measure.SHARE_YES, Measure.COUNT):
            chosen = self._chose_any(question, (YES,))
        else:
            chosen = self._chose_any(question, indicator.options)
        counted: BoolArray = chosen & answered
        return counted

    def units(self, indicator: Indicator, group_by: str | None = None) -> _Units:
        """The indicator's counting units: responses, or organisations when per_organisation."""
        rows = self.rows(indicator)
        group = None if group_by is None else self.group_codes(group_by)
        if not indicator.per_organisation:
            return (
                rows
                if group is None
                else _Units(
                    rows.in_population, rows.answered, rows.not_applicable, rows.numerator, group
                )
            )
        organisation, count = self.organisations()
        if group is not None:
            return _combine_per_organisation(rows, organisation, count, group=group)
        key = self._row_key(indicator)
        if key not in self._combined:
            self._combined[key] = _combine_per_organisation(rows, organisation, count, group=None)
        return self._combined[key]

    def organisations(self) -> tuple[IntArray, int]:
        """A code per response naming its organisation (see `organisation_keys`), and a bound.

        The frame's ``organisation_key`` column is used when present (the loaders compute
        it once); codes are then below the bound but need not all occur.
        """
        if self._organisations is None:
            if "organisation_key" in self.responses.columns:
                keys = self.responses["organisation_key"].to_numpy(dtype=np.intp)
                self._organisations = (keys, int(keys.max(initial=-1)) + 1)
            else:
                self._organisations = organisation_keys(self.responses)
        return self._organisations

    def population_types(self, indicator: Indicator) -> tuple[OrganisationType, ...] | None:
        """The organisation types the indicator counts: its population within the audience."""
        audience = self._question_of(indicator).audience
        if indicator.population is None:
            return audience
        if audience is not None and indicator.population not in audience:
            return ()
        return (indicator.population,)

    def responded(self, indicator: Indicator) -> int:
        """Units (responses or organisations) of the indicator's types that submitted at all."""
        types = self.population_types(indicator)
        key = (
            () if types is None else tuple(str(kind) for kind in types),
            indicator.per_organisation,
        )
        if key not in self._responded:
            if indicator.per_organisation:
                # An organisation has one type (it is part of its key): count them per type.
                kind_of, present = self._organisation_kinds()
                if types is None:
                    self._responded[key] = int(np.count_nonzero(present))
                else:
                    _, categories = self.codes("organisation_type")
                    wanted = [code for code, kind in enumerate(categories) if kind in key[0]]
                    chosen = present & np.isin(kind_of, wanted)
                    self._responded[key] = int(np.count_nonzero(chosen))
            else:
                self._responded[key] = int(np.count_nonzero(self._of_types(types)))
        return self._responded[key]

    def _organisation_kinds(self) -> tuple[IntArray, BoolArray]:
        """Per organisation code: its organisation type's code, and whether it occurs."""
        organisation, count = self.organisations()
        kinds = self.codes("organisation_type")[0].astype(np.intp)
        present = np.bincount(organisation, minlength=count) > 0
        return kinds[self._first_rows()], present

    def disagreements(self, indicator: Indicator) -> list[tuple[str, int, int]]:
        """Organisations whose managers answered a per-organisation share differently.

        Each item is (the organisation's name, or its kommun's for a kommun; how many
        counted it (e.g. answered Ja); how many answered), in frame order.
        """
        if not indicator.per_organisation or not indicator.measure.is_share:
            return []
        units = self.units(indicator)
        if units.answers is None or units.counted is None:
            return []
        answers, counted = units.answers, units.counted
        split = np.flatnonzero((answers >= 2) & (counted > 0) & (counted < answers))
        if split.size == 0:
            return []
        rows_of = self._first_rows()[split]
        names = self._values_at("organisation", rows_of)
        kommuner = self._values_at("kommun", rows_of)
        kinds = self._values_at("organisation_type", rows_of)
        named = [
            kommun if kind == str(OrganisationType.KOMMUN) and isinstance(kommun, str) else name
            for name, kommun, kind in zip(names, kommuner, kinds, strict=True)
        ]
        return list(
            zip(
                [str(name) for name in named],
                counted[split].tolist(),
                answers[split].tolist(),
                strict=True,
            )
        )

    def _values_at(self, column: str, rows: IntArray) -> list[Any]:
        """A column's values at `rows` (None when missing), decoding only those rows."""
        if column not in self._lookups:
            series = self._column(column)
            if not isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype("category")
            categories = series.cat.categories
            # One extra None at the end: code -1 (missing) looks it up.
            lookup = np.empty(len(categories) + 1, dtype=object)
            lookup[:-1] = np.asarray(categories, dtype=object)
            self._lookups[column] = (series.cat.codes.to_numpy(), lookup)
        codes, lookup = self._lookups[column]
        values: list[Any] = lookup[codes[rows]].tolist()
        return values

    def _first_rows(self) -> IntArray:
        """Per organisation code, its first response's row (which names the organisation)."""
        if self._first is None:
            organisation, count = self.organisations()
            first = np.zeros(count, dtype=np.intp)
            rows_of = np.arange(self.size, dtype=np.intp)
            first[organisation[::-1]] = rows_of[::-1]
            self._first = first
        return self._first

    def tally(self, indicator: Indicator, group_by: str | None = None) -> Tally:
        """Count the indicator overall (group 0) or per category of the column `group_by`."""
        units = self.units(indicator, group_by)
        if group_by is None:
            return _tally_overall(indicator.measure, units)
        groups = len(self.codes(group_by)[1])
        return _tally_grouped(indicator.measure, units, groups)


def _combine_per_organisation(
    rows: _Units, organisation: IntArray, count: int, *, group: IntArray | None
) -> _Units:
    """Combine each organisation's answers into one: any yes / any chosen; mean of numbers."""
    # Only the population's rows matter (answered and not applicable imply the population).
    rows_in = np.flatnonzero(rows.in_population)
    members = organisation[rows_in]
    answered_rows = rows.answered[rows_in]
    answers = np.bincount(members[answered_rows], minlength=count)
    answered = answers > 0
    numerator: npt.NDArray[Any]
    counted = None
    if rows.numerator.dtype == np.bool_:
        counted = np.bincount(members[rows.numerator[rows_in]], minlength=count)
        numerator = counted > 0
    else:
        sums = np.bincount(
            members[answered_rows], weights=rows.numerator[rows_in][answered_rows], minlength=count
        )
        numerator = np.divide(sums, answers, out=np.zeros(count), where=answered)
    any_not_applicable = np.bincount(members[rows.not_applicable[rows_in]], minlength=count) > 0
    org_group = None
    if group is not None:
        org_group = np.full(count, -1, dtype=np.intp)
        org_group[members] = group[rows_in]
    return _Units(
        in_population=np.bincount(members, minlength=count) > 0,
        answered=answered,
        not_applicable=any_not_applicable & ~answered,
        numerator=numerator,
        group=org_group,
        answers=answers,
        counted=counted,
    )


def _tally_overall(measure: Measure, units: _Units) -> Tally:
    n = np.count_nonzero(units.answered)
    n_population = np.count_nonzero(units.in_population)
    n_not_applicable = np.count_nonzero(units.not_applicable)
    return Tally(
        measure=measure,
        n=np.array([n], dtype=np.intp),
        n_population=np.array([n_population], dtype=np.intp),
        n_not_applicable=np.array([n_not_applicable], dtype=np.intp),
        n_blank=np.array([n_population - n - n_not_applicable], dtype=np.intp),
        numerator=np.array([_total(units.numerator)], dtype=np.float64),
    )


def _tally_grouped(measure: Measure, units: _Units, groups: int) -> Tally:
    assert units.group is not None
    group = units.group
    known = group >= 0

    def count(mask: BoolArray) -> IntArray:
        return np.bincount(group[mask & known], minlength=groups).astype(np.intp)

    n = count(units.answered)
    n_population = count(units.in_population)
    n_not_applicable = count(units.not_applicable)
    return Tally(
        measure=measure,
        n=n,
        n_population=n_population,
        n_not_applicable=n_not_applicable,
        n_blank=n_population - n - n_not_applicable,
        numerator=_group_totals(units.numerator, group, known, groups),
    )


def _total(numerator: npt.NDArray[Any]) -> float:
    if numerator.dtype == np.bool_:
        return float(np.count_nonzero(numerator))
    return float(numerator.sum())


def _group_totals(
    numerator: npt.NDArray[Any], group: IntArray, known: BoolArray, groups: int
) -> FloatArray:
    if numerator.dtype == np.bool_:
        counted = np.bincount(group[numerator & known], minlength=groups)
        return counted.astype(np.float64)
    totals = np.bincount(group[known], weights=numerator[known], minlength=groups)
    return np.asarray(totals, dtype=np.float64)


__all__ = ["ResponseArrays", "Tally"]
