"""The recipients pages: one recipient and its actions; adding, correcting and uploading them."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from survey.accounts.permissions import login_required
from survey.db import db, utcnow
from survey.rounds.access import can_manage_round, round_view
from survey.rounds.forms import RecipientForm, RecipientsUploadForm
from survey.rounds.links import reissue_link, revoke_link_only
from survey.rounds.pages import (
    acting_user,
    bp,
    error_pairs,
    page_context,
    read_upload,
    round_url,
    run_action,
)
from survey.rounds.recipients_file import (
    RecipientRow,
    RecipientsParse,
    check_recipient_fields,
    recipients_template_csv,
    recipients_template_xlsx,
)
from survey.rounds.reminding import plan_hand_reminders, remind_now
from survey.rounds.roster import (
    add_recipient,
    add_recipients,
    correct_recipient,
    get_recipient,
    recipient_emails,
    remove_recipient,
)
from survey.rounds.status import recipient_status
from survey.schema.outbox import OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState

TEMPLATE_NAME = "mottagare-mall"


@bp.get("/omgangar/mottagarmall.<extension>")
@login_required
def recipients_template(extension: str) -> Response:
    if extension == "xlsx":
        data = recipients_template_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif extension == "csv":
        data = recipients_template_csv()
        mimetype = "text/csv; charset=utf-8"
    else:
        abort(404)
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}.{extension}"'
    return response


def recipient_or_404(round_: Round, recipient_id: int) -> Recipient:
    recipient = get_recipient(round_, recipient_id)
    if recipient is None:
        abort(404)
    return recipient


@bp.get("/omgangar/<int:round_id>/mottagare/<int:recipient_id>")
@round_view(manage=True)  # names a person: not for readers (docs/privacy.md)
def show_recipient(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    status = recipient_status(round_, recipient.id)
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_id == recipient.id)
            .order_by(OutboxMessage.id.desc())
        )
    )
    return render_template(
        "rounds/recipient.html",
        round=round_,
        recipient=recipient,
        row=status,
        messages=messages,
        can_manage=can_manage_round(current_user, round_),
        reminder=plan_hand_reminders(round_, [recipient.id], now=utcnow()),
        **page_context(),
    )


@bp.post("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/paminn")
@round_view(manage=True)
def remind_one(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    override = request.form.get("override") == "1"
    if override and request.form.get("bekrafta") != "ja":
        flash(
            "Kryssa i rutan för att bekräfta att mottagaren ska få en påminnelse trots att "
            "hen kontaktades för mindre än ett dygn sedan.",
            "error",
        )
    else:
        run_action(
            lambda: remind_now(
                round_,
                [recipient.id],
                actor=acting_user(),
                now=utcnow(),
                override_recent=override,
            ),
            lambda _: "En påminnelse är köad för utskick.",
        )
    return redirect(url_for("rounds.show_recipient", round_id=round_.id, recipient_id=recipient_id))


@bp.post("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/ny-lank")
@round_view(manage=True)
def reissue(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    run_action(
        lambda: reissue_link(round_, recipient, actor=acting_user(), now=utcnow()),
        lambda _: (
            "Den gamla länken fungerar inte längre. En ny inbjudan med ny länk är köad "
            "för utskick. Sparade svar finns kvar."
        ),
    )
    return redirect(url_for("rounds.show_recipient", round_id=round_.id, recipient_id=recipient_id))


@bp.post("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/aterkalla")
@round_view(manage=True)
def revoke(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    run_action(
        lambda: revoke_link_only(round_, recipient, actor=acting_user(), now=utcnow()),
        lambda _: "Länken är återkallad och fungerar inte längre. Sparade svar finns kvar.",
    )
    return redirect(url_for("rounds.show_recipient", round_id=round_.id, recipient_id=recipient_id))


@bp.route("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/ta-bort", methods=["GET", "POST"])
@round_view(manage=True)
def remove(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    if request.method == "GET":
        return render_template(
            "rounds/remove.html", round=round_, recipient=recipient, **page_context()
        )
    done = run_action(
        lambda: _removed(round_, recipient),
        lambda _: "Mottagaren är borttagen från omgången. Länken fungerar inte längre.",
    )
    if done is None:
        return redirect(
            url_for("rounds.show_recipient", round_id=round_.id, recipient_id=recipient_id)
        )
    return redirect(round_url(round_, "mottagare"))


def _removed(round_: Round, recipient: Recipient) -> bool:
    remove_recipient(round_, recipient, actor=acting_user(), now=utcnow())
    return True


def recipient_from_form(
    form: RecipientForm, round_: Round, *, exclude_email: str | None = None
) -> RecipientRow | None:
    """Check the typed-in recipient by the same rules as a file; show problems on the form."""
    existing = recipient_emails(round_.id)
    if exclude_email is not None:
        existing.discard(exclude_email)
    row, problems = check_recipient_fields(
        form.name.data or "",
        form.email.data or "",
        form.organisation.data or "",
        form.organisation_type.data or "",
        form.kommun.data or "",
        form.delregion.data or "",
        existing_emails=existing,
        default_delregion=round_.delregion,
    )
    for name, message in problems.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
    return row if not problems else None


def recipient_form_page(
    round_: Round, form: RecipientForm, recipient: Recipient | None
) -> ResponseReturnValue:
    """The form adding a recipient (None) or correcting one, with its errors if posted."""
    return render_template(
        "rounds/recipient_form.html",
        round=round_,
        form=form,
        recipient=recipient,
        errors=error_pairs(form),
        **page_context(),
    )


@bp.route("/omgangar/<int:round_id>/mottagare/ny", methods=["GET", "POST"])
@round_view(manage=True)
def new_recipient(round_: Round) -> ResponseReturnValue:
    form = RecipientForm()
    if request.method == "GET":
        form.delregion.data = round_.delregion
    elif round_.state_enum is RoundState.CLOSED:
        flash("Omgången är stängd. Förläng den först om mottagare ska läggas till.", "error")
        return redirect(round_url(round_))
    else:
        row = recipient_from_form(form, round_)
        if row is not None:
            added = run_action(
                lambda: add_recipient(round_, row, actor=acting_user(), now=utcnow())
            )
            if added is not None:
                invited = " och inbjudan är köad för utskick" if added.invited_at else ""
                flash(f"{added.name} är tillagd som mottagare{invited}.", "success")
                return redirect(round_url(round_, "mottagare"))
    return recipient_form_page(round_, form, None)


@bp.route("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/andra", methods=["GET", "POST"])
@round_view(manage=True)
def edit_recipient(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    form = RecipientForm(obj=recipient)
    back = url_for("rounds.show_recipient", round_id=round_.id, recipient_id=recipient.id)
    if request.method == "POST":
        row = recipient_from_form(form, round_, exclude_email=recipient.email)
        if row is not None:
            changed = run_action(
                lambda: correct_recipient(
                    round_, recipient, row, actor=acting_user(), now=utcnow()
                ),
            )
            if changed is not None:
                if "email" in changed and round_.state_enum is RoundState.OPEN:
                    flash(
                        "Uppgifterna är rättade. En ny inbjudan med ny länk är köad till den "
                        "nya adressen; den gamla länken fungerar inte längre.",
                        "success",
                    )
                else:
                    flash(
                        "Uppgifterna är rättade." if changed else "Inget ändrades.",
                        "success" if changed else "info",
                    )
                return redirect(back)
    return recipient_form_page(round_, form, recipient)


@bp.route("/omgangar/<int:round_id>/mottagare/ladda-upp", methods=["GET", "POST"])
@round_view(manage=True)
def upload_recipients(round_: Round) -> ResponseReturnValue:
    form = RecipientsUploadForm()
    parsed: RecipientsParse | None = None
    if request.method == "POST":
        if round_.state_enum is RoundState.CLOSED:
            flash("Omgången är stängd. Förläng den först om mottagare ska läggas till.", "error")
            return redirect(round_url(round_))
        parsed = read_upload(
            form.recipients_file.data, round_.delregion, recipient_emails(round_.id)
        )
        if parsed is None:
            form.recipients_file.errors = ["Välj en fil med mottagare (.xlsx eller .csv)."]
        elif parsed.problems:
            form.recipients_file.errors = [
                f"Filen har {len(parsed.problems)} fel och ingen mottagare har lagts till. "
                "Rätta filen och välj den igen."
            ]
        elif not parsed.recipients:
            form.recipients_file.errors = ["Filen innehåller inga mottagare."]
        else:
            recipients = parsed.recipients
            added = run_action(
                lambda: add_recipients(round_, recipients, actor=acting_user(), now=utcnow()),
            )
            if added is not None:
                invited = sum(1 for recipient in added if recipient.invited_at is not None)
                text = f"{len(added)} mottagare är tillagda."
                if invited:
                    text += f" {invited} inbjudningar är köade för utskick."
                flash(text, "success")
                for warning in parsed.warnings[:20]:
                    flash(str(warning), "warning")
                if parsed.normalisations:
                    changes = "; ".join(str(change) for change in parsed.normalisations[:20])
                    more = len(parsed.normalisations) - 20
                    flash(
                        f"Värden som skrevs på det vanliga sättet: {changes}"
                        + (f" och {more} till." if more > 0 else "."),
                        "info",
                    )
                return redirect(round_url(round_, "mottagare"))
    errors = error_pairs(form)
    return render_template(
        "rounds/upload.html",
        round=round_,
        form=form,
        parsed=parsed,
        errors=errors,
        **page_context(),
    )
