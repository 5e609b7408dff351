"""A fingerprint of the whole database: row counts and a hash of every row, per table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from survey.db import db

# (rows, sha256 of the rows in primary-key order) per table name.
Fingerprint = dict[str, tuple[int, str]]


def _plain(value: Any) -> Any:
    """A value JSON can hold, the same on SQLite and PostgreSQL."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def database_fingerprint(app: Flask, *, exclude: Collection[str] = ()) -> Fingerprint:
    """Count and hash the content of every table except `exclude`, row by row."""
    fingerprint: Fingerprint = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in exclude:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            count = 0
            for row in db.session.execute(select(table).order_by(*order)):
                values = [_plain(value) for value in row]
                digest.update(
                    json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()
                )
                digest.update(b"\n")
                count += 1
            fingerprint[table.name] = (count, digest.hexdigest())
        db.session.rollback()
    return fingerprint


def changed_tables(before: Fingerprint, after: Fingerprint) -> list[str]:
    """The tables whose rows differ between two fingerprints."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
