"""The process leader's pages: rounds, their recipients, actions and outbox.

Every page needs a login; a round outside the user's delregion is a 404; a reader may
look but every action answers 403. The work is done by survey.rounds.service; each
action is one transaction, committed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from survey.accounts.permissions import login_required, role_required
from survey.db import db, utcnow
from survey.localtime import format_local, moment_text, to_local
from survey.mail.outbox import failed_messages, uncertain_messages
from survey.organisations import DELREGIONS, delregion_label
from survey.paging import page_of, requested_page
from survey.questionnaires.storage import list_questionnaire_versions
from survey.rounds.access import can_manage_round, round_view, visible_rounds
from survey.rounds.forms import (
    ExtendForm,
    NewRoundForm,
    RecipientForm,
    RecipientsUploadForm,
    RoundSettingsForm,
    delregion_choices,
    parse_moment,
    questionnaire_choices,
)
from survey.rounds.messages import PLACEHOLDERS
from survey.rounds.recipients_file import (
    RecipientRow,
    RecipientsParse,
    check_recipient_fields,
    parse_recipients_file,
    recipients_template_csv,
    recipients_template_xlsx,
)
from survey.rounds.service import (
    RoundError,
    RoundSettingsInvalid,
    add_recipient,
    add_recipients,
    close_round,
    correct_recipient,
    create_round,
    extend_round,
    get_recipient,
    live_links,
    open_round,
    recipient_emails,
    reissue_link,
    remind_now,
    remove_recipient,
    resend_message,
    revoke_link_only,
    round_message,
    round_messages,
    update_round,
)
from survey.rounds.settings import (
    LINK_PLACEHOLDER,
    RoundSettings,
    check_round_settings,
    default_round_settings,
    preview_messages,
    settings_of,
    shown_body,
)
from survey.rounds.status import (
    MAX_SEARCH_LENGTH,
    RECIPIENT_STATE_LABELS,
    RecipientState,
    find_recipients,
    organisation_type_label,
    round_status,
    summarise_rounds,
)
from survey.schema.accounts import Role, User
from survey.schema.outbox import MAIL_STATUS_LABELS, MailKind, MailStatus, OutboxMessage
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Recipient, Round, RoundState

bp = Blueprint("rounds", __name__)

CONCURRENT_CHANGE = "Omgången ändrades samtidigt av någon annan. Ladda om sidan och försök igen."
OUTBOX_PAGE_SIZE = 200
RECIPIENTS_PER_PAGE = 100
EXAMPLE_RECIPIENT = ("Anna Andersson", "Vårdcentralen Ängelholm")
TEMPLATE_NAME = "mottagare-mall"

R = TypeVar("R")


def acting_user() -> User:
    user: User = current_user._get_current_object()
    return user


def creatable_delregions(user: User) -> list[str]:
    """The delregioner the user may create rounds in: all for administrators, else their own."""
    if user.is_admin:
        return list(DELREGIONS)
    return [user.delregion] if user.delregion in DELREGIONS else []


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


def questionnaire_title(version_id: int | None) -> str:
    stored = db.session.get(QuestionnaireVersion, version_id) if version_id else None
    return stored.title if stored is not None else "(enkätens titel)"


def read_upload(
    storage: FileStorage | None, delregion: str | None, existing: set[str] | frozenset[str]
) -> RecipientsParse | None:
    """Parse an uploaded recipients file; None when no file was chosen."""
    if storage is None or not storage.filename:
        return None
    # An empty file that was chosen is read too, so the page says "Filen är tom."
    data = storage.read()
    return parse_recipients_file(
        data,
        storage.filename,
        existing_emails=existing,
        round_delregion=delregion if delregion in DELREGIONS else None,
    )


def sample_recipient(parsed: RecipientsParse | None) -> tuple[str, str]:
    if parsed is not None and parsed.recipients:
        first = parsed.recipients[0]
        return first.name, first.organisation
    return EXAMPLE_RECIPIENT


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


# --- Rounds ---------------------------------------------------------------------------


@bp.get("/omgangar")
@login_required
def list_rounds() -> ResponseReturnValue:
    rounds = list(db.session.scalars(visible_rounds(current_user)))
    user = acting_user()
    return render_template(
        "rounds/list.html",
        summaries=summarise_rounds(rounds),
        can_create=bool(creatable_delregions(user)) and user.role != Role.READER,
        **page_context(),
    )


@bp.route("/omgangar/ny", methods=["GET", "POST"])
@role_required(Role.PROCESS_LEADER)
def new_round() -> ResponseReturnValue:
    user = acting_user()
    allowed = creatable_delregions(user)
    if not allowed:
        abort(403)
    versions = list_questionnaire_versions()
    form = NewRoundForm()
    form.questionnaire_version_id.choices = questionnaire_choices(versions)
    form.delregion.choices = delregion_choices(allowed)
    now = utcnow()
    if request.method == "GET":
        chosen = request.args.get("enkat", type=int)
        form.fill(
            default_round_settings(
                allowed[0],
                now=now,
                questionnaire_version_id=chosen if chosen else None,
            )
        )
        return render_settings_page("rounds/new.html", form, versions=versions)

    settings, problems = form.read()
    if settings.delregion not in allowed:
        problems["delregion"] = "Du kan bara skapa omgångar i din egen delregion."
    rule_problems = check_round_settings(settings, now=now)
    parsed = read_upload(form.recipients_file.data, settings.delregion, frozenset())
    previewing = request.form.get("action") == "preview"
    form.show_problems(problems, rule_problems)
    if parsed is not None and not form.recipients_file.errors:
        if parsed.problems:
            form.recipients_file.errors = [
                f"Filen har {len(parsed.problems)} fel och ingen mottagare har lagts till. "
                "Rätta filen och välj den igen."
            ]
        elif not parsed.recipients:
            form.recipients_file.errors = ["Filen innehåller inga mottagare."]
    if previewing or any(field.errors for field in form):
        return render_settings_page(
            "rounds/new.html",
            form,
            versions=versions,
            settings=settings,
            preview=previewing,
            parsed=parsed,
            file_was_chosen=parsed is not None,
        )
    try:
        round_ = create_round(settings, actor=user, now=now)
        if parsed is not None and parsed.recipients:
            add_recipients(round_, parsed.recipients, actor=user, now=now)
        db.session.commit()
    except RoundError as error:
        db.session.rollback()
        flash(error.swedish, "error")
        return render_settings_page("rounds/new.html", form, versions=versions, settings=settings)
    count = len(parsed.recipients) if parsed is not None else 0
    flash(
        f"Omgången ”{round_.title}” är skapad som utkast med {count} mottagare. "
        "Kontrollera uppgifterna och öppna den när den är klar.",
        "success",
    )
    for warning in parsed.warnings[:20] if parsed is not None else []:
        flash(str(warning), "warning")
    return redirect(round_url(round_))


def render_settings_page(
    template: str,
    form: RoundSettingsForm,
    *,
    versions: Sequence[QuestionnaireVersion],
    settings: RoundSettings | None = None,
    preview: bool = False,
    parsed: RecipientsParse | None = None,
    file_was_chosen: bool = False,
    round_: Round | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    previews = None
    if preview and settings is not None:
        name, organisation = sample_recipient(parsed)
        previews = preview_messages(
            settings,
            name=name,
            organisation=organisation,
            questionnaire_title=questionnaire_title(settings.questionnaire_version_id),
        )
    errors = error_pairs(form)
    selected = next(
        (v for v in versions if str(v.id) == (form.questionnaire_version_id.data or "")), None
    )
    return (
        render_template(
            template,
            form=form,
            errors=errors,
            placeholders=PLACEHOLDERS,
            preview=preview,
            previews=previews,
            sample=sample_recipient(parsed),
            parsed=parsed,
            file_was_chosen=file_was_chosen,
            selected_version=selected,
            versions=versions,
            round=round_,
            link_placeholder=LINK_PLACEHOLDER,
            **page_context(),
        ),
        status,
    )


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


@bp.get("/omgangar/<int:round_id>")
@round_view()
def show_round(round_: Round) -> ResponseReturnValue:
    status = round_status(round_)
    shown_state = request.args.get("status", "")
    if shown_state not in {state.value for state in RecipientState}:
        shown_state = ""
    search = request.args.get("sok", "").strip()[:MAX_SEARCH_LENGTH]
    rows = find_recipients(
        status.recipients,
        state=RecipientState(shown_state) if shown_state else None,
        search=search,
    )
    return render_template(
        "rounds/show.html",
        round=round_,
        status=status,
        rows=page_of(rows, requested_page(request.args.get("sida")), RECIPIENTS_PER_PAGE),
        shown_state=shown_state,
        search=search,
        states=list(RecipientState),
        outbox_counts=outbox_counts(status.outbox),
        failed=failed_messages(round_.id),
        uncertain=uncertain_messages(round_.id),
        can_manage=can_manage_round(current_user, round_),
        now=utcnow(),
        **page_context(),
    )


@bp.route("/omgangar/<int:round_id>/andra", methods=["GET", "POST"])
@round_view(manage=True)
def edit_round(round_: Round) -> ResponseReturnValue:
    if round_.state_enum is RoundState.CLOSED:
        flash(
            "En stängd omgång kan inte ändras. Förläng den om den ska ta emot svar igen.", "error"
        )
        return redirect(round_url(round_))
    user = acting_user()
    allowed = creatable_delregions(user)
    if round_.delregion not in allowed:
        allowed = [round_.delregion, *allowed]
    versions = list_questionnaire_versions()
    form = RoundSettingsForm()
    form.questionnaire_version_id.choices = questionnaire_choices(versions)
    form.delregion.choices = delregion_choices(allowed)
    is_open = round_.state_enum is RoundState.OPEN
    if request.method == "GET":
        form.fill(settings_of(round_))
        return render_settings_page("rounds/edit.html", form, versions=versions, round_=round_)
    settings, problems = form.read()
    if is_open:
        current = settings_of(round_)
        settings = replace(
            settings,
            questionnaire_version_id=current.questionnaire_version_id,
            delregion=current.delregion,
            opens_at=current.opens_at,
            closes_at=current.closes_at,
        )
        for name in (
            "questionnaire_version_id",
            "delregion",
            "opens_date",
            "opens_time",
            "closes_date",
            "closes_time",
        ):
            problems.pop(name, None)
        form.fill(replace(settings_of(round_), **_editable(settings)))
    elif settings.delregion not in allowed:
        problems["delregion"] = "Du kan bara ha omgångar i din egen delregion."
    previewing = request.form.get("action") == "preview"
    form.show_problems(problems)
    if previewing or any(field.errors for field in form):
        if not previewing:
            form.show_problems(check_round_settings(settings, now=utcnow()))
        return render_settings_page(
            "rounds/edit.html",
            form,
            versions=versions,
            settings=settings,
            preview=previewing,
            round_=round_,
        )
    try:
        changed = update_round(round_, settings, actor=user, now=utcnow())
        db.session.commit()
    except RoundSettingsInvalid as error:
        db.session.rollback()
        form.show_problems({problem.field: problem.swedish for problem in error.problems})
        return render_settings_page("rounds/edit.html", form, versions=versions, round_=round_)
    except RoundError as error:
        db.session.rollback()
        flash(error.swedish, "error")
        return redirect(round_url(round_))
    except StaleDataError:
        db.session.rollback()
        flash(CONCURRENT_CHANGE, "error")
        return redirect(round_url(round_))
    flash(
        "Inställningarna är sparade." if changed else "Inget ändrades.",
        "success" if changed else "info",
    )
    return redirect(round_url(round_))


def _editable(settings: RoundSettings) -> dict[str, Any]:
    """The settings an open round may still change."""
    return {
        name: getattr(settings, name)
        for name in (
            "title",
            "reference_date",
            "reminder_days",
            "max_reminders",
            "sender_name",
            "reply_to",
            "invitation_subject",
            "invitation_body",
            "reminder_subject",
            "reminder_body",
        )
    }


@bp.post("/omgangar/<int:round_id>/oppna")
@round_view(manage=True)
def open_now(round_: Round) -> ResponseReturnValue:

    def said(outcome: Any) -> str:
        if outcome.opened:
            return f"Omgången är öppen. {outcome.invitations} inbjudningar är köade för utskick."
        if outcome.invitations:
            return f"{outcome.invitations} inbjudningar som inte skickats är köade för utskick."
        return "Alla mottagare har redan fått sin inbjudan."

    run_action(lambda: open_round(round_, actor=acting_user(), now=utcnow()), said)
    return redirect(round_url(round_))


@bp.post("/omgangar/<int:round_id>/paminn")
@round_view(manage=True)
def remind_all(round_: Round) -> ResponseReturnValue:

    def said(outcome: Any) -> str:
        text = f"{outcome.queued} påminnelser är köade för utskick."
        if outcome.skipped_recent:
            text += (
                f" {outcome.skipped_recent} mottagare kontaktades för mindre än ett dygn sedan "
                "och fick ingen ny påminnelse."
            )
        return text

    run_action(lambda: remind_now(round_, actor=acting_user(), now=utcnow()), said)
    return redirect(round_url(round_))


@bp.route("/omgangar/<int:round_id>/stang", methods=["GET", "POST"])
@round_view(manage=True)
def close(round_: Round) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("rounds/close.html", round=round_, **page_context())
    run_action(
        lambda: close_round(round_, actor=acting_user(), now=utcnow()),
        lambda _: "Omgången är stängd. Inga fler svar tas emot.",
    )
    return redirect(round_url(round_))


@bp.route("/omgangar/<int:round_id>/forlang", methods=["GET", "POST"])
@round_view(manage=True)
def extend(round_: Round) -> ResponseReturnValue:
    form = ExtendForm()
    if request.method == "GET":
        local = to_local(round_.closes_at)
        form.closes_date.data = local.date().isoformat()
        form.closes_time.data = local.strftime("%H:%M")
    else:
        problems: dict[str, str] = {}
        new_closes_at = parse_moment(form, "closes", problems)
        if new_closes_at is None and not problems:
            problems["closes_date"] = "Ange datum för den nya sista svarsdagen."
        if new_closes_at is not None:
            try:
                reopened = extend_round(round_, new_closes_at, actor=acting_user(), now=utcnow())
                db.session.commit()
            except RoundSettingsInvalid as error:
                db.session.rollback()
                problems["closes_date"] = error.problems[0].swedish
            except RoundError as error:
                db.session.rollback()
                problems["closes_date"] = error.swedish
            except StaleDataError:
                db.session.rollback()
                problems["closes_date"] = CONCURRENT_CHANGE
            else:
                flash(
                    f"Sista svarsdag är nu {moment_text(new_closes_at)}."
                    + (" Omgången är öppen igen." if reopened else ""),
                    "success",
                )
                return redirect(round_url(round_))
        for name, message in problems.items():
            getattr(form, name).errors = [message]
    errors = error_pairs(form)
    return render_template(
        "rounds/extend.html",
        round=round_,
        form=form,
        errors=errors,
        **page_context(),
    )


# --- Recipients -----------------------------------------------------------------------


def recipient_or_404(round_: Round, recipient_id: int) -> Recipient:
    recipient = get_recipient(round_, recipient_id)
    if recipient is None:
        abort(404)
    return recipient


@bp.get("/omgangar/<int:round_id>/mottagare/<int:recipient_id>")
@round_view()
def show_recipient(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    status = next(
        (row for row in round_status(round_).recipients if row.recipient_id == recipient.id),
        None,
    )
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
        **page_context(),
    )


@bp.post("/omgangar/<int:round_id>/mottagare/<int:recipient_id>/paminn")
@round_view(manage=True)
def remind_one(round_: Round, recipient_id: int) -> ResponseReturnValue:
    recipient = recipient_or_404(round_, recipient_id)
    run_action(
        lambda: remind_now(round_, [recipient.id], actor=acting_user(), now=utcnow()),
        lambda outcome: (
            "En påminnelse är köad för utskick."
            if outcome.queued
            else "Ingen påminnelse skickades."
        ),
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


# --- Outbox ---------------------------------------------------------------------------


@bp.get("/omgangar/<int:round_id>/utskick")
@round_view()
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
@round_view()
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


def outbox_counts(summary: Mapping[MailStatus, int]) -> list[tuple[str, int]]:
    return [(MAIL_STATUS_LABELS[status], count) for status, count in summary.items() if count]
