"""Reading a group's plan and the process leader's overview: step 1–5, maturity, actions.

Plain reads, no changes. `group_step` is the rule: 5 once followed up, 4 once implemented,
3 once anchored in DOT or taken to DST, 2 once the inventory is submitted or the plan has
findings or actions, else 1.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from survey.db import db
from survey.local_collaboration.vocabulary import PLAN_QUESTIONS, PlanQuestion
from survey.organisations import OrganisationType
from survey.schema.local_collaboration import (
    ActionStatus,
    LocalAction,
    LocalFinding,
    LocalGroup,
    LocalIndicator,
    LocalIndicatorResult,
    LocalMaturity,
    LocalPlanEdit,
)
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round


@dataclass(frozen=True, slots=True)
class InventoryLink:
    round_id: int
    response_id: int
    round_title: str


def latest_inventory(group: LocalGroup) -> InventoryLink | None:
    """The group's latest submitted Bilaga 1 inventory: a lokal samverkan of its kommun."""
    row = db.session.execute(
        select(Round.id, Response.id, Round.title)
        .join(Response, Response.round_id == Round.id)
        .join(Recipient, Recipient.id == Response.recipient_id)
        .where(
            Round.delregion == group.delregion,
            Recipient.kommun == group.kommun,
            Recipient.organisation_type == OrganisationType.LOKAL_SAMVERKAN.value,
            Response.answers.is_not(None),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(1)
    ).first()
    return InventoryLink(row[0], row[1], row[2]) if row else None


def group_step(group: LocalGroup, *, has_inventory: bool, has_plan: bool) -> int:
    """Where the group is in the five steps of the handlingsplan."""
    if group.followed_up_on is not None:
        return 5
    if group.implemented_on is not None:
        return 4
    if group.dot_anchored_on is not None or group.dst_taken_on is not None:
        return 3
    if has_inventory or has_plan:
        return 2
    return 1


def is_overdue(action: LocalAction, today: date) -> bool:
    return ActionStatus(action.status).is_open and action.due_on < today


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    question: PlanQuestion
    finding: str
    actions: tuple[LocalAction, ...]


@dataclass(frozen=True, slots=True)
class IndicatorTrend:
    indicator: LocalIndicator
    results: tuple[LocalIndicatorResult, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class GroupPlan:
    group: LocalGroup
    questions: tuple[QuestionPlan, ...]
    indicators: tuple[IndicatorTrend, ...]
    maturity: tuple[LocalMaturity, ...]  # newest first
    inventory: InventoryLink | None
    step: int

    @property
    def actions(self) -> list[LocalAction]:
        return [action for question in self.questions for action in question.actions]


def group_plan(group: LocalGroup) -> GroupPlan:
    """Everything of one group's plan, in the order of Bilaga 2."""
    findings = {
        finding.question: finding.text
        for finding in db.session.scalars(
            select(LocalFinding).where(LocalFinding.group_id == group.id)
        )
    }
    actions: dict[str, list[LocalAction]] = defaultdict(list)
    for action in db.session.scalars(
        select(LocalAction)
        .where(LocalAction.group_id == group.id)
        .order_by(LocalAction.due_on, LocalAction.id)
    ):
        actions[action.question].append(action)
    questions = tuple(
        QuestionPlan(q, findings.get(q.key, ""), tuple(actions.get(q.key, ())))
        for q in PLAN_QUESTIONS
    )
    indicators = tuple(
        IndicatorTrend(
            indicator,
            tuple(
                db.session.scalars(
                    select(LocalIndicatorResult)
                    .where(LocalIndicatorResult.indicator_id == indicator.id)
                    .order_by(LocalIndicatorResult.measured_on)
                )
            ),
        )
        for indicator in db.session.scalars(
            select(LocalIndicator)
            .where(LocalIndicator.group_id == group.id)
            .order_by(LocalIndicator.id)
        )
    )
    maturity = tuple(
        db.session.scalars(
            select(LocalMaturity)
            .where(LocalMaturity.group_id == group.id)
            .order_by(LocalMaturity.year.desc())
        )
    )
    inventory = latest_inventory(group)
    has_plan = any(findings.values()) or any(actions.values())
    return GroupPlan(
        group,
        questions,
        indicators,
        maturity,
        inventory,
        group_step(group, has_inventory=inventory is not None, has_plan=has_plan),
    )


def plan_history(group: LocalGroup, limit: int = 500) -> list[LocalPlanEdit]:
    """The plan's edits, newest first."""
    return list(
        db.session.scalars(
            select(LocalPlanEdit)
            .where(LocalPlanEdit.group_id == group.id)
            .order_by(LocalPlanEdit.edited_at.desc(), LocalPlanEdit.id.desc())
            .limit(limit)
        )
    )


@dataclass(slots=True)
class OverviewRow:
    group: LocalGroup
    step: int
    maturity_level: int | None
    maturity_year: int | None
    open_actions: int
    overdue_actions: int
    last_update: datetime | None
    inventory: InventoryLink | None
    link_live: bool = field(default=False)


def overview(groups: list[LocalGroup], today: date) -> list[OverviewRow]:
    """One row per group, for the process leader's overview and its Excel export."""
    ids = [group.id for group in groups]
    if not ids:
        return []
    open_counts: dict[int, int] = defaultdict(int)
    overdue_counts: dict[int, int] = defaultdict(int)
    open_values = [status.value for status in ActionStatus if status.is_open]
    for group_id, due_on in db.session.execute(
        select(LocalAction.group_id, LocalAction.due_on).where(
            LocalAction.group_id.in_(ids), LocalAction.status.in_(open_values)
        )
    ):
        open_counts[group_id] += 1
        if due_on < today:
            overdue_counts[group_id] += 1
    with_findings = set(
        db.session.scalars(
            select(LocalFinding.group_id).where(
                LocalFinding.group_id.in_(ids), LocalFinding.text != ""
            )
        )
    )
    with_actions = set(
        db.session.scalars(select(LocalAction.group_id).where(LocalAction.group_id.in_(ids)))
    )
    latest_year: dict[int, int] = {
        group_id: year
        for group_id, year in db.session.execute(
            select(LocalMaturity.group_id, func.max(LocalMaturity.year))
            .where(LocalMaturity.group_id.in_(ids))
            .group_by(LocalMaturity.group_id)
        )
    }
    levels = {
        (group_id, year): level
        for group_id, year, level in db.session.execute(
            select(LocalMaturity.group_id, LocalMaturity.year, LocalMaturity.level).where(
                LocalMaturity.group_id.in_(ids)
            )
        )
    }
    rows = []
    for group in groups:
        inventory = latest_inventory(group)
        year = latest_year.get(group.id)
        rows.append(
            OverviewRow(
                group=group,
                step=group_step(
                    group,
                    has_inventory=inventory is not None,
                    has_plan=group.id in with_findings or group.id in with_actions,
                ),
                maturity_level=levels.get((group.id, year)) if year is not None else None,
                maturity_year=year,
                open_actions=open_counts[group.id],
                overdue_actions=overdue_counts[group.id],
                last_update=group.plan_updated_at,
                inventory=inventory,
                link_live=group.token_hash is not None,
            )
        )
    return rows


# -- the small trend chart ------------------------------------------------------------------

CHART_WIDTH = 240
CHART_HEIGHT = 60
CHART_PAD = 6


@dataclass(frozen=True, slots=True)
class TrendChart:
    points: str  # the polyline's "x,y x,y …"
    dots: tuple[tuple[float, float], ...]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def trend_chart(results: tuple[LocalIndicatorResult, ...]) -> TrendChart | None:
    """The results as a line over time (x by date, y by value); None with fewer than two."""
    if len(results) < 2:
        return None
    first = results[0].measured_on.toordinal()
    span = max(1, results[-1].measured_on.toordinal() - first)
    low = min(result.value for result in results)
    high = max(result.value for result in results)
    rise = (high - low) or 1.0
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    dots = tuple(
        (
            round(CHART_PAD + inner_w * (result.measured_on.toordinal() - first) / span, 1),
            round(CHART_PAD + inner_h * (1 - (result.value - low) / rise), 1),
        )
        for result in results
    )
    return TrendChart(" ".join(f"{x},{y}" for x, y in dots), dots)
