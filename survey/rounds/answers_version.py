"""The round's answers version: a counter bumped with every change to its answers.

Results are cached per round (survey.results.cache) and valid for one value of
its ``round_answers_versions`` row only. The counter is bumped in the same transaction as the
change, so a cached figure can never outlive the data it was computed from, on any app
server: every server reads the counter from the database before it uses its cache.

Two ways bump it:

* `track_answer_changes` (installed on the session by ``create_app``): every ORM flush
  that inserts, deletes or changes a response's answers or submission time, or a
  recipient's grouping columns, invitation, reminders or removal, bumps the rounds
  concerned. Submitting, amending, adding and removing recipients go this way; draft
  saves and opening the form do not (they change nothing results show).
* `bump_answers_version`: code that writes with Core statements (bulk imports, purges)
  calls it itself, in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from survey.db import db
from survey.schema.answers_versions import RoundAnswersVersion
from survey.schema.responses import Response
from survey.schema.rounds import Recipient

# Columns whose change alters a results figure, a response rate or an export.
RESPONSE_COLUMNS = frozenset({"answers", "submitted_at", "imported", "round_id", "recipient_id"})
RECIPIENT_COLUMNS = frozenset(
    {
        "organisation",
        "organisation_type",
        "kommun",
        "delregion",
        "invited_at",
        "reminders_sent",
        "removed_at",
        "round_id",
        "name",
        "email",
        "pseudonymised_at",
    }
)


def answers_version(round_id: int, session: Session | None = None) -> int:
    """The round's current answers version, read from the database (0 for no round)."""
    session = session or db.session()
    value = session.execute(
        select(RoundAnswersVersion.version).where(RoundAnswersVersion.round_id == round_id)
    ).scalar()
    return int(value or 0)


def answers_versions(round_ids: Iterable[int], session: Session | None = None) -> dict[int, int]:
    """The answers versions of several rounds in one query."""
    ids = sorted(set(round_ids))
    if not ids:
        return {}
    session = session or db.session()
    rows = session.execute(
        select(RoundAnswersVersion.round_id, RoundAnswersVersion.version).where(
            RoundAnswersVersion.round_id.in_(ids)
        )
    )
    found = {int(round_id): int(version or 0) for round_id, version in rows}
    return {round_id: found.get(round_id, 0) for round_id in ids}


def bump_answers_version(round_ids: Iterable[int], session: Session | None = None) -> None:
    """Bump the rounds' answers versions in the current transaction (the caller commits)."""
    ids = sorted({int(round_id) for round_id in round_ids})
    if not ids:
        return
    session = session or db.session()
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(RoundAnswersVersion).values(
        [{"round_id": round_id, "version": 1} for round_id in ids]
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[RoundAnswersVersion.round_id],
            set_={"version": RoundAnswersVersion.version + 1},
        )
    )


def _changed_rounds(session: Session) -> set[int]:
    rounds: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Response):
            if instance in session.new and instance.answers is None:
                continue  # a first draft: nothing results show
            if _concerns(instance, RESPONSE_COLUMNS, session):
                rounds.add(instance.round_id)
        elif isinstance(instance, Recipient) and _concerns(instance, RECIPIENT_COLUMNS, session):
            rounds.add(instance.round_id)
    # A submission always comes with its response's new answers, so it is covered above.
    return {round_id for round_id in rounds if round_id is not None}


def _concerns(instance: Any, columns: frozenset[str], session: Session) -> bool:
    if instance in session.new or instance in session.deleted:
        return True
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in columns)


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    session.info["answers_changed_rounds"] = session.info.get(
        "answers_changed_rounds", set()
    ) | _changed_rounds(session)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    changed = session.info.pop("answers_changed_rounds", set())
    if changed:
        bump_answers_version(changed, session)


def track_answer_changes(session_target: Any) -> None:
    """Bump answers versions on every flush that changes answers (idempotent)."""
    if not event.contains(session_target, "before_flush", _before_flush):
        event.listen(session_target, "before_flush", _before_flush)
        event.listen(session_target, "after_flush", _after_flush)
