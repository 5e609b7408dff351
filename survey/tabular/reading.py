"""Read an uploaded table (.xlsx or .csv) by its file name, within the upload size limit."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from survey.errors import ErrorCode
from survey.tabular.csv_reader import read_csv
from survey.tabular.model import SAVE_AS_HINT, WEB_LIMITS, Table, TableError, current_limits
from survey.tabular.xlsx_reader import read_xlsx

MAX_FILE_BYTES = WEB_LIMITS.max_bytes or 0  # an upload on the web; see `table_limits`


def read_table(data: bytes, filename: str, *, first_rows: int | None = None) -> Table:
    """Read the table in an uploaded .xlsx or .csv file, or raise TableError.

    With `first_rows`, only the header and that many rows with data are read (a quick check
    of the header before the whole file is checked off the request).
    """
    extension = _extension(filename)
    limits = current_limits()
    max_bytes = MAX_FILE_BYTES if limits is WEB_LIMITS else limits.max_bytes
    if max_bytes is not None and len(data) > max_bytes:
        raise TableError(
            f"Filen är för stor ({len(data) / 1024 / 1024:.1f} MB). "
            f"Högst {max_bytes / 1024 / 1024:.0f} MB tas emot.",
            code=ErrorCode.TABLE_TOO_LARGE,
        )
    if not data.strip():
        raise TableError("Filen är tom.", code=ErrorCode.TABLE_EMPTY)
    if extension == ".xlsx":
        return read_xlsx(data, first_rows=first_rows)
    if extension == ".csv":
        return read_csv(data, first_rows=first_rows)
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
