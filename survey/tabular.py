"""Read an uploaded table (.xlsx or .csv) safely into plain rows of text.

The reader is shared by every upload of tabular data (recipients, imported answers). It never
evaluates anything: an .xlsx cell holding a formula is refused, and CSV text that starts with
``=``, ``+``, ``-`` or ``@`` stays plain text (escaping such values on export is the exporter's
job; HTML output is escaped by the templates).

Safety limits, checked before any parsing library sees the bytes:

* an .xlsx is a zip: its central directory must declare at most ``MAX_UNCOMPRESSED_BYTES`` in
  total and no large member may be compressed more than ``MAX_COMPRESSION_RATIO`` times (a zip
  bomb). Python's zipfile never inflates a member beyond its declared size (it stops and the CRC
  check fails), so the declared sizes are a real bound. XML entity expansion inside the workbook
  is stopped by expat (>= 2.4.1 refuses "billion laughs" amplification).
* at most ``MAX_ROWS`` rows with data and ``MAX_COLUMNS`` columns; a file that is not what its
  name says (an .xls, a PDF or a Word file renamed, a binary .csv) is refused with a message
  that says how to save it instead.

Every refusal is a ``TableError`` with a Swedish message for the person who uploaded the file.

What a ``Table`` holds:

* .xlsx: the first visible worksheet, read with openpyxl in read-only mode (python-calamine was
  not chosen: it builds the whole used range densely, so one stray cell in XFD1048576 would cost
  gigabytes, and it does not tell formulas apart). Cells past column ``MAX_COLUMNS + 1`` are not
  read at all; a value in that one extra column is enough to refuse the file.
* .csv: UTF-8 (a BOM is dropped), else Windows-1252; UTF-16/32 with a BOM is read too. The
  delimiter (; tab ,) is the one that splits the header line into most fields, unless Excel's
  ``sep=;`` first line names it. Quoted fields may hold delimiters, quotes and line breaks.
* The header is the first non-empty row. Fully empty rows are skipped, and every row keeps the
  number Excel shows for it (a CSV record with a quoted line break is one row, as in Excel).
* Values are text: trimmed, NFC-normalised, line breaks as ``\n``. Numbers from an .xlsx are
  written without a needless ".0" (``5``, ``0.25``; Excel's 15 significant digits), dates ISO
  (``2025-12-31``, with `` 08:30`` when there is a time), booleans SANT/FALSKT as Swedish Excel
  shows them. Display formats are not applied: a cell shown as "25 %" reads as ``0.25``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath, PureWindowsPath

from survey.organisations import normalise_word

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Below this size a member's compression ratio says nothing about a bomb.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAX_ROWS = 20_000
MAX_COLUMNS = 200
# Excel's own row limit: no file saved by Excel has rows beyond it.
EXCEL_MAX_ROWS = 1_048_576

SAVE_AS_HINT = "Spara filen som .xlsx (Excel-arbetsbok) eller .csv och ladda upp den igen."
SAVE_AS_CSV_UTF8_HINT = 'Spara filen i Excel som "CSV UTF-8 (kommaavgränsad) (*.csv)".'

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_DELIMITERS = (";", "\t", ",")  # order breaks ties: Swedish Excel writes semicolons
_DELIMITER_NAMES = {";": "semikolon", "\t": "tabb", ",": "komma"}


class TableError(Exception):
    """An uploaded table that cannot be read; the message is Swedish, for the user."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column

    def __str__(self) -> str:
        return describe_location(self.row, self.column, self.message)


def describe_location(row: int | None, column: str | None, message: str) -> str:
    """Prefix a message with the row and column it is about, in Swedish."""
    if row is not None and column:
        return f"Rad {row}, kolumn {column}: {message}"
    if row is not None:
        return f"Rad {row}: {message}"
    if column:
        return f"Kolumn {column}: {message}"
    return message


@dataclass(frozen=True)
class TableRow:
    """One row with data: its row number as shown in Excel and one text per column."""

    number: int
    values: tuple[str, ...]

    def value(self, index: int) -> str:
        """Return the text in the column at ``index`` (0-based), or "" past the row's end."""
        return self.values[index] if 0 <= index < len(self.values) else ""


@dataclass(frozen=True)
class Table:
    """The first sheet of an uploaded file: a header row and the non-empty rows below it."""

    headers: list[str]
    rows: list[TableRow]
    header_row: int = 1
    file_format: str = "csv"  # "xlsx" or "csv"
    encoding: str | None = None  # CSV only: "utf-8", "windows-1252" or "utf-16"
    delimiter: str | None = None  # CSV only

    @property
    def description(self) -> str:
        """Say in Swedish how the file was read (for a preview page)."""
        if self.file_format == "xlsx":
            return "Excel-arbetsbok (.xlsx), första bladet"
        delimiter = _DELIMITER_NAMES.get(self.delimiter or "", repr(self.delimiter))
        encoding = (self.encoding or "").upper().replace("WINDOWS", "Windows")
        return f"CSV-fil, teckenkodning {encoding}, avgränsare {delimiter}"


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of the column at ``index`` (0-based): 0 → A, 26 → AA."""
    number = index + 1
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def read_table(data: bytes, filename: str) -> Table:
    """Read the table in an uploaded .xlsx or .csv file, or raise TableError."""
    extension = _extension(filename)
    if len(data) > MAX_FILE_BYTES:
        raise TableError(
            f"Filen är för stor ({len(data) / 1024 / 1024:.1f} MB). "
            f"Högst {MAX_FILE_BYTES / 1024 / 1024:.0f} MB tas emot."
        )
    if not data.strip():
        raise TableError("Filen är tom.")
    if extension == ".xlsx":
        return _read_xlsx(data)
    if extension == ".csv":
        return _read_csv(data)
    raise TableError(_unsupported_extension_message(extension))


def _extension(filename: str) -> str:
    # Browsers on Windows may send the whole client path ("C:\fakepath\mottagare.csv").
    name = PureWindowsPath(PurePosixPath(filename.strip()).name).name
    return PurePosixPath(name.lower()).suffix


def _unsupported_extension_message(extension: str) -> str:
    if not extension:
        return f"Filen saknar filändelse. {SAVE_AS_HINT}"
    if extension == ".xls":
        return f"Filen är i det gamla Excel-formatet (.xls), som inte kan läsas. {SAVE_AS_HINT}"
    if extension in (".xlsm", ".xlsb", ".xltx", ".xltm"):
        return (
            f"Excel-filer av typen {extension} (med makron, binära eller mallar) tas inte emot. "
            f"{SAVE_AS_HINT}"
        )
    return f"Filtypen {extension} kan inte läsas. {SAVE_AS_HINT}"


# --- Building the table from raw rows -------------------------------------------------------


@dataclass
class _RawRow:
    number: int
    values: list[str]
    # (0-based column, reason) of cells that must not be imported, e.g. formulas.
    refused: list[tuple[int, str]] = field(default_factory=list)


def _build_table(
    raw_rows: Iterable[_RawRow],
    *,
    file_format: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    empty_message: str = "Filen är tom.",
) -> Table:
    headers: list[str] | None = None
    header_row = 0
    rows: list[TableRow] = []
    refused: list[tuple[int, int, str]] = []
    width = 0
    for raw in raw_rows:
        values = list(raw.values)
        while values and not values[-1]:
            values.pop()
        values = [_clean_value(value) for value in values]
        while values and not values[-1]:
            values.pop()
        refused.extend((raw.number, column, reason) for column, reason in raw.refused)
        if not values and not raw.refused:
            continue
        if len(values) > MAX_COLUMNS:
            raise TableError(
                f"Raden har värden i fler än {MAX_COLUMNS} kolumner. "
                "Ta bort överflödiga kolumner och försök igen.",
                row=raw.number,
            )
        width = max(width, len(values))
        if headers is None:
            headers = values
            header_row = raw.number
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(
                f"Filen har fler än {_thousands(MAX_ROWS)} rader med data; "
                f"högst {_thousands(MAX_ROWS)} tas emot."
            )
        rows.append(TableRow(raw.number, tuple(values)))
    if headers is None:
        raise TableError(empty_message)
    headers = headers + [""] * (width - len(headers))
    if refused:
        _raise_refused_cells(refused, headers)
    if not rows:
        raise TableError(
            "Filen innehåller bara en rubrikrad och inga rader med data.", row=header_row
        )
    padded = [
        row if len(row.values) == width else TableRow(row.number, _pad(row.values, width))
        for row in rows
    ]
    return Table(
        headers=headers,
        rows=padded,
        header_row=header_row,
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
    )


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\N{NO-BREAK SPACE}")


def _pad(values: tuple[str, ...], width: int) -> tuple[str, ...]:
    return values + ("",) * (width - len(values))


def _clean_value(value: str) -> str:
    # NFC so that "å" typed on a Mac (a + ring) equals "å" typed on Windows.
    text = unicodedata.normalize("NFC", value).strip()
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _raise_refused_cells(refused: list[tuple[int, int, str]], headers: Sequence[str]) -> None:
    row, column, reason = refused[0]
    header = headers[column] if column < len(headers) else ""
    message = reason.format(cell=f"{column_letter(column)}{row}")
    others = len(refused) - 1
    if others:
        message += f" Samma gäller {others} {'annan cell' if others == 1 else 'andra celler'}."
    raise TableError(message, row=row, column=header or column_letter(column))


# --- .xlsx --------------------------------------------------------------------------------

_FORMULA_MESSAGE = (
    "Cellen {cell} innehåller en formel; klistra in värdet i stället "
    "(kopiera och välj Klistra in special → Värden)."
)


def _read_xlsx(data: bytes) -> Table:
    _check_xlsx_container(data)
    with closing(_xlsx_rows(data)) as rows:
        return _build_table(
            rows,
            file_format="xlsx",
            empty_message="Första bladet i Excel-filen är tomt. Lägg tabellen på första bladet.",
        )


def _check_xlsx_container(data: bytes) -> None:
    if data.startswith(_OLE2_MAGIC):
        raise TableError(
            "Filen är i det gamla Excel-formatet (.xls) eller lösenordsskyddad, och kan inte "
            f"läsas. Ta bort ett eventuellt lösenord. {SAVE_AS_HINT}"
        )
    if data.startswith(b"%PDF"):
        raise TableError(f"Filen är en PDF, inte en Excel-arbetsbok. {SAVE_AS_HINT}")
    if not data.startswith(_ZIP_MAGICS):
        raise TableError(
            "Filen är inte en Excel-arbetsbok (.xlsx) trots sin filändelse. Om det är en "
            "CSV-fil, ge den filändelsen .csv; annars öppna den i Excel och spara den som .xlsx."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        logger.info("refused .xlsx upload: not a readable zip (%s)", error)
        raise TableError(
            "Excel-filen är skadad och kan inte läsas. Öppna den i Excel och spara den igen."
        ) from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise TableError(_zip_bomb_message())
    total = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise TableError(_zip_bomb_message())
    if total > RATIO_CHECK_MIN_BYTES and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise TableError(_zip_bomb_message())
    for member in members:
        if (
            member.file_size > RATIO_CHECK_MIN_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise TableError(_zip_bomb_message())
        if member.flag_bits & 0x1:
            raise TableError(
                f"Filen är krypterad eller lösenordsskyddad. Ta bort lösenordet. {SAVE_AS_HINT}"
            )
    names = {member.filename for member in members}
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise TableError(
                f"Filen är en binär Excel-arbetsbok (.xlsb), som inte kan läsas. {SAVE_AS_HINT}"
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
    raise TableError(f"Filen är {kind}, inte en Excel-arbetsbok. {SAVE_AS_HINT}")


def _zip_bomb_message() -> str:
    return (
        "Excel-filen är orimligt stor när den packas upp (över "
        f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB eller ovanligt hårt packad) och läses "
        "därför inte. Spara en fil med bara de rader och kolumner som behövs."
    )


def _xlsx_rows(data: bytes) -> Generator[_RawRow, None, None]:
    # Imported here: openpyxl is heavy and only needed when an .xlsx is uploaded.
    import openpyxl
    from openpyxl.cell.read_only import EMPTY_CELL

    # openpyxl warns about workbook features it drops (data validation extensions, styles);
    # none matter for reading values, and warnings are errors in the test run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
        except Exception as error:  # openpyxl raises many kinds on malformed input
            logger.info("refused .xlsx upload: openpyxl could not open it (%r)", error)
            raise TableError(
                "Excel-filen kan inte läsas. Öppna den i Excel och spara den igen som .xlsx."
            ) from error
        try:
            sheets = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
            if not sheets:
                raise TableError("Excel-filen har inget synligt kalkylblad.")
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
                yield _RawRow(number, values, refused)
        except TableError:
            raise
        except Exception as error:  # malformed sheet XML surfaces only while iterating
            logger.info("refused .xlsx upload: unreadable worksheet (%r)", error)
            raise TableError(
                "Excel-filen kan inte läsas. Öppna den i Excel och spara den igen som .xlsx."
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


# --- .csv ---------------------------------------------------------------------------------


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode_csv(data)
    text = text.rstrip("\x1a")  # a DOS end-of-file marker
    delimiter: str | None = None
    hint = re.match(r"sep=(.)(\r\n|\r|\n|$)", text, flags=re.IGNORECASE)
    if hint:
        # Excel's "sep=;" line names the delimiter; Excel hides it, so rows count after it.
        delimiter = hint.group(1)
        text = text[hint.end() :]
    if not text.strip():
        raise TableError("Filen är tom.")
    delimiter = delimiter or sniff_delimiter(text)
    return _build_table(
        _csv_rows(text, delimiter), file_format="csv", encoding=encoding, delimiter=delimiter
    )


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith(_ZIP_MAGICS):
        raise TableError(
            "Filen är en Excel-arbetsbok (.xlsx) eller annan zip-fil men har filändelsen .csv. "
            "Ge den rätt filändelse eller spara den som CSV."
        )
    if data.startswith(_OLE2_MAGIC):
        raise TableError(
            f"Filen är i det gamla Excel-formatet (.xls) men har filändelsen .csv. {SAVE_AS_HINT}"
        )
    if data.startswith(b"%PDF"):
        raise TableError(f"Filen är en PDF, inte en CSV-fil. {SAVE_AS_HINT}")
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as error:
                raise TableError(
                    f"Filens teckenkodning (Unicode) är trasig. {SAVE_AS_CSV_UTF8_HINT}"
                ) from error
            if "\x00" in text:
                raise TableError(_binary_csv_message())
            return text, codec.split("-")[0] + "-" + codec.split("-")[1]
    if b"\x00" in data:
        if _looks_like_utf16(data):
            raise TableError(
                "Filen verkar vara sparad som UTF-16 (Unicode-text) utan byte-ordningsmärke "
                f"och kan inte läsas säkert. {SAVE_AS_CSV_UTF8_HINT}"
            )
        raise TableError(_binary_csv_message())
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise TableError(
            "Filens teckenkodning känns inte igen (varken UTF-8 eller Windows-1252). "
            f"{SAVE_AS_CSV_UTF8_HINT}"
        ) from error


def _binary_csv_message() -> str:
    return f"Filen är inte en textfil (CSV) utan innehåller binära data. {SAVE_AS_HINT}"


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:4096]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    # Mostly-ASCII UTF-16 text has a NUL in every other byte and almost none in between.
    return max(even_nuls, odd_nuls) > half * 0.5 and min(even_nuls, odd_nuls) < half * 0.05


def sniff_delimiter(text: str) -> str:
    """Return the delimiter (; tab ,) that splits the header line into the most fields."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ","
    header = lines[0]
    counts = {candidate: _field_count(header, candidate) for candidate in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda candidate: counts[candidate])
    if counts[best] > 1:
        return best
    # A one-column header says nothing; let the first lines below it decide.
    sample = "\n".join(lines[:20])
    best = max(_DELIMITERS, key=sample.count)
    return best if sample.count(best) else ","


def _field_count(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return 0


def _csv_rows(text: str, delimiter: str) -> Iterator[_RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    last: list[str] = []
    last_span = 0
    while True:
        line_before = reader.line_num
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise TableError(
                "Raden kan inte tolkas som CSV: ett fält är orimligt långt, ofta för att ett "
                'citattecken (") saknar sitt avslutande citattecken.',
                row=number + 1,
            ) from error
        number += 1
        last, last_span = record, reader.line_num - line_before
        yield _RawRow(number, record)
    if (
        last_span > 1
        and last
        and ("\n" in last[-1] or "\r" in last[-1])
        and not text.rstrip("\r\n").endswith('"')
    ):
        # csv in lenient mode swallows everything after an unclosed quote into one field.
        raise TableError(
            'Ett citattecken (") på raden avslutas aldrig, så resten av filen blir ett enda '
            "fält. Rätta citattecknen eller spara om filen från Excel.",
            row=number,
        )


# --- Matching header columns ----------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """A column a reader expects: its key, the Swedish header to show, accepted spellings."""

    key: str
    label: str
    spellings: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class ColumnMap:
    """Where each expected column is in a table, and which headers were not recognised."""

    positions: Mapping[str, int]
    headers: Mapping[str, str]  # key → the header as written in the file
    unknown: tuple[int, ...] = ()  # columns with a header that matches no spec
    unnamed: tuple[int, ...] = ()  # columns with an empty header

    def has(self, key: str) -> bool:
        """Say whether the table has the column."""
        return key in self.positions

    def value(self, row: TableRow, key: str) -> str:
        """Return the row's text in the column, or "" when the table has no such column."""
        position = self.positions.get(key)
        return "" if position is None else row.value(position)

    def header(self, key: str, default: str = "") -> str:
        """Return the column's header as written in the file."""
        return self.headers.get(key, default)


@dataclass(frozen=True)
class ColumnProblem:
    """A header row problem: a missing or duplicated column."""

    message: str
    column: str | None = None


def normalise_header(text: str) -> str:
    """Reduce a header to letters and digits: "E-post (obligatorisk)" → "epost"."""
    without_notes = re.sub(r"\(.*?\)", "", text)
    return "".join(ch for ch in normalise_word(without_notes) if ch.isalnum())


def match_columns(
    headers: Sequence[str], spec: Sequence[ColumnSpec]
) -> ColumnMap | list[ColumnProblem]:
    """Find each expected column among the headers, or list what is missing or duplicated."""
    lookup: dict[str, ColumnSpec] = {}
    for column in spec:
        for spelling in (column.key, column.label, *column.spellings):
            normalised = normalise_header(spelling)
            if lookup.get(normalised, column) is not column:
                raise ValueError(f"header spelling {spelling!r} is ambiguous in the column spec")
            lookup[normalised] = column
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    unknown: list[int] = []
    unnamed: list[int] = []
    problems: list[ColumnProblem] = []
    for index, header in enumerate(headers):
        if not header.strip():
            unnamed.append(index)
            continue
        match = lookup.get(normalise_header(header))
        if match is None:
            unknown.append(index)
            continue
        if match.key in positions:
            first = positions[match.key]
            problems.append(
                ColumnProblem(
                    f"Kolumnen för {match.label} finns flera gånger: kolumn {column_letter(first)} "
                    f'("{headers[first]}") och kolumn {column_letter(index)} ("{header}"). '
                    "Ta bort den ena.",
                    column=header,
                )
            )
            continue
        positions[match.key] = index
        written[match.key] = header
    for column in spec:
        if column.required and column.key not in positions:
            accepted = ", ".join(dict.fromkeys((column.label, *column.spellings)))
            problems.append(
                ColumnProblem(
                    f'Kolumnen "{column.label}" saknas i rubrikraden. '
                    f"Godkända rubriker: {accepted}.",
                    column=column.label,
                )
            )
    if problems:
        return problems
    return ColumnMap(
        positions=positions, headers=written, unknown=tuple(unknown), unnamed=tuple(unnamed)
    )
