"""A round's settings: the rules they must meet, defaults, times, and message previews.

Every rule is checked by `round_settings_problems`, which the web form and the command
line share: each problem names its field, in Swedish for the form and in English for the
operator. Times are aware datetimes; the people who set them think in Europe/Stockholm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from survey.db import db
from survey.errors import ErrorCode, SurveyError
from survey.localtime import format_local, local_datetime, moment_text, to_local
from survey.organisations import DELREGIONS
from survey.rounds.messages import (
    DEFAULT_INVITATION_BODY,
    DEFAULT_INVITATION_SUBJECT,
    DEFAULT_REMINDER_BODY,
    DEFAULT_REMINDER_SUBJECT,
    PLACEHOLDERS,
    MessageValues,
    TemplateProblem,
    check_subject,
    check_template,
    render_template,
)
from survey.rounds.recipients_file import check_email_address
from survey.rounds.reminders import check_reminder_days
from survey.rounds.tokens import LINK_MARKER
from survey.schema.outbox import MailKind
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.rounds import Round

MAX_REMINDERS = 10
TITLE_MAX_LENGTH = 200
SENDER_NAME_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000
# How a link is shown wherever a person reads a queued message: never the real token.
LINK_PLACEHOLDER = "[personlig länk]"

KNOWN_PLACEHOLDERS = " ".join("{" + name + "}" for name in PLACEHOLDERS)

# --- Errors ---------------------------------------------------------------------------


class RoundError(SurveyError):
    """An action that cannot be done; `swedish` for the web, `english` for the command line."""

    code = ErrorCode.ROUND_REFUSED
    shown = "operator_message"

    def __init__(self, swedish: str, english: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(swedish, operator_message=english, code=code)

    @property
    def swedish(self) -> str:
        return self.message

    @property
    def english(self) -> str:
        return self.operator_message


@dataclass(frozen=True)
class SettingProblem:
    """A broken rule of a round's settings: the field, in Swedish and in English."""

    field: str
    swedish: str
    english: str


class RoundSettingsInvalid(RoundError):
    """Settings that break one or more rules; every problem is listed."""

    code = ErrorCode.ROUND_INVALID_SETTINGS

    def __init__(
        self, problems: Sequence[SettingProblem], *, code: ErrorCode | None = None
    ) -> None:
        self.problems = list(problems)
        super().__init__(
            " ".join(problem.swedish for problem in self.problems),
            "; ".join(problem.english for problem in self.problems),
            code=code,
        )


# --- Settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSettings:
    """Everything a process leader chooses for a round (times aware; reminder days as typed)."""

    questionnaire_version_id: int | None
    title: str
    delregion: str
    reference_date: date | None
    opens_at: datetime | None
    closes_at: datetime | None
    reminder_days: str = "7, 14"
    max_reminders: int | None = 2
    sender_name: str = ""
    reply_to: str | None = None
    invitation_subject: str = DEFAULT_INVITATION_SUBJECT
    invitation_body: str = DEFAULT_INVITATION_BODY
    reminder_subject: str = DEFAULT_REMINDER_SUBJECT
    reminder_body: str = DEFAULT_REMINDER_BODY


SETTING_FIELDS: tuple[str, ...] = tuple(RoundSettings.__dataclass_fields__)
# Fixed once a round has opened.
FIXED_WHEN_OPEN: tuple[str, ...] = ("questionnaire_version_id", "delregion", "opens_at")


def default_sender_name(delregion: str) -> str:
    """The sender name proposed for a new round of the delregion."""
    name = DELREGIONS.get(delregion)
    return f"Processledare nära vård, {name}" if name else "Processledare nära vård"


def default_round_settings(
    delregion: str, *, now: datetime, questionnaire_version_id: int | None = None
) -> RoundSettings:
    """Settings a new round starts from: opens tomorrow 08.00, closes four weeks later."""
    today = to_local(now).date()
    return RoundSettings(
        questionnaire_version_id=questionnaire_version_id,
        title="",
        delregion=delregion,
        reference_date=date(today.year, 12, 31),
        opens_at=local_datetime(today + timedelta(days=1), time(8, 0)),
        closes_at=local_datetime(today + timedelta(days=29), time(23, 59)),
        sender_name=default_sender_name(delregion),
    )


def settings_of(round_: Round) -> RoundSettings:
    """The round's current settings, e.g. to fill an edit form."""
    return RoundSettings(
        questionnaire_version_id=round_.questionnaire_version_id,
        title=round_.title,
        delregion=round_.delregion,
        reference_date=round_.reference_date,
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
        reminder_days=", ".join(str(day) for day in round_.reminder_days),
        max_reminders=round_.max_reminders,
        sender_name=round_.sender_name,
        reply_to=round_.reply_to,
        invitation_subject=round_.invitation_subject,
        invitation_body=round_.invitation_body,
        reminder_subject=round_.reminder_subject,
        reminder_body=round_.reminder_body,
    )


def _control_character(text: str) -> bool:
    return any(not character.isprintable() for character in text)


def parse_reminder_days_text(text: str) -> tuple[tuple[int, ...] | None, SettingProblem | None]:
    """Parse "7, 14"; return the days, or the problem in Swedish and English."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    for part in parts:
        if not part.isascii() or not part.isdigit():
            return None, SettingProblem(
                "reminder_days",
                f"”{part[:20]}” är inte ett antal dagar. Skriv till exempel 7, 14.",
                f"reminder days: {part[:20]!r} is not a number of days — write e.g. 7,14",
            )
    days = [int(part) for part in parts]
    try:
        return check_reminder_days(days), None
    except ValueError as error:
        if any(not 1 <= day <= 365 for day in days):
            english = "reminder days must be between 1 and 365 days after the invitation"
        else:
            english = "reminder days must be in increasing order, e.g. 7,14"
        return None, SettingProblem("reminder_days", str(error), f"reminder days: {english}")


def round_settings_problems(
    settings: RoundSettings, *, now: datetime, check_dates: bool = True
) -> list[SettingProblem]:
    """Every broken rule of the settings, in the order of the form.

    `check_dates=False` leaves out "closes in the future", for an open round whose
    other settings are being edited (its closing time changes by `extend_round`).
    """
    problems: list[SettingProblem] = []

    def problem(name: str, swedish: str, english: str) -> None:
        problems.append(SettingProblem(name, swedish, english))

    if settings.questionnaire_version_id is None:
        problem("questionnaire_version_id", "Välj en enkät.", "choose a questionnaire")
    elif db.session.get(QuestionnaireVersion, settings.questionnaire_version_id) is None:
        problem(
            "questionnaire_version_id",
            "Den valda enkätversionen finns inte. Välj en enkät i listan.",
            f"questionnaire version {settings.questionnaire_version_id} does not exist — "
            "see `survey questionnaire list`",
        )
    title = settings.title.strip()
    if not title:
        problem("title", "Ange en titel, till exempel Årlig enkät 2025.", "the title is empty")
    elif len(title) > TITLE_MAX_LENGTH or _control_character(title):
        problem(
            "title",
            f"Titeln ska vara en rad på högst {TITLE_MAX_LENGTH} tecken.",
            f"the title must be one line of at most {TITLE_MAX_LENGTH} characters",
        )
    if settings.delregion not in DELREGIONS:
        known = ", ".join(DELREGIONS)
        problem(
            "delregion",
            "Välj en delregion i listan.",
            f"unknown delregion {settings.delregion!r} — use one of {known}",
        )
    if settings.reference_date is None:
        problem(
            "reference_date",
            "Ange referensdatum (det datum svaren beskriver), till exempel 2025-12-31.",
            "the reference date is missing (the date the answers describe, e.g. 2025-12-31)",
        )
    for name, moment in (("opens_at", settings.opens_at), ("closes_at", settings.closes_at)):
        if moment is None:
            word = "öppnar" if name == "opens_at" else "stänger"
            problem(
                name,
                f"Ange datum och tid när omgången {word}.",
                f"the {'opening' if name == 'opens_at' else 'closing'} date and time is missing",
            )
        elif moment.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")
    if settings.opens_at is not None and settings.closes_at is not None:
        if settings.closes_at <= settings.opens_at:
            problem(
                "closes_at",
                "Omgången måste stänga efter att den öppnar.",
                "the closing time must be after the opening time",
            )
        elif check_dates and settings.closes_at <= now:
            problem(
                "closes_at",
                "Sista svarsdag har redan passerat. Välj en tid i framtiden.",
                f"the closing time {format_local(settings.closes_at)} (Europe/Stockholm) "
                "has passed — choose a time in the future",
            )
    days, days_problem = parse_reminder_days_text(settings.reminder_days)
    if days_problem is not None:
        problems.append(days_problem)
    if settings.max_reminders is None or not 0 <= settings.max_reminders <= MAX_REMINDERS:
        problem(
            "max_reminders",
            f"Ange hur många påminnelser som högst skickas, från 0 till {MAX_REMINDERS}.",
            f"the maximum number of reminders must be a whole number from 0 to {MAX_REMINDERS}",
        )
    elif days is not None and not days and settings.max_reminders > 0:
        problem(
            "reminder_days",
            "Ange minst en påminnelsedag, eller sätt antalet påminnelser till 0.",
            "give at least one reminder day, or set the maximum number of reminders to 0",
        )
    sender = settings.sender_name.strip()
    if not sender:
        problem(
            "sender_name",
            "Ange avsändarens namn, till exempel Processledare nära vård Nordväst.",
            "the sender name is empty",
        )
    elif len(sender) > SENDER_NAME_MAX_LENGTH or _control_character(sender):
        problem(
            "sender_name",
            f"Avsändarens namn ska vara en rad på högst {SENDER_NAME_MAX_LENGTH} tecken.",
            f"the sender name must be one line of at most {SENDER_NAME_MAX_LENGTH} characters",
        )
    if settings.reply_to is not None and settings.reply_to.strip():
        _address, message = check_email_address(settings.reply_to)
        if message:
            problem(
                "reply_to",
                f"Svarsadressen: {message}",
                f"the reply-to address {settings.reply_to.strip()!r} is not a valid email address",
            )
    for name, label, english in (
        ("invitation_subject", "Inbjudans ämnesrad", "the invitation subject"),
        ("reminder_subject", "Påminnelsens ämnesrad", "the reminder subject"),
    ):
        text = getattr(settings, name)
        try:
            check_subject(text)
            if "{lank}" in text:
                raise TemplateProblem(
                    "Länken kan inte stå i ämnesraden, bara i texten.",
                    code=ErrorCode.TEMPLATE_LINK_IN_SUBJECT,
                )
        except TemplateProblem as error:
            problem(
                name,
                f"{label}: {error}",
                f"{english} must be one line of at most 200 characters, using only the "
                f"placeholders {KNOWN_PLACEHOLDERS} (not {{lank}})",
            )
    for name, label, english in (
        ("invitation_body", "Inbjudans text", "the invitation text"),
        ("reminder_body", "Påminnelsens text", "the reminder text"),
    ):
        text = getattr(settings, name)
        try:
            if not text.strip():
                raise TemplateProblem(
                    "Texten får inte vara tom.", code=ErrorCode.TEMPLATE_BODY_EMPTY
                )
            if len(text) > BODY_MAX_LENGTH:
                raise TemplateProblem(
                    f"Texten får vara högst {BODY_MAX_LENGTH} tecken.",
                    code=ErrorCode.TEMPLATE_BODY_TOO_LONG,
                )
            check_template(text, needs_link=True)
        except TemplateProblem as error:
            problem(
                name,
                f"{label}: {error}",
                f"{english} must contain {{lank}}, use only the placeholders "
                f"{KNOWN_PLACEHOLDERS} written plainly, and double a literal brace ({{{{ }}}})",
            )
    return problems


def check_round_settings(settings: RoundSettings, *, now: datetime) -> dict[str, str]:
    """The Swedish message of each field whose setting breaks a rule (empty when all is well)."""
    messages: dict[str, str] = {}
    for problem in round_settings_problems(settings, now=now):
        messages.setdefault(problem.field, problem.swedish)
    return messages


def clean_settings(settings: RoundSettings) -> dict[str, Any]:
    """The settings as stored: trimmed text, parsed days, no empty reply-to."""
    days, _ = parse_reminder_days_text(settings.reminder_days)
    reply_to = (settings.reply_to or "").strip()
    return {
        "questionnaire_version_id": settings.questionnaire_version_id,
        "title": settings.title.strip(),
        "delregion": settings.delregion,
        "reference_date": settings.reference_date,
        "opens_at": settings.opens_at,
        "closes_at": settings.closes_at,
        "reminder_days": list(days or ()),
        "max_reminders": settings.max_reminders,
        "sender_name": settings.sender_name.strip(),
        "reply_to": check_email_address(reply_to)[0] if reply_to else None,
        "invitation_subject": settings.invitation_subject.strip(),
        "invitation_body": settings.invitation_body,
        "reminder_subject": settings.reminder_subject.strip(),
        "reminder_body": settings.reminder_body,
    }


# --- Messages -------------------------------------------------------------------------


def message_values(round_: Round, *, name: str, organisation: str) -> MessageValues:
    """The placeholder values of one recipient's messages (the link is filled in at sending)."""
    return MessageValues(
        namn=name,
        organisation=organisation,
        sista_dag=moment_text(round_.closes_at),
        omgang=round_.title,
        enkat=round_.questionnaire_version.title,
        avsandare=round_.sender_name,
    )


@dataclass(frozen=True)
class MessagePreview:
    """A message as one recipient would get it; the link shown as a placeholder."""

    subject: str
    body: str


def preview_messages(
    settings: RoundSettings, *, name: str, organisation: str, questionnaire_title: str
) -> dict[MailKind, MessagePreview] | None:
    """Render the invitation and reminder for one recipient, or None if a text is unusable."""
    if settings.closes_at is None:
        return None
    values = MessageValues(
        namn=name,
        organisation=organisation,
        sista_dag=moment_text(settings.closes_at),
        omgang=settings.title.strip(),
        enkat=questionnaire_title,
        avsandare=settings.sender_name.strip(),
    )
    previews: dict[MailKind, MessagePreview] = {}
    for kind, subject, body in (
        (MailKind.INVITATION, settings.invitation_subject, settings.invitation_body),
        (MailKind.REMINDER, settings.reminder_subject, settings.reminder_body),
    ):
        try:
            check_subject(subject)
            check_template(body, needs_link=True)
            previews[kind] = MessagePreview(
                render_template(subject, values, link=LINK_PLACEHOLDER),
                render_template(body, values, link=LINK_PLACEHOLDER),
            )
        except (TemplateProblem, KeyError, ValueError, IndexError):
            return None
    return previews


def shown_body(text: str) -> str:
    """A queued message's text as a person may read it: the link marker, never a token."""
    return text.replace(LINK_MARKER, LINK_PLACEHOLDER)
