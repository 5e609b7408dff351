"""The rounds pages: list, create, settings, show, and open, remind, close and extend a round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from survey.accounts.permissions import login_required, role_required
from survey.db import db, utcnow
from survey.localtime import format_local, to_local
from survey.mail.outbox import failed_messages, uncertain_messages
from survey.organisations import DELREGIONS
from survey.paging import Page, requested_page
from survey.questionnaires.storage import list_questionnaire_versions
from survey.rounds.access import can_manage_round, round_view, visible_rounds
from survey.rounds.copying import deletion_refusal
from survey.rounds.forms import (
    ExtendForm,
    NewRoundForm,
    RoundSettingsForm,
    delregion_choices,
    parse_moment,
    questionnaire_choices,
)
from survey.rounds.history import (
    create_historical_round,
    historical_problems,
    historical_settings,
)
from survey.rounds.lifecycle import (
    close_round,
    create_round,
    extend_round,
    open_round,
    update_round,
)
from survey.rounds.messages import PLACEHOLDERS
from survey.rounds.pages import (
    CONCURRENT_CHANGE,
    acting_user,
    bp,
    error_pairs,
    page_context,
    round_url,
    run_action,
)
from survey.rounds.recipient_list import MAX_SEARCH_LENGTH, recipient_page
from survey.rounds.recipients_file import RecipientsParse
from survey.rounds.recipients_upload import (
    FIRST_ROWS_SHOWN,
    STAGED_FILE_LOST,
    recipients_upload,
)
from survey.rounds.reminder_pages import flash_skipped_reminders
from survey.rounds.reminding import remind_now
from survey.rounds.roster import add_recipients
from survey.rounds.settings import (
    LINK_PLACEHOLDER,
    RoundError,
    RoundSettings,
    RoundSettingsInvalid,
    check_round_settings,
    default_round_settings,
    preview_messages,
    settings_of,
)
from survey.rounds.staging import StagedFile
from survey.rounds.status import (
    RecipientState,
    RecipientStatus,
    round_counts,
    summarise_rounds,
)
from survey.schema.accounts import Role, User
from survey.schema.outbox import MAIL_STATUS_LABELS, MailStatus
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Round, RoundState

RECIPIENTS_PER_PAGE = 100
NOT_ANSWERED = "ej_svarat"  # the status filter's "has not answered": every state but submitted
EXAMPLE_RECIPIENT = ("Anna Andersson", "Vårdcentralen Ängelholm")


def creatable_delregions(user: User) -> list[str]:
    """The delregioner the user may create rounds in: all for administrators, else their own."""
    if user.is_admin:
        return list(DELREGIONS)
    return [user.delregion] if user.delregion in DELREGIONS else []


def questionnaire_title(version_id: int | None) -> str:
    stored = db.session.get(QuestionnaireVersion, version_id) if version_id else None
    return stored.title if stored is not None else "(enkätens titel)"


def sample_recipient(parsed: RecipientsParse | None) -> tuple[str, str]:
    if parsed is not None and parsed.recipients:
        first = parsed.recipients[0]
        return first.name, first.organisation
    return EXAMPLE_RECIPIENT


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
    historical = form.kind.data == "historisk"
    if historical:
        for name in ("opens_date", "opens_time", "closes_date", "closes_time"):
            problems.pop(name, None)
        settings = historical_settings(settings)
        rule_problems = {p.field: p.swedish for p in historical_problems(settings, now=now)}
    else:
        rule_problems = check_round_settings(settings, now=now)
    upload = recipients_upload(form, user, settings.delregion, now=now)
    parsed = upload.parsed
    previewing = request.form.get("action") == "preview"
    form.show_problems(problems, rule_problems)
    if upload.lost:
        form.recipients_file.errors = [STAGED_FILE_LOST]
    elif parsed is not None and not form.recipients_file.errors:
        if parsed.problems:
            form.recipients_file.errors = [
                f"Filen har {len(parsed.problems)} fel och ingen mottagare har lagts till. "
                "Rätta filen och välj den igen."
            ]
        elif not parsed.recipients:
            form.recipients_file.errors = ["Filen innehåller inga mottagare."]
    if previewing or any(field.errors for field in form):
        staged = upload.keep(user, now=now) if parsed is not None and parsed.ok else None
        if staged is None:
            upload.drop(user)
        db.session.commit()
        return render_settings_page(
            "rounds/new.html",
            form,
            versions=versions,
            settings=settings,
            preview=previewing,
            parsed=parsed,
            staged=staged,
        )
    try:
        recipients = parsed.recipients if parsed is not None else []
        if historical:
            round_ = create_historical_round(settings, recipients, actor=user, now=now)
        else:
            round_ = create_round(settings, actor=user, now=now)
            if recipients:
                add_recipients(round_, recipients, actor=user, now=now)
        upload.drop(user)
        db.session.commit()
    except RoundError as error:
        db.session.rollback()
        flash(error.swedish, "error")
        return render_settings_page("rounds/new.html", form, versions=versions, settings=settings)
    count = len(parsed.recipients) if parsed is not None else 0
    if historical:
        flash(
            f"Den historiska omgången ”{round_.title}” är skapad med {count} mottagare. "
            "Importera svaren med ”Importera svar”. Ingen e-post skickas.",
            "success",
        )
    elif count:
        flash(
            f"Omgången ”{round_.title}” är skapad som utkast med {count} mottagare. "
            "Kontrollera uppgifterna och öppna den när den är klar.",
            "success",
        )
    else:
        flash(
            f"Omgången ”{round_.title}” är skapad som utkast utan mottagare. "
            "Lägg till mottagare innan du öppnar den.",
            "info",
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
    staged: StagedFile | None = None,
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
            staged=staged,
            first_rows=parsed.recipients[:FIRST_ROWS_SHOWN] if parsed is not None else [],
            selected_version=selected,
            versions=versions,
            round=round_,
            link_placeholder=LINK_PLACEHOLDER,
            **page_context(),
        ),
        status,
    )


@bp.get("/omgangar/<int:round_id>")
@round_view()
def show_round(round_: Round) -> ResponseReturnValue:
    """The round; a reader sees its settings and counts, never who was asked (docs/privacy.md)."""
    status = round_counts(round_)
    can_manage = can_manage_round(current_user, round_)
    shown_state = request.args.get("status", "")
    if shown_state not in {state.value for state in RecipientState} | {NOT_ANSWERED}:
        shown_state = ""
    search = request.args.get("sok", "").strip()[:MAX_SEARCH_LENGTH]
    rows: Page[RecipientStatus] = Page([], 1, 1, 0, RECIPIENTS_PER_PAGE)
    if can_manage:
        rows = recipient_page(
            status,
            states=shown_states(shown_state),
            search=search,
            requested=requested_page(request.args.get("sida")),
            size=RECIPIENTS_PER_PAGE,
        )
    return render_template(
        "rounds/show.html",
        round=round_,
        status=status,
        rows=rows,
        shown_state=shown_state,
        search=search,
        states=list(RecipientState),
        outbox_counts=outbox_counts(status.outbox),
        failed=failed_messages(round_.id) if can_manage else [],
        uncertain=uncertain_messages(round_.id) if can_manage else [],
        can_manage=can_manage,
        deletable=deletion_refusal(round_) is None,
        now=utcnow(),
        **page_context(),
    )


def shown_states(shown: str) -> frozenset[RecipientState] | None:
    """The states the status filter asks for: one, every one but submitted, or any (None)."""
    if shown == NOT_ANSWERED:
        return frozenset(RecipientState) - {RecipientState.SUBMITTED}
    return frozenset({RecipientState(shown)}) if shown else None


def outbox_counts(summary: Mapping[MailStatus, int]) -> list[tuple[str, int]]:
    return [(MAIL_STATUS_LABELS[status], count) for status, count in summary.items() if count]


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
    override = request.form.get("override") == "1"
    outcome = run_action(
        lambda: remind_now(round_, actor=acting_user(), now=utcnow(), override_recent=override)
    )
    if outcome is not None:
        if outcome.queued:
            flash(f"{outcome.queued} påminnelser är köade för utskick.", "success")
        else:
            flash("Ingen påminnelse skickades.", "info")
        flash_skipped_reminders(round_, outcome)
    return redirect(round_url(round_))


@bp.route("/omgangar/<int:round_id>/stang", methods=["GET", "POST"])
@round_view(manage=True)
def close(round_: Round) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("rounds/close.html", round=round_, **page_context())
    run_action(
        lambda: close_round(round_, actor=acting_user()),  # stamped once locked
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
                    f"Sista svarsdag är nu {format_local(new_closes_at)}."
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
