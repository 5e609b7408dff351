"""The rules on indicators: the question and measure, options, population and targets."""

from __future__ import annotations

from collections.abc import Iterator

from survey.questionnaires.drafts import (
    IndicatorDraft,
    QuestionDraft,
    QuestionnaireDraft,
    answers_of,
    effective_audience,
)
from survey.questionnaires.errors import Issue
from survey.questionnaires.fields import did_you_mean, guess_then
from survey.questionnaires.model import CHOICE_TYPES, Measure, QuestionType

MEASURES_FOR_TYPE: dict[QuestionType, tuple[Measure, ...]] = {
    QuestionType.YES_NO: (Measure.SHARE_YES, Measure.COUNT),
    QuestionType.SINGLE_CHOICE: (Measure.SHARE_OF_OPTIONS, Measure.COUNT),
    QuestionType.MULTIPLE_CHOICE: (Measure.SHARE_OF_OPTIONS, Measure.COUNT),
    QuestionType.SCALE: (Measure.SHARE_OF_OPTIONS, Measure.COUNT),
    QuestionType.PERCENT: (Measure.MEAN,),
    QuestionType.NUMBER: (Measure.MEAN, Measure.COUNT),
    QuestionType.SHORT_TEXT: (),
    QuestionType.LONG_TEXT: (),
    QuestionType.DATE: (),
    QuestionType.WEEK: (),
}

TYPE_DESCRIPTIONS: dict[QuestionType, str] = {
    QuestionType.YES_NO: "yes/no questions",
    QuestionType.SINGLE_CHOICE: "single-choice questions",
    QuestionType.MULTIPLE_CHOICE: "multiple-choice questions",
    QuestionType.SCALE: "scale questions",
    QuestionType.PERCENT: "percent questions",
    QuestionType.NUMBER: "number questions",
    QuestionType.SHORT_TEXT: "text questions (answers are collated, not scored)",
    QuestionType.LONG_TEXT: "text questions (answers are collated, not scored)",
    QuestionType.DATE: "date questions (answers are collated, not scored)",
    QuestionType.WEEK: "week questions (answers are collated, not scored)",
}


def _or_list(words: tuple[str, ...] | list[str]) -> str:
    quoted = list(words)
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


# -- the measured question ---------------------------------------------------------------


def _measured_question(
    draft: QuestionnaireDraft, indicator: IndicatorDraft
) -> QuestionDraft | None:
    if indicator.question is None:
        return None
    found = draft.questions_by_id().get(indicator.question.value)
    return None if found is None else found[2]


def indicator_questions_exist(draft: QuestionnaireDraft) -> Iterator[Issue]:
    known = draft.questions_by_id()
    for indicator in draft.indicator_drafts:
        if indicator.question is None or indicator.question.value in known:
            continue
        close = did_you_mean(indicator.question.value, known)
        yield Issue(
            indicator.question.line,
            f"{indicator.name}: question '{indicator.question.value}' does not exist",
            f"did you mean '{close}'?" if close else "name the id of a question in this file",
        )


def measures_fit_question_types(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        question = _measured_question(draft, indicator)
        if question is None or question.question_type is None or indicator.measure is None:
            continue
        measure, kind = indicator.measure.value, question.question_type
        if _fits(measure, kind):
            continue
        fitting = [str(each) for each in MEASURES_FOR_TYPE[kind]] or [str(Measure.NONE)]
        yield Issue(
            indicator.measure.line,
            f"{indicator.name}: measure '{measure}' does not fit question "
            f"'{indicator.question.value if indicator.question else ''}' of type {kind}",
            f"use {_or_list(fitting)} for {TYPE_DESCRIPTIONS[kind]}",
        )


def _fits(measure: Measure, kind: QuestionType) -> bool:
    return measure is Measure.NONE or measure in MEASURES_FOR_TYPE[kind]


def _takes_options(measure: Measure, kind: QuestionType) -> bool:
    if measure is Measure.SHARE_OF_OPTIONS:
        return True
    return measure is Measure.COUNT and kind in CHOICE_TYPES and kind is not QuestionType.YES_NO


# -- options -----------------------------------------------------------------------------


def options_are_given_where_needed(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        question = _measured_question(draft, indicator)
        if question is None or question.question_type is None or indicator.measure is None:
            continue
        measure, kind = indicator.measure.value, question.question_type
        if not _fits(measure, kind) or not _takes_options(measure, kind):
            continue
        if indicator.options is None and "options" not in indicator.written:
            yield Issue(
                indicator.line,
                f"{indicator.name}: measure '{indicator.measure.value}' needs 'options'",
                f"add 'options: [...]' with the choices that count, from: "
                f"{', '.join(answers_of(question))}",
            )
        elif indicator.options is not None and not indicator.options.value:
            yield Issue(
                indicator.options.line,
                f"{indicator.name}: 'options' is empty",
                f"list the choices that count, from: {', '.join(answers_of(question))}",
            )


def options_only_where_taken(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        if indicator.options is None or indicator.measure is None:
            continue
        measure = indicator.measure.value
        question = _measured_question(draft, indicator)
        kind = None if question is None else question.question_type
        if kind is not None and not _fits(measure, kind):
            continue  # the wrong measure is reported; its options follow from the right one
        if measure is Measure.COUNT:
            if question is None or question.question_type is None:
                continue
            if _takes_options(measure, question.question_type):
                continue
            message = (
                f"{indicator.name}: count on a {question.question_type} question takes no options"
            )
        elif measure is Measure.SHARE_OF_OPTIONS:
            continue
        else:
            message = f"{indicator.name}: measure '{measure}' takes no options"
        yield Issue(
            indicator.options.line,
            message,
            "remove 'options' (only share_of_options and count on choices use them)",
        )


def options_exist(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        question = _measured_question(draft, indicator)
        if indicator.options is None or question is None or indicator.measure is None:
            continue
        measure, kind = indicator.measure.value, question.question_type
        if kind is None or not _fits(measure, kind) or not _takes_options(measure, kind):
            continue
        possible = answers_of(question)
        for option in indicator.options.value:
            if option.value in possible:
                continue
            close = did_you_mean(option.value, possible)
            yield Issue(
                option.line,
                f"{indicator.name}: option '{option.value}' is not a choice of question "
                f"'{indicator.question.value if indicator.question else ''}'",
                guess_then(close, f"the choices are: {', '.join(possible)}"),
            )


# -- populations -------------------------------------------------------------------------


def populations_are_asked(draft: QuestionnaireDraft) -> Iterator[Issue]:
    known = draft.questions_by_id()
    for indicator in draft.indicator_drafts:
        population = indicator.population
        if population is None or population.value is None or indicator.question is None:
            continue
        found = known.get(indicator.question.value)
        if found is None:
            continue
        _, section, question = found
        audience = effective_audience(section, question)
        if audience and population.value not in audience:
            yield Issue(
                population.line,
                f"{indicator.name}: population '{population.value}' is never asked question "
                f"'{indicator.question.value}' (asked only of {', '.join(audience) or 'nobody'})",
                f"use a population the question is asked of ({', '.join(audience)}), or all",
            )


# -- targets -----------------------------------------------------------------------------


def _is_percentage(draft: QuestionnaireDraft, indicator: IndicatorDraft) -> bool:
    if indicator.measure is None:
        return False
    if indicator.measure.value.is_share:
        return True
    question = _measured_question(draft, indicator)
    return (
        indicator.measure.value is Measure.MEAN
        and question is not None
        and question.question_type is QuestionType.PERCENT
    )


def target_values_are_in_range(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        targets = () if indicator.targets is None else indicator.targets.value
        percentage = _is_percentage(draft, indicator)
        counted = indicator.measure is not None and indicator.measure.value is Measure.COUNT
        for target in targets:
            if target.value is None:
                continue
            value = target.value.value
            if percentage and not 0 <= value <= 100:
                yield Issue(
                    target.value.line,
                    f"{target.name}: value {value:g} is outside 0–100",
                    "the value is a percentage: use a number from 0 to 100 (75 for 75 %)",
                )
            elif counted and value < 0:
                yield Issue(
                    target.value.line,
                    f"{target.name}: value {value:g} is negative",
                    "a count cannot be negative: use 0 or more",
                )


def targets_are_in_date_order(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        previous = None
        for target in () if indicator.targets is None else indicator.targets.value:
            if target.date is None:
                continue
            if previous is not None and target.date.value <= previous.value:
                same = "the same date as" if target.date.value == previous.value else "earlier than"
                yield Issue(
                    target.date.line,
                    f"{target.name}: date {target.date.value.isoformat()} is {same} the target "
                    f"before it ({previous.value.isoformat()})",
                    "list targets in strictly increasing date order, one per date",
                )
            previous = target.date


def undated_target_is_last(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        targets = () if indicator.targets is None else indicator.targets.value
        for target in targets[:-1]:
            if not target.has_date_key:
                yield Issue(
                    target.line,
                    f"{target.name} has no date but is not the last target",
                    "a target without a date always applies: move it to the end of the list, "
                    "or give it a date",
                )


def unscored_indicators_have_no_targets(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        if (
            indicator.measure is not None
            and indicator.measure.value is Measure.NONE
            and indicator.targets is not None
            and indicator.targets.value
        ):
            yield Issue(
                indicator.targets.line,
                f"{indicator.name}: measure 'none' has no value, so it cannot have targets",
                "remove 'targets' (write the aim in 'goal'), "
                "or choose a measure that gives a value",
            )


def comparative_goals_have_no_targets(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        if (
            indicator.direction is not None
            and indicator.direction.value.comparative
            and indicator.targets is not None
            and indicator.targets.value
        ):
            yield Issue(
                indicator.targets.line,
                f"{indicator.name}: direction '{indicator.direction.value}' is judged against "
                "the previous round, so it cannot have targets",
                "remove 'targets' (write the plan's wording in 'goal'), or use direction "
                "at_least / at_most with target values",
            )


def minimums_are_positive(draft: QuestionnaireDraft) -> Iterator[Issue]:
    located = [("the questionnaire", draft.min_responses)]
    located += [(indicator.name, indicator.min_responses) for indicator in draft.indicator_drafts]
    for name, minimum in located:
        if minimum is not None and minimum.value < 1:
            yield Issue(
                minimum.line,
                f"{name}: min_responses {minimum.value} is below 1",
                "use a whole number of 1 or more (e.g. 3 for a census of three sjukhus)",
            )
