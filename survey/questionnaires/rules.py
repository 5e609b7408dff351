"""Stage 3: the rules a questionnaire must follow, one small function per rule.

Each rule reads the typed draft and yields an `Issue` (line, what is wrong, how to fix
it) for every place it is broken. Values that could not be read are None in the draft and
were reported by the previous stage, so rules skip them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from survey.questionnaires.drafts import (
    IndicatorDraft,
    Located,
    QuestionDraft,
    QuestionnaireDraft,
    answers_of,
    effective_audience,
)
from survey.questionnaires.errors import Issue
from survey.questionnaires.model import CHOICE_TYPES, Measure, QuestionType
from survey.questionnaires.normalising import did_you_mean

Rule = Callable[[QuestionnaireDraft], Iterator[Issue]]

QUESTIONNAIRE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
SECTION_ID = re.compile(r"[a-z][a-z0-9_]*")
QUESTION_ID = re.compile(r"[a-z][a-z0-9_]*")
QUESTION_ID_MAX_LENGTH = 40
INDICATOR_ID = re.compile(r"[0-9]+[a-z]?\.[0-9]+[a-z]?")
VERSION = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
SUPPORTED_LANGUAGES = ("sv",)
MAX_DECIMALS = 4
MAX_QUESTIONNAIRE_ID_LENGTH = 64  # the width of questionnaire_versions.questionnaire_id
MAX_VERSION_LENGTH = 32
MAX_TITLE_LENGTH = 300  # the width of questionnaire_versions.title
# Names the form, the results frame and the answer import use beside the question ids.
RESERVED_QUESTION_IDS = frozenset(
    {
        "action",
        "csrf_token",  # the answer form's buttons and CSRF field
        "response_id",
        "recipient_id",
        "organisation",
        "organisation_type",
        "organisation_key",
        "kommun",
        "delregion",
        "submitted_at",
        "imported",  # the results frame
        "namn",
        "name",
        "email",
        "epost",
        "organisationstyp",  # the answer import's columns
    }
)
# Multiple-choice answers are held as one bit per choice in a 64-bit integer for results.
MAX_MULTIPLE_CHOICES = 63

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


def _guess_then(close: str | None, rest: str) -> str:
    """'did you mean …? Rest.' when there is a near miss, else just the rest."""
    if close is None:
        return rest
    return f"did you mean '{close}'? {rest[:1].upper()}{rest[1:]}"


def _or_list(words: tuple[str, ...] | list[str]) -> str:
    quoted = list(words)
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


# -- the questionnaire -------------------------------------------------------------------


def questionnaire_id_is_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.id is None:
        return
    if (
        not QUESTIONNAIRE_ID.fullmatch(draft.id.value)
        or len(draft.id.value) > MAX_QUESTIONNAIRE_ID_LENGTH
    ):
        yield Issue(
            draft.id.line,
            f"questionnaire id '{draft.id.value}' is not valid",
            "use lower-case letters a–z, digits and hyphens, starting with a letter or digit "
            f"(at most {MAX_QUESTIONNAIRE_ID_LENGTH} characters), e.g. nv-arlig-enkat",
        )


def version_is_numbered(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.version is None:
        return
    if not VERSION.fullmatch(draft.version.value) or len(draft.version.value) > MAX_VERSION_LENGTH:
        yield Issue(
            draft.version.line,
            f"version '{draft.version.value}' is not a version number",
            "use whole numbers without leading zeros, separated by dots, e.g. 1, 2 or 1.1",
        )


def language_is_swedish(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.language is not None and draft.language.value.lower() not in SUPPORTED_LANGUAGES:
        yield Issue(
            draft.language.line,
            f"language '{draft.language.value}' is not supported",
            "only Swedish is supported: write 'language: sv' or remove the key",
        )


def title_fits(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.title is not None and len(draft.title.value) > MAX_TITLE_LENGTH:
        yield Issue(
            draft.title.line,
            f"the title is {len(draft.title.value)} characters long",
            f"shorten it to at most {MAX_TITLE_LENGTH} characters; put the rest in 'intro'",
        )


def sections_are_given(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.sections is not None and not draft.sections.value:
        yield Issue(
            draft.sections.line,
            "the questionnaire has no sections",
            "add at least one section with '- id: …', 'title: …' and 'questions:'",
        )


# -- sections ----------------------------------------------------------------------------


def section_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for section in draft.section_drafts:
        if section.id is not None and not SECTION_ID.fullmatch(section.id.value):
            yield Issue(
                section.id.line,
                f"section id '{section.id.value}' is not valid",
                "use lower-case letters a–z, digits and underscore, starting with a letter, "
                "e.g. sip",
            )


def section_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("section", (section.id for section in draft.section_drafts))


def sections_have_questions(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for section in draft.section_drafts:
        if section.questions is not None and not section.questions.value:
            yield Issue(
                section.questions.line,
                f"{section.name} has no questions",
                "add at least one question under 'questions:', or remove the section",
            )


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


# -- questions ---------------------------------------------------------------------------


def question_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        if question.id is None:
            continue
        value = question.id.value
        if not QUESTION_ID.fullmatch(value):
            yield Issue(
                question.id.line,
                f"question id '{value}' is not valid",
                "use lower-case letters a–z, digits and underscore, starting with a letter, "
                "e.g. sip_okning",
            )
        elif len(value) > QUESTION_ID_MAX_LENGTH:
            yield Issue(
                question.id.line,
                f"question id '{value}' is {len(value)} characters long",
                f"shorten it to at most {QUESTION_ID_MAX_LENGTH} characters",
            )


def question_ids_are_not_reserved(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        if question.id is not None and question.id.value in RESERVED_QUESTION_IDS:
            yield Issue(
                question.id.line,
                f"question id '{question.id.value}' is reserved",
                f"choose another id, e.g. '{question.id.value}_svar'",
            )


def question_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("question", (question.id for _, question in draft.iter_questions()))


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
                _guess_then(close, f"its answers are: {', '.join(possible)}"),
            )


# -- indicators --------------------------------------------------------------------------


def indicator_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        if indicator.id is not None and not INDICATOR_ID.fullmatch(indicator.id.value):
            yield Issue(
                indicator.id.line,
                f"indicator id '{indicator.id.value}' is not valid",
                "use the plan's numbering: area number, sub-area letter if any, a dot and the "
                "indicator's label, e.g. 1a.1b, 3.1a or 1a.4",
            )


def indicator_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("indicator", (indicator.id for indicator in draft.indicator_drafts))


def _ids_used_twice(kind: str, ids: Iterable[Located[str] | None]) -> Iterator[Issue]:
    """An issue for each id (of a section, question or indicator) that an earlier one has."""
    seen: dict[str, int] = {}
    for located in ids:
        if located is None:
            continue
        if located.value in seen:
            yield Issue(
                located.line,
                f"{kind} id '{located.value}' is used twice",
                f"give this {kind} another id (the first is on line {seen[located.value]})",
            )
        else:
            seen[located.value] = located.line


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
                _guess_then(close, f"the choices are: {', '.join(possible)}"),
            )


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


RULES: tuple[Rule, ...] = (
    questionnaire_id_is_valid,
    version_is_numbered,
    language_is_swedish,
    title_fits,
    sections_are_given,
    section_ids_are_valid,
    section_ids_are_unique,
    sections_have_questions,
    audiences_are_not_empty,
    question_ids_are_valid,
    question_ids_are_not_reserved,
    question_ids_are_unique,
    choices_only_on_choice_types,
    choice_questions_have_two_choices,
    multiple_choices_fit,
    choice_values_are_unique,
    choice_labels_are_unique,
    not_applicable_only_on_yes_no,
    number_settings_only_on_numbers,
    decimals_are_in_range,
    minimum_is_not_above_maximum,
    max_length_only_on_text,
    question_audience_within_section,
    conditions_have_equals_or_in,
    conditions_refer_to_earlier_choice_questions,
    condition_answers_exist,
    indicator_ids_are_valid,
    indicator_ids_are_unique,
    indicator_questions_exist,
    measures_fit_question_types,
    options_are_given_where_needed,
    options_only_where_taken,
    options_exist,
    populations_are_asked,
    target_values_are_in_range,
    targets_are_in_date_order,
    undated_target_is_last,
    unscored_indicators_have_no_targets,
)


def check_rules(draft: QuestionnaireDraft) -> list[Issue]:
    """Every rule's issues, in rule order."""
    return [issue for rule in RULES for issue in rule(draft)]
