"""The pure target rules of survey.results.judging: which target is due, and the status."""

from __future__ import annotations

from datetime import date

import pytest

from survey.results.judging import (
    Bounds,
    Status,
    Target,
    final_target,
    judge,
    next_target,
    target_in_force,
)

# 1a.1a of the NV plan: 50 % by 2023-12-31, 100 % by 2026-12-31.
PLAN = (Target(50, date(2023, 12, 31)), Target(100, date(2026, 12, 31)))
# The same plan given out of order: the dates decide, not the order.
UNORDERED = (PLAN[1], PLAN[0])


def test_status_values_are_exactly_the_six_swedish_labels() -> None:
    assert [status.value for status in Status] == [
        "uppnått",
        "ej uppnått",
        "kan inte avgöras",
        "för få svar",
        "inget mål",
        "inget jämförelsevärde",
    ]
    assert Status.KAN_INTE_AVGORAS.label == "kan inte avgöras"


@pytest.mark.parametrize("targets", [PLAN, UNORDERED])
@pytest.mark.parametrize(
    ("as_of", "in_force", "following"),
    [
        # before any date has passed: the first target, the next is the one after it
        (date(2023, 6, 30), PLAN[0], PLAN[1]),
        # on the date itself the milestone is due
        (date(2023, 12, 31), PLAN[0], PLAN[1]),
        # a passed milestone stays in force until the next date (the 2024/2025 rounds)
        (date(2024, 6, 1), PLAN[0], PLAN[1]),
        (date(2025, 12, 31), PLAN[0], PLAN[1]),
        (date(2026, 12, 31), PLAN[1], None),
        (date(2030, 1, 1), PLAN[1], None),
    ],
)
def test_target_in_force_is_the_latest_passed_deadline(
    targets: tuple[Target, ...], as_of: date, in_force: Target, following: Target | None
) -> None:
    assert target_in_force(targets, as_of) is in_force
    assert next_target(targets, as_of) is following
    assert final_target(targets) is PLAN[1]


def test_three_milestones_next_is_the_one_after_the_reference_date() -> None:
    targets = (
        Target(50, date(2023, 12, 31)),
        Target(75, date(2025, 12, 31)),
        Target(100, date(2026, 12, 31)),
    )
    assert target_in_force(targets, date(2024, 6, 1)) is targets[0]
    assert next_target(targets, date(2024, 6, 1)) is targets[1]
    assert target_in_force(targets, date(2025, 12, 31)) is targets[1]
    assert next_target(targets, date(2025, 12, 31)) is targets[2]


def test_an_undated_target_always_applies() -> None:
    always = Target(None, None, "increase")
    assert target_in_force((always,), date(2000, 1, 1)) is always
    assert next_target((always,), date(2000, 1, 1)) is None
    assert final_target((always,)) is always
    # with a dated one beside it, the undated applies until the dated one has passed
    dated = Target(100, date(2026, 12, 31))
    assert target_in_force((always, dated), date(2025, 12, 31)) is always
    assert next_target((always, dated), date(2025, 12, 31)) is dated
    assert target_in_force((always, dated), date(2026, 12, 31)) is dated
    assert final_target((always, dated)) is dated


def test_no_targets() -> None:
    assert target_in_force((), date(2025, 1, 1)) is None
    assert next_target((), date(2025, 1, 1)) is None
    assert final_target(()) is None


def test_target_refuses_a_value_less_threshold_and_an_unknown_direction() -> None:
    with pytest.raises(ValueError, match="needs a value"):
        Target(None, date(2025, 1, 1), "at_least")
    with pytest.raises(ValueError, match="unknown target direction"):
        Target(50, None, "sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bounds"):
        Bounds(80, 20)


# -- judge: point 1 (bounds), 2 (at_most), 3 (increase), 4 (minimum) ----------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (60.0, Target(50, date(2023, 12, 31)), Status.UPPNATT),
        (40.0, Target(50, date(2023, 12, 31)), Status.EJ_UPPNATT),
        (74.96, Target(75), Status.UPPNATT),  # compared as shown: 75,0 %
        (74.94, Target(75), Status.EJ_UPPNATT),
        (11.0, Target(12, None, "at_most"), Status.UPPNATT),
        (12.0, Target(12, None, "at_most"), Status.UPPNATT),
        (12.1, Target(12, None, "at_most"), Status.EJ_UPPNATT),
        (100.0, Target(None, None, "done"), Status.UPPNATT),
        (90.0, Target(None, None, "done"), Status.EJ_UPPNATT),
    ],
)
def test_judge_against_a_target_value(value: float, target: Target, expected: Status) -> None:
    assert judge(value, None, target, None, n=10, minimum=1) is expected


def test_judge_without_target_is_inget_mal() -> None:
    assert judge(50.0, None, None, 40.0, n=10, minimum=1) is Status.INGET_MAL
    # too few answers is said first, target or not
    assert judge(None, None, None, None, n=0, minimum=3) is Status.FOR_FA_SVAR
    assert judge(50.0, None, None, None, n=2, minimum=3) is Status.FOR_FA_SVAR


def test_judge_below_the_minimum_is_for_fa_svar() -> None:
    target = Target(50)
    assert judge(100.0, None, target, None, n=2, minimum=3) is Status.FOR_FA_SVAR
    assert judge(100.0, None, target, None, n=3, minimum=3) is Status.UPPNATT
    assert judge(None, None, target, None, n=0, minimum=0) is Status.FOR_FA_SVAR


def test_samtliga_kommuner_with_three_of_eleven_missing_cannot_be_decided() -> None:
    # 8 answered, all Ja: 100 % among answering, but 8/11 .. 11/11 for the kommuner.
    bounds = Bounds(low=8 / 11 * 100, high=100.0)
    target = Target(100, date(2026, 12, 31))
    assert judge(100.0, bounds, target, None, n=8, minimum=1) is Status.KAN_INTE_AVGORAS
    # none missing: decided
    assert judge(100.0, Bounds(100, 100), target, None, n=11, minimum=1) is Status.UPPNATT
    # even if every missing kommun said Ja, 50 % misses 100 %
    low_high = Bounds(low=3 / 11 * 100, high=6 / 11 * 100)
    assert judge(50.0, low_high, target, None, n=6, minimum=1) is Status.EJ_UPPNATT
    # even if every missing kommun said Nej, 8/11 meets 50 %
    assert judge(100.0, bounds, Target(50), None, n=8, minimum=1) is Status.UPPNATT


def test_bounds_for_an_at_most_target_take_the_high_bound_as_unfavourable() -> None:
    target = Target(12, None, "at_most")
    assert judge(10.0, Bounds(8, 11), target, None, n=5, minimum=1) is Status.UPPNATT
    assert judge(10.0, Bounds(8, 20), target, None, n=5, minimum=1) is Status.KAN_INTE_AVGORAS
    assert judge(15.0, Bounds(13, 20), target, None, n=5, minimum=1) is Status.EJ_UPPNATT


@pytest.mark.parametrize(
    ("direction", "value", "previous", "expected"),
    [
        ("increase", 60.0, 50.0, Status.UPPNATT),
        ("increase", 50.0, 50.0, Status.EJ_UPPNATT),  # unchanged is no increase
        ("increase", 50.04, 50.0, Status.EJ_UPPNATT),  # shown as 50,0 %: no visible rise
        ("increase", 40.0, 50.0, Status.EJ_UPPNATT),
        ("increase", 60.0, None, Status.INGET_JAMFORELSEVARDE),
        ("decrease", 40.0, 50.0, Status.UPPNATT),
        ("decrease", 50.0, 50.0, Status.EJ_UPPNATT),
        ("decrease", 40.0, None, Status.INGET_JAMFORELSEVARDE),
    ],
)
def test_increase_and_decrease_goals_compare_with_the_previous_round(
    direction: str, value: float, previous: float | None, expected: Status
) -> None:
    target = Target(None, None, direction)  # type: ignore[arg-type]
    assert judge(value, None, target, previous, n=10, minimum=1) is expected


def test_increase_with_bounds() -> None:
    target = Target(None, None, "increase")
    assert judge(70.0, Bounds(55, 80), target, 50.0, n=8, minimum=1) is Status.UPPNATT
    assert judge(70.0, Bounds(45, 80), target, 50.0, n=8, minimum=1) is Status.KAN_INTE_AVGORAS
    assert judge(40.0, Bounds(30, 50), target, 50.0, n=8, minimum=1) is Status.EJ_UPPNATT
