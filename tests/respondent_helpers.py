"""Set up rounds with invited respondents for the respondent tests (pages, service, browser)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from config import PROJECT_ROOT
from survey.db import db
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.parsing import read_questionnaire_file
from survey.questionnaires.storage import find_questionnaire_version
from survey.rounds.tokens import issue_link
from survey.schema.rounds import Recipient, Round
from tests.factories import make_questionnaire_version, make_recipient, make_round
from tests.sample import sample_questionnaire

NV_QUESTIONNAIRE_FILE = PROJECT_ROOT / "questionnaires" / "nv-arlig-enkat.yaml"


@functools.cache
def nv_questionnaire() -> Questionnaire:
    """The shipped NV annual questionnaire, read through the parser."""
    return read_questionnaire_file(Path(NV_QUESTIONNAIRE_FILE))


@dataclass(frozen=True)
class Invited:
    """One invited respondent, as plain values (rows expire when a test commits)."""

    round_id: int
    recipient_id: int
    token: str

    @property
    def link(self) -> str:
        """The personal link's path, as in the email."""
        return f"/svara/{self.round_id}/{self.token}"

    @property
    def form_url(self) -> str:
        return f"/svara/{self.round_id}"

    @property
    def confirmation_url(self) -> str:
        return f"/svara/{self.round_id}/klart"

    @property
    def reminders_url(self) -> str:
        return f"/svara/{self.round_id}/paminnelser"


def invite(
    app: Flask,
    *,
    questionnaire: Questionnaire | None = None,
    round_id: int | None = None,
    round_fields: dict[str, Any] | None = None,
    **recipient_fields: Any,
) -> Invited:
    """Add a recipient with a live personal link, in a new round (or in `round_id`)."""
    with app.app_context():
        if round_id is None:
            chosen = questionnaire or sample_questionnaire()
            version = find_questionnaire_version(
                chosen.id, chosen.version
            ) or make_questionnaire_version(chosen)
            round_ = make_round(version, **(round_fields or {}))
        else:
            found = db.session.get(Round, round_id)
            assert found is not None
            round_ = found
        recipient = make_recipient(round_, **recipient_fields)
        token = issue_link(recipient, app.config["SECRET_KEY"])
        db.session.commit()
        return Invited(round_.id, recipient.id, token)


def reissue(app: Flask, invited: Invited) -> Invited:
    """Give the recipient a new link: the old one and its sessions stop working."""
    with app.app_context():
        recipient = db.session.get(Recipient, invited.recipient_id)
        assert recipient is not None
        token = issue_link(recipient, app.config["SECRET_KEY"])
        db.session.commit()
        return Invited(invited.round_id, invited.recipient_id, token)


def update_round(app: Flask, round_id: int, **fields: Any) -> None:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        for name, value in fields.items():
            setattr(round_, name, value)
        db.session.commit()


def update_recipient(app: Flask, recipient_id: int, **fields: Any) -> None:
    with app.app_context():
        recipient = db.session.get(Recipient, recipient_id)
        assert recipient is not None
        for name, value in fields.items():
            setattr(recipient, name, value)
        db.session.commit()
