"""The rounds blueprint (endpoints ``rounds.*``) and what its pages share.

The pages are in `survey.rounds.round_pages`, `survey.rounds.recipient_pages` and
`survey.rounds.outbox_pages`; each adds its routes to `bp` when imported. Every page needs
a login; a round outside the user's delregion is a 404; a reader may look but every action
answers 403. Each action is one transaction, committed by `run_action` (or the page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from survey.db import db
from survey.localtime import format_local, moment_text
from survey.organisations import DELREGIONS, delregion_label
from survey.rounds.recipients_file import RecipientsParse, parse_recipients_file
from survey.rounds.settings import RoundError, RoundSettingsInvalid
from survey.rounds.status import RECIPIENT_STATE_LABELS, organisation_type_label
from survey.schema.accounts import User
from survey.schema.outbox import MAIL_STATUS_LABELS, MailKind
from survey.schema.rounds import Round

bp = Blueprint("rounds", __name__)

CONCURRENT_CHANGE = "Omgången ändrades samtidigt av någon annan. Ladda om sidan och försök igen."

R = TypeVar("R")


def acting_user() -> User:
    user: User = current_user._get_current_object()
    return user


def round_url(round_: Round, anchor: str | None = None) -> str:
    return url_for("rounds.show_round", round_id=round_.id, _anchor=anchor)


def run_action(action: Callable[[], R], success: Callable[[R], str] | None = None) -> R | None:
    """Do one action and commit it; on a refusal roll back and flash why. Return its result."""
    try:
        result = action()
        db.session.commit()
    except RoundSettingsInvalid as error:
        db.session.rollback()
        for problem in error.problems:
            flash(problem.swedish, "error")
        return None
    except RoundError as error:
        db.session.rollback()
        flash(error.swedish, "error")
        return None
    except StaleDataError:
        db.session.rollback()
        flash(CONCURRENT_CHANGE, "error")
        return None
    if success is not None:
        flash(success(result), "success")
    return result


def error_pairs(form: Any, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """The (field id, message) pairs for the error summary, in the order of the form."""
    return [(field.id, message) for field in form for message in field.errors] + list(extra)


def read_upload(
    storage: FileStorage | None, delregion: str | None, existing: set[str] | frozenset[str]
) -> RecipientsParse | None:
    """Parse an uploaded recipients file; None when no file was chosen."""
    if storage is None or not storage.filename:
        return None
    # An empty file that was chosen is read too, so the page says "Filen är tom."
    return parse_upload(storage.read(), storage.filename, delregion, existing)


def parse_upload(
    data: bytes, filename: str, delregion: str | None, existing: set[str] | frozenset[str]
) -> RecipientsParse:
    """Parse the bytes of a recipients file (uploaded now or staged earlier)."""
    return parse_recipients_file(
        data,
        filename,
        existing_emails=existing,
        round_delregion=delregion if delregion in DELREGIONS else None,
    )


def page_context() -> dict[str, Any]:
    """Values every round page uses."""
    return {
        "format_local": format_local,
        "moment_text": moment_text,
        "delregion_label": delregion_label,
        "organisation_type_label": organisation_type_label,
        "state_labels": RECIPIENT_STATE_LABELS,
        "mail_status_labels": MAIL_STATUS_LABELS,
        "kind_label": lambda kind: MailKind(kind).label,
        "outbox_mode": current_app.config["SURVEY_MAIL_DELIVERY"] == "outbox",
    }
