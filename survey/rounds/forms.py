"""Forms of the process leader's round pages; the rules live in survey.rounds.settings.

Dates and times are plain text fields shown as date and time inputs, parsed here with
Swedish messages (WTForms' own date fields answer in English).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from survey.db import MAX_ROW_ID
from survey.localtime import local_datetime, to_local
from survey.organisations import DELREGIONS, ORGANISATION_TYPE_LABELS
from survey.rounds.settings import RoundSettings
from survey.schema.questionnaires import QuestionnaireVersion

# Which form field shows a settings problem (the others have the same name).
PROBLEM_FIELDS = {"opens_at": "opens_date", "closes_at": "closes_date"}
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def questionnaire_choices(versions: Iterable[QuestionnaireVersion]) -> list[SelectChoice]:
    return [SelectChoice("", "Välj enkät")] + [
        SelectChoice(str(stored.id), f"{stored.title} (version {stored.version})")
        for stored in versions
    ]


def delregion_choices(allowed: Sequence[str]) -> list[SelectChoice]:
    return [SelectChoice(code, f"{DELREGIONS[code]} ({code})") for code in allowed]


def _date_field(label: str, hint: str | None = None) -> StringField:
    return StringField(label, description=hint, render_kw={"type": "date", "class": "input-date"})


def _time_field(label: str) -> StringField:
    return StringField(
        label,
        description="Timme och minut, till exempel 08:00.",
        render_kw={"type": "time", "class": "input-short"},
    )


class RoundSettingsForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    questionnaire_version_id = SelectField("Enkät", validate_choice=False)
    title = StringField(
        "Titel", description="Till exempel Årlig enkät 2025. Syns i e-postmeddelandena."
    )
    delregion = SelectField("Delregion", validate_choice=False)
    reference_date = _date_field(
        "Referensdatum", "Det datum svaren beskriver, till exempel 2025-12-31."
    )
    opens_date = _date_field("Öppnar, datum", "Inbjudningarna skickas när omgången öppnar.")
    opens_time = _time_field("Öppnar, klockslag")
    closes_date = _date_field("Stänger, datum", "Sista dag att svara.")
    closes_time = _time_field("Stänger, klockslag")
    reminder_days = StringField(
        "Påminnelsedagar",
        description="Dagar efter inbjudan, till exempel 7, 14. Lämna tomt för inga påminnelser.",
        render_kw={"class": "input-short", "inputmode": "numeric"},
    )
    max_reminders = StringField(
        "Högst antal påminnelser",
        description="Från 0 till 10. Påminnelser går bara till dem som inte har skickat in.",
        render_kw={"class": "input-short", "inputmode": "numeric"},
    )
    sender_name = StringField("Avsändarens namn", description="Visas som avsändare i e-posten.")
    reply_to = EmailField(
        "Svarsadress",
        description="Dit mottagarnas svar på e-postmeddelandet går, t.ex. din egen adress.",
        render_kw={"spellcheck": "false"},
    )
    invitation_subject = StringField("Inbjudans ämnesrad")
    invitation_body = TextAreaField("Inbjudans text", render_kw={"rows": 14})
    reminder_subject = StringField("Påminnelsens ämnesrad")
    reminder_body = TextAreaField("Påminnelsens text", render_kw={"rows": 12})

    def fill(self, settings: RoundSettings) -> None:
        """Show the settings in the fields (for a new or an edited round)."""
        self.questionnaire_version_id.data = (
            str(settings.questionnaire_version_id) if settings.questionnaire_version_id else ""
        )
        self.title.data = settings.title
        self.delregion.data = settings.delregion
        self.reference_date.data = (
            settings.reference_date.isoformat() if settings.reference_date else ""
        )
        for prefix, moment in (("opens", settings.opens_at), ("closes", settings.closes_at)):
            local = to_local(moment) if moment else None
            getattr(self, f"{prefix}_date").data = local.date().isoformat() if local else ""
            getattr(self, f"{prefix}_time").data = local.strftime("%H:%M") if local else ""
        self.reminder_days.data = settings.reminder_days
        self.max_reminders.data = (
            "" if settings.max_reminders is None else str(settings.max_reminders)
        )
        self.sender_name.data = settings.sender_name
        self.reply_to.data = settings.reply_to or ""
        self.invitation_subject.data = settings.invitation_subject
        self.invitation_body.data = settings.invitation_body
        self.reminder_subject.data = settings.reminder_subject
        self.reminder_body.data = settings.reminder_body

    def read(self) -> tuple[RoundSettings, dict[str, str]]:
        """The settings typed in, and Swedish messages for fields that could not be read."""
        problems: dict[str, str] = {}
        version_id: int | None = None
        raw_version = (self.questionnaire_version_id.data or "").strip()
        if raw_version.isascii() and raw_version.isdigit() and int(raw_version) <= MAX_ROW_ID:
            version_id = int(raw_version)
        elif raw_version:
            problems["questionnaire_version_id"] = "Välj en enkät i listan."
        reference = parse_date(self.reference_date.data, "reference_date", problems)
        opens_at = parse_moment(self, "opens", problems)
        closes_at = parse_moment(self, "closes", problems)
        raw_max = (self.max_reminders.data or "").strip()
        max_reminders: int | None = None
        if raw_max.isascii() and raw_max.isdigit():
            max_reminders = int(raw_max)
        settings = RoundSettings(
            questionnaire_version_id=version_id,
            title=self.title.data or "",
            delregion=self.delregion.data or "",
            reference_date=reference,
            opens_at=opens_at,
            closes_at=closes_at,
            reminder_days=self.reminder_days.data or "",
            max_reminders=max_reminders,
            sender_name=self.sender_name.data or "",
            reply_to=(self.reply_to.data or "").strip() or None,
            invitation_subject=self.invitation_subject.data or "",
            invitation_body=_text(self.invitation_body.data),
            reminder_subject=self.reminder_subject.data or "",
            reminder_body=_text(self.reminder_body.data),
        )
        return settings, problems

    def show_problems(self, *problem_maps: Mapping[str, str]) -> None:
        """Put each message next to its field (the first message of a field wins)."""
        for problems in problem_maps:
            for name, message in problems.items():
                field = getattr(self, PROBLEM_FIELDS.get(name, name), None)
                if field is not None and not field.errors:
                    field.errors = [message]


ROUND_KINDS = (
    SelectChoice("vanlig", "Ny omgång: inbjudningar och påminnelser skickas med e-post"),
    SelectChoice(
        "historisk", "Historisk omgång: svar från ett tidigare år importeras, ingen e-post skickas"
    ),
)


class NewRoundForm(RoundSettingsForm):
    kind = RadioField(
        "Slag av omgång",
        choices=list(ROUND_KINDS),
        default="vanlig",
        validate_choice=False,
        description="En historisk omgång har inga svarsdatum: lämna datumen tomma. Den skapas "
        "stängd, och du importerar svaren på omgångens sida.",
    )
    recipients_file = FileField(
        "Mottagare (Excel eller CSV)",
        description="Kolumnerna Namn, E-post, Organisation, Organisationstyp, Kommun och "
        "Delregion. Du kan också lägga till mottagare senare.",
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )


def _text(value: str | None) -> str:
    """A textarea's text with the browser's CRLF line ends made plain newlines."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def parse_date(value: str | None, name: str, problems: dict[str, str]) -> date | None:
    """A date written YYYY-MM-DD; None (and a message) if unreadable, None if empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[name] = f"”{text[:30]}” är inte ett datum. Skriv datumet som ÅÅÅÅ-MM-DD."
        return None


def parse_clock(value: str | None, name: str, problems: dict[str, str]) -> time | None:
    """A time written HH:MM (or HH.MM); None (and a message) if unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        problems[name] = f"”{text[:30]}” är inte ett klockslag. Skriv till exempel 08:00."
        return None
    return time(int(match.group(1)), int(match.group(2)))


def parse_moment(form: FlaskForm, prefix: str, problems: dict[str, str]) -> datetime | None:
    """The date and time fields `prefix`_date and `prefix`_time as one aware datetime."""
    day = parse_date(getattr(form, f"{prefix}_date").data, f"{prefix}_date", problems)
    clock = parse_clock(getattr(form, f"{prefix}_time").data, f"{prefix}_time", problems)
    if day is None or clock is None:
        if day is not None and clock is None and f"{prefix}_time" not in problems:
            problems[f"{prefix}_time"] = "Ange klockslag, till exempel 08:00."
        return None
    return local_datetime(day, clock)


class RecipientsUploadForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    recipients_file = FileField(
        "Fil med mottagare (Excel eller CSV)",
        description="Kolumnerna Namn, E-post, Organisation, Organisationstyp, Kommun och "
        "Delregion. Ingenting läggs till förrän filen är felfri.",
        render_kw={"accept": ".xlsx,.csv,text/csv"},
    )


def organisation_type_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Välj organisationstyp")] + [
        SelectChoice(str(kind), label) for kind, label in ORGANISATION_TYPE_LABELS.items()
    ]


class RecipientForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    name = StringField("Namn", render_kw={"autocomplete": "off"})
    email = EmailField("E-post", render_kw={"autocomplete": "off", "spellcheck": "false"})
    organisation = StringField(
        "Organisation",
        description="Verksamheten personen svarar för, t.ex. Vårdcentralen Ängelholm.",
    )
    organisation_type = SelectField(
        "Organisationstyp", choices=organisation_type_choices(), validate_choice=False
    )
    kommun = StringField("Kommun")
    delregion = SelectField(
        "Delregion",
        choices=[SelectChoice(code, f"{name} ({code})") for code, name in DELREGIONS.items()],
        validate_choice=False,
    )


class ExtendForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no type hints
    closes_date = _date_field("Ny sista svarsdag, datum")
    closes_time = _time_field("Ny sista svarsdag, klockslag")
