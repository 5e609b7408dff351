"""The database handle, the declarative base and the column types shared by all models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, MetaData, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time stored as naive UTC and always returned timezone-aware (UTC).

    Naive datetimes are refused on the way in: every time in this code base is aware.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: JSONDocument,
            list[Any]: JSONDocument,
        },
    )


db = SQLAlchemy(model_class=Base)

# The class every table derives from: Flask-SQLAlchemy's model class at run time, and the
# typed declarative base for the type checker (so that attributes of tables are checked).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# The largest id a row can have: primary keys are PostgreSQL `integer`s. A larger number
# from an address or a command line names no row, and must never reach a query (PostgreSQL
# refuses it with an error, SQLite's driver with an OverflowError).
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def table_of(model: type[Base]) -> Table:
    """The table of a mapped class, typed as a Table (for Core inserts and updates)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table
