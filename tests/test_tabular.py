"""Reading uploaded tables: formats, encodings, row numbers, limits and refusals."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time

import openpyxl
import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

import survey.tabular.model
import survey.tabular.reading
import survey.tabular.xlsx_reader
from survey.errors import ErrorCode
from survey.tabular import (
    ColumnMap,
    ColumnSpec,
    TableError,
    column_letter,
    match_columns,
    read_table,
)
from survey.tabular.csv_reader import sniff_delimiter
from survey.tabular.headers import normalise_header
from survey.tabular.xlsx_reader import cell_text


def xlsx_bytes(fill: Callable[[Worksheet], None]) -> bytes:
    output = io.BytesIO()
    # Excel gives every date cell a date format; without one a date is just a number.
    workbook = xlsxwriter.Workbook(
        output, {"in_memory": True, "default_date_format": "yyyy-mm-dd hh:mm"}
    )
    fill(workbook.add_worksheet("Blad1"))
    workbook.close()
    return output.getvalue()


def xlsx_rows(rows: Sequence[Sequence[object]]) -> bytes:
    def fill(sheet: Worksheet) -> None:
        for index, row in enumerate(rows):
            sheet.write_row(index, 0, row)

    return xlsx_bytes(fill)


def rezip(data: bytes, extra: dict[str, bytes] | None = None, drop: Sequence[str] = ()) -> bytes:
    """Copy a zip, leaving members out and adding others, all deflated."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in drop:
                target.writestr(info.filename, source.read(info))
        for name, content in (extra or {}).items():
            target.writestr(name, content, compresslevel=9)
    return output.getvalue()


def bomb_member(size: int) -> bytes:
    return b"\0" * size


# --- Good files ----------------------------------------------------------------------------


def test_it_reads_an_xlsx_with_values_as_the_user_sees_them() -> None:
    data = xlsx_rows(
        [
            ["Namn", "Antal", "Andel", "Datum", "Tid", "Klar", "Stort"],
            ["  Åsa Öberg ", 5, 0.25, date(2025, 12, 31), None, True, 46701234567],
            ["Bo", 7.0, 1 / 3, datetime(2025, 1, 2, 8, 30), None, False, 1.5e20],
        ]
    )
    table = read_table(data, "Mottagare.XLSX")
    assert table.headers == ["Namn", "Antal", "Andel", "Datum", "Tid", "Klar", "Stort"]
    assert table.file_format == "xlsx"
    assert [row.number for row in table.rows] == [2, 3]
    assert table.rows[0].values == (
        "Åsa Öberg",
        "5",
        "0.25",
        "2025-12-31",
        "",
        "SANT",
        "46701234567",
    )
    assert table.rows[1].values == (
        "Bo",
        "7",
        "0.333333333333333",
        "2025-01-02 08:30",
        "",
        "FALSKT",
        "1.5e+20",
    )


def test_it_skips_empty_rows_in_an_xlsx_and_keeps_excel_row_numbers() -> None:
    def fill(sheet: Worksheet) -> None:
        sheet.write_row(2, 0, ["Namn", "E-post"])  # header on row 3
        sheet.write_row(3, 0, ["Anna", "anna@example.com"])
        sheet.write_row(4, 0, ["", "  "])  # blank-looking row
        sheet.write(5, 3, None, None)  # a formatted empty cell only
        sheet.write_row(9, 0, ["Bo", "bo@example.com"])

    table = read_table(xlsx_bytes(fill), "mottagare.xlsx")
    assert table.header_row == 3
    assert [(row.number, row.values) for row in table.rows] == [
        (4, ("Anna", "anna@example.com")),
        (10, ("Bo", "bo@example.com")),
    ]


def test_it_says_when_the_first_sheet_is_empty() -> None:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    workbook.add_worksheet("Tom")
    workbook.add_worksheet("Mottagare").write_row(0, 0, ["Namn", "Anna"])
    workbook.close()
    with pytest.raises(TableError, match="Första bladet i Excel-filen är tomt") as caught:
        read_table(output.getvalue(), "a.xlsx")
    assert caught.value.code is ErrorCode.TABLE_EMPTY


def test_it_describes_how_a_file_was_read() -> None:
    assert read_table(xlsx_rows([["a"], ["1"]]), "a.xlsx").description == (
        "Excel-arbetsbok (.xlsx), första bladet"
    )
    assert read_table("a;b\n1;ö\n".encode("cp1252"), "a.csv").description == (
        "CSV-fil, teckenkodning Windows-1252, avgränsare semikolon"
    )
    assert read_table(b"a\tb\n1\t2\n", r"C:\fakepath\lista.CSV ").description == (
        "CSV-fil, teckenkodning UTF-8, avgränsare tabb"
    )


def test_it_reads_the_first_visible_sheet_of_an_xlsx() -> None:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    hidden = workbook.add_worksheet("Gammal")
    hidden.write_row(0, 0, ["Fel"])
    hidden.write_row(1, 0, ["fel"])
    visible = workbook.add_worksheet("Mottagare")
    visible.write_row(0, 0, ["Namn"])
    visible.write_row(1, 0, ["Rätt"])
    visible.activate()
    hidden.hide()
    workbook.close()
    table = read_table(output.getvalue(), "a.xlsx")
    assert table.headers == ["Namn"]
    assert table.rows[0].values == ("Rätt",)


def test_it_keeps_text_that_looks_like_a_formula_as_text() -> None:
    def fill(sheet: Worksheet) -> None:
        sheet.write_string(0, 0, "Namn")
        sheet.write_string(1, 0, "=1+2 (text)")  # a text cell, as Excel stores '=1+2 (text)

    table = read_table(xlsx_bytes(fill), "a.xlsx")
    assert table.rows[0].values == ("=1+2 (text)",)
    table = read_table(b'Namn;Org\n=HYPERLINK("x");+46 70\n@SUM(A1);-1\n', "a.csv")
    assert [row.values for row in table.rows] == [
        ('=HYPERLINK("x")', "+46 70"),
        ("@SUM(A1)", "-1"),
    ]


CSV_TEXT = "Namn;E-post;Organisation\r\nÅsa Öberg;asa@example.com;Vårdcentralen Höör\r\n"


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        pytest.param(CSV_TEXT.replace(";", ",").encode(), "utf-8", ",", id="utf8-comma"),
        pytest.param(CSV_TEXT.encode(), "utf-8", ";", id="utf8-semicolon"),
        pytest.param(b"\xef\xbb\xbf" + CSV_TEXT.encode(), "utf-8", ";", id="utf8-bom"),
        pytest.param(CSV_TEXT.encode("cp1252"), "windows-1252", ";", id="cp1252-semicolon"),
        pytest.param(CSV_TEXT.replace(";", "\t").encode(), "utf-8", "\t", id="tab"),
        pytest.param(CSV_TEXT.encode("utf-16"), "utf-16", ";", id="utf16-bom"),
        pytest.param(
            b"\xfe\xff" + CSV_TEXT.replace(";", "\t").encode("utf-16-be"),
            "utf-16",
            "\t",
            id="utf16-be-bom-tab",
        ),
        pytest.param(b"sep=;\r\n" + CSV_TEXT.encode(), "utf-8", ";", id="excel-sep-line"),
        pytest.param(CSV_TEXT.replace("\r\n", "\r").encode(), "utf-8", ";", id="old-mac-lines"),
    ],
)
def test_it_reads_csv_as_excel_saves_it(data: bytes, encoding: str, delimiter: str) -> None:
    table = read_table(data, "mottagare.csv")
    assert table.encoding == encoding
    assert table.delimiter == delimiter
    assert table.headers == ["Namn", "E-post", "Organisation"]
    assert [(row.number, row.values) for row in table.rows] == [
        (2, ("Åsa Öberg", "asa@example.com", "Vårdcentralen Höör"))
    ]
    assert table.description.startswith("CSV-fil, teckenkodning ")


def test_it_reads_quoted_csv_fields_with_delimiters_quotes_and_line_breaks() -> None:
    data = (
        "Namn,Organisation,Kommentar\r\n"
        '"Ek, Björn","Vårdcentralen ""Norra""","rad ett\r\nrad två"\r\n'
        "\r\n"
        'Anna,VC,"a;b"\r\n'
    ).encode()
    table = read_table(data, "a.csv")
    assert table.delimiter == ","
    # The quoted line break stays inside row 2; Excel shows the blank record as row 3.
    assert [(row.number, row.values) for row in table.rows] == [
        (2, ("Ek, Björn", 'Vårdcentralen "Norra"', "rad ett\nrad två")),
        (4, ("Anna", "VC", "a;b")),
    ]


def test_it_skips_empty_csv_rows_and_keeps_row_numbers() -> None:
    data = b"\r\n;;\r\nNamn;Kommun\r\n;\r\nAnna;Lund\r\n\r\n  ;  \r\nBo;Ystad\r\n\r\n"
    table = read_table(data, "a.csv")
    assert table.header_row == 3
    assert [(row.number, row.values) for row in table.rows] == [
        (5, ("Anna", "Lund")),
        (8, ("Bo", "Ystad")),
    ]


def test_it_pads_short_rows_and_gives_unnamed_wide_columns_an_empty_header() -> None:
    table = read_table(b"a;b\n1\n1;2;3\n", "a.csv")
    assert table.headers == ["a", "b", ""]
    assert [row.values for row in table.rows] == [("1", "", ""), ("1", "2", "3")]
    assert table.rows[0].value(7) == ""


def test_it_normalises_decomposed_letters_to_composed_ones() -> None:
    decomposed = "A\u030asa"  # "Åsa" as macOS may write it
    table = read_table(f"Namn\n{decomposed}\n".encode(), "a.csv")
    assert table.rows[0].values == ("Åsa",)


def test_it_accepts_exactly_the_row_limit() -> None:
    data = "Namn\n" + "".join(f"p{i}\n" for i in range(survey.tabular.model.MAX_ROWS))
    table = read_table(data.encode(), "a.csv")
    assert len(table.rows) == survey.tabular.model.MAX_ROWS
    assert table.rows[-1].number == survey.tabular.model.MAX_ROWS + 1


# --- Bad files -----------------------------------------------------------------------------


def docx_bytes() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return output.getvalue()


def plain_zip() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("readme.txt", "hej")
    return output.getvalue()


def formula_workbook() -> bytes:
    def fill(sheet: Worksheet) -> None:
        sheet.write_row(0, 0, ["Namn", "E-post"])
        sheet.write_row(1, 0, ["Anna", "anna@example.com"])
        sheet.write(2, 0, "Bo")
        sheet.write_formula(2, 1, '=LOWER("BO@EXAMPLE.COM")', None, "bo@example.com")
        sheet.write_formula(3, 1, '="x"&"y"')

    return xlsx_bytes(fill)


def error_value_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Namn", "Antal"])
    sheet.append(["Anna", "#N/A"])  # openpyxl stores this as an error cell
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def too_many_rows_workbook() -> bytes:
    def fill(sheet: Worksheet) -> None:
        sheet.write(0, 0, "Namn")
        for index in range(1, survey.tabular.model.MAX_ROWS + 2):
            sheet.write(index, 0, index)

    return xlsx_bytes(fill)


def broken_sheet_workbook() -> bytes:
    data = xlsx_rows([["Namn"], ["Anna"]])
    return rezip(
        data,
        extra={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row r='1'><c"},
        drop=["xl/worksheets/sheet1.xml"],
    )


def billion_laughs_workbook() -> bytes:
    entities = "".join(
        f'<!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">' for level in range(1, 10)
    )
    shared = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" '
        'uniqueCount="2"><si><t>Namn</t></si><si><t>&lol9;</t></si></sst>'
    )
    data = xlsx_rows([["Namn"], ["Anna"]])
    return rezip(
        data, extra={"xl/sharedStrings.xml": shared.encode()}, drop=["xl/sharedStrings.xml"]
    )


BAD_FILES = [
    pytest.param(lambda: b"", "a.csv", "Filen är tom", None, None, id="empty"),
    pytest.param(lambda: b"  \r\n\r\n ", "a.csv", "Filen är tom", None, None, id="whitespace only"),
    pytest.param(lambda: b";;\r\n;\r\n", "a.csv", "Filen är tom", None, None, id="empty rows only"),
    pytest.param(
        lambda: b"Namn;E-post\r\n\r\n", "a.csv", "bara en rubrikrad", 1, None, id="only a header"
    ),
    pytest.param(
        lambda: xlsx_rows([["Namn"]]),
        "a.xlsx",
        "bara en rubrikrad",
        1,
        None,
        id="only a header xlsx",
    ),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0",
        "a.xls",
        "gamla Excel-formatet (.xls)",
        None,
        None,
        id="old excel name",
    ),
    pytest.param(lambda: b"%PDF-1.7", "a.pdf", "Spara filen som .xlsx", None, None, id="pdf name"),
    pytest.param(
        docx_bytes, "brev.docx", "Filtypen .docx kan inte läsas", None, None, id="docx name"
    ),
    pytest.param(lambda: b"a;b", "mottagare", "saknar filändelse", None, None, id="no extension"),
    pytest.param(lambda: b"PK\x03\x04", "a.xlsm", "med makron", None, None, id="macro workbook"),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "a.xlsx",
        "gamla Excel-formatet (.xls) eller lösenordsskyddad",
        None,
        None,
        id="xls renamed xlsx",
    ),
    pytest.param(
        lambda: b"%PDF-1.7\n...", "a.xlsx", "Filen är en PDF", None, None, id="pdf renamed xlsx"
    ),
    pytest.param(
        docx_bytes, "a.xlsx", "Filen är ett Word-dokument", None, None, id="docx renamed xlsx"
    ),
    pytest.param(plain_zip, "a.xlsx", "Filen är en zip-fil", None, None, id="zip renamed xlsx"),
    pytest.param(
        lambda: CSV_TEXT.encode(),
        "a.xlsx",
        "inte en Excel-arbetsbok (.xlsx) trots sin filändelse",
        None,
        None,
        id="csv renamed xlsx",
    ),
    pytest.param(
        lambda: xlsx_rows([["Namn"], ["A"]])[:200],
        "a.xlsx",
        "skadad",
        None,
        None,
        id="truncated zip",
    ),
    pytest.param(
        broken_sheet_workbook, "a.xlsx", "kan inte läsas", None, None, id="broken sheet xml"
    ),
    pytest.param(
        billion_laughs_workbook, "a.xlsx", "kan inte läsas", None, None, id="billion laughs"
    ),
    pytest.param(
        lambda: rezip(
            xlsx_rows([["Namn"], ["A"]]), {"xl/media/big.bin": bomb_member(60 * 1024 * 1024)}
        ),
        "a.xlsx",
        "packas upp",
        None,
        None,
        id="zip bomb by size",
    ),
    pytest.param(
        lambda: rezip(
            xlsx_rows([["Namn"], ["A"]]), {"xl/media/dense.bin": bomb_member(20 * 1024 * 1024)}
        ),
        "a.xlsx",
        "hårt packad",
        None,
        None,
        id="zip bomb by ratio",
    ),
    pytest.param(
        lambda: rezip(
            xlsx_rows([["Namn"], ["A"]]),
            {f"xl/media/{i}.txt": b"" for i in range(survey.tabular.xlsx_reader.MAX_ZIP_MEMBERS)},
        ),
        "a.xlsx",
        "packas upp",
        None,
        None,
        id="zip with too many members",
    ),
    pytest.param(
        formula_workbook,
        "a.xlsx",
        "Cellen B3 innehåller en formel; klistra in värdet i stället",
        3,
        "E-post",
        id="formula cell",
    ),
    pytest.param(
        error_value_workbook,
        "a.xlsx",
        "Cellen B2 innehåller felvärdet #N/A",
        2,
        "Antal",
        id="error cell",
    ),
    pytest.param(
        too_many_rows_workbook,
        "a.xlsx",
        "fler än 20\N{NO-BREAK SPACE}000 rader",
        None,
        None,
        id="too many rows xlsx",
    ),
    pytest.param(
        lambda: ("Namn\n" + "x\n" * (survey.tabular.model.MAX_ROWS + 1)).encode(),
        "a.csv",
        "fler än 20\N{NO-BREAK SPACE}000 rader",
        None,
        None,
        id="too many rows csv",
    ),
    pytest.param(
        lambda: ("a;" * 201 + "\n" + "1\n").encode(),
        "a.csv",
        "fler än 200 kolumner",
        1,
        None,
        id="too many columns csv",
    ),
    pytest.param(
        lambda: xlsx_rows([["Namn"], ["x"] * 201]),
        "a.xlsx",
        "fler än 200 kolumner",
        2,
        None,
        id="too many columns xlsx",
    ),
    pytest.param(
        lambda: b"Namn;E-post\r\nAnna\x00\x01\x02;a@b.se\r\n",
        "a.csv",
        "innehåller binära data",
        None,
        None,
        id="csv with NUL bytes",
    ),
    pytest.param(
        lambda: CSV_TEXT.encode("utf-16-le"),
        "a.csv",
        "UTF-16 (Unicode-text) utan byte-ordningsmärke",
        None,
        None,
        id="utf-16 without BOM",
    ),
    pytest.param(
        lambda: xlsx_rows([["Namn"], ["A"]]),
        "a.csv",
        "har filändelsen .csv",
        None,
        None,
        id="xlsx renamed csv",
    ),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
        "a.csv",
        "gamla Excel-formatet (.xls) men har filändelsen .csv",
        None,
        None,
        id="xls renamed csv",
    ),
    pytest.param(
        lambda: b"Namn\r\n\x81\x8d\x8f\x90\x9d\r\n",
        "a.csv",
        "teckenkodning känns inte igen",
        None,
        None,
        id="neither utf-8 nor windows-1252",
    ),
    pytest.param(
        lambda: b'Namn;Org\r\nAnna;"VC Lund\r\nBo;VC Ystad\r\n',
        "a.csv",
        "avslutas aldrig",
        2,
        None,
        id="unterminated quote",
    ),
]


# The code of each refusal above, by the fragment of its message.
BAD_FILE_CODES = {
    "Filen är tom": ErrorCode.TABLE_EMPTY,
    "bara en rubrikrad": ErrorCode.TABLE_HEADER_ONLY,
    "gamla Excel-formatet (.xls)": ErrorCode.TABLE_UNSUPPORTED_EXTENSION,
    "Spara filen som .xlsx": ErrorCode.TABLE_UNSUPPORTED_EXTENSION,
    "Filtypen .docx kan inte läsas": ErrorCode.TABLE_UNSUPPORTED_EXTENSION,
    "saknar filändelse": ErrorCode.TABLE_UNSUPPORTED_EXTENSION,
    "med makron": ErrorCode.TABLE_UNSUPPORTED_EXTENSION,
    "gamla Excel-formatet (.xls) eller lösenordsskyddad": ErrorCode.TABLE_WRONG_FORMAT,
    "Filen är en PDF": ErrorCode.TABLE_WRONG_FORMAT,
    "Filen är ett Word-dokument": ErrorCode.TABLE_WRONG_FORMAT,
    "Filen är en zip-fil": ErrorCode.TABLE_WRONG_FORMAT,
    "inte en Excel-arbetsbok (.xlsx) trots sin filändelse": ErrorCode.TABLE_WRONG_FORMAT,
    "har filändelsen .csv": ErrorCode.TABLE_WRONG_FORMAT,
    "gamla Excel-formatet (.xls) men har filändelsen .csv": ErrorCode.TABLE_WRONG_FORMAT,
    "skadad": ErrorCode.TABLE_CORRUPT,
    "kan inte läsas": ErrorCode.TABLE_CORRUPT,
    "packas upp": ErrorCode.TABLE_ZIP_BOMB,
    "hårt packad": ErrorCode.TABLE_ZIP_BOMB,
    "Cellen B3 innehåller en formel; klistra in värdet i stället": ErrorCode.TABLE_BAD_CELL,
    "Cellen B2 innehåller felvärdet #N/A": ErrorCode.TABLE_BAD_CELL,
    "fler än 20\u00a0000 rader": ErrorCode.TABLE_TOO_MANY_ROWS,
    "fler än 200 kolumner": ErrorCode.TABLE_TOO_MANY_COLUMNS,
    "innehåller binära data": ErrorCode.TABLE_BINARY,
    "UTF-16 (Unicode-text) utan byte-ordningsmärke": ErrorCode.TABLE_BAD_ENCODING,
    "teckenkodning känns inte igen": ErrorCode.TABLE_BAD_ENCODING,
    "avslutas aldrig": ErrorCode.TABLE_BAD_CSV,
}


@pytest.mark.parametrize(
    ("make", "filename", "fragment", "row", "column"),
    BAD_FILES,
)
def test_it_refuses_bad_files_with_a_swedish_message(
    make: Callable[[], bytes], filename: str, fragment: str, row: int | None, column: str | None
) -> None:
    with pytest.raises(TableError) as caught:
        read_table(make(), filename)
    assert fragment in caught.value.message
    assert caught.value.row == row
    assert caught.value.column == column
    assert caught.value.code is BAD_FILE_CODES[fragment]


def test_it_describes_where_an_error_is_and_how_many_cells_share_it() -> None:
    with pytest.raises(TableError) as caught:
        read_table(formula_workbook(), "a.xlsx")
    assert str(caught.value).startswith("Rad 3, kolumn E-post: Cellen B3 innehåller en formel")
    assert str(caught.value).endswith("Samma gäller 1 annan cell.")


def test_it_refuses_a_file_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey.tabular.reading, "MAX_FILE_BYTES", 1024)
    with pytest.raises(TableError, match="Filen är för stor") as caught:
        read_table(b"Namn\n" + b"x\n" * 1000, "a.csv")
    assert caught.value.code is ErrorCode.TABLE_TOO_LARGE


@pytest.mark.parametrize(
    ("setting", "member_size"),
    [
        pytest.param("MAX_COMPRESSION_RATIO", 60 * 1024 * 1024, id="size alone"),
        pytest.param("MAX_UNCOMPRESSED_BYTES", 20 * 1024 * 1024, id="ratio alone"),
    ],
)
def test_it_refuses_a_zip_bomb_by_each_limit_alone(
    monkeypatch: pytest.MonkeyPatch, setting: str, member_size: int
) -> None:
    monkeypatch.setattr(survey.tabular.xlsx_reader, setting, 10**12)  # switch the other check off
    data = rezip(xlsx_rows([["Namn"], ["A"]]), {"xl/media/big.bin": bomb_member(member_size)})
    assert len(data) < 200 * 1024
    with pytest.raises(TableError, match="packas upp") as caught:
        read_table(data, "a.xlsx")
    assert caught.value.code is ErrorCode.TABLE_ZIP_BOMB


def test_it_refuses_an_encrypted_zip_member() -> None:
    data = bytearray(xlsx_rows([["Namn"], ["A"]]))
    # zipfile cannot write encrypted members: set the "encrypted" flag in the central directory.
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(TableError, match="krypterad eller lösenordsskyddad") as caught:
        read_table(bytes(data), "a.xlsx")
    assert caught.value.code is ErrorCode.TABLE_ENCRYPTED


def test_it_accepts_exactly_the_column_limit() -> None:
    headers = [f"k{index}" for index in range(survey.tabular.model.MAX_COLUMNS)]
    for data, name in (
        (xlsx_rows([headers, headers]), "a.xlsx"),
        ((";".join(headers) + "\n").encode() * 2, "a.csv"),
    ):
        table = read_table(data, name)
        assert len(table.headers) == survey.tabular.model.MAX_COLUMNS
        assert table.rows[0].values[-1] == f"k{survey.tabular.model.MAX_COLUMNS - 1}"


def test_it_reads_a_small_file_whose_members_compress_well() -> None:
    # A highly compressible member below the ratio threshold is ordinary, not a bomb.
    data = rezip(xlsx_rows([["Namn"], ["A"]]), {"xl/media/small.bin": bomb_member(512 * 1024)})
    assert read_table(data, "a.xlsx").rows[0].values == ("A",)


# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("text", "text"),
        (5, "5"),
        (5.0, "5"),
        (-12.0, "-12"),
        (0.1 + 0.2, "0.3"),
        (2.5, "2.5"),
        (True, "SANT"),
        (False, "FALSKT"),
        (date(2025, 12, 31), "2025-12-31"),
        (datetime(2025, 12, 31), "2025-12-31"),
        (datetime(2025, 12, 31, 14, 5), "2025-12-31 14:05"),
        (datetime(2025, 12, 31, 14, 5, 9), "2025-12-31 14:05:09"),
        (time(8, 30), "08:30"),
    ],
)
def test_it_turns_cell_values_into_text(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (16383, "XFD")]
)
def test_it_names_columns_like_excel(index: int, letter: str) -> None:
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a;b;c\n1;2;3", ";"),
        ("a,b,c\n1,2,3", ","),
        ("a\tb\tc\n1\t2\t3", "\t"),
        ('"Namn, fullständigt";E-post\n', ";"),
        ("Namn\nAnna;Lund\n", ";"),
        ("Namn\nAnna\n", ","),
        ("\n\na,b;c,d\n", ","),
    ],
)
def test_it_sniffs_the_delimiter_from_the_header_line(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


SPEC = (
    ColumnSpec("name", "Namn", ("Name",)),
    ColumnSpec("email", "E-post", ("E-postadress", "Email", "Mail")),
    ColumnSpec("type", "Organisationstyp", ("Typ av organisation", "Organisation type")),
    ColumnSpec("note", "Anteckning", required=False),
)


def test_it_matches_headers_by_spelling_case_accents_and_punctuation() -> None:
    headers = [" ORGANISATION TYPE ", "e-postadress", "", "Telefon", "namn (för- och efternamn)"]
    matched = match_columns(headers, SPEC)
    assert isinstance(matched, ColumnMap)
    assert dict(matched.positions) == {"type": 0, "email": 1, "name": 4}
    assert matched.header("email") == "e-postadress"
    assert matched.unknown == (3,)
    assert matched.unnamed == (2,)
    assert not matched.has("note")
    assert normalise_header("Typ av organisation") == "typavorganisation"
    assert normalise_header("Önskad  Ålder") == "onskadalder"


def test_it_reports_missing_and_duplicate_columns() -> None:
    problems = match_columns(["Mail", "Namn", "E-post", "Name"], SPEC)
    assert isinstance(problems, list)
    messages = [problem.message for problem in problems]
    assert messages[0].startswith(
        'Kolumnen för E-post finns flera gånger: kolumn A ("Mail") och kolumn C ("E-post")'
    )
    assert messages[1].startswith("Kolumnen för Namn finns flera gånger")
    assert messages[2] == (
        'Kolumnen "Organisationstyp" saknas i rubrikraden. Godkända rubriker: '
        "Organisationstyp, Typ av organisation, Organisation type."
    )
    assert [problem.column for problem in problems] == ["E-post", "Name", "Organisationstyp"]


def test_it_refuses_an_ambiguous_column_spec() -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        match_columns(["a"], [ColumnSpec("a", "Typ"), ColumnSpec("b", "TYP ")])


def test_it_imports_no_database_or_web_form_code() -> None:
    code = (
        "import sys, survey.tabular, survey.rounds.recipients_file\n"
        "heavy = {'sqlalchemy', 'flask_sqlalchemy', 'wtforms', 'openpyxl', 'xlsxwriter',"
        " 'pandas'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
