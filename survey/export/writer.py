"""Typed cell writing for the export: one place that turns values into safe xlsxwriter cells.

Every string is cleaned (`survey.export.sanitise.clean_text`) and written with
``write_string``; numbers with ``write_number``; dates with ``write_datetime`` (or, in the
large `Svar` sheet, as Excel serial numbers with a date format, which is what
``write_datetime`` writes too). Nothing is left to xlsxwriter's guessing ``write()``.

One trap is closed here: in constant-memory mode xlsxwriter writes a string that starts
with ``<r>`` and ends with ``</r>`` into the sheet's XML *unescaped*, as if it were one of
its own rich strings, so such an answer could inject any cell, a formula included. These
strings are written as a rich string of plain fragments instead, which xlsxwriter escapes;
the cell's text is unchanged.

`SheetWriter` also remembers how wide each column's content is, so that `finish` can size
the columns, freeze the header rows and put an autofilter on the header.

Wrapped text gets its row's height here: spreadsheets do not all grow a row to fit its
wrapped cells (LibreOffice keeps the default height of a row it did not measure, and the
lines of one row then overlap the next, in print too). The height is estimated from the
text's length in a column of `WRAPPED_WIDTH` (`wrapped_lines`, a little generous), and set
while the row is still open: the workbook is written row by row (constant memory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from survey.errors import ErrorCode, OperatorError
from survey.export.sanitise import clean_text, needs_quote_prefix
from survey.results.attainment_rules import Status

STOCKHOLM: Final = ZoneInfo("Europe/Stockholm")
MAX_ROWS: Final = 1_048_576  # of an Excel sheet; xlsxwriter silently drops rows past it
MIN_WIDTH: Final = 6
MAX_WIDTH: Final = 60
WRAPPED_WIDTH: Final = 50  # long text wraps in a column this wide
LINE_POINTS: Final = 15.0  # the height of one line of 11 pt text
MAX_ROW_POINTS: Final = 409.0  # Excel's tallest row
CHARACTERS_PER_WIDTH: Final = 1.0  # per unit of column width (measured in LibreOffice: ~1.1)
BOLD_CHARACTERS_PER_WIDTH: Final = 0.9

PERCENT_FORMAT: Final = "0.0%"
CHANGE_PERCENT_FORMAT: Final = "+0.0%;-0.0%;0.0%"
DECIMAL_FORMAT: Final = "0.0"
CHANGE_DECIMAL_FORMAT: Final = "+0.0;-0.0;0.0"
INTEGER_FORMAT: Final = "0"
DATE_FORMAT: Final = "yyyy-mm-dd"
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"

# Excel's own "Good", "Bad" and "Neutral" cell styles, and grey: the label says it too.
STATUS_COLOURS: Final[dict[Status, tuple[str, str]]] = {
    Status.UPPNATT: ("#C6EFCE", "#006100"),
    Status.EJ_UPPNATT: ("#FFC7CE", "#9C0006"),
    Status.INGET_MAL: ("#E7E6E6", "#3A3838"),
    Status.FOR_FA_SVAR: ("#FFEB9C", "#9C5700"),
    Status.KAN_INTE_AVGORAS: ("#FFEB9C", "#7A4100"),
    Status.INGET_JAMFORELSEVARDE: ("#E7E6E6", "#3A3838"),
}

CellWriter = Callable[[int, int, Any, Any], Any]


class TooManyRows(OperatorError, ValueError):
    """A sheet would need more rows than Excel has; nothing is silently left out."""

    code = ErrorCode.EXPORT_TOO_MANY_ROWS

    def __init__(self, sheet: str, rows: int, *, code: ErrorCode | None = None) -> None:
        super().__init__(
            f"the sheet {sheet} would need {rows:,} rows, more than Excel's {MAX_ROWS:,}; "
            "export a smaller round",
            code=code,
        )


def check_rows(sheet: str, rows: int) -> None:
    """Refuse a sheet of more rows than Excel can hold."""
    if rows > MAX_ROWS:
        raise TooManyRows(sheet, rows, code=ErrorCode.EXPORT_TOO_MANY_ROWS)


@dataclass(frozen=True, slots=True)
class TextStyle:
    """A text cell format and its twin with the quote prefix, for text that looks like a formula."""

    plain: Format | None
    quoted: Format

    def pick(self, text: str) -> Format | None:
        """The format for this (cleaned) text."""
        return self.quoted if needs_quote_prefix(text) else self.plain


class Styles:
    """The cell formats of one workbook, made once."""

    def __init__(self, workbook: Workbook) -> None:
        def text_style(properties: dict[str, Any] | None) -> TextStyle:
            plain = workbook.add_format(properties) if properties else None
            quoted = workbook.add_format({**(properties or {}), "quote_prefix": True})
            return TextStyle(plain, quoted)

        self.text = text_style(None)
        self.wrap = text_style({"text_wrap": True, "valign": "top"})
        self.top = workbook.add_format({"valign": "top"})  # the other cells of a tall row
        self.header = text_style(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2", "bottom": 1}
        )
        self.title = text_style({"bold": True, "font_size": 13})

        def top(properties: dict[str, Any]) -> Format:
            # At the top of its cell, as the wrapped text beside it in a tall row.
            return workbook.add_format({**properties, "valign": "top"})

        self.percent = top({"num_format": PERCENT_FORMAT})
        self.change_percent = top({"num_format": CHANGE_PERCENT_FORMAT})
        self.decimal = top({"num_format": DECIMAL_FORMAT})
        self.change_decimal = top({"num_format": CHANGE_DECIMAL_FORMAT})
        self.integer = top({"num_format": INTEGER_FORMAT})
        self.date = top({"num_format": DATE_FORMAT})
        self.datetime = top({"num_format": DATETIME_FORMAT})
        self.status: dict[Status, Format] = {
            status: top({"bg_color": fill, "font_color": font, "bold": True})
            for status, (fill, font) in STATUS_COLOURS.items()
        }


def text_cell_writer(sheet: Worksheet) -> CellWriter:
    """A writer of cleaned text that never lets xlsxwriter write it as raw XML (see above)."""
    write_string = sheet.write_string
    write_rich_string = sheet.write_rich_string

    def write(row: int, col: int, text: str, cell_format: Format | None) -> Any:
        if text.startswith("<r>") and text.endswith("</r>"):
            fragments = (text[:1], text[1:2], text[2:])
            if cell_format is None:
                return write_rich_string(row, col, *fragments)
            return write_rich_string(row, col, *fragments, cell_format)
        return write_string(row, col, text, cell_format)

    return write


def set_up_printing(
    sheet: Worksheet, header_rows: int, *, fit_width: bool, pages_wide: int = 1
) -> None:
    """A4 landscape with the header rows on every page, `pages_wide` pages wide if `fit_width`."""
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.repeat_rows(0, header_rows - 1)
    if fit_width:
        sheet.fit_to_pages(pages_wide, 0)


def wrapped_lines(text: str, width: int) -> int:
    """The lines a text takes wrapped in a column `width` characters wide (a safe estimate)."""
    per_line = max(1, int(width * CHARACTERS_PER_WIDTH) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def word_wrapped_lines(text: str, width: int, *, bold: bool = False) -> int:
    """The lines of a text wrapped word by word (for headers in narrow columns, where whole
    words moved to the next line waste much of each line; bold letters are wider)."""
    per_line = max(1, int(width * (BOLD_CHARACTERS_PER_WIDTH if bold else 1.0)) - 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size <= per_line:
                used += 1 + size
                continue
            if used:
                lines += 1
            lines += (size - 1) // per_line  # a word longer than a line is broken
            used = (size - 1) % per_line + 1
    return lines


def row_points(lines: int) -> float:
    """The height in points of a row of so many lines (at most Excel's tallest row)."""
    return min(MAX_ROW_POINTS, LINE_POINTS * max(1, lines))


def is_raw_xml_trap(text: str) -> bool:
    """Whether xlsxwriter would write this text unescaped in constant-memory mode."""
    return text.startswith("<r>") and text.endswith("</r>")


def text_width(text: str) -> int:
    """The width the text needs: its longest line."""
    if "\n" not in text:
        return len(text)
    return max(len(line) for line in text.split("\n"))


def local_naive(moment: datetime) -> datetime:
    """An aware time as Stockholm wall-clock time without zone (what Excel stores)."""
    return moment.astimezone(STOCKHOLM).replace(tzinfo=None)


class SheetWriter:
    """Writes one worksheet's cells, keeping track of column widths and the used area."""

    def __init__(self, sheet: Worksheet, styles: Styles) -> None:
        self.sheet = sheet
        self.styles = styles
        self.widths: dict[int, int] = {}
        self.wrapped: set[int] = set()
        self.last_row = 0
        self.last_col = 0
        self._write_text = text_cell_writer(sheet)
        self._open_row = -1  # the row being written, and the lines its wrapped cells need
        self._open_lines = 1

    def _begin(self, row: int) -> None:
        """Before a cell of `row`: give the row left behind the height of its wrapped text."""
        if row > self._open_row:
            self._settle()
            self._open_row = row

    def _settle(self) -> None:
        if self._open_row >= 0 and self._open_lines > 1:
            self.sheet.set_row(self._open_row, row_points(self._open_lines), self.styles.top)
        self._open_lines = 1

    def _used(self, row: int, col: int) -> None:
        if row > self.last_row:
            self.last_row = row
        if col > self.last_col:
            self.last_col = col

    def fit(self, col: int, width: int) -> None:
        """Make the column at least `width` characters wide (up to the cap in `finish`)."""
        if width > self.widths.get(col, 0):
            self.widths[col] = width

    def text(self, row: int, col: int, value: str | None, style: TextStyle | None = None) -> None:
        """Write text (cleaned; quote prefix when it looks like a formula); None or "" is blank."""
        if value is None:
            return
        text = clean_text(value)
        if not text:
            return
        style = style or self.styles.text
        self._begin(row)
        self._write_text(row, col, text, style.pick(text))
        if style is self.styles.wrap:
            self.wrapped.add(col)
            if row == self._open_row:
                self._open_lines = max(self._open_lines, wrapped_lines(text, WRAPPED_WIDTH))
        self.fit(col, text_width(text))
        self._used(row, col)

    def number(
        self, row: int, col: int, value: float | int | None, cell_format: Format | None = None
    ) -> None:
        """Write a number; None and NaN are left blank."""
        if value is None or value != value:  # NaN is the only value unequal to itself
            return
        self._begin(row)
        self.sheet.write_number(row, col, value, cell_format)
        self.fit(col, len(f"{value:.1f}") + 1)
        self._used(row, col)

    def date(
        self, row: int, col: int, value: date | datetime | None, cell_format: Format | None = None
    ) -> None:
        """Write a date, or an aware time as Stockholm time; None is left blank."""
        if value is None:
            return
        self._begin(row)
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = local_naive(value)
            self.sheet.write_datetime(row, col, value, cell_format or self.styles.datetime)
            self.fit(col, 16)
        else:
            self.sheet.write_datetime(
                row,
                col,
                datetime(value.year, value.month, value.day),
                cell_format or self.styles.date,
            )
            self.fit(col, 10)
        self._used(row, col)

    def header(self, row: int, labels: Sequence[str], first_col: int = 0) -> None:
        """Write a row of header labels."""
        for offset, label in enumerate(labels):
            self.text(row, first_col + offset, label, self.styles.header)

    def finish(
        self,
        *,
        header_rows: int = 1,
        filter_last_row: int | None = None,
        filter_last_col: int | None = None,
        freeze_cols: int = 0,
        fit_width: bool = True,
        pages_wide: int = 1,
    ) -> None:
        """Freeze the header rows, filter on the last header row, size the columns, set printing."""
        self._settle()
        set_up_printing(self.sheet, header_rows, fit_width=fit_width, pages_wide=pages_wide)
        self.sheet.freeze_panes(header_rows, freeze_cols)
        last_row = self.last_row if filter_last_row is None else filter_last_row
        last_col = self.last_col if filter_last_col is None else filter_last_col
        self.sheet.autofilter(header_rows - 1, 0, max(last_row, header_rows - 1), last_col)
        for col, width in sorted(self.widths.items()):
            cap = WRAPPED_WIDTH if col in self.wrapped else MAX_WIDTH
            self.sheet.set_column(col, col, min(cap, max(MIN_WIDTH, width + 2)))
