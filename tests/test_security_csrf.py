"""Every POST the app accepts is refused without a CSRF token, and changes nothing.

The routes are read from `app.url_map`, so a form added later is covered by this test
without being named here: if it lacks CSRF protection the test fails. For the routes we
know, the post carries a payload that does change the database when the token is given
(checked by the second test), so the refusal is not an accident of a useless payload.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from survey import create_app
from survey.answering.respondent import BUTTON_AGAIN_MESSAGE, CSRF_AGAIN_MESSAGE
from survey.db import db, utcnow
from survey.schema.accounts import User
from tests.factories import DEFAULT_PASSWORD
from tests.import_helpers import ANNA_ROW, HEADERS, csv_file
from tests.security_helpers import (
    World,
    client_of,
    csrf_token_in,
    database_snapshot,
    form_values,
    rules_with,
    seed_world,
    url_for_rule,
)

NEW_PASSWORD = "ett-helt-nytt-lösenord-för-kontot"
RECIPIENTS_CSV = (
    "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
    "Dan Dahl;dan@example.se;Vårdcentralen Bjuv;Regional primärvård;Bjuv;NV\r\n"
).encode()


def _post_rules() -> list[tuple[str, str]]:
    app = create_app({"SURVEY_ENV": "testing"})
    return [(rule.endpoint, rule.rule) for rule in rules_with(app, "POST")]


POST_RULES = _post_rules()


@dataclass(frozen=True)
class PostCase:
    """How to post to one endpoint so that, with a token, it changes the database."""

    data: Callable[[World], dict[str, Any]] = lambda world: {}
    # A page whose form gives the rest of the fields (a path, filled with the world's ids).
    form_page: Callable[[World], str] | None = None
    files: Callable[[World], dict[str, tuple[io.BytesIO, str]]] = field(default=lambda world: {})
    changes_database: bool = True
    # Put the world in the state the post changes (run before the post).
    prepare: Callable[[Flask, World], None] = lambda app, world: None


def _deactivate(app: Flask, user_id: int) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(active=False))
        db.session.commit()


def _later(days: int) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


CASES: dict[str, PostCase] = {
    "accounts.login": PostCase(
        lambda w: {"email": w.cast.leader_nv.email, "password": DEFAULT_PASSWORD}
    ),
    "accounts.logout": PostCase(changes_database=False),  # it ends the session only
    "accounts.change_password": PostCase(
        lambda w: {
            "current_password": DEFAULT_PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        }
    ),
    "accounts.create_user": PostCase(
        lambda w: {
            "email": "ny.person@example.se",
            "name": "Ny Person",
            "role": "lasare",
            "delregion": "NV",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        }
    ),
    "accounts.edit_user": PostCase(
        lambda w: {"name": "Nytt Namn", "role": "processledare", "delregion": "NV"}
    ),
    "accounts.reset_password": PostCase(
        lambda w: {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    ),
    "accounts.deactivate": PostCase(),
    "accounts.reactivate": PostCase(prepare=lambda app, w: _deactivate(app, w.user_id)),
    "answering.preview": PostCase(
        lambda w: {"action": "submit", "sip_okning": "ja"}, changes_database=False
    ),
    "rounds.new_round": PostCase(
        lambda w: {
            "title": "Ny omgång 2026",
            "questionnaire_version_id": str(w.questionnaire_version_id),
            "action": "create",
        },
        form_page=lambda w: "/omgangar/ny",
    ),
    "local_collaboration.new_group": PostCase(
        lambda w: {
            "kommun": "Ystad",
            "kontakt_namn": "Kim Kontakt",
            "kontakt_epost": "kim@ystad.se",
            "delregion": "SO",
        }
    ),
    "rounds.edit_round": PostCase(
        lambda w: {"title": "Ändrad titel", "action": "save"},
        form_page=lambda w: f"/omgangar/{w.round_id}/andra",
    ),
    "rounds.extend": PostCase(lambda w: {"closes_date": _later(60), "closes_time": "12:00"}),
    "rounds.close": PostCase(),
    "rounds.open_now": PostCase(),  # invites the respondent, who was not invited yet
    "rounds.remind_all": PostCase(),
    "rounds.remind_one": PostCase(),
    "rounds.reissue": PostCase(),
    "rounds.revoke": PostCase(),
    "rounds.remove": PostCase(),
    "rounds.new_recipient": PostCase(
        lambda w: {
            "name": "Eva Ek",
            "email": "eva@example.se",
            "organisation": "Vårdcentralen Klippan",
            "organisation_type": "regional_pv",
            "kommun": "Klippan",
            "delregion": "NV",
        }
    ),
    "rounds.edit_recipient": PostCase(
        lambda w: {"name": "Anna Rättad"},
        form_page=lambda w: f"/omgangar/{w.round_id}/mottagare/{w.recipient_id}/andra",
    ),
    "rounds.upload_recipients": PostCase(
        files=lambda w: {"recipients_file": (io.BytesIO(RECIPIENTS_CSV), "mottagare.csv")}
    ),
    "rounds.resend": PostCase(lambda w: {"tillbaka": "utskick"}),
    "response_import.import_page": PostCase(
        lambda w: {"action": "importera"},
        files=lambda w: {"fil": (io.BytesIO(csv_file([HEADERS, ANNA_ROW])), "svar.csv")},
    ),
    # Queues the import of the seeded check's kept file.
    "response_import.import_checked_file": PostCase(),
    "plans.start_report_job": PostCase(lambda w: {"datum": "2026-01-31", "format": "pdf"}),
    "plans.record": PostCase(
        lambda w: {"varde": "12,5", "datum": "2025-12-31", "kalla": "Uttag QV 2026-01-15"}
    ),
    "plans.analysis": PostCase(lambda w: {"ar": "2025", "analys": "Analys", "atgarder": "Åtgärd"}),
    "plans.import_file": PostCase(
        files=lambda w: {
            "fil": (
                io.BytesIO("Indikator;Datum;Värde;Källa\r\n1a.3d;2025-12-31;12,5;QV\r\n".encode()),
                "m.csv",
            )
        }
    ),
    "respond.post_answers": PostCase(lambda w: {"action": "save", "kommentar": "Ett utkast"}),
    "respond.reminders": PostCase(lambda w: {"paminnelser": "nej"}),
}


def _payload(client: FlaskClient, case: PostCase, world: World, url: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if case.form_page is not None:
        page = client.get(case.form_page(world))
        assert page.status_code == 200
        data.update(form_values(page.get_data(as_text=True), action=url))
    data.update(case.data(world))
    data.update(case.files(world))
    data.pop("csrf_token", None)
    return data


def _url(app: Flask, endpoint: str, world: World) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return url_for_rule(app, rule, world)


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    multipart = any(isinstance(value, tuple) for value in data.values())
    return client.post(url, data=data, content_type="multipart/form-data" if multipart else None)


def test_it_finds_the_forms_of_every_area_in_the_url_map() -> None:
    endpoints = {endpoint for endpoint, _ in POST_RULES}
    assert set(CASES) <= endpoints, set(CASES) - endpoints
    assert len(endpoints) >= 25


@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=[e for e, _ in POST_RULES])
def test_it_refuses_every_post_without_a_csrf_token_and_changes_nothing(
    csrf_app: Flask, endpoint: str, rule: str
) -> None:
    world = seed_world(csrf_app)
    client = client_of(csrf_app, world.cast.admin.email, world.respondent)
    case = CASES.get(endpoint, PostCase())
    case.prepare(csrf_app, world)
    url = _url(csrf_app, endpoint, world)
    data = _payload(client, case, world, url)
    before = database_snapshot(csrf_app)

    response = _post(client, url, data)

    html = response.get_data(as_text=True)
    assert database_snapshot(csrf_app) == before
    if endpoint == "respond.post_answers":
        # The respondent's form is shown again with what was typed (documented: 422).
        assert response.status_code == 422
        assert CSRF_AGAIN_MESSAGE in html
        assert "Ett utkast" in html
    elif endpoint == "respond.autosave":
        # The form's script gets JSON and tells the respondent to save by hand.
        assert response.status_code == 400
        assert "Spara utkast" in response.get_json()["message"]
    elif endpoint == "respond.reminders":
        assert response.status_code == 303
        assert BUTTON_AGAIN_MESSAGE in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    else:
        assert response.status_code == 400, html
        assert "säkerhetskod" in html


@pytest.mark.parametrize(
    "endpoint", [endpoint for endpoint, case in CASES.items() if case.changes_database]
)
def test_it_carries_out_the_same_post_with_its_csrf_token(csrf_app: Flask, endpoint: str) -> None:
    world = seed_world(csrf_app)
    email = world.cast.admin.email
    client = client_of(csrf_app, None if endpoint == "accounts.login" else email, world.respondent)
    case = CASES[endpoint]
    case.prepare(csrf_app, world)
    url = _url(csrf_app, endpoint, world)
    data = _payload(client, case, world, url)
    token_page = "/omgangar"
    if endpoint == "accounts.login":
        token_page = "/logga-in"
    elif endpoint.startswith("respond."):
        token_page = f"/svara/{world.round_id}"
    data["csrf_token"] = csrf_token_in(client.get(token_page).get_data(as_text=True))
    before = database_snapshot(csrf_app)

    response = _post(client, url, data)

    assert response.status_code in (302, 303), response.get_data(as_text=True)
    assert database_snapshot(csrf_app) != before
