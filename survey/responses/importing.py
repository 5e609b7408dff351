"""Import earlier answers (an Excel or CSV file) into a round as submitted responses.

This is how earlier years' answers (kept in Excel until now) and answers given on paper come
in, so that trends start with history: the process leader creates a round for 2023 with
reference date 2023-12-31, imports the file and closes the round.

The file is the first sheet of an .xlsx or a .csv (read by `survey.tabular.read_table`), one
row per respondent:

* a column ``e-post`` (also "epost", "email", "e-postadress" and the other spellings of the
  recipients file) naming a recipient of the round;
* one column per question, headed by the question's id (any case). The id is the contract:
  a header that is a question's text is refused with a message naming the id to use;
* the recipient columns of the recipients file (Namn, Organisation, Organisationstyp, Kommun,
  Delregion) may be there. With ``add_recipients`` they create the recipients that are missing,
  checked by the recipients file's rules (`check_recipient_fields`; an empty Delregion is the
  round's). For a recipient already in the round they are ignored: the round's recipient list
  is what results are broken down by. Any other column is an error.

Cells are read as a person writes them and then checked by the same rules as the web form
(`survey.questionnaires.answers.check_answers`):

* yes/no and other choices by value or label, case and accents ignored, ``_`` or ``-`` for a
  space ("Ja", "nej", "Ej aktuellt", "ej_aktuellt", "mycket_nojd", "Mycket nöjd");
* several choices separated by ``;``;
* numbers with a decimal comma or point; dates ISO (an Excel date cell reads as ISO); weeks as
  the form accepts them ("2025-W09", "v. 9 2025" …);
* an empty cell is no answer.

Decisions:

* Required questions may be left empty (``require_complete=False``): historical and paper
  answers are often incomplete, and a gap is better kept as a gap than refused. Everything
  else is checked in full: types, ranges, decimals, lengths, choices.
* An answer that the web form would never have stored is an error, not silently dropped: an
  answer to a question not asked of the recipient's organisation type ("Frågan ställs inte
  till organisationstypen …") or to a conditional question whose condition does not hold.
* A row with an email and no answer at all is an error (it would import an empty response).
* Re-importing for a recipient who has already submitted adds a new submission: an amendment,
  with the history kept. A row whose answers equal the recipient's current answers changes
  nothing (so importing the same file twice is harmless) and is counted as unchanged.
* The round may be in any state: earlier years are imported into closed rounds.
* Every problem is listed with its row and column; nothing is written unless there is none.
  `import_responses` adds to the session and records the audit event; the caller commits (or
  rolls back), so the import is one transaction.
* A percent column whose answers all lie between 0 and 1 gets a warning: Excel cells
  formatted as percent hold fractions, so 25 % reads as 0.25.
"""

from __future__ import annotations

import difflib
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.organisations import (
    DELREGIONS,
    ORGANISATION_TYPE_LABELS,
    OrganisationType,
    normalise_word,
    parse_organisation_type,
)
from survey.questionnaires.answers import (
    EVERYONE,
    AnswerError,
    AnswerValue,
    RawAnswers,
    check_answers,
    format_number,
    is_asked,
    join_with_or,
    max_length,
    parse_number,
)
from survey.questionnaires.model import Question, Questionnaire, QuestionType
from survey.questionnaires.storage import questionnaire_of
from survey.responses.service import record_submission
from survey.rounds.recipients_file import (
    RECIPIENT_COLUMNS,
    RecipientField,
    RecipientRow,
    check_email_address,
    check_recipient_fields,
)
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round
from survey.tabular import (
    ColumnMap,
    ColumnSpec,
    Table,
    TableError,
    TableRow,
    column_letter,
    describe_location,
    match_columns,
    read_table,
)

AUDIT_ACTION = "round.responses_imported"
# Recipient columns needed to create a missing recipient (Delregion defaults to the round's).
NEW_RECIPIENT_COLUMNS: tuple[str, ...] = tuple(
    column.label
    for column in RECIPIENT_COLUMNS
    if column.key not in (RecipientField.EMAIL, RecipientField.DELREGION)
)
TYPE_LABELS: dict[QuestionType, str] = {
    QuestionType.YES_NO: "Ja/nej",
    QuestionType.SINGLE_CHOICE: "Ett val",
    QuestionType.MULTIPLE_CHOICE: "Flera val",
    QuestionType.SCALE: "Skala",
    QuestionType.PERCENT: "Procent",
    QuestionType.NUMBER: "Tal",
    QuestionType.SHORT_TEXT: "Kort text",
    QuestionType.LONG_TEXT: "Lång text",
    QuestionType.DATE: "Datum",
    QuestionType.WEEK: "Vecka",
}
_IMPORT_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    column
    if column.key == RecipientField.EMAIL
    else ColumnSpec(column.key, column.label, column.spellings, required=False)
    for column in RECIPIENT_COLUMNS
)
_EMAIL_LABEL = "e-post"


# -- what a check finds --------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """Something wrong in the file: where (row as Excel numbers it, column as headed) and what."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return describe_location(self.row, self.column, self.message)

    def english_location(self) -> str:
        """The location for an operator's terminal: "row 4, column sip_okning"."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass(frozen=True)
class KnownRecipient:
    """A recipient of the round as the check needs it."""

    id: int
    email: str
    organisation_type: str
    removed: bool = False


@dataclass(frozen=True)
class ImportRow:
    """One checked row, ready to be stored."""

    number: int
    email: str
    recipient_id: int | None  # None: a recipient to create from `new_recipient`
    new_recipient: RecipientRow | None
    answers: dict[str, AnswerValue]


@dataclass
class ImportCheck:
    """The outcome of checking a file: the rows to store, the problems and the warnings."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    file_description: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file may be imported: it has rows and no problems."""
        return not self.problems and bool(self.rows)


@dataclass
class ImportOutcome:
    """What an import did (or, for a check only or a refused file, would do)."""

    check: ImportCheck
    imported: bool = False
    created: int = 0  # recipients with their first submitted response
    amended: int = 0  # recipients who had submitted: a new submission
    unchanged: int = 0  # rows equal to the recipient's current answers
    recipients_created: int = 0

    @property
    def ok(self) -> bool:
        return self.check.ok

    @property
    def rows(self) -> int:
        return len(self.check.rows)


# -- reading the header ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    matched: ColumnMap
    questions: dict[int, Question]  # position → question
    headers: Sequence[str]


def _match_header(questionnaire: Questionnaire, table: Table) -> _Columns | list[ImportProblem]:
    by_id = {question.id: question for question in questionnaire.questions}
    by_text = {normalise_word(question.text): question for question in questionnaire.questions}
    problems: list[ImportProblem] = []
    questions: dict[int, Question] = {}
    first_position: dict[str, int] = {}
    others: list[str] = []
    for position, header in enumerate(table.headers):
        question = by_id.get(header.strip().lower())
        if question is None:
            others.append(header)
            continue
        others.append("")  # a question column is none of the spec's columns
        if question.id in first_position:
            problems.append(
                ImportProblem(
                    table.header_row,
                    header,
                    f"Frågan {question.id} har flera kolumner: "
                    f"{column_letter(first_position[question.id])} och {column_letter(position)}. "
                    "Ta bort den ena.",
                )
            )
            continue
        first_position[question.id] = position
        questions[position] = question
    matched = match_columns(others, _IMPORT_COLUMNS)
    if not isinstance(matched, ColumnMap):
        problems.extend(
            ImportProblem(
                table.header_row,
                problem.column if problem.column != "E-post" else _EMAIL_LABEL,
                problem.message.replace('"E-post"', f'"{_EMAIL_LABEL}"'),
            )
            for problem in matched
        )
        return problems
    for position in matched.unknown:
        header = table.headers[position]
        problems.append(
            ImportProblem(
                table.header_row,
                header,
                _unknown_column_message(header, questionnaire, by_text),
            )
        )
    if not questions and not problems:
        example = questionnaire.questions[0].id
        problems.append(
            ImportProblem(
                table.header_row,
                None,
                "Filen har ingen kolumn för någon av enkätens frågor. Rubriken för en fråga ska "
                f"vara frågans id, t.ex. {example}. Ladda ner importmallen för att se alla.",
            )
        )
    if problems:
        return problems
    return _Columns(matched=matched, questions=questions, headers=table.headers)


def _unknown_column_message(
    header: str, questionnaire: Questionnaire, by_text: Mapping[str, Question]
) -> str:
    question = by_text.get(normalise_word(header))
    if question is not None:
        return f"Rubriken är frågans text; skriv frågans id som rubrik i stället: {question.id}."
    ids = [question.id for question in questionnaire.questions]
    close = difflib.get_close_matches(header.strip().lower(), ids, n=1, cutoff=0.75)
    recipient_columns = ", ".join(column.label for column in RECIPIENT_COLUMNS)
    message = (
        "Kolumnen känns inte igen. En rubrik ska vara id:t för en fråga i enkäten "
        f"(t.ex. {ids[0]}) eller en av mottagarkolumnerna ({recipient_columns})."
    )
    if close:
        message += f" Menade du {close[0]}?"
    return message


# -- reading one cell --------------------------------------------------------------------------


def _choice_key(text: str) -> str:
    return normalise_word(text.replace("_", " ").replace("-", " "))


def _choice_lookup(question: Question) -> dict[str, str]:
    # Values win over labels should a label be written like another choice's value.
    lookup: dict[str, str] = {}
    for choice in question.choices:
        lookup.setdefault(_choice_key(choice.label), choice.value)
    for choice in question.choices:
        lookup[_choice_key(choice.value)] = choice.value
    return lookup


def _shown(value: str, limit: int = 60) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def allowed_answers(question: Question) -> str:
    """Say in Swedish what a cell for the question may hold (for messages and the template)."""
    labels = [choice.label for choice in question.choices]
    match question.type:
        case QuestionType.YES_NO | QuestionType.SINGLE_CHOICE | QuestionType.SCALE:
            return f"{join_with_or(labels)}."
        case QuestionType.MULTIPLE_CHOICE:
            return f"Ett eller flera av {join_with_or(labels)}, åtskilda med semikolon (;)."
        case QuestionType.PERCENT:
            return "Ett tal mellan 0 och 100, högst en decimal (t.ex. 45 eller 12,5)."
        case QuestionType.NUMBER:
            return _number_rule(question)
        case QuestionType.SHORT_TEXT | QuestionType.LONG_TEXT:
            return f"Text, högst {max_length(question)} tecken."
        case QuestionType.DATE:
            return "Ett datum som ÅÅÅÅ-MM-DD, t.ex. 2025-03-01."
        case QuestionType.WEEK:
            return "En vecka som ÅÅÅÅ-Www, t.ex. 2025-W09 för vecka 9 år 2025."
    raise AssertionError(f"unhandled question type {question.type}")  # pragma: no cover


def _number_rule(question: Question) -> str:
    parts = ["Ett tal"]
    if question.minimum is not None and question.maximum is not None:
        parts.append(
            f"mellan {format_number(question.minimum)} och {format_number(question.maximum)}"
        )
    elif question.minimum is not None:
        parts.append(f"från {format_number(question.minimum)}")
    elif question.maximum is not None:
        parts.append(f"till {format_number(question.maximum)}")
    if question.decimals:
        plural = "er" if question.decimals > 1 else ""
        parts.append(f"med högst {question.decimals} decimal{plural}")
    else:
        parts.append("utan decimaler")
    text = " ".join(parts)
    return f"{text}{f' ({question.unit})' if question.unit else ''}."


def raw_answer_from_cell(question: Question, text: str) -> str | list[str] | None:
    """Turn a cell's text into the raw answer the form would post; raise AnswerError if unknown.

    Choices are looked up by value or label; everything else is left for `check_answers`.
    """
    text = text.strip()
    if not text:
        return None
    if question.type is QuestionType.MULTIPLE_CHOICE:
        lookup = _choice_lookup(question)
        chosen: list[str] = []
        for part in (item.strip() for item in text.split(";")):
            if not part:
                continue
            value = lookup.get(_choice_key(part))
            if value is None:
                raise AnswerError(
                    f"{_shown(part)} är inte ett av svarsalternativen. Skriv "
                    f"{allowed_answers(question)[0].lower()}{allowed_answers(question)[1:]}"
                )
            chosen.append(value)
        return chosen or None
    if question.type.has_choices:
        value = _choice_lookup(question).get(_choice_key(text))
        if value is None:
            raise AnswerError(
                f"{_shown(text)} är inte ett av svarsalternativen. "
                f"Skriv {allowed_answers(question)}"
            )
        return value
    return text


# -- checking rows ---------------------------------------------------------------------------


def check_responses_file(
    questionnaire: Questionnaire,
    data: bytes,
    filename: str,
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool = False,
) -> ImportCheck:
    """Read and check every row of an answers file; store nothing, list every problem.

    `recipients` maps the round's recipients' email addresses (lower case) to them.
    """
    try:
        table = read_table(data, filename)
    except TableError as error:
        return ImportCheck(problems=[ImportProblem(error.row, error.column, error.message)])
    return check_responses_table(
        questionnaire,
        table,
        recipients,
        round_delregion=round_delregion,
        add_recipients=add_recipients,
    )


def check_responses_table(
    questionnaire: Questionnaire,
    table: Table,
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool = False,
) -> ImportCheck:
    """Check a table read from an answers file (see `check_responses_file`)."""
    result = ImportCheck(file_description=table.description)
    columns = _match_header(questionnaire, table)
    if not isinstance(columns, _Columns):
        result.problems = columns
        return result
    rows_by_email: dict[str, list[int]] = defaultdict(list)
    checked: list[tuple[int, ImportRow | None, str, list[ImportProblem]]] = []
    for row in table.rows:
        import_row, address, problems = _check_row(
            questionnaire,
            columns,
            row,
            recipients,
            round_delregion=round_delregion,
            add_recipients=add_recipients,
        )
        if address:
            rows_by_email[address].append(row.number)
        checked.append((row.number, import_row, address, problems))
    email_header = columns.matched.header(RecipientField.EMAIL, _EMAIL_LABEL)
    for number, import_row, address, problems in checked:
        others = [other for other in rows_by_email.get(address, []) if other != number]
        if address and others:
            problems.insert(
                0,
                ImportProblem(
                    number,
                    email_header,
                    f"Samma e-postadress ({address}) finns också på rad {_join_numbers(others)}. "
                    "Varje mottagare får bara ha en rad.",
                ),
            )
        result.problems.extend(problems)
        if import_row is not None and not problems:
            result.rows.append(import_row)
    result.warnings.extend(_fraction_warnings(table, columns))
    if result.problems:
        result.rows = []
    return result


def _check_row(
    questionnaire: Questionnaire,
    columns: _Columns,
    row: TableRow,
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool,
) -> tuple[ImportRow | None, str, list[ImportProblem]]:
    """Check one row: its recipient and every answer. Return the row, its address, problems."""
    matched = columns.matched
    problems: list[ImportProblem] = []
    email_header = matched.header(RecipientField.EMAIL, _EMAIL_LABEL)

    def problem(column: str | None, message: str) -> None:
        problems.append(ImportProblem(row.number, column, message))

    for position in matched.unnamed:
        if row.value(position) and position not in columns.questions:
            problem(
                column_letter(position),
                "Värdet står i en kolumn utan rubrik. Ge kolumnen en rubrik eller ta bort värdet.",
            )
    address, email_error = check_email_address(matched.value(row, RecipientField.EMAIL))
    if email_error:
        problem(email_header, email_error)
    known = recipients.get(address) if address else None
    new_recipient: RecipientRow | None = None
    respondent_type: OrganisationType | None = None
    if known is not None:
        if known.removed:
            problem(
                email_header,
                f"{address} har tagits bort från omgångens mottagare; svar kan inte importeras "
                "för en borttagen mottagare.",
            )
        respondent_type = parse_organisation_type(known.organisation_type)
    elif address and not add_recipients:
        problem(
            email_header,
            f"{address} finns inte bland omgångens mottagare. Lägg till mottagaren i omgången "
            "först, eller importera med ”Lägg till mottagare som saknas” och kolumnerna "
            f"{_join_with_and(NEW_RECIPIENT_COLUMNS)}.",
        )
    elif address:
        new_recipient, field_errors = check_recipient_fields(
            matched.value(row, RecipientField.NAME),
            address,
            matched.value(row, RecipientField.ORGANISATION),
            matched.value(row, RecipientField.ORGANISATION_TYPE),
            matched.value(row, RecipientField.KOMMUN),
            matched.value(row, RecipientField.DELREGION),
            default_delregion=round_delregion,
        )
        for spec in RECIPIENT_COLUMNS:
            if spec.key in field_errors:
                problem(matched.header(spec.key, spec.label), field_errors[spec.key])
        respondent_type = parse_organisation_type(
            matched.value(row, RecipientField.ORGANISATION_TYPE)
        )

    raw: RawAnswers = {}
    unreadable: set[str] = set()
    for position, question in columns.questions.items():
        try:
            value = raw_answer_from_cell(question, row.value(position))
        except AnswerError as error:
            problem(columns.headers[position], str(error))
            unreadable.add(question.id)
            continue
        if value is not None:
            raw[question.id] = value
    header_of = {
        question.id: columns.headers[position] for position, question in columns.questions.items()
    }
    answers: dict[str, AnswerValue] = {}
    if raw:
        # Without a known organisation type (a new recipient's is wrong) only formats are checked.
        checked = check_answers(
            questionnaire, raw, respondent_type or EVERYONE, require_complete=False
        )
        answers = checked.answers
        for question in questionnaire.questions:
            if question.id in checked.errors:
                problem(header_of[question.id], checked.errors[question.id])
            elif question.id in raw and question.id not in checked.answers:
                if question.show_if is not None and question.show_if.question in unreadable:
                    continue  # the condition's own cell is reported; this follows from it
                problem(
                    header_of[question.id],
                    _not_asked_message(questionnaire, question, respondent_type),
                )
    elif not unreadable:
        problem(None, "Raden har inga svar. Fyll i svaren eller ta bort raden.")
    if problems:
        return None, address, problems
    return (
        ImportRow(
            number=row.number,
            email=address,
            recipient_id=known.id if known is not None else None,
            new_recipient=new_recipient,
            answers=answers,
        ),
        address,
        problems,
    )


def _not_asked_message(
    questionnaire: Questionnaire, question: Question, respondent_type: OrganisationType | None
) -> str:
    """Why an answer that the form would never have stored cannot be imported."""
    if respondent_type is not None and not is_asked(question, respondent_type):
        return (
            "Frågan ställs inte till organisationstypen "
            f"{ORGANISATION_TYPE_LABELS[respondent_type]}. Lämna cellen tom."
        )
    condition = question.show_if
    if condition is None:  # pragma: no cover - check_answers stores every shown answer
        return "Svaret kan inte importeras. Lämna cellen tom."
    earlier = questionnaire.question(condition.question)
    wanted = join_with_or(earlier.choice_label(value) for value in condition.answers)
    return (
        f"Frågan ställs bara när svaret på {earlier.id} är {wanted}. Lämna cellen tom eller "
        f"rätta svaret i kolumnen {earlier.id}."
    )


def _fraction_warnings(table: Table, columns: _Columns) -> list[ImportProblem]:
    warnings: list[ImportProblem] = []
    for position, question in columns.questions.items():
        if question.type is not QuestionType.PERCENT:
            continue
        numbers = [
            parse_number(row.value(position), percent=True)
            for row in table.rows
            if row.value(position).strip()
        ]
        values = [number for number in numbers if number is not None]
        if values and all(Decimal(0) < number < Decimal(1) for number in values):
            warnings.append(
                ImportProblem(
                    table.header_row,
                    columns.headers[position],
                    "Alla svar i kolumnen ligger mellan 0 och 1. Om cellerna är formaterade som "
                    "procent i Excel läses 25 % som 0,25; skriv då andelarna som tal mellan 0 "
                    "och 100.",
                )
            )
    return warnings


def _join_with_and(texts: Sequence[str]) -> str:
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " och " + texts[-1]


def _join_numbers(numbers: Sequence[int]) -> str:
    return _join_with_and([str(number) for number in numbers])


# -- storing ---------------------------------------------------------------------------------


def known_recipients(round_id: int) -> dict[str, KnownRecipient]:
    """The round's recipients by email address (lower case), in one query."""
    statement = select(
        Recipient.id, Recipient.email, Recipient.organisation_type, Recipient.removed_at
    ).where(Recipient.round_id == round_id, Recipient.email.is_not(None))
    return {
        str(email).lower(): KnownRecipient(int(id_), str(email).lower(), kind, removed is not None)
        for id_, email, kind, removed in db.session.execute(statement)
    }


def import_responses(
    round_: Round,
    data: bytes,
    filename: str,
    *,
    add_recipients: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportOutcome:
    """Check an answers file and, when it has no problem, store its rows as imported responses.

    Adds the recipients (with ``add_recipients``), responses and submissions to the session
    and records the audit event; the caller commits. With problems (or ``dry_run``) nothing
    is added; the outcome's counts then say what the import would do.
    """
    questionnaire = questionnaire_of(round_.questionnaire_version)
    recipients = known_recipients(round_.id)
    check = check_responses_file(
        questionnaire,
        data,
        filename,
        recipients,
        round_delregion=round_.delregion,
        add_recipients=add_recipients,
    )
    outcome = ImportOutcome(check=check)
    if not check.ok:
        return outcome
    now = now or utcnow()
    # Locked (PostgreSQL) so that a respondent submitting meanwhile waits for the import.
    statement = select(Response).where(Response.round_id == round_.id)
    if not dry_run:
        statement = statement.with_for_update()
    responses = {response.recipient_id: response for response in db.session.scalars(statement)}
    for row in check.rows:
        response = responses.get(row.recipient_id) if row.recipient_id is not None else None
        if _is_unchanged(response, row):
            outcome.unchanged += 1
        elif response is not None and response.submitted_at is not None:
            outcome.amended += 1
        else:
            outcome.created += 1
        if row.recipient_id is None:
            outcome.recipients_created += 1
    if dry_run:
        return outcome
    for row in check.rows:
        recipient_id = row.recipient_id
        if recipient_id is None:
            assert row.new_recipient is not None
            recipient_id = _add_recipient(round_, row.new_recipient, now)
        response = responses.get(recipient_id)
        if _is_unchanged(response, row):
            continue
        store_imported_answers(round_.id, recipient_id, response, row.answers, now)
    outcome.imported = True
    record_audit(
        AUDIT_ACTION,
        f"{outcome.rows} svar importerades till omgången ”{round_.title}” från {filename} "
        f"({outcome.created} nya, {outcome.amended} ändrade, {outcome.unchanged} oförändrade, "
        f"{outcome.recipients_created} nya mottagare).",
        round_id=round_.id,
        delregion=round_.delregion,
        details={
            "file": filename,
            "format": "xlsx" if filename.lower().endswith(".xlsx") else "csv",
            "rows": outcome.rows,
            "created": outcome.created,
            "amended": outcome.amended,
            "unchanged": outcome.unchanged,
            "recipients_created": outcome.recipients_created,
        },
    )
    db.session.flush()
    return outcome


def _is_unchanged(response: Response | None, row: ImportRow) -> bool:
    return (
        response is not None
        and response.submitted_at is not None
        and response.answers == row.answers
    )


def _add_recipient(round_: Round, new: RecipientRow, now: datetime) -> int:
    recipient = Recipient(
        round_id=round_.id,
        name=new.name,
        email=new.email,
        organisation=new.organisation,
        organisation_type=str(new.organisation_type),
        kommun=new.kommun,
        delregion=new.delregion,
        created_at=now,
    )
    db.session.add(recipient)
    db.session.flush()
    return int(recipient.id)


def store_imported_answers(
    round_id: int,
    recipient_id: int,
    response: Response | None,
    answers: Mapping[str, AnswerValue],
    now: datetime,
) -> ResponseSubmission:
    """Record checked answers as the next submission, marked imported; the caller commits."""
    if response is None:
        response = Response(
            round_id=round_id, recipient_id=recipient_id, created_at=now, submission_count=0
        )
        db.session.add(response)
        db.session.flush()
    return record_submission(response, answers, now, imported=True)


# -- the downloadable template -----------------------------------------------------------------


def responses_template_xlsx(questionnaire: Questionnaire, *, title: str | None = None) -> bytes:
    """Build the import template for a questionnaire: a sheet to fill in and one of questions."""
    import xlsxwriter  # only needed when someone downloads the template

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    recipient_bold = workbook.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@"})

    sheet = workbook.add_worksheet("Svar")
    headers: list[tuple[str, str, Any]] = [
        (_EMAIL_LABEL, "Mottagarens e-postadress (obligatorisk).", bold)
    ]
    for column in RECIPIENT_COLUMNS:
        if column.key == RecipientField.EMAIL:
            continue
        headers.append(
            (
                column.label,
                "Behövs bara för mottagare som ännu inte finns i omgången "
                "(med ”Lägg till mottagare som saknas”).",
                recipient_bold,
            )
        )
    for question in questionnaire.questions:
        headers.append((question.id, f"{question.text}\n\n{allowed_answers(question)}", bold))
    for index, (header, comment, style) in enumerate(headers):
        sheet.write_string(0, index, header, style)
        sheet.write_comment(0, index, comment, {"x_scale": 2, "y_scale": 2})
        sheet.set_column(index, index, max(14, min(len(header) + 4, 30)), text)
    sheet.freeze_panes(1, 1)
    last_row = 5000
    first_question = len(headers) - len(questionnaire.questions)
    for offset, question in enumerate(questionnaire.questions):
        labels = [choice.label for choice in question.choices]
        if (
            question.type in (QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE)
            and labels
            and not any("," in label for label in labels)
            and len(",".join(labels)) <= 250
        ):
            sheet.data_validation(
                1, first_question + offset, last_row, first_question + offset,
                {
                    "validate": "list",
                    "source": labels,
                    "error_type": "warning",
                    "input_title": question.id[:32],
                    "input_message": "Välj i listan.",
                },
            )  # fmt: skip

    questions = workbook.add_worksheet("Frågor")
    question_headers = (
        "Kolumn", "Fråga", "Avsnitt", "Typ", "Ställs till", "Villkor", "Tillåtna svar",
    )  # fmt: skip
    questions.write_row(0, 0, question_headers, bold)
    sections = {section.id: section.title for section in questionnaire.sections}
    for index, question in enumerate(questionnaire.questions, start=1):
        audience = (
            "Alla"
            if question.audience is None
            else ", ".join(ORGANISATION_TYPE_LABELS[kind] for kind in question.audience)
        )
        condition = ""
        if question.show_if is not None:
            earlier = questionnaire.question(question.show_if.question)
            condition = f"Bara när {earlier.id} är " + join_with_or(
                earlier.choice_label(value) for value in question.show_if.answers
            )
        values = (
            question.id,
            question.text,
            sections.get(question.section_id, ""),
            TYPE_LABELS[question.type],
            audience,
            condition,
            allowed_answers(question),
        )
        for position, value in enumerate(values):
            questions.write_string(index, position, value, wrap)
    for position, width in enumerate((22, 60, 30, 12, 24, 28, 50)):
        questions.set_column(position, position, width)
    questions.freeze_panes(1, 1)

    guide = workbook.add_worksheet("Anvisningar")
    lines = [
        f"Importmall för {title or questionnaire.title} "
        f"({questionnaire.id} version {questionnaire.version}).",
        "Fyll i bladet Svar med en rad per mottagare. Rubrikerna ska stå kvar som de är.",
        f"Kolumnen {_EMAIL_LABEL} anger vilken mottagare i omgången svaren gäller.",
        "Övriga kolumner är frågornas id; bladet Frågor visar frågornas text och tillåtna svar.",
        "Ja/nej-frågor: Ja, Nej eller Ej aktuellt. Val: alternativets text eller värde. "
        "Flera val: åtskilda med semikolon (;).",
        "Tal: med decimalkomma eller decimalpunkt. Datum: ÅÅÅÅ-MM-DD. "
        "Vecka: ÅÅÅÅ-Www, t.ex. 2025-W09.",
        "En tom cell betyder inget svar. Skriv värden, inte formler.",
        "Namn, Organisation, Organisationstyp, Kommun och Delregion behövs bara för mottagare som "
        "ska läggas till i omgången. Organisationstyp är en av: "
        + ", ".join(ORGANISATION_TYPE_LABELS.values())
        + ". Delregion är en av: "
        + ", ".join(DELREGIONS)
        + " (tom: omgångens delregion).",
        "Om något i filen är fel importeras ingenting; felen visas med rad och kolumn.",
    ]
    for index, line in enumerate(lines):
        guide.write_string(index, 0, line)
    guide.set_column(0, 0, 120)
    workbook.close()
    return output.getvalue()
