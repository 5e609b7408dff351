"""The plan pages: who may see and record, the forms and their bad input, history, the report."""

from __future__ import annotations

import io
import re

import openpyxl
from flask import Flask
from flask.testing import FlaskClient

from survey.db import db
from survey.schema.audit import AuditEvent
from survey.schema.plans import PlanAnalysis, PlanMeasurement
from tests.factories import login
from tests.plan_helpers import PLAN_KEY, plans_of_two_delregions

BASE = f"/planer/{PLAN_KEY}"
FORM = {
    "varde": "12,5",
    "datum": "2025-12-31",
    "kalla": "Uttag QV 2026-01-15",
    "kommentar": "Snitt 2025",
}


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def test_readers_read_leaders_record_and_other_delregions_do_not_exist(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    reader = _client(app, cast.reader_nv.email)
    page = reader.get(BASE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1a.3d" in text and "ingen mätning" in text and "Aktiviteter utan indikator" in text
    assert reader.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM).status_code == 403
    assert (
        reader.post(
            f"{BASE}/indikatorer/1a.3d/analys", data={"ar": "2025", "analys": "x"}
        ).status_code
        == 403
    )
    assert reader.get(f"{BASE}/import").status_code == 403
    assert reader.get(f"{BASE}/rapport.pdf?datum=2026-01-31").status_code == 200
    other = _client(app, cast.leader_no.email)
    for path in (
        BASE,
        f"{BASE}/indikatorer/1a.3d",
        f"{BASE}/rapport",
        f"{BASE}/rapport.xlsx",
        f"{BASE}/mall.xlsx",
    ):
        assert other.get(path).status_code == 404, path
    assert other.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM).status_code == 404
    assert app.test_client().get(BASE).status_code == 302  # to the login page
    with app.app_context():
        assert db.session.query(PlanMeasurement).count() == 0


def test_a_leader_records_and_corrects_and_the_earlier_value_is_kept(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    done = leader.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM)
    assert done.status_code == 302
    page = leader.get(f"{BASE}/indikatorer/1a.3d").get_data(as_text=True)
    assert "12,5 %" in page and "Uttag QV 2026-01-15" in page
    with app.app_context():
        first = db.session.query(PlanMeasurement).one().id
    form = leader.get(f"{BASE}/indikatorer/1a.3d?ratta={first}").get_data(as_text=True)
    assert 'value="12,5"' in form and "Rätta mätningen" in form
    fixed = leader.post(
        f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "varde": "11,9", "ratta": str(first)}
    )
    assert fixed.status_code == 302
    with app.app_context():
        rows = db.session.query(PlanMeasurement).order_by(PlanMeasurement.id).all()
        assert [row.value for row in rows] == [12.5, 11.9]
        assert rows[0].superseded_by_id == rows[1].id and rows[1].superseded_at is None
        event = db.session.query(AuditEvent).filter_by(action="plan.measurement.corrected").one()
        assert event.actor == cast.leader_nv.email
        assert event.details is not None
        assert event.details["earlier"]["value"] == 12.5 and event.details["new"]["value"] == 11.9
    page = leader.get(f"{BASE}/indikatorer/1a.3d?datum=2026-01-31").get_data(as_text=True)
    assert "Rättad" in page and "uppnått" in page
    again = leader.post(f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "ratta": str(first)})
    assert again.status_code == 422 and "redan rättats" in again.get_data(as_text=True)


def test_bad_input_is_shown_in_swedish_and_changes_nothing(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    for data, expected in [
        ({**FORM, "varde": "tolv"}, "inte ett tal"),
        ({**FORM, "varde": ""}, "Ange ett värde"),
        ({**FORM, "datum": "31/12/2025"}, "inte ett datum"),
        ({**FORM, "kalla": " "}, "Ange källan"),
        ({**FORM, "varde": "<script>alert(1)</script>"}, "&lt;script&gt;"),
    ]:
        response = leader.post(f"{BASE}/indikatorer/1a.3d/matning", data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and expected in body, (data, expected)
        assert "<title>Fel:" in body and "<script>alert" not in body
    wrong_date = leader.post(f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "datum": "x"})
    body = wrong_date.get_data(as_text=True)
    assert 'href="#datum"' in body and 'id="datum-error"' in body and 'value="12,5"' in body
    assert leader.post(f"{BASE}/indikatorer/9.9/matning", data=FORM).status_code == 404
    assert (
        leader.post(f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "ratta": "999"}).status_code
        == 404
    )
    bad_year = leader.post(f"{BASE}/indikatorer/1a.3d/analys", data={"ar": "tjugo", "analys": "x"})
    assert bad_year.status_code == 422 and "fyra siffror" in bad_year.get_data(as_text=True)
    empty = leader.post(
        f"{BASE}/indikatorer/1a.3d/analys", data={"ar": "2025", "analys": " ", "atgarder": ""}
    )
    assert empty.status_code == 422
    assert leader.get(f"{BASE}?datum=igår").status_code == 200
    with app.app_context():
        assert db.session.query(PlanMeasurement).count() == 0
        assert db.session.query(PlanAnalysis).count() == 0


def test_one_ja_nej_per_kommun_from_the_form(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    page = leader.get(f"{BASE}/indikatorer/1c.1").get_data(as_text=True)
    assert "<legend>Örkelljunga</legend>" in page
    data = {
        "datum": "2025-12-31",
        "kalla": "Processledarnas uppföljning",
        "org-Bjuv": "Ja",
        "org-Båstad": "Nej",
        "org-Örkelljunga": "",
    }
    assert leader.post(f"{BASE}/indikatorer/1c.1/matning", data=data).status_code == 302
    with app.app_context():
        row = db.session.query(PlanMeasurement).one()
        assert row.organisation_values is not None and row.organisation_values["Bjuv"] is True
        assert row.organisation_values["Örkelljunga"] is None and len(row.organisation_values) == 11


def test_analysis_and_actions_are_kept_with_history(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    url = f"{BASE}/indikatorer/1a.3d/analys"
    assert (
        leader.post(
            url, data={"ar": "2025", "analys": "Första", "atgarder": "Åtgärd A"}
        ).status_code
        == 302
    )
    assert (
        leader.post(url, data={"ar": "2025", "analys": "Andra", "atgarder": "Åtgärd B"}).status_code
        == 302
    )
    page = leader.get(f"{BASE}/indikatorer/1a.3d?ar=2025").get_data(as_text=True)
    assert "Andra" in page and "Tidigare versioner (1)" in page and "Första" in page
    report = leader.get(f"{BASE}/rapport?datum=2025-12-31").get_data(as_text=True)
    assert "Andra" in report and "Åtgärd B" in report and "Första" not in report


def test_filters_by_area_method_status_and_responsible(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    reader = _client(app, cast.reader_nv.email)

    def ids(query: str) -> set[str]:
        text = reader.get(f"{BASE}?{query}").get_data(as_text=True)
        return set(re.findall(r"indikatorer/([0-9a-z.\-]+)\?datum", text))

    assert ids("omrade=1c") == {"1c.1"}
    assert ids("metod=punktprevalens") == {"1d.2a", "1d.2b"}
    assert ids("ansvar=lärosäten") == {"3.3a", "3.3b"}
    assert ids("status=uppnått") == set()
    assert len(ids("status=ingen+mätning")) == 50


def test_the_report_page_and_its_downloads(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    leader.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM)
    page = leader.get(f"{BASE}/rapport?datum=2026-01-31").get_data(as_text=True)
    assert "Sammanfattning per område" in page and "Skapa rapporten" in page
    pdf = leader.get(f"{BASE}/rapport.pdf?datum=2026-01-31")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "nv-aktivitetsplan-rapport-2026-01-31.pdf" in pdf.headers["Content-Disposition"]
    xlsx = leader.get(f"{BASE}/rapport.xlsx?datum=2026-01-31")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert "Indikatorer" in book.sheetnames
    assert leader.get(f"{BASE}/rapport.doc").status_code == 404
    assert leader.get(f"{BASE}/rapport.pdf?datum=x").status_code == 400


def test_delregions_side_by_side(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    leader.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM)
    admin = _client(app, cast.admin.email)
    page = admin.get("/planer/jamfor/1a.3d?datum=2026-01-31").get_data(as_text=True)
    assert ">NV</a>" in page and ">NO</a>" in page and "12,5 %" in page
    own = leader.get("/planer/jamfor/1a.3d?datum=2026-01-31").get_data(as_text=True)
    assert ">NV</a>" in own and ">NO</a>" not in own
    assert admin.get("/planer/jamfor/9.9").status_code == 404


def test_forms_need_the_csrf_token(csrf_app: Flask) -> None:
    cast = plans_of_two_delregions(csrf_app)
    leader = _client(csrf_app, cast.leader_nv.email)
    assert leader.post(f"{BASE}/indikatorer/1a.3d/matning", data=FORM).status_code == 400
    page = leader.get(f"{BASE}/indikatorer/1a.3d").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert (
        leader.post(
            f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "csrf_token": token.group(1)}
        ).status_code
        == 302
    )


def test_the_web_upload_imports_or_lists_every_problem(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Indikator", "Datum", "Värde", "Källa"])
    sheet.append(["1a.3d", "2025-12-31", "tolv", "QV"])
    sheet.append(["1a.3e", "2025-12-31", "1,6", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    refused = leader.post(
        f"{BASE}/import",
        data={"fil": (io.BytesIO(buffer.getvalue()), "m.xlsx")},
        content_type="multipart/form-data",
    )
    body = refused.get_data(as_text=True)
    assert (
        refused.status_code == 422
        and "Rad 2:" in body
        and "Rad 3:" in body
        and "inget har sparats" in body
    )
    none = leader.post(f"{BASE}/import", data={}, content_type="multipart/form-data")
    assert none.status_code == 422 and "Välj en fil" in none.get_data(as_text=True)
    sheet.delete_rows(2, 2)
    sheet.append(["1a.3e", "2025-12-31", "1,6", "Uttag QV"])
    buffer = io.BytesIO()
    book.save(buffer)
    done = leader.post(
        f"{BASE}/import",
        data={"fil": (io.BytesIO(buffer.getvalue()), "m.xlsx")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.query(PlanMeasurement).count() == 1


def test_the_workbook_never_holds_a_formula(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    analysis = '=HYPERLINK("http://evil.example","klicka")'
    leader.post(
        f"{BASE}/indikatorer/1a.3d/analys",
        data={"ar": "2026", "analys": analysis, "atgarder": "@SUM(1)"},
    )
    leader.post(f"{BASE}/indikatorer/1a.3c/matning", data={**FORM, "varde": "x"})  # refused (enkät)
    leader.post(f"{BASE}/indikatorer/1a.3c/matning", data={**FORM, "varde": "+46 Exempel"})
    xlsx = leader.get(f"{BASE}/rapport.xlsx?datum=2026-06-30")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    sheet = book["Indikatorer"]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    cells = {
        cell.value: cell
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, str)
    }
    assert analysis in cells and cells[analysis].quotePrefix
    assert "+46 Exempel" in cells and cells["+46 Exempel"].quotePrefix


def test_odd_dates_and_ids_in_the_address_are_handled(app: Flask) -> None:
    cast = plans_of_two_delregions(app)
    leader = _client(app, cast.leader_nv.email)
    for path in (
        f"{BASE}?datum=0001-01-01",
        f"{BASE}/indikatorer/1a.3d?ratta=99999999999999999",
        f"{BASE}/indikatorer/1a.3d?ar=99999",
        f"{BASE}/rapport?datum=9999-12-31",
    ):
        response = leader.get(path)
        assert response.status_code == 200, path
    far = leader.get(f"{BASE}?datum=0001-01-01").get_data(as_text=True)
    assert "mellan år 2000 och 2100" in far
    big = leader.post(
        f"{BASE}/indikatorer/1a.3d/matning", data={**FORM, "ratta": "99999999999999999"}
    )
    assert big.status_code == 404
