"""Stage 3: the rules a questionnaire must follow, one small function per rule.

Each rule reads the typed draft and yields an `Issue` (line, what is wrong, how to fix
it) for every place it is broken. Values that could not be read are None in the draft and
were reported by the previous stage, so rules skip them. The rules are grouped by what they
check: `structure` (the questionnaire's keys, sections, ids), `questions` (settings, audiences,
conditions) and `indicators` (measures, options, populations, targets); `check_rules` runs
them all, in the order of `RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from survey.questionnaires.drafts import QuestionnaireDraft
from survey.questionnaires.errors import Issue
from survey.questionnaires.rules import indicators, questions, structure

Rule = Callable[[QuestionnaireDraft], Iterator[Issue]]

RULES: tuple[Rule, ...] = (
    structure.questionnaire_id_is_valid,
    structure.version_is_numbered,
    structure.language_is_swedish,
    structure.title_fits,
    structure.sections_are_given,
    structure.section_ids_are_valid,
    structure.section_ids_are_unique,
    structure.sections_have_questions,
    questions.audiences_are_not_empty,
    structure.question_ids_are_valid,
    structure.question_ids_are_not_reserved,
    structure.question_ids_are_unique,
    questions.choices_only_on_choice_types,
    questions.choice_questions_have_two_choices,
    questions.multiple_choices_fit,
    questions.choice_values_are_unique,
    questions.choice_labels_are_unique,
    questions.not_applicable_only_on_yes_no,
    questions.number_settings_only_on_numbers,
    questions.decimals_are_in_range,
    questions.minimum_is_not_above_maximum,
    questions.max_length_only_on_text,
    questions.not_before_refers_to_earlier_same_type,
    questions.question_audience_within_section,
    questions.conditions_have_equals_or_in,
    questions.conditions_refer_to_earlier_choice_questions,
    questions.condition_answers_exist,
    structure.indicator_ids_are_valid,
    structure.indicator_ids_are_unique,
    indicators.indicator_questions_exist,
    indicators.measures_fit_question_types,
    indicators.options_are_given_where_needed,
    indicators.options_only_where_taken,
    indicators.options_exist,
    indicators.populations_are_asked,
    indicators.target_values_are_in_range,
    indicators.targets_are_in_date_order,
    indicators.undated_target_is_last,
    indicators.unscored_indicators_have_no_targets,
    indicators.comparative_goals_have_no_targets,
    indicators.minimums_are_positive,
)


def check_rules(draft: QuestionnaireDraft) -> list[Issue]:
    """Every rule's issues, in rule order."""
    return [issue for rule in RULES for issue in rule(draft)]
