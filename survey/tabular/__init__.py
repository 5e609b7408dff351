"""Read an uploaded table (.xlsx or .csv) safely into plain rows of text.

The reader is shared by every upload of tabular data (recipients, imported answers). It never
evaluates anything: an .xlsx cell holding a formula is refused, and CSV text that starts with
``=``, ``+``, ``-`` or ``@`` stays plain text (escaping such values on export is the exporter's
job; HTML output is escaped by the templates). Every refusal is a ``TableError`` with a
Swedish message for the person who uploaded the file.

* `reading`: ``read_table``, choosing the reader by file name; the upload size limit.
* `model`: the ``Table`` the readers build, its row and column limits, ``TableError``.
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
    column_letter,
    describe_location,
    table_limits,
)
from survey.tabular.reading import MAX_FILE_BYTES, read_table

__all__ = [
    "MAX_FILE_BYTES",
    "ColumnMap",
    "ColumnProblem",
    "ColumnSpec",
    "Table",
    "TableError",
    "TableLimits",
    "TableRow",
    "column_letter",
    "describe_location",
    "match_columns",
    "read_table",
    "table_limits",
]
