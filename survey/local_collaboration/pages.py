"""The lokal samverkan blueprint, and the plan page that both the contact and the leader use.

The plan page holds several small forms (a finding per question, a new action, each
action, steps 3–5, indicators and their results, maturity); each posts a hidden `del`
naming its part. A refused part shows the page again (422) with the error summary, the
typed values kept in that part's fields, and nothing changed; an accepted part is
committed and the page reloads (303) with a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from flask import Blueprint, flash, render_template
from flask.typing import ResponseReturnValue

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.local_collaboration import checking, plan
from survey.local_collaboration.checking import Problem, Refused
from survey.local_collaboration.overview import group_plan, is_overdue, plan_history, trend_chart
from survey.local_collaboration.plan import Editor
from survey.local_collaboration.vocabulary import (
    EDIT_FIELD_LABELS,
    MATURITY_LEVELS,
    MATURITY_QUESTION,
    PLAN_QUESTIONS,
    SOCIALSTYRELSEN_INDICATORS,
    STEP_DATES,
    STEP_LABELS,
    plan_question,
)
from survey.localtime import date_text, format_local, to_local
from survey.organisations import delregion_label
from survey.schema.local_collaboration import ACTION_STATUS_LABELS, ActionStatus, LocalGroup

bp = Blueprint("local_collaboration", __name__)

SAVED: Final = {
    "finding": "Det ni har upptäckt är sparat.",
    "action_new": "Åtgärden är tillagd.",
    "action": "Åtgärden är ändrad.",
    "steps": "Datumen för steg 3–5 är sparade.",
    "indicator": "Indikatorn är tillagd.",
    "result": "Resultatet är sparat.",
    "maturity": "Mognaden är sparad.",
}


def today_local() -> date:
    return to_local(utcnow()).date()


@dataclass
class PlanPage:
    """What the plan template needs besides the plan itself."""

    post_url: str
    history_url: str
    export_url: str | None
    can_edit: bool
    as_contact: bool
    errors: list[tuple[str, str]] = field(default_factory=list)
    posted_part: str | None = None
    posted: Mapping[str, str] = field(default_factory=dict)


def _part_id(form: Mapping[str, str]) -> tuple[str, int | None]:
    part = (form.get("del") or "").strip()
    for prefix in ("action_", "result_"):
        if part.startswith(prefix) and part[len(prefix) :].isdigit() and len(part) < 30:
            return prefix[:-1], int(part[len(prefix) :])
    return part, None


def apply_posted(group: LocalGroup, form: Mapping[str, str], editor: Editor) -> str:
    """Check and apply one posted part of the plan; return the message (raises Refused)."""
    part, number = _part_id(form)
    today = today_local()
    if part == "finding":
        plan.save_finding(group, checking.check_finding(form), editor)
    elif part == "action_new":
        plan.add_action(group, checking.check_action(form, "atgard-ny"), editor)
    elif part == "action" and number is not None:
        plan.update_action(group, number, checking.check_action(form, f"atgard-{number}"), editor)
    elif part == "steps":
        plan.set_steps(group, checking.check_steps(form, today), editor)
    elif part == "indicator":
        plan.add_indicator(group, checking.check_indicator(form), editor)
    elif part == "result" and number is not None:
        plan.add_result(
            group, number, checking.check_result(form, f"resultat-{number}", today), editor
        )
    elif part == "maturity":
        plan.set_maturity(group, checking.check_maturity(form, today), editor)
    else:
        raise Refused(
            [
                Problem(
                    checking.PAGE_FIELD,
                    "Formuläret känns inte igen. Ladda om sidan och försök igen.",
                )
            ],
            code=ErrorCode.GROUP_UNKNOWN_FORM,
        )
    return SAVED["action_new" if part == "action_new" else part]


def handle_plan_post(
    group: LocalGroup,
    form: Mapping[str, str],
    editor: Editor,
    page: PlanPage,
    redirect_to: Callable[[], ResponseReturnValue],
) -> ResponseReturnValue:
    """Apply a posted part and reload, or show the page again with its problems, unchanged."""
    try:
        message = apply_posted(group, form, editor)
    except Refused as refused:
        db.session.rollback()
        page.errors = [(problem.field, problem.message) for problem in refused.problems]
        page.posted_part = (form.get("del") or "").strip()
        page.posted = form
        return render_plan(group, page), 422
    db.session.commit()
    flash(message, "success")
    return redirect_to()


def render_plan(group: LocalGroup, page: PlanPage) -> str:
    return render_template(
        "local_collaboration/plan.html",
        errors=page.errors,
        page=page,
        **plan_context(group),
    )


def plan_context(group: LocalGroup) -> dict[str, Any]:
    today = today_local()
    return {
        "plan": group_plan(group),
        "today": today,
        "plan_questions": PLAN_QUESTIONS,
        "step_dates": STEP_DATES,
        "step_labels": STEP_LABELS,
        "maturity_levels": MATURITY_LEVELS,
        "maturity_question": MATURITY_QUESTION,
        "catalogue": SOCIALSTYRELSEN_INDICATORS,
        "statuses": [(status.value, ACTION_STATUS_LABELS[status]) for status in ActionStatus],
        "status_label": lambda code: ACTION_STATUS_LABELS[ActionStatus(code)],
        "is_overdue": lambda action: is_overdue(action, today),
        "trend_chart": trend_chart,
        "date_text": date_text,
        "format_local": format_local,
        "format_number": format_number,
        "delregion_label": delregion_label,
    }


def render_history(group: LocalGroup, back_url: str, *, names_people: bool = True) -> str:
    """The plan's edits; without `names_people` (a reader) the contact is not named."""
    return render_template(
        "local_collaboration/history.html",
        group=group,
        names_people=names_people,
        edits=plan_history(group),
        back_url=back_url,
        format_local=format_local,
        field_label=lambda key: EDIT_FIELD_LABELS.get(key, key),
        shown_value=shown_value,
    )


def shown_value(key: str, value: object) -> str:
    """A recorded value as a reader reads it: labels for codes, Swedish numbers, "–" for none."""
    if value is None or value == "":
        return "–"
    if key == "status" and isinstance(value, str):
        labels = {status.value: label for status, label in ACTION_STATUS_LABELS.items()}
        return labels.get(value, value)
    if key == "question" and isinstance(value, str):
        question = plan_question(value)
        return question.text if question else value
    if key == "level" and isinstance(value, int) and value in MATURITY_LEVELS:
        return f"{value} {MATURITY_LEVELS[value]}"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def format_number(value: float) -> str:
    """A result the Swedish way: 42, 42,5."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",").replace("-", "−")
