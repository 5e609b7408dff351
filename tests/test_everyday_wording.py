"""Markup and wording defects of issue 13: each one mended stays mended."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from survey.db import db, utcnow
from survey.schema.rounds import Round, RoundState
from tests.factories import ClientFor, MakeApp, login
from tests.respondent_helpers import invite
from tests.test_rounds_web import World, _world_in, page, world

__all__ = ["world"]


def test_it_closes_the_label_of_the_preview_choice(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get("/forhandsgranska/prov"))
    assert "Visa enkäten som den ser ut för</label>" in html and "för/label>" not in html


def test_it_shows_operator_commands_to_administrators_only(make_app: MakeApp) -> None:
    app = make_app(SURVEY_MAIL_DELIVERY="outbox")
    world = _world_in(app)  # its own cast, on an app that queues mail without sending it
    leader_client, admin_client = app.test_client(), app.test_client()
    assert login(leader_client, world.cast.leader_nv.email).status_code == 302
    assert login(admin_client, world.cast.admin.email).status_code == 302
    leader = page(leader_client.get(f"/omgangar/{world.nv}"))
    assert "Utvecklingsläge" in leader and "survey tick" not in leader
    admin = page(admin_client.get(f"/omgangar/{world.nv}"))
    assert "survey tick" in admin


def test_it_names_the_user_apart_from_the_logout_button(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get("/omgangar"))
    assert re.search(
        r'Inloggad som [^<]+</span> <button type="submit" class="link-button">Logga ut</button>',
        html,
    )


def test_it_says_a_queued_invitation_is_queued_not_unsent(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    html = page(client_for("leader_nv").get(f"/omgangar/{world.nv}"))
    assert "Inbjudan i kö" in html and "Ej skickad" not in html


def test_it_shows_one_date_form_and_the_closing_time_of_a_closed_round(
    app: Flask, world: World, client_for: ClientFor
) -> None:
    client = client_for("leader_nv")
    html = page(client.get(f"/omgangar/{world.nv}"))
    assert not re.search(
        r"\d{1,2} [a-z]+ \d{4} kl\.",
        html.split('<h2 id="mottagare"')[0],
    )
    with app.app_context():
        round_ = db.session.get(Round, world.nv)
        assert round_ is not None
        round_.state = RoundState.CLOSED.value
        round_.closed_at = utcnow() - timedelta(days=1)
        db.session.commit()
    closed = page(client.get(f"/omgangar/{world.nv}"))
    assert "<dt>Stängdes</dt>" in closed and "<dt>Sista svarsdag</dt>" not in closed


def test_it_lists_section_titles_without_a_second_number(app: Flask) -> None:
    from tests.respondent_helpers import nv_questionnaire

    invited = invite(app, questionnaire=nv_questionnaire(), organisation_type="regional_pv")
    client = app.test_client()
    client.get(invited.link)
    html = page(client.get(invited.form_url))
    overview = html.split('id="oversikt-rubrik"')[1].split("</nav>")[0]
    assert "<ul>" in overview and "<ol>" not in overview


def test_it_gives_the_bilaga_1_week_one_hint_and_names_no_delregion(app: Flask) -> None:
    from pathlib import Path

    from survey.questionnaires.parsing import read_questionnaire_file

    bilaga = read_questionnaire_file(
        Path(__file__).parent.parent / "questionnaires" / "no-bilaga1-stodfragor.yaml"
    )
    invited = invite(app, questionnaire=bilaga, organisation_type="kommun")
    client = app.test_client()
    client.get(invited.link)
    html = page(client.get(invited.form_url))
    assert "Nordost" not in html
    week_hint = html.split('id="vecka-hint"')[1].split("</p>")[0]
    assert "2026-W12" in week_hint and "Skriv veckan som" not in week_hint  # one example
