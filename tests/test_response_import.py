"""Importing earlier answers: good files in both formats, bad files, amendments, trends."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from survey.db import db
from survey.responses.answers_template import responses_template_xlsx
from survey.responses.importing import ImportOutcome, import_responses
from survey.results.trends import compute_round_results, indicator_trend
from survey.schema.audit import AuditEvent
from survey.schema.rounds import Recipient, Round, RoundState
from tests.factories import login, make_user
from tests.import_helpers import (
    ANNA,
    ANNA_ANSWERS,
    ANNA_ROW,
    BO,
    BO_ANSWERS,
    BO_ROW,
    CILLA,
    GOOD_ROWS,
    HEADERS,
    Cell,
    ImportRound,
    csv_file,
    make_import_round,
    row_counts,
    stored_answers,
    xlsx_file,
)
from tests.sample import sample_questionnaire


def run_import(
    app: Flask,
    round_id: int,
    data: bytes,
    filename: str,
    *,
    add_recipients: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_ is not None
        outcome = import_responses(
            round_, data, filename, add_recipients=add_recipients, dry_run=dry_run
        )
        if outcome.imported:
            db.session.commit()
        else:
            db.session.rollback()
        return outcome


def typed_xlsx_rows() -> list[list[Cell]]:
    """The good rows with numbers and the date as typed Excel cells, as Excel saves them."""
    anna = list(ANNA_ROW)
    anna[HEADERS.index("utbildning")] = 12.5
    anna[HEADERS.index("dygn")] = 3.5
    anna[HEADERS.index("startdatum")] = datetime(2025, 3, 1)
    bo = list(BO_ROW)
    bo[HEADERS.index("utbildning")] = 80
    return [HEADERS, anna, bo]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (xlsx_file(typed_xlsx_rows()), "svar.xlsx"),
        (xlsx_file(GOOD_ROWS), "svar som text.xlsx"),
        (csv_file(GOOD_ROWS), "svar-utf8.csv"),
        (csv_file(GOOD_ROWS, encoding="cp1252"), "svar-windows.csv"),
        (csv_file(GOOD_ROWS, delimiter=","), "svar-komma.csv"),
    ],
    ids=["xlsx-typed", "xlsx-text", "csv-utf8", "csv-windows-1252", "csv-comma"],
)
def test_it_imports_a_good_file(
    app: Flask, target: ImportRound, data: bytes, filename: str
) -> None:
    outcome = run_import(app, target.round_id, data, filename)
    assert outcome.check.problems == []
    assert (outcome.imported, outcome.rows, outcome.created, outcome.amended) == (True, 2, 2, 0)
    assert stored_answers(app, target.anna) == (ANNA_ANSWERS, True, [(1, True)])
    assert stored_answers(app, target.bo) == (BO_ANSWERS, True, [(1, True)])


def test_it_records_the_import_in_the_audit_log(app: Flask, target: ImportRound) -> None:
    run_import(app, target.round_id, csv_file(GOOD_ROWS), "svar.csv")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.responses_imported")
        ).one()
        assert event.round_id == target.round_id
        assert event.delregion == "NV"
        assert event.actor == "kommandorad"
        assert event.details == {
            "file": "svar.csv", "format": "csv", "rows": 2, "created": 2, "amended": 0,
            "unchanged": 0, "recipients_created": 0,
        }  # fmt: skip
        assert "2 svar importerades" in event.summary


def test_it_makes_imported_answers_count_in_the_results(app: Flask, target: ImportRound) -> None:
    run_import(app, target.round_id, csv_file(GOOD_ROWS), "svar.csv")
    with app.app_context():
        round_ = db.session.get(Round, target.round_id)
        assert round_ is not None
        results = {result.id: result for result in compute_round_results(round_)}
    # 1a.1b: Anna ja, Bo Ej aktuellt (left out) → 1 of 1; 1a.1a: (12.5 + 80) / 2.
    assert (results["1a.1b"].value, results["1a.1b"].n_not_applicable) == (100.0, 1)
    assert results["1a.1a"].value == pytest.approx(46.25)
    assert results["1a.5"].value == 0.0  # Bo's kommun answered Nej


def test_it_adds_missing_recipients_when_asked(app: Flask, target: ImportRound) -> None:
    rows: list[list[Cell]] = [
        [*HEADERS, "Namn", "Organisation", "Organisationstyp", "Kommun"],
        [*ANNA_ROW, "", "", "", ""],
        ["dora@example.se", "nej", "", "", "", "55", "", "", "", "", "", "",
         "Dora Dahl", "Psykiatrin Helsingborg", "Psykiatri", "helsingborgs stad"],
    ]  # fmt: skip
    before = row_counts(app)
    outcome = run_import(app, target.round_id, csv_file(rows), "nya.csv", add_recipients=True)
    assert outcome.check.problems == []
    assert (outcome.created, outcome.recipients_created) == (2, 1)
    assert row_counts(app)["recipients"] == before["recipients"] + 1
    with app.app_context():
        dora = db.session.scalars(
            select(Recipient).where(Recipient.email == "dora@example.se")
        ).one()
        stored = (dora.name, dora.organisation, dora.organisation_type, dora.kommun, dora.delregion)
        assert stored == ("Dora Dahl", "Psykiatrin Helsingborg", "psykiatri", "Helsingborg", "NV")
        assert dora.invited_at is None and dora.token_hash is None
        dora_id = dora.id
    assert stored_answers(app, dora_id) == (
        {"sip_okning": "nej", "utbildning": 55},
        True,
        [(1, True)],
    )


def test_it_amends_an_earlier_submission_and_leaves_equal_answers_alone(
    app: Flask, target: ImportRound
) -> None:
    run_import(app, target.round_id, csv_file(GOOD_ROWS), "svar.csv")
    changed_bo = list(BO_ROW)
    changed_bo[HEADERS.index("utbildning")] = "90"
    outcome = run_import(
        app, target.round_id, csv_file([HEADERS, ANNA_ROW, changed_bo]), "igen.csv"
    )
    assert (outcome.created, outcome.amended, outcome.unchanged) == (0, 1, 1)
    assert stored_answers(app, target.anna) == (ANNA_ANSWERS, True, [(1, True)])
    assert stored_answers(app, target.bo) == (
        {**BO_ANSWERS, "utbildning": 90}, True, [(1, True), (2, True)],
    )  # fmt: skip


@pytest.mark.parametrize("state", list(RoundState))
def test_it_imports_into_a_round_in_any_state(app: Flask, state: RoundState) -> None:
    made = make_import_round(app, state=state)
    outcome = run_import(app, made.round_id, csv_file(GOOD_ROWS), "svar.csv")
    assert outcome.imported and outcome.created == 2


def test_it_checks_without_storing_on_a_dry_run(app: Flask, target: ImportRound) -> None:
    before = row_counts(app)
    outcome = run_import(app, target.round_id, csv_file(GOOD_ROWS), "svar.csv", dry_run=True)
    assert outcome.ok and not outcome.imported and outcome.created == 2
    assert row_counts(app) == before


def test_it_requires_no_answer_to_a_required_question(app: Flask, target: ImportRound) -> None:
    # Historical answers may be incomplete: only utbildning (nojdhet, also required, is empty).
    rows: list[list[Cell]] = [["E-postadress", "utbildning"], [ANNA, "45"]]
    outcome = run_import(app, target.round_id, xlsx_file(rows), "delvis.xlsx")
    assert outcome.check.problems == []
    assert stored_answers(app, target.anna)[0] == {"utbildning": 45}


def headers_with(*extra: str) -> list[Cell]:
    return ["e-post", "sip_okning", "utbildning", *extra]


BAD_FILES: list[tuple[str, bytes, str, list[tuple[int | None, str | None, str]]]] = [
    ("unknown email",
     csv_file([headers_with(), ["okand@example.se", "ja", "50"]]), "svar.csv",
     [(2, "e-post", "okand@example.se finns inte bland omgångens mottagare")]),
    ("duplicate email",
     csv_file([headers_with(), [ANNA, "ja", "50"], [ANNA.upper(), "nej", "40"]]), "svar.csv",
     [(2, "e-post", "Samma e-postadress (anna@example.se) finns också på rad 3"),
      (3, "e-post", "finns också på rad 2")]),
    ("unknown column",
     csv_file([headers_with("sip_okningg"), [ANNA, "ja", "50", "ja"]]), "svar.csv",
     [(1, "sip_okningg", "Kolumnen känns inte igen. En rubrik ska vara en fråga i enkäten, "
                         "skriven som i importmallen (t.ex. ”1. Kan man se en ökning av SIP?”) "
                         "eller som frågans id (t.ex. sip_okning), eller en av mottagarkolumnerna "
                         "(Namn, E-post, Organisation, Organisationstyp, Kommun, Delregion). "
                         "Menade du sip_okning?")]),
    ("number with another question's text",
     csv_file([["e-post", "3. Hur uppfattas samarbetet?"], [ANNA, "ja"]]), "svar.csv",
     [(1, "3. Hur uppfattas samarbetet?", "Rubriken börjar med nummer 3, men texten är inte "
                                          "texten i fråga 3 (”Hur uppfattas samverkan")]),
    ("text close to a question's",
     csv_file([["e-post", "1. Kan man se en ökning av SIPP?"], [ANNA, "ja"]]), "svar.csv",
     [(1, "1. Kan man se en ökning av SIPP?", "Rubriken börjar med nummer 1, men texten")]),
    ("misspelt text without a number",
     csv_file([["e-post", "Kan man se en ökning av SIPP?"], [ANNA, "ja"]]), "svar.csv",
     [(1, "Kan man se en ökning av SIPP?", "Menade du ”1. Kan man se en ökning av SIP?”?")]),
    ("bad yes/no",
     csv_file([headers_with(), [ANNA, "Kanske", "50"]]), "svar.csv",
     [(2, "sip_okning",
       '"Kanske" är inte ett av svarsalternativen. Skriv Ja, Nej eller Ej aktuellt.')]),
    ("unknown choice",
     csv_file([["e-post", "sip_okning", "omraden"], [ANNA, "ja", "Fallrisk; Cykling"]]), "svar.csv",
     [(2, "omraden", '"Cykling" är inte ett av svarsalternativen. Skriv ett eller flera av '
                     "Suicidprevention, Ofrivillig ensamhet, Fallrisk eller Undernäring")]),
    ("number out of range",
     csv_file([headers_with(), [ANNA, "ja", "120"]]), "svar.csv",
     [(2, "utbildning", "Ange ett tal mellan 0 och 100.")]),
    ("too many decimals",
     csv_file([headers_with(), [ANNA, "ja", "12,55"]]), "svar.csv",
     [(2, "utbildning", "Ange talet med högst 1 decimal.")]),
    ("bad date",
     csv_file([["e-post", "startdatum"], [ANNA, "31/12/2025"]]), "svar.csv",
     [(2, "startdatum", "Ange datumet som ÅÅÅÅ-MM-DD")]),
    ("bad week",
     csv_file([["e-post", "vecka"], [ANNA, "2025-W60"]]), "svar.csv",
     [(2, "vecka", "Ange ett veckonummer mellan 1 och 52")]),
    ("answer outside the audience",
     csv_file([["e-post", "npo"], [ANNA, "ja"]]), "svar.csv",
     [(2, "npo",
       "Frågan ställs inte till organisationstypen Regional primärvård. Lämna cellen tom.")]),
    ("answer whose condition does not hold",
     csv_file([["e-post", "sip_okning", "omraden"], [ANNA, "nej", "Fallrisk"]]), "svar.csv",
     [(2, "omraden", "Frågan ställs bara när svaret på fråga 1 (”Kan man se en ökning av "
                     "SIP?”) är Ja. Lämna cellen tom eller rätta svaret i kolumnen för fråga 1.")]),
    ("bad condition cell, reported once",
     csv_file([["e-post", "sip_okning", "omraden"], [ANNA, "kanske", "Fallrisk"]]), "svar.csv",
     [(2, "sip_okning", '"kanske" är inte ett av svarsalternativen.')]),
    ("removed recipient",
     csv_file([headers_with(), [CILLA, "ja", "50"]]), "svar.csv",
     [(2, "e-post", "har tagits bort från omgångens mottagare")]),
    ("row without answers",
     csv_file([headers_with(), [ANNA, "", ""]]), "svar.csv",
     [(2, None, "Raden har inga svar.")]),
    ("bad email",
     csv_file([headers_with(), ["anna(at)example.se", "ja", "50"]]), "svar.csv",
     [(2, "e-post", "är inte en giltig e-postadress")]),
    ("missing e-post column",
     csv_file([["mottagare_epost", "sip_okning"], [ANNA, "ja"]]), "svar.csv",
     [(1, "e-post", 'Kolumnen "e-post" saknas i rubrikraden.')]),
    ("no question columns",
     csv_file([["e-post", "Namn"], [ANNA, "Anna"]]), "svar.csv",
     [(1, None, "Filen har ingen kolumn för någon av enkätens frågor.")]),
    ("question column twice",
     csv_file([["e-post", "sip_okning", "SIP_OKNING"], [ANNA, "ja", "ja"]]), "svar.csv",
     [(1, "SIP_OKNING", "Fråga 1 (”Kan man se en ökning av SIP?”) har flera kolumner: B och C.")]),
    ("question column twice, by id and by text",
     csv_file([["e-post", "sip_okning", "1. Kan man se en ökning av SIP?"], [ANNA, "ja", "ja"]]),
     "svar.csv",
     [(1, "1. Kan man se en ökning av SIP?", "Fråga 1 (”Kan man se en ökning av SIP?”) har flera "
                                             "kolumner: B och C.")]),
    ("value without a header",
     csv_file([["e-post", "sip_okning", ""], [ANNA, "ja", "extra"]]), "svar.csv",
     [(2, "C", "Värdet står i en kolumn utan rubrik.")]),
    ("empty file", b"", "svar.csv", [(None, None, "Filen är tom.")]),
    ("header only", csv_file([headers_with()]), "svar.csv",
     [(1, None, "Filen innehåller bara en rubrikrad och inga rader med data.")]),
    ("formula cell",
     xlsx_file([headers_with(), [ANNA, "ja", None]], formula=(2, 3)), "svar.xlsx",
     [(2, "utbildning", "Cellen C2 innehåller en formel")]),
    ("not a spreadsheet", b"%PDF-1.7 not a table", "svar.xlsx",
     [(None, None, "Filen är en PDF, inte en Excel-arbetsbok.")]),
    ("old Excel format", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "svar.xls",
     [(None, None, "gamla Excel-formatet (.xls)")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_it_refuses_a_bad_file_and_changes_nothing(
    app: Flask,
    target: ImportRound,
    data: bytes,
    filename: str,
    expected: list[tuple[int | None, str | None, str]],
) -> None:
    before = row_counts(app)
    outcome = run_import(app, target.round_id, data, filename)
    assert not outcome.imported and outcome.check.rows == []
    found = [(problem.row, problem.column, problem.message) for problem in outcome.check.problems]
    assert len(found) == len(expected), found
    for (row, column, message), (want_row, want_column, fragment) in zip(
        found, expected, strict=True
    ):
        assert (row, column) == (want_row, want_column), found
        assert fragment in message, found
    assert row_counts(app) == before


def test_it_imports_nothing_when_one_row_of_many_is_wrong(app: Flask, target: ImportRound) -> None:
    bad_bo = list(BO_ROW)
    bad_bo[HEADERS.index("utbildning")] = "mycket"
    before = row_counts(app)
    outcome = run_import(app, target.round_id, xlsx_file([HEADERS, ANNA_ROW, bad_bo]), "svar.xlsx")
    assert [(problem.row, problem.column) for problem in outcome.check.problems] == [
        (3, "utbildning")
    ]
    assert row_counts(app) == before


def test_it_checks_new_recipients_by_the_recipients_file_rules(
    app: Flask, target: ImportRound
) -> None:
    rows: list[list[Cell]] = [
        ["e-post", "sip_okning", "Namn", "Organisation", "Organisationstyp", "Kommun"],
        ["ny@example.se", "ja", "", "Vårdcentralen Ny", "Tandvård", "Bjuv"],
    ]
    before = row_counts(app)
    outcome = run_import(app, target.round_id, csv_file(rows), "nya.csv", add_recipients=True)
    found = [(problem.row, problem.column, problem.message) for problem in outcome.check.problems]
    assert found == [
        (2, "Namn", "Namn saknas."),
        (2, "Organisationstyp", "Okänd organisationstyp \"Tandvård\". Ange en av: Kommun, "
                                "Regional primärvård, Sjukhus/slutenvård, Psykiatri, "
                                "Lokal samverkan, Annan."),
    ]  # fmt: skip
    assert row_counts(app) == before


def test_it_warns_about_percentages_read_as_fractions(app: Flask, target: ImportRound) -> None:
    rows: list[list[Cell]] = [["e-post", "utbildning"], [ANNA, 0.5], [BO, 0.3]]
    outcome = run_import(app, target.round_id, xlsx_file(rows), "procent.xlsx")
    assert outcome.imported
    assert [(warning.row, warning.column) for warning in outcome.check.warnings] == [
        (1, "utbildning")
    ]
    assert "25 % som 0,25" in outcome.check.warnings[0].message


def test_it_builds_a_template_with_every_question(app: Flask) -> None:
    import io

    questionnaire = sample_questionnaire()
    workbook = openpyxl.load_workbook(io.BytesIO(responses_template_xlsx(questionnaire)))
    assert workbook.sheetnames == ["Svar", "Frågor", "Anvisningar"]
    headers = [cell.value for cell in workbook["Svar"][1]]
    assert headers == [
        "E-post", "Namn", "Organisation", "Organisationstyp", "Kommun", "Delregion",
        *(f"{number}. {question.text}"
          for number, question in enumerate(questionnaire.questions, start=1)),
    ]  # fmt: skip
    assert headers[6] == "1. Kan man se en ökning av SIP?"
    questions = list(workbook["Frågor"].iter_rows(values_only=True))
    assert questions[0] == (
        "Kolumnrubrik i bladet Svar", "Avsnitt", "Typ", "Ställs till", "Villkor",
        "Tillåtna svar", "Kolumn i äldre importfiler",
    )  # fmt: skip
    by_id = {row[6]: row for row in questions[1:]}
    assert by_id["sip_okning"][0] == "1. Kan man se en ökning av SIP?"
    assert by_id["sip_okning"][5] == "Ja, Nej eller Ej aktuellt."
    assert by_id["npo"][3] == "Kommun"
    assert by_id["omraden"][4] == "Bara när svaret på fråga 1 är Ja"
    assert by_id["utbildning"][5].startswith("Ett tal mellan 0 och 100")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_it_reads_its_own_template_filled_in(app: Flask, target: ImportRound) -> None:
    import io

    workbook = openpyxl.load_workbook(io.BytesIO(responses_template_xlsx(sample_questionnaire())))
    sheet = workbook["Svar"]
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=1, value=ANNA)
    sheet.cell(row=2, column=headers.index("1. Kan man se en ökning av SIP?") + 1, value="Ja")
    sheet.cell(row=2, column=headers.index("5. Andel medarbetare som genomfört utbildning?") + 1,
               value=45)  # fmt: skip
    output = io.BytesIO()
    workbook.save(output)
    outcome = run_import(app, target.round_id, output.getvalue(), "mall.xlsx")
    assert outcome.check.problems == []
    assert stored_answers(app, target.anna)[0] == {"sip_okning": "ja", "utbildning": 45}


def test_it_gives_trends_their_history(app: Flask) -> None:
    first = make_import_round(app, reference_date=date(2023, 12, 31), title="Enkät 2023")
    with app.app_context():
        version_id = db.session.get_one(Round, first.round_id).questionnaire_version_id
    second = make_import_round(
        app,
        reference_date=date(2024, 12, 31),
        questionnaire_version_id=version_id,
        title="Enkät 2024",
    )
    third = make_import_round(
        app,
        reference_date=date(2025, 12, 31),
        questionnaire_version_id=version_id,
        title="Enkät 2025",
    )
    # 1a.1b: 2023 nej/nej → 0 %; 2024 ja/nej → 50 %; 2025 ja/ja → 100 %.
    for made, answers in ((first, ("nej", "nej")), (second, ("ja", "nej")), (third, ("ja", "ja"))):
        rows: list[list[Cell]] = [["e-post", "sip_okning"], [ANNA, answers[0]], [BO, answers[1]]]
        assert run_import(app, made.round_id, xlsx_file(rows), "svar.xlsx").imported
    with app.app_context():
        trend = indicator_trend(sample_questionnaire().id, "NV", ["1a.1b"])
        reader = make_user("lasare", "NV")
        db.session.commit()
        reader_email = reader.email
    assert list(trend.columns) == [date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)]
    assert list(trend.loc["1a.1b"]) == [0.0, 50.0, 100.0]
    # The results page of 2025 shows the three years, and 2024 as the previous value.
    client = app.test_client()
    assert login(client, reader_email).status_code == 302
    soup = BeautifulSoup(
        client.get(f"/omgangar/{third.round_id}/resultat").get_data(as_text=True), "html.parser"
    )
    table = soup.select_one("table.trend-table")
    assert table is not None
    dates = [th.get_text(" ", strip=True) for th in table.select("thead th")][1:-1]
    assert dates == ["2023-12-31", "2024-12-31", "2025-12-31 denna omgång"]
    first_row = table.select("tbody tr")[0]
    assert first_row.th is not None and first_row.th.get_text(" ", strip=True).startswith("1a.1b")
    values = [td.get_text(strip=True) for td in first_row.select("td")][:3]
    assert values == ["0,0\u00a0%", "50,0\u00a0%", "100,0\u00a0%"]
    change_cell = soup.select_one('#indikator-1a-1b td[data-label="Förändring"]')
    assert change_cell is not None
    change = change_cell.get_text(" ", strip=True)
    assert change.startswith("+50,0 procentenheter")
