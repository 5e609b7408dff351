"""The preview page: a stored questionnaire version as a respondent sees it, and "try it"."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser
from sqlalchemy import func, select

from survey.db import db
from survey.questionnaires.model import (
    Choice,
    Condition,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.responses import Response, ResponseSubmission
from tests.browser import LiveServer, expect_error_title
from tests.factories import (
    DEFAULT_PASSWORD,
    logged_in_client,
    make_questionnaire_version,
    make_user,
)
from tests.sample import sample_questionnaire

URL = "/forhandsgranska/prov"
VALID_ANSWERS = {
    "sip_okning": "nej",
    "nojdhet": "ganska_nojd",
    "utbildning": "45,5",
    "npo": "ja",
    "action": "submit",
}


def store(app: Flask, *questionnaires: Questionnaire) -> None:
    with app.app_context():
        for questionnaire in questionnaires or (sample_questionnaire(),):
            make_questionnaire_version(questionnaire)
        db.session.commit()


@pytest.fixture
def stored(app: Flask) -> None:
    store(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Previews are behind login: any role may look."""
    return logged_in_client(app, "lasare", "NV")


def test_it_sends_anonymous_visitors_to_the_login_page(app: Flask, stored: None) -> None:
    response = app.test_client().get(URL)
    assert response.status_code == 302
    assert response.location.startswith("/logga-in")


def page(response: Any) -> BeautifulSoup:
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def questionnaire_form(soup: BeautifulSoup) -> Tag:
    form = soup.find("form", class_="questionnaire-form")
    assert isinstance(form, Tag)
    return form


def element(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found


def text_of(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


# -- the page as a respondent sees it --------------------------------------------------------


def test_it_renders_the_latest_version_in_swedish(client: FlaskClient, stored: None) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.mimetype_params["charset"] == "utf-8"
    soup = page(response)
    assert element(soup, "html")["lang"] == "sv"
    assert soup.title is not None
    assert soup.title.get_text().startswith("Förhandsgranskning: Provenkät")
    assert text_of(element(soup, "h1")) == "Provenkät"
    assert "En enkät för tester." in text_of(element(soup, "main"))
    assert "Fel:" not in soup.title.get_text()
    assert soup.select(".error-summary") == []


def test_it_puts_each_section_in_a_fieldset_with_its_title_as_heading(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.get(URL))
    sections = questionnaire_form(soup).select("fieldset.section")
    assert [section["id"] for section in sections] == ["avsnitt-allmant", "avsnitt-kommun"]
    legends = [element(section, ":scope > legend > h2") for section in sections]
    assert [text_of(legend) for legend in legends] == ["Allmänt", "Endast kommuner"]
    assert "Frågor till alla verksamheter." in text_of(sections[0])


def test_it_labels_every_input(client: FlaskClient, stored: None) -> None:
    soup = page(client.get(URL))
    form = questionnaire_form(soup)
    inputs = [
        tag
        for tag in form.select("input, textarea, select")
        if tag.get("type") not in ("hidden", "submit")
    ]
    assert len(inputs) == 22  # 16 radio buttons and check boxes, 6 other fields
    for tag in inputs:
        labels = soup.select(f'label[for="{tag["id"]}"]')
        assert len(labels) == 1, tag
        assert text_of(labels[0])


def test_it_puts_option_groups_in_a_fieldset_with_the_question_as_legend(
    client: FlaskClient, stored: None
) -> None:
    form = questionnaire_form(page(client.get(URL)))
    for question_id, text in [
        ("sip_okning", "Kan man se en ökning av SIP?"),
        ("omraden", "Om ja, ange vilka områden."),
        ("nojdhet", "Hur uppfattas samverkan lokalt fungera?"),
        ("forum", "Vilket forum används mest?"),
        ("npo", "Har kommunen producentbehörighet i NPÖ?"),
    ]:
        group = element(form, f"#fraga-{question_id}")
        assert group.name == "fieldset"
        assert text in text_of(element(group, ":scope > legend"))
    for option in form.select('input[type="radio"], input[type="checkbox"]'):
        assert option.find_parent("fieldset", class_="question") is not None


def test_it_ties_help_text_units_and_notes_with_aria_describedby(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.get(URL))
    described = soup.select("[aria-describedby]")
    assert described
    for tag in described:
        for target in str(tag["aria-describedby"]).split():
            assert soup.find(id=target) is not None, target
    group = element(soup, "#fraga-sip_okning")
    assert text_of(element(soup, f"#{group['aria-describedby']}")) == (
        "Jämför med föregående tolv månader."
    )
    percent = element(soup, "#utbildning")
    assert str(percent["aria-describedby"]).split() == ["utbildning-hint", "utbildning-unit"]
    assert text_of(element(soup, "#utbildning-unit")) == "%"
    assert text_of(element(soup, "#dygn-unit")) == "dygn"


INPUTS = [
    ("sip_okning-0", "input", {"type": "radio", "value": "ja", "name": "sip_okning"}),
    ("sip_okning-2", "input", {"type": "radio", "value": "ej_aktuellt"}),
    ("omraden-3", "input", {"type": "checkbox", "value": "undernaring", "name": "omraden"}),
    ("nojdhet-4", "input", {"type": "radio", "value": "mycket_missnojd"}),
    ("forum-1", "input", {"type": "radio", "value": "dot"}),
    ("utbildning", "input", {"type": "text", "inputmode": "decimal"}),
    ("dygn", "input", {"type": "text", "inputmode": "decimal"}),
    ("kommentar", "input", {"type": "text", "maxlength": "200"}),
    ("beskrivning", "textarea", {"name": "beskrivning"}),
    ("startdatum", "input", {"type": "date"}),
    ("vecka", "input", {"type": "week"}),
    ("npo-1", "input", {"type": "radio", "value": "nej", "name": "npo"}),
]


@pytest.mark.parametrize(("element_id", "tag_name", "attributes"), INPUTS)
def test_it_renders_the_input_of_each_question_type(
    client: FlaskClient, stored: None, element_id: str, tag_name: str, attributes: dict[str, str]
) -> None:
    tag = element(questionnaire_form(page(client.get(URL))), f"#{element_id}")
    assert tag.name == tag_name
    for name, value in attributes.items():
        assert tag.get(name) == value, name


def test_it_marks_conditional_questions_for_readers_and_for_app_js(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.get(URL))
    block = element(soup, "#fraga-omraden")
    assert "conditional" in block["class"]
    assert block["data-show-if-question"] == "sip_okning"
    assert json.loads(str(block["data-show-if-answers"])) == ["ja"]
    assert "Besvaras om du har svarat Ja på fråga 1." in text_of(element(block, "legend"))
    assert not block.has_attr("hidden")  # shown without JavaScript
    assert element(soup, "form.questionnaire-form").has_attr("data-conditional")
    assert len(soup.select("[data-show-if-question]")) == 1


def test_it_marks_optional_questions_and_audiences(client: FlaskClient, stored: None) -> None:
    soup = page(client.get(URL))
    assert "(frivillig)" in text_of(element(soup, "#fraga-forum legend"))
    assert "(frivillig)" in text_of(element(soup, '#fraga-kommentar label[for="kommentar"]'))
    assert "(frivillig)" not in text_of(element(soup, "#fraga-sip_okning legend"))
    assert element(soup, "#utbildning")["aria-required"] == "true"
    assert "utom de som är märkta ”(frivillig)”" in text_of(element(soup, "main"))
    assert "Endast för: Kommun" in text_of(element(soup, "#avsnitt-kommun"))
    assert "Endast för" not in text_of(element(soup, "#avsnitt-allmant"))


def test_it_links_the_progress_overview_to_each_section(client: FlaskClient, stored: None) -> None:
    soup = page(client.get(URL))
    overview = element(soup, "nav.progress-overview")
    links = overview.select("a")
    assert [link["href"] for link in links] == ["#avsnitt-allmant", "#avsnitt-kommun"]
    for link in links:
        assert soup.find(id=str(link["href"])[1:]) is not None
    items = [" ".join(item.get_text().split()) for item in overview.select("li")]
    assert items == ["Allmänt: 0 av 9 frågor besvarade", "Endast kommuner: 0 av 1 fråga besvarade"]


def test_it_has_two_buttons_and_no_inline_script_or_style(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.get(URL))
    buttons = questionnaire_form(soup).select('button[name="action"]')
    assert [(button["value"], text_of(button)) for button in buttons] == [
        ("save", "Spara utkast"),
        ("submit", "Skicka in"),
    ]
    assert all(script.has_attr("src") for script in soup.find_all("script"))
    assert soup.find_all("style") == []
    for tag in soup.find_all(True):
        assert not tag.has_attr("style")
        assert not any(name.startswith("on") for name in tag.attrs)


def test_it_escapes_text_from_the_questionnaire(client: FlaskClient, app: Flask) -> None:
    hostile = Questionnaire(
        id="farlig",
        version="1",
        title="<script>alert(1)</script>",
        sections=(
            Section(
                "s",
                "<b>Avsnitt</b>",
                (
                    Question(
                        "val",
                        QuestionType.SINGLE_CHOICE,
                        "Välj <i>något</i>",
                        "s",
                        help="Hjälp <img src=x onerror=alert(1)>",
                        choices=(Choice("a", "<em>A</em>"), Choice("b", "B & C")),
                    ),
                ),
            ),
        ),
    )
    store(app, hostile)
    html = client.get("/forhandsgranska/farlig").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<em>" not in html
    assert "B &amp; C" in html


# -- organisation types and versions -------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "has_npo", "selected"),
    [
        ("kommun", True, "kommun"),
        ("regional_pv", False, "regional_pv"),
        ("Vårdcentral", False, "regional_pv"),
        ("alla", True, "alla"),
        ("", True, "alla"),
    ],
)
def test_it_shows_the_questionnaire_as_an_organisation_type_sees_it(
    client: FlaskClient, stored: None, parameter: str, has_npo: bool, selected: str
) -> None:
    soup = page(client.get(URL, query_string={"organisationstyp": parameter}))
    assert (soup.find(id="npo-0") is not None) is has_npo
    assert element(soup, "#visa-som option[selected]")["value"] == selected
    assert soup.select(".notice-warning") == []


def test_it_says_when_the_organisation_type_is_unknown(client: FlaskClient, stored: None) -> None:
    soup = page(client.get(URL, query_string={"organisationstyp": "bageri"}))
    assert "Organisationstypen ”bageri” finns inte." in text_of(element(soup, ".notice-warning"))
    assert soup.find(id="npo-0") is not None


def test_it_shows_the_latest_version_unless_one_is_asked_for(
    client: FlaskClient, app: Flask
) -> None:
    store(
        app,
        *(
            dataclasses.replace(sample_questionnaire(version=version), title=title)
            for version, title in [
                ("2", "Version två"),
                ("10", "Version tio"),
                ("1", "Version ett"),
            ]
        ),
    )
    assert text_of(element(page(client.get(URL)), "h1")) == "Version tio"
    soup = page(client.get(URL, query_string={"version": "2"}))
    assert text_of(element(soup, "h1")) == "Version två"
    assert element(soup, 'form.preview-options input[name="version"]')["value"] == "2"


def test_it_posts_back_to_the_same_version_and_organisation_type(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.get(URL, query_string={"version": "1", "organisationstyp": "kommun"}))
    assert questionnaire_form(soup)["action"] == f"{URL}?version=1&organisationstyp=kommun"
    assert questionnaire_form(soup)["method"] == "post"


@pytest.mark.parametrize(
    "url",
    [
        "/forhandsgranska/okand",
        f"{URL}?version=9",
        f"{URL}?version=1;drop",
        "/forhandsgranska/PROV",
        "/forhandsgranska/pr%00ov",
        "/forhandsgranska/" + "a" * 500,
        "/forhandsgranska/" + "%C3%A5",
    ],
)
def test_it_answers_404_in_swedish_for_an_unknown_questionnaire(
    client: FlaskClient, stored: None, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)
    assert client.post(url, data=VALID_ANSWERS).status_code == 404


# -- trying it out -----------------------------------------------------------------------


def test_it_shows_errors_with_a_summary_and_keeps_the_answers(
    client: FlaskClient, stored: None
) -> None:
    response = client.post(
        URL,
        data={
            "sip_okning": "ja",
            "utbildning": "101",
            "kommentar": "Hej 😀 åäö",
            "dygn": "12,55",
            "beskrivning": "rad 1\r\nrad 2 ✓",
            "vecka": "2025-W53",
            "action": "submit",
        },
    )
    assert response.status_code == 200
    soup = page(response)
    assert soup.title is not None
    assert soup.title.get_text().startswith("Fel: Förhandsgranskning")
    summary = element(soup, ".error-summary")
    links = summary.select("a")
    assert [link["href"] for link in links] == [
        "#omraden-0",
        "#nojdhet-0",
        "#utbildning",
        "#dygn",
        "#vecka",
        "#npo-0",
    ]
    for link in links:
        assert soup.find(id=str(link["href"])[1:]) is not None
    assert text_of(links[2]) == (
        "5. Andel medarbetare som genomfört utbildning? – Ange ett tal mellan 0 och 100."
    )
    # The answers are kept, cleaned, for correction.
    assert element(soup, "#sip_okning-0").has_attr("checked")
    assert element(soup, "#utbildning")["value"] == "101"
    assert element(soup, "#kommentar")["value"] == "Hej 😀 åäö"
    assert element(soup, "#beskrivning").get_text().strip() == "rad 1\nrad 2 ✓"
    # Each error is next to its field and tied to it.
    utbildning = element(soup, "#utbildning")
    assert utbildning["aria-invalid"] == "true"
    assert "utbildning-error" in str(utbildning["aria-describedby"]).split()
    assert text_of(element(soup, "#utbildning-error")) == "Fel: Ange ett tal mellan 0 och 100."
    assert "has-error" in element(soup, "#fraga-utbildning")["class"]
    assert "omraden-error" in str(element(soup, "#fraga-omraden")["aria-describedby"]).split()
    assert soup.select("#forhandsgranskning-resultat") == []


def test_it_reports_valid_answers_and_stores_nothing(
    client: FlaskClient, app: Flask, stored: None
) -> None:
    response = client.post(
        URL, data={**VALID_ANSWERS, "kommentar": "Tack 😀", "vecka": "v. 9 2025", "dygn": "1,5"}
    )
    soup = page(response)
    assert soup.select(".error-summary") == []
    result = element(soup, "#forhandsgranskning-resultat")
    assert text_of(element(result, "h2")) == "Svaren är giltiga"
    shown = dict(
        zip(
            [text_of(dt) for dt in result.select("dt")],
            [text_of(dd) for dd in result.select("dd")],
            strict=True,
        )
    )
    assert shown == {
        "1. Kan man se en ökning av SIP?": "Nej",
        "3. Hur uppfattas samverkan lokalt fungera?": "Ganska nöjd",
        "5. Andel medarbetare som genomfört utbildning?": "45,5 %",
        "6. Antal dygn i snitt?": "1,5 dygn",
        "7. Kort kommentar": "Tack 😀",
        "10. Vilken vecka gjordes inventeringen?": "vecka 9 år 2025",
        "11. Har kommunen producentbehörighet i NPÖ?": "Ja",
    }
    assert "Ingenting har sparats." in text_of(result)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.scalar(select(func.count()).select_from(ResponseSubmission)) == 0
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_it_checks_a_draft_for_formats_only(client: FlaskClient, stored: None) -> None:
    soup = page(client.post(URL, data={"kommentar": "Halvvägs", "action": "save"}))
    assert soup.select(".error-summary") == []
    assert text_of(element(soup, "#forhandsgranskning-resultat h2")) == "Utkastet är giltigt"
    soup = page(client.post(URL, data={"startdatum": "2025-02-30", "action": "save"}))
    links = element(soup, ".error-summary").select("a")
    assert [link["href"] for link in links] == ["#startdatum"]


def test_it_checks_a_post_without_a_button_as_a_submission(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.post(URL, data={"kommentar": "Enter-tangenten"}))
    assert soup.select(".error-summary a")


def test_it_ignores_answers_of_questions_not_asked_of_the_organisation_type(
    client: FlaskClient, stored: None
) -> None:
    data = {**VALID_ANSWERS, "npo": "hackat"}
    soup = page(client.post(f"{URL}?organisationstyp=regional_pv", data=data))
    result = element(soup, "#forhandsgranskning-resultat")
    assert "NPÖ" not in text_of(result)
    soup = page(client.post(f"{URL}?organisationstyp=kommun", data=data))
    assert [link["href"] for link in soup.select(".error-summary a")] == ["#npo-0"]


def test_it_drops_a_conditional_answer_when_its_condition_does_not_hold(
    client: FlaskClient, stored: None
) -> None:
    soup = page(client.post(URL, data={**VALID_ANSWERS, "omraden": ["fallrisk", "hackat"]}))
    result = element(soup, "#forhandsgranskning-resultat")
    assert "områden" not in text_of(result)
    soup = page(
        client.post(
            URL, data={**VALID_ANSWERS, "sip_okning": "ja", "omraden": ["fallrisk", "undernaring"]}
        )
    )
    result = element(soup, "#forhandsgranskning-resultat")
    assert "Fallrisk, Undernäring" in text_of(result)


def test_it_refuses_answers_posted_without_a_csrf_token(csrf_app: Flask) -> None:
    store(csrf_app)
    client = logged_in_client(csrf_app)
    response = client.post(URL, data=VALID_ANSWERS)
    assert response.status_code in (200, 400)  # 400 if CSRFProtect checks before the view
    body = response.get_data(as_text=True)
    assert "Svaren är giltiga" not in body
    if response.status_code == 200:
        assert "Formuläret hade gått ut" in body
    token = element(page(client.get(URL)), 'form.questionnaire-form input[name="csrf_token"]')
    response = client.post(URL, data={**VALID_ANSWERS, "csrf_token": token["value"]})
    assert "Svaren är giltiga" in response.get_data(as_text=True)


# -- in a real browser: app.js shows and hides conditional questions -----------------------


@pytest.mark.browser
def test_it_works_in_a_browser_with_and_without_javascript_and_passes_axe(
    live_server: LiveServer, browser: Browser, stored: None
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    live_url = live_server.url
    with live_server.app.app_context():
        email = make_user("lasare", "NV").email
        db.session.commit()
    page_ = browser.new_page()
    page_.goto(f"{live_url}/logga-in?next={URL}")
    page_.get_by_label("E-post").fill(email)
    page_.get_by_label("Lösenord").fill(DEFAULT_PASSWORD)
    page_.get_by_role("button", name="Logga in").click()
    page_.wait_for_url(f"{live_url}{URL}")
    audit = Axe().run(page_)
    assert audit.violations_count == 0, audit.generate_report()
    conditional = page_.locator("#fraga-omraden")
    assert conditional.is_hidden()
    page_.get_by_label("Ja", exact=True).first.check()
    assert conditional.is_visible()
    page_.locator("#sip_okning-1").check()
    assert conditional.is_hidden()
    page_.locator("#formular-knappar button[value=submit]").click()
    page_.wait_for_load_state()
    assert page_.evaluate("document.activeElement.id") == "felsammanfattning"
    expect_error_title(page_)
    audit = Axe().run(page_)
    assert audit.violations_count == 0, audit.generate_report()

    without_js = browser.new_context(java_script_enabled=False)
    # Playwright's documented way to copy cookies; its stubs type the two lists apart.
    without_js.add_cookies(page_.context.cookies())  # type: ignore[arg-type]
    without_js_page = without_js.new_page()
    without_js_page.goto(f"{live_url}{URL}")
    assert without_js_page.locator("#fraga-omraden").is_visible()


def test_it_says_when_a_section_has_no_questions_to_answer_yet(
    client: FlaskClient, app: Flask
) -> None:
    questionnaire = Questionnaire(
        id="villkor",
        version="1",
        title="Villkor mellan avsnitt",
        sections=(
            Section(
                "forsta",
                "Första",
                (
                    Question(
                        "finns",
                        QuestionType.YES_NO,
                        "Finns det en plan?",
                        "forsta",
                        choices=(Choice("ja", "Ja"), Choice("nej", "Nej")),
                    ),
                ),
            ),
            Section(
                "andra",
                "Andra",
                (
                    Question(
                        "plan",
                        QuestionType.LONG_TEXT,
                        "Beskriv planen.",
                        "andra",
                        show_if=Condition("finns", ("ja",)),
                    ),
                ),
            ),
        ),
    )
    store(app, questionnaire)
    soup = page(client.get("/forhandsgranska/villkor"))
    items = [" ".join(item.get_text().split()) for item in soup.select(".progress-overview li")]
    assert items == [
        "Första: 0 av 1 fråga besvarade",
        "Andra: inga frågor att besvara med dina svar hittills",
    ]
    assert "Besvaras om du har svarat Ja på fråga 1." in text_of(element(soup, "#fraga-plan"))
    soup = page(client.post("/forhandsgranska/villkor", data={"finns": "ja", "action": "save"}))
    items = [" ".join(item.get_text().split()) for item in soup.select(".progress-overview li")]
    assert items == ["Första: 1 av 1 fråga besvarade", "Andra: 0 av 1 fråga besvarade"]
