"""The one cleaner every text goes through before it becomes a cell of an exported workbook.

Text from respondents, recipients files and questionnaires is data, never a formula or a
link. The workbook writes every string with ``write_string`` (never ``write()`` with its
guessing), and text that a spreadsheet would turn into a formula when the cell is edited
or saved as CSV (a first character of `FORMULA_TRIGGERS`) gets the cell format
``quote_prefix`` (Excel's leading apostrophe: shown and kept as text, the value itself
unchanged). Before that, `clean_text`:

* removes control characters (C0 and C1, except line feed and tab), lone surrogates and
  the non-characters U+FFFE/U+FFFF, which an XML file cannot hold or Excel refuses;
* removes tabs at the start (a tab inside the text is kept);
* cuts text longer than Excel's cell limit (`MAX_CELL_CHARS` UTF-16 code units) and marks
  the cut with `CUT_MARKER`.
"""

from __future__ import annotations

import re
from typing import Final

MAX_CELL_CHARS: Final = 32_767
CUT_MARKER: Final = " …[avkortad]"
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r\n")

_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """The text as a cell may hold it: no control characters, no leading tab, not too long."""
    if _UNWANTED.search(text) is not None:
        text = _UNWANTED.sub("", text)
    if text.startswith("\t"):
        text = text.lstrip("\t")
    # A string under half the limit cannot exceed it in UTF-16 units: skip the count.
    if len(text) > MAX_CELL_CHARS // 2 and _utf16_length(text) > MAX_CELL_CHARS:
        text = _cut(text, MAX_CELL_CHARS - _utf16_length(CUT_MARKER)) + CUT_MARKER
    return text


def needs_quote_prefix(text: str) -> bool:
    """Whether a spreadsheet would read the (cleaned) text as a formula when it is edited."""
    return text[:1] in FORMULA_TRIGGERS


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest start of `text` of at most `units` UTF-16 code units (never half a pair)."""
    encoded = text.encode("utf-16-le")[: units * 2]
    return encoded.decode("utf-16-le", errors="ignore")
