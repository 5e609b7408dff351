"""The round's status from the database: counts by SQL agree with the per-row rules, and the
round page's recipients are filtered, searched and paged in SQL (issue 16)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from survey.db import db
from survey.organisations import OrganisationType
from survey.rounds import recipient_list
from survey.rounds.recipient_list import find_recipients, recipient_page, spellings
from survey.rounds.status import (
    RecipientState,
    RecipientStatus,
    StatusCounts,
    latest_invitations,
    recipient_state,
    recipient_status,
    response_rate,
    round_counts,
    round_status,
)
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round
from tests.factories import make_recipient, make_round

T0 = datetime(2025, 11, 3, 7, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def invitation(
    recipient: Recipient, status: MailStatus, *, sequence: int = 1, error: str | None = None
) -> None:
    db.session.add(
        OutboxMessage(
            round_id=recipient.round_id,
            recipient_id=recipient.id,
            kind=MailKind.INVITATION.value,
            sequence=sequence,
            to_address=recipient.email,
            sender="Processledare <noreply@example.se>",
            subject="Inbjudan",
            body_text="Hej!",
            message_id=f"<inv-{recipient.id}-{sequence}@example.se>",
            status=status.value,
            last_error=error,
        )
    )
    recipient.invited_at = recipient.invited_at or T0


def reminder(recipient: Recipient, at: datetime) -> None:
    db.session.add(
        OutboxMessage(
            round_id=recipient.round_id,
            recipient_id=recipient.id,
            kind=MailKind.REMINDER.value,
            sequence=1,
            to_address=recipient.email,
            sender="Processledare <noreply@example.se>",
            subject="Påminnelse",
            body_text="Hej!",
            message_id=f"<rem-{recipient.id}@example.se>",
            status=MailStatus.SENT.value,
            created_at=at,
        )
    )


def response(recipient: Recipient, *, draft: bool = False, submitted: bool = False) -> None:
    db.session.add(
        Response(
            round_id=recipient.round_id,
            recipient_id=recipient.id,
            draft={} if draft else None,
            draft_saved_at=T0 if draft else None,
            answers={"fraga": "ja"} if submitted else None,
            submitted_at=T0 if submitted else None,
            first_submitted_at=T0 if submitted else None,
            submission_count=1 if submitted else 0,
        )
    )


@dataclass(frozen=True)
class Cases:
    round: Round
    expected: dict[int, RecipientState]
    removed: int
    failed: int


def every_state() -> Cases:
    """A round with a recipient in every state, and the odd cases around them."""
    round_ = make_round()
    expected: dict[int, RecipientState] = {}

    def add(state: RecipientState, kind: str = "regional_pv", **fields: Any) -> Recipient:
        recipient = make_recipient(round_, organisation_type=kind, **fields)
        expected[recipient.id] = state
        return recipient

    add(RecipientState.NOT_SENT)
    add(RecipientState.NOT_SENT, "kommun", opted_out=True)
    invitation(add(RecipientState.QUEUED), MailStatus.QUEUED)
    invitation(add(RecipientState.QUEUED, "kommun"), MailStatus.SENDING)
    invitation(add(RecipientState.SENT), MailStatus.SENT)
    invitation(add(RecipientState.SENT, "kommun"), MailStatus.HELD)
    failed = add(RecipientState.DELIVERY_FAILED)
    invitation(failed, MailStatus.FAILED, error="550 Mailbox does not exist")
    invitation(add(RecipientState.UNCERTAIN, "kommun"), MailStatus.UNCERTAIN, error="lost")
    # A reissued link: the latest invitation (highest sequence) decides, either way.
    reissued = add(RecipientState.SENT)
    invitation(reissued, MailStatus.FAILED, error="old address")
    invitation(reissued, MailStatus.SENT, sequence=2)
    regressed = add(RecipientState.DELIVERY_FAILED, "kommun")
    invitation(regressed, MailStatus.SENT)
    invitation(regressed, MailStatus.FAILED, sequence=2, error="550 gone")
    opened = add(RecipientState.OPENED, first_opened_at=T0)
    invitation(opened, MailStatus.SENT)
    # Opened although the invitation is said to have failed: opening wins.
    invitation(add(RecipientState.OPENED, "kommun", first_opened_at=T0), MailStatus.FAILED)
    drafted = add(RecipientState.DRAFT, first_opened_at=T0)
    invitation(drafted, MailStatus.SENT)
    response(drafted, draft=True)
    submitted = add(RecipientState.SUBMITTED, "kommun", first_opened_at=T0)
    invitation(submitted, MailStatus.SENT)
    response(submitted, draft=True, submitted=True)
    # Imported answers: never invited, never opened, yet invited and opened in the counts.
    response(add(RecipientState.SUBMITTED, "psykiatri"), submitted=True)
    # A response row with neither draft nor answers: the invitation decides.
    empty = add(RecipientState.UNCERTAIN, "psykiatri")
    invitation(empty, MailStatus.UNCERTAIN)
    response(empty)
    submitted_opted_out = add(RecipientState.SUBMITTED, opted_out=True, first_opened_at=T0)
    invitation(submitted_opted_out, MailStatus.QUEUED)
    response(submitted_opted_out, submitted=True)
    # Removed: in no count and no list.
    removed = make_recipient(round_, removed_at=T0, first_opened_at=T0)
    invitation(removed, MailStatus.SENT)
    response(removed, submitted=True)
    # Another round's recipients are no part of this one.
    other = make_round(round_.questionnaire_version, title="En annan omgång")
    response(make_recipient(other), submitted=True)
    db.session.commit()
    return Cases(round_, expected, removed.id, failed.id)


def per_row_counts(round_: Round) -> tuple[StatusCounts, dict[str, StatusCounts]]:
    """The counts as the round page made them before issue 16: one Python row per recipient."""
    invitations = latest_invitations(round_.id)
    total, groups = StatusCounts(), dict[str, StatusCounts]()
    for recipient, found in db.session.execute(
        select(Recipient, Response)
        .outerjoin(Response, Response.recipient_id == Recipient.id)
        .where(Recipient.round_id == round_.id, Recipient.removed_at.is_(None))
    ):
        latest = invitations.get(recipient.id)

        @dataclass
        class Facts:
            submitted_at: datetime | None = found.submitted_at if found else None
            draft_saved_at: datetime | None = found.draft_saved_at if found else None
            first_opened_at: datetime | None = recipient.first_opened_at
            invited_at: datetime | None = recipient.invited_at
            invitation_status: str | None = latest.status if latest else None

        facts = Facts()
        row = RecipientStatus(
            recipient_id=recipient.id,
            name=recipient.name,
            email=recipient.email,
            organisation=recipient.organisation,
            organisation_type=recipient.organisation_type,
            kommun=recipient.kommun,
            delregion=recipient.delregion,
            state=recipient_state(facts),
            invited_at=facts.invited_at,
            first_opened_at=facts.first_opened_at,
            draft_saved_at=facts.draft_saved_at,
            submitted_at=facts.submitted_at,
            reminders_sent=recipient.reminders_sent,
            last_reminder_at=None,
            link_live=recipient.token_hash is not None,
            opted_out=recipient.opted_out,
            delivery_problem=None,
        )
        total.count(row)
        groups.setdefault(recipient.organisation_type, StatusCounts()).count(row)
    for counts in (total, *groups.values()):
        counts.response_rate = response_rate(counts.invited, counts.submitted)
    return total, groups


def test_it_gives_every_state_by_the_rules(ctx: None) -> None:
    cases = every_state()
    status = round_status(cases.round)
    assert {row.recipient_id: row.state for row in status.recipients} == cases.expected
    assert cases.removed not in {row.recipient_id for row in status.recipients}
    by_id = {row.recipient_id: row for row in status.recipients}
    assert by_id[cases.failed].delivery_problem == "550 Mailbox does not exist"
    for recipient_id, state in cases.expected.items():
        one = recipient_status(cases.round, recipient_id)
        assert one == by_id[recipient_id] and one.state is state
    assert recipient_status(cases.round, cases.removed) is None


def test_it_counts_in_sql_what_the_per_row_rules_count(ctx: None) -> None:
    cases = every_state()
    counts = round_counts(cases.round)
    total, groups = per_row_counts(cases.round)
    assert counts.total == total
    assert counts.by_organisation_type == groups
    assert list(counts.by_organisation_type) == ["kommun", "regional_pv", "psykiatri"]
    expected_states = dict.fromkeys(RecipientState, 0)
    for state in cases.expected.values():
        expected_states[state] += 1
    assert counts.by_state == expected_states
    assert (total.recipients, total.invited, total.opened, total.submitted) == (17, 15, 6, 3)
    assert (total.not_sent, total.delivery_failed, total.uncertain, total.draft) == (4, 2, 2, 1)


def test_it_counts_random_rounds_as_the_per_row_rules_do(ctx: None) -> None:
    rng = random.Random(16)
    statuses = list(MailStatus)
    round_ = make_round()
    for _ in range(120):
        recipient = make_recipient(
            round_,
            organisation_type=rng.choice(list(OrganisationType)).value,
            first_opened_at=T0 if rng.random() < 0.4 else None,
            removed_at=T0 if rng.random() < 0.1 else None,
            opted_out=rng.random() < 0.1,
        )
        for sequence in range(1, rng.choice((0, 1, 1, 2, 3)) + 1):
            invitation(recipient, rng.choice(statuses), sequence=sequence)
        if rng.random() < 0.6:
            response(recipient, draft=rng.random() < 0.5, submitted=rng.random() < 0.5)
    db.session.commit()
    counts = round_counts(round_)
    total, groups = per_row_counts(round_)
    assert counts.total == total and counts.by_organisation_type == groups
    assert sum(counts.by_state.values()) == total.recipients
    rows = round_status(round_).recipients
    assert sum(1 for row in rows if row.state is RecipientState.DRAFT) == total.draft


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


def counted(function: Any) -> int:
    statements = Statements()
    event.listen(db.engine, "before_cursor_execute", statements)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", statements)
    return statements.count


def test_it_counts_and_pages_in_the_same_queries_for_few_or_many(ctx: None) -> None:
    numbers = []
    version = make_round().questionnaire_version
    for size in (3, 150):
        round_ = make_round(version, title=f"Omgång {size}")
        for number in range(size):
            recipient = make_recipient(round_, organisation=f"Vårdcentral {number % 7}")
            invitation(recipient, MailStatus.SENT)
            reminder(recipient, T0 + timedelta(days=7))
        db.session.commit()
        counts = round_counts(round_)

        def page(counts: Any = counts) -> None:
            recipient_page(counts, states=None, search="", requested=2, size=100)

        numbers.append((counted(lambda round_=round_: round_counts(round_)), counted(page)))
    # Three aggregates (and on PostgreSQL "SET LOCAL jit = off"); the page and its reminders.
    assert numbers[0] == numbers[1] and numbers[0][0] <= 4 and numbers[0][1] <= 2


def searchable_round() -> Round:
    round_ = make_round()
    for name, organisation, kind, kommun in (
        ("Anna Andersson", "VC Ängelholm Norra", "regional_pv", "Ängelholm"),
        ("Bertil Öst", "ÄNGELHOLMS SJUKHUS", "slutenvard", "ÄNGELHOLM"),
        ("Åsa Åberg", "Hemsjukvården", "kommun", "Höganäs"),
        ("Cecilia 100%_ren", "Psykiatrin Helsingborg", "psykiatri", "Helsingborg"),
        ("David Dahl", "vc ängelholm södra", "regional_pv", "ängelholm"),
        ("Erik Ek", "Samverkan Bjuv", "lokal_samverkan", "Bjuv"),
    ):
        recipient = make_recipient(
            round_, name=name, organisation=organisation, organisation_type=kind, kommun=kommun
        )
        invitation(recipient, MailStatus.SENT)
    db.session.commit()
    return round_


def page_names(round_: Round, search: str) -> list[str]:
    """The names found (sorted: the order of organisations is the database's collation)."""
    found = recipient_page(round_counts(round_), states=None, search=search, requested=1, size=50)
    assert found.total == len(found.items)
    return sorted(row.name or "" for row in found.items)


def test_it_searches_every_word_in_any_case_with_swedish_letters(ctx: None) -> None:
    round_ = searchable_round()
    assert page_names(round_, "vc ängelholm") == ["Anna Andersson", "David Dahl"]
    assert page_names(round_, "ÄNGELHOLM") == ["Anna Andersson", "Bertil Öst", "David Dahl"]
    assert page_names(round_, "ängelholms") == ["Bertil Öst"]
    assert page_names(round_, "ÅSA") == ["Åsa Åberg"]
    assert page_names(round_, "primärvård") == ["Anna Andersson", "David Dahl"]  # type label
    assert page_names(round_, "samverkan bjuv") == ["Erik Ek"]
    assert page_names(round_, "100%_") == ["Cecilia 100%_ren"]  # no wildcards
    assert page_names(round_, "%") == ["Cecilia 100%_ren"]
    assert page_names(round_, "ängelholm zzz") == []
    assert spellings("ängel") == ["Ängel", "ängel"]


def test_it_finds_in_sql_what_the_python_definition_finds(
    ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_ = searchable_round()
    rows = round_status(round_).recipients
    counts = round_counts(round_)
    searches = ("", "vc ängelholm", "ÄNGELHOLM", "å", "sjukvård", "helsing psyk", "an", "x")
    for search in searches:
        for states in (None, frozenset({RecipientState.SENT}), frozenset(RecipientState)):
            expected = find_recipients(rows, states=states, search=search)
            found = recipient_page(counts, states=states, search=search, requested=1, size=50)
            assert list(found.items) == expected, (search, states)
            assert found.total == len(expected)
    # A word with more spellings than SQL is asked for is matched in Python, as exactly.
    monkeypatch.setattr(recipient_list, "MAX_SPELLINGS", 1)
    for search in searches:
        expected = find_recipients(rows, states=None, search=search)
        assert (
            list(recipient_page(counts, states=None, search=search, requested=1, size=50).items)
            == expected
        )


def test_it_pages_in_the_round_pages_order(ctx: None) -> None:
    round_ = make_round()
    for number in range(250):
        recipient = make_recipient(round_, organisation=f"Vårdcentral {number % 9}")
        invitation(recipient, MailStatus.FAILED if number % 5 == 0 else MailStatus.SENT)
        if number % 4 == 0:
            response(recipient, submitted=True)
    db.session.commit()
    rows = round_status(round_).recipients
    assert [row.organisation for row in rows] == sorted(row.organisation for row in rows)
    counts = round_counts(round_)
    second = recipient_page(counts, states=None, search="", requested=2, size=100)
    assert (second.number, second.pages, second.total) == (2, 3, 250)
    assert list(second.items) == rows[100:200]
    past_the_end = recipient_page(counts, states=None, search="", requested=9, size=100)
    assert past_the_end.number == 3 and list(past_the_end.items) == rows[200:]
    not_answered = frozenset(RecipientState) - {RecipientState.SUBMITTED}
    unanswered = [row for row in rows if row.state is not RecipientState.SUBMITTED]
    first = recipient_page(counts, states=not_answered, search="", requested=1, size=100)
    assert first.total == len(unanswered) == 187 and list(first.items) == unanswered[:100]
    failed = recipient_page(
        counts, states={RecipientState.DELIVERY_FAILED}, search="", requested=1, size=100
    )
    assert failed.total == 37
    assert list(failed.items) == [r for r in rows if r.state is RecipientState.DELIVERY_FAILED]
