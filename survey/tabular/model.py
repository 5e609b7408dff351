"""The table an upload is read into, its row and column limits, and the refusal it raises.

Both readers (`survey.tabular.xlsx_reader`, `survey.tabular.csv_reader`) turn a file into
`RawRow`s and hand them to a `TableStream`, which applies the rules they share row by row
(`table_of_stream` reads a stream whole into a `Table`):

* The header is the first non-empty row. Fully empty rows are skipped, and every row keeps the
  number Excel shows for it (a CSV record with a quoted line break is one row, as in Excel).
* At most ``MAX_ROWS`` rows with data (an upload on the web) and ``MAX_COLUMNS`` columns;
  the command line lifts the row limit (`table_limits`).
* Values are text: trimmed, NFC-normalised, line breaks as ``\\n``.
* A cell a reader refused (a formula, an error value) refuses the whole file, naming the first
  such cell and how many others there are. A stream says so when its last row has been read.
* A streamed row is not padded to the widest row: a value past the header is a value in a
  column without a header.

Every refusal is a ``TableError`` with a Swedish message for the person who uploaded the file.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from survey.errors import ErrorCode, SurveyError

MAX_ROWS = 20_000
MAX_COLUMNS = 200


# An .xlsx may unpack to at most this much (a zip bomb's defence; see `xlsx_reader`).
UNPACKED_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class TableLimits:
    """How many data rows and bytes a file may have (None: no limit).

    `max_uncompressed_bytes` bounds what an .xlsx unpacks to; without it only the
    compression ratio is checked (a file the operator chose, on the command line).
    """

    max_rows: int | None
    max_bytes: int | None
    max_uncompressed_bytes: int | None = UNPACKED_LIMIT


WEB_LIMITS = TableLimits(max_rows=MAX_ROWS, max_bytes=50 * 1024 * 1024)
_limits: ContextVar[TableLimits] = ContextVar("table_limits", default=WEB_LIMITS)


def current_limits() -> TableLimits:
    return _limits.get()


@contextmanager
def table_limits(limits: TableLimits) -> Iterator[None]:
    """Read files with other limits meanwhile (the command line reads files of any size)."""
    token = _limits.set(limits)
    try:
        yield
    finally:
        _limits.reset(token)


SAVE_AS_HINT = "Spara filen som .xlsx (Excel-arbetsbok) eller .csv och ladda upp den igen."

# The first bytes of the files most often uploaded under the wrong name.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

_DELIMITER_NAMES = {";": "semikolon", "\t": "tabb", ",": "komma"}


class TableError(SurveyError):
    """An uploaded table that cannot be read; the message is Swedish, for the user."""

    code = ErrorCode.TABLE_UNREADABLE

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        code: ErrorCode | None = None,
    ):
        self.row = row
        self.column = column
        super().__init__(message, code=code)

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
        return describe_format(self.file_format, self.encoding, self.delimiter)


def describe_format(file_format: str, encoding: str | None, delimiter: str | None) -> str:
    """Say in Swedish how a file was read: its format, and a CSV's encoding and delimiter."""
    if file_format == "xlsx":
        return "Excel-arbetsbok (.xlsx), första bladet"
    name = _DELIMITER_NAMES.get(delimiter or "", repr(delimiter))
    encoding_name = (encoding or "").upper().replace("WINDOWS", "Windows")
    return f"CSV-fil, teckenkodning {encoding_name}, avgränsare {name}"


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of the column at ``index`` (0-based): 0 → A, 26 → AA."""
    number = index + 1
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --- Building the table from raw rows -------------------------------------------------------


@dataclass
class RawRow:
    """One row as a reader found it, before cleaning: its number, texts and refused cells."""

    number: int
    values: list[str]
    # (0-based column, reason) of cells that must not be imported, e.g. formulas.
    refused: list[tuple[int, str]] = field(default_factory=list)


class TableStream:
    """A table read row by row: the header is read first, then `rows` yields each data row.

    The rows are never all in memory: a reader hands them over one at a time, cleaned and
    checked by the same rules as a whole table. What only the whole file can tell (a refused
    cell anywhere, a header without rows) is raised as a TableError when `rows` ends, so a
    consumer must read `rows` to its end before trusting what it read. `position()` says
    how many bytes of the file the reader has consumed (for a progress bar); `close()`
    (or leaving the ``with`` block) closes the file.
    """

    def __init__(
        self,
        raw_rows: Iterator[RawRow],
        *,
        file_format: str,
        encoding: str | None = None,
        delimiter: str | None = None,
        empty_message: str = "Filen är tom.",
        position: Callable[[], int] | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.file_format = file_format
        self.encoding = encoding
        self.delimiter = delimiter
        self._raw = raw_rows
        self._position = position
        self._close = close
        self._refused: tuple[int, int, str] | None = None  # the first refused cell
        self._refused_count = 0
        limits = _limits.get()
        self._max_rows = MAX_ROWS if limits is WEB_LIMITS else limits.max_rows
        for raw in raw_rows:
            values = self._values(raw)
            if values is None:
                continue
            self.headers: list[str] = values
            self.header_row = raw.number
            break
        else:
            self.close()
            raise TableError(empty_message, code=ErrorCode.TABLE_EMPTY)
        self.rows: Iterator[TableRow] = self._data_rows()

    def _values(self, raw: RawRow) -> list[str] | None:
        """The row's cleaned values, None for an empty row; note refused cells."""
        values = raw.values
        while values and not values[-1]:
            values.pop()
        # Plain ASCII without a carriage return (most cells) needs only the trim.
        values = [
            value.strip() if value.isascii() and "\r" not in value else _clean_value(value)
            for value in values
        ]
        while values and not values[-1]:
            values.pop()
        if raw.refused:
            if self._refused is None:
                column, reason = raw.refused[0]
                self._refused = (raw.number, column, reason)
            self._refused_count += len(raw.refused)
        elif not values:
            return None
        if len(values) > MAX_COLUMNS:
            raise TableError(
                f"Raden har värden i fler än {MAX_COLUMNS} kolumner. "
                "Ta bort överflödiga kolumner och försök igen.",
                row=raw.number,
                code=ErrorCode.TABLE_TOO_MANY_COLUMNS,
            )
        return values

    def _data_rows(self) -> Iterator[TableRow]:
        count = 0
        max_rows = self._max_rows
        for raw in self._raw:
            values = self._values(raw)
            if values is None:
                continue
            if max_rows is not None and count >= max_rows:
                raise TableError(
                    f"Filen har fler än {_thousands(max_rows)} rader med data; "
                    f"högst {_thousands(max_rows)} tas emot.",
                    code=ErrorCode.TABLE_TOO_MANY_ROWS,
                )
            count += 1
            yield TableRow(raw.number, tuple(values))
        if self._refused is not None:
            _raise_refused_cells(self._refused, self._refused_count, self.headers)
        if not count:
            raise TableError(
                "Filen innehåller bara en rubrikrad och inga rader med data.",
                row=self.header_row,
                code=ErrorCode.TABLE_HEADER_ONLY,
            )

    @property
    def description(self) -> str:
        """Say in Swedish how the file was read (for a preview page)."""
        return describe_format(self.file_format, self.encoding, self.delimiter)

    def position(self) -> int:
        """Bytes of the file read so far (0 when the reader cannot tell)."""
        return self._position() if self._position is not None else 0

    def close(self) -> None:
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> TableStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def table_of_stream(stream: TableStream, *, first_rows: int | None = None) -> Table:
    """Read a whole stream into a Table (rows padded to the widest row).

    With `first_rows`, stop after that many rows with data (a quick look at the header:
    the rows after them are neither read nor checked).
    """
    with stream:
        rows = list(
            stream.rows if first_rows is None else itertools.islice(stream.rows, first_rows)
        )
    width = max([len(stream.headers), *(len(row.values) for row in rows)])
    headers = stream.headers + [""] * (width - len(stream.headers))
    padded = [
        row if len(row.values) == width else TableRow(row.number, _pad(row.values, width))
        for row in rows
    ]
    return Table(
        headers=headers,
        rows=padded,
        header_row=stream.header_row,
        file_format=stream.file_format,
        encoding=stream.encoding,
        delimiter=stream.delimiter,
    )


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\N{NO-BREAK SPACE}")


def _pad(values: tuple[str, ...], width: int) -> tuple[str, ...]:
    return values + ("",) * (width - len(values))


def _clean_value(value: str) -> str:
    # NFC so that "å" typed on a Mac (a + ring) equals "å" typed on Windows.
    text = unicodedata.normalize("NFC", value).strip()
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _raise_refused_cells(first: tuple[int, int, str], count: int, headers: Sequence[str]) -> None:
    row, column, reason = first
    header = headers[column] if column < len(headers) else ""
    message = reason.format(cell=f"{column_letter(column)}{row}")
    others = count - 1
    if others:
        message += f" Samma gäller {others} {'annan cell' if others == 1 else 'andra celler'}."
    raise TableError(
        message, row=row, column=header or column_letter(column), code=ErrorCode.TABLE_BAD_CELL
    )
