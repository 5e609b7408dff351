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
the two on every kind of cell). It relies on xlsxwriter internals, so it is used only
with the versions it was checked against (`TESTED_VERSIONS`); with any other version the
export falls back to xlsxwriter's own worksheet, slower but the same.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

TESTED_VERSIONS: Final = ("3.2.", "3.3.")

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
            reference = xl_rowcol_to_cell_fast(row, col)
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


def worksheet_class() -> type[Worksheet]:
    """The fast worksheet with a tested xlsxwriter, else xlsxwriter's own."""
    if xlsxwriter.__version__.startswith(TESTED_VERSIONS):
        return cast("type[Worksheet]", FastRowWorksheet)
    return cast("type[Worksheet]", Worksheet)
