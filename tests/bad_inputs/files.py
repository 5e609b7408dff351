"""Files a process leader or an operator might upload: good ones, and every kind of bad one."""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Sequence

import openpyxl

from tests.import_helpers import csv_file, xlsx_file

RECIPIENT_HEADER = ("Namn", "E-post", "Organisation", "Organisationstyp", "Kommun", "Delregion")
ASA = ("Åsa Öberg", "asa.oberg@example.se", "Vårdcentralen Ängelholm", "Regional primärvård",
       "Ängelholm", "NV")  # fmt: skip
BJORN = ("Björn Ek", "bjorn.ek@example.se", "Ängelholms kommun", "Kommun", "Ängelholm", "")


def recipients_text(*rows: Sequence[str], delimiter: str = ";") -> str:
    """A recipients table as CSV text (header first), lines ending in CRLF as Excel writes."""
    lines = [delimiter.join(RECIPIENT_HEADER)] + [delimiter.join(row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def recipients_csv(*rows: Sequence[str], encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    return recipients_text(*rows, delimiter=delimiter).encode(encoding)


def recipients_xlsx(*rows: Sequence[str], formula_cell: str | None = None) -> bytes:
    data = xlsx_file([list(RECIPIENT_HEADER), *[list(row) for row in rows]])
    if formula_cell is None:
        return data
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet is not None
    sheet[formula_cell] = '=HYPERLINK("http://evil.example","Klicka")'
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def rezipped(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The zip `data` with some members replaced or added (compressed hard)."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            if item.filename not in replace:
                target.writestr(item, source.read(item))
        for name, content in replace.items():
            target.writestr(name, content)
    return output.getvalue()


SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"


@functools.cache
def zip_bomb_xlsx(unpacked_mb: int) -> bytes:
    """A real workbook whose first sheet unpacks to `unpacked_mb` MB of blanks."""
    blanks = b" " * (unpacked_mb * 1024 * 1024)
    return rezipped(
        recipients_xlsx(ASA), {"xl/worksheets/sheet1.xml": SHEET_START + blanks + SHEET_END}
    )


@functools.cache
def word_document() -> bytes:
    """A zip shaped like a .docx."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document>Hej</document>")
    return output.getvalue()


def broken_zip() -> bytes:
    """Starts like a zip (and an .xlsx) but is cut off."""
    return recipients_xlsx(ASA)[:300]


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def oversized(megabytes: float) -> bytes:
    """A CSV file of the given size: a header and many rows."""
    header = recipients_csv()
    filler = b"x" * 100 + b"\r\n"
    return header + filler * int(megabytes * 1024 * 1024 / len(filler))


# -- answers files for the import ------------------------------------------------------------


def answers_csv(*rows: Sequence[str], header: Sequence[str] = ("e-post", "sip_okning")) -> bytes:
    return csv_file([list(header), *[list(row) for row in rows]])


def answers_xlsx(*rows: Sequence[str], header: Sequence[str] = ("e-post", "sip_okning")) -> bytes:
    return xlsx_file([list(header), *[list(row) for row in rows]])
