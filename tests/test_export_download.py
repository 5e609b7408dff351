"""The download of a round's export: who gets which variant, the response, the audit log."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.db import db
from survey.export.views import content_disposition, export_file_names
from survey.export.workbook import CONTENT_TYPE, SHEET_NAMES, Variant
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Round
from tests.export_helpers import ExportRound, all_cells, header_of, make_export_round, read_workbook
from tests.factories import Cast, login, make_cast, make_round

XLSX = CONTENT_TYPE


@pytest.fixture
def world(app: Flask) -> tuple[Cast, ExportRound]:
    with app.app_context():
        cast = make_cast()
        made = make_export_round(title="Årlig enkät 2025: Nordväst/NV")
        db.session.commit()
        return cast, made


def url(made: ExportRound, identifying: bool = False) -> str:
    return f"/omgangar/{made.round_id}/export.xlsx" + ("?identifierande=1" if identifying else "")


def as_member(client: FlaskClient, cast: Cast, who: str) -> FlaskClient:
    if who != "anonymous":
        assert login(client, getattr(cast, who).email).status_code == 302
    return client


def audit_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        statement = select(AuditEvent).where(AuditEvent.action == "round.exported")
        return list(db.session.scalars(statement.order_by(AuditEvent.id)))


# who, identifying asked for, status, variant given
ACCESS = [
    ("admin", False, 200, Variant.PSEUDONYMISED),
    ("admin", True, 200, Variant.IDENTIFYING),
    ("leader_nv", False, 200, Variant.PSEUDONYMISED),
    ("leader_nv", True, 200, Variant.IDENTIFYING),
    ("leader_no", False, 404, None),
    ("leader_no", True, 404, None),
    ("reader_nv", False, 200, Variant.PSEUDONYMISED),
    ("reader_nv", True, 403, None),
]


@pytest.mark.parametrize(("who", "identifying", "status", "variant"), ACCESS)
def test_it_gives_each_user_the_variant_they_may_have(
    app: Flask,
    client: FlaskClient,
    world: tuple[Cast, ExportRound],
    who: str,
    identifying: bool,
    status: int,
    variant: Variant | None,
) -> None:
    cast, made = world
    response = as_member(client, cast, who).get(url(made, identifying))
    assert response.status_code == status
    events = audit_events(app)
    if variant is None:
        assert events == []
        return
    assert response.mimetype == XLSX
    workbook = read_workbook(response.data)
    assert workbook.sheetnames == list(SHEET_NAMES)
    texts = {str(cell.value) for cell in all_cells(workbook) if cell.value is not None}
    has_personal_data = any(name in texts for name in made.names) or any(
        email in texts for email in made.emails
    )
    assert has_personal_data is (variant is Variant.IDENTIFYING)
    assert ("Namn" in header_of(workbook, "Svar")) is (variant is Variant.IDENTIFYING)
    (event,) = events
    assert event.round_id == made.round_id
    assert event.delregion == "NV"
    assert event.actor == getattr(cast, who).email
    assert event.details is not None
    assert event.details["variant"] == variant.value
    assert event.details["identifying"] is (variant is Variant.IDENTIFYING)
    assert event.details["responses"] == 4
    if variant is Variant.IDENTIFYING:
        assert event.summary.startswith("IDENTIFIERANDE export med namn och e-postadresser")
    else:
        assert event.summary.startswith("Pseudonymiserad export")


def test_it_sends_anonymous_visitors_to_the_login_page(
    app: Flask, client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    _, made = world
    response = client.get(url(made, identifying=True))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/logga-in")
    assert audit_events(app) == []


def test_it_does_not_find_a_missing_round(
    client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    cast, _ = world
    assert as_member(client, cast, "admin").get("/omgangar/987654/export.xlsx").status_code == 404


def test_it_treats_other_values_of_the_parameter_as_pseudonymised(
    client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    cast, made = world
    response = as_member(client, cast, "reader_nv").get(
        f"/omgangar/{made.round_id}/export.xlsx?identifierande=ja"
    )
    assert response.status_code == 200
    assert "Namn" not in header_of(read_workbook(response.data), "Svar")


def test_it_sends_an_attachment_with_a_safe_file_name(
    client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    cast, made = world
    response = as_member(client, cast, "leader_nv").get(url(made))
    assert response.headers["Content-Type"] == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Arlig_enkat_2025_Nordvast_NV_NV_pseudonymiserad.xlsx"; '
        "filename*=UTF-8''"
        "%C3%85rlig%20enk%C3%A4t%202025%20Nordv%C3%A4st%20NV%20NV%20pseudonymiserad.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data[:2] == b"PK"  # a zip container, as .xlsx is


@pytest.mark.parametrize(
    ("title", "plain", "full"),
    [
        ("Årlig enkät 2025", "Arlig_enkat_2025_NV_pseudonymiserad.xlsx",
         "Årlig enkät 2025 NV pseudonymiserad.xlsx"),
        ('../../etc/"passwd"; x=y', "etc_passwd_x_y_NV_pseudonymiserad.xlsx",
         "etc passwd ; x=y NV pseudonymiserad.xlsx"),
        ("Enkät\r\nBcc: ond@example.se", "Enkat_Bcc_ond_example.se_NV_pseudonymiserad.xlsx",
         "Enkät Bcc ond@example.se NV pseudonymiserad.xlsx"),
        ("東京", "NV_pseudonymiserad.xlsx", "東京 NV pseudonymiserad.xlsx"),
    ],
)  # fmt: skip
def test_it_makes_file_names_safe(app: Flask, title: str, plain: str, full: str) -> None:
    with app.app_context():
        round_ = make_round(title=title)
        names = export_file_names(round_, Variant.PSEUDONYMISED)
    assert names == (plain, full)
    header = content_disposition(*names)
    assert "\r" not in header and "\n" not in header
    assert header.count('"') == 2
    assert unquote(header.split("filename*=UTF-8''")[1]) == full


def test_it_names_the_identifying_variant(app: Flask) -> None:
    with app.app_context():
        round_ = make_round(title="Årlig enkät 2025")
        assert export_file_names(round_, Variant.IDENTIFYING)[1] == (
            "Årlig enkät 2025 NV identifierande.xlsx"
        )


def test_it_exports_rounds_of_every_state(
    app: Flask, client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    cast, made = world
    with app.app_context():
        round_ = db.session.get(Round, made.round_id)
        assert round_ is not None
        round_.state = "closed"
        db.session.commit()
    response = as_member(client, cast, "reader_nv").get(url(made))
    assert response.status_code == 200
    summary = {
        row[0]: row[1]
        for row in read_workbook(response.data)["Sammanfattning"].iter_rows(values_only=True)
    }
    assert summary["Status"] == "Stängd"


def test_it_closes_the_temporary_file_even_when_the_response_is_not_read(
    client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    import gc

    cast, made = world
    response = as_member(client, cast, "admin").get(url(made))
    assert response.status_code == 200
    del response
    gc.collect()  # an unclosed file would raise a ResourceWarning, an error in this suite


def test_it_builds_and_records_nothing_for_a_head_request(
    app: Flask, client: FlaskClient, world: tuple[Cast, ExportRound]
) -> None:
    cast, made = world
    response = as_member(client, cast, "leader_nv").head(url(made, identifying=True))
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert audit_events(app) == []
    assert as_member(client, cast, "reader_nv").head(url(made, identifying=True)).status_code == 403
