"""Read a file of survey recipients, and check one recipient typed in by hand, by the same rules.

A recipients file is the first sheet of an .xlsx or a .csv (see ``survey.tabular``) with the
columns Namn, E-post, Organisation, Organisationstyp, Kommun and Delregion, in any order,
Swedish or English headers, any case. ``parse_recipients_file`` is pure: it lists every problem
in the file, and the caller imports the recipients only when there are none, so a file is taken
whole or not at all.

Rules decided here:

* Values are trimmed, runs of spaces (also non-breaking) become one space, and text is NFC.
  Control characters (line breaks, tabs) and invisible format characters (zero-width spaces,
  direction overrides) are refused: they hide what a name really says.
* A value starting with ``=``, ``+``, ``-`` or ``@`` is accepted as the text it is. Nothing is
  ever evaluated; the Excel export escapes such values and HTML output escapes everything, so
  refusing "=Vårdcentralen" would only annoy.
* Email addresses are checked for syntax only (no DNS), stored lower-case in their ASCII form
  (an internationalised domain as punycode, so every mail server can deliver it), and must be
  ASCII before the @ (many mail systems cannot deliver to "åsa@…").
* Organisationstyp and Delregion accept codes, Swedish and English names
  (``survey.organisations``). A row with an empty Delregion gets the round's delregion when the
  caller gives one (``round_delregion``), and then the Delregion column may be left out
  entirely; without a round delregion every row must name one.
* Kommun: checked against the reference list (survey/data/kommuner.json: Skåne's 33 and
  Sweden's 290) and written the usual way ("malmö stad" → "Malmö"). A kommun outside Skåne
  is accepted with a warning; a value that is no kommun is an error, with the nearest
  kommun suggested ("Malmoe" → "Menade du ”Malmö”?"), since a misspelt kommun would make
  its own group in every breakdown.
* Headers that match no column are ignored and reported as warnings, and so is a value in a
  column without a header (often a stray separator in a CSV row).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from survey.organisations import (
    DELREGIONS,
    ORGANISATION_TYPE_LABELS,
    OrganisationType,
    check_kommun,
    parse_delregion,
    parse_organisation_type,
)
from survey.tabular import (
    ColumnMap,
    ColumnSpec,
    Table,
    TableError,
    column_letter,
    describe_location,
    match_columns,
    read_table,
)

# The lengths of the recipients table's columns (survey.schema.rounds.Recipient).
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
ORGANISATION_MAX_LENGTH = 200
KOMMUN_MAX_LENGTH = 100


class RecipientField(StrEnum):
    """A recipient's fields, in the order of the file's columns."""

    NAME = "name"
    EMAIL = "email"
    ORGANISATION = "organisation"
    ORGANISATION_TYPE = "organisation_type"
    KOMMUN = "kommun"
    DELREGION = "delregion"


RECIPIENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        RecipientField.NAME,
        "Namn",
        ("Name", "Fullständigt namn", "Full name", "Kontaktperson", "Mottagare"),
    ),
    ColumnSpec(
        RecipientField.EMAIL,
        "E-post",
        (
            "E-postadress",
            "Epost",
            "Epostadress",
            "E-mail",
            "Email",
            "Email address",
            "E-mail address",
            "Mail",
            "Mailadress",
            "Mejl",
            "Mejladress",
        ),
    ),
    ColumnSpec(
        RecipientField.ORGANISATION,
        "Organisation",
        ("Organization", "Organisationsnamn", "Verksamhet", "Enhet"),
    ),
    ColumnSpec(
        RecipientField.ORGANISATION_TYPE,
        "Organisationstyp",
        (
            "Typ av organisation",
            "Organisation type",
            "Organization type",
            "Org.typ",
            "Verksamhetstyp",
            "Typ",
        ),
    ),
    ColumnSpec(RecipientField.KOMMUN, "Kommun", ("Municipality",)),
    ColumnSpec(RecipientField.DELREGION, "Delregion", ("Subregion", "Sub-region")),
)

_LABELS: dict[str, str] = {column.key: column.label for column in RECIPIENT_COLUMNS}
_ORDER: dict[str, int] = {column.key: index for index, column in enumerate(RECIPIENT_COLUMNS)}


@dataclass(frozen=True)
class RecipientRow:
    """One checked recipient, ready to be stored."""

    name: str
    email: str
    organisation: str
    organisation_type: OrganisationType
    kommun: str
    delregion: str


@dataclass(frozen=True)
class RowProblem:
    """Something wrong in a recipients file: where (row, column as headed in the file) and what."""

    row: int | None
    column: str | None
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return describe_location(self.row, self.column and f'"{self.column}"', self.message)


@dataclass
class RecipientsParse:
    """The outcome of reading a recipients file: recipients, blocking problems and warnings."""

    recipients: list[RecipientRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    # Values written another way than stored ("Vårdcentral" → "Regional primärvård").
    normalisations: list[RowProblem] = field(default_factory=list)
    file_description: str | None = None

    @property
    def ok(self) -> bool:
        """Say whether the file may be imported: it has recipients and no problems."""
        return not self.problems and bool(self.recipients)


def parse_recipients_file(
    data: bytes,
    filename: str,
    *,
    existing_emails: Collection[str] = frozenset(),
    round_delregion: str | None = None,
) -> RecipientsParse:
    """Read and check every row of a recipients file; import nothing, list every problem."""
    try:
        table = read_table(data, filename)
    except TableError as error:
        return RecipientsParse(problems=[RowProblem(error.row, error.column, error.message)])
    result = RecipientsParse(file_description=table.description)
    default_delregion = parse_delregion(round_delregion) if round_delregion else None
    spec = [
        ColumnSpec(column.key, column.label, column.spellings, required=False)
        if column.key == RecipientField.DELREGION and default_delregion
        else column
        for column in RECIPIENT_COLUMNS
    ]
    matched = match_columns(table.headers, spec)
    if not isinstance(matched, ColumnMap):
        result.problems = [
            RowProblem(table.header_row, problem.column, problem.message) for problem in matched
        ]
        return result
    result.warnings.extend(_column_warnings(table, matched))
    existing = {email.strip().lower() for email in existing_emails}
    rows_by_email: dict[str, list[int]] = defaultdict(list)
    checked: list[tuple[int, RecipientRow | None, str, dict[str, list[str]]]] = []
    for row in table.rows:
        fields = {key: matched.value(row, key) for key in _LABELS}
        recipient, address, errors, warnings, notes = _check_fields(fields, default_delregion)
        result.normalisations.extend(
            RowProblem(row.number, matched.header(key, _LABELS[key]), message, key)
            for key, message in notes.items()
        )
        if address:
            rows_by_email[address].append(row.number)
        checked.append((row.number, recipient, address, errors))
        result.warnings.extend(
            RowProblem(row.number, matched.header(key, _LABELS[key]), message, key)
            for key, message in warnings.items()
        )
        for position in matched.unnamed:
            if row.value(position):
                result.warnings.append(
                    RowProblem(
                        row.number,
                        None,
                        f"Värdet i kolumn {column_letter(position)} har ingen rubrik och läses "
                        "inte. Kontrollera att raden inte har ett extra skiljetecken.",
                    )
                )
    for number, recipient, address, errors in checked:
        if address:
            others = [other for other in rows_by_email[address] if other != number]
            if others:
                errors.setdefault(RecipientField.EMAIL, []).append(
                    f"Samma e-postadress ({address}) finns också på rad {_join_numbers(others)}."
                )
            if address in existing:
                errors.setdefault(RecipientField.EMAIL, []).append(_already_in_round(address))
        if recipient is not None and not errors:
            result.recipients.append(recipient)
        for key in sorted(errors, key=_ORDER.__getitem__):
            column = matched.header(key, _LABELS[key])
            result.problems.extend(
                RowProblem(number, column, message, key) for message in errors[key]
            )
    if result.problems:
        result.recipients = []
    return result


def check_recipient_fields(
    name: str,
    email: str,
    organisation: str,
    organisation_type: str | OrganisationType,
    kommun: str,
    delregion: str | None,
    *,
    existing_emails: Collection[str] = frozenset(),
    default_delregion: str | None = None,
) -> tuple[RecipientRow | None, dict[str, str]]:
    """Check one recipient typed into a form; return it, or the message for each bad field.

    When correcting a stored recipient, leave its own current address out of existing_emails.
    """
    fields: dict[str, str] = {
        RecipientField.NAME: name,
        RecipientField.EMAIL: email,
        RecipientField.ORGANISATION: organisation,
        RecipientField.ORGANISATION_TYPE: str(organisation_type),
        RecipientField.KOMMUN: kommun,
        RecipientField.DELREGION: delregion or "",
    }
    default = parse_delregion(default_delregion) if default_delregion else None
    recipient, address, errors, _warnings, _notes = _check_fields(fields, default)
    if address and address in {existing.strip().lower() for existing in existing_emails}:
        errors.setdefault(RecipientField.EMAIL, []).append(_already_in_round(address))
        recipient = None
    return recipient, {key: " ".join(messages) for key, messages in errors.items()}


def _already_in_round(address: str) -> str:
    return f"{address} finns redan bland omgångens mottagare."


def _column_warnings(table: Table, matched: ColumnMap) -> list[RowProblem]:
    warnings = [
        RowProblem(
            table.header_row,
            table.headers[position],
            f'Kolumnen "{table.headers[position]}" känns inte igen och läses inte.',
        )
        for position in matched.unknown
    ]
    return warnings


def _check_fields(
    fields: Mapping[str, str], default_delregion: str | None
) -> tuple[RecipientRow | None, str, dict[str, list[str]], dict[str, str], dict[str, str]]:
    """Check a row's fields; return the recipient (if all is well), its email, errors,
    warnings and the normalisations made (a value stored otherwise than it was written)."""
    errors: dict[str, list[str]] = {}
    warnings: dict[str, str] = {}
    notes: dict[str, str] = {}

    def note(key: str, written: str, stored: str) -> None:
        if key not in errors and stored and " ".join(written.split()) != stored:
            notes[key] = f"”{_shown(written)[1:-1]}” blir ”{stored}”."

    def keep(key: str, value: str, message: str | None) -> str:
        if message:
            errors[key] = [message]
        return value

    name = keep(
        RecipientField.NAME, *_check_text(fields[RecipientField.NAME], "Namn", NAME_MAX_LENGTH)
    )
    email = keep(RecipientField.EMAIL, *check_email_address(fields[RecipientField.EMAIL]))
    organisation = keep(
        RecipientField.ORGANISATION,
        *_check_text(fields[RecipientField.ORGANISATION], "Organisation", ORGANISATION_MAX_LENGTH),
    )
    organisation_type = _check_organisation_type(fields[RecipientField.ORGANISATION_TYPE])
    if not isinstance(organisation_type, OrganisationType):
        errors[RecipientField.ORGANISATION_TYPE] = [organisation_type]
    kommun = keep(
        RecipientField.KOMMUN,
        *_check_text(fields[RecipientField.KOMMUN], "Kommun", KOMMUN_MAX_LENGTH),
    )
    if kommun and RecipientField.KOMMUN not in errors:
        kommun, error, warning = check_kommun(kommun)
        if error:
            errors[RecipientField.KOMMUN] = [error]
        if warning:
            warnings[RecipientField.KOMMUN] = warning
    delregion = keep(
        RecipientField.DELREGION,
        *_check_delregion(fields[RecipientField.DELREGION], default_delregion),
    )
    note(RecipientField.EMAIL, fields[RecipientField.EMAIL], email)
    if isinstance(organisation_type, OrganisationType):
        note(
            RecipientField.ORGANISATION_TYPE,
            fields[RecipientField.ORGANISATION_TYPE],
            organisation_type.label,
        )
    if kommun and RecipientField.KOMMUN not in warnings:
        note(RecipientField.KOMMUN, fields[RecipientField.KOMMUN], kommun)
    if fields[RecipientField.DELREGION].strip():
        note(RecipientField.DELREGION, fields[RecipientField.DELREGION], delregion)
    if errors or not isinstance(organisation_type, OrganisationType):
        return None, email, errors, warnings, notes
    recipient = RecipientRow(
        name=name,
        email=email,
        organisation=organisation,
        organisation_type=organisation_type,
        kommun=kommun,
        delregion=delregion,
    )
    return recipient, email, errors, warnings, notes


def _check_text(value: str, label: str, max_length: int) -> tuple[str, str | None]:
    bad = _forbidden_character(value)
    if bad:
        return "", f"Innehåller ett otillåtet tecken ({bad}). Skriv värdet utan det."
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text:
        return "", f"{label} saknas."
    if len(text) > max_length:
        return "", f"Värdet är för långt: {len(text)} tecken, högst {max_length} tillåts."
    return text, None


def _forbidden_character(value: str) -> str | None:
    for character in value.strip():
        if unicodedata.category(character) in ("Cc", "Cf"):
            if character in "\r\n":
                return "radbrytning"
            if character == "\t":
                return "tabb"
            code = f"U+{ord(character):04X}"
            name = unicodedata.name(character, "")
            return f"{code} {name.lower()}" if name else f"{code}, ett styrtecken"
    return None


def check_email_address(value: str) -> tuple[str, str | None]:
    """Return the address normalised (lower-case ASCII), or a Swedish message on what is wrong."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    bad = _forbidden_character(text)
    if bad:
        return "", f"E-postadressen innehåller ett otillåtet tecken ({bad})."
    if not text:
        return "", "E-postadress saknas."
    if len(text) > EMAIL_MAX_LENGTH:
        return "", (
            f"E-postadressen är för lång: {len(text)} tecken, högst {EMAIL_MAX_LENGTH} tillåts."
        )
    if any(character.isspace() for character in text):
        return "", f"{_shown(text)} är inte en giltig e-postadress: den innehåller mellanslag."
    try:
        validated = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as error:
        return "", f"{_shown(text)} är inte en giltig e-postadress: {_email_reason(str(error))}"
    address = (validated.ascii_email or validated.normalized).lower()
    return address, None


# (fragment of email-validator's English message, Swedish reason), first match wins.
_EMAIL_REASONS: tuple[tuple[str, str], ...] = (
    ("must have an @-sign", "@ saknas."),
    ("instead of a regular at-sign", "den har ett annat @-tecken än det vanliga."),
    ("something before the @-sign", "det saknas något före @."),
    ("something after the @-sign", "det saknas något efter @."),
    ("too long", "den är för lång."),
    ("Internationalized characters before the @-sign", "å, ä, ö och liknande tecken kan inte "
     "användas före @"),
    ("invalid characters before the @-sign", "otillåtna tecken före @"),
    ("invalid characters after the @-sign", "otillåtna tecken efter @"),
    ("part after the @-sign contains invalid characters", "otillåtna tecken efter @"),
    ("unsafe characters", "otillåtna tecken"),
    ("two periods in a row", "den har två punkter i rad."),
    ("cannot start with a period", "den får inte börja med punkt."),
    ("period immediately before the @-sign", "det får inte stå en punkt direkt före @."),
    ("period immediately after the @-sign", "det får inte stå en punkt direkt efter @."),
    ("cannot end with a period", "den får inte sluta med punkt."),
    ("hyphen", "domänen efter @ får inte börja eller sluta med bindestreck."),
    ("should have a period", "delen efter @ saknar punkt (t.ex. @skane.se)."),
    ("not within a valid top-level domain", "domänen efter @ har ingen giltig toppdomän "
     "(t.ex. .se)."),
    ("special-use or reserved", "domänen efter @ är reserverad och kan inte ta emot e-post."),
    ("display name and angle brackets", "skriv bara adressen, utan namn och <>."),
    ("anything after the email address", "skriv bara adressen, utan något efter den."),
    ("Quoting the part before", "citattecken kan inte användas."),
    ("bracketed", "en IP-adress kan inte användas efter @."),
)  # fmt: skip


def _email_reason(english: str) -> str:
    for fragment, swedish in _EMAIL_REASONS:
        if fragment in english:
            if swedish.endswith("."):
                return swedish
            characters = english.partition(": ")[2].rstrip(".")
            characters = characters.replace("NO-BREAK SPACE", "hårt mellanslag")
            return f"{swedish}: {characters}." if characters else f"{swedish}."
    return "den är felaktigt skriven."


def _check_organisation_type(value: str) -> OrganisationType | str:
    accepted = ", ".join(ORGANISATION_TYPE_LABELS.values())
    text = value.strip()
    if not text:
        return f"Organisationstyp saknas. Ange en av: {accepted}."
    parsed = parse_organisation_type(text)
    if parsed is None:
        return f"Okänd organisationstyp {_shown(text)}. Ange en av: {accepted}."
    return parsed


def _check_delregion(value: str, default: str | None) -> tuple[str, str | None]:
    accepted = ", ".join(f"{code} ({name})" for code, name in DELREGIONS.items())
    text = value.strip()
    if not text:
        if default:
            return default, None
        return "", f"Delregion saknas. Ange en av: {accepted}."
    parsed = parse_delregion(text)
    if parsed is None:
        return "", f"Okänd delregion {_shown(text)}. Ange en av: {accepted}."
    return parsed, None


def _shown(value: str, limit: int = 60) -> str:
    """Quote a user's value for a message, shortened so a huge cell cannot flood the page."""
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def _join_numbers(numbers: Sequence[int]) -> str:
    texts = [str(number) for number in numbers]
    if len(texts) == 1:
        return texts[0]
    return ", ".join(texts[:-1]) + " och " + texts[-1]


# --- Templates ----------------------------------------------------------------------------

TEMPLATE_HEADERS: tuple[str, ...] = tuple(column.label for column in RECIPIENT_COLUMNS)
TEMPLATE_ROWS: tuple[tuple[str, ...], ...] = (
    (
        "Anna Andersson",
        "anna.andersson@example.com",
        "Vårdcentralen Ängelholm",
        ORGANISATION_TYPE_LABELS[OrganisationType.REGIONAL_PV],
        "Ängelholm",
        "NV",
    ),
    (
        "Björn Ek",
        "bjorn.ek@example.com",
        "Ängelholms kommun, hemsjukvården",
        ORGANISATION_TYPE_LABELS[OrganisationType.KOMMUN],
        "Ängelholm",
        "NV",
    ),
)
_TEMPLATE_GUIDE: tuple[tuple[str, str], ...] = (
    ("Namn", "Mottagarens för- och efternamn."),
    ("E-post", "Adressen som den personliga länken skickas till. Varje adress bara en gång."),
    ("Organisation", "Verksamheten mottagaren svarar för, t.ex. Vårdcentralen Ängelholm."),
    ("Organisationstyp", "En av: " + ", ".join(ORGANISATION_TYPE_LABELS.values()) + "."),
    ("Kommun", "Kommunen där verksamheten finns, t.ex. Ängelholm."),
    (
        "Delregion",
        "En av: "
        + ", ".join(f"{code} ({name})" for code, name in DELREGIONS.items())
        + ". Lämnas den tom gäller omgångens delregion.",
    ),
)


def recipients_template_xlsx() -> bytes:
    """Build the downloadable example recipients workbook (.xlsx)."""
    import xlsxwriter  # only needed when someone downloads the template

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = workbook.add_worksheet("Mottagare")
    sheet.write_row(0, 0, TEMPLATE_HEADERS, bold)
    for index, row in enumerate(TEMPLATE_ROWS, start=1):
        sheet.write_row(index, 0, row)
    for index, width in enumerate((24, 32, 36, 22, 18, 12)):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    last_row = 5000
    sheet.data_validation(
        1, 3, last_row, 3,
        {
            "validate": "list",
            "source": list(ORGANISATION_TYPE_LABELS.values()),
            "error_type": "warning",
            "input_title": "Organisationstyp",
            "input_message": "Välj i listan.",
        },
    )  # fmt: skip
    sheet.data_validation(
        1, 5, last_row, 5,
        {
            "validate": "list",
            "source": list(DELREGIONS),
            "error_type": "warning",
            "input_title": "Delregion",
            "input_message": "Välj i listan, eller lämna tom för omgångens delregion.",
        },
    )  # fmt: skip
    guide = workbook.add_worksheet("Anvisningar")
    guide.write_row(0, 0, ("Kolumn", "Vad som ska stå där"), bold)
    for index, (column, text) in enumerate(_TEMPLATE_GUIDE, start=1):
        guide.write_row(index, 0, (column, text))
    guide.write(
        len(_TEMPLATE_GUIDE) + 2,
        0,
        "Fyll i bladet Mottagare, en rad per person, och ta bort exempelraderna. "
        "Skriv värden, inte formler.",
    )
    guide.set_column(0, 0, 20)
    guide.set_column(1, 1, 90)
    workbook.close()
    return output.getvalue()


def recipients_template_csv() -> bytes:
    """Build the example recipients file as CSV the way Swedish Excel opens it (UTF-8, ;)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(TEMPLATE_ROWS)
    # The byte order mark makes Excel read the file as UTF-8, so å, ä and ö survive.
    return "\ufeff".encode() + text.getvalue().encode("utf-8")
