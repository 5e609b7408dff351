"""The rules on questions: the settings each type takes, who is asked, and show_if conditions."""

from __future__ import annotations

from collections.abc import Iterator

from survey.questionnaires.drafts import Located, QuestionnaireDraft, answers_of, effective_audience
from survey.questionnaires.errors import Issue
from survey.questionnaires.fields import did_you_mean, guess_then
from survey.questionnaires.model import CHOICE_TYPES, QuestionType

MAX_DECIMALS = 4
# Multiple-choice answers are held as one bit per choice in a 64-bit integer for results.
MAX_MULTIPLE_CHOICES = 63
# The types whose answers are ordered in time, so `not_before` can compare them.
ORDERED_TYPES = frozenset({QuestionType.WEEK, QuestionType.DATE})


# -- choices -----------------------------------------------------------------------------


def choices_only_on_choice_types(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        kind = question.question_type
        if (
            question.choices is None
            or kind is None
            or (kind.has_choices and kind is not QuestionType.YES_NO)
        ):
            continue
        if kind is QuestionType.YES_NO:
            hint = (
                "a yes_no question always has Ja and Nej: "
                "remove 'choices' or use type single_choice"
            )
        else:
            hint = "remove 'choices', or use type single_choice, multiple_choice or scale"
        yield Issue(question.choices.line, f"{question.name} of type {kind} takes no choices", hint)


def choice_questions_have_two_choices(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        kind = question.question_type
        if kind is None or not kind.has_choices or kind is QuestionType.YES_NO:
            continue
        if question.choices is None and "choices" not in question.written:
            yield Issue(
                question.line,
                f"{question.name} of type {kind} has no choices",
                "add 'choices:' with at least two choices",
            )
        elif question.choices is not None and len(question.choices.value) < 2:
            count = "no choices" if not question.choices.value else "only one choice"
            yield Issue(
                question.choices.line,
                f"{question.name} of type {kind} has {count}",
                "give at least two choices (use yes_no for Ja/Nej)",
            )


def multiple_choices_fit(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        if (
            question.question_type is QuestionType.MULTIPLE_CHOICE
            and question.choices is not None
            and len(question.choices.value) > MAX_MULTIPLE_CHOICES
        ):
            yield Issue(
                question.choices.line,
                f"{question.name} has {len(question.choices.value)} choices",
                f"a multiple_choice question may have at most {MAX_MULTIPLE_CHOICES}; "
                "split it into several questions",
            )


def choice_values_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        seen: dict[str, int] = {}
        for choice in () if question.choices is None else question.choices.value:
            if choice.value is None:
                continue
            if choice.value.value in seen:
                yield Issue(
                    choice.value.line,
                    f"{question.name}: choice value '{choice.value.value}' is used twice",
                    "give each choice its own value "
                    f"(the first is on line {seen[choice.value.value]}); "
                    "a plain label's value is made from it, so write {value: …, label: …}",
                )
            else:
                seen[choice.value.value] = choice.value.line


def choice_labels_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        seen: dict[str, int] = {}
        values: set[str] = set()
        for choice in () if question.choices is None else question.choices.value:
            value = None if choice.value is None else choice.value.value
            repeated_value = value in values
            if value is not None:
                values.add(value)
            if choice.label is None or repeated_value:  # one report per choice is enough
                continue
            key = choice.label.value.casefold()
            if key in seen:
                yield Issue(
                    choice.label.line,
                    f"{question.name}: choice label '{choice.label.value}' is used twice",
                    f"give each choice its own label (the first is on line {seen[key]})",
                )
            else:
                seen[key] = choice.label.line


# -- other settings ----------------------------------------------------------------------


def not_applicable_only_on_yes_no(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        kind = question.question_type
        if (
            question.not_applicable is not None
            and kind is not None
            and kind is not QuestionType.YES_NO
        ):
            yield Issue(
                question.not_applicable.line,
                f"{question.name} of type {kind} cannot have 'not_applicable'",
                "remove it (only yes_no questions take it), or add a choice such as 'Ej aktuellt'",
            )


def number_settings_only_on_numbers(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        kind = question.question_type
        if kind is None or kind is QuestionType.NUMBER:
            continue
        settings: list[tuple[str, Located[float] | Located[int] | Located[str] | None]] = [
            ("min", question.minimum),
            ("max", question.maximum),
            ("decimals", question.decimals),
            ("unit", question.unit),
        ]
        for key, setting in settings:
            if setting is None:
                continue
            if kind is QuestionType.PERCENT and key in ("min", "max"):
                hint = "a percent is always 0–100: remove it, or use type number for other bounds"
            else:
                hint = f"remove it (only number questions take '{key}')"
            yield Issue(setting.line, f"{question.name} of type {kind} cannot have '{key}'", hint)


def decimals_are_in_range(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        decimals = question.decimals
        if decimals is not None and not 0 <= decimals.value <= MAX_DECIMALS:
            yield Issue(
                decimals.line,
                f"{question.name}: decimals {decimals.value} is out of range",
                f"use a whole number from 0 to {MAX_DECIMALS}",
            )


def minimum_is_not_above_maximum(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        low, high = question.minimum, question.maximum
        if low is not None and high is not None and low.value > high.value:
            yield Issue(
                low.line,
                f"{question.name}: min {low.value:g} is greater than max {high.value:g}",
                "swap them or correct one of them",
            )


def max_length_only_on_text(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        kind, max_length = question.question_type, question.max_length
        if max_length is None or kind is None:
            continue
        if not kind.is_text:
            yield Issue(
                max_length.line,
                f"{question.name} of type {kind} cannot have 'max_length'",
                "remove it (only short_text and long_text questions take it)",
            )
        elif max_length.value < 1:
            yield Issue(
                max_length.line,
                f"{question.name}: max_length must be at least 1",
                "give the number of characters accepted, e.g. 'max_length: 500'",
            )


def not_before_refers_to_earlier_same_type(draft: QuestionnaireDraft) -> Iterator[Issue]:
    """`not_before` on a week or date question names an earlier question of the same type."""
    known = draft.questions_by_id()
    for position, (_, question) in enumerate(draft.iter_questions()):
        reference, kind = question.not_before, question.question_type
        if reference is None or kind is None:
            continue
        where, target_id = f"not_before of {question.name}", reference.value
        if kind not in ORDERED_TYPES:
            yield Issue(
                reference.line,
                f"{question.name} of type {kind} cannot have 'not_before'",
                "remove it (only week and date questions take it)",
            )
        elif question.id is not None and target_id == question.id.value:
            yield Issue(
                reference.line,
                f"{where} refers to the question itself",
                f"name an earlier {kind} question whose answer this one may not lie before",
            )
        elif target_id not in known:
            close = did_you_mean(target_id, known)
            yield Issue(
                reference.line,
                f"{where} refers to question '{target_id}', which does not exist",
                f"did you mean '{close}'?"
                if close
                else f"name the id of an earlier {kind} question",
            )
        elif known[target_id][0] > position:
            yield Issue(
                reference.line,
                f"{where} refers to question '{target_id}', which comes later",
                "it can only name an earlier question: move this question below it",
            )
        elif (target_kind := known[target_id][2].question_type) is not None and target_kind != kind:
            yield Issue(
                reference.line,
                f"{where} refers to question '{target_id}' of type {target_kind}",
                f"name an earlier question of type {kind}, as this one is",
            )


# -- who is asked ------------------------------------------------------------------------


def audiences_are_not_empty(draft: QuestionnaireDraft) -> Iterator[Issue]:
    places = [(section.name, section.audience) for section in draft.section_drafts]
    places += [(question.name, question.audience) for _, question in draft.iter_questions()]
    for name, audience in places:
        if audience is not None and not audience.value:
            yield Issue(
                audience.line,
                f"{name}: audience is empty, so nobody is asked",
                "list the organisation types asked, e.g. [kommun], "
                "or remove 'audience' to ask everyone",
            )


def question_audience_within_section(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for section, question in draft.iter_questions():
        if section.audience is None or question.audience is None or not question.audience.value:
            continue
        if not effective_audience(section, question):
            yield Issue(
                question.audience.line,
                f"{question.name} is asked of nobody: its audience "
                f"({', '.join(question.audience.value)}) is outside its section's "
                f"({', '.join(section.audience.value)})",
                "give the question an audience within the section's, or move it to another section",
            )


# -- conditions --------------------------------------------------------------------------


def conditions_have_equals_or_in(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        condition = question.show_if
        if condition is None:
            continue
        if condition.equals is not None and condition.any_of is not None:
            yield Issue(
                condition.line,
                f"show_if of {question.name} has both 'equals' and 'in'",
                "keep one: 'equals: VALUE' for one answer or 'in: [A, B]' for several",
            )
        elif condition.equals is None and condition.any_of is None:
            yield Issue(
                condition.line,
                f"show_if of {question.name} says no answer",
                "add 'equals: VALUE' for one answer or 'in: [A, B]' for several",
            )
        elif condition.any_of is not None and not condition.any_of.value:
            yield Issue(
                condition.any_of.line,
                f"show_if of {question.name}: 'in' lists no answer",
                "list at least one answer, e.g. 'in: [ja]'",
            )


def conditions_refer_to_earlier_choice_questions(draft: QuestionnaireDraft) -> Iterator[Issue]:
    known = draft.questions_by_id()
    for position, (_, question) in enumerate(draft.iter_questions()):
        condition = question.show_if
        if condition is None or condition.question is None:
            continue
        target_id = condition.question.value
        line = condition.question.line
        where = f"show_if of {question.name}"
        if question.id is not None and target_id == question.id.value:
            yield Issue(
                line,
                f"{where} refers to the question itself",
                "name an earlier question whose answer decides whether this one is asked",
            )
            continue
        if target_id not in known:
            close = did_you_mean(target_id, known)
            yield Issue(
                line,
                f"{where} refers to question '{target_id}', which does not exist",
                f"did you mean '{close}'?"
                if close
                else "name the id of an earlier choice question",
            )
            continue
        target_position, _, target = known[target_id]
        if target_position > position:
            yield Issue(
                line,
                f"{where} refers to question '{target_id}', which comes later",
                "a condition can only use an earlier answer: move this question below it",
            )
        elif target.question_type is not None and target.question_type not in CHOICE_TYPES:
            yield Issue(
                line,
                f"{where} refers to question '{target_id}' of type {target.question_type}",
                "a condition needs a yes_no, single_choice, multiple_choice or scale question",
            )


def condition_answers_exist(draft: QuestionnaireDraft) -> Iterator[Issue]:
    known = draft.questions_by_id()
    for position, (_, question) in enumerate(draft.iter_questions()):
        condition = question.show_if
        if condition is None or condition.question is None or condition.question.value not in known:
            continue
        target_position, _, target = known[condition.question.value]
        # A reference to itself, a later or a non-choice question is reported by the rule above.
        if target_position >= position or target.question_type not in CHOICE_TYPES:
            continue
        possible = answers_of(target)
        if not possible:
            continue
        for answer in condition.answers:
            if answer.value in possible:
                continue
            close = did_you_mean(answer.value, possible)
            yield Issue(
                answer.line,
                f"show_if of {question.name}: question '{condition.question.value}' "
                f"has no answer '{answer.value}'",
                guess_then(close, f"its answers are: {', '.join(possible)}"),
            )
