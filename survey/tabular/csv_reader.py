"""Read an uploaded .csv: find its encoding and delimiter, then split it into rows.

Encodings: UTF-8 (a BOM is dropped), else Windows-1252; UTF-16/32 with a BOM is read too, and
UTF-16 without one is refused rather than guessed. The delimiter (; tab ,) is the one that
splits the header line into most fields, unless Excel's ``sep=;`` first line names it. Quoted
fields may hold delimiters, quotes and line breaks. Text that starts with ``=``, ``+``, ``-``
or ``@`` stays plain text (escaping such values on export is the exporter's job).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from typing import BinaryIO

from survey.errors import ErrorCode
from survey.tabular.model import (
    OLE2_MAGIC,
    SAVE_AS_HINT,
    ZIP_MAGICS,
    RawRow,
    TableError,
    TableStream,
)
from survey.tabular.source import TableSource, open_binary

SAVE_AS_CSV_UTF8_HINT = 'Spara filen i Excel som "CSV UTF-8 (kommaavgränsad) (*.csv)".'

_DELIMITERS = (";", "\t", ",")  # order breaks ties: Swedish Excel writes semicolons
SCAN_CHUNK = 1024 * 1024  # bytes read at a time to find the encoding
SNIFF_LINES = 20  # lines with text that decide the delimiter (see `sniff_delimiter`)
SNIFF_CHARACTERS = 1024 * 1024  # at most this much text is read ahead for it


def stream_csv(source: TableSource) -> TableStream:
    """Open a .csv for reading row by row (see `TableStream`), or raise TableError.

    The file is read twice: once, in chunks, to find its encoding (UTF-8 only if all of it
    is), and then line by line for its rows. Neither read holds more than a chunk.
    """
    codec, skip, encoding = _csv_encoding(source)
    binary = open_binary(source)
    try:
        binary.read(skip)
        text = io.TextIOWrapper(binary, encoding=codec, newline="")
        lines = iter(text)
        head = _head_lines(lines)
        delimiter: str | None = None
        hint = re.match(r"sep=(.)(\r\n|\r|\n|$)", head[0], flags=re.IGNORECASE) if head else None
        if hint:
            # Excel's "sep=;" line names the delimiter; Excel hides it, so rows count after it.
            delimiter = hint.group(1)
            head = head[1:]
        delimiter = delimiter or sniff_delimiter("".join(head))
        tail = _Tail()
        rows = _csv_rows(tail.lines(itertools.chain(head, lines)), delimiter, tail)
        return TableStream(
            rows,
            file_format="csv",
            encoding=encoding,
            delimiter=delimiter,
            position=binary.tell,
            close=text.close,
        )
    except BaseException:
        binary.close()
        raise


def _head_lines(lines: Iterator[str]) -> list[str]:
    """The first lines of the text: enough for `sniff_delimiter` (and the sep= line)."""
    head: list[str] = []
    size = 0
    filled = 0
    for line in lines:
        head.append(line)
        size += len(line)
        filled += bool(line.strip())
        if filled > SNIFF_LINES or size > SNIFF_CHARACTERS:
            break
    return head


class _Tail:
    """Pass the lines on, without a DOS end-of-file marker at the very end, noting the last
    character that is not a line break (for the unclosed-quote check)."""

    def __init__(self) -> None:
        self.last_character = ""

    def lines(self, lines: Iterator[str]) -> Iterator[str]:
        previous: str | None = None
        for line in lines:
            if previous is not None:
                yield self._seen(previous)
            previous = line
        if previous is not None:
            last = previous.rstrip("\x1a")  # a DOS end-of-file marker
            if last:
                yield self._seen(last)

    def _seen(self, line: str) -> str:
        stripped = line.rstrip("\r\n")
        if stripped:
            self.last_character = stripped[-1]
        return line


def _csv_encoding(source: TableSource) -> tuple[str, int, str]:
    """The codec to read the file with, the bytes to skip first (a BOM), and its name."""
    with open_binary(source) as stream:
        head = stream.read(SCAN_CHUNK)
        _refuse_other_formats(head)
        for bom, codec in (
            (b"\xff\xfe\x00\x00", "utf-32-le"),
            (b"\x00\x00\xfe\xff", "utf-32-be"),
            (b"\xff\xfe", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be"),
        ):
            if head.startswith(bom):
                _check_unicode(stream, head[len(bom) :], codec)
                return codec, len(bom), codec.split("-")[0] + "-" + codec.split("-")[1]
        utf8 = codecs.getincrementaldecoder("utf-8")()
        is_utf8 = is_cp1252 = True
        has_nul = False
        skip = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        chunk = head
        first = True
        while chunk or first:
            has_nul = has_nul or b"\x00" in chunk
            following = stream.read(SCAN_CHUNK)
            if is_utf8:
                try:
                    utf8.decode(chunk[skip:] if first else chunk, final=not following)
                except UnicodeDecodeError:
                    is_utf8 = False
            if is_cp1252:
                try:
                    chunk.decode("cp1252")
                except UnicodeDecodeError:
                    is_cp1252 = False
            chunk, first = following, False
    if has_nul:
        if _looks_like_utf16(head):
            raise TableError(
                "Filen verkar vara sparad som UTF-16 (Unicode-text) utan byte-ordningsmärke "
                f"och kan inte läsas säkert. {SAVE_AS_CSV_UTF8_HINT}",
                code=ErrorCode.TABLE_BAD_ENCODING,
            )
        raise TableError(_binary_csv_message(), code=ErrorCode.TABLE_BINARY)
    if is_utf8:
        return "utf-8", skip, "utf-8"
    if is_cp1252:
        return "cp1252", 0, "windows-1252"
    raise TableError(
        "Filens teckenkodning känns inte igen (varken UTF-8 eller Windows-1252). "
        f"{SAVE_AS_CSV_UTF8_HINT}",
        code=ErrorCode.TABLE_BAD_ENCODING,
    )


def _check_unicode(stream: BinaryIO, first: bytes, codec: str) -> None:
    """Decode the whole of a file with a BOM in chunks: refuse it if broken or binary."""
    decoder = codecs.getincrementaldecoder(codec)()
    chunk = first
    while True:
        following = stream.read(SCAN_CHUNK)
        try:
            text = decoder.decode(chunk, final=not following)
        except UnicodeDecodeError as error:
            raise TableError(
                f"Filens teckenkodning (Unicode) är trasig. {SAVE_AS_CSV_UTF8_HINT}",
                code=ErrorCode.TABLE_BAD_ENCODING,
            ) from error
        if "\x00" in text:
            raise TableError(_binary_csv_message(), code=ErrorCode.TABLE_BINARY)
        if not following:
            return
        chunk = following


def _refuse_other_formats(data: bytes) -> None:
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


def _csv_rows(lines: Iterator[str], delimiter: str, tail: _Tail) -> Iterator[RawRow]:
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
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
        except UnicodeDecodeError as error:  # the file changed since its encoding was found
            raise TableError(
                "Filens teckenkodning känns inte igen (varken UTF-8 eller Windows-1252). "
                f"{SAVE_AS_CSV_UTF8_HINT}",
                row=number + 1,
                code=ErrorCode.TABLE_BAD_ENCODING,
            ) from error
        number += 1
        last, last_span = record, reader.line_num - line_before
        yield RawRow(number, record)
    if (
        last_span > 1
        and last
        and ("\n" in last[-1] or "\r" in last[-1])
        and tail.last_character != '"'
    ):
        # csv in lenient mode swallows everything after an unclosed quote into one field.
        raise TableError(
            'Ett citattecken (") på raden avslutas aldrig, så resten av filen blir ett enda '
            "fält. Rätta citattecknen eller spara om filen från Excel.",
            row=number,
            code=ErrorCode.TABLE_BAD_CSV,
        )
