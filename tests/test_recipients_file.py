"""Reading a recipients file and checking one recipient: good files, every kind of bad row."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import ColumnElement, String

from survey.organisations import OrganisationType
from survey.rounds import recipients_file
from survey.rounds.recipients_file import (
    RecipientRow,
    RecipientsParse,
    check_recipient_fields,
    parse_recipients_file,
    recipients_template_csv,
    recipients_template_xlsx,
)
from survey.schema.rounds import Recipient

HEADERS = ["Namn", "E-post", "Organisation", "Organisationstyp", "Kommun", "Delregion"]
ROWS = [
    ["Anna Andersson", "Anna.Andersson@Skane.se", "Vårdcentralen Ängelholm", "Regional PV",
     "Ängelholm", "NV"],
    ["Björn Ek", "bjorn.ek@angelholm.se", "Hemsjukvården Ängelholm", "Kommun",
     "Ängelholms kommun", "Nordväst"],
    ["Örjan Åberg", "orjan.aberg@skane.se", "Psykiatrin Helsingborg", "psykiatri",
     "Helsingborg", "nv"],
]  # fmt: skip
EXPECTED = [
    RecipientRow(
        "Anna Andersson",
        "anna.andersson@skane.se",
        "Vårdcentralen Ängelholm",
        OrganisationType.REGIONAL_PV,
        "Ängelholm",
        "NV",
    ),
    RecipientRow(
        "Björn Ek",
        "bjorn.ek@angelholm.se",
        "Hemsjukvården Ängelholm",
        OrganisationType.KOMMUN,
        "Ängelholm",
        "NV",
    ),
    RecipientRow(
        "Örjan Åberg",
        "orjan.aberg@skane.se",
        "Psykiatrin Helsingborg",
        OrganisationType.PSYKIATRI,
        "Helsingborg",
        "NV",
    ),
]


def xlsx(rows: Sequence[Sequence[object]], *, start_row: int = 0) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for index, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(start_row + index, column, value)
            elif value is not None:
                sheet.write(start_row + index, column, value)
    workbook.close()
    return output.getvalue()


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ";") -> str:
    output = io.StringIO()
    csv.writer(output, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return output.getvalue()


def reorder(rows: Sequence[Sequence[str]], order: Sequence[int]) -> list[list[str]]:
    return [[row[index] for index in order] for row in rows]


def assert_clean(result: RecipientsParse) -> None:
    assert [str(problem) for problem in result.problems] == []
    assert result.ok


# --- Good files ----------------------------------------------------------------------------


GOOD_FILES: list[object] = [
    pytest.param(lambda: xlsx([HEADERS, *ROWS]), "mottagare.xlsx", id="xlsx"),
    pytest.param(
        lambda: csv_text([HEADERS, *ROWS], ",").encode(), "mottagare.csv", id="csv-utf8-comma"
    ),
    pytest.param(
        lambda: b"\xef\xbb\xbf" + csv_text([HEADERS, *ROWS]).encode(),
        "mottagare.csv",
        id="csv-utf8-bom",
    ),
    pytest.param(
        lambda: csv_text([HEADERS, *ROWS]).encode("cp1252"), "mottagare.csv", id="csv-windows-1252"
    ),
    pytest.param(lambda: csv_text([HEADERS, *ROWS], "\t").encode(), "mottagare.csv", id="csv-tab"),
    pytest.param(
        lambda: csv_text([HEADERS, *ROWS]).encode("utf-16"), "mottagare.csv", id="csv-utf16-bom"
    ),
    pytest.param(
        lambda: csv_text(
            [
                [
                    "KOMMUN",
                    "e-postadress",
                    "namn",
                    "DelRegion",
                    "typ av organisation",
                    "ORGANISATION",
                ],
                *reorder(ROWS, [4, 1, 0, 5, 3, 2]),
            ]
        ).encode(),
        "Mottagare.CSV",
        id="other-order-mixed-case",
    ),
    pytest.param(
        lambda: xlsx(
            [
                ["Name", "Email", "Organization", "Organization type", "Municipality", "Subregion"],
                *ROWS,
            ]
        ),
        "recipients.xlsx",
        id="english-headers",
    ),
    pytest.param(
        lambda: csv_text(
            [["Namn", "Mail", "Organisation", "Typ av organisation", "Kommun", "Delregion"], *ROWS]
        ).encode(),
        "mottagare.csv",
        id="variant-headers",
    ),
]


@pytest.mark.parametrize(("make", "filename"), GOOD_FILES)
def test_it_reads_good_recipient_files(make: Callable[[], bytes], filename: str) -> None:
    result = parse_recipients_file(make(), filename)
    assert_clean(result)
    assert result.recipients == EXPECTED
    assert result.warnings == []


def test_it_reads_quoted_fields_with_separators_and_skips_empty_rows() -> None:
    data = (
        "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"
        "\r\n"
        '"Ek; Björn";bjorn@example.com;"Vårdcentralen ""Söder"", Lund";Regional PV;Lund;MS\r\n'
        ";;;;;\r\n"
        'Anna;anna@example.com;"Hälsan, Malmö";Annan;Malmö;SV\r\n'
    ).encode()
    result = parse_recipients_file(data, "a.csv")
    assert_clean(result)
    assert [(r.name, r.organisation) for r in result.recipients] == [
        ("Ek; Björn", 'Vårdcentralen "Söder", Lund'),
        ("Anna", "Hälsan, Malmö"),
    ]


def test_it_keeps_excel_row_numbers_when_rows_are_empty() -> None:
    empty: list[object] = [None] * 6
    rows: list[Sequence[object]] = [
        HEADERS,
        ROWS[0],
        empty,
        empty,
        ["Bo", "inte-en-adress", *ROWS[1][2:]],
    ]
    result = parse_recipients_file(xlsx(rows, start_row=1), "a.xlsx")
    assert [(p.row, p.column) for p in result.problems] == [(6, "E-post")]


def test_it_uses_the_rounds_delregion_for_empty_cells_and_a_missing_column() -> None:
    rows = [HEADERS, [*ROWS[0][:5], ""], ROWS[1]]
    result = parse_recipients_file(xlsx(rows), "a.xlsx", round_delregion="SV")
    assert_clean(result)
    assert [r.delregion for r in result.recipients] == ["SV", "NV"]
    without_column = [row[:5] for row in [HEADERS, *ROWS]]
    result = parse_recipients_file(xlsx(without_column), "a.xlsx", round_delregion="Sydöstra Skåne")
    assert_clean(result)
    assert {r.delregion for r in result.recipients} == {"SO"}


def test_it_cleans_values_and_writes_known_kommuner_the_usual_way() -> None:
    rows = [
        HEADERS,
        ["  Anna\u00a0 Andersson ", " mailto:ANNA@Example.COM ", "VC\u00a0 Höör", "Kommun",
         "HÖÖRS KOMMUN", "MS"],
        ["=Ek", "ek@example.com", "+Vårdcentralen", "annan", "malmö stad", "SV"],
    ]  # fmt: skip
    result = parse_recipients_file(xlsx(rows), "a.xlsx")
    assert_clean(result)
    first, second = result.recipients
    assert (first.name, first.email, first.organisation, first.kommun) == (
        "Anna Andersson",
        "anna@example.com",
        "VC Höör",
        "Höör",
    )
    # Text that looks like a formula stays text: nothing is evaluated, exports escape it.
    assert (second.name, second.organisation, second.kommun) == ("=Ek", "+Vårdcentralen", "Malmö")


def test_it_warns_about_unknown_columns_unnamed_values_and_kommuner_outside_skane() -> None:
    data = csv_text(
        [
            [*HEADERS, "Telefon"],
            [*ROWS[0][:4], "göteborgs stad", "NV", "040-123", "extra"],
        ]
    ).encode()
    result = parse_recipients_file(data, "a.csv")
    assert_clean(result)
    assert result.recipients[0].kommun == "Göteborg"
    assert [str(warning) for warning in result.warnings] == [
        'Rad 1, kolumn "Telefon": Kolumnen "Telefon" känns inte igen och läses inte.',
        'Rad 2, kolumn "Kommun": Göteborg är inte en av Skånes 33 kommuner (den ligger i '
        "Västra Götalands län). Kontrollera att det stämmer.",
        "Rad 2: Värdet i kolumn H har ingen rubrik och läses inte. Kontrollera att raden inte "
        "har ett extra skiljetecken.",
    ]


def length_of(column: ColumnElement[Any]) -> int | None:
    """The length of a text column (String(n))."""
    assert isinstance(column.type, String), column.type
    return column.type.length


def test_the_length_limits_match_the_recipients_table() -> None:
    columns = Recipient.__table__.c
    assert length_of(columns.name) == recipients_file.NAME_MAX_LENGTH
    assert length_of(columns.email) == recipients_file.EMAIL_MAX_LENGTH
    assert length_of(columns.organisation) == recipients_file.ORGANISATION_MAX_LENGTH
    assert length_of(columns.kommun) == recipients_file.KOMMUN_MAX_LENGTH


def test_it_accepts_values_of_exactly_the_maximum_length() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 63, "c" * 63, "d" * 58, "se"])
    email = f"{local}@{domain}"
    assert len(email) == 254
    # A kommun must be one of the reference list, so its length limit is never reached.
    row = ["N" * 200, email, "O" * 200, "Kommun", "Upplands-Bro", "NV"]
    result = parse_recipients_file(xlsx([HEADERS, row]), "a.xlsx")
    assert_clean(result)


# --- Bad files -----------------------------------------------------------------------------


def with_row(*cells: str) -> Callable[[], bytes]:
    """A CSV file with the standard header, one good row and then the given row (row 3)."""
    return lambda: csv_text([HEADERS, ROWS[0], list(cells)]).encode()


def good_row(**changes: str) -> list[str]:
    row = dict(zip(("name", "email", "org", "type", "kommun", "delregion"), ROWS[1], strict=True))
    row.update(changes)
    return list(row.values())


def formula_file() -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, ROWS[0])
    sheet.write_row(2, 0, ROWS[1])
    sheet.write_formula(2, 1, '=LOWER("BJORN.EK@ANGELHOLM.SE")')
    workbook.close()
    return output.getvalue()


def docx() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return output.getvalue()


def zip_bomb() -> bytes:
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([HEADERS, ROWS[0]]))) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        with target.open("xl/media/image1.png", "w") as member:
            for _ in range(60):
                member.write(b"\0" * (1024 * 1024))
    return output.getvalue()


# (make the file, filename, expected problems as (row, column, message fragment)).
BAD_FILES: list[object] = [
    pytest.param(
        with_row(*good_row(email="bjorn.ek(at)angelholm.se")),
        "a.csv",
        [(3, "E-post", '"bjorn.ek(at)angelholm.se" är inte en giltig e-postadress: @ saknas.')],
        id="bad email",
    ),
    pytest.param(
        with_row(*good_row(email="bjorn ek@angelholm.se")),
        "a.csv",
        [(3, "E-post", "den innehåller mellanslag")],
        id="email with a space",
    ),
    pytest.param(
        with_row(*good_row(email="björn@angelholm.se")),
        "a.csv",
        [(3, "E-post", "å, ä, ö och liknande tecken kan inte användas före @: 'ö'.")],
        id="email with å ä ö",
    ),
    pytest.param(
        with_row(*good_row(email="bjorn@angelholm")),
        "a.csv",
        [(3, "E-post", "delen efter @ saknar punkt")],
        id="email without a domain dot",
    ),
    pytest.param(
        with_row(*good_row(email="")),
        "a.csv",
        [(3, "E-post", "E-postadress saknas.")],
        id="empty email",
    ),
    pytest.param(
        with_row(*good_row(org="")),
        "a.csv",
        [(3, "Organisation", "Organisation saknas.")],
        id="empty organisation",
    ),
    pytest.param(
        with_row(*good_row(name=" ", kommun="")),
        "a.csv",
        [(3, "Namn", "Namn saknas."), (3, "Kommun", "Kommun saknas.")],
        id="empty name and kommun",
    ),
    pytest.param(
        with_row(*good_row(type="Apotek")),
        "a.csv",
        [
            (
                3,
                "Organisationstyp",
                'Okänd organisationstyp "Apotek". Ange en av: Kommun, Regional primärvård, '
                "Sjukhus/slutenvård, Psykiatri, Lokal samverkan, Annan.",
            )
        ],
        id="unknown organisation type",
    ),
    pytest.param(
        with_row(*good_row(type="")),
        "a.csv",
        [(3, "Organisationstyp", "Organisationstyp saknas. Ange en av: Kommun")],
        id="empty organisation type",
    ),
    pytest.param(
        with_row(*good_row(delregion="Västra Götaland")),
        "a.csv",
        [
            (
                3,
                "Delregion",
                'Okänd delregion "Västra Götaland". Ange en av: NV (Nordvästra Skåne), '
                "NO (Nordöstra Skåne)",
            )
        ],
        id="unknown delregion",
    ),
    pytest.param(
        with_row(*good_row(delregion="")),
        "a.csv",
        [(3, "Delregion", "Delregion saknas. Ange en av: NV (Nordvästra Skåne)")],
        id="empty delregion without a round delregion",
    ),
    pytest.param(
        lambda: csv_text(
            [HEADERS, ROWS[0], ROWS[1], good_row(email="ANNA.andersson@skane.SE", name="Anna A")]
        ).encode(),
        "a.csv",
        [
            (2, "E-post", "Samma e-postadress (anna.andersson@skane.se) finns också på rad 4."),
            (4, "E-post", "Samma e-postadress (anna.andersson@skane.se) finns också på rad 2."),
        ],
        id="duplicate email",
    ),
    pytest.param(
        lambda: csv_text(
            [HEADERS, ROWS[0], good_row(email=ROWS[0][1], org=""), good_row(email=ROWS[0][1])]
        ).encode(),
        "a.csv",
        [
            (2, "E-post", "finns också på rad 3 och 4."),
            (3, "E-post", "finns också på rad 2 och 4."),
            (3, "Organisation", "Organisation saknas."),
            (4, "E-post", "finns också på rad 2 och 3."),
        ],
        id="email three times",
    ),
    pytest.param(
        with_row(*good_row(email="redan@example.com")),
        "a.csv",
        [(3, "E-post", "redan@example.com finns redan bland omgångens mottagare.")],
        id="email already in the round",
    ),
    pytest.param(
        with_row(*good_row(name="N" * 201)),
        "a.csv",
        [(3, "Namn", "Värdet är för långt: 201 tecken, högst 200 tillåts.")],
        id="name too long",
    ),
    pytest.param(
        with_row(*good_row(org="O" * 201, kommun="K" * 101)),
        "a.csv",
        [
            (3, "Organisation", "201 tecken, högst 200 tillåts."),
            (3, "Kommun", "101 tecken, högst 100 tillåts."),
        ],
        id="organisation and kommun too long",
    ),
    pytest.param(
        with_row(*good_row(email="a" * 250 + "@x.se")),
        "a.csv",
        [(3, "E-post", "E-postadressen är för lång: 255 tecken, högst 254 tillåts.")],
        id="email too long",
    ),
    pytest.param(
        with_row(*good_row(name="Björn\nEk")),
        "a.csv",
        [(3, "Namn", "Innehåller ett otillåtet tecken (radbrytning).")],
        id="line break in a name",
    ),
    pytest.param(
        with_row(*good_row(org="Vård\u202ecentralen")),
        "a.csv",
        [(3, "Organisation", "otillåtet tecken (U+202E right-to-left override)")],
        id="direction override",
    ),
    pytest.param(
        with_row(*good_row(name="Björn\x07")),
        "a.csv",
        [(3, "Namn", "otillåtet tecken (U+0007, ett styrtecken)")],
        id="control character",
    ),
    pytest.param(
        lambda: csv_text(
            [[h for h in HEADERS if h != "E-post"], ROWS[0][:1] + ROWS[0][2:]]
        ).encode(),
        "a.csv",
        [(1, "E-post", 'Kolumnen "E-post" saknas i rubrikraden. Godkända rubriker: E-post, ')],
        id="missing column",
    ),
    pytest.param(
        lambda: csv_text([[*HEADERS, "Mail"], [*ROWS[0], "x@example.com"]]).encode(),
        "a.csv",
        [(1, "Mail", 'kolumn B ("E-post") och kolumn G ("Mail"). Ta bort den ena.')],
        id="duplicate column",
    ),
    pytest.param(lambda: b"", "a.csv", [(None, None, "Filen är tom.")], id="empty file"),
    pytest.param(
        lambda: csv_text([HEADERS]).encode(),
        "a.csv",
        [(1, None, "Filen innehåller bara en rubrikrad och inga rader med data.")],
        id="only header",
    ),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "mottagare.xls",
        [(None, None, "gamla Excel-formatet (.xls), som inte kan läsas. Spara filen som .xlsx")],
        id="xls",
    ),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
        "mottagare.xlsx",
        [(None, None, "gamla Excel-formatet (.xls) eller lösenordsskyddad")],
        id="xls renamed xlsx",
    ),
    pytest.param(
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "mottagare.pdf",
        [(None, None, "Filtypen .pdf kan inte läsas. Spara filen som .xlsx")],
        id="pdf",
    ),
    pytest.param(
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "mottagare.xlsx",
        [(None, None, "Filen är en PDF, inte en Excel-arbetsbok.")],
        id="pdf renamed xlsx",
    ),
    pytest.param(
        lambda: (
            xlsx([HEADERS, ROWS[0]]).replace(b"xl/", b"word/").replace(b"workbook", b"document")
        ),
        "mottagare.xlsx",
        [(None, None, "Excel-filen är skadad")],
        id="corrupt zip",
    ),
    pytest.param(
        docx, "mottagare.docx", [(None, None, "Filtypen .docx kan inte läsas.")], id="docx"
    ),
    pytest.param(
        docx,
        "mottagare.xlsx",
        [(None, None, "Filen är ett Word-dokument, inte en Excel-arbetsbok.")],
        id="docx renamed xlsx",
    ),
    pytest.param(
        lambda: csv_text([HEADERS, ROWS[0]]).encode(),
        "mottagare.xlsx",
        [(None, None, "inte en Excel-arbetsbok (.xlsx) trots sin filändelse")],
        id="xlsx that is really a csv",
    ),
    pytest.param(
        lambda: csv_text([HEADERS, ROWS[0]]).encode() + b"\x00\x00\x03",
        "mottagare.csv",
        [(None, None, "inte en textfil (CSV) utan innehåller binära data")],
        id="csv with NUL bytes",
    ),
    pytest.param(
        lambda: csv_text([HEADERS, ROWS[0]]).encode("utf-16-le"),
        "mottagare.csv",
        [(None, None, 'Spara filen i Excel som "CSV UTF-8 (kommaavgränsad) (*.csv)".')],
        id="utf-16 without BOM",
    ),
    pytest.param(
        zip_bomb,
        "mottagare.xlsx",
        [(None, None, "orimligt stor när den packas upp")],
        id="zip bomb",
    ),
    pytest.param(
        lambda: csv_text(
            [HEADERS, *[good_row(email=f"p{i}@example.com") for i in range(20_001)]]
        ).encode(),
        "mottagare.csv",
        [(None, None, "fler än 20\N{NO-BREAK SPACE}000 rader med data")],
        id="too many rows",
    ),
    pytest.param(
        formula_file,
        "mottagare.xlsx",
        [(3, "E-post", "Cellen B3 innehåller en formel; klistra in värdet i stället")],
        id="formula cell",
    ),
]


@pytest.mark.parametrize(("make", "filename", "expected"), BAD_FILES)
def test_it_lists_every_problem_and_imports_nothing(
    make: Callable[[], bytes], filename: str, expected: list[tuple[int | None, str | None, str]]
) -> None:
    result = parse_recipients_file(make(), filename, existing_emails={"Redan@Example.com"})
    found = [(problem.row, problem.column, problem.message) for problem in result.problems]
    assert len(found) == len(expected), found
    for (row, column, message), (want_row, want_column, fragment) in zip(
        found, expected, strict=True
    ):
        assert (row, column) == (want_row, want_column), found
        assert fragment in message, found
    assert result.recipients == []
    assert not result.ok


def test_it_names_the_column_as_headed_in_the_file() -> None:
    data = csv_text(
        [["namn", "MAIL", "Verksamhet", "Typ", "kommun", "delregion"], good_row(email="x")]
    ).encode()
    result = parse_recipients_file(data, "a.csv")
    assert [str(problem) for problem in result.problems] == [
        'Rad 2, kolumn "MAIL": "x" är inte en giltig e-postadress: @ saknas.'
    ]


def test_it_shortens_huge_values_quoted_in_messages() -> None:
    result = parse_recipients_file(with_row(*good_row(type="x" * 5000))(), "a.csv")
    (problem,) = result.problems
    assert len(problem.message) < 200
    assert '"' + "x" * 59 + '…"' in problem.message


# --- One recipient by hand -----------------------------------------------------------------


def test_it_checks_one_recipient_by_the_same_rules() -> None:
    recipient, errors = check_recipient_fields(
        " Åsa  Öberg ",
        "Asa.Oberg@Skane.se",
        "Vårdcentralen Höör",
        "regional_pv",
        "höör",
        "Mellersta",
    )
    assert errors == {}
    assert recipient == RecipientRow(
        "Åsa Öberg",
        "asa.oberg@skane.se",
        "Vårdcentralen Höör",
        OrganisationType.REGIONAL_PV,
        "Höör",
        "MS",
    )


def test_it_uses_the_default_delregion_for_one_recipient() -> None:
    recipient, errors = check_recipient_fields(
        "Bo", "bo@example.com", "VC", OrganisationType.SLUTENVARD, "Lund", None,
        default_delregion="MS",
    )  # fmt: skip
    assert errors == {}
    assert recipient is not None
    assert recipient.delregion == "MS"
    assert recipient.organisation_type is OrganisationType.SLUTENVARD


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            ("", "bo@example.com", "VC", "kommun", "Lund", "MS"),
            {"name": "Namn saknas."},
        ),
        (
            ("Bo", "bo@", "", "kommun", "Lund", "MS"),
            {
                "email": '"bo@" är inte en giltig e-postadress: det saknas något efter @.',
                "organisation": "Organisation saknas.",
            },
        ),
        (
            ("Bo", "bo@example.com", "VC", "sjukstuga", "", "Öresund"),
            {
                "organisation_type": 'Okänd organisationstyp "sjukstuga". Ange en av: Kommun, '
                "Regional primärvård, Sjukhus/slutenvård, Psykiatri, Lokal samverkan, Annan.",
                "kommun": "Kommun saknas.",
                "delregion": 'Okänd delregion "Öresund". Ange en av: NV (Nordvästra Skåne), '
                "NO (Nordöstra Skåne), SV (Sydvästra Skåne), SO (Sydöstra Skåne), "
                "MS (Mellersta Skåne).",
            },
        ),
        (
            ("Bo", "Finns@Example.com", "VC", "kommun", "Lund", "MS"),
            {"email": "finns@example.com finns redan bland omgångens mottagare."},
        ),
        (
            ("Bo\tEk", "bo@example.com", "VC", "kommun", "Lund", ""),
            {
                "name": "Innehåller ett otillåtet tecken (tabb). Skriv värdet utan det.",
                "delregion": "Delregion saknas. Ange en av: NV (Nordvästra Skåne), "
                "NO (Nordöstra Skåne), SV (Sydvästra Skåne), SO (Sydöstra Skåne), "
                "MS (Mellersta Skåne).",
            },
        ),
    ],
)
def test_it_says_what_is_wrong_with_each_field(
    fields: tuple[str, str, str, str, str, str], expected: dict[str, str]
) -> None:
    recipient, errors = check_recipient_fields(*fields, existing_emails={"finns@example.com"})
    assert recipient is None
    assert errors == expected


# --- Templates -----------------------------------------------------------------------------


def test_the_xlsx_template_reads_back_cleanly_and_offers_choice_lists() -> None:
    data = recipients_template_xlsx()
    result = parse_recipients_file(data, "mottagare-mall.xlsx")
    assert_clean(result)
    assert result.warnings == []
    assert [r.email for r in result.recipients] == [
        "anna.andersson@example.com",
        "bjorn.ek@example.com",
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D2:D5001"] == (
        '"Kommun,Regional primärvård,Sjukhus/slutenvård,Psykiatri,Lokal samverkan,Annan"'
    )
    assert lists["F2:F5001"] == '"NV,NO,SV,SO,MS"'
    assert workbook.sheetnames == ["Mottagare", "Anvisningar"]


def test_the_csv_template_is_what_swedish_excel_opens_correctly() -> None:
    data = recipients_template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == ";".join(HEADERS)
    assert b"\r\n" in data
    result = parse_recipients_file(data, "mottagare-mall.csv")
    assert_clean(result)
    assert (
        result.recipients
        == parse_recipients_file(recipients_template_xlsx(), "mall.xlsx").recipients
    )
