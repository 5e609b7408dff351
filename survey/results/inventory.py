"""One respondent's whole Bilaga 1 inventory on one page, beside the collation per question.

A *lokal samverkan* answers the Bilaga 1 stödfrågor as one respondent; the free-text page
collates every group's answers per question, and this module gathers one group's answers
in the questionnaire's order, section by section, for a printable page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from survey.answering.form import AnsweredQuestion
from survey.answering.respondent import answered_questions, respondent_type_of
from survey.db import db
from survey.organisations import OrganisationType, parse_organisation_type
from survey.questionnaires.storage import questionnaire_of
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round


@dataclass(frozen=True, slots=True)
class InventorySection:
    """A section of the questionnaire with the answers given in it."""

    title: str
    answers: tuple[AnsweredQuestion, ...]


@dataclass(frozen=True, slots=True)
class Inventory:
    """A submitted response read as one document."""

    response_id: int
    organisation: str
    organisation_type_label: str
    kommun: str
    submitted_at: datetime | None
    sections: tuple[InventorySection, ...]


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    """One submitted response in the list of a round's inventories."""

    response_id: int
    organisation: str
    organisation_type_label: str
    kommun: str
    submitted_at: datetime | None


def _type_label(code: str) -> str:
    kind = parse_organisation_type(code or "")
    return kind.label if isinstance(kind, OrganisationType) else code


def round_inventories(round_: Round) -> list[InventoryEntry]:
    """The round's submitted responses, lokal samverkan first, then by kommun and name."""
    rows = db.session.execute(
        select(
            Response.id,
            Recipient.organisation,
            Recipient.organisation_type,
            Recipient.kommun,
            Response.submitted_at,
        )
        .join(Recipient, Recipient.id == Response.recipient_id)
        .where(Response.round_id == round_.id, Response.answers.is_not(None))
    ).all()
    entries = [
        InventoryEntry(row[0], row[1], _type_label(row[2]), row[3] or "", row[4]) for row in rows
    ]
    local = OrganisationType.LOKAL_SAMVERKAN.label
    return sorted(
        entries,
        key=lambda e: (e.organisation_type_label != local, e.kommun, e.organisation, e.response_id),
    )


def inventory_of(round_: Round, response_id: int) -> Inventory | None:
    """The answers section by section; None unless it is a submitted response of the round."""
    response = db.session.get(Response, response_id)
    if response is None or response.round_id != round_.id or response.answers is None:
        return None
    recipient = response.recipient
    questionnaire = questionnaire_of(round_.questionnaire_version)
    answered = answered_questions(questionnaire, respondent_type_of(recipient), response.answers)
    sections = tuple(
        InventorySection(
            section.title,
            tuple(item for item in answered if item.question.section_id == section.id),
        )
        for section in questionnaire.sections
    )
    return Inventory(
        response_id=response.id,
        organisation=recipient.organisation,
        organisation_type_label=_type_label(recipient.organisation_type),
        kommun=recipient.kommun or "",
        submitted_at=response.submitted_at,
        sections=tuple(section for section in sections if section.answers),
    )
