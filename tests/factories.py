"""Small helpers that put rows in the test database. Call them inside an app context."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from survey.db import db
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.storage import QuestionnaireVersion
from survey.rounds.models import Recipient, Round, RoundState
from tests.sample import sample_questionnaire


def make_questionnaire_version(questionnaire: Questionnaire | None = None) -> QuestionnaireVersion:
    questionnaire = questionnaire or sample_questionnaire()
    stored = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        definition=questionnaire.to_json(),
        content_hash=questionnaire.content_hash,
        source_name=f"{questionnaire.id}.yaml",
        source_text="# built in tests\n",
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def make_round(
    questionnaire_version: QuestionnaireVersion | None = None,
    *,
    delregion: str = "NV",
    state: RoundState = RoundState.OPEN,
    reference_date: date = date(2025, 12, 31),
    **fields: Any,
) -> Round:
    now = datetime.now(UTC)
    round_ = Round(
        questionnaire_version=questionnaire_version or make_questionnaire_version(),
        title=fields.pop("title", "Årlig enkät 2025"),
        delregion=delregion,
        reference_date=reference_date,
        opens_at=fields.pop("opens_at", now - timedelta(days=1)),
        closes_at=fields.pop("closes_at", now + timedelta(days=30)),
        reminder_days=fields.pop("reminder_days", [7, 14]),
        max_reminders=fields.pop("max_reminders", 2),
        sender_name=fields.pop("sender_name", "Processledare nära vård NV"),
        reply_to=fields.pop("reply_to", "processledare@example.se"),
        invitation_subject=fields.pop("invitation_subject", "Inbjudan: {omgang}"),
        invitation_body=fields.pop("invitation_body", "Hej {namn}!\n\nSvara här: {lank}\n"),
        reminder_subject=fields.pop("reminder_subject", "Påminnelse: {omgang}"),
        reminder_body=fields.pop("reminder_body", "Hej {namn}!\n\nSvara senast {sista_dag}: {lank}\n"),
        state=state,
        **fields,
    )
    db.session.add(round_)
    db.session.flush()
    return round_


def make_recipient(round_: Round, **fields: Any) -> Recipient:
    suffix = secrets.token_hex(3)
    recipient = Recipient(
        round_id=round_.id,
        name=fields.pop("name", f"Anna Andersson {suffix}"),
        email=fields.pop("email", f"anna.{suffix}@example.se"),
        organisation=fields.pop("organisation", "Vårdcentralen Ängelholm"),
        organisation_type=fields.pop("organisation_type", "regional_pv"),
        kommun=fields.pop("kommun", "Ängelholm"),
        delregion=fields.pop("delregion", round_.delregion),
        **fields,
    )
    db.session.add(recipient)
    db.session.flush()
    return recipient
