"""The round service: settings, recipients, opening, links, reminders, closing and status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.exc import IntegrityError

from survey.db import db
from survey.errors import ErrorCode
from survey.localtime import local_datetime, moment_text
from survey.organisations import OrganisationType
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.storage import find_questionnaire_version
from survey.rounds.lifecycle import (
    close_round,
    create_round,
    extend_round,
    open_round,
    update_round,
)
from survey.rounds.links import live_links, reissue_link, revoke_link_only
from survey.rounds.mailing import resend_message
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.reminding import queue_due_reminders, remind_now
from survey.rounds.roster import add_recipient, add_recipients, correct_recipient, remove_recipient
from survey.rounds.settings import (
    RoundError,
    RoundSettings,
    RoundSettingsInvalid,
    check_round_settings,
    round_settings_problems,
)
from survey.rounds.status import RecipientState, round_status
from survey.rounds.tokens import LINK_MARKER, current_token, derive_token, hash_token
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.responses import Response
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import MakeApp, make_questionnaire_version, make_submitted_response

NOW = datetime(2025, 11, 3, 7, 0, tzinfo=UTC)
OPENS = NOW + timedelta(days=1)
CLOSES = NOW + timedelta(days=40)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def sample_version_id() -> int:
    stored = find_questionnaire_version("prov", "1") or make_questionnaire_version()
    return stored.id


def good_settings(**changes: object) -> RoundSettings:
    values: dict[str, Any] = {
        "questionnaire_version_id": sample_version_id(),
        "title": "Årlig enkät 2025",
        "delregion": "NV",
        "reference_date": date(2025, 12, 31),
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "reminder_days": "7, 14",
        "max_reminders": 2,
        "sender_name": "Processledare nära vård, Nordväst",
        "reply_to": "processledare.nv@example.se",
    }
    values.update(changes)
    return RoundSettings(**values)


def row(number: int, **changes: object) -> RecipientRow:
    values: dict[str, Any] = {
        "name": f"Åsa Öberg {number}",
        "email": f"mottagare{number}@example.se",
        "organisation": f"Vårdcentralen {number}",
        "organisation_type": OrganisationType.REGIONAL_PV,
        "kommun": "Ängelholm",
        "delregion": "NV",
    }
    values.update(changes)
    return RecipientRow(**values)


def draft_round(count: int = 3, **changes: object) -> tuple[Round, list[Recipient]]:
    round_ = create_round(good_settings(**changes), now=NOW)
    recipients = add_recipients(round_, [row(n) for n in range(1, count + 1)], now=NOW)
    db.session.commit()
    return round_, recipients


def open_with(count: int = 3, **changes: object) -> tuple[Round, list[Recipient]]:
    round_, recipients = draft_round(count, **changes)
    open_round(round_, now=OPENS)
    db.session.commit()
    return round_, recipients


def outbox(kind: MailKind | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        statement = statement.where(OutboxMessage.kind == kind.value)
    return list(db.session.scalars(statement))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def set_status(message: OutboxMessage, status: MailStatus, error: str | None = None) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=status.value, last_error=error)
    )
    db.session.commit()


# The code of each refusal the tests expect, by the fragment of its Swedish message.
ROUND_CODES = {
    "inga mottagare": ErrorCode.ROUND_NO_RECIPIENTS,
    "stängd": ErrorCode.ROUND_CLOSED,
    "passerat": ErrorCode.ROUND_DEADLINE_PASSED,
    "finns redan": ErrorCode.ROUND_RECIPIENT_EXISTS,
    "ingen giltig länk": ErrorCode.ROUND_NO_LIVE_LINK,
    "redan stängd": ErrorCode.ROUND_ALREADY_CLOSED,
    "öppen": ErrorCode.ROUND_NOT_OPEN,
    "framtiden": ErrorCode.ROUND_BAD_CLOSING_TIME,
    "redan skickat in": ErrorCode.ROUND_REMINDER_REFUSED,
    "mindre än ett dygn": ErrorCode.ROUND_REMINDER_REFUSED,
    "redan köats": ErrorCode.ROUND_MESSAGE_NOT_REQUEUEABLE,
}


@contextmanager
def refused(fragment: str) -> Iterator[None]:
    """Expect a RoundError whose Swedish message contains the fragment."""
    with pytest.raises(RoundError) as caught:
        yield
    assert fragment.lower() in caught.value.swedish.lower(), caught.value.swedish
    assert caught.value.english
    assert caught.value.code is ROUND_CODES[fragment], caught.value.code


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(
        conn: Connection,
        cursor: DBAPICursor,
        statement: str,
        parameters: object,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# --- Settings -------------------------------------------------------------------------


def test_it_creates_a_draft_round_from_good_settings(ctx: None) -> None:
    assert check_round_settings(good_settings(), now=NOW) == {}
    round_ = create_round(good_settings(reply_to=" Processledare.NV@Example.se "), now=NOW)
    db.session.commit()

    assert round_.state == RoundState.DRAFT
    assert round_.reminder_days == [7, 14]
    assert round_.reply_to == "processledare.nv@example.se"
    assert actions() == ["round.create"]
    assert outbox() == []


QV = "questionnaire_version_id"
PAST = {"opens_at": NOW - timedelta(days=9), "closes_at": NOW - timedelta(days=1)}
BAD_SETTINGS = [
    ("no questionnaire", {QV: None}, QV, "Välj en enkät"),
    ("unknown version", {QV: 99999}, QV, "finns inte"),
    ("empty title", {"title": "  "}, "title", "Ange en titel"),
    ("two-line title", {"title": "Enkät\nBcc: x"}, "title", "en rad"),
    ("unknown delregion", {"delregion": "XX"}, "delregion", "Välj en delregion"),
    ("no reference date", {"reference_date": None}, "reference_date", "referensdatum"),
    ("no opening", {"opens_at": None}, "opens_at", "när omgången öppnar"),
    ("closes first", {"closes_at": OPENS - timedelta(hours=1)}, "closes_at", "stänga efter"),
    ("closes in the past", PAST, "closes_at", "redan passerat"),
    ("days not numbers", {"reminder_days": "7, sju"}, "reminder_days", "inte ett antal dagar"),
    ("days decreasing", {"reminder_days": "14, 7"}, "reminder_days", "stigande ordning"),
    ("days too late", {"reminder_days": "400"}, "reminder_days", "mellan 1 och 365"),
    ("no days", {"reminder_days": "", "max_reminders": 2}, "reminder_days", "minst en påmin"),
    ("too many reminders", {"max_reminders": 11}, "max_reminders", "från 0 till 10"),
    ("no sender", {"sender_name": ""}, "sender_name", "avsändarens namn"),
    ("bad reply-to", {"reply_to": "inte en adress"}, "reply_to", "inte en giltig e-post"),
    ("subject injection", {"invitation_subject": "Hej\r\nBcc: x"}, "invitation_subject", "en rad"),
    ("link in subject", {"reminder_subject": "Svara {lank}"}, "reminder_subject", "ämnesraden"),
    ("no link", {"invitation_body": "Hej {namn}!"}, "invitation_body", "{lank}"),
    ("unknown placeholder", {"reminder_body": "{nman} {lank}"}, "reminder_body", "Okänd platshåll"),
    ("format spec", {"invitation_body": "{namn:>99999} {lank}"}, "invitation_body", "tillägg"),
    ("empty body", {"reminder_body": " "}, "reminder_body", "tom"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("description", "changes", "field", "message"),
    BAD_SETTINGS,
    ids=[case[0] for case in BAD_SETTINGS],
)
def test_it_refuses_bad_settings_with_a_message_per_field(
    ctx: None, description: str, changes: dict[str, object], field: str, message: str
) -> None:
    settings = good_settings(**changes)
    problems = check_round_settings(settings, now=NOW)

    assert list(problems) == [field]
    assert message.lower() in problems[field].lower()
    [problem] = round_settings_problems(settings, now=NOW)
    assert problem.english and not any(letter in problem.english for letter in "åäöÅÄÖ")
    with pytest.raises(RoundSettingsInvalid) as invalid:
        create_round(settings, now=NOW)
    assert invalid.value.code is ErrorCode.ROUND_INVALID_SETTINGS
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_it_writes_the_closing_day_in_swedish() -> None:
    assert moment_text(datetime(2025, 12, 15, 22, 59, tzinfo=UTC)) == "15 december 2025 kl. 23.59"
    assert moment_text(datetime(2025, 6, 1, 6, 5, tzinfo=UTC)) == "1 juni 2025 kl. 08.05"
    assert local_datetime(date(2025, 11, 1), datetime.min.time()).tzinfo is not None


def test_it_changes_a_draft_freely_and_keeps_an_open_rounds_questionnaire(ctx: None) -> None:
    round_, _ = draft_round()
    other = make_questionnaire_version(_sample("2"))
    changed = update_round(
        round_, good_settings(questionnaire_version_id=other.id, title="Ny titel"), now=NOW
    )
    db.session.commit()
    assert set(changed) == {"questionnaire_version_id", "title"}

    open_round(round_, now=OPENS)
    db.session.commit()
    with pytest.raises(RoundSettingsInvalid) as refused:
        update_round(
            round_, good_settings(title="Ny titel", opens_at=OPENS + timedelta(hours=1)), now=OPENS
        )
    assert {problem.field for problem in refused.value.problems} == {
        "questionnaire_version_id",
        "opens_at",
    }
    db.session.rollback()
    from survey.rounds.settings import settings_of

    texts = settings_of(round_)
    changed = update_round(
        round_,
        RoundSettings(**{**texts.__dict__, "reminder_body": "Påminnelse! {lank}"}),
        now=OPENS,
    )
    db.session.commit()
    assert changed == ["reminder_body"]
    assert actions()[-1] == "round.update"


def _sample(version: str) -> Questionnaire:
    from tests.sample import sample_questionnaire

    return sample_questionnaire(version)


# --- Opening --------------------------------------------------------------------------


def test_it_opens_a_round_with_one_invitation_per_recipient(ctx: None, app: Flask) -> None:
    round_, recipients = draft_round(3)
    assert outbox() == []

    outcome = open_round(round_, now=OPENS)
    db.session.commit()

    assert (outcome.opened, outcome.invitations) == (True, 3)
    assert round_.state == RoundState.OPEN and round_.opened_at == OPENS
    messages = outbox()
    assert [(m.recipient_id, m.kind, m.sequence) for m in messages] == [
        (recipient.id, "invitation", 1) for recipient in recipients
    ]
    for message, recipient in zip(messages, recipients, strict=True):
        db.session.refresh(recipient)
        assert recipient.invited_at == OPENS and recipient.last_contacted_at == OPENS
        assert recipient.token_generation == 1 and recipient.token_hash
        assert message.to_address == recipient.email
        assert message.subject == "Inbjudan: Årlig enkät 2025"
        assert LINK_MARKER in message.body_text
        assert f"Hej {recipient.name}!" in message.body_text
        assert "13 december 2025 kl. 08.00" in message.body_text  # CLOSES in Stockholm
        token = current_token(recipient, [app.config["SECRET_KEY"]])
        assert token is not None and token not in message.body_text
    assert actions() == ["round.create", "recipient.add", "round.open"]

    again = open_round(round_, now=OPENS + timedelta(hours=1))
    db.session.commit()
    assert (again.opened, again.invitations) == (False, 0)
    assert len(outbox()) == 3


def test_it_moves_the_opening_time_when_opened_early(ctx: None) -> None:
    round_, _ = draft_round(1)
    early = OPENS - timedelta(hours=5)
    open_round(round_, now=early)
    db.session.commit()
    assert round_.opens_at == early


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no recipients", "inga mottagare"),
        ("closed", "stängd"),
        ("past closing", "passerat"),
    ],
)
def test_it_refuses_to_open_what_cannot_open(ctx: None, setup: str, message: str) -> None:
    if setup == "no recipients":
        round_ = create_round(good_settings(), now=NOW)
        when = OPENS
    else:
        round_, _ = open_with(1)
        when = CLOSES + timedelta(minutes=1)
        if setup == "closed":
            close_round(round_, now=OPENS + timedelta(days=1))
            when = OPENS + timedelta(days=2)
    db.session.commit()
    count = len(outbox())
    with refused(message):
        open_round(round_, now=when)
    db.session.rollback()
    assert len(outbox()) == count


def test_it_invites_a_recipient_added_to_an_open_round_at_once(ctx: None) -> None:
    round_, _ = draft_round(1)
    added_to_draft = add_recipient(round_, row(2), now=NOW)
    db.session.commit()
    assert added_to_draft.invited_at is None and added_to_draft.token_hash is None
    assert outbox() == []

    open_round(round_, now=OPENS)
    late = add_recipient(round_, row(3), now=OPENS + timedelta(days=2))
    db.session.commit()

    assert late.invited_at == OPENS + timedelta(days=2) and late.token_hash
    assert [m.recipient_id for m in outbox(MailKind.INVITATION)][-1] == late.id
    assert len(outbox()) == 3


def test_it_adds_thousands_of_recipients_in_a_few_statements(ctx: None) -> None:
    round_ = create_round(good_settings(), now=NOW)
    db.session.commit()
    rows = [row(number) for number in range(1, 2001)]
    with counted_statements() as statements:
        add_recipients(round_, rows, now=NOW)
        db.session.commit()
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO RECIPIENTS")]
    assert 1 <= len(inserts) <= 10
    assert len(statements) < 30
    assert db.session.scalar(select(func.count()).select_from(Recipient)) == 2000


def test_it_refuses_an_address_already_in_the_round(ctx: None) -> None:
    round_, _ = draft_round(1)
    with refused("finns redan"):
        add_recipient(round_, row(1), now=NOW)


# --- Links ----------------------------------------------------------------------------


def test_it_reissues_a_link_and_the_old_one_stops_matching(ctx: None, app: Flask) -> None:
    round_, [recipient, *_] = open_with(2)
    key = app.config["SECRET_KEY"]
    old_token = current_token(recipient, [key])
    assert old_token is not None
    old_hash = recipient.token_hash
    db.session.add(
        Response(round_id=round_.id, recipient_id=recipient.id, draft={"sip_okning": "ja"},
                 draft_saved_at=OPENS)
    )  # fmt: skip
    db.session.commit()

    message = reissue_link(round_, recipient, now=OPENS + timedelta(days=1))
    db.session.commit()

    assert recipient.token_hash != old_hash
    assert hash_token(round_.id, old_token) != recipient.token_hash
    new_token = current_token(recipient, [key])
    assert new_token == derive_token(key, round_.id, recipient.id, 2)
    assert (message.kind, message.sequence, message.recipient_id) == ("invitation", 2, recipient.id)
    assert db.session.scalars(select(Response.draft)).one() == {"sip_okning": "ja"}
    assert actions()[-1] == "link.reissue"
    # The first invitation had not been sent yet: it is withdrawn, not sent with the new link.
    mine = [m for m in outbox(MailKind.INVITATION) if m.recipient_id == recipient.id]
    assert [(m.sequence, m.status) for m in mine] == [(2, MailStatus.QUEUED)]


def test_it_revokes_a_link_and_withdraws_queued_mail(ctx: None) -> None:
    round_, [recipient, other] = open_with(2)
    revoke_link_only(round_, recipient, now=OPENS)
    db.session.commit()

    assert recipient.token_hash is None
    assert [m.recipient_id for m in outbox()] == [other.id]  # the queued one is withdrawn
    assert set(live_links([recipient.id, other.id], now=OPENS)) == {other.id}
    with refused("ingen giltig länk"):
        revoke_link_only(round_, recipient, now=OPENS)


def test_it_gives_links_only_for_open_rounds_and_across_key_rotation(make_app: MakeApp) -> None:
    old_key = "gammal-nyckel-" + "x" * 40
    app = make_app(SECRET_KEY=old_key)
    with app.app_context():
        round_, [recipient] = open_with(1)
        token = current_token(recipient, [old_key])
        round_id, recipient_id = round_.id, recipient.id
    rotated = make_app(SECRET_KEY="ny-nyckel-" + "y" * 40, SECRET_KEY_FALLBACKS=[old_key])
    with rotated.app_context():
        links = live_links([recipient_id], now=OPENS)
        assert links == {recipient_id: f"http://localhost/svara/{round_id}/{token}"}
        round_ = db.session.get_one(Round, round_id)
        close_round(round_, now=OPENS + timedelta(days=1))
        db.session.commit()
        assert live_links([recipient_id]) == {}
    forgot = make_app(SECRET_KEY="ny-nyckel-" + "y" * 40)
    with forgot.app_context():
        assert live_links([recipient_id], now=OPENS) == {}


# --- Recipients -----------------------------------------------------------------------


def test_it_removes_a_recipient_softly_and_leaves_them_out_everywhere(ctx: None) -> None:
    round_, [gone, kept] = open_with(2)
    remove_recipient(round_, gone, now=OPENS)
    db.session.commit()

    assert gone.removed_at == OPENS and gone.token_hash is None
    assert [row.recipient_id for row in round_status(round_).recipients] == [kept.id]
    assert queue_due_reminders(round_, now=OPENS + timedelta(days=8)) == 1
    db.session.commit()
    assert {m.recipient_id for m in outbox(MailKind.REMINDER)} == {kept.id}
    assert live_links([gone.id], now=OPENS) == {}
    with pytest.raises(RoundError):
        remove_recipient(round_, gone, now=OPENS)


def test_it_sends_a_new_link_to_a_corrected_address(ctx: None, app: Flask) -> None:
    round_, [recipient] = open_with(1)
    old_hash = recipient.token_hash
    corrected = row(1, email="ratt.adress@example.se", name="Åsa Öberg")
    changed = correct_recipient(round_, recipient, corrected, now=OPENS + timedelta(hours=2))
    db.session.commit()

    assert set(changed) == {"email", "name"}
    assert recipient.token_hash != old_hash and recipient.token_generation == 2
    latest = outbox(MailKind.INVITATION)[-1]
    assert (latest.to_address, latest.sequence) == ("ratt.adress@example.se", 2)
    assert actions()[-1] == "recipient.correct"


# --- Closing and extending ------------------------------------------------------------


def test_it_closes_a_round_and_withdraws_what_was_not_sent(ctx: None) -> None:
    round_, _ = open_with(2)
    sent = outbox()[0]
    set_status(sent, MailStatus.SENT)

    close_round(round_, now=OPENS + timedelta(days=3))
    db.session.commit()

    assert round_.state == RoundState.CLOSED and round_.closed_at == OPENS + timedelta(days=3)
    assert [(m.id, m.status) for m in outbox()] == [(sent.id, MailStatus.SENT)]
    assert queue_due_reminders(round_, now=OPENS + timedelta(days=8)) == 0
    with refused("redan stängd"):
        close_round(round_, now=OPENS + timedelta(days=4))
    with refused("öppen"):
        remind_now(round_, now=OPENS + timedelta(days=8))


def test_it_files_a_draft_round_of_imported_answers_without_any_mail(ctx: None) -> None:
    round_, [recipient, _] = draft_round(2)
    make_submitted_response(round_, recipient, {"sip_okning": "ja"}, imported=True)
    db.session.commit()

    close_round(round_, now=NOW)
    db.session.commit()

    assert round_.state == RoundState.CLOSED and round_.closed_at == NOW
    assert outbox() == []
    assert actions()[-1] == "round.close"


def test_it_does_not_invite_recipients_whose_answers_were_imported(ctx: None) -> None:
    round_, [answered, waiting] = draft_round(2)
    make_submitted_response(round_, answered, {"sip_okning": "nej"}, imported=True)
    db.session.commit()

    assert open_round(round_, now=OPENS).invitations == 1
    db.session.commit()

    assert [m.recipient_id for m in outbox(MailKind.INVITATION)] == [waiting.id]
    assert answered.invited_at is None


def test_it_extends_an_open_round_and_reopens_a_closed_one(ctx: None) -> None:
    round_, _ = open_with(1)
    later = CLOSES + timedelta(days=7)
    assert extend_round(round_, later, now=OPENS) is False
    db.session.commit()
    assert round_.closes_at == later and round_.state == RoundState.OPEN

    close_round(round_, now=OPENS + timedelta(days=2))
    db.session.commit()
    assert extend_round(round_, later + timedelta(days=1), now=OPENS + timedelta(days=3)) is True
    db.session.commit()
    assert round_.state == RoundState.OPEN and round_.closed_at is None

    with refused("framtiden"):
        extend_round(round_, OPENS, now=OPENS + timedelta(days=3))
    assert actions().count("round.extend") == 2


# --- Reminders ------------------------------------------------------------------------


def test_it_queues_reminders_on_the_schedule_and_never_twice(ctx: None) -> None:
    round_, recipients = open_with(3)
    answered = recipients[0]
    make_submitted_response(round_, answered, {"sip_okning": "ja"})
    db.session.commit()

    timeline = [(6.9, 0), (7, 2), (7.5, 0), (13.9, 0), (14, 2), (14.1, 0), (21, 0), (30, 0)]
    for day, expected in timeline:
        queued = queue_due_reminders(round_, now=OPENS + timedelta(days=day))
        db.session.commit()
        assert queued == expected, day
    reminders = outbox(MailKind.REMINDER)
    assert sorted((m.recipient_id, m.sequence) for m in reminders) == sorted(
        (recipient.id, number) for recipient in recipients[1:] for number in (1, 2)
    )
    assert all(m.subject == "Påminnelse: Årlig enkät 2025" for m in reminders)
    assert all(LINK_MARKER in m.body_text for m in reminders)
    for recipient in recipients[1:]:
        db.session.refresh(recipient)
        assert recipient.reminders_sent == 2
        assert recipient.last_contacted_at == OPENS + timedelta(days=14)


def test_it_holds_the_unique_constraint_on_reminders(ctx: None) -> None:
    round_, [recipient] = open_with(1)
    queue_due_reminders(round_, now=OPENS + timedelta(days=7))
    db.session.commit()
    existing = outbox(MailKind.REMINDER)[0]
    with pytest.raises(IntegrityError):
        db.session.execute(
            insert(OutboxMessage).values(
                round_id=round_.id,
                recipient_id=recipient.id,
                kind="reminder",
                sequence=1,
                to_address=recipient.email,
                sender=existing.sender,
                subject="x",
                body_text="x",
                message_id="<duplicate@example.se>",
            )
        )
    db.session.rollback()


def test_it_never_reminds_after_closing_time(ctx: None) -> None:
    round_, _ = open_with(2, reminder_days="7", max_reminders=3)
    assert queue_due_reminders(round_, now=CLOSES) == 0
    assert queue_due_reminders(round_, now=CLOSES + timedelta(days=1)) == 0
    assert outbox(MailKind.REMINDER) == []


def test_it_does_not_remind_failed_opted_out_or_revoked_recipients(ctx: None) -> None:
    round_, [failed, opted_out, revoked, reminded] = open_with(4)
    invitations = {m.recipient_id: m for m in outbox(MailKind.INVITATION)}
    set_status(invitations[failed.id], MailStatus.FAILED, "550 5.1.1 Mailbox does not exist")
    opted_out.opted_out = True
    revoke_link_only(round_, revoked, now=OPENS)
    db.session.commit()

    assert queue_due_reminders(round_, now=OPENS + timedelta(days=7)) == 1
    db.session.commit()
    assert [m.recipient_id for m in outbox(MailKind.REMINDER)] == [reminded.id]


def test_it_reminds_by_hand_all_non_responders_or_one(ctx: None) -> None:
    round_, [answered, waiting, other] = open_with(3)
    make_submitted_response(round_, answered, {"sip_okning": "ja"})
    db.session.commit()

    too_soon = remind_now(round_, now=OPENS + timedelta(hours=3))
    assert (too_soon.queued, too_soon.skipped_recent) == (0, 2)
    outcome = remind_now(round_, now=OPENS + timedelta(days=2))
    db.session.commit()
    assert (outcome.queued, outcome.skipped_recent) == (2, 0)
    reminded = sorted(m.recipient_id or 0 for m in outbox(MailKind.REMINDER))  # 0: none
    assert reminded == [waiting.id, other.id]
    assert actions()[-1] == "round.remind"

    with refused("redan skickat in"):
        remind_now(round_, [answered.id], now=OPENS + timedelta(days=5))
    db.session.rollback()
    with refused("mindre än ett dygn"):
        remind_now(round_, [waiting.id], now=OPENS + timedelta(days=2, hours=1))
    db.session.rollback()
    one = remind_now(round_, [waiting.id], now=OPENS + timedelta(days=4))
    db.session.commit()
    assert one.queued == 1
    assert [(m.recipient_id, m.sequence) for m in outbox(MailKind.REMINDER)][-1] == (waiting.id, 2)
    # A reminder by hand pushes the scheduled one back: day 7 is not 7 days after day 4.
    assert queue_due_reminders(round_, now=OPENS + timedelta(days=7)) == 0


def test_it_resends_a_failed_message_on_request(ctx: None) -> None:
    round_, _ = open_with(1)
    [invitation] = outbox()
    set_status(invitation, MailStatus.FAILED, "550 5.1.1 Mailbox does not exist")
    resend_message(round_, invitation.id, now=OPENS)
    db.session.commit()
    assert outbox()[0].status == MailStatus.QUEUED
    assert actions()[-1] == "mail.resend"
    with refused("redan köats"):
        resend_message(round_, invitation.id, now=OPENS)


# --- Status ---------------------------------------------------------------------------


def test_it_counts_every_state_per_organisation_type(ctx: None) -> None:
    round_ = create_round(good_settings(), now=NOW)
    kinds = [OrganisationType.REGIONAL_PV] * 4 + [OrganisationType.KOMMUN] * 3
    recipients = add_recipients(
        round_, [row(n, organisation_type=kind) for n, kind in enumerate(kinds, start=1)], now=NOW
    )
    open_round(round_, now=OPENS)
    db.session.commit()
    queued, sent, failed, uncertain, opened, drafted, submitted = recipients
    invitations = {m.recipient_id: m for m in outbox(MailKind.INVITATION)}
    for recipient in (sent, opened, drafted, submitted):
        set_status(invitations[recipient.id], MailStatus.SENT)
    set_status(invitations[failed.id], MailStatus.FAILED, "550 Mailbox does not exist")
    set_status(invitations[uncertain.id], MailStatus.UNCERTAIN, "connection lost")
    opened.first_opened_at = OPENS + timedelta(days=1)
    drafted.first_opened_at = OPENS + timedelta(days=1)
    db.session.add(
        Response(round_id=round_.id, recipient_id=drafted.id, draft={}, draft_saved_at=OPENS)
    )
    make_submitted_response(round_, submitted, {"sip_okning": "ja"})
    queue_due_reminders(round_, now=OPENS + timedelta(days=7))
    db.session.commit()

    status = round_status(round_)

    states = {row.recipient_id: row.state for row in status.recipients}
    assert states == {
        queued.id: RecipientState.QUEUED,
        sent.id: RecipientState.SENT,
        failed.id: RecipientState.DELIVERY_FAILED,
        uncertain.id: RecipientState.UNCERTAIN,
        opened.id: RecipientState.OPENED,
        drafted.id: RecipientState.DRAFT,
        submitted.id: RecipientState.SUBMITTED,
    }
    total = status.total
    assert (total.recipients, total.invited, total.opened, total.draft, total.submitted) == (
        7, 7, 3, 1, 1,
    )  # fmt: skip
    assert (total.delivery_failed, total.uncertain, total.not_sent) == (1, 1, 1)
    assert total.response_rate == pytest.approx(14.3)
    assert list(status.by_organisation_type) == ["kommun", "regional_pv"]
    assert status.by_organisation_type["kommun"].submitted == 1
    assert status.by_organisation_type["kommun"].response_rate == pytest.approx(33.3)
    assert status.by_organisation_type["regional_pv"].response_rate == 0.0
    by_id = {row.recipient_id: row for row in status.recipients}
    assert by_id[failed.id].delivery_problem == "550 Mailbox does not exist"
    assert by_id[sent.id].reminders_sent == 1
    assert by_id[sent.id].last_reminder_at is not None
    assert by_id[submitted.id].reminders_sent == 0
    assert status.outbox[MailStatus.QUEUED] >= 1
    document = status.as_json()
    assert document["recipients"][0]["state"] in {state.value for state in RecipientState}


def test_it_computes_status_with_the_same_queries_for_few_or_many(ctx: None) -> None:
    counts = []
    for size in (3, 60):
        round_, _ = open_with(size, title=f"Omgång {size}")
        db.session.expire_all()
        with counted_statements() as statements:
            round_status(db.session.get_one(Round, round_.id))
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 8
