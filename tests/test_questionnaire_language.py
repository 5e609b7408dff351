"""The questionnaire language: each rule's message and line, aliases, defaults, the JSON form."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from survey.errors import ErrorCode
from survey.organisations import OrganisationType
from survey.questionnaires.model import (
    Choice,
    Condition,
    Direction,
    Measure,
    QuestionType,
    Target,
)
from survey.questionnaires.normalising import slug
from survey.questionnaires.parsing import (
    QuestionnaireError,
    QuestionnaireInvalid,
    parse_questionnaire,
    read_questionnaire_file,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "questionnaire-format.md"

# A small valid questionnaire; the broken ones below change a line or two of it.
# Line numbers matter: the table asserts the exact line of each error.
BASE = """\
id: prov-enkat
version: 1
title: Provenkät
sections:
  - id: allmant
    title: Allmänt
    questions:
      - id: okning
        type: yes_no
        text: Ser ni en ökning?
        not_applicable: true
      - id: omraden
        type: multiple_choice
        text: Inom vilka områden?
        choices: [Fallrisk, Undernäring, Ofrivillig ensamhet]
        show_if: {question: okning, equals: ja}
      - id: nojdhet
        type: scale
        text: Hur nöjd är du med samverkan?
        choices:
          - {value: mycket_nojd, label: Mycket nöjd}
          - {value: ganska_nojd, label: Ganska nöjd}
          - {value: missnojd, label: Missnöjd}
      - id: andel
        type: percent
        text: Hur stor andel är utbildad?
      - id: dygn
        type: number
        text: Hur många dygn?
        min: 0
        max: 365
      - id: kommentar
        type: long_text
        text: Kommentar
        required: false
  - id: kommun
    title: Kommuner
    audience: [kommun]
    questions:
      - id: npo
        type: yes_no
        text: Har kommunen producentbehörighet i NPÖ?
indicators:
  - id: 1a.1b
    title: Ökning
    area: 1a SIP
    question: okning
    measure: share_yes
    targets:
      - {date: 2023-12-31, value: 50}
      - {date: 2025-12-31, value: 75}
      - {value: 100}
  - id: 1b.2a
    title: Nöjdhet
    area: 1b Team
    question: nojdhet
    measure: share_of_options
    options: [ganska_nojd, mycket_nojd]
  - id: 1a.5
    title: Kommuner i NPÖ
    area: 1a SIP
    question: npo
    measure: share_yes
    population: kommun
    per_organisation: true
"""


def mutated(*changes: tuple[str, str]) -> str:
    """BASE with each (old, new) applied; `old` must occur exactly once."""
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def errors_of(text: str, source: str = "prov.yaml") -> list[QuestionnaireError]:
    with pytest.raises(QuestionnaireInvalid) as caught:
        parse_questionnaire(text, source)
    return caught.value.errors


def test_it_accepts_the_base_document() -> None:
    questionnaire = parse_questionnaire(BASE, "prov.yaml")
    assert questionnaire.id == "prov-enkat"
    assert [question.id for question in questionnaire.questions] == [
        "okning",
        "omraden",
        "nojdhet",
        "andel",
        "dygn",
        "kommentar",
        "npo",
    ]


ADD_TO_ANDEL = "        text: Hur stor andel är utbildad?\n"
ADD_TO_NOJDHET = "        text: Hur nöjd är du med samverkan?\n"
ADD_TO_NPO = "        text: Har kommunen producentbehörighet i NPÖ?\n"
OMRADEN_CHOICES = "choices: [Fallrisk, Undernäring, Ofrivillig ensamhet]"
OMRADEN_CONDITION = "{question: okning, equals: ja}"
FIRST_TARGETS = (
    "      - {date: 2023-12-31, value: 50}\n"
    "      - {date: 2025-12-31, value: 75}\n"
    "      - {value: 100}"
)

BROKEN = [
    # -- names the rest of the engine uses
    pytest.param(
        mutated(("      - id: kommentar", "      - id: kommun")),
        32,
        "question id 'kommun' is reserved",
        "choose another id",
        id="reserved-question-id",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: [" + ", ".join(f"Val {n}" for n in range(64)) + "]")),
        15,
        "has 64 choices",
        "at most 63",
        id="too-many-multiple-choices",
    ),
    # -- reading the file
    pytest.param(
        mutated(("    title: Allmänt", "\ttitle: Allmänt")),
        6,
        "YAML syntax error",
        "never tabs",
        id="tab-indentation",
    ),
    pytest.param(
        mutated(("    title: Nöjdhet", "    title: [Nöjdhet")),
        54,
        "flow sequence that starts here",
        "'[' has its ']'",
        id="unclosed-bracket",
    ),
    pytest.param(
        mutated(("title: Provenkät", "title: 'Provenkät")),
        3,
        "YAML syntax error",
        "close the quote",
        id="unclosed-quote",
    ),
    pytest.param("", 1, "the file is empty", "start with id", id="empty-file"),
    pytest.param(
        BASE + "---\nid: annan\n",
        66,
        "expected a single document",
        "one questionnaire per file",
        id="two-documents",
    ),
    pytest.param(
        mutated(("title: Provenkät", "title: Prov\x07enkät")),
        3,
        "control character (#x0007)",
        "invisible",
        id="control-character",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: *alternativ")),
        15,
        "found undefined alias 'alternativ'",
        "define the anchor",
        id="undefined-alias",
    ),
    pytest.param(
        "- id: x\n- id: y\n", 1, "must be a mapping of keys", "without '- '", id="top-level-list"
    ),
    # -- keys
    pytest.param(
        mutated(("required: false", "requried: false")),
        35,
        "unknown key 'requried' in question 'kommentar'",
        "did you mean 'required'?",
        id="unknown-key-near-miss",
    ),
    pytest.param(
        mutated(("required: false", "colour: red")),
        35,
        "unknown key 'colour' in question 'kommentar'",
        "a question takes: id, type",
        id="unknown-key",
    ),
    pytest.param(
        mutated(("    measure: share_of_options", "    mesure: share_of_options")),
        57,
        "unknown key 'mesure' in indicator 1b.2a",
        "did you mean 'measure'?",
        id="unknown-indicator-key",
    ),
    pytest.param(
        mutated(("    title: Kommuner\n", "    title: Kommuner\n    title: Kommunerna\n")),
        38,
        "key 'title' is given twice in section 'kommun'",
        "line 37",
        id="duplicate-key",
    ),
    pytest.param(
        mutated(("        text: Hur många dygn?\n", "")),
        27,
        "question 'dygn' has no 'text'",
        "add 'text: …'",
        id="missing-question-text",
    ),
    pytest.param(
        mutated(("title: Provenkät\n", "")),
        1,
        "the questionnaire has no 'title'",
        "add 'title: …'",
        id="missing-title",
    ),
    pytest.param(
        mutated(("    area: 1b Team\n", "")),
        53,
        "indicator 1b.2a has no 'area'",
        "area:",
        id="missing-indicator-area",
    ),
    pytest.param(
        mutated(("{date: 2025-12-31, value: 75}", "{date: 2025-12-31}")),
        51,
        "target 2 of indicator 1a.1b has no 'value'",
        "value:",
        id="missing-target-value",
    ),
    # -- value types
    pytest.param(
        mutated(("required: false", "required: kanske")),
        35,
        "'required' must be true or false, not 'kanske'",
        "required: true",
        id="boolean-as-text",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: Fallrisk, Undernäring")),
        15,
        "'choices' must be a list, not 'Fallrisk, Undernäring'",
        "on its own line",
        id="text-where-a-list-is-needed",
    ),
    pytest.param(
        mutated(("max: 365", "max: 365 dygn")),
        31,
        "'max' must be a number, not '365 dygn'",
        "no % sign or unit",
        id="number-with-unit",
    ),
    pytest.param(
        mutated(("{date: 2025-12-31, value: 75}", "{date: 2025-12-31, value: 75%}")),
        51,
        "'value' must be a number, not '75%'",
        "plain number",
        id="target-percent-sign",
    ),
    pytest.param(
        mutated(("        text: Kommentar\n", "        text: ''\n")),
        34,
        "'text' is empty",
        "write the text",
        id="empty-text",
    ),
    pytest.param(
        mutated(("    title: Ökning\n", "    title:\n      - Ökning\n")),
        45,
        "'title' must be text, not a list",
        "on the same line",
        id="list-where-text-is-needed",
    ),
    pytest.param(
        mutated(
            ("      - id: andel\n", "      - andel\n"),
            ("        type: percent\n        text: Hur stor andel är utbildad?\n", ""),
        ),
        24,
        "question 4 of section 'allmant' must be a mapping of keys",
        "'- id: …'",
        id="question-not-a-mapping",
    ),
    # -- question types and their settings
    pytest.param(
        mutated(("type: yes_no\n        text: Ser", "type: yesno\n        text: Ser")),
        9,
        "question 'okning': unknown type 'yesno'",
        "did you mean 'yes_no'?",
        id="unknown-type-near-miss",
    ),
    pytest.param(
        mutated(("type: percent", "type: slider")),
        25,
        "unknown type 'slider'",
        "use one of: yes_no, single_choice",
        id="unknown-type",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: [Fallrisk]")),
        15,
        "question 'omraden' of type multiple_choice has only one choice",
        "at least two choices",
        id="one-choice",
    ),
    pytest.param(
        mutated((f"        {OMRADEN_CHOICES}\n", "")),
        12,
        "question 'omraden' of type multiple_choice has no choices",
        "add 'choices:'",
        id="no-choices",
    ),
    pytest.param(
        mutated((ADD_TO_ANDEL, ADD_TO_ANDEL + "        choices: [A, B]\n")),
        27,
        "question 'andel' of type percent takes no choices",
        "remove 'choices'",
        id="choices-on-percent",
    ),
    pytest.param(
        mutated(("        not_applicable: true", "        choices: [Ja, Nej]")),
        11,
        "question 'okning' of type yes_no takes no choices",
        "always has Ja and Nej",
        id="choices-on-yes-no",
    ),
    pytest.param(
        mutated(("{value: missnojd, label: Missnöjd}", "{value: ganska_nojd, label: Missnöjd}")),
        23,
        "choice value 'ganska_nojd' is used twice",
        "first is on line 22",
        id="duplicate-choice-value",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: [Fallrisk, Undernäring, fallrisk]")),
        15,
        "choice value 'fallrisk' is used twice",
        "{value: …, label: …}",
        id="duplicate-value-made-from-labels",
    ),
    pytest.param(
        mutated(("{value: missnojd, label: Missnöjd}", "{value: missnojd, label: Ganska nöjd}")),
        23,
        "choice label 'Ganska nöjd' is used twice",
        "its own label",
        id="duplicate-choice-label",
    ),
    pytest.param(
        mutated((OMRADEN_CHOICES, "choices: [Fallrisk, '–']")),
        15,
        "no value can be made from the label '–'",
        "give the value explicitly",
        id="label-without-letters",
    ),
    pytest.param(
        mutated((ADD_TO_NOJDHET, ADD_TO_NOJDHET + "        not_applicable: true\n")),
        20,
        "question 'nojdhet' of type scale cannot have 'not_applicable'",
        "only yes_no",
        id="not-applicable-on-scale",
    ),
    pytest.param(
        mutated((ADD_TO_ANDEL, ADD_TO_ANDEL + "        min: 10\n")),
        27,
        "question 'andel' of type percent cannot have 'min'",
        "always 0–100",
        id="min-on-percent",
    ),
    pytest.param(
        mutated(("        required: false", "        unit: dygn")),
        35,
        "question 'kommentar' of type long_text cannot have 'unit'",
        "only number",
        id="unit-on-text",
    ),
    pytest.param(
        mutated(("        max: 365", "        max: 365\n        decimals: 5")),
        32,
        "decimals 5 is out of range",
        "from 0 to 4",
        id="too-many-decimals",
    ),
    pytest.param(
        mutated(("        min: 0", "        min: 400")),
        30,
        "question 'dygn': min 400 is greater than max 365",
        "swap them",
        id="min-above-max",
    ),
    pytest.param(
        mutated(("        max: 365", "        max: 365\n        max_length: 10")),
        32,
        "question 'dygn' of type number cannot have 'max_length'",
        "short_text and long_text",
        id="max-length-on-number",
    ),
    # -- ids
    pytest.param(
        mutated(("id: prov-enkat", "id: Prov_Enkät")),
        1,
        "questionnaire id 'Prov_Enkät' is not valid",
        "hyphens",
        id="questionnaire-id",
    ),
    pytest.param(
        mutated(("  - id: allmant", "  - id: Allmänt")),
        5,
        "section id 'Allmänt' is not valid",
        "underscore",
        id="section-id",
    ),
    pytest.param(
        mutated(("      - id: kommentar", "      - id: Kommentar")),
        32,
        "question id 'Kommentar' is not valid",
        "starting with a letter",
        id="question-id",
    ),
    pytest.param(
        mutated(("      - id: kommentar", "      - id: " + "k" * 41)),
        32,
        "is 41 characters long",
        "at most 40",
        id="question-id-too-long",
    ),
    pytest.param(
        mutated(("  - id: 1a.5", "  - id: 1a-5")),
        59,
        "indicator id '1a-5' is not valid",
        "e.g. 1a.1b, 3.1a or 1a.4",
        id="indicator-id",
    ),
    pytest.param(
        mutated(("  - id: kommun\n", "  - id: allmant\n")),
        36,
        "section id 'allmant' is used twice",
        "first is on line 5",
        id="duplicate-section",
    ),
    pytest.param(
        mutated(("      - id: kommentar", "      - id: dygn")),
        32,
        "question id 'dygn' is used twice",
        "first is on line 27",
        id="duplicate-question",
    ),
    pytest.param(
        mutated(("  - id: 1a.5", "  - id: 1a.1b")),
        59,
        "indicator id '1a.1b' is used twice",
        "first is on line 44",
        id="duplicate-indicator",
    ),
    pytest.param(
        mutated(("version: 1\n", "version: v1\n")),
        2,
        "version 'v1' is not a version number",
        "e.g. 1, 2 or 1.1",
        id="version-text",
    ),
    pytest.param(
        mutated(("version: 1\n", "version: 1.x\n")),
        2,
        "version '1.x' is not a version number",
        "without leading zeros, separated by dots",
        id="version-not-numbers",
    ),
    pytest.param(
        mutated(("version: 1\n", "version: 1.01\n")),
        2,
        "version '1.01' is not a version number",
        "without leading zeros",
        id="version-leading-zero",
    ),
    pytest.param(
        mutated(("title: Provenkät\n", "title: Provenkät\nlanguage: en\n")),
        4,
        "language 'en' is not supported",
        "language: sv",
        id="language",
    ),
    # -- sections and audiences
    pytest.param(
        "id: x\nversion: 1\ntitle: X\nsections: []\n",
        4,
        "the questionnaire has no sections",
        "at least one section",
        id="no-sections",
    ),
    pytest.param(
        mutated(("indicators:\n", "  - id: tom\n    title: Tom\n    questions: []\nindicators:\n")),
        45,
        "section 'tom' has no questions",
        "at least one question",
        id="empty-section",
    ),
    pytest.param(
        mutated(("audience: [kommun]", "audience: [kommuner]")),
        38,
        "unknown organisation type 'kommuner'",
        "did you mean 'kommun'?",
        id="unknown-organisation-type",
    ),
    pytest.param(
        mutated(("audience: [kommun]", "audience: []")),
        38,
        "section 'kommun': audience is empty",
        "remove 'audience' to ask everyone",
        id="empty-audience",
    ),
    pytest.param(
        mutated((ADD_TO_NPO, ADD_TO_NPO + "        audience: [regional_pv]\n")),
        43,
        "question 'npo' is asked of nobody",
        "within the section's",
        id="question-audience-outside-section",
    ),
    # -- conditions
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: okningg, equals: ja}")),
        16,
        "refers to question 'okningg', which does not exist",
        "did you mean 'okning'?",
        id="condition-on-missing-question",
    ),
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: omraden, equals: fallrisk}")),
        16,
        "refers to the question itself",
        "earlier question",
        id="condition-on-itself",
    ),
    pytest.param(
        mutated(
            (
                "        not_applicable: true",
                "        show_if: {question: nojdhet, equals: missnojd}",
            )
        ),
        11,
        "refers to question 'nojdhet', which comes later",
        "move this question below",
        id="condition-on-later-question",
    ),
    pytest.param(
        mutated(("        required: false", "        show_if: {question: andel, equals: '50'}")),
        35,
        "refers to question 'andel' of type percent",
        "needs a yes_no",
        id="condition-on-non-choice-question",
    ),
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: okning, equals: jaa}")),
        16,
        "question 'okning' has no answer 'jaa'",
        "did you mean 'ja'?",
        id="condition-answer-unknown",
    ),
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: okning, in: [ja, kanske]}")),
        16,
        "question 'okning' has no answer 'kanske'",
        "ja, nej, ej_aktuellt",
        id="condition-in-answer-unknown",
    ),
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: okning, equals: ja, in: [ja]}")),
        16,
        "has both 'equals' and 'in'",
        "keep one",
        id="condition-equals-and-in",
    ),
    pytest.param(
        mutated((OMRADEN_CONDITION, "{question: okning}")),
        16,
        "says no answer",
        "add 'equals: VALUE'",
        id="condition-without-answer",
    ),
    # -- indicators
    pytest.param(
        mutated(("    question: okning", "    question: okningar")),
        47,
        "indicator 1a.1b: question 'okningar' does not exist",
        "did you mean 'okning'?",
        id="indicator-on-missing-question",
    ),
    pytest.param(
        mutated(("    measure: share_yes\n    targets", "    measure: mean\n    targets")),
        48,
        "measure 'mean' does not fit question 'okning' of type yes_no",
        "use share_yes or count for yes/no questions",
        id="mean-of-yes-no",
    ),
    pytest.param(
        mutated(("    measure: share_of_options", "    measure: share_yes")),
        57,
        "measure 'share_yes' does not fit question 'nojdhet' of type scale",
        "use share_of_options or count",
        id="share-yes-of-scale",
    ),
    pytest.param(
        mutated(("    measure: share_of_options", "    measure: medelvärdet")),
        57,
        "unknown measure 'medelvärdet'",
        "did you mean 'mean'?",
        id="unknown-measure",
    ),
    pytest.param(
        mutated(("    options: [ganska_nojd, mycket_nojd]\n", "")),
        53,
        "measure 'share_of_options' needs 'options'",
        "mycket_nojd, ganska_nojd, missnojd",
        id="share-of-options-without-options",
    ),
    pytest.param(
        mutated(
            ("    measure: share_of_options", "    measure: count"),
            ("    options: [ganska_nojd, mycket_nojd]\n", ""),
        ),
        53,
        "measure 'count' needs 'options'",
        "the choices that count",
        id="count-on-choice-without-options",
    ),
    pytest.param(
        mutated(
            ("    options: [ganska_nojd, mycket_nojd]", "    options: [ganska_nojd, mycket_nöjd]")
        ),
        58,
        "option 'mycket_nöjd' is not a choice of question 'nojdhet'",
        "did you mean 'mycket_nojd'?",
        id="option-not-a-choice",
    ),
    pytest.param(
        mutated(
            (
                "    measure: share_yes\n    targets",
                "    measure: share_yes\n    options: [ja]\n    targets",
            )
        ),
        49,
        "measure 'share_yes' takes no options",
        "remove 'options'",
        id="options-on-share-yes",
    ),
    pytest.param(
        mutated(("population: kommun", "population: regional_pv")),
        64,
        "population 'regional_pv' is never asked question 'npo'",
        "(kommun), or all",
        id="population-never-asked",
    ),
    pytest.param(
        mutated(("population: kommun", "population: kommunerna")),
        64,
        "unknown population 'kommunerna'",
        "did you mean 'kommun'?",
        id="unknown-population",
    ),
    pytest.param(
        mutated(("    per_organisation: true", "    direction: minsta")),
        65,
        "unknown direction 'minsta'",
        "did you mean 'at_least'?",
        id="unknown-direction",
    ),
    pytest.param(
        mutated(("    measure: share_yes\n    targets", "    measure: none\n    targets")),
        49,
        "measure 'none' has no value, so it cannot have targets",
        "goal",
        id="targets-without-a-value",
    ),
    # -- targets
    pytest.param(
        mutated(("{date: 2025-12-31, value: 75}", "{date: 2025-12-31, value: 120}")),
        51,
        "target 2 of indicator 1a.1b: value 120 is outside 0–100",
        "from 0 to 100",
        id="share-target-above-100",
    ),
    pytest.param(
        mutated(
            (
                "    options: [ganska_nojd, mycket_nojd]\n",
                "    options: [ganska_nojd, mycket_nojd]\n    targets: [{value: -5}]\n",
            )
        ),
        59,
        "value -5 is outside 0–100",
        "percentage",
        id="share-target-negative",
    ),
    pytest.param(
        mutated(
            ("    question: nojdhet", "    question: andel"),
            ("    measure: share_of_options", "    measure: mean"),
            ("    options: [ganska_nojd, mycket_nojd]\n", "    targets: [{value: 150}]\n"),
        ),
        58,
        "value 150 is outside 0–100",
        "percentage",
        id="mean-of-percent-above-100",
    ),
    pytest.param(
        mutated(("{date: 2025-12-31, value: 75}", "{date: 2025-13-01, value: 75}")),
        51,
        "'2025-13-01' is not a date",
        "YYYY-MM-DD",
        id="impossible-date",
    ),
    pytest.param(
        mutated(("{date: 2025-12-31, value: 75}", "{date: 31/12/2025, value: 75}")),
        51,
        "'31/12/2025' is not a date",
        "e.g. 2025-12-31",
        id="date-day-first",
    ),
    pytest.param(
        mutated(("{date: 2023-12-31, value: 50}", "{date: 2026-12-31, value: 50}")),
        51,
        "date 2025-12-31 is earlier than the target before it (2026-12-31)",
        "strictly increasing",
        id="targets-out-of-order",
    ),
    pytest.param(
        mutated(("{date: 2023-12-31, value: 50}", "{date: 2025-12-31, value: 50}")),
        51,
        "date 2025-12-31 is the same date as the target before it",
        "one per date",
        id="targets-on-the-same-date",
    ),
    pytest.param(
        mutated(
            (
                FIRST_TARGETS,
                "      - {value: 100}\n"
                "      - {date: 2023-12-31, value: 50}\n"
                "      - {date: 2025-12-31, value: 75}",
            )
        ),
        50,
        "target 1 of indicator 1a.1b has no date but is not the last target",
        "move it to the end",
        id="undated-target-first",
    ),
]


@pytest.mark.parametrize(("text", "line", "message", "hint"), BROKEN)
def test_it_reports_each_broken_rule_with_its_line(
    text: str, line: int, message: str, hint: str
) -> None:
    errors = errors_of(text)
    listing = "\n".join(str(error) for error in errors)
    matching = [error for error in errors if message in error.message]
    assert matching, f"no error says {message!r}:\n{listing}"
    assert [error.line for error in matching] == [line], listing
    assert hint in matching[0].hint, listing
    # A single mistake gives a single error: no cascade of follow-up complaints.
    assert len(errors) == 1, listing


def test_it_has_a_broken_case_for_at_least_25_rules() -> None:
    assert len(BROKEN) >= 25


def test_it_formats_an_error_as_file_line_message_and_hint() -> None:
    [error] = errors_of(mutated(("required: false", "requried: false")), "questionnaires/prov.yaml")
    assert str(error) == (
        "questionnaires/prov.yaml:35: unknown key 'requried' in question 'kommentar'"
        " — did you mean 'required'?"
    )


def test_it_reports_every_error_of_a_file_at_once_in_line_order() -> None:
    text = mutated(
        ("type: yes_no\n        text: Ser", "type: yesno\n        text: Ser"),  # line 9
        (OMRADEN_CONDITION, "{question: okning, equals: jaa}"),  # line 16 (okning's type unknown)
        ("max: 365", "max: många"),  # line 31
        ("required: false", "requried: false"),  # line 35
        ("audience: [kommun]", "audience: [kommuner]"),  # line 38
        ("{date: 2025-12-31, value: 75}", "{date: 2025-13-01, value: 75}"),  # line 51
        ("population: kommun", "population: alle"),  # line 64
    )
    errors = errors_of(text)
    assert [(error.line, error.message.split(":")[0]) for error in errors] == [
        (9, "question 'okning'"),
        (31, "question 'dygn'"),
        (35, "unknown key 'requried' in question 'kommentar'"),
        (38, "section 'kommun'"),
        (51, "target 2 of indicator 1a.1b"),
        (64, "indicator 1a.5"),
    ]
    # The condition on okning cannot be checked while okning's type is unknown.
    assert all(error.line != 16 for error in errors)


def test_it_reports_an_error_in_an_aliased_node_at_the_using_key() -> None:
    text = mutated(
        (OMRADEN_CHOICES, "choices: &alternativ [Fallrisk, Undernäring]"),
        ("    options: [ganska_nojd, mycket_nojd]", "    options: *alternativ"),
    )
    errors = errors_of(text)
    # Placed where the alias is used (line 58), not where the anchor is (line 15).
    assert [(error.line, error.message.split(": ")[1]) for error in errors] == [
        (58, "option 'Fallrisk' is not a choice of question 'nojdhet'"),
        (58, "option 'Undernäring' is not a choice of question 'nojdhet'"),
    ]


def test_it_refuses_an_alias_bomb_without_expanding_it() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        below = f"*a{level - 1}"
        levels.append(f"a{level}: &a{level} [{', '.join([below] * 10)}]")
    text = "\n".join(levels) + "\nid: x\n"
    [error] = errors_of(text)
    assert "too many values" in error.message


# -- reading files ---------------------------------------------------------------------


def test_it_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "prov.yaml"
    path.write_text(mutated(("version: 1\n", "version: v1\n")), encoding="utf-8")
    with pytest.raises(QuestionnaireInvalid) as caught:
        read_questionnaire_file(path)
    assert [str(error) for error in caught.value.errors] == [
        f"{path}:2: version 'v1' is not a version number — use whole numbers without leading "
        "zeros, separated by dots, e.g. 1, 2 or 1.1"
    ]


@pytest.mark.parametrize(
    ("content", "line", "message", "code"),
    [
        (None, 0, "file not found", ErrorCode.QUESTIONNAIRE_FILE_UNREADABLE),
        (b"id: x\nversion: 1\ntitle: Enk\xe4t\n", 3, "not UTF-8", ErrorCode.QUESTIONNAIRE_NOT_UTF8),
        (b"", 1, "the file is empty", ErrorCode.QUESTIONNAIRE_INVALID),
        (b"- a\n- b\n", 1, "must be a mapping", ErrorCode.QUESTIONNAIRE_INVALID),
        (b"just some text\n", 1, "must be a mapping", ErrorCode.QUESTIONNAIRE_INVALID),
    ],
    ids=["missing", "latin-1", "empty", "list", "text"],
)
def test_it_reports_a_file_that_cannot_be_a_questionnaire(
    tmp_path: Path, content: bytes | None, line: int, message: str, code: ErrorCode
) -> None:
    path = tmp_path / "enkat.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(QuestionnaireInvalid) as caught:
        read_questionnaire_file(path)
    [error] = caught.value.errors
    assert (error.source, error.line) == (str(path), line)
    assert message in error.message
    assert error.hint
    assert caught.value.code is code


def test_it_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "prov.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert read_questionnaire_file(path).title == "Provenkät"


# -- good documents --------------------------------------------------------------------

ALIASES = """\
id: alias-prov
version: 1.10
title: Alias
language: SV
sections:
  - id: s
    title: Sektion
    audience: [Kommunal primärvård, vårdcentral, Sjukhus/slutenvård]
    questions:
      - id: fraga
        type: ja_nej
        text: Fråga?
      - id: vilka
        type: Flerval
        text: Vilka?
        choices:
          - Åtgärd/plan
          - Ofrivillig ensamhet
          - {label: Övrigt (ange)}
          - {value: x1, label: Något annat}
        show_if: {question: fraga, in: [ja]}
      - id: skalan
        type: skala
        text: Skala?
        choices: [1, 2, 3, 4]
        audience: [psykiatri, vårdcentral]
      - id: andel
        type: procent
        text: Andel?
      - id: tal
        type: tal
        text: Tal?
        decimals: 2
        unit: dygn
      - id: kort
        type: kort_text
        text: Kort?
      - id: lang
        type: lång_text
        text: Lång?
        show_if: {question: vilka, equals: atgard_plan}
      - id: fri
        type: fritext
        text: Fri?
        max_length: 800
      - id: datum
        type: datum
        text: Datum?
      - id: vecka
        type: vecka
        text: Vecka?
indicators:
  - id: 1a.1b
    title: Ja-andel
    area: 1a SIP
    question: fraga
    measure: andel_ja
    population: alla
    direction: högst
  - id: 3.1a
    title: Val
    area: 3 Kompetens
    question: vilka
    measure: andel_val
    options: [ofrivillig_ensamhet, atgard_plan]
    population: vårdcentral
  - id: 1a.4
    title: Medel
    area: 1a SIP
    question: tal
    measure: Medelvärde
  - id: 2a.2
    title: Antal
    area: 2a
    question: fraga
    measure: antal
  - id: 2b.1
    title: Text
    area: 2b
    question: fri
    measure: ingen
  - id: 2b.2
    title: Procent
    area: 2b
    question: andel
    measure: mean
    targets:
      - {date: '2024-12-31', value: 50.5}
      - {date: 2026-12-31, value: 100}
"""


def test_it_normalises_every_alias() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    types = {question.id: question.type for question in questionnaire.questions}
    assert types == {
        "fraga": QuestionType.YES_NO,
        "vilka": QuestionType.MULTIPLE_CHOICE,
        "skalan": QuestionType.SCALE,
        "andel": QuestionType.PERCENT,
        "tal": QuestionType.NUMBER,
        "kort": QuestionType.SHORT_TEXT,
        "lang": QuestionType.LONG_TEXT,
        "fri": QuestionType.LONG_TEXT,
        "datum": QuestionType.DATE,
        "vecka": QuestionType.WEEK,
    }
    assert questionnaire.version == "1.10"
    assert questionnaire.language == "sv"
    measures = {indicator.id: indicator.measure for indicator in questionnaire.indicators}
    assert measures == {
        "1a.1b": Measure.SHARE_YES,
        "3.1a": Measure.SHARE_OF_OPTIONS,
        "1a.4": Measure.MEAN,
        "2a.2": Measure.COUNT,
        "2b.1": Measure.NONE,
        "2b.2": Measure.MEAN,
    }
    first = questionnaire.indicator("1a.1b")
    assert first.population is None
    assert first.direction is Direction.AT_MOST
    assert questionnaire.indicator("3.1a").population is OrganisationType.REGIONAL_PV
    assert questionnaire.indicator("3.1a").direction is Direction.AT_LEAST


def test_it_makes_values_of_plain_labels() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    assert questionnaire.question("vilka").choices == (
        Choice("atgard_plan", "Åtgärd/plan"),
        Choice("ofrivillig_ensamhet", "Ofrivillig ensamhet"),
        Choice("ovrigt_ange", "Övrigt (ange)"),
        Choice("x1", "Något annat"),
    )
    assert questionnaire.question("skalan").choice_values == ("1", "2", "3", "4")


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Fallrisk", "fallrisk"),
        ("Undernäring", "undernaring"),
        ("Mycket nöjd", "mycket_nojd"),
        ("Varken nöjd eller missnöjd", "varken_nojd_eller_missnojd"),
        ("Sjukhus/slutenvård", "sjukhus_slutenvard"),
        ("Ja, delvis – i några fall", "ja_delvis_i_nagra_fall"),
        ("Ärende", "arende"),
        ("3–4 gånger", "3_4_ganger"),
    ],
)
def test_it_slugs_a_label_into_a_value(label: str, value: str) -> None:
    assert slug(label) == value


def test_it_reads_conditions_with_equals_and_in() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    assert questionnaire.question("vilka").show_if == Condition("fraga", ("ja",))
    assert questionnaire.question("lang").show_if == Condition("vilka", ("atgard_plan",))
    assert questionnaire.question("fraga").show_if is None


def test_it_combines_section_and_question_audiences() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    section = questionnaire.sections[0]
    assert section.audience == (
        OrganisationType.KOMMUN,
        OrganisationType.REGIONAL_PV,
        OrganisationType.SLUTENVARD,
    )
    assert questionnaire.question("fraga").audience == section.audience
    # psykiatri is outside the section's audience; only vårdcentraler are asked.
    assert questionnaire.question("skalan").audience == (OrganisationType.REGIONAL_PV,)
    base = parse_questionnaire(BASE, "prov.yaml")
    assert base.question("okning").audience is None
    assert base.question("npo").audience == (OrganisationType.KOMMUN,)


def test_it_fills_in_the_defaults() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    andel, tal = questionnaire.question("andel"), questionnaire.question("tal")
    assert (andel.minimum, andel.maximum, andel.decimals) == (0, 100, 0)
    assert (tal.minimum, tal.maximum, tal.decimals, tal.unit) == (None, None, 2, "dygn")
    assert questionnaire.question("kort").max_length == 200
    assert questionnaire.question("lang").max_length == 5000
    assert questionnaire.question("fri").max_length == 800
    assert questionnaire.question("datum").max_length is None
    assert all(question.required for question in questionnaire.questions)
    assert [choice.value for choice in questionnaire.question("fraga").choices] == ["ja", "nej"]
    base = parse_questionnaire(BASE, "prov.yaml")
    assert base.question("okning").choice_values == ("ja", "nej", "ej_aktuellt")
    assert base.question("kommentar").required is False
    units = {indicator.id: indicator.unit for indicator in questionnaire.indicators}
    assert units == {
        "1a.1b": "%",
        "3.1a": "%",
        "1a.4": "dygn",
        "2a.2": "st",
        "2b.1": "",
        "2b.2": "%",
    }
    assert questionnaire.indicator("2b.2").targets == (
        Target(50.5, date(2024, 12, 31)),
        Target(100, date(2026, 12, 31)),
    )
    assert base.indicator("1a.1b").targets[-1] == Target(100, None)
    assert base.indicator("1a.5").per_organisation is True
    assert base.indicator("1b.2a").per_organisation is False


def test_it_orders_options_and_audiences_as_the_vocabulary_does() -> None:
    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    assert questionnaire.indicator("3.1a").options == ("atgard_plan", "ofrivillig_ensamhet")
    reordered = ALIASES.replace(
        "[Kommunal primärvård, vårdcentral, Sjukhus/slutenvård]",
        "[Sjukhus/slutenvård, kommun, vårdcentral, kommun]",
    ).replace(
        "options: [ofrivillig_ensamhet, atgard_plan]", "options: [atgard_plan, ofrivillig_ensamhet]"
    )
    assert parse_questionnaire(reordered, "x.yaml").content_hash == questionnaire.content_hash


QUESTION_KEYS = {"id", "type", "text", "required", "choices", "audience", "show_if"}
INDICATOR_KEYS = {
    "id",
    "title",
    "area",
    "question",
    "measure",
    "options",
    "population",
    "per_organisation",
    "direction",
    "unit",
    "targets",
}


def test_it_gives_the_normalised_json_with_the_documented_keys() -> None:
    data = parse_questionnaire(ALIASES, "alias.yaml").to_json()
    assert {"id", "version", "title", "sections", "indicators"} <= data.keys()
    for section in data["sections"]:
        assert {"id", "title", "questions"} <= section.keys()
        for question in section["questions"]:
            assert question.keys() >= QUESTION_KEYS
            for choice in question["choices"]:
                assert set(choice) == {"value", "label"}
    for indicator in data["indicators"]:
        assert indicator.keys() >= INDICATOR_KEYS
        for target in indicator["targets"]:
            assert set(target) == {"date", "value"}
    vilka = data["sections"][0]["questions"][1]
    assert vilka["type"] == "multiple_choice"
    assert vilka["show_if"] == {"question": "fraga", "answers": ["ja"]}
    assert vilka["audience"] == ["kommun", "regional_pv", "slutenvard"]
    percent = data["indicators"][-1]
    assert percent["targets"] == [
        {"date": "2024-12-31", "value": 50.5},
        {"date": "2026-12-31", "value": 100},
    ]
    assert isinstance(percent["targets"][1]["value"], int)
    assert data["indicators"][0]["population"] == "all"
    assert data["indicators"][1]["population"] == "regional_pv"


def test_it_hashes_content_not_layout_or_comments() -> None:
    relaid = "# Provenkät: en kommentar\n" + BASE.replace(
        "        choices: [Fallrisk, Undernäring, Ofrivillig ensamhet]\n",
        "        choices:      # plain labels\n"
        "          - Fallrisk\n          - Undernäring\n          - Ofrivillig ensamhet\n",
    ).replace("version: 1\n", "version: '1'\n").replace("type: yes_no", "type: ja_nej")
    assert (
        parse_questionnaire(relaid, "a.yaml").content_hash
        == parse_questionnaire(BASE, "b.yaml").content_hash
    )
    changed = BASE.replace("text: Kommentar", "text: Kommentar?")
    assert (
        parse_questionnaire(changed, "c.yaml").content_hash
        != parse_questionnaire(BASE, "b.yaml").content_hash
    )


def test_it_round_trips_through_json() -> None:
    from survey.questionnaires.model import Questionnaire

    questionnaire = parse_questionnaire(ALIASES, "alias.yaml")
    assert Questionnaire.from_json(questionnaire.to_json()) == questionnaire


def documented_example() -> str:
    found = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, "docs/questionnaire-format.md has no ```yaml block"
    return found.group(1)


def test_it_accepts_the_documented_example() -> None:
    questionnaire = parse_questionnaire(documented_example(), "docs/questionnaire-format.md")
    assert questionnaire.id == "exempel-enkat"
    assert len(questionnaire.sections) == 2
    assert questionnaire.question("omraden").choice_values == (
        "suicidprevention",
        "ofrivillig_ensamhet",
        "fallrisk",
        "undernaring",
    )
    assert questionnaire.indicator("1a.5").population is OrganisationType.KOMMUN
    assert questionnaire.indicator("1b.2a").targets == (Target(100, None),)


def test_it_keeps_the_documented_errors_true() -> None:
    """The two example error lines in the doc are what `check` prints for such mistakes."""
    text = documented_example()
    doc = DOC.read_text(encoding="utf-8")
    for old, new in [
        ("        not_applicable: true", "        requried: true"),
        ("    question: sip_utbildning", "    question: sip_okning"),
    ]:
        assert text.count(old) == 1
        [error] = errors_of(text.replace(old, new), "questionnaires/exempel.yaml")
        assert f"\n{error}\n" in doc
