"""A Core statement compiled once and run on the driver's cursor, through public API only.

For the one statement the mail worker executes per message (`survey.mail.batch`):
`Connection.execute` costs about three times the driver's own CPU per call
(`bench/mail_marks.py`, a mark with its commit: 210 against 74 µs on SQLite, 264 against
98 µs on PostgreSQL), most of it SQLAlchemy's execution machinery (result and context
objects, events, the compiled cache); ``exec_driver_sql`` saves only a fifth of it. Over
10,000 messages that is more than the SMTP exchange. `DriverStatement` keeps the
statement written in Core and does only the execution by hand, with documented API:

* ``statement.compile(dialect=...)`` once per dialect, with a *named* parameter style
  (psycopg's ``pyformat`` already is; SQLite's ``qmark`` is replaced by a dialect of the
  same class made with ``paramstyle="named"``), so that parameters go to the driver as a
  dictionary and no positional order is needed; ``Compiled.string`` is the SQL and
  ``Compiled.params`` the statement's own (literal) values;
* the statement's bound parameters, found with the public ``sqlalchemy.sql.visitors``
  traversal, give each name its type, and
  ``type.dialect_impl(dialect).bind_processor(dialect)`` (`TypeEngine`'s public contract,
  the same call SQLAlchemy makes) turns a value into what the driver gets — exactly
  what the ORM would store (tests/test_mail_driver_statement.py compares the two);
* the cursor comes from ``PoolProxiedConnection.driver_connection``, the documented way
  to the driver's own connection. On SQLite the transaction is begun with BEGIN
  IMMEDIATE and committed on that cursor, as `survey.database` begins every other one.
  A driver error is raised as SQLAlchemy raises it (``DBAPIError.instance``), so the
  callers' ``except SQLAlchemyError`` keep working.

Every bound parameter must have a name of its own (no anonymous ``literal()`` or
comparison with a bare value): the class refuses a statement it could not map, at
construction, rather than sending a value unprocessed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, ClauseElement, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import visitors

_COMPILED: dict[tuple[int, str], tuple[str, dict[str, Any], dict[str, Any], frozenset[str]]] = {}


def _named_dialect(dialect: Dialect) -> Dialect:
    if dialect.paramstyle in ("named", "pyformat"):
        return dialect
    return type(dialect)(paramstyle="named")  # type: ignore[call-arg]


def compile_for(
    statement: ClauseElement, dialect: Dialect
) -> tuple[str, dict[str, Any], dict[str, Any], frozenset[str]]:
    """The SQL, the processed fixed values, the processors and the caller's names (cached)."""
    key = (id(statement), dialect.name)
    if key in _COMPILED:
        return _COMPILED[key]
    compiled = statement.compile(dialect=_named_dialect(dialect))
    binds: dict[str, BindParameter[Any]] = {}

    def visit(bind: BindParameter[Any]) -> None:
        binds.setdefault(bind.key, bind)

    visitors.traverse(statement, {}, {"bindparam": visit})
    names = set(compiled.params)
    if set(binds) != names:
        raise ValueError(
            f"every bound parameter needs a name of its own: compiled {sorted(names)}, "
            f"named {sorted(binds)}"
        )
    processors = {
        name: processor
        for name, bind in binds.items()
        if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    required = frozenset(name for name, bind in binds.items() if bind.required)
    fixed = {
        name: processors[name](value) if name in processors else value
        for name, value in compiled.params.items()
        if name not in required
    }
    _COMPILED[key] = (compiled.string, fixed, processors, required)
    return _COMPILED[key]


class DriverStatement:
    """`statement` compiled for `connection`'s dialect, executed on its driver's cursor."""

    def __init__(self, statement: ClauseElement, connection: Connection) -> None:
        dialect = connection.dialect
        self.sql, self.fixed, self.processors, self.required = compile_for(statement, dialect)
        self.sqlite = dialect.name == "sqlite"
        self.dialect = dialect
        # PostgreSQL's worker connection commits every statement by itself
        # (`survey.mail.durability`); any other connection commits on the driver.
        isolation = connection.get_execution_options().get("isolation_level")
        self.autocommit = isolation == "AUTOCOMMIT"
        self.driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self.driver: Any = connection.connection.driver_connection
        self.cursor: Any = None

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """The driver's parameters: the statement's own and `values`, processed."""
        if values.keys() != self.required:
            raise ValueError(
                f"parameters {sorted(values)}, the statement needs {sorted(self.required)}"
            )
        parameters = dict(self.fixed)
        processors = self.processors
        for name, value in values.items():
            processor = processors.get(name)
            parameters[name] = value if processor is None else processor(value)
        return parameters

    def returning(self, values: dict[str, Any]) -> list[Any]:
        """Execute and commit; the first column of the rows returned.

        On SQLite it is one BEGIN IMMEDIATE … COMMIT; on PostgreSQL the worker's
        connection is in autocommit, so the statement commits itself.
        """
        parameters = self.parameters(values)
        try:
            if self.cursor is None:
                self.cursor = self.driver.cursor()
            cursor = self.cursor
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    cursor.execute(self.sql, parameters)
                    rows = cursor.fetchall()
                    cursor.execute("COMMIT")
                except BaseException:
                    self.driver.rollback()
                    raise
            else:
                cursor.execute(self.sql, parameters)
                rows = cursor.fetchall()
                if not self.autocommit:
                    self.driver.commit()
        except self.driver_error as error:
            # As SQLAlchemy would raise it: callers catch SQLAlchemyError.
            raise DBAPIError.instance(
                self.sql, parameters, error, self.driver_error, dialect=self.dialect
            ) from error
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the cursor (the batch is done with the statement)."""
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None
