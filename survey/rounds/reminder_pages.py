"""Reminders by hand: the question before sending, and who was left out and why.

A recipient contacted less than a day ago is left out unless the process leader
deliberately chooses to remind them anyway (a separate button on the question page).
Recipients who have submitted are never offered a reminder.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from survey.db import db, utcnow
from survey.rounds.access import round_view
from survey.rounds.actions import chunks
from survey.rounds.pages import bp, page_context, round_url
from survey.rounds.reminding import RECENT_REASON, RemindOutcome, plan_hand_reminders
from survey.rounds.sending import rendered_message, uninvited_recipients
from survey.schema.outbox import MailKind
from survey.schema.rounds import Recipient, Round, RoundState

SHOWN = 25


def recipients_by_id(ids: Iterable[int]) -> dict[int, Recipient]:
    found: dict[int, Recipient] = {}
    for chunk in chunks(sorted(set(ids))):
        for recipient in db.session.scalars(select(Recipient).where(Recipient.id.in_(chunk))):
            found[recipient.id] = recipient
    return found


def flash_skipped_reminders(round_: Round, outcome: RemindOutcome) -> None:
    """Say plainly who was left out of a reminder by hand, and why (a warning, not success)."""
    named = recipients_by_id(
        [rid for rid, _ in outcome.skipped[:SHOWN]] + list(outcome.recent[:SHOWN])
    )
    if outcome.recent:
        names = ", ".join(_name(named.get(rid)) for rid in outcome.recent[:SHOWN])
        more = f" och {len(outcome.recent) - SHOWN} till" if len(outcome.recent) > SHOWN else ""
        flash(
            f"{len(outcome.recent)} fick ingen påminnelse eftersom de kontaktades för mindre än "
            f"ett dygn sedan: {names}{more}. Du kan påminna dem ändå från sidan Påminn.",
            "warning",
        )
    if outcome.skipped:
        lines = "; ".join(
            f"{_name(named.get(rid))}: {reason}" for rid, reason in outcome.skipped[:SHOWN]
        )
        more = f" och {len(outcome.skipped) - SHOWN} till" if len(outcome.skipped) > SHOWN else ""
        flash(f"{len(outcome.skipped)} kunde inte påminnas: {lines}{more}.", "warning")


def _name(recipient: Recipient | None) -> str:
    if recipient is None:
        return "(okänd)"
    return f"{recipient.name or '(rensad)'} ({recipient.organisation})"


@bp.get("/omgangar/<int:round_id>/paminn")
@round_view(manage=True)
def confirm_remind(round_: Round) -> ResponseReturnValue:
    if round_.state_enum is not RoundState.OPEN or utcnow() >= round_.closes_at:
        flash("Påminnelser kan bara skickas medan omgången är öppen.", "error")
        return redirect(round_url(round_))
    plan = plan_hand_reminders(round_, now=utcnow())
    shown = list(plan.chosen[:SHOWN]) + list(plan.recent[:SHOWN])
    shown += [rid for rid, _ in plan.skipped[:SHOWN]]
    named = recipients_by_id(shown)
    first = next(iter(named.get(rid) for rid in plan.chosen[:1]), None)
    return render_template(
        "rounds/confirm_remind.html",
        round=round_,
        plan=plan,
        chosen=[named[rid] for rid in plan.chosen[:SHOWN] if rid in named],
        recent=[named[rid] for rid in plan.recent[:SHOWN] if rid in named],
        skipped=[(named[rid], reason) for rid, reason in plan.skipped[:SHOWN] if rid in named],
        shown_limit=SHOWN,
        recent_reason=RECENT_REASON,
        reminder=rendered_message(round_, MailKind.REMINDER, first),
        uninvited=len(uninvited_recipients(round_)),
        **page_context(),
    )
