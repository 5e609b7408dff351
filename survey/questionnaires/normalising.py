"""Stage 2: turn the located YAML tree into typed drafts, resolving every alias.

This stage knows the shape of the format: the `Schema` of each kind of mapping (the keys it
takes), which type each key's value has (text, true/false, number, list, date), and the
accepted spellings of question types, measures, directions and organisation types. Plain-label
choices get a value made from the label. The reading itself, reporting unknown, duplicate and
missing keys and values of the wrong type, is `survey.questionnaires.fields`. The rules between
values (ids, references, ranges) are checked by the next stage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from survey.organisations import (
    ORGANISATION_TYPE_LABELS,
    OrganisationType,
    normalise_word,
    parse_organisation_type,
)
from survey.questionnaires.drafts import (
    Audience,
    ChoiceDraft,
    ConditionDraft,
    IndicatorDraft,
    Located,
    QuestionDraft,
    QuestionnaireDraft,
    SectionDraft,
    TargetDraft,
)
from survey.questionnaires.errors import Issues
from survey.questionnaires.fields import (
    Fields,
    Schema,
    alias_key,
    did_you_mean,
    not_a_mapping,
)
from survey.questionnaires.model import Direction, Measure, QuestionType
from survey.questionnaires.reading import YamlMap, YamlNode, YamlScalar, describe

QUESTION_TYPE_ALIASES: dict[str, QuestionType] = {
    **{str(kind): kind for kind in QuestionType},
    "ja_nej": QuestionType.YES_NO,
    "enval": QuestionType.SINGLE_CHOICE,
    "flerval": QuestionType.MULTIPLE_CHOICE,
    "skala": QuestionType.SCALE,
    "procent": QuestionType.PERCENT,
    "tal": QuestionType.NUMBER,
    "kort_text": QuestionType.SHORT_TEXT,
    "lang_text": QuestionType.LONG_TEXT,
    "fritext": QuestionType.LONG_TEXT,
    "datum": QuestionType.DATE,
    "vecka": QuestionType.WEEK,
}

MEASURE_ALIASES: dict[str, Measure] = {
    **{str(measure): measure for measure in Measure},
    "andel_ja": Measure.SHARE_YES,
    "medelvarde": Measure.MEAN,
    "andel_val": Measure.SHARE_OF_OPTIONS,
    "antal": Measure.COUNT,
    "ingen": Measure.NONE,
}

DIRECTION_ALIASES: dict[str, Direction] = {
    **{str(direction): direction for direction in Direction},
    "minst": Direction.AT_LEAST,
    "hogst": Direction.AT_MOST,
    "okning": Direction.INCREASE,
    "minskning": Direction.DECREASE,
}

EVERYONE_SPELLINGS = frozenset({"all", "alla"})


def slug(label: str) -> str:
    """Make a choice value from a label: lower-case, å/ä→a, ö→o, other characters → _."""
    decomposed = unicodedata.normalize("NFKD", label.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


# -- the keys of each kind of mapping --------------------------------------------------

AUDIENCE_EXAMPLE = "write e.g. 'audience: [kommun, regional_pv]'"

TOP = Schema(
    "questionnaire",
    {
        "id": "add e.g. 'id: nv-arlig-enkat' (lower-case letters, digits and hyphens)",
        "version": "add 'version: 1'",
        "title": "add 'title: …' with the questionnaire's name",
        "sections": "add 'sections:' with at least one section",
    },
    ("language", "intro", "indicators", "min_responses", "notes"),
    lists={
        "sections": "start each section on its own line with '- id: …'",
        "indicators": "start each indicator on its own line with '- id: …'",
    },
)
SECTION = Schema(
    "section",
    {
        "id": "add e.g. 'id: sip' (lower-case letters, digits and underscore)",
        "title": "add 'title: …' (the section's heading)",
        "questions": "add 'questions:' with at least one question",
    },
    ("intro", "audience"),
    lists={
        "questions": "start each question on its own line with '- id: …'",
        "audience": AUDIENCE_EXAMPLE,
    },
)
QUESTION = Schema(
    "question",
    {
        "id": "add e.g. 'id: sip_okning' (lower-case letters, digits and underscore)",
        "type": f"add 'type: …', one of: {', '.join(QuestionType)}",
        "text": "add 'text: …' with the question as the respondent reads it",
    },
    (
        "help",
        "required",
        "choices",
        "not_applicable",
        "min",
        "max",
        "decimals",
        "unit",
        "max_length",
        "not_before",
        "audience",
        "show_if",
    ),
    lists={
        "choices": "write each choice on its own line starting with '- ', e.g. '- Mycket nöjd'",
        "audience": AUDIENCE_EXAMPLE,
    },
)
CHOICE = Schema("choice", {"label": "add 'label: …' (the text the respondent sees)"}, ("value",))
CONDITION = Schema(
    "show_if",
    {"question": "add 'question: ID' naming an earlier choice question"},
    ("equals", "in"),
    lists={"in": "write e.g. 'in: [ja, ej_aktuellt]'"},
)
INDICATOR = Schema(
    "indicator",
    {
        "id": "add e.g. 'id: 1a.1b' (the plan's numbering)",
        "title": "add 'title: …' (the indicator as the plan words it)",
        "area": "add e.g. 'area: 1a Samordnad individuell plan, SIP'",
        "question": "add 'question: ID' naming the question it is measured by",
        "measure": f"add 'measure: …', one of: {', '.join(Measure)}",
    },
    (
        "options",
        "population",
        "per_organisation",
        "direction",
        "unit",
        "goal",
        "targets",
        "min_responses",
    ),
    lists={
        "options": "write e.g. 'options: [ganska_nojd, mycket_nojd]'",
        "targets": "write e.g. 'targets: [{date: 2025-12-31, value: 75}]'",
    },
)
TARGET = Schema(
    "target", {"value": "add 'value: …', e.g. {date: 2025-12-31, value: 75}"}, ("date",)
)


def _name_from_id(node: YamlMap, named: Callable[[str], str], fallback: str) -> str:
    entry = node.get("id")
    if entry is not None and isinstance(entry.value, YamlScalar) and entry.value.text.strip():
        return named(entry.value.text.strip())
    return fallback


# -- organisation types -----------------------------------------------------------------

_ORGANISATION_WORDS = {
    **{str(kind): str(kind) for kind in OrganisationType},
    **{normalise_word(label): str(kind) for kind, label in ORGANISATION_TYPE_LABELS.items()},
}


def _organisation_hint(word: str, extra: str = "") -> str:
    close = did_you_mean(normalise_word(word), _ORGANISATION_WORDS)
    codes = ", ".join(OrganisationType)
    if close is not None:
        suggestion = _ORGANISATION_WORDS[close]
        return f"did you mean '{suggestion}'? The organisation types are: {codes}{extra}"
    return f"use one of: {codes}{extra}"


def _audience(fields: Fields) -> Located[Audience] | None:
    words = fields.words("audience")
    if words is None:
        return None
    kinds: set[OrganisationType] = set()
    unknown = False
    for word in words.value:
        kind = parse_organisation_type(word.value)
        if kind is None:
            everyone = (
                " (remove 'audience' to ask everyone)"
                if alias_key(word.value) in EVERYONE_SPELLINGS
                else ""
            )
            fields.issues.add(
                word.line,
                f"{fields.context}: unknown organisation type '{word.value}' in audience",
                _organisation_hint(word.value, everyone),
            )
            unknown = True
        else:
            kinds.add(kind)
    if unknown:
        return None  # reported; an audience with a word left out would only mislead later rules
    # Order by the vocabulary, not by the file: the order written carries no meaning.
    return Located(tuple(kind for kind in OrganisationType if kind in kinds), words.line)


def _population(fields: Fields) -> Located[OrganisationType | None] | None:
    word = fields.text("population")
    if word is None:
        return None
    if alias_key(word.value) in EVERYONE_SPELLINGS:
        return Located(None, word.line)
    kind = parse_organisation_type(word.value)
    if kind is None:
        fields.issues.add(
            word.line,
            f"{fields.context}: unknown population '{word.value}'",
            _organisation_hint(word.value, ", or all"),
        )
        return None
    return Located(kind, word.line)


# -- the stages per kind of mapping ------------------------------------------------------


def normalise(root: YamlNode | None, issues: Issues) -> QuestionnaireDraft | None:
    """Read the whole questionnaire; None when the file is not a mapping at all."""
    if root is None:
        issues.add(
            1,
            "the file is empty",
            "start with id, version, title and sections (see docs/questionnaire-format.md)",
        )
        return None
    if not isinstance(root, YamlMap):
        issues.add(
            root.line,
            f"the file must be a mapping of keys (id:, version:, …), not {describe(root)}",
            "start with 'id: …' on the first line, without '- ' in front",
        )
        return None
    fields = Fields(root, TOP, "the questionnaire", issues)
    sections = fields.items("sections")
    indicators = fields.items("indicators")
    return QuestionnaireDraft(
        line=root.line,
        id=fields.text("id"),
        version=fields.text("version"),
        title=fields.text("title"),
        language=fields.text("language"),
        intro=fields.text("intro"),
        sections=None
        if sections is None
        else Located(
            tuple(_section(node, number, issues) for number, node in enumerate(sections.value, 1)),
            sections.line,
        ),
        indicators=None
        if indicators is None
        else Located(
            tuple(
                _indicator(node, number, issues) for number, node in enumerate(indicators.value, 1)
            ),
            indicators.line,
        ),
        min_responses=fields.whole_number("min_responses"),
        notes=fields.text("notes"),
    )


def _section(node: YamlNode, number: int, issues: Issues) -> SectionDraft:
    fallback = f"section {number}"
    if not isinstance(node, YamlMap):
        not_a_mapping(
            node, fallback, "start each section with '- id: …' and indent its keys", issues
        )
        return SectionDraft(node.line, fallback)
    name = _name_from_id(node, lambda id_: f"section '{id_}'", fallback)
    fields = Fields(node, SECTION, name, issues)
    questions = fields.items("questions")
    return SectionDraft(
        line=node.line,
        name=name,
        id=fields.text("id"),
        title=fields.text("title"),
        intro=fields.text("intro"),
        audience=_audience(fields),
        questions=None
        if questions is None
        else Located(
            tuple(
                _question(item, index, name, issues)
                for index, item in enumerate(questions.value, 1)
            ),
            questions.line,
        ),
    )


def _question(node: YamlNode, number: int, section_name: str, issues: Issues) -> QuestionDraft:
    fallback = f"question {number} of {section_name}"
    if not isinstance(node, YamlMap):
        not_a_mapping(
            node, fallback, "start each question with '- id: …' and indent its keys", issues
        )
        return QuestionDraft(node.line, fallback)
    name = _name_from_id(node, lambda id_: f"question '{id_}'", fallback)
    fields = Fields(node, QUESTION, name, issues)
    return QuestionDraft(
        line=node.line,
        name=name,
        id=fields.text("id"),
        type=fields.alias("type", QUESTION_TYPE_ALIASES, "question types"),
        text=fields.text("text"),
        help=fields.text("help"),
        required=fields.boolean("required"),
        choices=_choices(fields, name),
        not_applicable=fields.boolean("not_applicable"),
        minimum=fields.number("min"),
        maximum=fields.number("max"),
        decimals=fields.whole_number("decimals"),
        unit=fields.text("unit"),
        max_length=fields.whole_number("max_length"),
        not_before=fields.text("not_before"),
        audience=_audience(fields),
        show_if=_condition(fields, name),
        written=fields.written,
    )


def _choices(fields: Fields, question_name: str) -> Located[tuple[ChoiceDraft, ...]] | None:
    items = fields.items("choices")
    if items is None:
        return None
    return Located(
        tuple(
            _choice(item, f"choice {number} of {question_name}", fields.issues)
            for number, item in enumerate(items.value, 1)
        ),
        items.line,
    )


def _choice(node: YamlNode, name: str, issues: Issues) -> ChoiceDraft:
    if isinstance(node, YamlScalar) and not node.is_null and node.text.strip():
        plain = Located(node.text.strip(), node.line)
        return ChoiceDraft(node.line, _value_from_label(plain, name, issues), plain)
    if not isinstance(node, YamlMap):
        issues.add(
            node.line,
            f"{name} must be a label or {{value: …, label: …}}, not {describe(node)}",
            "write e.g. '- Mycket nöjd' or '- {value: mycket_nojd, label: Mycket nöjd}'",
        )
        return ChoiceDraft(node.line, None, None)
    fields = Fields(node, CHOICE, name, issues)
    label = fields.text("label")
    value = fields.text("value")
    if value is None and fields.entry("value") is None and label is not None:
        value = _value_from_label(label, name, issues)
    return ChoiceDraft(node.line, value, label)


def _value_from_label(label: Located[str], name: str, issues: Issues) -> Located[str] | None:
    value = slug(label.value)
    if not value:
        issues.add(
            label.line,
            f"{name}: no value can be made from the label '{label.value}'",
            f"give the value explicitly: {{value: …, label: '{label.value}'}}",
        )
        return None
    return Located(value, label.line)


def _condition(fields: Fields, question_name: str) -> ConditionDraft | None:
    entry = fields.entry("show_if")
    if entry is None:
        return None
    name = f"show_if of {question_name}"
    if not isinstance(entry.value, YamlMap):
        fields.issues.add(
            entry.key_line,
            f"{name} must be a mapping, not {describe(entry.value)}",
            "write e.g. 'show_if: {question: sip_okning, equals: ja}'",
        )
        return None
    condition = Fields(entry.value, CONDITION, name, fields.issues)
    return ConditionDraft(
        line=entry.key_line,
        question=condition.text("question"),
        equals=condition.text("equals"),
        any_of=condition.words("in"),
    )


def _indicator(node: YamlNode, number: int, issues: Issues) -> IndicatorDraft:
    fallback = f"indicator {number}"
    if not isinstance(node, YamlMap):
        not_a_mapping(
            node, fallback, "start each indicator with '- id: …' and indent its keys", issues
        )
        return IndicatorDraft(node.line, fallback)
    name = _name_from_id(node, lambda id_: f"indicator {id_}", fallback)
    fields = Fields(node, INDICATOR, name, issues)
    targets = fields.items("targets")
    return IndicatorDraft(
        line=node.line,
        name=name,
        id=fields.text("id"),
        title=fields.text("title"),
        area=fields.text("area"),
        question=fields.text("question"),
        measure=fields.alias("measure", MEASURE_ALIASES, "measures"),
        options=fields.words("options"),
        population=_population(fields),
        per_organisation=fields.boolean("per_organisation"),
        direction=fields.alias("direction", DIRECTION_ALIASES, "directions"),
        unit=fields.text("unit"),
        goal=fields.text("goal"),
        targets=None
        if targets is None
        else Located(
            tuple(
                _target(item, f"target {index} of {name}", issues)
                for index, item in enumerate(targets.value, 1)
            ),
            targets.line,
        ),
        min_responses=fields.whole_number("min_responses"),
        written=fields.written,
    )


def _target(node: YamlNode, name: str, issues: Issues) -> TargetDraft:
    if not isinstance(node, YamlMap):
        not_a_mapping(node, name, "write e.g. '- {date: 2025-12-31, value: 75}'", issues)
        return TargetDraft(node.line, name, None, None, has_date_key=True)
    fields = Fields(node, TARGET, name, issues)
    return TargetDraft(
        line=node.line,
        name=name,
        date=fields.iso_date("date", or_else="or remove 'date:' for a target that always applies"),
        value=fields.number("value"),
        has_date_key=fields.entry("date") is not None,
    )
