"""Check a whole answers file, row by row as it is read, without storing anything.

The rules for the header and for one row are `survey.responses.answers_file`'s; this
module applies them to every row of a file of any size. A row that is certainly right is
read the fast way (`survey.responses.answer_rows.RowAnswers`, the per-question work done
once); any other row is checked cell by cell (`check_row`), which finds and words every
problem exactly as before.

Memory: what is kept while reading is each address seen with its first row (to find a
recipient given twice), the rows of addresses given twice, at most `MAX_PROBLEMS_KEPT`
problems, a few remembered cell texts per question — and, only with ``keep_rows``, the
good rows. The rows themselves are read one at a time (`survey.tabular.open_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Final

from survey.organisations import OrganisationType, parse_organisation_type
from survey.questionnaires.answers import EVERYONE, parse_number
from survey.questionnaires.model import Questionnaire, QuestionType
from survey.responses.answer_headers import shown_header
from survey.responses.answer_rows import RowAnswers
from survey.responses.answers_file import (
    EMAIL_LABEL,
    Columns,
    ImportCheck,
    ImportProblem,
    ImportRow,
    KnownRecipient,
    check_row,
    join_numbers,
    match_header,
)
from survey.rounds.recipients_file import (
    RecipientField,
    RecipientRow,
    check_email_address,
    check_recipient_fields,
)
from survey.tabular import (
    ColumnMap,
    TableError,
    TableRow,
    TableSource,
    TableStream,
    open_table,
)
from survey.tabular.source import source_size

MAX_PROBLEMS_KEPT: Final = 500  # problems listed; a wholly wrong file's others are counted
PROGRESS_EVERY: Final = 500  # rows between reports of the reading's progress


def check_responses_file(
    questionnaire: Questionnaire,
    data: TableSource,
    filename: str,
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool = False,
    keep_rows: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportCheck:
    """Read and check every row of an answers file; store nothing, list every problem.

    `recipients` maps the round's recipients' email addresses (lower case) to them. The
    file (bytes, or a path) is read row by row; without `keep_rows` the good rows are only
    counted, so memory does not grow with the file. `progress(bytes read, file size)` is
    told how far the reading has come.
    """
    size = source_size(data)
    try:
        with open_table(data, filename) as table:
            rows: Iterable[TableRow] = table.rows
            if progress is not None:
                rows = _reporting(table, size, progress)
            return check_answer_rows(
                questionnaire,
                table.headers,
                table.header_row,
                rows,
                recipients,
                round_delregion=round_delregion,
                add_recipients=add_recipients,
                description=table.description,
                keep_rows=keep_rows,
            )
    except TableError as error:
        return ImportCheck(problems=[ImportProblem(error.row, error.column, error.message)])


def _reporting(
    table: TableStream, size: int, progress: Callable[[int, int], None]
) -> Iterator[TableRow]:
    for number, row in enumerate(table.rows, start=1):
        if number % PROGRESS_EVERY == 0:
            progress(min(table.position(), size), size)
        yield row
    progress(size, size)


def check_answer_rows(
    questionnaire: Questionnaire,
    headers: Sequence[str],
    header_row: int,
    rows: Iterable[TableRow],
    recipients: Mapping[str, KnownRecipient],
    *,
    round_delregion: str,
    add_recipients: bool = False,
    description: str | None = None,
    keep_rows: bool = True,
) -> ImportCheck:
    """Check an answers file's header and rows, one row at a time (see the module's rules).

    What is kept while reading: each address seen, with its first row (to find a recipient
    given twice), the rows of addresses given twice, at most `MAX_PROBLEMS_KEPT` problems,
    and — with `keep_rows` — the good rows.
    """
    result = ImportCheck(file_description=description)
    checker = AnswersChecker(
        questionnaire,
        headers,
        header_row,
        recipients,
        round_delregion=round_delregion,
        add_recipients=add_recipients,
    )
    if checker.header_problems:
        # Read on all the same: what the reader finds only at the end of the file (a
        # formula, no rows) is told first, as when the file was read whole.
        for _ in rows:
            pass
        result.problems = checker.header_problems
        return result
    findings = _Findings()
    fractions = _FractionWatch(checker.columns)
    for row in rows:
        import_row, address, problems = checker.check(row)
        findings.add(row.number, address, problems)
        fractions.add(row)
        if import_row is not None and not problems:
            result.row_count += 1
            if keep_rows:
                result.rows.append(import_row)
    result.problems, result.problems_not_kept = findings.problems(checker.email_header)
    result.warnings.extend(fractions.warnings(header_row))
    if result.problems:
        result.rows = []
        result.row_count = 0
    return result


class AnswersChecker:
    """Check the rows of one answers file, one at a time, against its header.

    A row that is certainly right is read the fast way (`RowAnswers`); any other row is
    checked cell by cell (`check_row`), which finds and words every problem.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        headers: Sequence[str],
        header_row: int,
        recipients: Mapping[str, KnownRecipient],
        *,
        round_delregion: str,
        add_recipients: bool = False,
    ) -> None:
        self.questionnaire = questionnaire
        self.recipients = recipients
        self.round_delregion = round_delregion
        self.add_recipients = add_recipients
        matched = match_header(questionnaire, headers, header_row)
        self.header_problems: list[ImportProblem] = []
        if not isinstance(matched, Columns):
            self.header_problems = matched
            matched = Columns(ColumnMap({}, {}), {}, headers)
        self.columns = matched
        self.email_header = matched.matched.header(RecipientField.EMAIL, EMAIL_LABEL)
        self._email = matched.matched.positions.get(RecipientField.EMAIL, 0)
        # (question columns are among the spec's unnamed ones: see `match_header`)
        self._unnamed = tuple(
            position for position in matched.matched.unnamed if position not in matched.questions
        )
        self._width = len(headers)
        self._answers = RowAnswers(questionnaire, matched.questions)
        self._types: dict[str, OrganisationType | None] = {}

    def check(self, row: TableRow) -> tuple[ImportRow | None, str, list[ImportProblem]]:
        """Check one row: the row to store (None with problems), its address, its problems."""
        fast = self._fast(row)
        if fast is not None:
            return fast, fast.email, []
        return check_row(
            self.questionnaire,
            self.columns,
            row,
            self.recipients,
            round_delregion=self.round_delregion,
            add_recipients=self.add_recipients,
        )

    def _fast(self, row: TableRow) -> ImportRow | None:
        """The row when it is certainly right (as `check_row` would find it), else None."""
        values = row.values
        if len(values) > self._width:
            return None  # a value beyond the header (rows end with their last value)
        for position in self._unnamed:
            if position < len(values) and values[position]:
                return None
        cell = values[self._email] if self._email < len(values) else ""
        key = cell.lower()
        known = self.recipients.get(key)
        new_recipient: RecipientRow | None = None
        if known is not None:
            # A recipient's stored address is valid: a cell that is that address is it.
            if known.removed or not key.isascii():
                return None
            address = known.email  # the map's own string: no new one kept per row
            kind = known.organisation_type
        elif self.add_recipients and cell:
            address, email_error = check_email_address(cell)
            if email_error or address in self.recipients:
                return None
            matched = self.columns.matched
            kind = matched.value(row, RecipientField.ORGANISATION_TYPE)
            new_recipient, field_errors = check_recipient_fields(
                matched.value(row, RecipientField.NAME),
                address,
                matched.value(row, RecipientField.ORGANISATION),
                kind,
                matched.value(row, RecipientField.KOMMUN),
                matched.value(row, RecipientField.DELREGION),
                default_delregion=self.round_delregion,
            )
            if field_errors:
                return None
        else:
            return None
        if kind not in self._types:
            self._types[kind] = parse_organisation_type(kind)
        answers = self._answers.answers(values, self._types[kind] or EVERYONE)
        if answers is None:
            return None
        return ImportRow(
            number=row.number,
            email=address,
            recipient_id=known.id if known is not None else None,
            new_recipient=new_recipient,
            answers=answers,
        )


class _Findings:
    """The problems of the rows read so far, and the addresses seen (for duplicates)."""

    def __init__(self, limit: int = MAX_PROBLEMS_KEPT) -> None:
        self.limit = limit
        self.kept: list[ImportProblem] = []
        self.not_kept = 0
        self.first_row: dict[str, int] = {}
        self.repeated: dict[str, list[int]] = {}  # address → every row it is on (if twice)

    def add(self, number: int, address: str, problems: list[ImportProblem]) -> None:
        if address:
            first = self.first_row.setdefault(address, number)
            if first != number:
                self.repeated.setdefault(address, [first]).append(number)
        room = self.limit - len(self.kept)
        self.kept.extend(problems[:room])
        self.not_kept += max(len(problems) - room, 0)

    def problems(self, email_header: str) -> tuple[list[ImportProblem], int]:
        """Every problem by row (a row's duplicate first), at most `limit`; the rest counted."""
        duplicates = [
            ImportProblem(
                number,
                email_header,
                f"Samma e-postadress ({address}) finns också på rad "
                f"{join_numbers([other for other in numbers if other != number])}. "
                "Varje mottagare får bara ha en rad.",
            )
            for address, numbers in self.repeated.items()
            for number in numbers
        ]
        last_kept = self.kept[-1].row if self.not_kept and self.kept else None
        if last_kept is not None:
            # Problems past the last one kept were counted, not kept: keep no duplicate there.
            dropped = [problem for problem in duplicates if (problem.row or 0) > last_kept]
            duplicates = [problem for problem in duplicates if (problem.row or 0) <= last_kept]
            self.not_kept += len(dropped)
        merged = sorted(
            [(problem.row or 0, 0, problem) for problem in duplicates]
            + [(problem.row or 0, 1, problem) for problem in self.kept],
            key=lambda item: (item[0], item[1]),
        )
        problems = [problem for _, _, problem in merged]
        not_kept = self.not_kept + max(len(problems) - self.limit, 0)
        return problems[: self.limit], not_kept


class _FractionWatch:
    """Percent columns whose answers so far all lie between 0 and 1 (see the module)."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.open = {
            position: False  # True once the column has a number
            for position, question in columns.questions.items()
            if question.type is QuestionType.PERCENT
        }

    def add(self, row: TableRow) -> None:
        for position in list(self.open):
            text = row.value(position)
            if not text.strip():
                continue
            number = parse_number(text, percent=True)
            if number is None:
                continue
            if Decimal(0) < number < Decimal(1):
                self.open[position] = True
            else:
                del self.open[position]  # a real percentage: no warning, no more reading

    def warnings(self, header_row: int) -> list[ImportProblem]:
        return [
            ImportProblem(
                header_row,
                shown_header(self.columns.headers[position]),
                "Alla svar i kolumnen ligger mellan 0 och 1. Om cellerna är formaterade som "
                "procent i Excel läses 25 % som 0,25; skriv då andelarna som tal mellan 0 "
                "och 100.",
            )
            for position, seen in self.open.items()
            if seen
        ]
