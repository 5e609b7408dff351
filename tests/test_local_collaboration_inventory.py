"""Lokal samverkan as an organisation type, and one group's Bilaga 1 inventory on one page."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from survey.db import db
from survey.organisations import (
    OrganisationType,
    local_collaboration_name,
    parse_organisation_type,
)
from survey.questionnaires.parsing import read_questionnaire_file
from tests.factories import (
    logged_in_client,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)

BILAGA1 = Path(__file__).resolve().parent.parent / "questionnaires" / "no-bilaga1-stodfragor.yaml"


def test_lokal_samverkan_is_an_organisation_type_with_a_swedish_name() -> None:
    assert OrganisationType.LOKAL_SAMVERKAN.label == "Lokal samverkan"
    for written in ("lokal samverkan", "Lokal Samverkan", "lokalsamverkan", "lokal_samverkan"):
        assert parse_organisation_type(written) is OrganisationType.LOKAL_SAMVERKAN
    assert local_collaboration_name("Hässleholm") == "Lokal samverkan Hässleholm"


def seed_inventories(app: Flask) -> tuple[int, int, int]:
    """A Bilaga 1 round of NO with two groups' submitted inventories."""
    with app.app_context():
        version = make_questionnaire_version(read_questionnaire_file(BILAGA1))
        round_ = make_round(version, delregion="NO", title="Nulägesinventering 2026")
        ids = []
        for kommun, text in (("Hässleholm", "Vi har hälsosamtal"), ("Osby", "Vi börjar nu")):
            recipient = make_recipient(
                round_,
                organisation=local_collaboration_name(kommun),
                organisation_type="lokal_samverkan",
                kommun=kommun,
            )
            response = make_submitted_response(
                round_,
                recipient,
                {
                    "deltagande_organisationer": ["kommunal_halso_och_sjukvard", "socialtjanst"],
                    "deltagare": f"Enhetschef hemsjukvård, {kommun}s kommun\nDistriktssköterska",
                    "vecka": "2026-W10",
                    "vecka_sista": "2026-W13",
                    "inventera_halsoframjande": text,
                },
            )
            ids.append(response.id)
        db.session.commit()
        return round_.id, ids[0], ids[1]


def test_a_groups_whole_inventory_is_on_one_page(app: Flask) -> None:
    round_id, hassleholm, _osby = seed_inventories(app)
    client = logged_in_client(app, "processledare", "NO")
    listing = client.get(f"/omgangar/{round_id}/resultat/inventeringar")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Lokal samverkan Hässleholm" in html and "Lokal samverkan Osby" in html
    inventory_url = f"/omgangar/{round_id}/resultat/inventeringar/{hassleholm}"
    assert f'href="{inventory_url}"' in html
    # A reader sees which groups answered, but not one group's inventory: its answer "who
    # is with us" may name participants (docs/privacy.md, docs/security.md).
    reader = logged_in_client(app, "lasare", "NO")
    reader_listing = reader.get(f"/omgangar/{round_id}/resultat/inventeringar")
    assert reader_listing.status_code == 200
    reader_html = reader_listing.get_data(as_text=True)
    assert "Lokal samverkan Hässleholm" in reader_html and inventory_url not in reader_html
    assert reader.get(inventory_url).status_code == 403
    page = client.get(inventory_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Inventering: Lokal samverkan Hässleholm" in html
    assert "Vi har hälsosamtal" in html and "Vi börjar nu" not in html
    assert "Kommunal hälso- och sjukvård, Socialtjänst" in html
    assert "vecka 10" in html and "vecka 13" in html
    assert "Typ</dt><dd>Lokal samverkan" in html
    # The collation per question across groups stays as it was.
    # (Free text is shown one question at a time, issue 16.)
    collation = client.get(
        f"/omgangar/{round_id}/resultat/fritext?fraga=inventera_halsoframjande"
    ).get_data(as_text=True)
    assert "Vi har hälsosamtal" in collation and "Vi börjar nu" in collation


def test_an_inventory_of_another_delregion_or_round_does_not_exist(app: Flask) -> None:
    round_id, hassleholm, _ = seed_inventories(app)
    assert (
        logged_in_client(app, "lasare", "NV")
        .get(f"/omgangar/{round_id}/resultat/inventeringar/{hassleholm}")
        .status_code
        == 404
    )
    client = logged_in_client(app, "processledare", "NO")
    assert client.get(f"/omgangar/{round_id}/resultat/inventeringar/999999").status_code == 404
    assert (
        client.get(f"/omgangar/{round_id + 1}/resultat/inventeringar/{hassleholm}").status_code
        == 404
    )
