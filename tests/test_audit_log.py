"""The audit log records who did what and when, and its pages show it to the right people.

The first test is a table of every action the issue names (created, opened, closed,
exported, revoked, imported, changed …), each done through the web pages or the command
line as a user would, with the event it must leave: its action, its actor (the user's
email, or "kommandorad") and its round. Then the pages: who may read which events,
paging, and links to them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from config import PROJECT_ROOT
from survey.audit.reading import ACTION_LABELS, EVENTS_PER_PAGE
from survey.audit.recording import COMMAND_LINE_ACTOR, record_audit
from survey.db import db, utcnow
from survey.jobs.runner import run_due_jobs
from survey.organisations import OrganisationType
from survey.rounds.lifecycle import create_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Recipient, Round
from tests.factories import DEFAULT_PASSWORD
from tests.import_helpers import ANNA_ROW, HEADERS, csv_file
from tests.security_helpers import HEALTHY_EMAIL, World, client_of, form_values, seed_world

NEW_PASSWORD = "ett-helt-nytt-lösenord-för-kontot"
RECIPIENTS_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Dan Dahl;dan@example.se;Vårdcentralen Bjuv;Regional primärvård;Bjuv;NV\r\n"
).encode()


@dataclass(frozen=True)
class Done:
    """What an action acted on: the round (None for accounts) whose event we look for."""

    round_id: int | None


def _post(client: FlaskClient, url: str, **data: object) -> None:
    multipart = any(isinstance(value, tuple) for value in data.values())
    response = client.post(
        url, data=data, content_type="multipart/form-data" if multipart else None
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)


def _get(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    response.get_data()
    response.close()
    assert response.status_code == 200


def _cli(app: Flask, *args: str, input: str | None = None) -> None:
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output


def _draft_round(app: Flask) -> int:
    with app.app_context():
        now = utcnow()
        version_id = db.session.scalar(select(Round.questionnaire_version_id))
        round_ = create_round(
            RoundSettings(
                questionnaire_version_id=version_id, title="Utkast 2026", delregion="NV",
                reference_date=now.date(), opens_at=now + timedelta(days=1),
                closes_at=now + timedelta(days=30), sender_name="Processledare NV",
            ),
            now=now,
        )  # fmt: skip
        add_recipients(
            round_,
            [RecipientRow("Eva Ek", "eva@example.se", "VC Klippan", OrganisationType.REGIONAL_PV,
                          "Klippan", "NV")],
            now=now,
        )  # fmt: skip
        db.session.commit()
        return round_.id


def _create_round(app: Flask, w: World, c: FlaskClient) -> Done:
    data = form_values(c.get("/omgangar/ny").get_data(as_text=True), action="/omgangar/ny")
    data.update(
        title="Ny omgång", action="create", questionnaire_version_id=str(w.questionnaire_version_id)
    )
    _post(c, "/omgangar/ny", **data)
    with app.app_context():
        return Done(db.session.scalar(select(Round.id).where(Round.title == "Ny omgång")))


def _edit_round(app: Flask, w: World, c: FlaskClient) -> Done:
    url = f"/omgangar/{w.round_id}/andra"
    data = form_values(c.get(url).get_data(as_text=True), action=url)
    _post(c, url, **{**data, "title": "Ändrad titel", "action": "save"})
    return Done(w.round_id)


def _open_draft(app: Flask, w: World, c: FlaskClient) -> Done:
    draft = _draft_round(app)
    _post(c, f"/omgangar/{draft}/oppna")
    return Done(draft)


def _run(path: str, **data: object) -> Callable[[Flask, World, FlaskClient], Done]:
    """Post to a path of the world's round ({round}, {recipient}, {message}, {user})."""

    def action(app: Flask, w: World, c: FlaskClient) -> Done:
        url = path.format(
            round=w.round_id, recipient=w.recipient_id, message=w.message_id, user=w.user_id
        )
        _post(
            c, url, **{key: value(w) if callable(value) else value for key, value in data.items()}
        )
        return Done(w.round_id if "{round}" in path else None)

    return action


def _export(identifying: bool) -> Callable[[Flask, World, FlaskClient], Done]:
    def action(app: Flask, w: World, c: FlaskClient) -> Done:
        _get(
            c, f"/omgangar/{w.round_id}/export.xlsx" + ("?identifierande=1" if identifying else "")
        )
        return Done(w.round_id)

    return action


def _export_cli(app: Flask, w: World, c: FlaskClient) -> Done:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        _cli(app, "round", "export", str(w.round_id), "-o", str(Path(directory) / "x.xlsx"))
    return Done(w.round_id)


def _round_cli(command: str) -> Callable[[Flask, World, FlaskClient], Done]:
    def action(app: Flask, w: World, c: FlaskClient) -> Done:
        _cli(app, "round", command, str(w.round_id))
        return Done(w.round_id)

    return action


def _scheduled_reminders(app: Flask, w: World, c: FlaskClient) -> Done:
    with app.app_context():
        eight_days_ago = utcnow() - timedelta(days=8)
        db.session.execute(
            update(Recipient)
            .where(Recipient.round_id == w.round_id)
            .values(invited_at=eight_days_ago, last_contacted_at=eight_days_ago)
        )
        db.session.commit()
    _cli(app, "tick", "--no-deliver")
    return Done(w.round_id)


def _import(app: Flask, w: World, c: FlaskClient) -> Done:
    _post(
        c, f"/omgangar/{w.round_id}/importera-svar",
        fil=(io.BytesIO(csv_file([HEADERS, ANNA_ROW])), "svar.csv"), action="importera",
    )  # fmt: skip
    with app.app_context():  # the worker imports on behalf of the leader who uploaded
        run_due_jobs("audit-test")
    return Done(w.round_id)


def _upload(app: Flask, w: World, c: FlaskClient) -> Done:
    _post(
        c, f"/omgangar/{w.round_id}/mottagare/ladda-upp",
        recipients_file=(io.BytesIO(RECIPIENTS_CSV), "mottagare.csv"),
    )  # fmt: skip
    return Done(w.round_id)


def _correct(app: Flask, w: World, c: FlaskClient) -> Done:
    url = f"/omgangar/{w.round_id}/mottagare/{w.recipient_id}/andra"
    data = form_values(c.get(url).get_data(as_text=True), action=url)
    _post(c, url, **{**data, "kommun": "Båstad"})
    return Done(w.round_id)


def _reactivate(app: Flask, w: World, c: FlaskClient) -> Done:
    _post(c, f"/admin/anvandare/{w.user_id}/inaktivera")
    _post(c, f"/admin/anvandare/{w.user_id}/aktivera")
    return Done(None)


def _user_cli(app: Flask, w: World, c: FlaskClient) -> Done:
    _cli(
        app, "user", "create", "--email", "ny@example.se", "--name", "Ny Person", "--role",
        "lasare", "--delregion", "NV", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )  # fmt: skip
    return Done(None)


def _load_questionnaire(app: Flask, w: World, c: FlaskClient) -> Done:
    _cli(app, "questionnaire", "load", str(PROJECT_ROOT / "questionnaires" / "nv-arlig-enkat.yaml"))
    return Done(None)


def _purge(app: Flask, w: World, c: FlaskClient) -> Done:
    _cli(app, "round", "close", str(w.round_id))
    with app.app_context():
        db.session.execute(
            update(Round)
            .where(Round.id == w.round_id)
            .values(closed_at=utcnow() - timedelta(days=1000))
        )
        db.session.commit()
    _cli(app, "privacy", "purge")
    return Done(w.round_id)


def _erase(app: Flask, w: World, c: FlaskClient) -> Done:
    _cli(app, "privacy", "erase-person", HEALTHY_EMAIL, "--yes")
    return Done(w.round_id)


def _export_person(app: Flask, w: World, c: FlaskClient) -> Done:
    _cli(app, "privacy", "export-person", HEALTHY_EMAIL)
    return Done(None)


NEW_RECIPIENT = {
    "name": "Eva Ek", "email": "eva@example.se", "organisation": "VC Klippan",
    "organisation_type": "regional_pv", "kommun": "Klippan", "delregion": "NV",
}  # fmt: skip
NEW_USER = {
    "email": "ny.person@example.se", "name": "Ny Person", "role": "lasare", "delregion": "NV",
    "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
}  # fmt: skip
LATER = {"closes_date": (utcnow() + timedelta(days=60)).date().isoformat(), "closes_time": "12:00"}

# (who acts, the action recorded, how it is done)
ACTIONS: list[tuple[str, str, Callable[[Flask, World, FlaskClient], Done]]] = [
    ("leader_nv", "round.create", _create_round),
    ("leader_nv", "round.update", _edit_round),
    ("leader_nv", "round.open", _open_draft),
    ("leader_nv", "round.send", _run("/omgangar/{round}/oppna")),
    ("cli", "round.send", _round_cli("send")),
    ("leader_nv", "round.extend", _run("/omgangar/{round}/forlang", **LATER)),
    ("leader_nv", "round.close", _run("/omgangar/{round}/stang")),
    ("cli", "round.close", _round_cli("close")),
    ("leader_nv", "round.remind", _run("/omgangar/{round}/paminn")),
    ("cli", "round.remind", _round_cli("remind")),
    ("cli", "round.remind_scheduled", _scheduled_reminders),
    ("reader_nv", "round.exported", _export(identifying=False)),
    ("leader_nv", "round.exported", _export(identifying=True)),
    ("cli", "round.exported", _export_cli),
    ("leader_nv", "round.responses_imported", _import),
    ("leader_nv", "recipient.add", _run("/omgangar/{round}/mottagare/ny", **NEW_RECIPIENT)),
    ("leader_nv", "recipient.add", _upload),
    ("leader_nv", "recipient.correct", _correct),
    ("leader_nv", "recipient.remove", _run("/omgangar/{round}/mottagare/{recipient}/ta-bort")),
    ("leader_nv", "link.reissue", _run("/omgangar/{round}/mottagare/{recipient}/ny-lank")),
    ("leader_nv", "link.revoke", _run("/omgangar/{round}/mottagare/{recipient}/aterkalla")),
    ("leader_nv", "mail.resend", _run("/omgangar/{round}/utskick/{message}/skicka-igen")),
    ("admin", "user.created", _run("/admin/anvandare/ny", **NEW_USER)),
    ("cli", "user.created", _user_cli),
    (
        "admin",
        "user.updated",
        _run(
            "/admin/anvandare/{user}/andra", name="Nytt Namn", role="processledare", delregion="NV"
        ),
    ),
    ("admin", "user.deactivated", _run("/admin/anvandare/{user}/inaktivera")),
    ("admin", "user.reactivated", _reactivate),
    (
        "admin",
        "user.password_reset",
        _run(
            "/admin/anvandare/{user}/losenord", password=NEW_PASSWORD, password_confirm=NEW_PASSWORD
        ),
    ),
    (
        "leader_nv",
        "user.password_changed",
        _run(
            "/konto/losenord",
            current_password=DEFAULT_PASSWORD,
            password=NEW_PASSWORD,
            password_confirm=NEW_PASSWORD,
        ),
    ),
    ("cli", "questionnaire.loaded", _load_questionnaire),
    ("cli", "privacy.purge", _purge),
    ("cli", "privacy.erase_person", _erase),
    ("cli", "privacy.export_person", _export_person),
]


@pytest.mark.parametrize(
    ("who", "action", "do"), ACTIONS, ids=[f"{action}-by-{who}" for who, action, _ in ACTIONS]
)
def test_it_records_who_did_what_to_which_round_and_when(
    app: Flask, who: str, action: str, do: Callable[[Flask, World, FlaskClient], Done]
) -> None:
    world = seed_world(app)
    actor = COMMAND_LINE_ACTOR if who == "cli" else getattr(world.cast, who).email
    client = client_of(app, None if who == "cli" else actor)
    with app.app_context():
        last = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    started = utcnow()

    done = do(app, world, client)

    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )
    assert len(events) == 1, [event.summary for event in events]
    [event] = events
    assert event.actor == actor
    assert event.round_id == done.round_id
    if done.round_id is not None:
        assert event.delregion == "NV"
    assert started - timedelta(seconds=1) <= event.occurred_at <= utcnow()
    assert event.summary.strip()
    assert action in ACTION_LABELS  # the log page has a Swedish name for it
    # Respondents are named by id and organisation, never by name or address.
    assert "Anna Andersson" not in event.summary and HEALTHY_EMAIL not in event.summary
    assert HEALTHY_EMAIL not in str(event.details)


# -- the pages -----------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask) -> World:
    made = seed_world(app)
    with app.app_context():
        # Events of another delregion and without one, which NV must not see.
        record_audit("round.create", "Skapade omgången ”Nordost 2025” (utkast).", delregion="NO")
        record_audit("user.created", "Kontot för en administratör skapades.")
        db.session.commit()
    return made


@pytest.mark.parametrize(
    ("who", "round_log", "all_log"),
    [
        ("admin", 200, 200),
        ("leader_nv", 200, 200),
        ("leader_no", 404, 200),
        ("reader_nv", 403, 403),
        (None, 302, 302),
    ],
)
def test_it_lets_process_leaders_of_the_delregion_and_administrators_read_the_log(
    app: Flask, world: World, who: str | None, round_log: int, all_log: int
) -> None:
    email = getattr(world.cast, who).email if who else None
    client = client_of(app, email)
    assert client.get(f"/omgangar/{world.round_id}/logg").status_code == round_log
    assert client.get("/logg").status_code == all_log


def summaries(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [row.find_all("td")[-1].get_text() for row in soup.select("table.audit-log tbody tr")]


def test_it_shows_a_process_leader_the_events_of_their_delregion_only(
    app: Flask, world: World
) -> None:
    leader = client_of(app, world.cast.leader_nv.email)
    shown = summaries(leader.get("/logg").get_data(as_text=True))
    assert any("Årlig enkät 2025" in summary for summary in shown)
    assert not any("Nordost" in summary for summary in shown)
    assert not any("administratör" in summary for summary in shown)
    admin = client_of(app, world.cast.admin.email)
    everything = summaries(admin.get("/logg").get_data(as_text=True))
    assert any("Nordost" in summary for summary in everything)
    assert any("administratör" in summary for summary in everything)
    # The Nordost leader sees the Nordost event and nothing of NV.
    leader_no = client_of(app, world.cast.leader_no.email)
    theirs = summaries(leader_no.get("/logg").get_data(as_text=True))
    assert theirs == ["Skapade omgången ”Nordost 2025” (utkast)."]


def test_it_shows_who_when_what_and_which_round_in_swedish(app: Flask, world: World) -> None:
    leader = client_of(app, world.cast.leader_nv.email)
    leader.post(f"/omgangar/{world.round_id}/mottagare/{world.recipient_id}/aterkalla")
    html = leader.get(f"/omgangar/{world.round_id}/logg").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.h1 is not None and soup.h1.get_text() == "Logg för Årlig enkät 2025"
    headers = [th.get_text() for th in soup.select("table.audit-log thead th")]
    assert headers == ["Tid", "Vem", "Händelse", "Beskrivning"]
    first = soup.select("table.audit-log tbody tr")[0]
    cells = [cell.get_text() for cell in first.find_all(["td", "th"])]
    assert cells[1] == world.cast.leader_nv.email
    assert cells[2] == "Återkallade länk"
    assert "Återkallade länken för mottagare" in cells[3]
    # Swedish local time: the event happened now, shown as YYYY-MM-DD HH:MM in Stockholm.
    from survey.localtime import format_local

    assert cells[0] == format_local(utcnow()) or cells[0] == format_local(
        utcnow() - timedelta(minutes=1)
    )
    # The general log names the round and links to its log.
    general = BeautifulSoup(leader.get("/logg").get_data(as_text=True), "html.parser")
    link = general.select_one("table.audit-log tbody tr a")
    assert link is not None and link["href"] == f"/omgangar/{world.round_id}/logg"


def test_it_pages_a_long_log(app: Flask, world: World) -> None:
    with app.app_context():
        for number in range(1, 2 * EVENTS_PER_PAGE + 11):
            record_audit(
                "round.update", f"Händelse nummer {number}.", round_id=world.round_id,
                delregion="NV",
            )  # fmt: skip
        total = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.round_id == world.round_id)
        )
        db.session.commit()
    leader = client_of(app, world.cast.leader_nv.email)
    url = f"/omgangar/{world.round_id}/logg"
    pages = 3
    first = leader.get(url).get_data(as_text=True)
    assert len(summaries(first)) == EVENTS_PER_PAGE
    assert summaries(first)[0] == f"Händelse nummer {2 * EVENTS_PER_PAGE + 10}."  # newest first
    assert f"Händelser 1–{EVENTS_PER_PAGE} av {total}, senaste först" in first
    assert f'href="{url}?sida=2"' in first and "Föregående sida" not in first
    second = leader.get(f"{url}?sida=2").get_data(as_text=True)
    assert f"Sida 2 av {pages}" in second
    assert f'href="{url}?sida=1"' in second and f'href="{url}?sida=3"' in second
    last = leader.get(f"{url}?sida=3").get_data(as_text=True)
    assert total is not None and len(summaries(last)) == total - 2 * EVENTS_PER_PAGE
    assert "Nästa sida" not in last
    # Pages that do not exist show the nearest page, not an error.
    assert leader.get(f"{url}?sida=999").get_data(as_text=True).count("Sida 3 av 3") == 1
    assert "Sida 1 av 3" in leader.get(f"{url}?sida=-4").get_data(as_text=True)
    assert "Sida 1 av 3" in leader.get(f"{url}?sida=abc").get_data(as_text=True)


def test_it_links_the_log_from_the_menu_and_the_round_page_for_those_who_may_read_it(
    app: Flask, world: World
) -> None:
    for who, sees in (("leader_nv", True), ("admin", True), ("reader_nv", False)):
        client = client_of(app, getattr(world.cast, who).email)
        page = BeautifulSoup(
            client.get(f"/omgangar/{world.round_id}").get_data(as_text=True), "html.parser"
        )
        menu = [a["href"] for a in page.select('nav[aria-label="Huvudmeny"] a')]
        assert ("/logg" in menu) is sees, who
        links = [a["href"] for a in page.select("main a")]
        assert (f"/omgangar/{world.round_id}/logg" in links) is sees, who


def test_it_says_when_nothing_is_logged(app: Flask) -> None:
    from tests.factories import make_user

    with app.app_context():
        email = make_user("processledare", "SV").email
        db.session.commit()
    html = client_of(app, email).get("/logg").get_data(as_text=True)
    assert "Inga händelser är loggade ännu." in html
    title = BeautifulSoup(html, "html.parser").title
    assert title is not None and "Logg" in title.get_text()
