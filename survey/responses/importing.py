"""Import earlier answers (an Excel or CSV file) into a round as submitted responses.

This is how earlier years' answers (kept in Excel until now) and answers given on paper come
in, so that trends start with history: the process leader creates a round for 2023 with
reference date 2023-12-31, imports the file and closes the round. The file is checked whole
first (`survey.responses.answers_check`); only a file without problems is stored.

A file of any size: it is read twice, row by row, and never held whole. Pass 1 checks
every row and keeps only the round's recipients by address, each address seen (with its
first row) and at most 500 problems; pass 2 checks each row again as it stores it, 1,000
rows at a time (one query for their current responses, multi-row INSERTs for first
answers). Memory therefore grows with the number of recipients (their addresses and ids),
not with the rows' answers.

Decisions:

* Re-importing for a recipient who has already submitted adds a new submission: an amendment,
  with the history kept. A row whose answers equal the recipient's current answers changes
  nothing (so importing the same file twice is harmless) and is counted as unchanged.
* The round may be in any state: earlier years are imported into closed rounds.
* Nothing is written unless the file has no problem. `import_responses` adds to the session
  and records the audit event; the caller commits (or rolls back), so the import is one
  transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.questionnaires.answers import AnswerValue
from survey.questionnaires.storage import questionnaire_of
from survey.responses.answers_check import AnswersChecker, check_responses_file
from survey.responses.answers_file import ImportCheck, ImportProblem, ImportRow, KnownRecipient
from survey.responses.service import record_submission
from survey.rounds.answers_version import bump_answers_version
from survey.rounds.recipients_file import RecipientRow
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round
from survey.tabular import TableError, TableRow, TableSource, open_table

AUDIT_ACTION = "round.responses_imported"
CHANGED_MESSAGE = (
    "Filen ändrades medan den importerades, så ingenting importerades. Ladda upp filen igen."
)
RECIPIENTS_PER_FETCH = 5_000  # rows fetched at a time when reading the round's recipients
BULK_ROWS = 1_000  # rows per chunk of pass 2: one query for their responses, multi-row INSERTs


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
        return self.check.row_count or len(self.check.rows)


def known_recipients(round_id: int) -> dict[str, KnownRecipient]:
    """The round's recipients by email address (lower case), in one query.

    Kept whole while a file is imported, so each entry is small: one string for the key
    and the address, the organisation types shared.
    """
    statement = select(
        Recipient.id, Recipient.email, Recipient.organisation_type, Recipient.removed_at
    ).where(Recipient.round_id == round_id, Recipient.email.is_not(None))
    kinds: dict[str, str] = {}
    known: dict[str, KnownRecipient] = {}
    # In batches (a server-side cursor on PostgreSQL): never all the rows at once besides the map.
    for id_, email, kind, removed in db.session.execute(
        statement.execution_options(yield_per=RECIPIENTS_PER_FETCH)
    ):
        address = str(email).lower()
        kind = kinds.setdefault(kind, kind)
        known[address] = KnownRecipient(int(id_), address, kind, removed is not None)
    return known


def import_responses(
    round_: Round,
    data: TableSource,
    filename: str,
    *,
    add_recipients: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    check_progress: Callable[[int, int], None] | None = None,
) -> ImportOutcome:
    """Check an answers file and, when it has no problem, store its rows as imported responses.

    `data` is the file's bytes or its path; it is read twice, row by row, never whole:
    pass 1 checks every row (`check_responses_file`); only if no row has a problem, pass 2
    reads it again and stores it in chunks of `BULK_ROWS` rows. Adds the recipients (with
    ``add_recipients``), responses and submissions to the session and records the audit
    event; the caller commits, so the import is one transaction. With problems (or
    ``dry_run``) nothing is added; the outcome's counts then say what the import would do.
    Should pass 2 find a problem after all (the file changed between the passes) the
    outcome says so, is not `imported`, and the caller must roll back.
    `check_progress(bytes read, size)` follows pass 1, `progress(done, total)` the rows
    stored.
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
        keep_rows=False,
        progress=check_progress,
    )
    outcome = ImportOutcome(check=check)
    if not check.ok:
        return outcome
    now = now or utcnow()
    if not dry_run:
        # Locked (PostgreSQL) so that a respondent submitting meanwhile waits for the import.
        locking = select(Response.id).where(Response.round_id == round_.id).with_for_update()
        for _ in db.session.execute(locking.execution_options(yield_per=RECIPIENTS_PER_FETCH)):
            pass
    store = _Store(round_.id, now, write=not dry_run)
    total = check.row_count
    done = 0
    try:
        with open_table(data, filename) as table:
            checker = AnswersChecker(
                questionnaire,
                table.headers,
                table.header_row,
                recipients,
                round_delregion=round_.delregion,
                add_recipients=add_recipients,
            )
            for chunk in _chunks(table.rows, checker):
                store.chunk(chunk, outcome)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except TableError as error:  # the reader's, or a row now wrong: the file changed
        return _changed(outcome, error)
    if done != total:
        return _changed(outcome, None)
    if dry_run:
        return outcome
    # The bulk inserts pass the session's change tracking by: bump the version here.
    bump_answers_version([round_.id])
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


def _changed(outcome: ImportOutcome, error: TableError | None) -> ImportOutcome:
    """The outcome of a file that pass 2 read otherwise than pass 1: nothing to import."""
    row = error.row if error is not None else None
    outcome.check.problems = [ImportProblem(row, None, CHANGED_MESSAGE)]
    outcome.check.row_count = 0
    outcome.created = outcome.amended = outcome.unchanged = outcome.recipients_created = 0
    return outcome


def _chunks(rows: Iterator[TableRow], checker: AnswersChecker) -> Iterator[list[ImportRow]]:
    """The file's rows checked again (pass 2), `BULK_ROWS` at a time."""
    chunk: list[ImportRow] = []
    for row in rows:
        import_row, _, problems = checker.check(row)
        if import_row is None or problems:
            raise TableError(CHANGED_MESSAGE, row=row.number, code=ErrorCode.TABLE_UNREADABLE)
        chunk.append(import_row)
        if len(chunk) >= BULK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Store:
    """Store checked rows a chunk at a time: a few multi-row statements per chunk."""

    def __init__(self, round_id: int, now: datetime, *, write: bool) -> None:
        self.round_id = round_id
        self.now = now
        self.write = write

    def chunk(self, rows: list[ImportRow], outcome: ImportOutcome) -> None:
        known = [row.recipient_id for row in rows if row.recipient_id is not None]
        # By recipient alone (unique, and of this round): with the round's condition too,
        # SQLite may walk the round's index — every response so far — for every chunk.
        responses = (
            {
                response.recipient_id: response
                for response in db.session.scalars(
                    select(Response).where(Response.recipient_id.in_(known))
                )
            }
            if known
            else {}
        )
        new = [row.new_recipient for row in rows if row.recipient_id is None]
        outcome.recipients_created += len(new)
        new_ids = _add_recipients(self.round_id, new, self.now) if self.write and new else {}
        fresh: list[tuple[int, Mapping[str, AnswerValue]]] = []
        for row in rows:
            response = responses.get(row.recipient_id) if row.recipient_id is not None else None
            if _is_unchanged(response, row):
                outcome.unchanged += 1
                continue
            if response is not None and response.submitted_at is not None:
                outcome.amended += 1
            else:
                outcome.created += 1
            if not self.write:
                continue
            recipient_id = row.recipient_id
            if recipient_id is None:
                assert row.new_recipient is not None
                recipient_id = new_ids[row.new_recipient.email.lower()]
            if response is None:
                fresh.append((recipient_id, row.answers))
            else:
                store_imported_answers(self.round_id, recipient_id, response, row.answers, self.now)
        if self.write:
            _insert_first_answers(self.round_id, fresh, self.now)
            db.session.flush()


def _is_unchanged(response: Response | None, row: ImportRow) -> bool:
    return (
        response is not None
        and response.submitted_at is not None
        and response.answers == row.answers
    )


def _add_recipients(round_id: int, new: list[RecipientRow | None], now: datetime) -> dict[str, int]:
    """Insert the new recipients in bulk; their ids by email address (lower case)."""
    rows = [
        {
            "round_id": round_id,
            "name": recipient.name,
            "email": recipient.email,
            "organisation": recipient.organisation,
            "organisation_type": str(recipient.organisation_type),
            "kommun": recipient.kommun,
            "delregion": recipient.delregion,
            "created_at": now,
        }
        for recipient in new
        if recipient is not None
    ]
    ids: dict[str, int] = {}
    for start in range(0, len(rows), BULK_ROWS):
        chunk = rows[start : start + BULK_ROWS]
        inserted = db.session.execute(
            insert(Recipient).returning(
                Recipient.id, Recipient.email, sort_by_parameter_order=True
            ),
            chunk,
        )
        ids.update({str(email).lower(): int(id_) for id_, email in inserted})
    return ids


def _insert_first_answers(
    round_id: int, rows: list[tuple[int, Mapping[str, AnswerValue]]], now: datetime
) -> None:
    """Insert first responses and their submission number 1 with two multi-row statements."""
    if not rows:
        return
    inserted = db.session.execute(
        insert(Response).returning(Response.id, sort_by_parameter_order=True),
        [
            {
                "round_id": round_id,
                "recipient_id": recipient_id,
                "answers": dict(answers),
                "submitted_at": now,
                "first_submitted_at": now,
                "submission_count": 1,
                "imported": True,
                "created_at": now,
                "version_id": 1,
            }
            for recipient_id, answers in rows
        ],
    )
    response_ids = [int(id_) for (id_,) in inserted]
    db.session.execute(
        insert(ResponseSubmission),
        [
            {
                "response_id": response_id,
                "number": 1,
                "answers": dict(answers),
                "submitted_at": now,
                "imported": True,
            }
            for response_id, (_, answers) in zip(response_ids, rows, strict=True)
        ],
    )


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
