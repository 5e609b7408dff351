"""What every action on a round shares: the row lock, the audit event, statements in chunks.

An action is one thing a process leader (or `survey tick`) does to a round. Each changes
the current session only — the caller commits, so one user action is one transaction —
and writes its outbox rows and its audit event in that same transaction. A refused action
raises `RoundError` (or `RoundSettingsInvalid`) before anything is changed, with a Swedish
message for the web and an English one for the command line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode
from survey.rounds.settings import RoundError
from survey.schema.rounds import Round

if TYPE_CHECKING:
    from survey.schema.accounts import User

# Rows per IN (...) list: well below every database's limit on bound parameters.
CHUNK = 500

T = TypeVar("T")


def lock_round(round_id: int) -> Round | None:
    """Read the round with ``SELECT … FOR UPDATE OF rounds``, refreshed; None if it is gone.

    ``OF rounds``: the round's questionnaire version is joined in, and PostgreSQL cannot
    lock the nullable side of an outer join (a plain ``with_for_update=True`` fails there).
    """
    return db.session.scalars(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update(of=Round)
        .execution_options(populate_existing=True)
    ).one_or_none()


def lock_for_change(round_: Round) -> Round:
    """Lock the round's row for the rest of the transaction and read it afresh.

    Every change of state goes through here, so a close racing a submit, a reminder
    run or another close is serialised (PostgreSQL; SQLite serialises all writers).
    """
    db.session.flush()
    locked = lock_round(round_.id)
    if locked is None:
        raise RoundError(
            "Omgången finns inte längre.",
            f"round {round_.id} does not exist",
            code=ErrorCode.ROUND_NOT_FOUND,
        )
    return locked


def audit_round(
    round_: Round,
    action: str,
    summary: str,
    *,
    actor: User | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an action on the round in the audit log (the caller commits)."""
    record_audit(
        action,
        summary,
        user=actor,
        round_id=round_.id,
        delregion=round_.delregion,
        details=details,
    )


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Split `items` into consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
