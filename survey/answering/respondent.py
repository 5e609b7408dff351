"""The respondent's pages: the personal link, the questionnaire, drafts, submission, amendment.

A personal link `/svara/<round>/<token>` is traded once for a session (the token never
stays in the address bar, a browser history or a Referer) and the respondent continues
on `/svara/<round>`. The session remembers the link's generation: a reissued or revoked
link, or a recipient removed from the round, ends it.

Decisions where the brief left room:

* A session can hold several rounds at once (a manager answering two questionnaires in
  two tabs), at most `respondent_session.MAX_SESSION_ROUNDS`.
* Statuses: a link that does not work 404; too many wrong links 429; no valid session
  403; a form shown again with errors (or a stale CSRF token, or a conflict) 422; answers
  posted to a round that is closed or not yet open 409. Informational pages 200.
* The respondent's POSTs are exempt from the global CSRFProtect and check the token
  themselves, so an expired token shows the form again with the typed answers instead
  of a bare 400 page. A POST without a valid session shows a page that keeps the posted
  answers in hidden fields: after opening the link in another tab, pressing the button
  there again posts them with the new session (and its CSRF token).
* A correct link does not reset the failure counter of its address: otherwise anyone
  with one valid link could keep guessing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from survey.answering.form import AnsweredQuestion, AnswerForm, build_answer_form
from survey.answering.receipt import queue_receipt
from survey.answering.respondent_session import (
    current_recipient,
    current_recipient_and_response,
    open_personal_link,
    remember_respondent,
)
from survey.db import db, utcnow
from survey.extensions import csrf
from survey.localtime import deadline_text, moment_text
from survey.organisations import OrganisationType, parse_organisation_type
from survey.questionnaires.answers import (
    AnswerError,
    AnswerValue,
    RawAnswers,
    RespondentType,
    check_answer,
    display_answer,
    format_number,
    reachable_questions,
)
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.storage import questionnaire_of
from survey.ratelimit import counter_key, is_limited, register_failure
from survey.responses.service import (
    AnswersRefused,
    RecipientGone,
    ResponseConflict,
    RoundNotOpen,
    RoundPhase,
    load_response,
    phase_of,
    save_draft,
    submit_response,
)
from survey.rounds.tokens import hash_token, looks_like_token
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round

bp = Blueprint("respond", __name__)

# Round ids are positive 32-bit integers; anything else cannot name a round.
MAX_ROUND_ID: Final = 2**31 - 1
ROUND_ID: Final = re.compile(r"[1-9][0-9]{0,9}")
# Names of posted fields worth keeping when the session is gone: question ids and the button.
KEPT_FIELD: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_KEPT_VALUES: Final = 2000

CSRF_AGAIN_MESSAGE: Final = (
    "Av säkerhetsskäl behöver du klicka på knappen igen – dina svar finns kvar. "
    "Ingenting har sparats än."
)
DRAFT_SAVED_MESSAGE: Final = "Utkastet är sparat."
DRAFT_SAVED_WITH_PROBLEMS_MESSAGE: Final = (
    "Utkastet är sparat. Några svar behöver rättas innan du kan skicka in – se listan nedan."
)
OPTED_OUT_MESSAGE: Final = "Du får inga fler påminnelser om den här enkäten."
OPTED_IN_MESSAGE: Final = "Du får påminnelser om den här enkäten igen om du inte har svarat."
BUTTON_AGAIN_MESSAGE: Final = "Av säkerhetsskäl behöver du klicka på knappen igen."

# -- who is answering ------------------------------------------------------------------------


def parse_round_id(text: str) -> int | None:
    """A round id from the address, None when it cannot be one."""
    if not ROUND_ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ROUND_ID else None


def respondent_type_of(recipient: Recipient) -> RespondentType:
    """The recipient's organisation type; unknown types see only the questions for everyone."""
    return parse_organisation_type(recipient.organisation_type or "")


def organisation_type_label(recipient: Recipient) -> str:
    kind = parse_organisation_type(recipient.organisation_type or "")
    return kind.label if isinstance(kind, OrganisationType) else recipient.organisation_type


def contact_email(round_: Round | None) -> str:
    """Whom a respondent writes to: the round's reply-to address, else the service's."""
    if round_ is not None and round_.reply_to:
        return round_.reply_to
    return str(current_app.config["SURVEY_CONTACT_EMAIL"])


# -- answers as shown ------------------------------------------------------------------------


def raw_from_submitted(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> RawAnswers:
    """Submitted (typed) answers as a respondent would type them: numbers with a decimal comma."""
    raw: RawAnswers = {}
    for key, value in answers.items():
        if isinstance(value, list):
            raw[key] = [str(item) for item in value]
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | float) and questionnaire.has_question(key):
            raw[key] = format_number(value)
        else:
            raw[key] = str(value)
    return raw


def answered_questions(
    questionnaire: Questionnaire,
    respondent_type: RespondentType,
    answers: Mapping[str, object],
) -> list[AnsweredQuestion]:
    """Answers in the form's order and numbering; typed values shown as labels and Swedish
    numbers, values that are not (yet) valid shown as typed."""
    items: list[AnsweredQuestion] = []
    for question in reachable_questions(questionnaire, respondent_type):
        number = questionnaire.question_number(question.id)
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            continue
        try:
            typed: AnswerValue | None = (
                value
                if isinstance(value, int | float) and not isinstance(value, bool)
                else check_answer(question, _as_raw(value))
            )
        except AnswerError:
            typed = None
        display = display_answer(question, typed) if typed is not None else _as_text(value)
        items.append(AnsweredQuestion(number, question, display))
    return items


def _as_raw(value: object) -> str | list[str] | None:
    if isinstance(value, list):
        return [str(item) for item in value]
    return None if value is None else str(value)


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class ResponseStatus:
    """The status box: where the respondent's answers stand."""

    kind: str  # "not_started", "draft", "submitted", "submitted_with_draft"
    submitted_at: str | None = None
    draft_saved_at: str | None = None

    @classmethod
    def of(cls, response: Response | None) -> ResponseStatus:
        if response is None or (response.draft is None and response.submitted_at is None):
            return cls("not_started")
        draft_at = (
            moment_text(response.draft_saved_at)
            if response.draft is not None and response.draft_saved_at is not None
            else None
        )
        if response.submitted_at is None:
            return cls("draft", draft_saved_at=draft_at)
        submitted_at = moment_text(response.submitted_at)
        if response.draft is not None:
            return cls("submitted_with_draft", submitted_at, draft_at)
        return cls("submitted", submitted_at)


# -- pages -----------------------------------------------------------------------------------


def link_invalid_page() -> ResponseReturnValue:
    """The same page for every link that does not work: wrong, old, revoked, removed, garbage."""
    return render_template("respond/link_invalid.html"), 404


def rate_limited_page() -> ResponseReturnValue:
    window = int(current_app.config["SURVEY_TOKEN_WINDOW_SECONDS"])
    minutes = max(1, math.ceil(window / 60))
    headers = {"Retry-After": str(window)}
    return render_template("respond/rate_limited.html", minutes=minutes), 429, headers


def open_via_link_page(round_id: int | None, *, kept: list[tuple[str, str]]) -> ResponseReturnValue:
    """No valid session: open the link from the email (keeping posted answers to post again)."""
    if round_id is None:
        kept = []  # no round to post them to again
    action_url = url_for("respond.post_answers", round_id=round_id) if kept else None
    return (
        render_template("respond/open_via_link.html", kept=kept, action_url=action_url),
        403,
    )


def phase_page(
    round_: Round,
    recipient: Recipient,
    phase: RoundPhase,
    *,
    posted: list[AnsweredQuestion] | None = None,
    status: int = 200,
    response: Response | Literal[False] | None = False,
) -> ResponseReturnValue:
    """The round is not yet open, or closed: say when, and whom to ask.

    `response` is the recipient's response when the caller has read it (False: read it here).
    """
    if response is False:
        response = load_response(recipient)
    template = "respond/closed.html" if phase is RoundPhase.CLOSED else "respond/not_open.html"
    # Closed by hand before its date: that moment; else its closing time (not the job's run).
    closed_at = min(round_.closed_at or round_.closes_at, round_.closes_at)
    opens_in_future = round_.opens_at > utcnow()
    return (
        render_template(
            template,
            round=round_,
            recipient=recipient,
            questionnaire=questionnaire_of(round_.questionnaire_version),
            contact=contact_email(round_),
            opens_at=moment_text(round_.opens_at) if opens_in_future else None,
            closed_at=moment_text(closed_at),
            submitted=response is not None and response.submitted_at is not None,
            posted=posted,
        ),
        status,
    )


def form_page(
    recipient: Recipient,
    round_: Round,
    form: AnswerForm,
    *,
    status: int = 200,
    errors_title: str | None = None,
    response: Response | Literal[False] | None = False,
) -> ResponseReturnValue:
    """The questionnaire with the respondent's answers, status, progress and opt-out.

    `response` is the recipient's response when the caller has already loaded it.
    """
    if response is False:
        response = load_response(recipient)
    errors = form.error_summary()
    return (
        render_template(
            "respond/form.html",
            round=round_,
            recipient=recipient,
            organisation_type=organisation_type_label(recipient),
            questionnaire=form.questionnaire,
            form=form,
            errors=errors,
            errors_title=errors_title or "Det finns fel som behöver rättas",
            status=ResponseStatus.of(response),
            deadline=deadline_text(round_.closes_at),
            contact=contact_email(round_),
            action_url=url_for("respond.post_answers", round_id=round_.id),
        ),
        status,
    )


def kept_fields() -> list[tuple[str, str]]:
    """The posted answers (and button) to carry over a lost session in hidden fields."""
    kept: list[tuple[str, str]] = []
    for name, value in request.form.items(multi=True):
        if KEPT_FIELD.fullmatch(name) and name != "csrf_token":
            kept.append((name, value))
        if len(kept) >= MAX_KEPT_VALUES:
            break
    return kept


# -- routes ----------------------------------------------------------------------------------


@bp.get("/svara/<round_id>/<path:token>")
def open_link(round_id: str, token: str) -> ResponseReturnValue:
    """Trade a personal link for a session and continue on an address without the token.

    A valid link always works, also from an address that has made many wrong guesses (a
    hospital behind one address): a guess that succeeds is a 2⁻²⁵⁶ event, so admitting
    valid links gives a guesser nothing. Only wrong links are counted and slowed down.
    """
    config = current_app.config
    limit = int(config["SURVEY_TOKEN_MAX_FAILURES"])
    window = int(config["SURVEY_TOKEN_WINDOW_SECONDS"])
    failures_key = counter_key("token-ip", request.remote_addr or "okänd")
    number = parse_round_id(round_id)
    opened: tuple[int, int] | None = None
    # The shape check comes first: garbage never reaches a query.
    if number is not None and looks_like_token(token):
        opened = open_personal_link(number, hash_token(number, token), utcnow())
    if opened is None or number is None:
        if is_limited(failures_key, limit, window):
            return rate_limited_page()
        register_failure(failures_key, window)
        db.session.commit()
        return link_invalid_page()
    recipient_id, generation = opened
    remember_respondent(recipient_id, number, generation)
    db.session.commit()
    return redirect(url_for("respond.form", round_id=number), 303)


@bp.get("/svara/<round_id>")
def form(round_id: str) -> ResponseReturnValue:
    """The questionnaire, filled with the draft, else with the latest submitted answers."""
    number = parse_round_id(round_id)
    found = current_recipient_and_response(number)
    if found is None:
        return open_via_link_page(number, kept=[])
    recipient, response = found
    round_ = recipient.round
    phase = phase_of(round_, utcnow())
    if phase is not RoundPhase.OPEN:
        return phase_page(round_, recipient, phase, response=response)
    questionnaire = questionnaire_of(round_.questionnaire_version)
    answers: Mapping[str, object] = {}
    if response is not None and response.draft is not None:
        answers = response.draft
    elif response is not None and response.answers is not None:
        answers = raw_from_submitted(questionnaire, response.answers)
    answer_form = build_answer_form(questionnaire, respondent_type_of(recipient), answers=answers)
    errors_title = None
    if response is not None and response.draft is not None:
        # A saved draft may have answers in the wrong format: say so, it is not blocking.
        answer_form.validate_answers(require_complete=False)
        answer_form.form_error = None  # nothing was posted: no CSRF token to check
        errors_title = "Utkastet är sparat, men några svar behöver rättas innan du skickar in"
    return form_page(recipient, round_, answer_form, errors_title=errors_title, response=response)


@bp.post("/svara/<round_id>")
def post_answers(round_id: str) -> ResponseReturnValue:
    """Save a draft or submit; whatever goes wrong, the typed answers are shown again."""
    number = parse_round_id(round_id)
    recipient = current_recipient(number)
    if recipient is None:
        return open_via_link_page(number, kept=kept_fields())
    round_ = recipient.round
    questionnaire = questionnaire_of(round_.questionnaire_version)
    respondent_type = respondent_type_of(recipient)
    answer_form = build_answer_form(questionnaire, respondent_type)
    now = utcnow()
    phase = phase_of(round_, now)
    if phase is not RoundPhase.OPEN:
        posted = answered_questions(questionnaire, respondent_type, answer_form.raw_answers)
        return phase_page(round_, recipient, phase, posted=posted, status=409)
    # Enter in a text field presses the first button, "save": the gentler action.
    action = "save" if request.form.get("action") == "save" else "submit"
    valid = answer_form.validate_answers(require_complete=action == "submit")
    if answer_form.form_error is not None:
        answer_form.form_error = CSRF_AGAIN_MESSAGE
        return form_page(
            recipient, round_, answer_form, status=422, errors_title="Klicka på knappen igen"
        )
    if action == "submit" and not valid:
        return form_page(
            recipient,
            round_,
            answer_form,
            status=422,
            errors_title="Det finns fel som behöver rättas innan du kan skicka in",
        )
    try:
        if action == "save":
            save_draft(recipient, answer_form.raw_answers, now)
        else:
            submission = submit_response(
                recipient, answer_form.answers, answer_form.raw_answers, now
            )
            queue_receipt(
                recipient,
                answered_questions(questionnaire, respondent_type, answer_form.answers),
                submission_number=submission.number,
                submitted_at=now,
            )
    except RoundNotOpen as refusal:
        posted = answered_questions(questionnaire, respondent_type, answer_form.raw_answers)
        return phase_page(round_, recipient, refusal.phase, posted=posted, status=409)
    except RecipientGone:
        return open_via_link_page(number, kept=kept_fields())
    except (ResponseConflict, AnswersRefused) as refusal:
        answer_form.form_error = refusal.message
        return form_page(
            recipient, round_, answer_form, status=422, errors_title="Svaren sparades inte"
        )
    if action == "save":
        has_problems = answer_form.answer_check is not None and not answer_form.answer_check.ok
        flash(DRAFT_SAVED_WITH_PROBLEMS_MESSAGE if has_problems else DRAFT_SAVED_MESSAGE, "success")
        return redirect(url_for("respond.form", round_id=number), 303)
    return redirect(url_for("respond.confirmation", round_id=number), 303)


@bp.get("/svara/<round_id>/klart")
def confirmation(round_id: str) -> ResponseReturnValue:
    """The submitted answers, and how to change them."""
    number = parse_round_id(round_id)
    found = current_recipient_and_response(number)
    if found is None:
        return open_via_link_page(number, kept=[])
    recipient, response = found
    if response is None or response.answers is None or response.submitted_at is None:
        return redirect(url_for("respond.form", round_id=number), 303)
    round_ = recipient.round
    questionnaire = questionnaire_of(round_.questionnaire_version)
    return render_template(
        "respond/confirmation.html",
        round=round_,
        recipient=recipient,
        organisation_type=organisation_type_label(recipient),
        questionnaire=questionnaire,
        answers=answered_questions(questionnaire, respondent_type_of(recipient), response.answers),
        submitted_at=moment_text(response.submitted_at),
        has_draft=response.draft is not None,
        is_open=phase_of(round_, utcnow()) is RoundPhase.OPEN,
        deadline=deadline_text(round_.closes_at),
        contact=contact_email(round_),
    )


@bp.post("/svara/<round_id>/paminnelser")
def reminders(round_id: str) -> ResponseReturnValue:
    """Stop (or restart) reminders for this round."""
    number = parse_round_id(round_id)
    recipient = current_recipient(number)
    if recipient is None:
        return open_via_link_page(number, kept=[])
    if not _csrf_token_is_valid():
        flash(BUTTON_AGAIN_MESSAGE, "warning")
        return redirect(url_for("respond.form", round_id=number, _anchor="paminnelser"), 303)
    wants_reminders = request.form.get("paminnelser") == "ja"
    recipient.opted_out = not wants_reminders
    db.session.commit()
    flash(OPTED_IN_MESSAGE if wants_reminders else OPTED_OUT_MESSAGE, "success")
    return redirect(url_for("respond.form", round_id=number, _anchor="paminnelser"), 303)


# These two check the CSRF token themselves, to keep what was typed when it has expired.
csrf.exempt(post_answers)
csrf.exempt(reminders)


def _csrf_token_is_valid() -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True
