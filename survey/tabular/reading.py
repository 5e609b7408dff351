"""Read an uploaded table (.xlsx or .csv) by its file name, within the upload size limit.

`read_table` reads it whole into a `Table` (an upload on the web); `open_table` streams it
row by row (an import of any size: `survey.responses.importing`).
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from survey.errors import ErrorCode
from survey.tabular.csv_reader import stream_csv
from survey.tabular.model import (
    SAVE_AS_HINT,
    WEB_LIMITS,
    Table,
    TableError,
    TableStream,
    current_limits,
    table_of_stream,
)
from survey.tabular.source import TableSource, source_head, source_size
from survey.tabular.xlsx_reader import stream_xlsx

MAX_FILE_BYTES = WEB_LIMITS.max_bytes or 0  # an upload on the web; see `table_limits`
EMPTY_CHECK_BYTES = 64 * 1024  # a file no larger than this of only blanks is empty


def read_table(data: bytes, filename: str, *, first_rows: int | None = None) -> Table:
    """Read the table in an uploaded .xlsx or .csv file, or raise TableError.

    With `first_rows`, only the header and that many rows with data are read (a quick check
    of the header before the whole file is checked off the request).
    """
    return table_of_stream(open_table(data, filename), first_rows=first_rows)


def open_table(source: TableSource, filename: str) -> TableStream:
    """Open an .xlsx or .csv for reading row by row (its header read), or raise TableError.

    The rows are read as they are asked for (`TableStream.rows`); use it in a ``with``
    block, or close it. A path is read in pieces and never held whole; bytes are read from
    memory. Either can be opened again for a second pass.
    """
    extension = _extension(filename)
    limits = current_limits()
    max_bytes = MAX_FILE_BYTES if limits is WEB_LIMITS else limits.max_bytes
    size = source_size(source)
    if max_bytes is not None and size > max_bytes:
        raise TableError(
            f"Filen är för stor ({size / 1024 / 1024:.1f} MB). "
            f"Högst {max_bytes / 1024 / 1024:.0f} MB tas emot.",
            code=ErrorCode.TABLE_TOO_LARGE,
        )
    head = source_head(source, EMPTY_CHECK_BYTES)
    if not head.strip() and size <= EMPTY_CHECK_BYTES:
        raise TableError("Filen är tom.", code=ErrorCode.TABLE_EMPTY)
    if extension == ".xlsx":
        return stream_xlsx(source)
    if extension == ".csv":
        return stream_csv(source)
    raise TableError(
        _unsupported_extension_message(extension), code=ErrorCode.TABLE_UNSUPPORTED_EXTENSION
    )


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
