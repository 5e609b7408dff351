"""Read the first visible sheet of an uploaded .xlsx, after checking the zip it comes in.

It never evaluates anything: a cell holding a formula (or an error value) is refused.

Checked before openpyxl sees the bytes: the file must be a zip holding a workbook (an .xls, a
PDF, a Word file or an .xlsb renamed is refused with a message saying how to save it instead),
and not a zip bomb: its central directory must declare at most ``MAX_UNCOMPRESSED_BYTES`` in
total and no large member may be compressed more than ``MAX_COMPRESSION_RATIO`` times. Python's
zipfile never inflates a member beyond its declared size (it stops and the CRC check fails), so
the declared sizes are a real bound. XML entity expansion inside the workbook is stopped by
expat (>= 2.4.1 refuses "billion laughs" amplification).

The sheet is read with openpyxl in read-only mode (python-calamine was not chosen: it builds
the whole used range densely, so one stray cell in XFD1048576 would cost gigabytes, and it does
not tell formulas apart). Cells past column ``MAX_COLUMNS + 1`` are not read at all; a value in
that one extra column is enough to refuse the file. Numbers are written without a needless
".0" (``5``, ``0.25``; Excel's 15 significant digits), dates ISO (``2025-12-31``, with
`` 08:30`` when there is a time), booleans SANT/FALSKT as Swedish Excel shows them. Display
formats are not applied: a cell shown as "25 %" reads as ``0.25``.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Generator
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from survey.errors import ErrorCode
from survey.tabular.model import (
    MAX_COLUMNS,
    OLE2_MAGIC,
    SAVE_AS_HINT,
    UNPACKED_LIMIT,
    WEB_LIMITS,
    ZIP_MAGICS,
    RawRow,
    TableError,
    TableStream,
    current_limits,
)
from survey.tabular.source import TableSource, open_binary, source_head

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED_BYTES = UNPACKED_LIMIT
MAX_COMPRESSION_RATIO = 100
# Below this size a member's compression ratio says nothing about a bomb.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# Excel's own row limit: no file saved by Excel has rows beyond it.
EXCEL_MAX_ROWS = 1_048_576

_FORMULA_MESSAGE = (
    "Cellen {cell} innehåller en formel; klistra in värdet i stället "
    "(kopiera och välj Klistra in special → Värden)."
)


def stream_xlsx(source: TableSource) -> TableStream:
    """Open the first visible sheet of an .xlsx for reading row by row (see `TableStream`).

    openpyxl's read-only mode parses the sheet as it goes; what it keeps whole is the
    workbook's table of shared strings (each distinct text once).
    """
    _check_xlsx_container(source)
    binary = open_binary(source)
    try:
        return TableStream(
            _xlsx_rows(binary),
            file_format="xlsx",
            empty_message="Första bladet i Excel-filen är tomt. Lägg tabellen på första bladet.",
            position=binary.tell,
            close=binary.close,
        )
    except BaseException:
        binary.close()
        raise


def _check_xlsx_container(source: TableSource) -> None:
    data = source_head(source, 8)
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            "Filen är i det gamla Excel-formatet (.xls) eller lösenordsskyddad, och kan inte "
            f"läsas. Ta bort ett eventuellt lösenord. {SAVE_AS_HINT}",
            code=ErrorCode.TABLE_WRONG_FORMAT,
        )
    if data.startswith(b"%PDF"):
        raise TableError(
            f"Filen är en PDF, inte en Excel-arbetsbok. {SAVE_AS_HINT}",
            code=ErrorCode.TABLE_WRONG_FORMAT,
        )
    if not data.startswith(ZIP_MAGICS):
        raise TableError(
            "Filen är inte en Excel-arbetsbok (.xlsx) trots sin filändelse. Om det är en "
            "CSV-fil, ge den filändelsen .csv; annars öppna den i Excel och spara den som .xlsx.",
            code=ErrorCode.TABLE_WRONG_FORMAT,
        )
    try:
        with open_binary(source) as stream, zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        logger.info("refused .xlsx upload: not a readable zip (%s)", error)
        raise TableError(
            "Excel-filen är skadad och kan inte läsas. Öppna den i Excel och spara den igen.",
            code=ErrorCode.TABLE_CORRUPT,
        ) from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise TableError(_zip_bomb_message(), code=ErrorCode.TABLE_ZIP_BOMB)
    total = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    limits = current_limits()
    limit = MAX_UNCOMPRESSED_BYTES if limits is WEB_LIMITS else limits.max_uncompressed_bytes
    if limit is not None and total > limit:
        raise TableError(_zip_bomb_message(), code=ErrorCode.TABLE_ZIP_BOMB)
    if total > RATIO_CHECK_MIN_BYTES and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise TableError(_zip_bomb_message(), code=ErrorCode.TABLE_ZIP_BOMB)
    for member in members:
        if (
            member.file_size > RATIO_CHECK_MIN_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise TableError(_zip_bomb_message(), code=ErrorCode.TABLE_ZIP_BOMB)
        if member.flag_bits & 0x1:
            raise TableError(
                f"Filen är krypterad eller lösenordsskyddad. Ta bort lösenordet. {SAVE_AS_HINT}",
                code=ErrorCode.TABLE_ENCRYPTED,
            )
    names = {member.filename for member in members}
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise TableError(
                f"Filen är en binär Excel-arbetsbok (.xlsb), som inte kan läsas. {SAVE_AS_HINT}",
                code=ErrorCode.TABLE_WRONG_FORMAT,
            )
        return
    if "word/document.xml" in names:
        kind = "ett Word-dokument"
    elif "ppt/presentation.xml" in names:
        kind = "en PowerPoint-presentation"
    elif "content.xml" in names and "mimetype" in names:
        kind = "ett OpenDocument-dokument (t.ex. .ods)"
    else:
        kind = "en zip-fil"
    raise TableError(
        f"Filen är {kind}, inte en Excel-arbetsbok. {SAVE_AS_HINT}",
        code=ErrorCode.TABLE_WRONG_FORMAT,
    )


def _zip_bomb_message() -> str:
    return (
        "Excel-filen är orimligt stor när den packas upp (över "
        f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB eller ovanligt hårt packad) och läses "
        "därför inte. Spara en fil med bara de rader och kolumner som behövs."
    )


def _xlsx_rows(data: BinaryIO) -> Generator[RawRow, None, None]:
    # Imported here: openpyxl is heavy and only needed when an .xlsx is uploaded.
    import openpyxl
    from openpyxl.cell.read_only import EMPTY_CELL

    # openpyxl warns about workbook features it drops (data validation extensions, styles);
    # none matter for reading values, and warnings are errors in the test run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(
                data, read_only=True, data_only=False, keep_links=False
            )
        except Exception as error:  # openpyxl raises many kinds on malformed input
            logger.info("refused .xlsx upload: openpyxl could not open it (%r)", error)
            raise TableError(
                "Excel-filen kan inte läsas. Öppna den i Excel och spara den igen som .xlsx.",
                code=ErrorCode.TABLE_CORRUPT,
            ) from error
        try:
            sheets = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
            if not sheets:
                raise TableError(
                    "Excel-filen har inget synligt kalkylblad.", code=ErrorCode.TABLE_NO_SHEET
                )
            # Cells beyond one column past the limit are not read: one is enough to refuse,
            # and capping keeps a stray cell in column XFD from padding every row.
            rows = sheets[0].iter_rows(max_row=EXCEL_MAX_ROWS, max_col=MAX_COLUMNS + 1)
            # openpyxl yields one shared tuple for every missing row: recognise it by identity,
            # so a lone cell in row 1 048 576 costs no per-cell work for the rows above it.
            missing_row: object = None
            for number, cells in enumerate(rows, start=1):
                if cells is missing_row:
                    continue
                width = len(cells)
                while width and cells[width - 1] is EMPTY_CELL:
                    width -= 1
                if not width:
                    missing_row = cells
                    continue
                values: list[str] = []
                refused: list[tuple[int, str]] = []
                for column, cell in enumerate(cells[:width]):
                    data_type = getattr(cell, "data_type", "n")
                    if data_type == "f":
                        refused.append((column, _FORMULA_MESSAGE))
                        values.append("")
                    elif data_type == "e":
                        error_value = str(cell.value).replace("{", "").replace("}", "")
                        refused.append(
                            (
                                column,
                                f"Cellen {{cell}} innehåller felvärdet {error_value}; "
                                "skriv in det rätta värdet.",
                            )
                        )
                        values.append("")
                    else:
                        values.append(cell_text(cell.value))
                yield RawRow(number, values, refused)
        except TableError:
            raise
        except Exception as error:  # malformed sheet XML surfaces only while iterating
            logger.info("refused .xlsx upload: unreadable worksheet (%r)", error)
            raise TableError(
                "Excel-filen kan inte läsas. Öppna den i Excel och spara den igen som .xlsx.",
                code=ErrorCode.TABLE_CORRUPT,
            ) from error
        finally:
            workbook.close()


def cell_text(value: object) -> str:
    """Turn a spreadsheet cell's value into the text a user would expect to see."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"  # as Swedish Excel shows them
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(value, ".15g")  # Excel keeps 15 significant digits
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
