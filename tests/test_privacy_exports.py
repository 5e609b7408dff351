"""Readers get pseudonymised exports; an identifying one is the process leader's, and logged.

Cross-checks of survey.export (whose own tests cover the variants in depth) from the
privacy side: what each role is offered on the round page, what the command line
gives by default, and that an identifying download stands out in the round's log.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from flask import Flask

from tests.export_helpers import all_cells, read_workbook
from tests.privacy_helpers import make_round_with_people
from tests.security_helpers import client_of, seed_world


def texts_of(data: bytes) -> set[str]:
    return {str(cell.value) for cell in all_cells(read_workbook(data)) if cell.value is not None}


def test_it_offers_readers_only_the_pseudonymised_export(app: Flask) -> None:
    world = seed_world(app)
    for who, offered in (
        ("reader_nv", {""}),
        ("leader_nv", {"", "1"}),
    ):
        client = client_of(app, getattr(world.cast, who).email)
        page = BeautifulSoup(
            client.get(f"/omgangar/{world.round_id}").get_data(as_text=True), "html.parser"
        )
        assert page.select_one(f'main a[href="/omgangar/{world.round_id}/export"]'), who
        # The export page orders the export as a job: identifying only for those who manage.
        export_page = BeautifulSoup(
            client.get(f"/omgangar/{world.round_id}/export").get_data(as_text=True), "html.parser"
        )
        buttons = {
            str(button.get("value", "")) for button in export_page.select("main form button")
        }
        assert buttons == offered, who
    reader = client_of(app, world.cast.reader_nv.email)
    response = reader.get(f"/omgangar/{world.round_id}/export.xlsx")
    assert response.status_code == 200
    texts = texts_of(response.data)
    assert not {"Anna Andersson", "anna@example.se", "Bo Berg"} & texts
    forbidden = reader.get(f"/omgangar/{world.round_id}/export.xlsx?identifierande=1")
    assert forbidden.status_code == 403


def test_it_shows_an_identifying_export_in_the_rounds_log(app: Flask) -> None:
    world = seed_world(app)
    leader = client_of(app, world.cast.leader_nv.email)
    response = leader.get(f"/omgangar/{world.round_id}/export.xlsx?identifierande=1")
    assert response.status_code == 200
    assert "Anna Andersson" in texts_of(response.data)
    log = BeautifulSoup(
        leader.get(f"/omgangar/{world.round_id}/logg").get_data(as_text=True), "html.parser"
    )
    first = [
        cell.get_text() for cell in log.select("table.audit-log tbody tr")[0].find_all(["td", "th"])
    ]
    assert first[1:3] == [world.cast.leader_nv.email, "Exporterade till Excel"]
    assert first[3].startswith("IDENTIFIERANDE export med namn och e-postadresser")


def test_it_exports_pseudonymised_from_the_command_line_unless_asked(
    app: Flask, tmp_path: Path
) -> None:
    people = make_round_with_people(app, "Kommando", opened_days_ago=30, closed_days_ago=1)
    runner = app.test_cli_runner()
    for flag, identifying in (([], False), (["--identifying"], True)):
        target = tmp_path / f"export-{identifying}.xlsx"
        result = runner.invoke(
            args=["round", "export", str(people.round_id), "-o", str(target), *flag]
        )
        assert result.exit_code == 0, result.output
        texts = texts_of(target.read_bytes())
        assert (people.names[0] in texts) is identifying
        assert (people.emails[0] in texts) is identifying
