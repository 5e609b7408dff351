"""The log pages: a round's events, and every event a user may read.

``/omgangar/<id>/logg`` shows the events of one round to those who may manage it (process
leaders of its delregion, administrators); a reader gets 403 and a round of another
delregion is 404, as on every round page. ``/logg`` shows the events of the process
leader's delregion, or every event to an administrator; readers get 403. Both are paged
with ``?sida=N``.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey import paging
from survey.accounts.permissions import role_required
from survey.audit.reading import event_page, visible_to
from survey.localtime import format_local
from survey.organisations import delregion_label
from survey.rounds.access import round_view
from survey.schema.accounts import Role
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Round

bp = Blueprint("audit", __name__)

PAGE_PARAMETER = "sida"


def requested_page() -> int:
    """The page asked for; anything but a whole number means the first page."""
    return paging.requested_page(request.args.get(PAGE_PARAMETER))


@bp.get("/logg")
@role_required(Role.PROCESS_LEADER)
def log() -> ResponseReturnValue:
    page = event_page(visible_to(current_user), requested_page())
    scope = (
        "alla delregioner"
        if current_user.is_admin
        else f"delregion {delregion_label(current_user.delregion)}"
    )
    return render_template(
        "audit/log.html",
        page=page,
        round=None,
        scope=scope,
        format_local=format_local,
        page_endpoint="audit.log",
        page_arguments={},
    )


@bp.get("/omgangar/<int:round_id>/logg")
@round_view(manage=True)
def round_log(round_: Round) -> ResponseReturnValue:
    page = event_page(AuditEvent.round_id == round_.id, requested_page())
    return render_template(
        "audit/log.html",
        page=page,
        round=round_,
        scope=None,
        format_local=format_local,
        page_endpoint="audit.round_log",
        page_arguments={"round_id": round_.id},
    )
