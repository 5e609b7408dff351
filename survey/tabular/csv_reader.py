"""Read an uploaded .csv: find its encoding and delimiter, then split it into rows.

Encodings: UTF-8 (a BOM is dropped), else Windows-1252; UTF-16/32 with a BOM is read too, and
UTF-16 without one is refused rather than guessed. The delimiter (; tab ,) is the one that
splits the header line into most fields, unless Excel's ``sep=;`` first line names it. Quoted
fields may hold delimiters, quotes and line breaks. Text that starts with ``=``, ``+``, ``-``
or ``@`` stays plain text (escaping such values on export is the exporter's job).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from survey.errors import ErrorCode
from survey.tabular.model import (
    OLE2_MAGIC,
    SAVE_AS_HINT,
    ZIP_MAGICS,
    RawRow,
    Table,
    TableError,
    build_table,
)

SAVE_AS_CSV_UTF8_HINT = 'Spara filen i Excel som "CSV UTF-8 (kommaavgränsad) (*.csv)".'

_DELIMITERS = (";", "\t", ",")  # order breaks ties: Swedish Excel writes semicolons


def read_csv(data: bytes, *, first_rows: int | None = None) -> Table:
    """Read the rows of a .csv (only the first `first_rows` with data, if given)."""
    text, encoding = _decode_csv(data)
    text = text.rstrip("\x1a")  # a DOS end-of-file marker
    delimiter: str | None = None
    hint = re.match(r"sep=(.)(\r\n|\r|\n|$)", text, flags=re.IGNORECASE)
    if hint:
        # Excel's "sep=;" line names the delimiter; Excel hides it, so rows count after it.
        delimiter = hint.group(1)
        text = text[hint.end() :]
    if not text.strip():
        raise TableError("Filen är tom.", code=ErrorCode.TABLE_EMPTY)
    delimiter = delimiter or sniff_delimiter(text)
    return build_table(
        _csv_rows(text, delimiter),
        file_format="csv",
        encoding=encoding,
        delimiter=delimiter,
        first_rows=first_rows,
    )


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith(ZIP_MAGICS):
        raise TableError(
            "Filen är en Excel-arbetsbok (.xlsx) eller annan zip-fil men har filändelsen .csv. "
            "Ge den rätt filändelse eller spara den som CSV.",
            code=ErrorCode.TABLE_WRONG_FORMAT,
        )
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            f"Filen är i det gamla Excel-formatet (.xls) men har filändelsen .csv. {SAVE_AS_HINT}",
            code=ErrorCode.TABLE_WRONG_FORMAT,
        )
    if data.startswith(b"%PDF"):
        raise TableError(
            f"Filen är en PDF, inte en CSV-fil. {SAVE_AS_HINT}", code=ErrorCode.TABLE_WRONG_FORMAT
        )
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
                    f"Filens teckenkodning (Unicode) är trasig. {SAVE_AS_CSV_UTF8_HINT}",
                    code=ErrorCode.TABLE_BAD_ENCODING,
                ) from error
            if "\x00" in text:
                raise TableError(_binary_csv_message(), code=ErrorCode.TABLE_BINARY)
            return text, codec.split("-")[0] + "-" + codec.split("-")[1]
    if b"\x00" in data:
        if _looks_like_utf16(data):
            raise TableError(
                "Filen verkar vara sparad som UTF-16 (Unicode-text) utan byte-ordningsmärke "
                f"och kan inte läsas säkert. {SAVE_AS_CSV_UTF8_HINT}",
                code=ErrorCode.TABLE_BAD_ENCODING,
            )
        raise TableError(_binary_csv_message(), code=ErrorCode.TABLE_BINARY)
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
            f"{SAVE_AS_CSV_UTF8_HINT}",
            code=ErrorCode.TABLE_BAD_ENCODING,
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


def _csv_rows(text: str, delimiter: str) -> Iterator[RawRow]:
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
                code=ErrorCode.TABLE_BAD_CSV,
            ) from error
        number += 1
        last, last_span = record, reader.line_num - line_before
        yield RawRow(number, record)
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
            code=ErrorCode.TABLE_BAD_CSV,
        )
