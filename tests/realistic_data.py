"""Realistic data for tests and benchmarks: a round of the NV questionnaire with many responses.

`scratch_database` gives a migrated, empty database (a temporary SQLite file, or a scratch
PostgreSQL database next to the one named, dropped afterwards); `generate_round` fills it
with one round: the shipped questionnaire ``questionnaires/nv-arlig-enkat.yaml``,
recipients of Skåne's kommuner, vårdcentraler, sjukhus and psykiatri, and answers as they
come in real life: most recipients submit, some amend (several submissions per
response), some are imported from earlier years' Excel files, some only saved a draft,
*Ej aktuellt* where the question allows it, optional free text now and then (some of it
written as a list of lines starting with "-").

Rows go in with Core ``insert()`` and executemany, `CHUNK` rows at a time; the data is
deterministic for a given seed. `realistic_answers` gives one respondent's answers and
`form_fields` the form fields a browser posts for them.

The benchmarks (bench/) and the tests share this module; it lives with the tests so that
the tests never import the benchmarks.

    from tests.realistic_data import bench_app, generate_round, scratch_database

    with scratch_database(None) as url:
        app = bench_app(url)
        with app.app_context():
            generated = generate_round(responses=100_000)
"""

from __future__ import annotations

import os
import random
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from config import PROJECT_ROOT, normalise_database_url
from survey import create_app
from survey.db import db
from survey.organisations import SKANE_KOMMUNER, OrganisationType, normalise_word
from survey.questionnaires.model import NOT_APPLICABLE, Question, Questionnaire, QuestionType
from survey.questionnaires.parsing import read_questionnaire_file, read_questionnaire_text
from survey.questionnaires.storage import find_questionnaire_version, store_questionnaire
from survey.rounds.messages import (
    DEFAULT_INVITATION_BODY,
    DEFAULT_INVITATION_SUBJECT,
    DEFAULT_REMINDER_BODY,
    DEFAULT_REMINDER_SUBJECT,
)
from survey.rounds.tokens import derive_token, hash_token
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState

QUESTIONNAIRE_FILE = PROJECT_ROOT / "questionnaires" / "nv-arlig-enkat.yaml"
CHUNK = 5_000
NON_RESPONDENT_SHARE = 0.15  # of all recipients: invited, not submitted
DRAFT_SHARE = 0.4  # of non-respondents: started a draft
AMENDED_SHARE = 0.2  # of responses: submitted more than once
IMPORTED_SHARE = 0.03  # of responses: imported from an earlier Excel file
FREE_TEXT_SHARE = 0.35  # of optional free-text questions: answered

# Delregioner of Vårdsamverkan Skåne by kommun (as used for the benchmark's groupings).
KOMMUN_DELREGION: dict[str, str] = {
    **dict.fromkeys(
        ("Bjuv", "Båstad", "Helsingborg", "Höganäs", "Klippan", "Landskrona", "Perstorp",
         "Svalöv", "Åstorp", "Ängelholm", "Örkelljunga"),
        "NV",
    ),
    **dict.fromkeys(("Bromölla", "Hässleholm", "Kristianstad", "Osby", "Östra Göinge"), "NO"),
    **dict.fromkeys(("Simrishamn", "Sjöbo", "Tomelilla", "Ystad"), "SO"),
    **dict.fromkeys(("Eslöv", "Hörby", "Höör", "Kävlinge", "Lomma", "Lund"), "MS"),
    **dict.fromkeys(
        ("Burlöv", "Malmö", "Skurup", "Staffanstorp", "Svedala", "Trelleborg", "Vellinge"), "SV"
    ),
}  # fmt: skip

HOSPITALS: tuple[tuple[str, str], ...] = (
    ("Helsingborgs lasarett", "Helsingborg"),
    ("Ängelholms sjukhus", "Ängelholm"),
    ("Landskrona lasarett", "Landskrona"),
    ("Centralsjukhuset Kristianstad", "Kristianstad"),
    ("Hässleholms sjukhus", "Hässleholm"),
    ("Skånes universitetssjukhus Lund", "Lund"),
    ("Skånes universitetssjukhus Malmö", "Malmö"),
    ("Ystads lasarett", "Ystad"),
    ("Trelleborgs lasarett", "Trelleborg"),
)
PSYCHIATRY: tuple[tuple[str, str], ...] = (
    ("Vuxenpsykiatri Helsingborg", "Helsingborg"),
    ("Vuxenpsykiatri Ängelholm", "Ängelholm"),
    ("Psykiatri Kristianstad", "Kristianstad"),
    ("Psykiatri Lund", "Lund"),
    ("Vuxenpsykiatri Malmö", "Malmö"),
    ("Barn- och ungdomspsykiatri Skåne", "Lund"),
)
CLINIC_NAMES = ("Vårdcentralen {k}", "Vårdcentralen {k} Norra", "Vårdcentralen {k} Söder",
                "Hälsocentralen {k}", "Capio Vårdcentral {k}", "Läkarhuset {k}")  # fmt: skip
KOMMUN_UNITS = ("{k}s kommun", "Hemsjukvården {k}", "Särskilt boende {k}", "Korttidsboendet {k}")

FIRST_NAMES = ("Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Ingrid", "Åsa",
               "Märta", "Lars", "Mikael", "Anders", "Johan", "Per", "Björn", "Örjan", "Jörgen",
               "Anna-Karin", "Carl-Johan", "Émilie", "Zeynep", "Mohammed", "Ali")  # fmt: skip
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
              "Olsson", "Persson", "Svensson", "Gustafsson", "Åberg", "Öberg", "Ek",
              "Lindqvist", "Håkansson", "Ängström", "Yilmaz", "Hassan", "de la Cruz")  # fmt: skip
SENTENCES = (
    "Vi har en gemensam rutin för SIP med kommunen och träffas varje månad.",
    "Bemanningen har varit ansträngd under hösten, vilket påverkat arbetet.",
    "Samverkan fungerar bra på ledningsnivå men sämre i det dagliga arbetet.",
    "Vi saknar en gemensam journal, vilket gör informationsöverföringen långsam.",
    "Utbildningen i Alfred har genomförts av de flesta medarbetarna.",
    "Det mobila teamet har utökats med en sjuksköterska och en fysioterapeut.",
    "Patienterna uppskattar att få vara delaktiga i sin plan.",
    "Vi behöver bättre stöd från regionen när det gäller läkarmedverkan i hemsjukvården.",
    "Arbetet med fallprevention har prioriterats och följs upp kvartalsvis.",
    "Kontakten med slutenvården via Mina Planer har blivit smidigare.",
)
BULLETS = (
    "- Gemensamma utbildningsdagar\n- Uppföljning av SIP i lokal samverkan\n- Nytt team för "
    "äldre med stora behov",
    "-Fler SIP-möten på distans\n-Tydligare ansvarsfördelning",
)


@contextmanager
def scratch_database(base_url: str | None) -> Iterator[str]:
    """A migrated, empty database: a temporary SQLite file, or a scratch PostgreSQL database.

    For PostgreSQL the database named in `base_url` is only used to create and drop a
    database of its own (as the test suite does), so the benchmark never touches data.
    """
    if base_url is None or base_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="survey-bench-") as directory:
            url = base_url or f"sqlite:///{Path(directory) / 'bench.sqlite'}"
            _migrate(url)
            yield url
        return
    server = make_url(normalise_database_url(base_url))
    name = f"survey_bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    try:
        scratch = server.set(database=name).render_as_string(hide_password=False)
        _migrate(scratch)
        yield scratch
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(database_url: str, **settings: Any) -> Flask:
    """The app on the benchmark's database, in test settings (mail goes nowhere unless told)."""
    return create_app(
        {"SURVEY_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **settings}
    )


def _migrate(database_url: str) -> None:
    app = bench_app(database_url)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        db.engine.dispose()


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: OrganisationType
    kommun: str

    @property
    def delregion(self) -> str:
        return KOMMUN_DELREGION.get(self.kommun, "NV")


def skane_organisations() -> list[Organisation]:
    """Kommuner and their units, vårdcentraler, sjukhus and psykiatri of Skåne's 33 kommuner."""
    organisations: list[Organisation] = []
    for kommun in SKANE_KOMMUNER:
        stem = kommun[:-1] if kommun.endswith("s") else kommun
        for pattern in KOMMUN_UNITS:
            organisations.append(
                Organisation(pattern.format(k=stem), OrganisationType.KOMMUN, kommun)
            )
        for pattern in CLINIC_NAMES:
            organisations.append(
                Organisation(pattern.format(k=kommun), OrganisationType.REGIONAL_PV, kommun)
            )
    organisations += [Organisation(n, OrganisationType.SLUTENVARD, k) for n, k in HOSPITALS]
    organisations += [Organisation(n, OrganisationType.PSYKIATRI, k) for n, k in PSYCHIATRY]
    return organisations


@dataclass(frozen=True)
class GeneratedRound:
    """What `generate_round` made."""

    round_id: int
    questionnaire: Questionnaire = field(repr=False)
    recipients: int
    responses: int
    submissions: int
    drafts: int


def load_questionnaire() -> Questionnaire:
    """Store the shipped NV questionnaire (once) and return it."""
    questionnaire = read_questionnaire_file(QUESTIONNAIRE_FILE)
    store_questionnaire(
        questionnaire, read_questionnaire_text(QUESTIONNAIRE_FILE), QUESTIONNAIRE_FILE.name
    )
    db.session.commit()
    return questionnaire


def generate_round(
    *,
    responses: int,
    seed: int = 2025,
    reference_date: date = date(2025, 12, 31),
    delregion: str = "NV",
    title: str | None = None,
) -> GeneratedRound:
    """Add a closed round of the NV questionnaire with `responses` submitted responses.

    Call inside an app context. About `NON_RESPONDENT_SHARE` more recipients are invited
    without submitting (some with a draft).
    """
    rng = random.Random(seed)
    questionnaire = load_questionnaire()
    stored_version = _stored_version_id(questionnaire)
    opens = datetime.combine(reference_date, datetime.min.time(), tzinfo=UTC) + timedelta(days=30)
    round_ = Round(
        questionnaire_version_id=stored_version,
        title=title or f"Årlig enkät {reference_date.year}",
        delregion=delregion,
        reference_date=reference_date,
        opens_at=opens,
        closes_at=opens + timedelta(days=30),
        reminder_days=[7, 14],
        max_reminders=2,
        sender_name="Processledare nära vård",
        reply_to="processledare@example.se",
        invitation_subject="Inbjudan: {omgang}",
        invitation_body="Hej {namn}!\n\nSvara här: {lank}\n",
        reminder_subject="Påminnelse: {omgang}",
        reminder_body="Hej {namn}!\n\nSvara senast {sista_dag}: {lank}\n",
        state=RoundState.CLOSED,
        opened_at=opens,
        closed_at=opens + timedelta(days=30),
    )
    db.session.add(round_)
    db.session.commit()
    round_id = round_.id

    organisations = skane_organisations()
    weights = [_organisation_weight(organisation) for organisation in organisations]
    total = round(responses / (1 - NON_RESPONDENT_SHARE))
    first_recipient = _next_id(Recipient)
    first_response = _next_id(Response)
    first_submission = _next_id(ResponseSubmission)

    recipient_rows: list[dict[str, Any]] = []
    response_rows: list[dict[str, Any]] = []
    submission_rows: list[dict[str, Any]] = []
    counts = {"recipients": 0, "responses": 0, "submissions": 0, "drafts": 0}
    response_id = first_response
    submission_id = first_submission
    chosen = rng.choices(organisations, weights=weights, k=total)
    # Which recipients submit: exactly `responses` of them, spread over the list.
    submitters = set(rng.sample(range(total), responses))

    for index in range(total):
        organisation = chosen[index]
        recipient_id = first_recipient + index
        submits = index in submitters
        reminders = 0 if submits and rng.random() < 0.6 else rng.randint(0, 2)
        invited = opens + timedelta(minutes=rng.randint(0, 120))
        recipient_rows.append(
            _recipient_row(rng, round_id, recipient_id, index, organisation, invited, reminders)
        )
        if submits:
            versions = 1 if rng.random() >= AMENDED_SHARE else rng.choice((2, 2, 3))
            imported = rng.random() < IMPORTED_SHARE
            answers = [
                realistic_answers(rng, questionnaire, organisation.kind) for _ in range(versions)
            ]
            submitted = [
                invited
                + timedelta(days=rng.randint(0, 10) + 3 * number, minutes=rng.randint(0, 600))
                for number in range(versions)
            ]
            has_draft = not imported and rng.random() < 0.05
            response_rows.append(
                {
                    "id": response_id,
                    "round_id": round_id,
                    "recipient_id": recipient_id,
                    "draft": _draft(answers[-1]) if has_draft else None,
                    "draft_saved_at": submitted[-1] + timedelta(hours=1) if has_draft else None,
                    "answers": answers[-1],
                    "submitted_at": submitted[-1],
                    "first_submitted_at": submitted[0],
                    "submission_count": versions,
                    "imported": imported,
                    "created_at": invited,
                    "version_id": versions + (1 if has_draft else 0),
                }
            )
            for number in range(versions):
                submission_rows.append(
                    {
                        "id": submission_id,
                        "response_id": response_id,
                        "number": number + 1,
                        "answers": answers[number],
                        "submitted_at": submitted[number],
                        "imported": imported,
                    }
                )
                submission_id += 1
            counts["drafts"] += has_draft
            response_id += 1
        elif rng.random() < DRAFT_SHARE:
            partial = _draft(realistic_answers(rng, questionnaire, organisation.kind))
            response_rows.append(
                {
                    "id": response_id,
                    "round_id": round_id,
                    "recipient_id": recipient_id,
                    "draft": partial,
                    "draft_saved_at": invited + timedelta(days=rng.randint(1, 20)),
                    "answers": None,
                    "submitted_at": None,
                    "first_submitted_at": None,
                    "submission_count": 0,
                    "imported": False,
                    "created_at": invited,
                    "version_id": 1,
                }
            )
            counts["drafts"] += 1
            response_id += 1
        if len(recipient_rows) >= CHUNK:
            _flush(recipient_rows, response_rows, submission_rows, counts)
    _flush(recipient_rows, response_rows, submission_rows, counts)
    _advance_sequences()
    db.session.commit()
    return GeneratedRound(
        round_id=round_id,
        questionnaire=questionnaire,
        recipients=counts["recipients"],
        responses=responses,
        submissions=counts["submissions"],
        drafts=counts["drafts"],
    )


@dataclass(frozen=True)
class GeneratedRecipients:
    """What `generate_recipients` made."""

    round_id: int
    questionnaire: Questionnaire = field(repr=False)
    recipient_ids: list[int] = field(repr=False)
    # Each recipient's personal-link token, when links were issued.
    tokens: dict[int, str] = field(repr=False)


def generate_recipients(
    *,
    recipients: int,
    opens_at: datetime,
    closes_at: datetime,
    state: RoundState = RoundState.DRAFT,
    link_key: str | None = None,
    seed: int = 2025,
    delregion: str = "NV",
) -> GeneratedRecipients:
    """Add a round of the NV questionnaire with `recipients` recipients and no answers.

    The round has the shipped default invitation and reminder texts. A draft round's
    recipients are not yet invited (opening the round invites them, as in real life);
    with `link_key` (the app's SECRET_KEY) each recipient gets a link, as if invited
    when the round opened. Call inside an app context.
    """
    rng = random.Random(seed)
    questionnaire = load_questionnaire()
    round_ = Round(
        questionnaire_version_id=_stored_version_id(questionnaire),
        title=f"Årlig enkät {opens_at.year}",
        delregion=delregion,
        reference_date=date(opens_at.year, 12, 31),
        opens_at=opens_at,
        closes_at=closes_at,
        reminder_days=[7, 14],
        max_reminders=2,
        sender_name="Processledare nära vård, Nordväst",
        reply_to="processledare.nv@example.se",
        invitation_subject=DEFAULT_INVITATION_SUBJECT,
        invitation_body=DEFAULT_INVITATION_BODY,
        reminder_subject=DEFAULT_REMINDER_SUBJECT,
        reminder_body=DEFAULT_REMINDER_BODY,
        state=state.value,
        opened_at=opens_at if state is not RoundState.DRAFT else None,
    )
    db.session.add(round_)
    db.session.commit()
    round_id = round_.id
    organisations = skane_organisations()
    weights = [_organisation_weight(organisation) for organisation in organisations]
    first = _next_id(Recipient)
    tokens: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    counts = {"recipients": 0, "responses": 0, "submissions": 0, "drafts": 0}
    for index, organisation in enumerate(rng.choices(organisations, weights=weights, k=recipients)):
        recipient_id = first + index
        row = _recipient_row(rng, round_id, recipient_id, index, organisation, opens_at, 0)
        row.update(first_opened_at=None, opted_out=False, created_at=opens_at - timedelta(days=2))
        if link_key is None:
            row.update(token_generation=0, token_issued_at=None, invited_at=None,
                       last_contacted_at=None)  # fmt: skip
        else:
            token = derive_token(link_key, round_id, recipient_id, 1)
            tokens[recipient_id] = token
            row.update(token_hash=hash_token(round_id, token), token_generation=1)
        rows.append(row)
        if len(rows) >= CHUNK:
            _flush(rows, [], [], counts)
    _flush(rows, [], [], counts)
    _advance_sequences()
    db.session.commit()
    return GeneratedRecipients(
        round_id=round_id,
        questionnaire=questionnaire,
        recipient_ids=list(range(first, first + recipients)),
        tokens=tokens,
    )


def _stored_version_id(questionnaire: Questionnaire) -> int:
    stored = find_questionnaire_version(questionnaire.id, questionnaire.version)
    assert stored is not None
    return int(stored.id)


def _organisation_weight(organisation: Organisation) -> float:
    return {
        OrganisationType.KOMMUN: 1.5,
        OrganisationType.REGIONAL_PV: 1.6,
        OrganisationType.SLUTENVARD: 8.0,
        OrganisationType.PSYKIATRI: 8.0,
    }.get(organisation.kind, 1.0)


def _recipient_row(
    rng: random.Random,
    round_id: int,
    recipient_id: int,
    index: int,
    organisation: Organisation,
    invited: datetime,
    reminders: int,
) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = normalise_word(f"{first}.{last}").replace(" ", "")
    domain = normalise_word(organisation.kommun).replace(" ", "")
    return {
        "id": recipient_id,
        "round_id": round_id,
        "name": f"{first} {last}",
        "email": f"{local}.{index}@{domain}.example.se",
        "organisation": organisation.name,
        "organisation_type": str(organisation.kind),
        "kommun": organisation.kommun,
        "delregion": organisation.delregion,
        "token_hash": None,
        "token_generation": 1,
        "token_issued_at": invited,
        "invited_at": invited,
        "first_opened_at": invited + timedelta(hours=rng.randint(1, 200))
        if rng.random() < 0.8
        else None,
        "reminders_sent": reminders,
        "last_contacted_at": invited + timedelta(days=7 * reminders),
        "opted_out": rng.random() < 0.005,
        "removed_at": None,
        "pseudonymised_at": None,
        "created_at": invited - timedelta(days=2),
    }


def realistic_answers(
    rng: random.Random, questionnaire: Questionnaire, kind: OrganisationType
) -> dict[str, Any]:
    """One respondent's answers: every question asked of them, optional ones now and then."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if not question.asked_of(kind):
            continue
        condition = question.show_if
        if condition is not None:
            given = answers.get(condition.question)
            given_values = given if isinstance(given, list) else [given]
            if not any(value in condition.answers for value in given_values):
                continue
        value = _answer(rng, question)
        if value is not None:
            answers[question.id] = value
    return answers


def form_fields(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Typed answers as the browser posts them: decimal commas, one field per choice."""
    fields: list[tuple[str, str]] = []
    for question_id, value in answers.items():
        if isinstance(value, list):
            fields.extend((question_id, str(item)) for item in value)
        elif isinstance(value, float):
            fields.append((question_id, f"{value:g}".replace(".", ",")))
        else:
            fields.append((question_id, str(value)))
    return fields


def _answer(rng: random.Random, question: Question) -> Any:
    kind = question.type
    if kind.is_text:
        if not question.required and rng.random() >= FREE_TEXT_SHARE:
            return None
        if rng.random() < 0.15:
            return rng.choice(BULLETS)
        return " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
    if not question.required and rng.random() < 0.2:
        return None
    if kind is QuestionType.YES_NO:
        values = question.choice_values
        if NOT_APPLICABLE in values and rng.random() < 0.1:
            return NOT_APPLICABLE
        return "ja" if rng.random() < 0.62 else "nej"
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.SCALE):
        return rng.choices(question.choice_values, weights=_falling(len(question.choices)))[0]
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = question.choice_values
        return rng.sample(values, rng.randint(1, min(3, len(values))))
    if kind is QuestionType.PERCENT:
        return rng.randint(0, 100) if rng.random() < 0.7 else round(rng.uniform(0, 100), 1)
    if kind is QuestionType.NUMBER:
        low = question.minimum or 0
        high = question.maximum if question.maximum is not None else 1000
        return round(rng.uniform(low, high), question.decimals)
    if kind is QuestionType.DATE:
        return (date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))).isoformat()
    if kind is QuestionType.WEEK:
        return f"2025-W{rng.randint(1, 52):02d}"
    return None


def _falling(count: int) -> Sequence[float]:
    return [float(count - position) for position in range(count)]


def _draft(answers: dict[str, Any]) -> dict[str, Any]:
    """A draft as the form keeps it: raw strings (and lists), some questions not yet reached."""
    draft: dict[str, Any] = {}
    for position, (key, value) in enumerate(answers.items()):
        if position > 2 and position % 3 == 0:
            break
        draft[key] = value if isinstance(value, list) else str(value).replace(".", ",")
    return draft


def _next_id(model: Any) -> int:
    highest = db.session.scalar(select(func.max(model.id)))
    return int(highest or 0) + 1


def _flush(
    recipients: list[dict[str, Any]],
    responses: list[dict[str, Any]],
    submissions: list[dict[str, Any]],
    counts: dict[str, int],
) -> None:
    for model, rows, key in (
        (Recipient, recipients, "recipients"),
        (Response, responses, None),
        (ResponseSubmission, submissions, "submissions"),
    ):
        # A JSON column given None stores JSON 'null'; leave such keys out to store SQL NULL.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            kept = {name: value for name, value in row.items() if value is not None}
            groups.setdefault(tuple(kept), []).append(kept)
        table = model.__table__
        assert isinstance(table, Table)
        for group in groups.values():
            db.session.execute(insert(table), group)
        if key is not None:
            counts[key] += len(rows)
        rows.clear()
    db.session.commit()


def _advance_sequences() -> None:
    """After explicit ids, let PostgreSQL's sequences continue above them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("recipients", "responses", "response_submissions"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
