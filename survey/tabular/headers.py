"""Find the columns a reader expects among a table's headers, whatever their spelling.

A header matches a column by its key, its Swedish label or one of its accepted spellings,
compared without case, accents, punctuation or notes in brackets ("E-post (obligatorisk)" is
"epost"). A missing required column or a column given twice is a `ColumnProblem`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from survey.organisations import normalise_word
from survey.tabular.model import TableRow, column_letter


@dataclass(frozen=True)
class ColumnSpec:
    """A column a reader expects: its key, the Swedish header to show, accepted spellings."""

    key: str
    label: str
    spellings: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class ColumnMap:
    """Where each expected column is in a table, and which headers were not recognised."""

    positions: Mapping[str, int]
    headers: Mapping[str, str]  # key → the header as written in the file
    unknown: tuple[int, ...] = ()  # columns with a header that matches no spec
    unnamed: tuple[int, ...] = ()  # columns with an empty header

    def has(self, key: str) -> bool:
        """Say whether the table has the column."""
        return key in self.positions

    def value(self, row: TableRow, key: str) -> str:
        """Return the row's text in the column, or "" when the table has no such column."""
        position = self.positions.get(key)
        return "" if position is None else row.value(position)

    def header(self, key: str, default: str = "") -> str:
        """Return the column's header as written in the file."""
        return self.headers.get(key, default)


@dataclass(frozen=True)
class ColumnProblem:
    """A header row problem: a missing or duplicated column."""

    message: str
    column: str | None = None


def normalise_header(text: str) -> str:
    """Reduce a header to letters and digits: "E-post (obligatorisk)" → "epost"."""
    without_notes = re.sub(r"\(.*?\)", "", text)
    return "".join(ch for ch in normalise_word(without_notes) if ch.isalnum())


def match_columns(
    headers: Sequence[str], spec: Sequence[ColumnSpec]
) -> ColumnMap | list[ColumnProblem]:
    """Find each expected column among the headers, or list what is missing or duplicated."""
    lookup: dict[str, ColumnSpec] = {}
    for column in spec:
        for spelling in (column.key, column.label, *column.spellings):
            normalised = normalise_header(spelling)
            if lookup.get(normalised, column) is not column:
                raise ValueError(f"header spelling {spelling!r} is ambiguous in the column spec")
            lookup[normalised] = column
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    unknown: list[int] = []
    unnamed: list[int] = []
    problems: list[ColumnProblem] = []
    for index, header in enumerate(headers):
        if not header.strip():
            unnamed.append(index)
            continue
        match = lookup.get(normalise_header(header))
        if match is None:
            unknown.append(index)
            continue
        if match.key in positions:
            first = positions[match.key]
            problems.append(
                ColumnProblem(
                    f"Kolumnen för {match.label} finns flera gånger: kolumn {column_letter(first)} "
                    f'("{headers[first]}") och kolumn {column_letter(index)} ("{header}"). '
                    "Ta bort den ena.",
                    column=header,
                )
            )
            continue
        positions[match.key] = index
        written[match.key] = header
    for column in spec:
        if column.required and column.key not in positions:
            accepted = ", ".join(dict.fromkeys((column.label, *column.spellings)))
            problems.append(
                ColumnProblem(
                    f'Kolumnen "{column.label}" saknas i rubrikraden. '
                    f"Godkända rubriker: {accepted}.",
                    column=column.label,
                )
            )
    if problems:
        return problems
    return ColumnMap(
        positions=positions, headers=written, unknown=tuple(unknown), unnamed=tuple(unnamed)
    )
