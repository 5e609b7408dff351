"""The export is safe: no formula, no link, no personal data where it must not be, opens cleanly.

Formula-injection payloads go into answers, recipient names, organisation names, kommuner,
question texts, choice labels, indicator texts and the round's title; every cell is read
back with openpyxl (no cell of formula type, each value exactly the cleaned text) and the
whole file is opened by LibreOffice (headless) and read back as CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from flask import Flask
from openpyxl.workbook.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from survey.errors import ErrorCode
from survey.export.fastrows import FastRowWorksheet
from survey.export.sanitise import CUT_MARKER, MAX_CELL_CHARS, clean_text, needs_quote_prefix
from survey.export.workbook import SHEET_NAMES, build_workbook
from survey.questionnaires.model import Choice, Questionnaire
from tests.export_helpers import (
    ExportRound,
    all_cells,
    make_export_round,
    non_respondent,
    read_workbook,
    respondent,
)
from tests.factories import make_questionnaire_version, make_round
from tests.sample import sample_questionnaire

PAYLOADS = (
    "=1+1",
    '=HYPERLINK("http://evil","x")',
    "+SUM(A1)",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "=cmd|' /C calc'!A0",
    # In constant-memory mode xlsxwriter writes such a string into the XML unescaped.
    '<r><t>a</t></r></is></c><c r="Z1"><f>HYPERLINK("http://evil","x")</f></c>'
    '<c r="Z2" t="inlineStr"><is><r><t>b</t></r>',
)


def cleaned(payload: str) -> str:
    """What the cell must hold: tabs at the start and carriage returns are removed."""
    return clean_text(payload)


def test_it_cleans_payloads_as_specified() -> None:
    assert [cleaned(payload) for payload in PAYLOADS[5:8]] == ["=1", "=1", "\n=1"]
    assert all(needs_quote_prefix(cleaned(payload)) for payload in PAYLOADS[:9])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vanlig text", "vanlig text"),
        ("a\x00b\x01c\x08d\x0be\x0cf\x1fg", "abcdefg"),
        ("a\x7fb\x80c\x9fd", "abcd"),
        ("rad ett\nrad två", "rad ett\nrad två"),
        ("kolumn\tkolumn", "kolumn\tkolumn"),
        ("\t\tindraget", "indraget"),
        ("\r\n=1", "\n=1"),
        ("windows\r\nrader", "windows\nrader"),
        ("trasig \ud800 surrogat", "trasig  surrogat"),
        ("icke\ufffe\uffffteken", "icketeken"),
        ("åäö ÅÄÖ é ü ✓ 😀", "åäö ÅÄÖ é ü ✓ 😀"),
        ("", ""),
    ],
)
def test_it_removes_control_characters(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    ("text", "quoted"),
    [("=1", True), ("+1", True), ("-1", True), ("@a", True), ("\n=1", True),
     ("1", False), (" =1", False), ("a=1", False), ("", False)],
)  # fmt: skip
def test_it_quotes_text_that_looks_like_a_formula(text: str, quoted: bool) -> None:
    assert needs_quote_prefix(text) is quoted


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("unit", ["x", "å", "😀"])
def test_it_cuts_text_over_the_cell_limit_with_a_marker(unit: str) -> None:
    text = unit * 40_000
    cut = clean_text(text)
    assert cut.endswith(CUT_MARKER)
    assert utf16_length(cut) <= MAX_CELL_CHARS
    assert utf16_length(cut) >= MAX_CELL_CHARS - 1  # at most half a surrogate pair short
    assert text.startswith(cut.removesuffix(CUT_MARKER))
    assert clean_text(unit * 16_000) == unit * 16_000 or unit == "😀"


# -- a round full of payloads ---------------------------------------------------------


def payload_questionnaire() -> Questionnaire:
    """The sample with payloads as question texts, a choice label and indicator texts."""
    sample = sample_questionnaire()
    sections = list(sample.sections)
    general = sections[0]
    questions = list(general.questions)
    questions[0] = dataclasses.replace(
        questions[0],
        text='=HYPERLINK("http://evil","x")',
        choices=(Choice("ja", "+SUM(A1)"), *questions[0].choices[1:]),
    )
    questions[6] = dataclasses.replace(questions[6], text="-2+3")  # kommentar
    sections[0] = dataclasses.replace(general, questions=tuple(questions))
    indicators = list(sample.indicators)
    indicators[0] = dataclasses.replace(indicators[0], title="=1+1", area="@SUM(1)", goal="-1")
    return dataclasses.replace(sample, sections=tuple(sections), indicators=tuple(indicators))


LONG_ANSWER = "Lång text. " * 4_000  # 44,000 characters
CONTROL_ANSWER = "Före\x01\x02\x1b\x7f\x85efter\tmed tabb\nny rad"


def make_payload_round() -> ExportRound:
    round_ = make_round(make_questionnaire_version(payload_questionnaire()), title="-2+3")
    made = ExportRound(round_id=round_.id)
    for number, payload in enumerate(PAYLOADS):
        respondent(
            round_,
            made,
            {
                "sip_okning": "ja",
                "nojdhet": "ganska_nojd",
                "utbildning": 50,
                "kommentar": payload,
                "beskrivning": payload,
            },
            name=payload,
            email=f"svarande{number}@example.se",
            organisation=payload,
            kommun=payload if number % 2 and len(payload) <= 100 else "Ängelholm",
            organisation_type="regional_pv",
        )
        non_respondent(
            round_,
            made,
            name=payload,
            email=f"ej.svar{number}@example.se",
            organisation=payload,
            organisation_type="kommun",
            kommun="Höganäs",
        )
    respondent(
        round_,
        made,
        {
            "sip_okning": "nej",
            "utbildning": 10,
            "kommentar": CONTROL_ANSWER,
            "beskrivning": LONG_ANSWER,
        },
        name="Lång Skribent",
        email="lang@example.se",
        organisation="Vårdcentralen Lång",
    )
    from survey.db import db

    db.session.commit()
    return made


@pytest.fixture
def payload_export(app: Flask, tmp_path: Path) -> tuple[ExportRound, Path]:
    with app.app_context():
        made = make_payload_round()
        path = tmp_path / "payloads.xlsx"
        build_workbook(made.round_id, identifying=True, out=path)
    return made, path


def test_it_never_writes_a_formula_or_a_link(payload_export: tuple[ExportRound, Path]) -> None:
    _, path = payload_export
    workbook = read_workbook(path)
    formulas = [
        f"{c.parent.title}!{c.coordinate}" for c in all_cells(workbook) if c.data_type == "f"
    ]
    assert formulas == []
    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert "<f>" not in xml and "<hyperlink" not in xml, name
        assert not any("hyperlink" in name.lower() for name in archive.namelist())
    assert all(not sheet._hyperlinks for sheet in workbook.worksheets)


def cells_with(workbook: Workbook, value: str) -> list[Any]:
    return [cell for cell in all_cells(workbook) if cell.value == value]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_keeps_every_payload_as_exactly_its_text(
    payload_export: tuple[ExportRound, Path], payload: str
) -> None:
    _, path = payload_export
    workbook = read_workbook(path)
    text = cleaned(payload)
    found = cells_with(workbook, text)
    places = {cell.parent.title for cell in found}
    # Answers (Svar, Fritext), names and organisations (Svar, Bortfall).
    assert {"Svar", "Fritext", "Bortfall"} <= places, places
    assert all(cell.data_type == "s" for cell in found)
    assert all(cell.quotePrefix == needs_quote_prefix(text) for cell in found)
    svar = workbook["Svar"]
    assert len([cell for cell in found if cell.parent is svar]) >= 4  # name, org, 2 answers


def test_it_keeps_payloads_in_headers_labels_and_titles(
    payload_export: tuple[ExportRound, Path],
) -> None:
    _, path = payload_export
    workbook = read_workbook(path)
    places = {
        (cell.parent.title, cell.value)
        for cell in all_cells(workbook)
        if cell.value in {'=HYPERLINK("http://evil","x")', "+SUM(A1)", "=1+1", "@SUM(1)", "-2+3"}
    }
    assert ("Svar", '=HYPERLINK("http://evil","x")') in places  # question text, row 2
    assert ("Fritext", "-2+3") in places  # question text of kommentar
    assert ("Svar", "+SUM(A1)") in places  # a choice label as an answer
    assert ("Indikatorer", "@SUM(1)") in places  # area
    assert ("Sammanfattning", "-2+3") in places  # round title
    descriptions = [row[2] for row in workbook["Indikatorer"].iter_rows(values_only=True)]
    assert "=1+1\nMål enligt planen: -1" in descriptions
    for cell in all_cells(workbook):
        if isinstance(cell.value, str) and needs_quote_prefix(cell.value):
            assert cell.quotePrefix, f"{cell.parent.title}!{cell.coordinate}"


def test_it_does_not_let_a_raw_xml_answer_make_cells(
    payload_export: tuple[ExportRound, Path],
) -> None:
    _, path = payload_export
    workbook = read_workbook(path)
    for sheet in workbook.worksheets:
        assert sheet["Z1"].value is None and sheet["Z2"].value is None, sheet.title


def test_it_removes_control_characters_and_cuts_long_answers(
    payload_export: tuple[ExportRound, Path],
) -> None:
    _, path = payload_export
    workbook = read_workbook(path)
    assert cells_with(workbook, "Föreefter\tmed tabb\nny rad")
    long_cells = [
        cell
        for cell in all_cells(workbook)
        if isinstance(cell.value, str) and cell.value.startswith("Lång text. Lång text.")
    ]
    assert {cell.parent.title for cell in long_cells} == {"Svar", "Fritext"}
    for cell in long_cells:
        assert cell.value.endswith(CUT_MARKER)
        assert len(cell.value) == MAX_CELL_CHARS
        assert LONG_ANSWER.startswith(cell.value.removesuffix(CUT_MARKER))


# -- privacy ----------------------------------------------------------------------------


def every_text_in_the_file(path: Path) -> str:
    """All XML parts of the workbook (sheets, properties, charts) as one text."""
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def test_it_leaves_names_and_emails_out_of_the_pseudonymised_export(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        made = make_export_round()
        build_workbook(made.round_id, identifying=False, out=tmp_path / "p.xlsx")
        build_workbook(made.round_id, identifying=True, out=tmp_path / "i.xlsx")
    assert len(made.names) == len(made.emails) == 7
    pseudonymised = read_workbook(tmp_path / "p.xlsx")
    texts = [str(cell.value) for cell in all_cells(pseudonymised) if cell.value is not None]
    everything = every_text_in_the_file(tmp_path / "p.xlsx")
    for secret in (*made.names, *made.emails):
        assert not any(secret in text for text in texts), secret
        assert secret not in everything, secret
    assert "Ängelholms kommun" in texts  # organisations stay
    identifying = read_workbook(tmp_path / "i.xlsx")
    texts = [str(cell.value) for cell in all_cells(identifying) if cell.value is not None]
    for secret in (*made.names, *made.emails):
        assert secret in texts, secret


# -- the fast row serialisation -----------------------------------------------------


def sheet_xml(worksheet_class: type[Worksheet], path: Path) -> str:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": "0.0%"})
    quoted = workbook.add_format({"quote_prefix": True})
    sheet = workbook.add_worksheet("Blad", worksheet_class=worksheet_class)
    sheet.set_column(3, 3, 20, percent)
    sheet.set_row(4, 30, bold)
    sheet.set_row(6, None, None, {"hidden": True})
    texts = [
        "vanlig", " inledande", "avslutande ", "rad\nrad", "_x0041_", "kontroll\x01tecken",
        "icke\ufffe", "<r><t>rå</t></r>", "a & b < c > d \"e\"", "åäö 😀", "\tflik", "=1+1",
        "x" * 40_000,
    ]  # fmt: skip
    for row, text in enumerate(texts):
        sheet.write_string(row, 0, text)
        sheet.write_string(row, 1, text, quoted)
        sheet.write_number(row, 2, row * 1.5 - 3)
        sheet.write_number(row, 3, row / 7)
        sheet.write_datetime(row, 5, datetime(2025, 1, row + 1, 12, 30))
        if row % 3 == 0:
            sheet.write_rich_string(row, 6, "fet ", bold, "text", " här")
            sheet.write_blank(row, 7, None, bold)
            sheet.write_boolean(row, 8, row % 2 == 0)
            sheet.write_formula(row, 9, "=1+1", None, 2)
        sheet.write_number(row, 12, 1e-300 if row % 2 else 123456789012345678)
    sheet.write_string(20, 30, "långt bort")
    workbook.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_it_serialises_rows_exactly_as_xlsxwriter_does(tmp_path: Path) -> None:
    stock = sheet_xml(Worksheet, tmp_path / "stock.xlsx")
    fast = sheet_xml(FastRowWorksheet, tmp_path / "fast.xlsx")
    assert "<f>" in stock and "inlineStr" in stock  # the sample covers both paths
    assert fast == stock


# -- LibreOffice ----------------------------------------------------------------------


def libreoffice_csv(path: Path, directory: Path) -> dict[str, list[list[str]]]:
    """Convert every sheet to CSV with LibreOffice headless; the rows of each sheet by name."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail(
            "LibreOffice is not installed: the export's round trip needs `soffice` "
            "(Debian: apt-get install libreoffice-calc; scripts/system-packages does it)"
        )
    out = directory / "csv"
    out.mkdir()
    profile = (directory / "lo-profile").as_uri()
    completed = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            # Comma, double quote, UTF-8, from row 1, …, formulas as shown, every sheet (-1).
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HOME": str(directory)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    sheets: dict[str, list[list[str]]] = {}
    for name in SHEET_NAMES:
        produced = out / f"{path.stem}-{name}.csv"
        assert produced.exists(), (name, sorted(p.name for p in out.iterdir()), completed.stdout)
        with produced.open(encoding="utf-8", newline="") as handle:
            sheets[name] = list(csv.reader(handle))
    return sheets


@pytest.mark.slow
def test_it_opens_in_libreoffice_with_its_values_and_payloads_as_text(
    payload_export: tuple[ExportRound, Path], tmp_path: Path
) -> None:
    _, path = payload_export
    sheets = libreoffice_csv(path, tmp_path)
    assert list(sheets) == list(SHEET_NAMES)
    assert sheets["Indikatorer"][0][:3] == ["Indikator", "Område", "Beskrivning"]
    assert sheets["Svar"][0][:4] == ["Svar-id", "Namn", "E-post", "Organisation"]
    svar_cells = {value for row in sheets["Svar"] for value in row}
    fritext_cells = {value for row in sheets["Fritext"] for value in row}
    for payload in PAYLOADS:
        # A formula would show its result (2, x, 1 …), not its text.
        assert cleaned(payload) in svar_cells, payload
        assert cleaned(payload) in fritext_cells, payload
    assert "2" not in {row[3] for row in sheets["Svar"][2:]}  # organisation "=1+1" stays text
    summary = {row[0]: row[1] for row in sheets["Sammanfattning"] if len(row) > 1}
    assert summary["Omgång"] == "-2+3"
    assert summary["Svarande"] == "11"


@pytest.mark.slow
def test_it_round_trips_an_ordinary_export_through_libreoffice(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        made = make_export_round()
        path = tmp_path / "vanlig.xlsx"
        build_workbook(made.round_id, identifying=False, out=path)
    sheets = libreoffice_csv(path, tmp_path)
    indicators = {row[0]: row for row in sheets["Indikatorer"][1:6]}
    assert indicators["1a.1b"][6].replace(",", ".").replace(" ", "").replace("\xa0", "") == "66.7%"
    assert indicators["1a.1b"][9] == "ej uppnått"
    assert indicators["1a.5"][9] == "uppnått"
    svar = sheets["Svar"]
    assert [row[0] for row in svar[2:]] == ["Svar 1", "Svar 2", "Svar 3", "Svar 4"]
    assert svar[2][svar[0].index("omraden")] == "Fallrisk; Undernäring"
    assert sheets["Trend"][0] == ["Indikator", "Beskrivning", "2023-12-31", "2024-12-31",
                                  "2025-12-31"]  # fmt: skip
    assert "Vårdcentralen Ängelholm" in {row[1] for row in svar[2:]}


def test_it_refuses_a_sheet_longer_than_excel_allows() -> None:
    from survey.export.writer import MAX_ROWS, TooManyRows, check_rows

    check_rows("Svar", MAX_ROWS)
    with pytest.raises(TooManyRows, match="the sheet Svar would need 1,048,577 rows") as refused:
        check_rows("Svar", MAX_ROWS + 1)
    assert refused.value.code is ErrorCode.EXPORT_TOO_MANY_ROWS
