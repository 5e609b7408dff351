"""Indicators and response rates broken down by organisation type, kommun and delregion."""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from survey.questionnaires.model import Measure, Questionnaire
from survey.results.attainment import judging_targets, minimum_of
from survey.results.judging import judge, target_in_force
from survey.results.ordering import group_sort_key
from survey.results.response_arrays import ResponseArrays

GroupColumn = Literal["organisation_type", "kommun", "delregion"]
GROUP_COLUMNS: tuple[GroupColumn, ...] = ("organisation_type", "kommun", "delregion")
TOTAL = "total"


def compute_breakdown(
    questionnaire: Questionnaire,
    responses: pd.DataFrame,
    by: GroupColumn,
    reference_date: date,
    min_responses: int = 1,
) -> pd.DataFrame:
    """Every scored indicator per group of `by`, by the same rules as the overall figures.

    Returns one row per (indicator, group) with a population, indexed by the levels
    ``indicator`` (the indicator id) and `by` (the group, e.g. ``"kommun"``); columns:
    ``value`` (float, NaN without answers), ``n``, ``n_population`` and ``status`` (the
    Swedish label, against the target applicable at `reference_date`). Indicators come in
    questionnaire order, groups in reading order (organisation types as declared, kommuner
    and delregioner in Swedish alphabetical order). Indicators with measure ``none``
    are left out. `breakdown_table` turns it into an indicator × group table.
    """
    _check_group_column(by)
    arrays = ResponseArrays(questionnaire, responses)
    labels = arrays.codes(by)[1]
    key = group_sort_key(by)
    order = sorted(range(len(labels)), key=lambda code: key(str(labels[code])))
    ids: list[str] = []
    groups: list[str] = []
    values: list[float] = []
    counts: list[int] = []
    populations: list[int] = []
    statuses: list[str] = []
    for indicator in questionnaire.indicators:
        if indicator.measure is Measure.NONE:
            continue
        tally = arrays.tally(indicator, group_by=by)
        target = target_in_force(judging_targets(indicator), reference_date)
        minimum = minimum_of(indicator, questionnaire, min_responses)
        for group in order:
            if tally.n_population[group] == 0:
                continue
            value = tally.value(group)
            n = int(tally.n[group])
            ids.append(indicator.id)
            groups.append(str(labels[group]))
            values.append(np.nan if value is None else value)
            counts.append(n)
            populations.append(int(tally.n_population[group]))
            # Per group without bounds or previous round: the group's own answers are judged.
            statuses.append(judge(value, None, target, None, n, minimum).value)
    index = pd.MultiIndex.from_arrays(
        [pd.Index(ids, dtype="str"), pd.Index(groups, dtype="str")], names=["indicator", by]
    )
    return pd.DataFrame(
        {
            "value": np.array(values, dtype=np.float64),
            "n": np.array(counts, dtype=np.int64),
            "n_population": np.array(populations, dtype=np.int64),
            "status": pd.array(statuses, dtype="str"),
        },
        index=index,
    )


def breakdown_table(breakdown: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """One column of `compute_breakdown` as an indicator × group table, both in reading order.

    A group without population for an indicator is NaN (``n``: NaN too, so the table is
    float; ``status``: missing).
    """
    by = str(breakdown.index.names[1])
    table = breakdown[column].unstack(by)
    indicators = list(dict.fromkeys(breakdown.index.get_level_values(0)))
    groups = sorted(table.columns, key=group_sort_key(by))
    return table.reindex(index=indicators, columns=groups)


def response_rates(recipients: pd.DataFrame, by: GroupColumn | None = None) -> pd.DataFrame:
    """Invited, answered and response rate (percent; NaN if none invited), overall or per group.

    `recipients` is `survey.results.frame.load_recipients_frame`'s frame. Without `by` the
    result has one row labelled ``"total"``; with it, one row per group that has invited
    recipients, in reading order (as `compute_breakdown`), indexed by `by`.
    """
    if by is None:
        invited = len(recipients)
        answered = int(recipients["submitted"].sum())
        frame = pd.DataFrame(
            {"invited": [invited], "answered": [answered]},
            index=pd.Index([TOTAL], dtype="str", name="group"),
        )
    else:
        _check_group_column(by)
        grouped = recipients.groupby(by, observed=True, sort=False)["submitted"]
        frame = pd.DataFrame({"invited": grouped.size(), "answered": grouped.sum()})
        frame.index = pd.Index(frame.index.astype("str"), dtype="str", name=by)
        frame = frame.sort_index(key=lambda index: index.map(group_sort_key(by)))
    frame = frame.astype({"invited": np.int64, "answered": np.int64})
    invited_or_nan = frame["invited"].astype(np.float64).replace(0.0, np.nan)
    frame["rate"] = 100.0 * frame["answered"] / invited_or_nan
    return frame


def _check_group_column(by: str) -> None:
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot break down by {by!r}; use one of {', '.join(GROUP_COLUMNS)}")
