"""The outbox pages: a round's messages, one message as written, and sending one again."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.rounds.access import can_manage_round, round_view
from survey.rounds.links import live_links
from survey.rounds.mailing import resend_message, round_message, round_messages
from survey.rounds.pages import acting_user, bp, page_context, round_url, run_action
from survey.rounds.settings import shown_body
from survey.schema.outbox import OutboxMessage
from survey.schema.rounds import Round

OUTBOX_PAGE_SIZE = 200


@bp.get("/omgangar/<int:round_id>/utskick")
@round_view(manage=True)  # names and addresses: not for readers (docs/privacy.md)
def outbox(round_: Round) -> ResponseReturnValue:
    total = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.round_id == round_.id)
    )
    return render_template(
        "rounds/outbox.html",
        round=round_,
        messages=round_messages(round_.id, limit=OUTBOX_PAGE_SIZE),
        total=total or 0,
        can_manage=can_manage_round(current_user, round_),
        **page_context(),
    )


@bp.get("/omgangar/<int:round_id>/utskick/<int:message_id>")
@round_view(manage=True)
def show_message(round_: Round, message_id: int) -> ResponseReturnValue:
    """A queued mail as written (development only: mail is kept in the outbox there)."""
    if current_app.config["SURVEY_MAIL_DELIVERY"] != "outbox":
        abort(404)
    message = round_message(round_, message_id)
    if message is None:
        abort(404)
    # On a developer's laptop, let the process leader try the respondent's side from here:
    # the mail is never sent, so this is the only way to reach the personal link.
    try_link = None
    if current_app.config["SURVEY_ENV"] == "development" and message.recipient_id is not None:
        try_link = live_links([message.recipient_id]).get(message.recipient_id)
    return render_template(
        "rounds/message.html",
        round=round_,
        message=message,
        body=shown_body(message.body_text),
        try_link=try_link,
        **page_context(),
    )


@bp.post("/omgangar/<int:round_id>/utskick/<int:message_id>/skicka-igen")
@round_view(manage=True)
def resend(round_: Round, message_id: int) -> ResponseReturnValue:
    message = round_message(round_, message_id)
    if message is None:
        abort(404)
    run_action(
        lambda: resend_message(round_, message_id, actor=acting_user(), now=utcnow()),
        lambda _: "Meddelandet är köat för att skickas igen.",
    )
    target = request.form.get("tillbaka")
    if target == "utskick":
        return redirect(url_for("rounds.outbox", round_id=round_.id))
    if target == "mottagare" and message.recipient_id is not None:
        return redirect(
            url_for("rounds.show_recipient", round_id=round_.id, recipient_id=message.recipient_id)
        )
    return redirect(round_url(round_, "utskick"))
