"""A worksheet that serialises its finished rows faster, to the same bytes as xlsxwriter's.

In constant-memory mode xlsxwriter turns each finished row into XML cell by cell: per cell
a handful of regular expressions, attribute escaping of values that never need it, and a
write to the temporary file. For a sheet of millions of cells that is most of the export's
time. `FastRowWorksheet` overrides only that serialisation: plain inline strings and
numbers (all the export writes in bulk) are rendered with cheap checks and the row goes
to the file in one write; every other kind of cell (rich strings, formulas, blanks, …)
is handed to xlsxwriter's own code. The cells stored, the values and the formats are
xlsxwriter's, written through ``write_string``/``write_number``/``write_datetime``.

The output is byte for byte what xlsxwriter writes (tests/test_export_safety.py compares
the two on every kind of cell). It relies on xlsxwriter internals, so it is used only with
the versions it was checked against (`TESTED_VERSIONS`, the bound pyproject.toml puts on
XlsxWriter), and only when those internals have the shape it was written for: the private
methods it overrides and calls, with the same parameters, the row and column records and
the cell records it reads. Otherwise `worksheet_class` logs a warning saying why and what to
do, and the export uses xlsxwriter's own worksheet, slower but the same.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
from typing import Any, Final, cast

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter import utility
from xlsxwriter.worksheet import Worksheet

logger = logging.getLogger(__name__)

# Keep in step with the XlsxWriter requirement in pyproject.toml (tests/test_export_fastrows.py
# checks that they agree). 3.2 has no RowInfo: the override would fail there.
TESTED_VERSIONS: Final = ("3.3.",)

# What FastRowWorksheet overrides or calls, with the parameters it passes.
PRIVATE_METHODS: Final[dict[str, tuple[str, ...]]] = {
    "_write_single_row": ("self", "current_row_num"),
    "_write_row": ("self", "row", "spans", "row_info", "empty_row"),
    "_write_empty_row": ("self", "row", "spans", "row_info"),
    "_write_cell": ("self", "row", "col", "cell"),
    "_escape_control_characters": ("data",),
    "_xml_end_tag": ("self", "tag"),
}
# The worksheet's state it reads (set in Worksheet.__init__).
WORKSHEET_ATTRIBUTES: Final = ("previous_row", "table", "row_info", "comments", "col_info", "fh")
# The cell records it renders itself (by class name) and the fields it reads.
CELL_RECORDS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "CellStringTuple": ("String", ("string", "format")),
    "CellNumberTuple": ("Number", ("number", "format")),
    "CellDatetimeTuple": ("Datetime", ("number", "format")),
}
# The row and column settings it reads a format from.
SETTINGS_RECORDS: Final = {"RowInfo": "row_format", "ColumnInfo": "column_format"}

# What xlsxwriter's _escape_control_characters changes (besides "_xHHHH_" look-alikes).
_NEEDS_CONTROL_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_NEEDS_DATA_ESCAPE = re.compile('["&<>\n]')


class FastRowWorksheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet with a faster serialisation of finished rows (same output)."""

    def _write_single_row(self, current_row_num: int = 0) -> None:
        # As Worksheet._write_single_row (constant-memory mode), with the cells rendered
        # by _render_row.
        row_num: int = self.previous_row  # type: ignore[has-type]
        self.previous_row = current_row_num
        cells = self.table.get(row_num)
        if row_num in self.row_info or row_num in self.comments or cells:
            if cells:
                if row_num not in self.row_info:
                    self._write_row(row_num, None)
                else:
                    self._write_row(row_num, None, self.row_info[row_num])
                self._render_row(row_num, cells)
                self._xml_end_tag("row")
            else:
                self._write_empty_row(row_num, None, self.row_info[row_num])
        self.table.clear()

    def _render_row(self, row: int, cells: dict[int, Any]) -> None:
        parts: list[str] = []
        row_info = self.row_info.get(row)
        row_format = row_info.row_format if row_info is not None else None
        col_info = self.col_info
        cell_reference = utility.xl_rowcol_to_cell_fast
        for col in sorted(cells):
            cell = cells[col]
            kind = cell.__class__.__name__
            if kind == "String":
                string = cell.string
                if "_x" in string or _NEEDS_CONTROL_ESCAPE.search(string) is not None:
                    string = self._escape_control_characters(string)
                if string.startswith("<r>") and string.endswith("</r>"):
                    kind = ""  # xlsxwriter's own (raw) handling, below
            elif kind not in ("Number", "Datetime"):
                kind = ""
            if not kind:
                if parts:
                    self.fh.write("".join(parts))
                    parts.clear()
                self._write_cell(row, col, cell)
                continue
            if cell.format:
                style = f' s="{cell.format._get_xf_index()}"'
            elif row_format:
                style = f' s="{row_format._get_xf_index()}"'
            elif col in col_info and col_info[col].column_format is not None:
                style = f' s="{col_info[col].column_format._get_xf_index()}"'
            else:
                style = ""
            reference = cell_reference(row, col)
            if kind == "String":
                preserve = (
                    ' xml:space="preserve"' if string[:1].isspace() or string[-1:].isspace() else ""
                )
                if _NEEDS_DATA_ESCAPE.search(string) is not None:
                    string = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                parts.append(
                    f'<c r="{reference}"{style} t="inlineStr">'
                    f"<is><t{preserve}>{string}</t></is></c>"
                )
            else:
                parts.append(f'<c r="{reference}"{style}><v>{cell.number:.16G}</v></c>')
        if parts:
            self.fh.write("".join(parts))


def fallback_reason() -> str | None:
    """Say why the installed xlsxwriter cannot take the fast worksheet; None when it can."""
    version = xlsxwriter.__version__
    if not version.startswith(TESTED_VERSIONS):
        tested = ", ".join(f"{prefix}x" for prefix in TESTED_VERSIONS)
        return f"xlsxwriter {version} is not a version it was checked against ({tested})"
    for name, expected in PRIVATE_METHODS.items():
        method = getattr(Worksheet, name, None)
        if not callable(method):
            return f"xlsxwriter {version} has no method Worksheet.{name}"
        try:
            parameters = tuple(inspect.signature(method).parameters)
        except (TypeError, ValueError):
            parameters = ("?",)
        if parameters != expected:
            return (
                f"Worksheet.{name} in xlsxwriter {version} takes ({', '.join(parameters)}), "
                f"not ({', '.join(expected)})"
            )
    stock = Worksheet()
    for attribute in WORKSHEET_ATTRIBUTES:
        if not hasattr(stock, attribute):
            return f"a worksheet of xlsxwriter {version} has no attribute {attribute}"
    for name, (kind, fields) in CELL_RECORDS.items():
        record = getattr(xlsxwriter.worksheet, name, None)
        if getattr(record, "__name__", None) != kind or getattr(record, "_fields", ()) != fields:
            return f"xlsxwriter {version} has no cell record {name} {kind}({', '.join(fields)})"
    for name, field in SETTINGS_RECORDS.items():
        record = getattr(xlsxwriter.worksheet, name, None)
        if not dataclasses.is_dataclass(record) or field not in {
            each.name for each in dataclasses.fields(record)
        }:
            return f"xlsxwriter {version} has no {name} with a field {field}"
    if not callable(getattr(utility, "xl_rowcol_to_cell_fast", None)):
        return f"xlsxwriter {version} has no utility.xl_rowcol_to_cell_fast"
    return None


def worksheet_class() -> type[Worksheet]:
    """The fast worksheet when xlsxwriter is as it was checked, else xlsxwriter's own (logged)."""
    reason = fallback_reason()
    if reason is None:
        return cast("type[Worksheet]", FastRowWorksheet)
    logger.warning(
        "The Excel export falls back to xlsxwriter's own row writer (same workbook, slower "
        "for large rounds): %s. Install the XlsxWriter version pyproject.toml asks for "
        "(`pip install .` in the app's virtualenv, as docs/deployment.md says), or have a "
        "developer check survey/export/fastrows.py against this version and widen "
        "TESTED_VERSIONS and the pin together.",
        reason,
    )
    return cast("type[Worksheet]", Worksheet)
