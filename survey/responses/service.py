"""Storing a respondent's answers: drafts, submissions and amendments, safe under concurrency.

Every function here runs its own transaction and commits: a draft or a submission is
either stored completely or not at all. Call them with no other pending changes in the
session (a failed attempt rolls the session back).

Concurrency, and what other code must do so that it holds:

* Two tabs saving or submitting the same response at once: the response row is read
  with ``SELECT … FOR UPDATE`` (PostgreSQL), so the second waits for the first and then
  sees its result; submissions are numbered 1, 2, … (unique per response). The first
  submission of two tabs both inserting the response fails on the unique
  ``responses.recipient_id`` for one of them, and the `version_id` optimistic lock
  catches any writer that does not lock: both are retried once, then reported with
  `ResponseConflict` (nothing stored, the caller keeps the typed answers).
* A submission racing the round's closing: the round row is read with
  ``SELECT … FOR SHARE`` in the same transaction, and the round's state and dates are
  checked after that lock is held. **Code that closes a round (or changes its dates,
  reopens it, removes a recipient or revokes a link) must take a conflicting lock first**:
  ``SELECT … FROM rounds WHERE id = :id FOR UPDATE`` (SQLAlchemy:
  ``select(Round).where(Round.id == id).with_for_update(of=Round)``; a plain ``UPDATE``
  of the row also conflicts), then change the state, then commit. A submission is then
  either committed before the close (and counted) or refused after it — never half.
  Anything the closing code computes from the responses (counts, a final export) must be
  read after it holds that lock. For recipients the same goes for their row
  (``recipients``, ``FOR UPDATE`` or an ``UPDATE``) when removing them.
* SQLite takes its write lock at ``BEGIN IMMEDIATE`` (survey/database.py), so there every
  transaction is serialised and the same guarantees hold trivially.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from survey.db import db
from survey.errors import ErrorCode, SurveyError
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState

T = TypeVar("T")

CONFLICT_MESSAGE: Final = (
    "Dina svar ändrades samtidigt i ett annat fönster eller en annan flik. Svaren du skrev "
    "här finns kvar nedan men är inte sparade – kontrollera dem och klicka på knappen igen."
)
# One retry resolves two tabs racing; a third writer in the same instant is reported.
ATTEMPTS: Final = 2


class RoundPhase(StrEnum):
    """Whether a round takes answers now, as a respondent sees it."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


def round_phase(state: str, opens_at: datetime, closes_at: datetime, now: datetime) -> RoundPhase:
    """Answers are taken while the round is open and `opens_at` <= now < `closes_at`.

    A round still marked open after its closing time is closed for respondents at once,
    without waiting for the job that changes its state.
    """
    if state == RoundState.CLOSED or now >= closes_at:
        return RoundPhase.CLOSED
    if state != RoundState.OPEN or now < opens_at:
        return RoundPhase.NOT_YET_OPEN
    return RoundPhase.OPEN


def phase_of(round_: Round, now: datetime) -> RoundPhase:
    """The phase of a loaded round."""
    return round_phase(round_.state, round_.opens_at, round_.closes_at, now)


class AnswersRefused(SurveyError):
    """Nothing was stored; `message` says why, in Swedish (only respondents see it)."""

    code = ErrorCode.RESPONSE_REFUSED
    # The text of the kind of refusal, unless the raise site gives its own.
    default_message: str = "Svaren kunde inte sparas."

    def __init__(self, message: str | None = None, *, code: ErrorCode | None = None) -> None:
        super().__init__(self.default_message if message is None else message, code=code)


class RoundNotOpen(AnswersRefused):
    """The round does not take answers now (not yet open, or closed)."""

    code = ErrorCode.RESPONSE_ROUND_NOT_OPEN

    def __init__(self, phase: RoundPhase, *, code: ErrorCode | None = None) -> None:
        self.phase = phase
        super().__init__(
            "Enkäten är stängd och tar inte emot fler svar."
            if phase is RoundPhase.CLOSED
            else "Enkäten har inte öppnat än.",
            code=code,
        )


class RecipientGone(AnswersRefused):
    """The recipient was removed from the round (or does not exist)."""

    code = ErrorCode.RESPONSE_RECIPIENT_GONE
    default_message = "Du finns inte längre med bland mottagarna av enkäten."


class ResponseConflict(AnswersRefused):
    """Another window changed the response at the same moment, twice; nothing was stored."""

    code = ErrorCode.RESPONSE_CONFLICT
    default_message = CONFLICT_MESSAGE


@dataclass(frozen=True, slots=True)
class _Target:
    recipient_id: int
    round_id: int


# Built once: a respondent's every page reads it (no statement built or keyed per request).
_RESPONSE_OF: Final = select(Response).where(Response.recipient_id == bindparam("recipient_id"))


def load_response(recipient: Recipient) -> Response | None:
    """The recipient's response (draft and latest submitted answers), if any."""
    return db.session.scalar(_RESPONSE_OF, {"recipient_id": recipient.id})


def save_draft(
    recipient: Recipient, raw_answers: Mapping[str, str | list[str]], now: datetime
) -> Response:
    """Store the answers as typed (by question id) as the draft; submitted answers are untouched.

    Raises `RoundNotOpen`, `RecipientGone` or `ResponseConflict`; commits on success.
    """
    target = _Target(recipient.id, recipient.round_id)
    draft = _copy_raw(raw_answers)

    def attempt() -> Response:
        _check_round_and_recipient(target, now, check_open=True)
        response = _locked_response(target, now)
        response.draft = draft
        response.draft_saved_at = now
        db.session.flush()
        return response

    return _run_with_retry(attempt)


def submit_response(
    recipient: Recipient,
    answers: Mapping[str, Any],
    raw_answers: Mapping[str, str | list[str]],
    now: datetime,
    *,
    imported: bool = False,
) -> ResponseSubmission:
    """Record checked `answers` as the next numbered submission and as the response's answers.

    Submitting again while the round is open amends the response: earlier submissions
    are kept, `Response.answers` is the latest. The draft is cleared. `raw_answers` (as
    typed) are not stored; they are what the caller shows again when this raises.
    An import (`imported=True`) is not held to the round's dates: the importing code
    decides. Raises `RoundNotOpen`, `RecipientGone` or `ResponseConflict`; commits.
    """
    del raw_answers  # kept by the caller for showing the form again on a refusal
    target = _Target(recipient.id, recipient.round_id)
    stored_answers = copy.deepcopy(dict(answers))

    def attempt() -> ResponseSubmission:
        _check_round_and_recipient(target, now, check_open=not imported)
        response = _locked_response(target, now)
        return record_submission(response, stored_answers, now, imported=imported)

    return _run_with_retry(attempt)


def record_submission(
    response: Response, answers: Mapping[str, Any], now: datetime, *, imported: bool = False
) -> ResponseSubmission:
    """Add the next numbered submission and make it the response's answers; clear the draft.

    The bookkeeping alone: no checks, no locks, no commit (for callers that run their own
    all-or-nothing transaction, such as an import). The response must be flushed (have an id).
    """
    number = (
        db.session.scalar(
            select(func.coalesce(func.max(ResponseSubmission.number), 0)).where(
                ResponseSubmission.response_id == response.id
            )
        )
        or 0
    ) + 1
    submission = ResponseSubmission(
        response_id=response.id,
        number=number,
        answers=copy.deepcopy(dict(answers)),
        submitted_at=now,
        imported=imported,
    )
    db.session.add(submission)
    response.answers = copy.deepcopy(dict(answers))
    response.submitted_at = now
    if response.first_submitted_at is None:
        response.first_submitted_at = now
    response.submission_count = number
    response.imported = imported
    response.draft = None
    response.draft_saved_at = None
    db.session.flush()
    return submission


def submissions_of(response: Response) -> list[ResponseSubmission]:
    """Every submission of a response, oldest first."""
    return list(
        db.session.scalars(
            select(ResponseSubmission)
            .where(ResponseSubmission.response_id == response.id)
            .order_by(ResponseSubmission.number)
        )
    )


# -- inside the transaction ----------------------------------------------------------------


def _check_round_and_recipient(target: _Target, now: datetime, *, check_open: bool) -> None:
    """Lock the round and recipient rows against closing and removal; refuse if not open."""
    round_row = db.session.execute(
        select(Round.state, Round.opens_at, Round.closes_at)
        .where(Round.id == target.round_id)
        .with_for_update(read=True)
    ).one_or_none()
    if round_row is None:
        raise RecipientGone(code=ErrorCode.RESPONSE_RECIPIENT_GONE)
    if check_open:
        phase = round_phase(round_row.state, round_row.opens_at, round_row.closes_at, now)
        if phase is not RoundPhase.OPEN:
            raise RoundNotOpen(phase, code=ErrorCode.RESPONSE_ROUND_NOT_OPEN)
    removed_at = db.session.execute(
        select(Recipient.removed_at)
        .where(Recipient.id == target.recipient_id, Recipient.round_id == target.round_id)
        .with_for_update(read=True)
    ).one_or_none()
    if removed_at is None or removed_at.removed_at is not None:
        raise RecipientGone(code=ErrorCode.RESPONSE_RECIPIENT_GONE)


def _locked_response(target: _Target, now: datetime) -> Response:
    """The recipient's response, locked for this transaction; created when there is none."""
    response = db.session.scalar(
        select(Response)
        .where(Response.recipient_id == target.recipient_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if response is None:
        response = Response(
            round_id=target.round_id,
            recipient_id=target.recipient_id,
            created_at=now,
            submission_count=0,
        )
        db.session.add(response)
        # A concurrent first save fails here on the unique recipient_id: retried.
        db.session.flush()
    return response


def _run_with_retry(attempt: Callable[[], T]) -> T:
    """Run `attempt` and commit; on a write conflict roll back and try once more."""
    for number in range(1, ATTEMPTS + 1):
        try:
            result = attempt()
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError) as error:
            db.session.rollback()
            if number == ATTEMPTS:
                raise ResponseConflict(code=ErrorCode.RESPONSE_CONFLICT) from error
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _copy_raw(raw_answers: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """A JSON-ready copy: strings and lists of strings by question id."""
    draft: dict[str, Any] = {}
    for key, value in raw_answers.items():
        draft[str(key)] = [str(item) for item in value] if isinstance(value, list) else str(value)
    return draft
