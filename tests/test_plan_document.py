"""The plan as a declared document: every indicator of seed 001, and file:line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from survey.errors import ErrorCode
from survey.plans.document import check_question_indicators, parse_plan, read_plan_file
from survey.plans.model import AnswerKind, Direction, Method, Population
from survey.questionnaires.errors import QuestionnaireInvalid
from survey.questionnaires.parsing import read_questionnaire_file
from tests.plan_helpers import PLAN_FILE, plan_text, revision_21

ROOT = Path(__file__).resolve().parents[1]

# Every indicator of seed 001, by the plan's numbering, read row by row (page breaks included).
SEED_001_IDS = [
    "1a.1a", "1a.1b", "1a.1c", "1a.2-1", "1a.2-2", "1a.2-3", "1a.3a", "1a.3b", "1a.3c",
    "1a.3d", "1a.3e", "1a.4", "1a.5", "1a.6a", "1a.6b", "1a.7",
    "1b.1a", "1b.1b", "1b.1c", "1b.2a", "1b.2b", "1b.2c",
    "1c.1", "1d.1", "1d.2a", "1d.2b",
    "2a.1a", "2a.1b", "2a.2", "2b.1a", "2b.1b", "2b.1c",
    "3.1a", "3.1b", "3.2a", "3.2b", "3.2c", "3.2d", "3.3a", "3.3b",
    "4.1", "4.2", "5.1a", "5.1b", "5.1c", "5.2",
    "6.1-1", "6.1-2", "6.2a", "6.2b",
]  # fmt: skip


def test_it_holds_every_indicator_of_seed_001_in_the_plans_order() -> None:
    plan, _ = read_plan_file(PLAN_FILE)
    assert [indicator.id for indicator in plan.indicators] == SEED_001_IDS
    assert (plan.id, plan.version, plan.delregion, plan.revised) == (
        "nv-aktivitetsplan",
        "2.0",
        "NV",
        date(2026, 4, 17),
    )


def test_its_enkat_indicators_are_exactly_those_of_the_questionnaire() -> None:
    plan, _ = read_plan_file(PLAN_FILE)
    questionnaire = read_questionnaire_file(ROOT / "questionnaires" / "nv-arlig-enkat.yaml")
    enkat = [indicator for indicator in plan.indicators if indicator.method is Method.ENKAT]
    assert len(enkat) == 23
    assert {i.question_indicator for i in enkat} == {i.id for i in questionnaire.indicators}
    assert all(
        i.question_indicator is None for i in plan.indicators if i.method is not Method.ENKAT
    )
    assert check_question_indicators(plan, {"1a.1a"}, "x.yaml")  # a wrong id is reported


def test_it_reads_methods_targets_and_populations_as_the_seed_says() -> None:
    plan, _ = read_plan_file(PLAN_FILE)
    readmissions = plan.indicator("1a.3d")
    assert readmissions is not None
    assert (readmissions.method, readmissions.answer) == (Method.QV, AnswerKind.RATE)
    assert [t.as_json() for t in readmissions.targets] == [
        {"date": "2025-12-31", "value": 12.0, "direction": "at_most"}
    ]
    days = plan.indicator("1a.3e")
    assert days is not None and days.answer is AnswerKind.DAYS and days.targets[0].value == 1.7
    contracts = plan.indicator("1c.1")
    assert contracts is not None
    assert (contracts.method, contracts.population) == (Method.PROCESSLEDARE, Population.KOMMUNER)
    network = plan.indicator("3.3a")
    assert network is not None and network.targets[0].direction is Direction.DONE
    assert plan.indicator("1d.2a").method is Method.PUNKTPREVALENS  # type: ignore[union-attr]
    assert plan.indicator("2b.1b").targets[0].direction is Direction.INCREASE  # type: ignore[union-attr]
    # Responsible split across a page break (2b.1) is read whole.
    assert plan.indicator("2b.1a").responsible == (  # type: ignore[union-attr]
        "Verksamhetsansvariga inom psykiatri samt regional och kommunal PV"
    )
    bare = [(area.id, activity.text[:20]) for area, activity in plan.activities_without_indicator()]
    assert bare == [("4", "Säkerställa genomför"), ("5", "Tidiga samordnade in")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("method: qv\n            answer: rate", "method: qvv\n            answer: rate"),
            "unknown method 'qvv' — did you mean 'qv'?",
        ),
        (
            ("id: 1a.3d", "id: 1b.3d"),
            "indicator id '1b.3d' does not follow the plan's numbering in area 1a",
        ),
        (("id: 1a.3e", "id: 1a.3d"), "indicator id '1a.3d' is used twice"),
        (
            (
                "{date: 2025-12-31, value: 12, direction: at_most}",
                "{date: 2025-12-31, direction: at_most}",
            ),
            "is 'at_most' but has no value",
        ),
        (
            ("            question_indicator: 1a.4\n", ""),
            "is measured by the enkät but names no question_indicator",
        ),
        (("delregion: NV", "delregion: XX"), "unknown delregion 'XX'"),
        (
            (
                "            population: delregion\n            goal: Under 12%",
                "            populaton: delregion\n            goal: Under 12%",
            ),
            "unknown key 'populaton'",
        ),
    ],
)
def test_it_reports_each_error_with_file_and_line(change: tuple[str, str], expected: str) -> None:
    old, new = change
    text = plan_text()
    assert old in text
    broken = text.replace(old, new, 1)
    with pytest.raises(QuestionnaireInvalid) as caught:
        parse_plan(broken, "plans/nv.yaml")
    assert caught.value.code is ErrorCode.PLAN_INVALID
    messages = [str(error) for error in caught.value.errors]
    assert any(expected in message for message in messages), messages
    line = next(error.line for error in caught.value.errors if expected in str(error))
    assert line > 0 and str(caught.value.errors[0]).startswith("plans/nv.yaml:")


def test_an_unreadable_plan_file_has_its_own_code() -> None:
    with pytest.raises(QuestionnaireInvalid) as caught:
        parse_plan("id: [nv\n", "plans/nv.yaml")
    assert caught.value.code is ErrorCode.PLAN_UNREADABLE
    assert str(caught.value).startswith("plans/nv.yaml:1:")


def test_a_revision_changes_a_target_and_wording() -> None:
    revised = parse_plan(revision_21(), "plans/nv-2.1.yaml")
    assert revised.version == "2.1" and revised.in_force_from == date(2026, 6, 1)
    indicator = revised.indicator("1a.3d")
    assert indicator is not None and [t.value for t in indicator.targets] == [12.0, 11.0]
