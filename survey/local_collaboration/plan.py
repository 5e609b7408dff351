"""Changing a group's action plan: every change is kept in the edit history and audited.

Each function takes a checked input (`checking`), changes the session (never commits),
writes one `LocalPlanEdit` with the values before and after, one audit event, and marks
the plan as updated. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.local_collaboration.checking import (
    PAGE_FIELD,
    ActionInput,
    FindingInput,
    IndicatorInput,
    MaturityInput,
    Problem,
    Refused,
    ResultInput,
)
from survey.local_collaboration.vocabulary import MATURITY_LEVELS, STEP_DATES, plan_question
from survey.schema.accounts import User
from survey.schema.local_collaboration import (
    LocalAction,
    LocalFinding,
    LocalGroup,
    LocalIndicator,
    LocalIndicatorResult,
    LocalMaturity,
    LocalPlanEdit,
)


@dataclass(frozen=True, slots=True)
class Editor:
    """Who changes the plan: a logged-in user, or the group's contact through the link."""

    user: User | None
    label: str

    @classmethod
    def of_user(cls, user: User) -> Editor:
        return cls(user, user.email)

    @classmethod
    def of_contact(cls, group: LocalGroup) -> Editor:
        return cls(None, f"kontaktperson {group.contact_email} (personlig länk)")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record(
    group: LocalGroup,
    editor: Editor,
    subject: str,
    subject_id: int | None,
    summary: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    db.session.add(
        LocalPlanEdit(
            group_id=group.id,
            edited_at=now,
            actor=editor.label,
            subject=subject,
            subject_id=subject_id,
            summary=summary,
            before=before,
            after=after,
        )
    )
    group.plan_updated_at = now
    record_audit(
        f"local_plan.{subject}",
        f"{group.name}: {summary}",
        user=editor.user,
        delregion=group.delregion,
        details={"group_id": group.id, "subject_id": subject_id, "actor": editor.label},
    )


def save_finding(group: LocalGroup, found: FindingInput, editor: Editor) -> LocalFinding:
    """Write what was found for one question (the history keeps the earlier text)."""
    now = utcnow()
    finding = db.session.scalar(
        select(LocalFinding).where(
            LocalFinding.group_id == group.id, LocalFinding.question == found.question
        )
    )
    before = {"text": finding.text} if finding is not None else None
    if finding is None:
        finding = LocalFinding(group_id=group.id, question=found.question, text=found.text)
        db.session.add(finding)
    else:
        finding.text = found.text
    finding.updated_at = now
    db.session.flush()
    question = plan_question(found.question)
    label = question.text if question else found.question
    _record(
        group,
        editor,
        "finding",
        finding.id,
        f"Ändrade vad som har upptäckts: {label}",
        before,
        {"text": found.text},
        now,
    )
    return finding


def _action_values(action: LocalAction) -> dict[str, Any]:
    return {
        "question": action.question,
        "what": action.what,
        "who": action.who,
        "how": action.how,
        "citizen_value": action.citizen_value,
        "follow_up": action.follow_up,
        "status": action.status,
        "due_on": _iso(action.due_on),
        "follow_up_on": _iso(action.follow_up_on),
    }


def _apply(action: LocalAction, given: ActionInput) -> None:
    action.question = given.question
    action.what = given.what
    action.who = given.who
    action.how = given.how
    action.citizen_value = given.citizen_value
    action.follow_up = given.follow_up
    action.status = given.status.value
    action.due_on = given.due_on
    action.follow_up_on = given.follow_up_on


def add_action(group: LocalGroup, given: ActionInput, editor: Editor) -> LocalAction:
    """Add a PDSA action under one of the questions."""
    now = utcnow()
    action = LocalAction(group_id=group.id, created_at=now, updated_at=now)
    _apply(action, given)
    db.session.add(action)
    db.session.flush()
    _record(
        group,
        editor,
        "action",
        action.id,
        f"La till åtgärden ”{_short(given.what)}”.",
        None,
        _action_values(action),
        now,
    )
    return action


def update_action(
    group: LocalGroup, action_id: int, given: ActionInput, editor: Editor
) -> LocalAction:
    """Change an action (status, dates, texts); the history keeps what it was."""
    action = db.session.get(LocalAction, action_id)
    if action is None or action.group_id != group.id:
        raise Refused(
            [Problem(PAGE_FIELD, "Åtgärden finns inte i er plan.")],
            code=ErrorCode.GROUP_NOT_IN_PLAN,
        )
    before = _action_values(action)
    _apply(action, given)
    after = _action_values(action)
    if before == after:
        return action
    now = utcnow()
    action.updated_at = now
    _record(
        group,
        editor,
        "action",
        action.id,
        f"Ändrade åtgärden ”{_short(given.what)}”.",
        before,
        after,
        now,
    )
    return action


def set_steps(group: LocalGroup, dates: dict[str, date | None], editor: Editor) -> None:
    """Record the dates of steps 3–5 (blank means not yet)."""
    before = {step.field: _iso(getattr(group, step.field)) for step in STEP_DATES}
    after = {field: _iso(value) for field, value in dates.items()}
    if before == after:
        return
    for field, value in dates.items():
        setattr(group, field, value)
    _record(group, editor, "steps", None, "Ändrade datumen för steg 3–5.", before, after, utcnow())


def add_indicator(group: LocalGroup, given: IndicatorInput, editor: Editor) -> LocalIndicator:
    """Choose an indicator to follow; the same name twice is refused."""
    exists = db.session.scalar(
        select(LocalIndicator.id).where(
            LocalIndicator.group_id == group.id, LocalIndicator.name == given.name
        )
    )
    if exists is not None:
        raise Refused(
            [Problem("indikator-katalog", "Ni följer redan den indikatorn.")],
            code=ErrorCode.GROUP_INDICATOR_FOLLOWED,
        )
    now = utcnow()
    indicator = LocalIndicator(
        group_id=group.id, name=given.name, source=given.source, unit=given.unit, created_at=now
    )
    db.session.add(indicator)
    db.session.flush()
    _record(
        group,
        editor,
        "indicator",
        indicator.id,
        f"Valde indikatorn ”{given.name}”.",
        None,
        {"name": given.name, "source": given.source, "unit": given.unit},
        now,
    )
    return indicator


def add_result(
    group: LocalGroup, indicator_id: int, given: ResultInput, editor: Editor
) -> LocalIndicatorResult:
    """Record a result with its date (a second result on the same date replaces the first)."""
    indicator = db.session.get(LocalIndicator, indicator_id)
    if indicator is None or indicator.group_id != group.id:
        raise Refused(
            [Problem(PAGE_FIELD, "Indikatorn finns inte i er plan.")],
            code=ErrorCode.GROUP_NOT_IN_PLAN,
        )
    now = utcnow()
    result = db.session.scalar(
        select(LocalIndicatorResult).where(
            LocalIndicatorResult.indicator_id == indicator.id,
            LocalIndicatorResult.measured_on == given.measured_on,
        )
    )
    before = {"value": result.value, "date": _iso(result.measured_on)} if result else None
    if result is None:
        result = LocalIndicatorResult(
            indicator_id=indicator.id,
            measured_on=given.measured_on,
            value=given.value,
            created_at=now,
        )
        db.session.add(result)
    else:
        result.value = given.value
    db.session.flush()
    _record(
        group,
        editor,
        "result",
        result.id,
        f"Förde in resultatet för ”{indicator.name}” {given.measured_on.isoformat()}.",
        before,
        {"value": given.value, "date": given.measured_on.isoformat()},
        now,
    )
    return result


def set_maturity(group: LocalGroup, given: MaturityInput, editor: Editor) -> LocalMaturity:
    """Place the group on the maturity scale for a year (once a year; a second time replaces it)."""
    now = utcnow()
    maturity = db.session.scalar(
        select(LocalMaturity).where(
            LocalMaturity.group_id == group.id, LocalMaturity.year == given.year
        )
    )
    before = {"level": maturity.level, "comment": maturity.comment} if maturity else None
    if maturity is None:
        maturity = LocalMaturity(group_id=group.id, year=given.year, level=given.level)
        db.session.add(maturity)
    maturity.level = given.level
    maturity.comment = given.comment
    maturity.updated_at = now
    db.session.flush()
    _record(
        group,
        editor,
        "maturity",
        maturity.id,
        f"Mognad {given.year}: steg {given.level} {MATURITY_LEVELS[given.level]}.",
        before,
        {"year": given.year, "level": given.level, "comment": given.comment},
        now,
    )
    return maturity


def _short(text: str, length: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"
