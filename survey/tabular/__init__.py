"""Read an uploaded table (.xlsx or .csv) safely into plain rows of text.

The reader is shared by every upload of tabular data (recipients, imported answers). It never
evaluates anything: an .xlsx cell holding a formula is refused, and CSV text that starts with
``=``, ``+``, ``-`` or ``@`` stays plain text (escaping such values on export is the exporter's
job; HTML output is escaped by the templates). Every refusal is a ``TableError`` with a
Swedish message for the person who uploaded the file.

* `reading`: ``read_table`` (whole, into a ``Table``) and ``open_table`` (row by row, a
  ``TableStream``), choosing the reader by file name; the upload size limit.
* `model`: the ``Table`` and ``TableStream`` the readers build, the row and column limits,
  ``TableError``.
* `source`: a file read more than once, as bytes or from a path.
* `xlsx_reader`: the first visible sheet of an .xlsx; the zip and zip-bomb checks, formulas.
* `csv_reader`: a .csv's encoding, delimiter and records.
* `headers`: ``match_columns``, finding the expected columns whatever their spelling.
"""

from survey.tabular.headers import ColumnMap, ColumnProblem, ColumnSpec, match_columns
from survey.tabular.model import (
    Table,
    TableError,
    TableLimits,
    TableRow,
    TableStream,
    column_letter,
    describe_location,
    table_limits,
)
from survey.tabular.reading import MAX_FILE_BYTES, open_table, read_table
from survey.tabular.source import TableSource

__all__ = [
    "MAX_FILE_BYTES",
    "ColumnMap",
    "ColumnProblem",
    "ColumnSpec",
    "Table",
    "TableError",
    "TableLimits",
    "TableRow",
    "TableSource",
    "TableStream",
    "column_letter",
    "describe_location",
    "match_columns",
    "open_table",
    "read_table",
    "table_limits",
]
