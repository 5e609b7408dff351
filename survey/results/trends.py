"""Results across rounds: the previous round, a round's results compared with it, and trends.

Rounds are compared when they are of the same questionnaire id (any version) and the
same delregion, and are open or closed (a draft has no answers). The previous round is
the one with the latest reference date before this round's. Indicators are matched by
id, so an indicator missing from an older version is simply missing there. A value
counted from fewer than ``min_responses`` answers is not compared (previous None, NaN in
a trend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import select

from survey.db import db
from survey.questionnaires.model import Indicator, Questionnaire
from survey.questionnaires.storage import questionnaire_of
from survey.results.attainment import IndicatorResult, compute_indicator_results
from survey.results.frame import load_recipients_frame, load_responses_frame
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Round, RoundState

COMPARED_STATES = (str(RoundState.OPEN), str(RoundState.CLOSED))


def comparable_rounds(questionnaire_id: str, delregion: str) -> list[Round]:
    """Open and closed rounds of the questionnaire (any version) in the delregion, oldest first."""
    statement = (
        select(Round)
        .join(Round.questionnaire_version)
        .where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            Round.delregion == delregion,
            Round.state.in_(COMPARED_STATES),
        )
        .order_by(Round.reference_date, Round.id)
    )
    return list(db.session.scalars(statement).unique())


def previous_round(round_: Round) -> Round | None:
    """The latest open or closed round of the same questionnaire and delregion dated earlier."""
    statement = (
        select(Round)
        .join(Round.questionnaire_version)
        .where(
            QuestionnaireVersion.questionnaire_id == round_.questionnaire_version.questionnaire_id,
            Round.delregion == round_.delregion,
            Round.state.in_(COMPARED_STATES),
            Round.reference_date < round_.reference_date,
            Round.id != round_.id,
        )
        .order_by(Round.reference_date.desc(), Round.id.desc())
        .limit(1)
    )
    return db.session.scalars(statement).unique().first()


def round_indicator_results(round_: Round, *, min_responses: int) -> list[IndicatorResult]:
    """Compute the round's indicators from its submitted responses, without comparison."""
    questionnaire = questionnaire_of(round_.questionnaire_version)
    responses = load_responses_frame(round_.id, questionnaire)
    return compute_indicator_results(
        questionnaire,
        responses,
        reference_date=round_.reference_date,
        min_responses=min_responses,
        recipients=load_recipients_frame(round_.id),
    )


def comparable_values(
    results: Sequence[IndicatorResult], *, min_responses: int
) -> dict[str, float | None]:
    """Each indicator's value, or None when it has fewer answers than its minimum.

    The minimum is the indicator's own (`IndicatorResult.minimum`), at least `min_responses`.
    """
    return {
        result.indicator.id: result.value
        if result.n >= max(min_responses, result.minimum)
        else None
        for result in results
    }


def comparable_previous(
    values: dict[str, float | None], before: Questionnaire, now: Questionnaire
) -> dict[str, float | None]:
    """The previous values of indicators measured by the same question id in both versions.

    An indicator whose question was replaced (e.g. 3.1b asked "has the number increased"
    and now "does your unit register") has no comparable previous value.
    """
    earlier = {indicator.id: indicator.question for indicator in before.indicators}
    return {
        indicator.id: values.get(indicator.id)
        for indicator in now.indicators
        if earlier.get(indicator.id) == indicator.question
    }


def indicator_changes(
    before: Indicator | None,
    now: Indicator,
    numbers: tuple[Questionnaire, Questionnaire] | None = None,
) -> tuple[str, ...]:
    """What changed in an indicator between two questionnaire versions, in Swedish.

    With `numbers` (the earlier and the current version) a new question is named by its
    number in each version, as the form shows it ("fråga 12 → fråga 13").
    """
    if before is None:
        return ()
    changes = []
    if before.question != now.question:
        text = "mäts med en annan fråga"
        if numbers is not None:
            text += f" ({_numbered(numbers[0], before.question)} → "
            text += f"{_numbered(numbers[1], now.question)})"
        changes.append(text)
    if before.title != now.title:
        changes.append("formuleringen har ändrats")
    if (before.targets, before.direction) != (now.targets, now.direction):
        changes.append("målet har ändrats")
    if (before.population, before.per_organisation) != (now.population, now.per_organisation):
        changes.append("vilka som räknas har ändrats")
    return tuple(changes)


def _numbered(questionnaire: Questionnaire, question_id: str) -> str:
    if questionnaire.has_question(question_id):
        return f"fråga {questionnaire.question_number(question_id)}"
    return "en fråga som inte finns"


def question_changed(before: Questionnaire, now: Questionnaire, question_id: str) -> bool:
    """Whether the question's text or choices differ between the versions (or it is new)."""
    if not before.has_question(question_id) or not now.has_question(question_id):
        return True
    old, new = before.question(question_id), now.question(question_id)
    return (old.text, old.type, old.choices) != (new.text, new.type, new.choices)


def with_changes(
    results: Sequence[IndicatorResult], before: Questionnaire | None, now: Questionnaire
) -> list[IndicatorResult]:
    """The results with the wording/target changes since the previous round's version."""
    if before is None or before.content_hash == now.content_hash:
        return list(results)
    earlier = {indicator.id: indicator for indicator in before.indicators}
    changed = []
    for result in results:
        old = earlier.get(result.indicator.id)
        notes = list(indicator_changes(old, result.indicator, (before, now)))
        same_question = old is not None and old.question == result.indicator.question
        if same_question and question_changed(before, now, result.indicator.question):
            notes.insert(0, "frågan har ändrats")
        changed.append(replace(result, changes=tuple(dict.fromkeys(notes))))
    return changed


def compute_round_results(
    round_: Round,
    *,
    min_responses: int | None = None,
    frame: pd.DataFrame | None = None,
    recipients: pd.DataFrame | None = None,
) -> list[IndicatorResult]:
    """The round's indicator results, each compared with the previous round when there is one.

    `min_responses` defaults to the ``SURVEY_MIN_RESPONSES`` setting. `frame` and
    `recipients` are the round's results and recipients frames when the caller has them
    already (the export of a million answers should not hold two).
    """
    if min_responses is None:
        min_responses = int(current_app.config["SURVEY_MIN_RESPONSES"])
    before = previous_round(round_)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    previous = None
    if before is not None:
        previous = comparable_previous(
            comparable_values(
                round_indicator_results(before, min_responses=min_responses),
                min_responses=min_responses,
            ),
            questionnaire_of(before.questionnaire_version),
            questionnaire,
        )
    results = compute_indicator_results(
        questionnaire,
        load_responses_frame(round_.id, questionnaire) if frame is None else frame,
        reference_date=round_.reference_date,
        min_responses=min_responses,
        previous=previous,
        recipients=load_recipients_frame(round_.id) if recipients is None else recipients,
    )
    if before is None:
        return results
    return with_changes(results, questionnaire_of(before.questionnaire_version), questionnaire)


def indicator_trend(
    questionnaire_id: str,
    delregion: str,
    indicator_ids: Sequence[str] | None = None,
    *,
    min_responses: int = 1,
) -> pd.DataFrame:
    """Indicator values per round: rows are indicator ids, columns the rounds' reference dates.

    Columns (``datetime.date``, ascending, index name ``reference_date``) are the open and
    closed rounds of the questionnaire in the delregion; when two rounds share a reference
    date the later created one is shown. Rows (index name ``indicator``) are
    `indicator_ids` in the order given, or every indicator of any round (newest version's
    order first). A value is NaN where the indicator does not exist in that round's
    version, has no answers, or has fewer than `min_responses`.
    """
    by_date: dict[date, Round] = {}
    for round_ in comparable_rounds(questionnaire_id, delregion):
        by_date[round_.reference_date] = round_  # ordered by id within a date: the last wins
    values: dict[date, dict[str, float | None]] = {}
    for reference_date, round_ in by_date.items():
        results = round_indicator_results(round_, min_responses=min_responses)
        values[reference_date] = comparable_values(results, min_responses=min_responses)
    if indicator_ids is None:
        seen: dict[str, None] = {}
        for reference_date in sorted(values, reverse=True):
            seen.update(dict.fromkeys(values[reference_date]))
        indicator_ids = list(seen)
    dates = sorted(values)
    table = np.full((len(indicator_ids), len(dates)), np.nan)
    for column, reference_date in enumerate(dates):
        for row, indicator_id in enumerate(indicator_ids):
            value = values[reference_date].get(indicator_id)
            if value is not None:
                table[row, column] = value
    return pd.DataFrame(
        table,
        index=pd.Index(list(indicator_ids), dtype="str", name="indicator"),
        columns=pd.Index(dates, dtype=object, name="reference_date"),
    )
