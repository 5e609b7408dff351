"""The results pages: hand-computed figures, filters, SVG alternatives, free text, permissions."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from survey.db import db
from survey.results.report import BAR_WIDTH
from survey.schema.rounds import Round, RoundState
from tests.browser import LiveServer, axe_report, expect_error_title
from tests.factories import (
    DEFAULT_PASSWORD,
    Cast,
    ClientFor,
    make_questionnaire_version,
    make_recipient,
    make_round,
    make_submitted_response,
)
from tests.sample import sample_questionnaire

NBSP = "\u00a0"
INVITED = datetime(2023, 11, 1, 8, 0, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script>"


@dataclass(frozen=True)
class Rounds:
    current: int
    previous: int
    other_delregion: int


def answered(round_: Round, answers: dict[str, object], **recipient: object) -> None:
    made = make_recipient(round_, invited_at=INVITED, **recipient)
    make_submitted_response(round_, made, answers)


def make_rounds() -> Rounds:
    """The 2023 round (reference date 2023-12-31) of NV, its 2022 predecessor, and one in NO.

    Hand-computed for 2023 (targets at 2023-12-31):
    * 1a.1b share yes: ja, nej, ja (Ej aktuellt left out) → 2 of 3 = 66,7 %; target 50 → uppnått.
      Previous (2022): ja, nej → 50,0 %; change +16,7.
    * 1a.1a mean of percentages: (40 + 60 + 80 + 20) / 4 = 50,0 %; target 50 → uppnått.
    * 1b.2a share of ganska/mycket nöjd: mycket, varken, ganska (one blank) → 66,7 %; target 100
      (undated) → ej uppnått.
    * 1a.5 kommuner with NPÖ (each kommun once): Ängelholm ja, Höganäs nej → 50,0 %; target 50
      (2024-06-01) → uppnått.
    * Response rate: 4 of 5 invited = 80,0 %; regional PV 2 of 3, kommun 2 of 2.
    """
    version = make_questionnaire_version(sample_questionnaire())
    previous = make_round(
        version, reference_date=date(2022, 12, 31), state=RoundState.CLOSED, title="Enkät 2022"
    )
    answered(previous, {"sip_okning": "ja", "utbildning": 30}, organisation="VC A", kommun="Bjuv")
    answered(previous, {"sip_okning": "nej", "utbildning": 50}, organisation="VC B", kommun="Bjuv")
    current = make_round(
        version, reference_date=date(2023, 12, 31), state=RoundState.CLOSED, title="Enkät 2023"
    )
    answered(
        current,
        {"sip_okning": "ja", "utbildning": 40, "nojdhet": "mycket_nojd",
         "beskrivning": f"Vi har startat team {SCRIPT} – åäö."},
        organisation="Vårdcentralen Ängelholm", organisation_type="regional_pv", kommun="Ängelholm",
    )  # fmt: skip
    answered(
        current,
        {"sip_okning": "nej", "utbildning": 60, "nojdhet": "varken_eller",
         "beskrivning": "Samverkan i lokal grupp."},
        organisation="Vårdcentralen Höganäs", organisation_type="regional_pv", kommun="Höganäs",
    )  # fmt: skip
    answered(
        current,
        {"sip_okning": "ja", "utbildning": 80, "nojdhet": "ganska_nojd", "npo": "ja"},
        organisation="Ängelholms kommun",
        organisation_type="kommun",
        kommun="Ängelholm",
    )
    answered(
        current,
        {"sip_okning": "ej_aktuellt", "utbildning": 20, "npo": "nej"},
        organisation=f"Höganäs kommun {SCRIPT}",
        organisation_type="kommun",
        kommun="Höganäs",
    )
    make_recipient(
        current, invited_at=INVITED, organisation="Vårdcentralen Väla",
        organisation_type="regional_pv", kommun="Ängelholm",
    )  # fmt: skip
    other = make_round(version, delregion="NO", state=RoundState.OPEN, title="NO 2023")
    return Rounds(current.id, previous.id, other.id)


@pytest.fixture
def rounds(app: Flask, cast: Cast) -> Rounds:
    with app.app_context():
        made = make_rounds()
        db.session.commit()
        return made


def page(client: FlaskClient, path: str) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def squash(text: str) -> str:
    """Collapse ordinary white space (not the no-break spaces the pages use on purpose)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def indicator_row(soup: BeautifulSoup, indicator_id: str) -> list[str]:
    row = soup.find("tr", id="indikator-" + indicator_id.replace(".", "-"))
    assert isinstance(row, Tag), f"no row for {indicator_id}"
    texts = []
    for cell in row.find_all(["th", "td"]):
        shown = copy.copy(cell)
        for svg in shown.find_all("svg"):  # the bar's text alternative is checked on its own
            svg.decompose()
        for date_span in shown.select("span.date"):  # kept on one line, read as the text
            date_span.unwrap()
        shown.smooth()
        texts.append(squash(shown.get_text(" ", strip=True)))
    return texts


def test_it_shows_values_targets_statuses_and_previous_values(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    soup = page(client_for("leader_nv"), f"/omgangar/{rounds.current}/resultat")
    assert soup.h1 is not None and "Enkät 2023" in soup.h1.get_text()
    expected = {
        # indicator: value, target and its date (the final one too when it is neither the
        # target in force nor the next), status, previous, change, n
        # (the target cell: the target in force with its date, its status and the next target;
        # the status cell: the status and who is missing; n: of the invited population)
        "1a.1b": (f"66,7{NBSP}%",
                  f"Delmål 50{NBSP}% (2023-12-31) uppnått · nästa mål 75{NBSP}% 2025-12-31 "
                  f"slutmål 100{NBSP}% 2026-12-31",
                  "uppnått 3 av 4 inbjudna har svarat",
                  f"50,0{NBSP}%", "+16,7 procentenheter ökning",
                  "3 av 5 inbjudna, 1 ej aktuellt, 1 saknas"),
        "1a.1a": (f"50,0{NBSP}%",
                  f"Delmål 50{NBSP}% (2023-12-31) uppnått · nästa mål 100{NBSP}% 2026-12-31",
                  "uppnått 4 av 5 inbjudna har svarat",
                  f"40,0{NBSP}%", "+10,0 procentenheter ökning",
                  "4 av 5 inbjudna, 1 saknas"),
        "1b.2a": (f"66,7{NBSP}%", f"Mål 100{NBSP}% ej uppnått",
                  "ej uppnått 3 av 5 inbjudna har svarat",
                  "–", "–", "3 av 5 inbjudna, 2 saknas"),
        # 1a.5: before 2024-06-01 the first target is in force; both kommuner answered.
        "1a.5": (f"50,0{NBSP}%",
                 f"Delmål 50{NBSP}% (2024-06-01) uppnått · nästa mål 100{NBSP}% 2026-12-31",
                 "uppnått",
                 "–", "–", "2 av 2 inbjudna kommuner"),
    }  # fmt: skip
    for indicator_id, cells in expected.items():
        row = indicator_row(soup, indicator_id)
        assert row[1:7] == list(cells), indicator_id
    status = soup.select_one("#indikator-1b-2a .status")
    assert status is not None and "status-ej-uppnatt" in status["class"]
    # Measure none (free text) is not a row of the indicator table.
    assert soup.find("tr", id="indikator-1b-2b") is None
    rates = [
        squash(row.get_text(" ", strip=True)) for row in soup.select("table")[0].select("tbody tr")
    ]
    assert rates[0] == f"Alla 5 4 80,0{NBSP}%"
    assert f"Regional primärvård 3 2 66,7{NBSP}%" in rates
    assert f"Kommun 2 2 100,0{NBSP}%" in rates


def test_it_gives_every_bar_and_sparkline_a_text_alternative(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    response = client_for("reader_nv").get(f"/omgangar/{rounds.current}/resultat")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    bars = soup.select("svg.bar-chart")
    assert len(bars) == 4
    for svg in [*bars, *soup.select("svg.sparkline")]:
        assert svg["role"] == "img"
        title = svg.find("title")
        assert isinstance(title, Tag) and title.get_text() == svg["aria-label"]
        assert not svg.has_attr("style") and not svg.select("[style]")
    bar = soup.select_one("#indikator-1b-2a svg")
    assert bar is not None
    assert bar["aria-label"] == f"Värde 66,7{NBSP}%, mål minst 100{NBSP}%"
    # The bar's width is the value on a 0–100 scale of the bar's width; the marker is the target.
    rect = bar.select_one("rect.bar")
    marker = bar.select_one("rect.target-marker")
    assert rect is not None and marker is not None
    assert float(str(rect["width"])) == pytest.approx(BAR_WIDTH * 0.667, abs=0.1)
    assert float(str(marker["x"])) == pytest.approx(BAR_WIDTH - 1.5)
    spark = soup.select_one("table.trend-table svg.sparkline")
    assert spark is not None
    assert spark["aria-label"] == (
        f"Trend för 1a.1b: 2022-12-31: 50,0{NBSP}%; 2023-12-31: 66,7{NBSP}%"
    )


def test_it_shows_the_trend_across_rounds(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    soup = page(client_for("admin"), f"/omgangar/{rounds.current}/resultat")
    table = soup.select_one("table.trend-table")
    assert table is not None
    headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    assert headers == ["Indikator", "2022-12-31", "2023-12-31 denna omgång", "Diagram"]
    first = [td.get_text(strip=True) for td in table.select("tbody tr")[0].select("td")][:2]
    assert first == [f"50,0{NBSP}%", f"66,7{NBSP}%"]


@pytest.mark.parametrize(
    ("query", "heading", "expected"),
    [
        # Kommuner only: 1a.1b ja + Ej aktuellt → 1 of 1; 1a.1a (80 + 20) / 2; previous: none.
        ("?organisationstyp=kommun", "Kommun",
         {"1a.1b": f"100,0{NBSP}%", "1a.1a": f"50,0{NBSP}%"}),
        # Ängelholm: ja, ja → 100 %; (40 + 80) / 2 = 60.
        ("?kommun=Ängelholm", "Ängelholm", {"1a.1b": f"100,0{NBSP}%", "1a.1a": f"60,0{NBSP}%"}),
        ("?organisationstyp=regional_pv&kommun=H%C3%B6gan%C3%A4s", "Regional primärvård, Höganäs",
         {"1a.1b": f"0,0{NBSP}%", "1a.1a": f"60,0{NBSP}%"}),
    ],
)  # fmt: skip
def test_it_recomputes_for_the_filter(
    app: Flask,
    client_for: ClientFor,
    rounds: Rounds,
    query: str,
    heading: str,
    expected: dict[str, str],
) -> None:
    soup = page(client_for("leader_nv"), f"/omgangar/{rounds.current}/resultat{query}")
    assert soup.h1 is not None and soup.h1.get_text(" ", strip=True).endswith(f"– {heading}")
    assert soup.title is not None and heading in soup.title.get_text()
    for indicator_id, value in expected.items():
        assert indicator_row(soup, indicator_id)[1] == value
    selected = [option.get_text() for option in soup.select("form.filter-form option[selected]")]
    assert selected and all(part in heading for part in selected)


def test_it_filters_the_previous_value_too(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    soup = page(client_for("leader_nv"), f"/omgangar/{rounds.current}/resultat?kommun=Ängelholm")
    # Nobody in Ängelholm answered in 2022 (both were in Bjuv): no previous value, no change.
    assert indicator_row(soup, "1a.1b")[4:6] == ["–", "–"]


def test_it_ignores_an_unknown_filter_with_a_notice(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    soup = page(
        client_for("leader_nv"),
        f"/omgangar/{rounds.current}/resultat?organisationstyp=okand&kommun=Malm%C3%B6",
    )
    notices = [p.get_text(" ", strip=True) for p in soup.select(".notice-warning")]
    assert any("”okand” finns inte" in notice for notice in notices)
    assert any("Malmö" in notice for notice in notices)
    assert indicator_row(soup, "1a.1b")[1] == f"66,7{NBSP}%"


def test_it_collates_free_text_with_organisations_escaped(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    response = client_for("reader_nv").get(
        f"/omgangar/{rounds.current}/resultat/fritext?fraga=beskrivning"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(" in html
    soup = BeautifulSoup(html, "html.parser")
    section = soup.find("section", attrs={"aria-labelledby": "fraga-beskrivning"})
    assert isinstance(section, Tag)
    answers = [li.get_text(" ", strip=True) for li in section.select("li")]
    # In reading order: kommun Höganäs before Ängelholm (å, ä, ö sort after z).
    assert answers == [
        "Samverkan i lokal grupp. Vårdcentralen Höganäs · Regional primärvård · Höganäs",
        f"Vi har startat team {SCRIPT} – åäö. Vårdcentralen Ängelholm · Regional primärvård · "
        "Ängelholm",
    ]
    filtered = page(
        client_for("reader_nv"),
        f"/omgangar/{rounds.current}/resultat/fritext?fraga=beskrivning&kommun=H%C3%B6gan%C3%A4s",
    )
    assert "Vi har startat team" not in filtered.get_text()
    assert "Samverkan i lokal grupp." in filtered.get_text()


def test_it_escapes_organisation_names_on_every_page(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    client = client_for("admin")
    for path in ("resultat", "resultat/fordelning?per=kommun", "resultat/fritext"):
        html = client.get(f"/omgangar/{rounds.current}/{path}").get_data(as_text=True)
        assert "<script>alert" not in html, path


@pytest.mark.parametrize(
    ("per", "groups", "row"),
    [
        ("organisationstyp", ["Kommun", "Regional primärvård"],
         # 1a.1b: kommun 1 of 1 (Ej aktuellt left out), regional PV 1 of 2.
         f"100,0{NBSP}% (n = 1) uppnått 50,0{NBSP}% (n = 2) uppnått"),
        ("kommun", ["Höganäs", "Ängelholm"],
         f"0,0{NBSP}% (n = 1) ej uppnått 100,0{NBSP}% (n = 2) uppnått"),
        ("delregion", ["Nordvästra Skåne (NV)"], f"66,7{NBSP}% (n = 3) uppnått"),
    ],
)  # fmt: skip
def test_it_breaks_the_indicators_down(
    app: Flask, client_for: ClientFor, rounds: Rounds, per: str, groups: list[str], row: str
) -> None:
    soup = page(
        client_for("leader_nv"),
        f"/omgangar/{rounds.current}/resultat/fordelning?per={per}",
    )
    table = soup.select_one("table.breakdown-table")
    assert table is not None
    assert [th.get_text(strip=True) for th in table.select("thead th")][1:] == groups
    first = table.select("tbody tr")[0]
    assert first.th is not None and first.th.get_text(" ", strip=True).startswith("1a.1b")
    assert " ".join(td.get_text(" ", strip=True) for td in first.select("td")) == row


def test_it_refuses_an_unknown_grouping(app: Flask, client_for: ClientFor, rounds: Rounds) -> None:
    client = client_for("leader_nv")
    assert (
        client.get(f"/omgangar/{rounds.current}/resultat/fordelning?per=okand").status_code == 404
    )


def test_it_shows_the_collation_as_the_result_of_a_questionnaire_without_indicators(
    app: Flask, client_for: ClientFor
) -> None:
    with app.app_context():
        plain = sample_questionnaire(questionnaire_id="bilaga")
        plain = type(plain)(
            id=plain.id, version=plain.version, title="Bilaga 1", sections=plain.sections
        )
        round_ = make_round(make_questionnaire_version(plain), title="Inventering 2025")
        answered(
            round_,
            {"sip_okning": "ja", "beskrivning": "Vi inventerade i lokal samverkan.",
             "vecka": "2025-W09"},
            organisation="Lokal samverkan Bjuv", organisation_type="kommun", kommun="Bjuv",
        )  # fmt: skip
        db.session.commit()
        round_id = round_.id
    soup = page(client_for("reader_nv"), f"/omgangar/{round_id}/resultat")
    assert soup.select("table.indicator-table") == []
    assert soup.find("h2", string="Sammanställning av svaren") is not None
    text = soup.get_text(" ", strip=True)
    assert "Vi inventerade i lokal samverkan. Lokal samverkan Bjuv · Kommun · Bjuv" in text
    assert "vecka 9 år 2025 Lokal samverkan Bjuv" in text and "2025-W09" not in text


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("admin", "resultat", 200),
        ("leader_nv", "resultat", 200),
        ("reader_nv", "resultat", 200),
        ("leader_no", "resultat", 404),
        ("anonymous", "resultat", 302),
        ("leader_no", "resultat/fritext", 404),
        ("leader_no", "resultat/fordelning?per=kommun", 404),
        ("reader_nv", "resultat/fordelning?per=kommun", 200),
        ("anonymous", "resultat/fritext", 302),
    ],
)
def test_it_lets_only_readers_of_the_delregion_in(
    app: Flask, client_for: ClientFor, rounds: Rounds, who: str, path: str, status: int
) -> None:
    response = client_for(who).get(f"/omgangar/{rounds.current}/{path}")
    assert response.status_code == status
    if who == "anonymous":
        assert "/logga-in" in response.headers["Location"]


def test_it_answers_404_for_a_round_that_does_not_exist(app: Flask, client_for: ClientFor) -> None:
    assert client_for("admin").get("/omgangar/999/resultat").status_code == 404


def test_it_links_managers_to_the_import_and_not_readers(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    path = f"/omgangar/{rounds.current}/resultat"
    leader = client_for("leader_nv").get(path).get_data(as_text=True)
    reader = client_for("reader_nv").get(path).get_data(as_text=True)
    assert f"/omgangar/{rounds.current}/importera-svar" in leader
    assert "importera-svar" not in reader


def test_it_sends_no_inline_style_or_script(
    app: Flask, client_for: ClientFor, rounds: Rounds
) -> None:
    html = client_for("admin").get(f"/omgangar/{rounds.current}/resultat").get_data(as_text=True)
    assert not re.search(r"\sstyle=", html)
    soup = BeautifulSoup(html, "html.parser")
    assert all(script.has_attr("src") for script in soup.find_all("script"))


@pytest.mark.browser
def test_it_is_accessible_on_a_phone(
    app: Flask, cast: Cast, rounds: Rounds, live_server: LiveServer, browser_page: Page,
    tmp_path: Path,
) -> None:  # fmt: skip
    page_ = browser_page
    page_.set_viewport_size({"width": 375, "height": 667})
    page_.goto(live_server("/logga-in"))
    page_.fill("#email", cast.leader_nv.email)
    page_.fill("#password", DEFAULT_PASSWORD)
    page_.click("button[type=submit]")
    for path in (
        f"/omgangar/{rounds.current}/resultat",
        f"/omgangar/{rounds.current}/resultat?organisationstyp=kommun",
        f"/omgangar/{rounds.current}/resultat/fritext",
        f"/omgangar/{rounds.current}/resultat/fordelning?per=kommun",
        f"/omgangar/{rounds.current}/importera-svar",
    ):
        page_.goto(live_server(path))
        assert page_.locator("h1").inner_text().startswith(("Resultat", "Fritextsvar", "Import"))
        report = axe_report(page_)
        assert report is None, f"axe found violations on {path}:\n{report}"
        # Tables stack or scroll inside their own region: the page is never wider than the phone.
        assert page_.evaluate("document.documentElement.scrollWidth") <= 375, path
    # A file with wrong columns, refused at once: the error summary and the problem table
    # pass axe too (a file's row problems are on its import job's page).
    bad = tmp_path / "svar.csv"
    bad.write_text("e-post;fel_kolumn;annan_kolumn\nokand@example.se;x;y\n", encoding="utf-8")
    page_.set_input_files("#fil", str(bad))
    page_.click("button[value=importera]")
    expect_error_title(page_)
    assert page_.locator("table.problem-table tbody tr").count() == 2
    report = axe_report(page_)
    assert report is None, f"axe found violations on the import errors:\n{report}"
    # The filter form works without JavaScript: choose and submit.
    page_.goto(live_server(f"/omgangar/{rounds.current}/resultat"))
    page_.select_option("#filter-organisationstyp", "kommun")
    page_.click("form.filter-form button[type=submit]")
    expect(page_).to_have_url(re.compile(r"organisationstyp=kommun"))
    assert "– Kommun" in page_.locator("h1").inner_text()
