"""Lokal samverkan: the personal link, the living Bilaga 2 plan, access, history and audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select

from survey.db import db, utcnow
from survey.errors import ErrorCode
from survey.local_collaboration.checking import Refused
from survey.local_collaboration.links import hash_group_token
from survey.local_collaboration.overview import group_step, overview, trend_chart
from survey.local_collaboration.pages import apply_posted
from survey.local_collaboration.plan import Editor
from survey.schema.audit import AuditEvent
from survey.schema.local_collaboration import (
    LocalAction,
    LocalFinding,
    LocalGroup,
    LocalIndicator,
    LocalIndicatorResult,
    LocalMaturity,
    LocalPlanEdit,
)
from tests.factories import MakeApp, logged_in_client
from tests.local_collaboration_helpers import ACTION, contact_client, make_group


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# -- the personal link ---------------------------------------------------------------------


def test_the_link_is_stored_only_as_a_hash(app: Flask) -> None:
    group = make_group(app)
    with app.app_context():
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None
        assert stored.token_hash == hash_group_token(group.id, group.token)
        assert group.token not in (stored.token_hash or "")
        assert len(group.token) == 43


def test_the_link_opens_the_plan_without_an_account_and_leaves_the_address(app: Flask) -> None:
    group = make_group(app)
    client = app.test_client()
    opened = client.get(group.link_path)
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith("/samverkan/plan")
    page = client.get("/samverkan/plan")
    assert page.status_code == 200
    assert "Handlingsplan: Lokal samverkan Hässleholm" in page.get_data(as_text=True)
    assert group.token not in page.get_data(as_text=True)


def test_the_link_is_scoped_to_its_group(app: Flask) -> None:
    first = make_group(app)
    second = make_group(app, kommun="Osby", email="kontakt@osby.se")
    client = app.test_client()
    # The first group's token with the second group's id opens nothing.
    assert client.get(f"/samverkan/{second.id}/{first.token}").status_code == 404
    assert client.get("/samverkan/plan").status_code == 403
    # A round's link path with a group's token opens nothing either.
    assert client.get(f"/svara/{first.id}/{first.token}").status_code == 404


def test_a_revoked_link_stops_working_and_ends_the_session(app: Flask) -> None:
    group = make_group(app)
    client = contact_client(app, group)
    leader = logged_in_client(app, "processledare", "NO")
    revoked = leader.post(f"/samverkan/grupper/{group.id}/lank/aterkalla")
    assert revoked.status_code == 303
    assert client.get("/samverkan/plan").status_code == 403
    assert app.test_client().get(group.link_path).status_code == 404
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "local_group.link_revoke")
        )


def test_a_new_link_ends_the_old_one_and_is_mailed_without_the_token_in_the_outbox(
    app: Flask,
) -> None:
    from survey.schema.outbox import MailKind, OutboxMessage

    group = make_group(app)
    client = contact_client(app, group)
    leader = logged_in_client(app, "processledare", "NO")
    assert leader.post(f"/samverkan/grupper/{group.id}/lank").status_code == 303
    assert client.get("/samverkan/plan").status_code == 403
    assert app.test_client().get(group.link_path).status_code == 404
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MailKind.GROUP_LINK.value)
        ).one()
        assert message.to_address == "kontakt@hassleholm.se"
        assert "[[SAMVERKAN-LANK]]" in message.body_text
        assert "/samverkan/" not in message.body_text


def test_wrong_links_are_counted_and_then_refused(make_app: MakeApp) -> None:
    app = make_app(SURVEY_TOKEN_MAX_FAILURES=2)
    group = make_group(app)
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"/samverkan/{group.id}/{'x' * 43}").status_code == 404
    assert client.get(group.link_path).status_code == 429


# -- the plan, edited by the contact ---------------------------------------------------------


def test_the_contact_writes_findings_and_actions_and_the_history_keeps_every_edit(
    app: Flask,
) -> None:
    group = make_group(app)
    client = contact_client(app, group)
    saved = client.post(
        "/samverkan/plan",
        data={"del": "finding", "fraga": "nuvarande", "upptackt": "Äldre med fallrisk"},
    )
    assert saved.status_code == 303
    client.post(
        "/samverkan/plan", data={"del": "finding", "fraga": "nuvarande", "upptackt": "Äldre"}
    )
    assert client.post("/samverkan/plan", data=ACTION).status_code == 303
    page = client.get("/samverkan/plan").get_data(as_text=True)
    assert "Gemensamma hälsosamtal för 75-åringar" in page
    with app.app_context():
        finding = db.session.scalars(select(LocalFinding)).one()
        assert finding.text == "Äldre"
        edits = list(db.session.scalars(select(LocalPlanEdit).order_by(LocalPlanEdit.id)))
        assert [edit.subject for edit in edits] == ["finding", "finding", "action"]
        assert edits[1].before == {"text": "Äldre med fallrisk"}
        assert edits[1].after == {"text": "Äldre"}
        assert all("kontaktperson kontakt@hassleholm.se" in edit.actor for edit in edits)
        actions = db.session.scalar(
            select(func.count()).where(AuditEvent.action.like("local_plan.%"))
        )
        assert actions == 3
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None and stored.plan_updated_at is not None
    history = client.get("/samverkan/plan/historik").get_data(as_text=True)
    assert "Äldre med fallrisk → Äldre" in history


def test_a_reader_sees_the_plan_and_its_history_but_never_the_contact(app: Flask) -> None:
    # docs/privacy.md: a reader gets results, not who is asked (the contact's name, e-mail).
    group = make_group(app)
    assert contact_client(app, group).post("/samverkan/plan", data=ACTION).status_code == 303
    reader = logged_in_client(app, "lasare", "NO")
    leader = logged_in_client(app, "processledare", "NO")
    for path in (f"/samverkan/grupper/{group.id}/plan", f"/samverkan/grupper/{group.id}/historik"):
        reader_page = reader.get(path)
        assert reader_page.status_code == 200
        text = reader_page.get_data(as_text=True)
        assert "Gemensamma hälsosamtal för 75-åringar" in text or "Ändringshistorik" in text
        assert "kontakt@hassleholm.se" not in text and "Kim Kontakt" not in text
        assert "kontakt@hassleholm.se" in leader.get(path).get_data(as_text=True)
    history = reader.get(f"/samverkan/grupper/{group.id}/historik").get_data(as_text=True)
    assert "kontaktpersonen (personlig länk)" in history


def test_an_action_changes_status_and_its_history_is_kept(app: Flask) -> None:
    group = make_group(app)
    client = contact_client(app, group)
    client.post("/samverkan/plan", data=ACTION)
    with app.app_context():
        action_id = db.session.scalars(select(LocalAction.id)).one()
    changed = client.post(
        "/samverkan/plan", data={**ACTION, "del": f"action_{action_id}", "status": "done"}
    )
    assert changed.status_code == 303
    with app.app_context():
        action = db.session.get(LocalAction, action_id)
        assert action is not None and action.status == "done"
        last = db.session.scalars(select(LocalPlanEdit).order_by(LocalPlanEdit.id.desc())).first()
        assert last is not None and last.before and last.after
        assert (last.before["status"], last.after["status"]) == ("planned", "done")


BAD_INPUTS = [
    ({**ACTION, "vad": ""}, "Fyll i vad som ska göras."),
    ({**ACTION, "klart": "30/6"}, "ska vara ett datum som ÅÅÅÅ-MM-DD"),
    ({**ACTION, "klart": "2026-02-30"}, "ska vara ett datum som ÅÅÅÅ-MM-DD"),
    ({**ACTION, "status": "klar"}, "Välj en status i listan."),
    ({**ACTION, "fraga": "okand"}, "Välj en av de fyra frågorna."),
    ({**ACTION, "vem": "x" * 201}, "får vara högst 200 tecken"),
    (
        {"del": "action_999999", **{k: v for k, v in ACTION.items() if k != "del"}},
        "Åtgärden finns inte i er plan.",
    ),
    (
        {"del": "steps", "dot_anchored_on": "2026-03-01", "dst_taken_on": "2026-02-01"},
        "Förslaget kan inte tas till DST före förankringen i DOT.",
    ),
    ({"del": "steps", "implemented_on": "2099-01-01"}, "kan inte ligga i framtiden"),
    ({"del": "indicator"}, "Välj en indikator i listan eller skriv en egen."),
    ({"del": "indicator", "katalog": "Påhittad"}, "Välj en indikator i listan."),
    ({"del": "maturity", "ar": "1999", "niva": "2"}, "Ange året som fyra siffror"),
    ({"del": "maturity", "ar": "2026", "niva": "5"}, "Välj ett av de fyra stegen."),
    ({"del": "nagot_annat"}, "Formuläret känns inte igen."),
    ({"del": "finding", "fraga": "nuvarande", "upptackt": "a\x00b"}, "otillåtna tecken"),
]


@pytest.mark.parametrize(("form", "message"), BAD_INPUTS)
def test_bad_input_gets_a_swedish_message_and_changes_nothing(
    app: Flask, form: dict[str, str], message: str
) -> None:
    group = make_group(app)
    client = contact_client(app, group)
    before = count(app, LocalPlanEdit), count(app, LocalAction), count(app, AuditEvent)
    response = client.post("/samverkan/plan", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    soup = BeautifulSoup(html, "html.parser")
    summary = soup.select_one(".error-summary")
    assert summary is not None
    target = summary.select_one("a")["href"].lstrip("#")  # type: ignore[index,union-attr]
    assert soup.find(id=target) is not None or target == "innehall"
    assert (count(app, LocalPlanEdit), count(app, LocalAction), count(app, AuditEvent)) == before
    with app.app_context():
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None and stored.plan_updated_at is None


@pytest.mark.parametrize(("form", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_code(app: Flask, form: dict[str, str], message: str) -> None:
    group = make_group(app)
    expected = {
        "action_999999": ErrorCode.GROUP_NOT_IN_PLAN,
        "nagot_annat": ErrorCode.GROUP_UNKNOWN_FORM,
    }.get(form["del"], ErrorCode.GROUP_BAD_INPUT)
    with app.test_request_context():
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None
        with pytest.raises(Refused) as refused:
            apply_posted(stored, form, Editor.of_contact(stored))
        assert refused.value.code is expected
        assert any(message in problem.message for problem in refused.value.problems)
        db.session.rollback()


def test_a_refused_action_keeps_what_was_typed(app: Flask) -> None:
    client = contact_client(app, make_group(app))
    html = client.post("/samverkan/plan", data={**ACTION, "klart": "snart"}).get_data(as_text=True)
    assert "Två träffar per termin" in html
    assert 'value="snart"' in html


def test_steps_indicators_results_and_maturity(app: Flask) -> None:
    group = make_group(app)
    client = contact_client(app, group)
    today = date.today()
    steps = {
        "del": "steps",
        "dot_anchored_on": (today - timedelta(days=20)).isoformat(),
        "dst_taken_on": (today - timedelta(days=10)).isoformat(),
    }
    assert client.post("/samverkan/plan", data=steps).status_code == 303
    chosen = "Riskförebyggande åtgärder i särskilt boende"
    assert (
        client.post("/samverkan/plan", data={"del": "indicator", "katalog": chosen}).status_code
        == 303
    )
    own = {"del": "indicator", "egen": "Antal gemensamma hälsosamtal", "enhet": "antal"}
    assert client.post("/samverkan/plan", data=own).status_code == 303
    duplicate = client.post("/samverkan/plan", data={"del": "indicator", "katalog": chosen})
    assert duplicate.status_code == 422 and "Ni följer redan den indikatorn." in duplicate.get_data(
        as_text=True
    )
    with app.app_context():
        indicator = db.session.scalars(
            select(LocalIndicator).where(LocalIndicator.name == chosen)
        ).one()
        assert indicator.source == "Senior Alert"
        indicator_id = indicator.id
    for value, day in (("40", "2025-06-30"), ("52,5", "2025-12-31")):
        result = {"del": f"result_{indicator_id}", "resultat": value, "datum": day}
        assert client.post("/samverkan/plan", data=result).status_code == 303
    bad = client.post(
        "/samverkan/plan",
        data={"del": f"result_{indicator_id}", "resultat": "många", "datum": "2025-12-31"},
    )
    assert bad.status_code == 422 and "Resultatet ska vara ett tal" in bad.get_data(as_text=True)
    maturity = {"del": "maturity", "ar": str(today.year), "niva": "2", "kommentar": "Vi prövar"}
    assert client.post("/samverkan/plan", data=maturity).status_code == 303
    html = client.get("/samverkan/plan").get_data(as_text=True)
    assert "Steg 3 Förankra i DOT och DST" in html
    assert '<svg class="trend-chart"' in html and "från 40 till 52,5" in html
    assert "2 Förändrade angreppssätt prövas" in html
    with app.app_context():
        values = [
            r.value
            for r in db.session.scalars(
                select(LocalIndicatorResult).order_by(LocalIndicatorResult.measured_on)
            )
        ]
        assert values == [40.0, 52.5]
        assert db.session.scalars(select(LocalMaturity.level)).one() == 2


def test_the_step_rule() -> None:
    group = LocalGroup(delregion="NO", kommun="Osby", name="x", contact_name="x", contact_email="x")
    assert group_step(group, has_inventory=False, has_plan=False) == 1
    assert group_step(group, has_inventory=True, has_plan=False) == 2
    group.dst_taken_on = date(2026, 1, 1)
    assert group_step(group, has_inventory=True, has_plan=True) == 3
    group.implemented_on = date(2026, 2, 1)
    assert group_step(group, has_inventory=True, has_plan=True) == 4
    group.followed_up_on = date(2026, 3, 1)
    assert group_step(group, has_inventory=True, has_plan=True) == 5


def test_the_trend_needs_two_results() -> None:
    one = (LocalIndicatorResult(value=1.0, measured_on=date(2025, 1, 1)),)
    assert trend_chart(one) is None
    two = (*one, LocalIndicatorResult(value=3.0, measured_on=date(2025, 7, 1)))
    chart = trend_chart(two)
    assert chart is not None and len(chart.dots) == 2
    assert chart.dots[0][1] > chart.dots[1][1]  # higher value, higher on the chart


# -- the process leader --------------------------------------------------------------------


def test_the_leader_edits_the_plan_of_their_delregion_only(app: Flask) -> None:
    group = make_group(app)
    leader = logged_in_client(app, "processledare", "NO")
    assert leader.get(f"/samverkan/grupper/{group.id}/plan").status_code == 200
    assert leader.post(f"/samverkan/grupper/{group.id}/plan", data=ACTION).status_code == 303
    with app.app_context():
        edit = db.session.scalars(select(LocalPlanEdit)).one()
        assert "@" in edit.actor and "kontaktperson" not in edit.actor
    other = logged_in_client(app, "processledare", "NV")
    assert other.get(f"/samverkan/grupper/{group.id}/plan").status_code == 404
    assert other.post(f"/samverkan/grupper/{group.id}/plan", data=ACTION).status_code == 404
    assert other.get(f"/samverkan/grupper/{group.id}/plan.xlsx").status_code == 404
    reader = logged_in_client(app, "lasare", "NO")
    assert reader.get(f"/samverkan/grupper/{group.id}/plan").status_code == 200
    assert reader.post(f"/samverkan/grupper/{group.id}/plan", data=ACTION).status_code == 403
    assert reader.post(f"/samverkan/grupper/{group.id}/lank").status_code == 403
    assert reader.get(f"/samverkan/grupper/{group.id}/plan.xlsx").status_code == 403
    assert app.test_client().get(f"/samverkan/grupper/{group.id}/plan").status_code == 302
    assert count(app, LocalAction) == 1


def test_the_overview_shows_step_maturity_and_open_and_overdue_actions(app: Flask) -> None:
    group = make_group(app)
    make_group(app, kommun="Osby", email="kontakt@osby.se")
    make_group(app, kommun="Lund", delregion="MS", email="kontakt@lund.se")
    client = contact_client(app, group)
    client.post("/samverkan/plan", data={**ACTION, "klart": "2025-01-31"})  # overdue
    client.post("/samverkan/plan", data={**ACTION, "klart": "2099-01-31"})
    client.post("/samverkan/plan", data={**ACTION, "klart": "2025-01-31", "status": "done"})
    client.post(
        "/samverkan/plan", data={"del": "maturity", "ar": str(date.today().year), "niva": "3"}
    )
    with app.app_context():
        groups = list(db.session.scalars(select(LocalGroup).order_by(LocalGroup.kommun)))
        rows = {row.group.kommun: row for row in overview(groups, date.today())}
        assert (rows["Hässleholm"].open_actions, rows["Hässleholm"].overdue_actions) == (2, 1)
        assert rows["Hässleholm"].maturity_level == 3 and rows["Hässleholm"].step == 2
        assert rows["Osby"].step == 1 and rows["Osby"].last_update is None
    page = logged_in_client(app, "processledare", "NO").get("/samverkan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lokal samverkan Hässleholm" in html and "Lokal samverkan Osby" in html
    assert "Lokal samverkan Lund" not in html  # another delregion
    assert f"/samverkan/grupper/{group.id}/plan" in html


def test_the_contact_changes_and_the_new_person_gets_a_new_link(app: Flask) -> None:
    group = make_group(app)
    old_session = contact_client(app, group)
    leader = logged_in_client(app, "processledare", "NO")
    bad = leader.post(
        f"/samverkan/grupper/{group.id}/kontakt",
        data={"kontakt_namn": "Ny", "kontakt_epost": "inte-en-adress"},
    )
    assert bad.status_code == 422 and "Ange en giltig e-postadress" in bad.get_data(as_text=True)
    good = leader.post(
        f"/samverkan/grupper/{group.id}/kontakt",
        data={"kontakt_namn": "Nya Person", "kontakt_epost": "ny@hassleholm.se"},
    )
    assert good.status_code == 303
    assert old_session.get("/samverkan/plan").status_code == 403
    with app.app_context():
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None and stored.contact_email == "ny@hassleholm.se"


def test_forms_are_protected_by_csrf(csrf_app: Flask) -> None:
    group = make_group(csrf_app)
    client = contact_client(csrf_app, group)
    refused = client.post("/samverkan/plan", data=ACTION)
    assert refused.status_code == 400
    assert count(csrf_app, LocalAction) == 0
    page = client.get("/samverkan/plan").get_data(as_text=True)
    token = BeautifulSoup(page, "html.parser").select_one('input[name="csrf_token"]')["value"]  # type: ignore[index]
    assert client.post("/samverkan/plan", data={**ACTION, "csrf_token": token}).status_code == 303
    assert count(csrf_app, LocalAction) == 1


def test_pages_escape_what_was_typed(app: Flask) -> None:
    client = contact_client(app, make_group(app))
    client.post("/samverkan/plan", data={**ACTION, "vad": "<script>alert(1)</script>"})
    html = client.get("/samverkan/plan").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_now_is_used_for_the_clock(app: Flask) -> None:
    # utcnow is aware: the plan's last-update time is stored and read back as UTC.
    group = make_group(app)
    contact_client(app, group).post("/samverkan/plan", data=ACTION)
    with app.app_context():
        stored = db.session.get(LocalGroup, group.id)
        assert stored is not None and stored.plan_updated_at is not None
        assert abs(stored.plan_updated_at - utcnow()) < timedelta(minutes=5)


def test_the_audit_log_shows_the_plans_changes_in_swedish_to_the_delregions_leader(
    app: Flask,
) -> None:
    group = make_group(app)
    contact_client(app, group).post("/samverkan/plan", data=ACTION)
    page = logged_in_client(app, "processledare", "NO").get("/logg")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ändrade handlingsplan: åtgärd" in html
    assert "Lokal samverkan Hässleholm: La till åtgärden" in html


def test_the_history_names_every_value_in_swedish(app: Flask) -> None:
    client = contact_client(app, make_group(app))
    client.post("/samverkan/plan", data=ACTION)
    client.post(
        "/samverkan/plan", data={"del": "maturity", "ar": str(date.today().year), "niva": "2"}
    )
    html = client.get("/samverkan/plan/historik").get_data(as_text=True)
    assert "<dt>Klart senast</dt>" in html and "<dt>Mognad</dt>" in html
    assert "2 Förändrade angreppssätt prövas" in html and "Planerad" in html
    assert "due_on" not in html and "citizen_value" not in html
