"""Check an answers file (an Excel or CSV file of earlier answers) without storing anything.

The file is the first sheet of an .xlsx or a .csv (read by `survey.tabular.read_table`), one
row per respondent:

* a column ``e-post`` (also "epost", "email", "e-postadress" and the other spellings of the
  recipients file) naming a recipient of the round;
* one column per question, headed as the import template heads it (the question's number
  and text, "3. Finns det en utsedd …") or by the question's id (any case), as older files
  are; `survey.responses.answer_headers` says how leniently a header is compared;
* the recipient columns of the recipients file (Namn, Organisation, Organisationstyp, Kommun,
  Delregion) may be there. With ``add_recipients`` they create the recipients that are missing,
  checked by the recipients file's rules (`check_recipient_fields`; an empty Delregion is the
  round's). For a recipient already in the round they are ignored: the round's recipient list
  is what results are broken down by. Any other column is an error.

Cells are read as a person writes them (`survey.responses.answer_cells`) and then checked by
the same rules as the web form (`survey.questionnaires.answers.check_answers`).

Decisions:

* Required questions may be left empty (``require_complete=False``): historical and paper
  answers are often incomplete, and a gap is better kept as a gap than refused. Everything
  else is checked in full: types, ranges, decimals, lengths, choices.
* An answer that the web form would never have stored is an error, not silently dropped: an
  answer to a question not asked of the recipient's organisation type ("Frågan ställs inte
  till organisationstypen …") or to a conditional question whose condition does not hold.
* A row with an email and no answer at all is an error (it would import an empty response).
* Every problem is listed with its row and column; a check with any problem has no rows, so
  nothing is imported (`survey.responses.importing`).
* A percent column whose answers all lie between 0 and 1 gets a warning: Excel cells
  formatted as percent hold fractions, so 25 % reads as 0.25.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from survey.organisations import (
    ORGANISATION_TYPE_LABELS,
    OrganisationType,
    parse_organisation_type,
)
from survey.questionnaires.answers import (
    EVERYONE,
    AnswerError,
    AnswerValue,
    RawAnswers,
    check_answers,
    is_asked,
    join_with_or,
    shorten,
)
from survey.questionnaires.model import Question, Questionnaire
from survey.responses.answer_cells import raw_answer_from_cell
from survey.responses.answer_headers import (
    QuestionHeaders,
    fold,
    question_header,
    question_label,
    shown_header,
)
from survey.rounds.recipients_file import (
    RECIPIENT_COLUMNS,
    RecipientField,
    RecipientRow,
    check_email_address,
    check_recipient_fields,
)
from survey.tabular import (
    ColumnMap,
    ColumnSpec,
    TableError,
    TableRow,
    column_letter,
    describe_location,
    match_columns,
    read_table,
)

# Recipient columns needed to create a missing recipient (Delregion defaults to the round's).
NEW_RECIPIENT_COLUMNS: tuple[str, ...] = tuple(
    column.label
    for column in RECIPIENT_COLUMNS
    if column.key not in (RecipientField.EMAIL, RecipientField.DELREGION)
)
_IMPORT_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    column
    if column.key == RecipientField.EMAIL
    else ColumnSpec(column.key, column.label, column.spellings, required=False)
    for column in RECIPIENT_COLUMNS
)
EMAIL_LABEL = "e-post"


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


@dataclass(frozen=True, slots=True)
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
    """The outcome of checking a file: its good rows (or their count), problems and warnings.

    A streamed check (an import) keeps no rows, only `row_count`; `check_answer_rows` given the rows
    keeps them. At most `MAX_PROBLEMS_KEPT` problems are kept, the first by row; the
    others are counted in `problems_not_kept`.
    """

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    file_description: str | None = None
    row_count: int = 0  # rows to store (0 when the file has a problem)
    problems_not_kept: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file may be imported: it has rows and no problems."""
        return not self.problems and (self.row_count > 0 or bool(self.rows))

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) + self.problems_not_kept


# -- reading the header ----------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    matched: ColumnMap
    questions: dict[int, Question]  # position → question
    headers: Sequence[str]


def match_header(
    questionnaire: Questionnaire, headers: Sequence[str], header_row: int
) -> Columns | list[ImportProblem]:
    known = QuestionHeaders(questionnaire)
    problems: list[ImportProblem] = []
    questions: dict[int, Question] = {}
    first_position: dict[str, int] = {}
    others: list[str] = []
    for position, header in enumerate(headers):
        found = known.match(header) if header.strip() else None
        if found is not None and found.problem is not None:
            problems.append(ImportProblem(header_row, shown_header(header), found.problem))
            others.append("")
            continue
        question = found.question if found is not None else None
        if question is None:
            others.append(header)
            continue
        others.append("")  # a question column is none of the spec's columns
        if question.id in first_position:
            problems.append(
                ImportProblem(
                    header_row,
                    shown_header(header),
                    f"F{question_label(questionnaire, question)[1:]} har flera "
                    f"kolumner: {column_letter(first_position[question.id])} och "
                    f"{column_letter(position)}. Ta bort den ena.",
                )
            )
            continue
        first_position[question.id] = position
        questions[position] = question
    matched = match_columns(others, _IMPORT_COLUMNS)
    if not isinstance(matched, ColumnMap):
        problems.extend(
            ImportProblem(
                header_row,
                problem.column if problem.column != "E-post" else EMAIL_LABEL,
                problem.message.replace('"E-post"', f'"{EMAIL_LABEL}"'),
            )
            for problem in matched
        )
        return problems
    for position in matched.unknown:
        header = headers[position]
        problems.append(
            ImportProblem(
                header_row,
                shown_header(header),
                _unknown_column_message(header, questionnaire),
            )
        )
    if not questions and not problems:
        first = questionnaire.questions[0]
        problems.append(
            ImportProblem(
                header_row,
                None,
                "Filen har ingen kolumn för någon av enkätens frågor. Rubriken för en fråga ska "
                "vara frågans nummer och text som i importmallen "
                f"(t.ex. ”{shorten(question_header(questionnaire, first), 60)}”) eller frågans "
                f"id (t.ex. {first.id}). Ladda ner importmallen för att se alla.",
            )
        )
    if problems:
        return problems
    return Columns(matched=matched, questions=questions, headers=headers)


def _unknown_column_message(header: str, questionnaire: Questionnaire) -> str:
    first = questionnaire.questions[0]
    recipient_columns = ", ".join(column.label for column in RECIPIENT_COLUMNS)
    message = (
        "Kolumnen känns inte igen. En rubrik ska vara en fråga i enkäten, skriven som i "
        f"importmallen (t.ex. ”{shorten(question_header(questionnaire, first), 60)}”) eller "
        f"som frågans id (t.ex. {first.id}), eller en av mottagarkolumnerna ({recipient_columns})."
    )
    ids = [question.id for question in questionnaire.questions]
    close = difflib.get_close_matches(header.strip().lower(), ids, n=1, cutoff=0.75)
    if close:
        return message + f" Menade du {close[0]}?"
    texts = {fold(question_header(questionnaire, q)): q for q in questionnaire.questions}
    near = difflib.get_close_matches(fold(header), list(texts), n=1, cutoff=0.8)
    if near:
        suggestion = shorten(question_header(questionnaire, texts[near[0]]), 80)
        return message + f" Menade du ”{suggestion}”?"
    return message


def check_responses_header(
    questionnaire: Questionnaire, data: bytes, filename: str
) -> list[ImportProblem]:
    """Check only what a quick look finds: the file can be read and its header is right.

    Reads the header and the first row with data, never the rest: a wrong file is refused at
    once, before the whole file is checked (`check_responses_file`) off the request.
    """
    try:
        table = read_table(data, filename, first_rows=1)
    except TableError as error:
        return [ImportProblem(error.row, error.column, error.message)]
    columns = match_header(questionnaire, table.headers, table.header_row)
    return [] if isinstance(columns, Columns) else columns


# -- checking rows ---------------------------------------------------------------------------


def check_row(
    questionnaire: Questionnaire,
    columns: Columns,
    row: TableRow,
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool,
) -> tuple[ImportRow | None, str, list[ImportProblem]]:
    """Check one row: its recipient and every answer. Return the row, its address, problems."""
    matched = columns.matched
    problems: list[ImportProblem] = []
    email_header = matched.header(RecipientField.EMAIL, EMAIL_LABEL)

    def problem(column: str | None, message: str) -> None:
        problems.append(ImportProblem(row.number, column, message))

    # Columns without a header, and values beyond the header (a streamed table is not padded).
    beyond = range(len(columns.headers), len(row.values))
    for position in (*matched.unnamed, *beyond):
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
            problem(shown_header(columns.headers[position]), str(error))
            unreadable.add(question.id)
            continue
        if value is not None:
            raw[question.id] = value
    header_of = {
        question.id: shown_header(columns.headers[position])
        for position, question in columns.questions.items()
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
        f"Frågan ställs bara när svaret på {question_label(questionnaire, earlier)} är {wanted}. "
        f"Lämna cellen tom eller rätta svaret i kolumnen för fråga "
        f"{questionnaire.question_number(earlier.id)}."
    )


def _join_with_and(texts: Sequence[str]) -> str:
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " och " + texts[-1]


def join_numbers(numbers: Sequence[int]) -> str:
    return _join_with_and([str(number) for number in numbers])
