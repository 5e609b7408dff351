"""Read a plan file into the model, reporting every error with its file and line at once.

The same machinery as the questionnaires: `reading` gives the located YAML tree, `fields`
reads each mapping against its `Schema` (unknown, duplicate and missing keys, wrong types,
aliases), errors are `QuestionnaireError`s printed ``FILE:LINE: message — hint``. The rules
between values (ids unique and numbered by their area, targets in date order, a target's
value where its direction needs one, organisations for per-organisation indicators) are
checked here, after reading.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from survey.errors import ErrorCode
from survey.organisations import parse_delregion
from survey.plans.model import (
    Activity,
    AnswerKind,
    Area,
    Direction,
    Method,
    Plan,
    PlanIndicator,
    PlanTarget,
    Population,
)
from survey.questionnaires.drafts import Located
from survey.questionnaires.errors import Issues, QuestionnaireError, QuestionnaireInvalid
from survey.questionnaires.fields import Fields, Schema, alias_key, not_a_mapping
from survey.questionnaires.parsing import read_questionnaire_text
from survey.questionnaires.reading import YamlList, YamlMap, YamlNode, YamlUnreadable, read_yaml

PLAN = Schema(
    "plan",
    required={
        "id": "add 'id: nv-aktivitetsplan' (the plan's id, the same in every version)",
        "version": "add 'version: \"2.0\"'",
        "title": "add 'title: …' (the plan's name)",
        "delregion": "add 'delregion: NV'",
        "in_force_from": "add 'in_force_from: 2024-09-01' (the date this version applies from)",
        "areas": "add 'areas:' with the plan's areas",
    },
    optional=("revised", "questionnaire", "organisations"),
    lists={"areas": "write 'areas:' followed by '- id: 1a' items"},
)
AREA = Schema(
    "area",
    required={"id": "add 'id: 1a'", "title": "add 'title: …'", "activities": "add 'activities:'"},
    optional=("group", "intro"),
)
ACTIVITY = Schema(
    "activity",
    required={"text": "add 'text: …' (what the activity is)"},
    optional=("number", "timeplan", "responsible", "indicators"),
)
INDICATOR = Schema(
    "indicator",
    required={
        "id": "add 'id: 1a.3d' (area, a dot, the indicator's label)",
        "text": "add 'text: …' (the indicator as the plan words it)",
        "method": "add 'method: qv' (how it is measured)",
        "answer": "add 'answer: yes_no' (yes_no, share, rate, days, count, text)",
        "population": "add 'population: delregion' (kommuner, sjukhus, vardcentraler, "
        "enheter, delregion)",
    },
    optional=("method_text", "goal", "targets", "question_indicator"),
)
TARGET = Schema(
    "target", required={"direction": "add 'direction: at_least'"}, optional=("date", "value")
)

METHOD_ALIASES: dict[str, Method] = {
    **{str(method): method for method in Method},
    "enkät": Method.ENKAT,
    "arlig_enkat": Method.ENKAT,
    "uttag_qv": Method.QV,
    "qv_system": Method.QV,
}
ANSWER_ALIASES: dict[str, AnswerKind] = {
    **{str(kind): kind for kind in AnswerKind},
    "ja_nej": AnswerKind.YES_NO,
    "andel": AnswerKind.SHARE,
    "procent": AnswerKind.SHARE,
    "kvot": AnswerKind.RATE,
    "dygn": AnswerKind.DAYS,
    "antal": AnswerKind.COUNT,
    "fritext": AnswerKind.TEXT,
}
POPULATION_ALIASES: dict[str, Population] = {
    **{str(kind): kind for kind in Population},
    "units": Population.ENHETER,
    "verksamheter": Population.ENHETER,
    "hela_delregionen": Population.DELREGION,
}
DIRECTION_ALIASES: dict[str, Direction] = {
    **{str(kind): kind for kind in Direction},
    "minst": Direction.AT_LEAST,
    "hogst": Direction.AT_MOST,
    "okning": Direction.INCREASE,
    "minskning": Direction.DECREASE,
    "klart": Direction.DONE,
    "genomfort": Direction.DONE,
}
E = TypeVar("E", bound=StrEnum)


def _with_keys(aliases: dict[str, E]) -> dict[str, E]:
    """The aliases also under the form they are looked up by (accents stripped, _ for spaces)."""
    return {**{alias_key(word): value for word, value in aliases.items()}, **aliases}


METHOD_ALIASES = _with_keys(METHOD_ALIASES)
ANSWER_ALIASES = _with_keys(ANSWER_ALIASES)
POPULATION_ALIASES = _with_keys(POPULATION_ALIASES)
DIRECTION_ALIASES = _with_keys(DIRECTION_ALIASES)

PLAN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
AREA_ID = re.compile(r"\d+[a-z]?")
INDICATOR_LABEL = re.compile(r"\d+[a-z]?(-\d+)?")


def parse_plan(text: str, source: str) -> Plan:
    """The plan in `text`; raises QuestionnaireInvalid listing every error."""
    issues = Issues()
    try:
        root = read_yaml(text)
    except YamlUnreadable as exc:
        raise QuestionnaireInvalid(
            [exc.issue.for_source(source)], code=ErrorCode.PLAN_UNREADABLE
        ) from None
    plan = _plan(root, issues)
    if issues or plan is None:
        raise QuestionnaireInvalid(
            [issue.for_source(source) for issue in issues], code=ErrorCode.PLAN_INVALID
        )
    return plan


def read_plan_file(path: Path) -> tuple[Plan, str]:
    """Read and check a plan file; the plan and its text. Raises QuestionnaireInvalid."""
    text = read_questionnaire_text(path)
    return parse_plan(text, str(path)), text


def _text(fields: Fields, key: str) -> str:
    found = fields.text(key)
    return "" if found is None else found.value


def _plan(root: YamlNode | None, issues: Issues) -> Plan | None:
    if not isinstance(root, YamlMap):
        issues.add(
            1,
            "a plan file must be a mapping of keys",
            "start with 'id: …', see docs/plan-format.md",
        )
        return None
    fields = Fields(root, PLAN, "the plan", issues)
    plan_id = fields.text("id")
    if plan_id is not None and not PLAN_ID.fullmatch(plan_id.value):
        issues.add(
            plan_id.line,
            f"plan id '{plan_id.value}' is not a plain id",
            "use lower-case letters, digits and '-'",
        )
    delregion_text = fields.text("delregion")
    delregion = None
    if delregion_text is not None:
        delregion = parse_delregion(delregion_text.value)
        if delregion is None:
            issues.add(
                delregion_text.line,
                f"unknown delregion '{delregion_text.value}'",
                "write a delregion code such as NV or NO",
            )
    in_force = fields.iso_date("in_force_from")
    revised = fields.iso_date("revised")
    organisations = _organisations(fields, issues)
    areas: list[Area] = []
    indicators: list[PlanIndicator] = []
    seen: dict[str, int] = {}
    found = fields.items("areas")
    if found is not None and not found.value:
        issues.add(found.line, "the plan has no areas", "add at least one area under 'areas:'")
    for node in () if found is None else found.value:
        area = _area(node, issues, indicators, seen)
        if area is not None:
            areas.append(area)
    for indicator in indicators:
        counted = indicator.population.per_organisation and indicator.answer is AnswerKind.YES_NO
        # Vårdcentraler change too often to list: their share is recorded as a number.
        listed = organisations.get(str(indicator.population))
        if counted and indicator.population is not Population.VARDCENTRALER and not listed:
            issues.add(
                indicator.line,
                f"indicator {indicator.id} counts {indicator.population}, the plan lists none",
                f"add 'organisations: {{{indicator.population}: [ … ]}}' to the plan",
            )
    questionnaire = fields.text("questionnaire")
    if issues or plan_id is None or delregion is None or in_force is None:
        return None
    return Plan(
        id=plan_id.value,
        version=_text(fields, "version"),
        title=_text(fields, "title"),
        delregion=delregion,
        revised=in_force.value if revised is None else revised.value,
        in_force_from=in_force.value,
        questionnaire=None if questionnaire is None else questionnaire.value,
        organisations=organisations,
        areas=tuple(areas),
        indicators=tuple(indicators),
    )


def _organisations(fields: Fields, issues: Issues) -> dict[str, tuple[str, ...]]:
    entry = fields.entry("organisations")
    if entry is None:
        return {}
    if not isinstance(entry.value, YamlMap):
        not_a_mapping(
            entry.value, "'organisations'", "write 'organisations: {kommuner: [Bjuv, …]}'", issues
        )
        return {}
    kinds = Schema("organisations", required={}, optional=("kommuner", "sjukhus", "vardcentraler"))
    inner = Fields(entry.value, kinds, "'organisations'", issues)
    result: dict[str, tuple[str, ...]] = {}
    for key in kinds.optional:
        words = inner.words(key)
        if words is not None:
            names = tuple(word.value for word in words.value)
            if len(set(names)) != len(names):
                issues.add(
                    words.line,
                    f"'organisations: {key}' names an organisation twice",
                    "list each once",
                )
            result[key] = names
    return result


def _area(
    node: YamlNode, issues: Issues, indicators: list[PlanIndicator], seen: dict[str, int]
) -> Area | None:
    if not isinstance(node, YamlMap):
        not_a_mapping(node, "an area", "write '- id: 1a' and 'title: …' on the lines below", issues)
        return None
    fields = Fields(node, AREA, "an area", issues)
    area_id = fields.text("id")
    if area_id is None:
        return None
    if not AREA_ID.fullmatch(area_id.value):
        issues.add(
            area_id.line,
            f"area id '{area_id.value}' is not the plan's numbering",
            "write the area number and its letter, e.g. 1a or 3",
        )
    context = f"area {area_id.value}"
    activities: list[Activity] = []
    found = fields.items("activities")
    for item in () if found is None else found.value:
        if not isinstance(item, YamlMap):
            not_a_mapping(
                item, f"an activity of {context}", "write '- number: \"1\"' and 'text: …'", issues
            )
            continue
        activities.append(_activity(item, area_id.value, issues, indicators, seen))
    return Area(
        id=area_id.value,
        title=_text(fields, "title"),
        group=_text(fields, "group"),
        intro=_text(fields, "intro"),
        activities=tuple(activities),
    )


def _activity(
    node: YamlMap,
    area_id: str,
    issues: Issues,
    indicators: list[PlanIndicator],
    seen: dict[str, int],
) -> Activity:
    number = None
    fields = Fields(node, ACTIVITY, f"an activity of area {area_id}", issues)
    found_number = fields.text("number")
    if found_number is not None:
        number = found_number.value
    text = _text(fields, "text")
    responsible = _text(fields, "responsible")
    ids: list[str] = []
    found = fields.items("indicators")
    for item in () if found is None else found.value:
        indicator = _indicator(item, area_id, text, responsible, issues)
        if indicator is None:
            continue
        if indicator.id in seen:
            issues.add(
                indicator.line,
                f"indicator id '{indicator.id}' is used twice",
                f"the other is on line {seen[indicator.id]}; give each its own id",
            )
            continue
        seen[indicator.id] = indicator.line
        indicators.append(indicator)
        ids.append(indicator.id)
    return Activity(number, text, _text(fields, "timeplan"), responsible, tuple(ids))


def _indicator(
    node: YamlNode, area_id: str, activity: str, responsible: str, issues: Issues
) -> PlanIndicator | None:
    if not isinstance(node, YamlMap):
        not_a_mapping(
            node,
            f"an indicator of area {area_id}",
            "write '- id: …' with text, method, answer and population",
            issues,
        )
        return None
    fields = Fields(node, INDICATOR, f"an indicator of area {area_id}", issues)
    found_id = fields.text("id")
    if found_id is not None:
        prefix, _, label = found_id.value.partition(".")
        if prefix != area_id or not INDICATOR_LABEL.fullmatch(label):
            issues.add(
                found_id.line,
                f"indicator id '{found_id.value}' does not follow the plan's numbering "
                f"in area {area_id}",
                f"write '{area_id}.' and the indicator's label, "
                f"e.g. {area_id}.1a, {area_id}.4 or {area_id}.2-1",
            )
            found_id = None
    context = f"indicator {found_id.value}" if found_id else f"an indicator of area {area_id}"
    fields.context = context
    method = fields.alias("method", METHOD_ALIASES, "methods")
    answer = fields.alias("answer", ANSWER_ALIASES, "answer kinds")
    population = fields.alias("population", POPULATION_ALIASES, "populations")
    text = fields.text("text")
    targets = _targets(fields, context, answer.value if answer else None, issues)
    question = fields.text("question_indicator")
    if method is not None and question is None and method.value is Method.ENKAT:
        issues.add(
            method.line,
            f"{context} is measured by the enkät but names no question_indicator",
            "add 'question_indicator: <id in the questionnaire>'",
        )
    if method is not None and question is not None and method.value is not Method.ENKAT:
        issues.add(
            question.line,
            f"{context} has a question_indicator but its method is {method.value}",
            "remove question_indicator, or set 'method: enkat'",
        )
    if None in (found_id, method, answer, population, text):
        return None
    assert found_id and method and answer and population and text
    return PlanIndicator(
        id=found_id.value,
        text=text.value,
        method=method.value,
        method_text=_text(fields, "method_text") or method.value.label,
        answer=answer.value,
        population=population.value,
        goal=_text(fields, "goal"),
        targets=targets,
        question_indicator=None if question is None else question.value,
        area_id=area_id,
        activity=activity,
        responsible=responsible,
        line=found_id.line,
    )


def _targets(
    fields: Fields, context: str, answer: AnswerKind | None, issues: Issues
) -> tuple[PlanTarget, ...]:
    found = fields.items("targets")
    targets: list[PlanTarget] = []
    last: Located[date] | None = None
    for node in () if found is None else found.value:
        if not isinstance(node, YamlMap):
            not_a_mapping(
                node,
                f"a target of {context}",
                "write '- {date: 2026-12-31, value: 100, direction: at_least}'",
                issues,
            )
            continue
        target = Fields(node, TARGET, f"a target of {context}", issues)
        direction = target.alias("direction", DIRECTION_ALIASES, "directions")
        when = target.iso_date("date")
        value = target.number("value")
        if direction is None:
            continue
        needs_value = direction.value in (Direction.AT_LEAST, Direction.AT_MOST)
        if needs_value and value is None and "value" not in target.written:
            issues.add(
                direction.line,
                f"a target of {context} is '{direction.value}' but has no value",
                "add 'value: 75'",
            )
            continue
        if not needs_value and value is not None:
            issues.add(
                value.line,
                f"a target of {context} is '{direction.value}' and takes no value",
                "remove 'value', or use at_least/at_most",
            )
            continue
        if direction.value is Direction.DONE and answer not in (None, AnswerKind.YES_NO):
            issues.add(
                direction.line,
                f"a 'done' target of {context} needs a Ja/Nej indicator",
                "set 'answer: yes_no', or give a value to reach",
            )
        if (
            value is not None
            and answer in (AnswerKind.SHARE, AnswerKind.RATE, AnswerKind.YES_NO)
            and not 0 <= value.value <= 100
        ):
            issues.add(
                value.line,
                f"a target of {context} is {value.value:g} %, outside 0–100",
                "write the share in percent, e.g. 75",
            )
        if when is not None and last is not None and when.value <= last.value:
            issues.add(
                when.line,
                f"the targets of {context} are not in date order",
                f"put {when.value} before {last.value} (line {last.line})",
            )
        if when is not None:
            last = when
        if direction.value is not Direction.DONE and needs_value and value is None:
            continue
        targets.append(
            PlanTarget(
                None if when is None else when.value,
                None if value is None else value.value,
                direction.value,
            )
        )
    return tuple(targets)


def check_question_indicators(plan: Plan, known: set[str], source: str) -> list[QuestionnaireError]:
    """Errors for enkät indicators naming an id the plan's questionnaire does not have."""
    return [
        QuestionnaireError(
            source,
            indicator.line,
            f"indicator {indicator.id} names question_indicator '{indicator.question_indicator}', "
            f"which questionnaire {plan.questionnaire} does not have",
            "use an id from the questionnaire's 'indicators:'",
        )
        for indicator in plan.indicators
        if indicator.question_indicator is not None and indicator.question_indicator not in known
    ]


__all__ = ["YamlList", "check_question_indicators", "parse_plan", "read_plan_file"]
