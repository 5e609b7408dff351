"""The Excel export's content: sheets, columns, typed cells, formats, chart, and the figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl.workbook.workbook import Workbook

from survey.db import db
from survey.export.free_text_sheet import free_text_rows
from survey.export.non_respondents import invited_recipients, load_non_respondents
from survey.export.presentation import ValueKind, cell_value, change_value, value_kind
from survey.export.workbook import INDICATOR_COLUMNS, SHEET_NAMES, build_workbook
from survey.questionnaires.storage import questionnaire_of
from survey.results.breakdowns import response_rates
from survey.results.frame import load_recipients_frame, load_responses_frame
from survey.results.freetext import collate_free_text
from survey.schema.rounds import Round
from tests.export_helpers import (
    ExportRound,
    header_of,
    make_export_round,
    read_workbook,
    rows_of,
)
from tests.factories import make_questionnaire_version, make_round
from tests.sample import sample_questionnaire

EXPORTED_AT = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)  # 13:30 in Stockholm


@pytest.fixture
def exported(app: Flask, tmp_path: Path) -> tuple[ExportRound, Workbook]:
    with app.app_context():
        made = make_export_round()
        path = tmp_path / "export.xlsx"
        build_workbook(made.round_id, identifying=False, out=path, now=EXPORTED_AT)
    return made, read_workbook(path)


def by_first_column(workbook: Workbook, sheet: str, skip: int = 1) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: row for row in rows_of(workbook, sheet, skip=skip) if row[0] is not None}


def test_it_writes_the_sheets_in_order_with_their_names(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    assert workbook.sheetnames == list(SHEET_NAMES) == [
        "Sammanfattning", "Indikatorer", "Per organisationstyp", "Per kommun", "Frågor",
        "Svar",
        "Fritext", "Bortfall", "Trend",
    ]  # fmt: skip


def test_it_writes_exactly_the_indicator_columns(exported: tuple[ExportRound, Workbook]) -> None:
    _, workbook = exported
    assert header_of(workbook, "Indikatorer") == list(INDICATOR_COLUMNS) == [
        "Indikator", "Område", "Beskrivning", "Mått", "Population", "Antal svar", "Värde",
        "Mål i kraft", "Måldatum", "Status", "Slutmål", "Föregående", "Förändring", "Nästa mål",
        "Nästa måldatum", "Inbjudna", "Ej aktuellt", "Tomt", "Saknas", "Lägsta möjliga",
        "Högsta möjliga", "Minsta antal svar", "Oenighet", "Ändrat sedan föregående omgång",
    ]  # fmt: skip


def test_it_writes_indicator_figures_as_numbers_with_percent_formats(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    sheet = workbook["Indikatorer"]
    rows = {sheet.cell(row, 1).value: row for row in range(2, 7)}
    expected = {
        # id: n, value, target, target date, status, final target, previous, change
        "1a.1b": (3, 0.667, 0.75, datetime(2025, 12, 31), "ej uppnått", 1.0, 0.5, 0.167),
        "1a.1a": (4, 0.501, 0.5, datetime(2023, 12, 31), "uppnått", 1.0, 0.5, 0.001),
        "1b.2a": (4, 0.5, 1.0, None, "ej uppnått", 1.0, None, None),
        "1a.5": (1, 1.0, 0.5, datetime(2024, 6, 1), "uppnått", 1.0, None, None),
        "1b.2b": (2, None, None, None, "inget mål", None, None, None),
    }
    for indicator_id, figures in expected.items():
        cells = [sheet.cell(rows[indicator_id], col) for col in range(6, 14)]
        n, value, target, when, status, final, previous, change = cells
        numbers = (n, value, target, final, previous, change)
        assert tuple(cell.value for cell in numbers) == pytest.approx(figures[:3] + figures[5:]), (
            indicator_id
        )
        assert (when.value, status.value) == figures[3:5], indicator_id
        assert n.data_type == "n" and n.number_format == "0"
        for cell in (value, target, final, previous):
            if cell.value is not None:
                assert cell.data_type == "n", (indicator_id, cell.coordinate)
                assert cell.number_format == "0.0%"
        if when.value is not None:
            assert when.is_date and when.number_format == "yyyy-mm-dd"
        if change.value is not None:
            assert change.data_type == "n" and change.number_format == "+0.0%;-0.0%;0.0%"
    description = sheet.cell(rows["1a.1b"], 3).value
    assert description.startswith("Ökning av SIP")
    assert sheet.cell(rows["1a.5"], 4).value == "Andel ja"
    assert sheet.cell(rows["1b.2a"], 4).value == "Andel som valt: Ganska nöjd, Mycket nöjd"
    assert sheet.cell(rows["1a.5"], 5).value == "Kommun (varje organisation räknas en gång)"


def test_it_colours_status_cells_and_keeps_the_words(
    app: Flask, tmp_path: Path, exported: tuple[ExportRound, Workbook]
) -> None:
    made, workbook = exported
    # With a minimum of 4 answers, 1a.1b (3) and 1a.5 (1) have too few.
    with app.app_context():
        build_workbook(made.round_id, identifying=False, out=tmp_path / "min.xlsx", min_responses=4)
    strict = read_workbook(tmp_path / "min.xlsx")
    fills: dict[str, str] = {}
    for book in (workbook, strict):
        sheet = book["Indikatorer"]
        for row in range(2, 7):
            cell = sheet.cell(row, 10)
            fills[cell.value] = cell.fill.fgColor.rgb
    assert fills == {
        "uppnått": "FFC6EFCE",
        "ej uppnått": "FFFFC7CE",
        "inget mål": "FFE7E6E6",
        "för få svar": "FFFFEB9C",
    }


def test_it_charts_value_against_target_on_indikatorer(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    sheet = workbook["Indikatorer"]
    (chart,) = sheet._charts
    assert chart.tagname == "barChart" and chart.type == "col" and chart.grouping == "clustered"
    assert [series.tx.strRef.f for series in chart.series] == [
        "Indikatorer!$B$8",
        "Indikatorer!$C$8",
    ]
    categories = chart.series[0].cat.strRef.f
    assert categories == "Indikatorer!$A$9:$A$12"
    # The chart's table: the four indicators with a value; 1b.2b (free text) is left out.
    table = [tuple(c.value for c in row) for row in sheet["A9:C12"]]
    assert table == [
        ("1a.1b", 0.667, 0.75),
        ("1a.1a", 0.501, 0.5),
        ("1b.2a", 0.5, 1.0),
        ("1a.5", 1.0, 0.5),
    ]
    # Outside the autofilter, so that filtering the list leaves the chart whole.
    assert sheet.auto_filter.ref == "A1:X6"


@pytest.mark.parametrize(
    ("sheet", "frozen", "filtered"),
    [
        ("Sammanfattning", "A2", "A1:B19"),
        ("Indikatorer", "A2", "A1:X6"),
        ("Per organisationstyp", "C2", "A1:J5"),
        ("Per kommun", "C2", "A1:J5"),
        ("Svar", "B3", "A2:R6"),
        ("Fritext", "A2", "A1:G4"),
        ("Bortfall", "A2", "A1:H4"),
        ("Trend", "C2", "A1:E5"),
    ],
)
def test_it_freezes_the_header_and_filters_on_it(
    exported: tuple[ExportRound, Workbook], sheet: str, frozen: str, filtered: str
) -> None:
    _, workbook = exported
    assert workbook[sheet].freeze_panes == frozen
    assert workbook[sheet].auto_filter.ref == filtered


def test_it_sizes_columns_to_their_content_within_a_cap(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    for sheet in workbook.worksheets:
        widths = [dimension.width for dimension in sheet.column_dimensions.values()]
        assert widths, sheet.title
        assert all(6 <= width <= 62 for width in widths), f"{sheet.title}: {widths}"
    svar = workbook["Svar"].column_dimensions
    assert svar["A"].width < svar["B"].width  # "Svar 1" is narrower than organisation names
    assert workbook["Fritext"]["G2"].alignment.wrap_text


def test_it_summarises_the_round(exported: tuple[ExportRound, Workbook]) -> None:
    _, workbook = exported
    facts = by_first_column(workbook, "Sammanfattning")
    assert facts["Enkät"][1] == "Provenkät"
    assert facts["Enkätens id"][1] == "prov"
    assert facts["Version"][1] == "1"
    assert facts["Omgång"][1] == "Årlig enkät 2025"
    assert facts["Delregion"][1] == "Nordvästra Skåne (NV)"
    assert facts["Referensdatum"][1] == datetime(2025, 12, 31)
    assert isinstance(facts["Öppnar"][1], datetime)
    assert facts["Exporterad"][1] == datetime(2026, 1, 15, 13, 30)  # Stockholm time
    assert facts["Inbjudna"][1] == 6
    assert facts["Svarande"][1] == 4
    assert facts["Svarsfrekvens"][1] == pytest.approx(4 / 6)
    assert workbook["Sammanfattning"]["B13"].number_format == "0.0%"
    assert facts["Variant"][1] == "pseudonymiserad"
    assert "namn och e-postadresser är borttagna" in facts["Personuppgifter"][1]
    assert facts["Kommun"][1:4] == (2, 1, 0.5)
    assert facts["Regional primärvård"][1:4] == (2, 2, 1.0)
    assert facts["Sjukhus/slutenvård"][1:4] == (1, 1, 1.0)
    assert facts["Psykiatri"][1:4] == (1, 0, 0.0)
    assert facts["Totalt"][1:4] == pytest.approx((6, 4, 4 / 6))


def test_it_writes_one_row_per_response_with_labels_numbers_and_dates(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    sheet = workbook["Svar"]
    ids = header_of(workbook, "Svar", 1)
    texts = header_of(workbook, "Svar", 2)
    assert ids[:7] == [
        "Svar-id", "Organisation", "Organisationstyp", "Kommun", "Delregion", "Inskickat",
        "Importerat",
    ]  # fmt: skip
    assert ids[7:] == [question.id for question in sample_questionnaire().questions]
    assert texts[ids.index("sip_okning")] == "Kan man se en ökning av SIP?"
    rows = [dict(zip(ids, row, strict=False)) for row in rows_of(workbook, "Svar", skip=2)]
    assert [row["Svar-id"] for row in rows] == ["Svar 1", "Svar 2", "Svar 3", "Svar 4"]
    first = rows[0]
    # The amended response counts as amended: the second version.
    assert first["sip_okning"] == "Ja"
    assert first["omraden"] == "Fallrisk; Undernäring"
    assert first["nojdhet"] == "Mycket nöjd"
    assert first["forum"] == "Lokal samverkan"
    assert first["utbildning"] == pytest.approx(0.8)
    assert first["dygn"] == 2.5
    assert first["startdatum"] == datetime(2025, 3, 1)
    assert first["vecka"] == "vecka 9 år 2025"  # as the pages show a week
    assert first["npo"] == "Ja"
    assert first["Organisationstyp"] == "Kommun"
    assert first["Importerat"] == "nej"
    assert first["Inskickat"] == datetime(2025, 11, 2, 9, 0)  # 08:00 UTC, Stockholm winter time
    assert rows[2]["Importerat"] == "ja"
    assert rows[3]["sip_okning"] == "Ej aktuellt"
    assert rows[1]["npo"] is None  # not asked of a vårdcentral
    cells = {name: sheet.cell(3, ids.index(name) + 1) for name in ids}
    assert cells["utbildning"].data_type == "n" and cells["utbildning"].number_format == "0.0%"
    assert cells["dygn"].data_type == "n"
    assert cells["startdatum"].is_date and cells["startdatum"].number_format == "yyyy-mm-dd"
    assert cells["Inskickat"].is_date and cells["Inskickat"].number_format == "yyyy-mm-dd hh:mm"
    assert "Namn" not in ids and "E-post" not in ids


def test_it_writes_the_identifying_variant_with_names_and_emails(
    app: Flask, tmp_path: Path
) -> None:
    with app.app_context():
        made = make_export_round()
        summary = build_workbook(made.round_id, identifying=True, out=tmp_path / "id.xlsx")
    workbook = read_workbook(tmp_path / "id.xlsx")
    assert summary.identifying
    ids = header_of(workbook, "Svar", 1)
    assert ids[:3] == ["Svar-id", "Namn", "E-post"]
    rows = rows_of(workbook, "Svar", skip=2)
    assert [row[1:3] for row in rows] == [
        ("Karin Öberg", "karin.oberg@angelholm.example.se"),
        ("Lars Nilsson", "lars.nilsson@vc-angelholm.example.se"),
        ("Åsa Ek", "asa.ek@vc-hoganas.example.se"),
        ("Per Persson", "per.persson@sjukhus.example.se"),
    ]
    assert header_of(workbook, "Bortfall")[:2] == ["Namn", "E-post"]
    assert by_first_column(workbook, "Sammanfattning")["Variant"][1] == "identifierande"


def test_it_breaks_indicators_down_by_group_with_n(exported: tuple[ExportRound, Workbook]) -> None:
    _, workbook = exported
    assert header_of(workbook, "Per organisationstyp") == [
        "Indikator", "Beskrivning", "Alla", "Alla (n)", "Kommun", "Kommun (n)",
        "Regional primärvård", "Regional primärvård (n)", "Sjukhus/slutenvård",
        "Sjukhus/slutenvård (n)",
    ]  # fmt: skip
    by_type = by_first_column(workbook, "Per organisationstyp")
    assert set(by_type) == {"1a.1b", "1a.1a", "1b.2a", "1a.5"}  # not the free-text indicator
    # 1a.1b: kommun 1 of 1, regional PV 1 of 2, slutenvård only Ej aktuellt (n 0).
    assert by_type["1a.1b"][2:] == pytest.approx((0.667, 3, 1.0, 1, 0.5, 2, None, 0))
    assert header_of(workbook, "Per kommun")[4:] == [
        "Helsingborg", "Helsingborg (n)", "Höganäs", "Höganäs (n)", "Ängelholm", "Ängelholm (n)",
    ]  # fmt: skip
    by_kommun = by_first_column(workbook, "Per kommun")
    assert by_kommun["1a.1a"][2:] == pytest.approx((0.501, 4, 0.2, 1, 0.405, 1, 0.7, 2))


def test_it_collates_free_text_in_collate_free_text_order(
    app: Flask, exported: tuple[ExportRound, Workbook]
) -> None:
    made, workbook = exported
    rows = rows_of(workbook, "Fritext")
    assert rows == [
        ("kommentar", "Kort kommentar", "Svar 1", "Ängelholms kommun", "Kommun", "Ängelholm",
         "Bra samverkan"),
        ("beskrivning", "Beskriv arbetet", "Svar 1", "Ängelholms kommun", "Kommun", "Ängelholm",
         "Vi har gemensamma SIP-möten varje vecka."),
        ("beskrivning", "Beskriv arbetet", "Svar 2", "Vårdcentralen Ängelholm",
         "Regional primärvård", "Ängelholm", "- punkt ett\n- punkt två"),
    ]  # fmt: skip
    with app.app_context():
        round_ = db.session.get(Round, made.round_id)
        assert round_ is not None
        questionnaire = questionnaire_of(round_.questionnaire_version)
        frame = load_responses_frame(made.round_id, questionnaire)
        expected = [
            (collated.question.id, [answer.response_id for answer in collated.answers])
            for collated in collate_free_text(questionnaire, frame)
        ]
        ids = frame["response_id"].to_numpy()
        ours = [(q.id, ids[rows].tolist()) for q, rows in free_text_rows(questionnaire, frame)]
        assert ours == expected


def test_it_orders_free_text_as_collate_free_text_does_for_many_organisations(app: Flask) -> None:
    from tests.export_helpers import respondent

    with app.app_context():
        round_ = make_round()
        made = ExportRound(round_id=round_.id)
        places = [("Östra Göinge", "kommun"), ("Åstorp", "regional_pv"), ("Bjuv", "annan"),
                  ("Ängelholm", "kommun"), ("Eslöv", "psykiatri"), ("Ystad", "regional_pv"),
                  ("Lund", "okand_typ"), ("Malmö", "okand_annan")]  # fmt: skip
        for number in range(24):
            kommun, kind = places[number % len(places)]
            respondent(
                round_,
                made,
                {"sip_okning": "ja", "kommentar": f"Svar {number}", "beskrivning": " "},
                organisation=f"{'Östra ' if number % 4 == 0 else ''}Enhet {number % 5}",
                organisation_type=kind,
                kommun=kommun,
            )
        questionnaire = questionnaire_of(round_.questionnaire_version)
        frame = load_responses_frame(round_.id, questionnaire)
        ids = frame["response_id"].to_numpy()
        ours = [(q.id, ids[rows].tolist()) for q, rows in free_text_rows(questionnaire, frame)]
        theirs = [
            (c.question.id, [a.response_id for a in c.answers])
            for c in collate_free_text(questionnaire, frame)
        ]
    assert ours == theirs
    assert len(ours[0][1]) == 24 and ours[1][1] == []  # white space only is no answer


def test_it_lists_recipients_without_a_submitted_response(
    exported: tuple[ExportRound, Workbook],
) -> None:
    _, workbook = exported
    assert header_of(workbook, "Bortfall") == [
        "Organisation", "Organisationstyp", "Kommun", "Inbjuden", "Påminnelser",
        "Senaste kontakt", "Utkast påbörjat", "Avanmäld från utskick",
    ]  # fmt: skip
    rows = rows_of(workbook, "Bortfall")
    assert rows == [
        ("Höganäs kommun", "Kommun", "Höganäs", datetime(2025, 10, 1, 9, 0), 0,
         datetime(2025, 10, 1, 9, 0), "nej", "ja"),
        ("Vårdcentralen Båstad", "Regional primärvård", "Båstad", None, 0, None, "nej", "nej"),
        ("Vuxenpsykiatri Helsingborg", "Psykiatri", "Helsingborg", datetime(2025, 10, 1, 9, 0),
         2, datetime(2025, 10, 15, 9, 0), "ja", "nej"),
    ]  # fmt: skip
    assert all("Borttagen" not in str(row) for row in rows)  # removed recipients are not listed


def test_it_counts_invited_recipients_as_load_recipients_frame_does(app: Flask) -> None:
    with app.app_context():
        made = make_export_round()
        frame = load_responses_frame(made.round_id)
        ours = invited_recipients(frame, load_non_respondents(made.round_id))
        theirs = load_recipients_frame(made.round_id)
        for by in (None, "organisation_type", "kommun", "delregion"):
            assert response_rates(ours, by).to_dict() == response_rates(theirs, by).to_dict(), by


def test_it_shows_the_trend_over_rounds(exported: tuple[ExportRound, Workbook]) -> None:
    _, workbook = exported
    assert header_of(workbook, "Trend") == [
        "Indikator", "Beskrivning", "2023-12-31", "2024-12-31", "2025-12-31",
    ]  # fmt: skip
    trend = by_first_column(workbook, "Trend")
    assert set(trend) == {"1a.1b", "1a.1a", "1b.2a", "1a.5"}
    assert trend["1a.1b"][2:] == pytest.approx((1.0, 0.5, 0.667))
    assert trend["1a.1a"][2:] == pytest.approx((0.5, 0.5, 0.501))
    assert trend["1a.5"][2:] == (None, None, 1.0)
    assert workbook["Trend"]["E2"].number_format == "0.0%"


def test_it_exports_a_round_without_responses(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        round_ = make_round(make_questionnaire_version())
        db.session.commit()
        summary = build_workbook(round_.id, identifying=False, out=tmp_path / "empty.xlsx")
    workbook = read_workbook(tmp_path / "empty.xlsx")
    assert (summary.responses, summary.non_respondents, summary.free_text_answers) == (0, 0, 0)
    assert workbook.sheetnames == list(SHEET_NAMES)
    assert rows_of(workbook, "Svar", skip=2) == []
    statuses = {row[0]: row[9] for row in rows_of(workbook, "Indikatorer") if row[0]}
    assert set(statuses.values()) == {"för få svar", "inget mål"}
    assert workbook["Indikatorer"]._charts == []


def test_it_refuses_an_unknown_round(app: Flask, tmp_path: Path) -> None:
    with app.app_context(), pytest.raises(LookupError, match="round 999 does not exist"):
        build_workbook(999, identifying=False, out=tmp_path / "x.xlsx")


def test_it_writes_to_a_file_object(app: Flask) -> None:
    import io

    with app.app_context():
        made = make_export_round()
        buffer = io.BytesIO()
        build_workbook(made.round_id, identifying=False, out=buffer)
    assert read_workbook(buffer.getvalue()).sheetnames == list(SHEET_NAMES)


@pytest.mark.parametrize(
    ("value", "kind", "stored"),
    [
        (66.66666, ValueKind.PERCENT, 0.667),
        (65.8, ValueKind.PERCENT, 0.658),
        (74.95, ValueKind.PERCENT, 0.75),  # rounded half up, as the status is judged
        (100.0, ValueKind.PERCENT, 1.0),
        (12.345, ValueKind.DECIMAL, 12.3),
        (7.0, ValueKind.COUNT, 7.0),
        (None, ValueKind.PERCENT, None),
        (float("nan"), ValueKind.DECIMAL, None),
    ],
)
def test_it_stores_values_as_displayed(value: float | None, kind: ValueKind, stored: Any) -> None:
    assert cell_value(value, kind) == stored


def test_it_computes_the_change_from_the_displayed_values() -> None:
    assert change_value(66.66666, 50.0, ValueKind.PERCENT) == 0.167
    assert change_value(50.0, 66.66666, ValueKind.PERCENT) == -0.167
    assert change_value(50.0, None, ValueKind.PERCENT) is None


def test_it_shows_shares_and_means_of_percentages_as_percent() -> None:
    questionnaire = sample_questionnaire()
    kinds = {item.id: value_kind(item, questionnaire) for item in questionnaire.indicators}
    assert kinds == {
        "1a.1b": ValueKind.PERCENT,
        "1a.1a": ValueKind.PERCENT,
        "1b.2a": ValueKind.PERCENT,
        "1a.5": ValueKind.PERCENT,
        "1b.2b": ValueKind.COUNT,
    }


def test_it_exports_the_shipped_nv_questionnaire_with_realistic_answers(
    app: Flask, tmp_path: Path
) -> None:
    from tests.realistic_data import generate_round

    with app.app_context():
        generated = generate_round(responses=300, reference_date=date(2025, 12, 31))
        summary = build_workbook(generated.round_id, identifying=False, out=tmp_path / "nv.xlsx")
    workbook = read_workbook(tmp_path / "nv.xlsx")
    assert summary.responses == 300
    assert summary.non_respondents == generated.recipients - 300
    assert len(rows_of(workbook, "Svar", skip=2)) == 300
    assert len(rows_of(workbook, "Indikatorer")) >= 23
    ids = header_of(workbook, "Svar")
    assert ids[7:] == [question.id for question in generated.questionnaire.questions]


def test_it_numbers_dates_as_excel_and_write_datetime_do() -> None:
    import pandas as pd
    from xlsxwriter.utility import _datetime_to_excel_datetime

    from survey.export.answers_sheets import excel_serials

    moments = [
        datetime(1900, 2, 28, tzinfo=UTC),
        datetime(1900, 3, 1, tzinfo=UTC),
        datetime(2025, 3, 30, 0, 59, tzinfo=UTC),  # 01:59 before summer time begins
        datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # 03:00 summer time
        datetime(2025, 10, 26, 0, 30, 15, 500_000, tzinfo=UTC),
        datetime(2100, 12, 31, 23, 0, tzinfo=UTC),
    ]
    column = pd.Series(pd.to_datetime(pd.Series([*moments, None], dtype=object), utc=True).array)
    serials = excel_serials(column)
    expected = [_datetime_to_excel_datetime(local_time(moment), False, False) for moment in moments]
    assert serials[:-1].tolist() == pytest.approx(expected, abs=1e-9)
    assert serials[-1] != serials[-1]  # NaT is NaN: a blank cell


def local_time(moment: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Stockholm")).replace(tzinfo=None)
