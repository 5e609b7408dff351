"""The process leader's round pages: permissions, every action, uploads, escaping, CSRF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from survey.db import db, utcnow
from survey.localtime import to_local
from survey.organisations import OrganisationType
from survey.questionnaires.storage import find_questionnaire_version
from survey.rounds.lifecycle import create_round, open_round
from survey.rounds.recipients_file import RecipientRow
from survey.rounds.roster import add_recipients
from survey.rounds.settings import RoundSettings
from survey.rounds.tokens import current_token
from survey.schema.audit import AuditEvent
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import (
    DEFAULT_PASSWORD,
    Cast,
    ClientFor,
    MakeApp,
    login,
    make_cast,
    make_questionnaire_version,
    make_submitted_response,
)

SCRIPT_NAME = '<script>alert("namn")</script>'
SCRIPT_ORGANISATION = "<img src=x onerror=alert(1)>"
GOOD_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;asa.oberg@example.se;Vårdcentralen Ängelholm;Regional primärvård;Ängelholm;NV\r\n"
    "Björn Ek;bjorn.ek@example.se;Ängelholms kommun;Kommun;Ängelholm;\r\n"
).encode()
BAD_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Åsa Öberg;inte-en-adress;Vårdcentralen Ängelholm;Regional primärvård;Ängelholm;NV\r\n"
    "Björn Ek;bjorn.ek@example.se;;Okänd typ;Ängelholm;NV\r\n"
    "Cecilia Ek;bjorn.ek@example.se;Kommunen;Kommun;Ängelholm;NV\r\n"
).encode()


@dataclass(frozen=True)
class World:
    cast: Cast
    nv: int
    no: int
    draft: int
    recipient: int
    scripted: int
    message: int
    no_recipient: int


def settings(version_id: int, delregion: str, title: str) -> RoundSettings:
    now = utcnow()
    return RoundSettings(
        questionnaire_version_id=version_id,
        title=title,
        delregion=delregion,
        reference_date=now.date(),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30),
        sender_name=f"Processledare {delregion}",
        reply_to="processledare@example.se",
    )


def recipient_row(number: int, delregion: str = "NV", **changes: object) -> RecipientRow:
    values: dict[str, Any] = {
        "name": f"Mottagare {number}",
        "email": f"mottagare{number}@example.se",
        "organisation": f"Vårdcentralen {number}",
        "organisation_type": OrganisationType.REGIONAL_PV,
        "kommun": "Ängelholm",
        "delregion": delregion,
    }
    values.update(changes)
    return RecipientRow(**values)


@pytest.fixture
def world(app: Flask, cast: Cast) -> World:
    with app.app_context():
        version = make_questionnaire_version()
        now = utcnow()
        nv = create_round(settings(version.id, "NV", "Årlig enkät NV"), now=now)
        first, scripted = add_recipients(
            nv,
            [
                recipient_row(1),
                recipient_row(
                    2, name=SCRIPT_NAME, organisation=SCRIPT_ORGANISATION,
                    organisation_type=OrganisationType.KOMMUN,
                ),
            ],
            now=now,
        )  # fmt: skip
        open_round(nv, now=now)
        no = create_round(settings(version.id, "NO", "Årlig enkät NO"), now=now)
        [no_recipient] = add_recipients(no, [recipient_row(3, "NO")], now=now)
        open_round(no, now=now)
        draft = create_round(settings(version.id, "NV", "Utkast NV"), now=now)
        db.session.commit()
        message = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.recipient_id == first.id)
        ).one()
        return World(cast, nv.id, no.id, draft.id, first.id, scripted.id, message, no_recipient.id)


def snapshot(app: Flask) -> tuple[object, ...]:
    """Everything an action could change, to show a refused one changed nothing."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(OutboxMessage)),
            tuple(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(Round)),
            tuple(db.session.execute(select(Round.state, Round.closes_at).order_by(Round.id))),
            tuple(
                db.session.execute(
                    select(Recipient.email, Recipient.token_hash, Recipient.removed_at).order_by(
                        Recipient.id
                    )
                )
            ),
        )


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True)


# --- Permissions ----------------------------------------------------------------------

READ, MANAGE, CREATE, ANY = "read", "manage", "create", "any"


def routes(w: World) -> list[tuple[str, str, str, str]]:
    """(method, path, what it needs, round's delregion) for every page and action."""
    r, rc, m = w.nv, w.recipient, w.message
    nv = [
        ("GET", f"/omgangar/{r}", READ),
        ("GET", f"/omgangar/{r}/utskick", MANAGE),
        ("GET", f"/omgangar/{r}/mottagare/{rc}", MANAGE),
        ("GET", f"/omgangar/{r}/andra", MANAGE),
        ("GET", f"/omgangar/{r}/mottagare/ny", MANAGE),
        ("GET", f"/omgangar/{r}/mottagare/{rc}/andra", MANAGE),
        ("GET", f"/omgangar/{r}/mottagare/{rc}/ta-bort", MANAGE),
        ("GET", f"/omgangar/{r}/mottagare/ladda-upp", MANAGE),
        ("GET", f"/omgangar/{r}/stang", MANAGE),
        ("GET", f"/omgangar/{r}/forlang", MANAGE),
        ("POST", f"/omgangar/{r}/andra", MANAGE),
        ("POST", f"/omgangar/{r}/oppna", MANAGE),
        ("POST", f"/omgangar/{r}/paminn", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/{rc}/paminn", MANAGE),
        ("POST", f"/omgangar/{r}/utskick/{m}/skicka-igen", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/ny", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/{rc}/andra", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/ladda-upp", MANAGE),
        ("POST", f"/omgangar/{r}/forlang", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/{rc}/ny-lank", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/{rc}/aterkalla", MANAGE),
        ("POST", f"/omgangar/{r}/mottagare/{rc}/ta-bort", MANAGE),
        ("POST", f"/omgangar/{r}/stang", MANAGE),
    ]
    no = [
        ("GET", f"/omgangar/{w.no}", READ),
        ("GET", f"/omgangar/{w.no}/mottagare/{w.no_recipient}", MANAGE),
        ("POST", f"/omgangar/{w.no}/stang", MANAGE),
        ("POST", f"/omgangar/{w.no}/mottagare/{w.no_recipient}/ny-lank", MANAGE),
    ]
    return [
        ("GET", "/omgangar", ANY, ""),
        ("GET", "/omgangar/mottagarmall.xlsx", ANY, ""),
        ("GET", "/omgangar/mottagarmall.csv", ANY, ""),
        ("GET", "/omgangar/ny", CREATE, ""),
        ("POST", "/omgangar/ny", CREATE, ""),
        *[(method, path, need, "NV") for method, path, need in nv],
        *[(method, path, need, "NO") for method, path, need in no],
    ]


def expected_status(who: str, method: str, need: str, delregion: str) -> set[int]:
    allowed = {200} if method == "GET" else {200, 302}
    if who == "anonymous":
        return {302}
    if who == "admin":
        return allowed
    own = {"leader_nv": "NV", "leader_no": "NO", "reader_nv": "NV"}[who]
    if delregion and delregion != own:
        return {404}
    if need in (MANAGE, CREATE) and who == "reader_nv":
        return {403}
    return allowed


@pytest.mark.parametrize("who", ["anonymous", "reader_nv", "leader_no", "leader_nv", "admin"])
def test_it_lets_each_cast_member_do_only_what_their_role_allows(
    app: Flask, world: World, client_for: ClientFor, who: str
) -> None:
    client = client_for(who)
    for method, path, need, delregion in routes(world):
        before = snapshot(app)
        response = client.open(path, method=method)
        expected = expected_status(who, method, need, delregion)
        assert response.status_code in expected, (who, method, path, response.status_code)
        if response.status_code in (302, 403, 404) and (who == "anonymous" or 302 not in expected):
            assert snapshot(app) == before, (who, method, path)
        if who == "anonymous":
            assert response.location.startswith("/logga-in")


def test_it_answers_404_for_rounds_and_recipients_that_do_not_exist(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("admin")
    assert client.get("/omgangar/99999").status_code == 404
    assert client.get(f"/omgangar/{world.nv}/mottagare/{world.no_recipient}").status_code == 404
    assert client.post(f"/omgangar/{world.nv}/mottagare/99999/ny-lank").status_code == 404
    assert client.post(f"/omgangar/{world.nv}/utskick/99999/skicka-igen").status_code == 404
    assert client.get("/omgangar/mottagarmall.exe").status_code == 404


def test_it_lists_only_the_rounds_of_the_users_delregion(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get("/omgangar"))
    assert "Årlig enkät NV" in html and "Utkast NV" in html and "Årlig enkät NO" not in html
    assert "Skapa ny omgång" in html
    reader = page(client_for("reader_nv").get("/omgangar"))
    assert "Årlig enkät NV" in reader and "Skapa ny omgång" not in reader
    assert "Årlig enkät NO" in page(client_for("admin").get("/omgangar"))
    menu = page(client_for("reader_nv").get("/omgangar"))
    assert '<a href="/omgangar" aria-current="page">Omgångar</a>' in menu


def test_it_shows_a_reader_the_status_without_any_action(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("reader_nv").get(f"/omgangar/{world.nv}"))
    assert "Svarsfrekvens" in html and "Svar per organisationstyp" in html
    # Who was asked is for those who run the round (docs/privacy.md).
    assert "Mottagare 1" not in html and "avidentifierade exporten" in html
    for action in ("Påminn alla", "Stäng omgången", "Lägg till mottagare", "Skicka igen"):
        assert action not in html


def recipient_table(html: str) -> tuple[str, list[str]]:
    """The recipients table's caption and the name in each of its rows."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    caption = soup.find("caption", id="tabell-show-2")
    assert caption is not None
    table = caption.find_parent("table")
    assert table is not None
    names = []
    for row in table.select("tbody tr"):
        header = row.find("th")
        assert header is not None
        link = header.find("a")
        assert link is not None
        names.append(link.get_text())
    return " ".join(caption.get_text().split()), names


def test_it_shows_a_long_recipient_list_a_page_at_a_time_and_finds_recipients(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    with app.app_context():
        round_ = db.session.get_one(Round, world.nv)
        assert round_ is not None
        rows = [
            recipient_row(number, kommun="Höganäs" if number % 50 == 0 else "Ängelholm")
            for number in range(100, 350)
        ]
        add_recipients(round_, rows, now=utcnow())
        db.session.commit()
    client = client_for("leader_nv")
    url = f"/omgangar/{world.nv}"

    html = page(client.get(url))
    caption, names = recipient_table(html)
    assert caption == "Mottagare: 1–100 av 252" and len(names) == 100
    assert "Mottagare (252)" in html
    assert f'href="{url}?sida=2#mottagare" rel="next"' in html
    assert f'href="{url}?sida=3#mottagare">Sista sidan' in html
    assert "Föregående sida" not in html and "Sida 1 av 3" in html
    seen = set(names)
    for number in (2, 3):
        caption, names = recipient_table(page(client.get(f"{url}?sida={number}")))
        assert not seen & set(names)
        seen |= set(names)
    assert caption == "Mottagare: 201–252 av 252" and len(seen) == 252
    # Pages that do not exist show the nearest page, not an error.
    assert recipient_table(page(client.get(f"{url}?sida=999")))[0] == "Mottagare: 201–252 av 252"
    assert recipient_table(page(client.get(f"{url}?sida=-1")))[0] == "Mottagare: 1–100 av 252"

    # Search: every word, in any of name, email, organisation, kommun; case does not matter.
    html = page(client.get(url, query_string={"sok": "HÖGANÄS"}))
    caption, names = recipient_table(html)
    assert caption == "Mottagare som matchar ”HÖGANÄS”: 1–5 av 5"
    assert names == [f"Mottagare {number}" for number in (100, 150, 200, 250, 300)]
    assert "Sida 1 av" not in html  # one page: no page links
    _, names = recipient_table(page(client.get(url, query_string={"sok": "vårdcentralen 123"})))
    assert names == ["Mottagare 123"]
    # The state and the search stay in the page links.
    html = page(client.get(url, query_string={"status": "queued", "sok": "ängelholm"}))
    caption, names = recipient_table(html)
    assert caption == "Mottagare med status ”Inbjudan i kö” som matchar ”ängelholm”: 1–100 av 247"
    assert f"{url}?sida=2&amp;status=queued&amp;sok=%C3%A4ngelholm#mottagare" in html
    # No match: says so, and how to see everyone; what was typed comes back escaped.
    html = page(client.get(url, query_string={"sok": "<script>x</script>"}))
    assert "Inga mottagare matchar urvalet." in html and "<script>x</script>" not in html
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in html


# --- Creating a round -----------------------------------------------------------------


def form_data(app: Flask, **changes: object) -> dict[str, object]:
    with app.app_context():
        version = find_questionnaire_version("prov", "1")
        assert version is not None
        version_id = version.id
    opens = to_local(utcnow() + timedelta(days=1))
    closes = to_local(utcnow() + timedelta(days=29))
    data: dict[str, object] = {
        "questionnaire_version_id": str(version_id),
        "title": "Årlig enkät 2026",
        "delregion": "NV",
        "reference_date": "2026-12-31",
        "opens_date": opens.date().isoformat(),
        "opens_time": "08:00",
        "closes_date": closes.date().isoformat(),
        "closes_time": "23:59",
        "reminder_days": "7, 14",
        "max_reminders": "2",
        "sender_name": "Processledare nära vård, Nordväst",
        "reply_to": "processledare.nv@example.se",
        "invitation_subject": "Inbjudan: {omgang}",
        "invitation_body": (
            "Hej {namn} på {organisation}!\r\n\r\nSvara senast {sista_dag}: {lank}\r\n"
        ),
        "reminder_subject": "Påminnelse: {omgang}",
        "reminder_body": "Hej {namn}!\r\n\r\nSvara här: {lank}\r\n",
        "action": "create",
    }
    data.update(changes)
    return data


def rounds_titled(app: Flask, title: str) -> list[Round]:
    with app.app_context():
        found = list(db.session.scalars(select(Round).where(Round.title == title)))
        for round_ in found:
            db.session.expunge(round_)
        return found


def test_it_shows_the_new_round_form_with_swedish_defaults(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get("/omgangar/ny"))
    assert "Skapa omgång" in html
    assert "Svara via din personliga länk:" in html  # the default invitation text
    assert "{sista_dag}" in html and "sista svarsdag" in html  # the placeholder list
    assert '<option selected value="NV">' in html and 'value="NO"' not in html
    assert "/omgangar/mottagarmall.xlsx" in html
    assert 'enctype="multipart/form-data"' in html
    admin = page(client_for("admin").get("/omgangar/ny"))
    assert 'value="NO"' in admin


def test_it_creates_a_round_with_recipients_from_a_file(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    data = form_data(app, recipients_file=(io.BytesIO(GOOD_CSV), "mottagare.csv"))
    response = client.post("/omgangar/ny", data=data, content_type="multipart/form-data")

    assert response.status_code == 302
    [created] = rounds_titled(app, "Årlig enkät 2026")
    assert response.location == f"/omgangar/{created.id}"
    assert created.state == RoundState.DRAFT and created.delregion == "NV"
    assert to_local(created.closes_at).strftime("%H:%M") == "23:59"
    html = page(client.get(response.location))
    assert "skapad som utkast med 2 mottagare" in html
    assert "Åsa Öberg" in html and "Björn Ek" in html
    assert "Öppna och skicka inbjudningar nu" in html
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.round_id == created.id)
            )
            == 0
        )


def test_it_previews_both_messages_without_creating_anything(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    data = form_data(app, action="preview")
    before = snapshot(app)
    html = page(client.post("/omgangar/ny", data=data))

    assert snapshot(app) == before
    assert "Förhandsgranskning" in html
    assert "Hej Anna Andersson på Vårdcentralen Ängelholm!" in html
    assert "Inbjudan: Årlig enkät 2026" in html and "Påminnelse: Årlig enkät 2026" in html
    assert "[personlig länk]" in html
    assert re.search(r"Svara senast \d{1,2} \w+ 20\d\d kl\. 23\.59", html)
    assert "/forhandsgranska/prov?version=1" in html


def test_it_lists_every_problem_of_a_file_and_creates_nothing(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    data = form_data(app, recipients_file=(io.BytesIO(BAD_CSV), "mottagare.csv"))
    before = snapshot(app)
    response = client.post("/omgangar/ny", data=data, content_type="multipart/form-data")
    html = page(response)

    assert response.status_code == 200
    assert snapshot(app) == before
    assert "<title>Fel: Skapa omgång" in html
    assert "Filen har 5 fel och ingen mottagare har lagts till" in html
    assert html.count("<tr><td>") >= 4
    assert "inte-en-adress" in html and "Organisation saknas" in html
    assert "Okänd organisationstyp" in html and "Samma e-postadress" in html
    assert "Rätta filen och välj den igen" in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Ange en titel"),
        (
            {"closes_date": "2020-01-01"},
            "closes_date",
            "Omgången måste stänga efter att den öppnar",
        ),
        ({"opens_time": "25:00"}, "opens_time", "inte ett klockslag"),
        ({"reference_date": "31/12"}, "reference_date", "inte ett datum"),
        ({"invitation_body": "Hej {namn}!"}, "invitation_body", "{lank}"),
        ({"max_reminders": "många"}, "max_reminders", "från 0 till 10"),
        ({"delregion": "NO"}, "delregion", "din egen delregion"),
    ],
)
def test_it_shows_settings_problems_next_to_their_fields(
    app: Flask,
    world: World,
    client_for: ClientFor,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    client = client_for("leader_nv")
    before = snapshot(app)
    html = page(client.post("/omgangar/ny", data=form_data(app, **changes)))

    assert snapshot(app) == before
    assert "<title>Fel: Skapa omgång" in html
    assert f'href="#{field}"' in html
    assert message in html


# --- The round page and its actions ---------------------------------------------------


def test_it_shows_recipient_names_and_organisations_escaped(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    for path in (
        f"/omgangar/{world.nv}",
        f"/omgangar/{world.nv}/mottagare/{world.scripted}",
        f"/omgangar/{world.nv}/mottagare/{world.scripted}/andra",
        f"/omgangar/{world.nv}/mottagare/{world.scripted}/ta-bort",
        f"/omgangar/{world.nv}/utskick",
    ):
        html = page(client.get(path))
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert" in html or "&lt;img src=x" in html, path


def test_it_opens_a_draft_round_now(app: Flask, world: World, client_for: ClientFor) -> None:
    client = client_for("leader_nv")
    with app.app_context():
        round_ = db.session.get_one(Round, world.draft)
        add_recipients(round_, [recipient_row(10), recipient_row(11)], now=utcnow())
        db.session.commit()
    response = client.post(f"/omgangar/{world.draft}/oppna")
    assert response.status_code == 302
    html = page(client.get(response.location))
    assert "Omgången är öppen. 2 inbjudningar är köade för utskick." in html
    assert "Öppen" in html and "Inbjudan i kö" in html


def test_it_refuses_to_open_a_draft_without_recipients(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    html = page(client.post(f"/omgangar/{world.draft}/oppna", follow_redirects=True))
    assert "Omgången har inga mottagare" in html
    with app.app_context():
        assert db.session.get_one(Round, world.draft).state == RoundState.DRAFT


def test_it_reminds_everyone_or_one_and_says_who_was_skipped(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    html = page(client.post(f"/omgangar/{world.nv}/paminn", follow_redirects=True))
    assert "Ingen påminnelse skickades." in html and "flash-success" not in html
    assert "2 fick ingen påminnelse eftersom de kontaktades för mindre än ett dygn" in html
    assert "Mottagare 1 (Vårdcentralen 1)" in html
    with app.app_context():
        db.session.execute(update(Recipient).values(last_contacted_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    html = page(client.post(f"/omgangar/{world.nv}/paminn", follow_redirects=True))
    assert "2 påminnelser är köade" in html
    with app.app_context():
        db.session.execute(update(Recipient).values(last_contacted_at=utcnow() - timedelta(days=3)))
        round_ = db.session.get_one(Round, world.nv)
        make_submitted_response(round_, db.session.get_one(Recipient, world.recipient), {"x": 1})
        db.session.commit()
    one = f"/omgangar/{world.nv}/mottagare/{world.recipient}/paminn"
    html = page(client.post(one, follow_redirects=True))
    assert "Mottagaren har redan skickat in sina svar." in html
    other = f"/omgangar/{world.nv}/mottagare/{world.scripted}/paminn"
    assert "En påminnelse är köad för utskick." in page(client.post(other, follow_redirects=True))


def test_it_reissues_and_revokes_links(app: Flask, world: World, client_for: ClientFor) -> None:
    client = client_for("leader_nv")
    with app.app_context():
        old_hash = db.session.get_one(Recipient, world.recipient).token_hash
    base = f"/omgangar/{world.nv}/mottagare/{world.recipient}"
    html = page(client.post(f"{base}/ny-lank", follow_redirects=True))
    assert "Den gamla länken fungerar inte längre" in html
    with app.app_context():
        recipient = db.session.get_one(Recipient, world.recipient)
        assert recipient.token_hash not in (None, old_hash)
        sequences = db.session.scalars(
            select(OutboxMessage.sequence)
            .where(OutboxMessage.recipient_id == world.recipient)
            .order_by(OutboxMessage.sequence)
        ).all()
        assert sequences == [2]  # the first was still queued: withdrawn, replaced
    html = page(client.post(f"{base}/aterkalla", follow_redirects=True))
    assert "Länken är återkallad" in html and "Återkallad" in html
    with app.app_context():
        assert db.session.get_one(Recipient, world.recipient).token_hash is None


def test_it_adds_corrects_and_removes_a_recipient_by_hand(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    new = {
        "name": "Cecilia Holm",
        "email": "Cecilia.Holm@Example.se",
        "organisation": "Höganäs kommun",
        "organisation_type": "kommun",
        "kommun": "höganäs kommun",
        "delregion": "NV",
    }
    bad = page(client.post(f"/omgangar/{world.nv}/mottagare/ny", data={**new, "email": "x@"}))
    assert "<title>Fel: Lägg till mottagare" in bad and "inte en giltig e-postadress" in bad
    dup = page(
        client.post(
            f"/omgangar/{world.nv}/mottagare/ny", data={**new, "email": "mottagare1@example.se"}
        )
    )
    assert "finns redan bland omgångens mottagare" in dup

    html = page(client.post(f"/omgangar/{world.nv}/mottagare/ny", data=new, follow_redirects=True))
    assert "Cecilia Holm är tillagd som mottagare och inbjudan är köad för utskick." in html
    with app.app_context():
        added = db.session.scalars(
            select(Recipient).where(Recipient.email == "cecilia.holm@example.se")
        ).one()
        assert (added.kommun, added.organisation_type) == ("Höganäs", "kommun")
        assert added.invited_at is not None
        added_id = added.id

    edit = f"/omgangar/{world.nv}/mottagare/{added_id}/andra"
    assert 'value="Cecilia Holm"' in page(client.get(edit))
    html = page(
        client.post(edit, data={**new, "email": "cecilia.holm2@example.se"}, follow_redirects=True)
    )
    assert "En ny inbjudan med ny länk är köad till den nya adressen" in html
    with app.app_context():
        latest = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_id == added_id)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert latest is not None
        assert (latest.to_address, latest.sequence) == ("cecilia.holm2@example.se", 2)

    html = page(
        client.post(f"/omgangar/{world.nv}/mottagare/{added_id}/ta-bort", follow_redirects=True)
    )
    assert "Mottagaren är borttagen från omgången" in html
    assert "Cecilia Holm" not in html.split("Mottagaren är borttagen")[1]
    assert client.get(f"/omgangar/{world.nv}/mottagare/{added_id}").status_code == 404


def test_it_uploads_recipients_to_an_open_round_only_when_the_file_is_clean(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    path = f"/omgangar/{world.nv}/mottagare/ladda-upp"
    before = snapshot(app)
    html = page(client.post(path, data={"recipients_file": (io.BytesIO(BAD_CSV), "fel.csv")},
                            content_type="multipart/form-data"))  # fmt: skip
    assert snapshot(app) == before
    assert "<title>Fel: Ladda upp mottagare" in html and "Fel per rad och kolumn" in html
    assert "Filen har 5 fel och ingen mottagare har lagts till" in html

    missing = page(client.post(path, data={}, content_type="multipart/form-data"))
    assert "Välj en fil med mottagare" in missing

    html = page(client.post(path, data={"recipients_file": (io.BytesIO(GOOD_CSV), "ok.csv")},
                            content_type="multipart/form-data", follow_redirects=True))  # fmt: skip
    assert "2 mottagare är tillagda. 2 inbjudningar är köade för utskick." in html
    again = page(client.post(path, data={"recipients_file": (io.BytesIO(GOOD_CSV), "ok.csv")},
                             content_type="multipart/form-data"))  # fmt: skip
    assert "finns redan bland omgångens mottagare" in again


def test_it_downloads_the_recipients_templates(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    xlsx = client.get("/omgangar/mottagarmall.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "attachment" in xlsx.headers["Content-Disposition"]
    csv = client.get("/omgangar/mottagarmall.csv")
    assert csv.data.decode("utf-8-sig").startswith("Namn;E-post;Organisation")


def test_it_closes_and_extends_a_round(app: Flask, world: World, client_for: ClientFor) -> None:
    client = client_for("leader_nv")
    assert "Stäng omgången nu" in page(client.get(f"/omgangar/{world.nv}/stang"))
    html = page(client.post(f"/omgangar/{world.nv}/stang", follow_redirects=True))
    assert "Omgången är stängd. Inga fler svar tas emot." in html
    assert "Förläng och öppna igen" in html
    again = page(client.post(f"/omgangar/{world.nv}/stang", follow_redirects=True))
    assert "Omgången är redan stängd." in again

    extend = f"/omgangar/{world.nv}/forlang"
    past = page(client.post(extend, data={"closes_date": "2020-01-01", "closes_time": "12:00"}))
    assert "<title>Fel: Förläng" in past and "framtiden" in past
    later = to_local(utcnow() + timedelta(days=60)).date().isoformat()
    html = page(
        client.post(
            extend, data={"closes_date": later, "closes_time": "16:30"}, follow_redirects=True
        )
    )
    assert "Omgången är öppen igen." in html and f"Sista svarsdag är nu {later} 16:30." in html
    with app.app_context():
        assert db.session.get_one(Round, world.nv).state == RoundState.OPEN


def test_it_edits_an_open_rounds_texts_but_not_its_questionnaire(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    edit = f"/omgangar/{world.nv}/andra"
    html = page(client.get(edit))
    assert "går inte att ändra när omgången har öppnats" in html
    assert 'name="questionnaire_version_id"' not in html
    data = form_data(app, title="Ny titel", reminder_subject="Glöm inte: {omgang}",
                     questionnaire_version_id="99999", action="save")  # fmt: skip
    html = page(client.post(edit, data=data, follow_redirects=True))
    assert "Inställningarna är sparade." in html
    with app.app_context():
        round_ = db.session.get_one(Round, world.nv)
        assert (round_.title, round_.reminder_subject) == ("Ny titel", "Glöm inte: {omgang}")
        assert round_.questionnaire_version.questionnaire_id == "prov"


def test_it_shows_failed_delivery_and_resends_on_request(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == world.message)
            .values(
                status=MailStatus.FAILED.value,
                last_error="550 5.1.1 <mottagare1@example.se>: Mailbox does not exist",
            )
        )
        db.session.commit()
    html = page(client.get(f"/omgangar/{world.nv}"))
    assert "Leverans misslyckades" in html
    assert "550 5.1.1 &lt;mottagare1@example.se&gt;: Mailbox does not exist" in html
    assert "Skicka igen" in html
    response = client.post(f"/omgangar/{world.nv}/utskick/{world.message}/skicka-igen")
    assert response.status_code == 302
    assert "Meddelandet är köat för att skickas igen." in page(client.get(response.location))
    with app.app_context():
        assert db.session.get_one(OutboxMessage, world.message).status == MailStatus.QUEUED


def held_invitation(app: Flask) -> tuple[FlaskClient, int, int, str | None]:
    """An open round with one invitation kept in the outbox, and its process leader's client.

    Returns the client, the round id, the message id and the recipient's token.
    """
    with app.app_context():
        cast = make_cast()
        version = make_questionnaire_version()
        round_ = create_round(settings(version.id, "NV", "Årlig enkät NV"), now=utcnow())
        [recipient] = add_recipients(round_, [recipient_row(1)], now=utcnow())
        open_round(round_, now=utcnow())
        db.session.commit()
        token = current_token(recipient, [app.config["SECRET_KEY"]])
        message_id = db.session.scalars(select(OutboxMessage.id)).one()
        round_id = round_.id
    client = app.test_client()
    login(client, cast.leader_nv.email, DEFAULT_PASSWORD)
    return client, round_id, message_id, token


def test_it_shows_mails_only_in_outbox_mode_and_never_a_token(make_app: MakeApp) -> None:
    app = make_app(SURVEY_MAIL_DELIVERY="outbox")
    client, round_id, message_id, token = held_invitation(app)
    listing = page(client.get(f"/omgangar/{round_id}/utskick"))
    assert f"/omgangar/{round_id}/utskick/{message_id}" in listing
    html = page(client.get(f"/omgangar/{round_id}/utskick/{message_id}"))
    assert "[personlig länk]" in html and "[[PERSONLIG-LANK]]" not in html
    assert token is not None and token not in html
    assert "Inbjudan: Årlig enkät NV" in html
    assert "Utvecklingsläge" in page(client.get(f"/omgangar/{round_id}"))


def test_it_lets_a_developer_open_the_respondents_link_from_a_held_mail(make_app: MakeApp) -> None:
    app = make_app(
        SURVEY_ENV="development", WTF_CSRF_ENABLED=False, SURVEY_FAST_PASSWORD_HASHING=True
    )
    assert app.config["SURVEY_MAIL_DELIVERY"] == "outbox"
    client, round_id, message_id, token = held_invitation(app)
    html = page(client.get(f"/omgangar/{round_id}/utskick/{message_id}"))
    assert f"/svara/{round_id}/{token}" in html
    assert "Prova enkäten som mottagaren" in html


def test_it_hides_mails_when_they_are_really_sent(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("admin")
    assert client.get(f"/omgangar/{world.nv}/utskick/{world.message}").status_code == 404


# --- CSRF -----------------------------------------------------------------------------


def test_it_refuses_every_form_without_a_csrf_token(csrf_app: Flask) -> None:
    world_ = _world_in(csrf_app)
    client = csrf_app.test_client()
    assert login(client, world_.cast.leader_nv.email).status_code == 302
    r, rc, m = world_.nv, world_.recipient, world_.message
    posts = [
        ("/omgangar/ny", form_data(csrf_app)),
        (f"/omgangar/{r}/andra", form_data(csrf_app, title="Ändrad")),
        (f"/omgangar/{world_.draft}/oppna", {}),
        (f"/omgangar/{r}/paminn", {}),
        (f"/omgangar/{r}/stang", {}),
        (f"/omgangar/{r}/forlang", {"closes_date": "2099-01-01", "closes_time": "12:00"}),
        (f"/omgangar/{r}/mottagare/ny", {"name": "X", "email": "x@example.se"}),
        (f"/omgangar/{r}/mottagare/{rc}/andra", {"name": "Ändrad"}),
        (f"/omgangar/{r}/mottagare/{rc}/paminn", {}),
        (f"/omgangar/{r}/mottagare/{rc}/ny-lank", {}),
        (f"/omgangar/{r}/mottagare/{rc}/aterkalla", {}),
        (f"/omgangar/{r}/mottagare/{rc}/ta-bort", {}),
        (f"/omgangar/{r}/mottagare/ladda-upp", {}),
        (f"/omgangar/{r}/utskick/{m}/skicka-igen", {}),
    ]
    before = snapshot(csrf_app)
    for path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Felaktig begäran" in page(response)
    assert snapshot(csrf_app) == before
    # The pages carry the token, and with it an action works.
    html = page(client.get(f"/omgangar/{r}/stang"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    assert (
        client.post(f"/omgangar/{r}/stang", data={"csrf_token": token.group(1)}).status_code == 302
    )
    with csrf_app.app_context():
        assert db.session.get_one(Round, r).state == RoundState.CLOSED


def _world_in(app: Flask) -> World:
    with app.app_context():
        cast = make_cast()
        version = make_questionnaire_version()
        now = utcnow()
        nv = create_round(settings(version.id, "NV", "Årlig enkät NV"), now=now)
        [first] = add_recipients(nv, [recipient_row(1)], now=now)
        open_round(nv, now=now)
        draft = create_round(settings(version.id, "NV", "Utkast NV"), now=now)
        add_recipients(draft, [recipient_row(5)], now=now)
        db.session.commit()
        message = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.kind == MailKind.INVITATION.value)
        ).one()
        return World(cast, nv.id, nv.id, draft.id, first.id, first.id, message, first.id)
