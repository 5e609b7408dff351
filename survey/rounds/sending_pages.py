"""Pages before mail goes out: confirm "Öppna och skicka", preview the messages, send a test."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from survey.db import utcnow
from survey.rounds.access import round_view
from survey.rounds.pages import acting_user, bp, page_context, round_url, run_action
from survey.rounds.sending import rendered_message, send_test_message, uninvited_recipients
from survey.schema.outbox import MailKind
from survey.schema.rounds import Round, RoundState

SHOWN_RECIPIENTS = 25


@bp.get("/omgangar/<int:round_id>/oppna")
@round_view(manage=True)
def confirm_open(round_: Round) -> ResponseReturnValue:
    if round_.state_enum is RoundState.CLOSED:
        flash("Omgången är stängd. Förläng den om den ska ta emot svar igen.", "error")
        return redirect(round_url(round_))
    recipients = uninvited_recipients(round_)
    return render_template(
        "rounds/confirm_open.html",
        round=round_,
        recipients=recipients[:SHOWN_RECIPIENTS],
        count=len(recipients),
        invitation=rendered_message(round_, MailKind.INVITATION, next(iter(recipients), None)),
        **page_context(),
    )


@bp.get("/omgangar/<int:round_id>/meddelanden")
@round_view(manage=True)
def message_preview(round_: Round) -> ResponseReturnValue:
    first = next(iter(uninvited_recipients(round_)), None)
    return render_template(
        "rounds/message_preview.html",
        round=round_,
        messages=[
            rendered_message(round_, kind, first)
            for kind in (MailKind.INVITATION, MailKind.REMINDER)
        ],
        **page_context(),
    )


@bp.post("/omgangar/<int:round_id>/prov")
@round_view(manage=True)
def send_test(round_: Round) -> ResponseReturnValue:
    try:
        kind = MailKind(request.form.get("kind", MailKind.INVITATION.value))
    except ValueError:
        abort(400)
    user = acting_user()
    run_action(
        lambda: send_test_message(round_, kind, actor=user, now=utcnow()),
        lambda _: (
            f"Ett provutskick av {kind.label.lower()} är köat till {user.email}. "
            "Det är märkt PROV och har ingen fungerande länk."
        ),
    )
    back = request.form.get("back")
    if back == "preview":
        return redirect(url_for("rounds.message_preview", round_id=round_.id))
    if back == "confirm":
        return redirect(url_for("rounds.confirm_open", round_id=round_.id))
    return redirect(round_url(round_))
