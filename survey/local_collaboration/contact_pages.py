"""The group contact's pages: the personal link traded for a session, then the plan, no account.

`/samverkan/<group>/<token>` is traded once for a session and the contact continues on
`/samverkan/plan` (the token never stays in the address bar, a history or a Referer).
The session remembers the link's generation: a reissued or revoked link ends it at once.
Wrong links count against the address's failures, as respondents' links do.
"""

from __future__ import annotations

import math
from typing import Final

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from survey.db import db
from survey.local_collaboration.links import group_by_token
from survey.local_collaboration.pages import (
    PlanPage,
    bp,
    handle_plan_post,
    render_history,
    render_plan,
)
from survey.local_collaboration.plan import Editor
from survey.ratelimit import counter_key, is_limited, register_failure
from survey.schema.local_collaboration import LocalGroup

SESSION_KEY: Final = "local_group"


def contact_group() -> LocalGroup | None:
    """The group whose link opened this session, while that link still works."""
    entry = session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return None
    group_id, generation = entry.get("id"), entry.get("generation")
    if not isinstance(group_id, int) or not isinstance(generation, int):
        return None
    group = db.session.get(LocalGroup, group_id)
    if group is None or group.token_hash is None or group.token_generation != generation:
        session.pop(SESSION_KEY, None)
        return None
    return group


def no_session_page() -> ResponseReturnValue:
    return render_template("local_collaboration/no_session.html"), 403


def contact_page() -> PlanPage:
    return PlanPage(
        post_url=url_for("local_collaboration.contact_plan"),
        history_url=url_for("local_collaboration.contact_history"),
        export_url=None,
        can_edit=True,
        as_contact=True,
    )


@bp.get("/samverkan/<int:group_id>/<path:token>")
def open_group_link(group_id: int, token: str) -> ResponseReturnValue:
    """Trade the group's link for a session and continue on an address without the token."""
    config = current_app.config
    limit = int(config["SURVEY_TOKEN_MAX_FAILURES"])
    window = int(config["SURVEY_TOKEN_WINDOW_SECONDS"])
    failures_key = counter_key("token-ip", request.remote_addr or "okänd")
    if is_limited(failures_key, limit, window):
        minutes = max(1, math.ceil(window / 60))
        page = render_template("respond/rate_limited.html", minutes=minutes)
        return page, 429, {"Retry-After": str(window)}
    group = group_by_token(group_id, token)
    if group is None:
        register_failure(failures_key, window)
        db.session.commit()
        return render_template("local_collaboration/link_invalid.html"), 404
    session[SESSION_KEY] = {"id": group.id, "generation": group.token_generation}
    session.permanent = True
    return redirect(url_for("local_collaboration.contact_plan"), 303)


@bp.get("/samverkan/plan")
def contact_plan() -> ResponseReturnValue:
    """The group's action plan, for its contact."""
    group = contact_group()
    if group is None:
        return no_session_page()
    return render_plan(group, contact_page())


@bp.post("/samverkan/plan")
def contact_post() -> ResponseReturnValue:
    """One part of the plan, posted by the contact."""
    group = contact_group()
    if group is None:
        return no_session_page()
    return handle_plan_post(
        group,
        request.form,
        Editor.of_contact(group),
        contact_page(),
        lambda: redirect(url_for("local_collaboration.contact_plan"), 303),
    )


@bp.get("/samverkan/plan/historik")
def contact_history() -> ResponseReturnValue:
    """Every edit of the plan, newest first."""
    group = contact_group()
    if group is None:
        return no_session_page()
    return render_history(group, url_for("local_collaboration.contact_plan"))
