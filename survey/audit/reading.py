"""Reading the audit log: who may see which events, Swedish labels, one page at a time.

An administrator sees every event. A process leader sees the events of their own
delregion: those of its rounds and any other event recorded with that delregion. Events
without a delregion (accounts, questionnaires loaded, privacy commands run for all
delregioner) are for administrators only. Readers see no events: the log names the
people who did things, and readers only read results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, false, func, select, true

from survey.db import db
from survey.paging import Page, page_number
from survey.schema.accounts import Role, User
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Round

EVENTS_PER_PAGE: Final = 50

ACTION_LABELS: Final = {
    "round.create": "Skapade omgången",
    "round.update": "Ändrade omgångens inställningar",
    "round.open": "Öppnade omgången",
    "round.send": "Köade inbjudningar",
    "round.close": "Stängde omgången",
    "round.extend": "Ändrade sista svarsdag",
    "round.remind": "Påminde för hand",
    "round.remind_scheduled": "Schemalagda påminnelser",
    "round.exported": "Exporterade till Excel",
    "round.responses_imported": "Importerade svar",
    "recipient.add": "Lade till mottagare",
    "recipient.correct": "Rättade mottagare",
    "recipient.remove": "Tog bort mottagare",
    "link.reissue": "Skickade ny länk",
    "link.revoke": "Återkallade länk",
    "mail.resend": "Köade meddelande igen",
    "questionnaire.loaded": "Läste in enkät",
    "user.created": "Skapade konto",
    "user.updated": "Ändrade konto",
    "user.deactivated": "Inaktiverade konto",
    "user.reactivated": "Aktiverade konto",
    "user.password_changed": "Bytte lösenord",
    "user.password_reset": "Satte nytt lösenord",
    "privacy.purge": "Rensade personuppgifter",
    "privacy.erase_person": "Raderade en persons uppgifter",
    "privacy.erase_group_contact": "Raderade en kontaktpersons uppgifter",
    "privacy.export_person": "Gjorde registerutdrag",
    "plan.report_downloaded": "Laddade ner DST-rapport",
    "local_group.create": "Skapade lokal samverkan",
    "local_group.contact": "Bytte kontaktperson för lokal samverkan",
    "local_group.link_send": "Skickade ny länk till lokal samverkan",
    "local_group.link_revoke": "Återkallade länken för lokal samverkan",
    "local_group.export": "Exporterade lokal samverkan till Excel",
    "local_plan.finding": "Ändrade handlingsplan: upptäckt",
    "local_plan.action": "Ändrade handlingsplan: åtgärd",
    "local_plan.steps": "Ändrade handlingsplan: steg 3–5",
    "local_plan.indicator": "Ändrade handlingsplan: indikator",
    "local_plan.result": "Ändrade handlingsplan: resultat",
    "local_plan.maturity": "Ändrade handlingsplan: mognad",
}


def action_label(action: str) -> str:
    """The action in Swedish; an action without a label is shown as recorded."""
    return ACTION_LABELS.get(action, action)


def may_read_audit_log(user: Any) -> bool:
    """Tell whether the user may read any of the log: administrators and process leaders."""
    return (
        isinstance(user, User)
        and user.active
        and (user.is_admin or (user.role == Role.PROCESS_LEADER and user.delregion is not None))
    )


def visible_to(user: Any) -> ColumnElement[bool]:
    """The condition on AuditEvent for the events the user may read."""
    if not may_read_audit_log(user):
        return false()
    if user.is_admin:
        return true()
    condition: ColumnElement[bool] = AuditEvent.delregion == user.delregion
    return condition


@dataclass(frozen=True)
class EventRow:
    """One event as the log page shows it."""

    event: AuditEvent
    label: str
    round_title: str | None


def event_page(
    condition: ColumnElement[bool], page: int | None, *, per_page: int = EVENTS_PER_PAGE
) -> Page[EventRow]:
    """The events meeting `condition` on page `page` (out of range: the nearest page)."""
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    number, pages = page_number(page, total, per_page)
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(condition)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .offset((number - 1) * per_page)
            .limit(per_page)
        )
    )
    round_ids = {event.round_id for event in events if event.round_id is not None}
    titles: dict[int, str] = {}
    if round_ids:
        rows_found = db.session.execute(
            select(Round.id, Round.title).where(Round.id.in_(round_ids))
        )
        titles = {round_id: title for round_id, title in rows_found}
    rows = [
        EventRow(
            event,
            action_label(event.action),
            titles.get(event.round_id) if event.round_id is not None else None,
        )
        for event in events
    ]
    return Page(rows, number, pages, total, per_page)
