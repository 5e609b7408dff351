"""The query plans of the hot queries, on realistic data (evidence for docs/performance.md).

    python -m bench.explain [--responses 20000] [--invitations 10000] [--database-url URL]

Generates a closed round with `--responses` responses and an open round whose
`--invitations` invitations are queued, then prints EXPLAIN (ANALYZE on PostgreSQL,
QUERY PLAN on SQLite) of the queries that run per request or per mail batch:

* the personal link: the recipient by the token's hash (`respond.open_link`);
* the respondent's response, by recipient (`load_response`);
* the round by id, with its questionnaire version (every respondent page);
* the mail worker's claim of the next batch (`survey.mail.claims.claim_statement`), with
  half of the invitations already sent;
* the send-time link lookup of a batch (`survey.rounds.links.live_links`);
* the results frame of the large round (`survey.results.frame.responses_statement`).
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update


def plans(database_url: str | None, responses: int, invitations: int) -> None:
    """Generate the data and print every plan."""
    from survey.db import db, utcnow
    from survey.mail.claims import claim_statement
    from survey.results.frame import responses_statement
    from survey.rounds.lifecycle import open_round
    from survey.rounds.links import live_links_statement
    from survey.rounds.tokens import hash_token
    from survey.schema.outbox import MailStatus, OutboxMessage
    from survey.schema.responses import Response
    from survey.schema.rounds import Recipient, Round
    from tests.realistic_data import (
        bench_app,
        generate_recipients,
        generate_round,
        scratch_database,
    )

    with scratch_database(database_url) as url:
        app = bench_app(url)
        with app.app_context():
            closed = generate_round(responses=responses)
            now = utcnow()
            mailing = generate_recipients(
                recipients=invitations,
                opens_at=now + timedelta(days=1),
                closes_at=now + timedelta(days=30),
                seed=7,
            )
            round_ = db.session.get(Round, mailing.round_id)
            assert round_ is not None
            open_round(round_, now=utcnow())
            db.session.commit()
            half = db.session.scalars(
                select(OutboxMessage.id).order_by(OutboxMessage.id).limit(invitations // 2)
            ).all()
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(half))
                .values(status=MailStatus.SENT.value)
            )
            db.session.commit()
            recipient = db.session.scalars(
                select(Recipient).where(Recipient.round_id == mailing.round_id).limit(1)
            ).one()
            connection = db.session.connection()
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("ANALYZE")
            batch = mailing.recipient_ids[:200]
            queries: list[tuple[str, Any]] = [
                (
                    "personal link: recipient by token hash",
                    select(Recipient).where(
                        Recipient.round_id == mailing.round_id,
                        Recipient.token_hash == hash_token(mailing.round_id, "x" * 43),
                        Recipient.removed_at.is_(None),
                    ),
                ),
                (
                    "response by recipient",
                    select(Response).where(Response.recipient_id == recipient.id),
                ),
                ("round by id", select(Round).where(Round.id == mailing.round_id)),
                (
                    "mail worker: claim the next 200 due messages",
                    claim_statement("bench", 200, utcnow(), timedelta(minutes=5)),
                ),
                ("send-time links of a batch of 200", live_links_statement(batch, utcnow())),
                (f"results frame of {responses:,} responses", responses_statement(closed.round_id)),
            ]
            for title, statement in queries:
                print(f"\n-- {title}")
                for line in _explain(connection, statement):
                    print(f"   {line if len(line) <= 160 else line[:157] + '...'}")
            db.session.rollback()


def _explain(connection: Any, statement: Any) -> list[str]:
    compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
    sql = str(compiled)
    if connection.dialect.name == "postgresql":
        # ANALYZE runs the statement: inside a transaction that is rolled back.
        nested = connection.begin_nested()
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}").all()
        nested.rollback()
        return [row[0] for row in rows]
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return [f"{'  ' * (row[1] > 0)}{row[3]}" for row in rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    arguments = parser.parse_args(argv)
    plans(arguments.database_url, arguments.responses, arguments.invitations)


if __name__ == "__main__":
    main()
