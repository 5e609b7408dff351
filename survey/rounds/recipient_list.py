"""The round page's list of recipients: filtered by state, searched, read a page at a time.

Filtering, searching, ordering and paging happen in the database; only the page's
recipients become `RecipientStatus` rows. A search word is found, ignoring case, in the
name, email address, organisation, kommun or organisation type: "vc ängelholm" finds
"VC Ängelholm Norra" and "ÄNGELHOLM". SQLite's LIKE ignores the case of ASCII letters
only (and PostgreSQL's ILIKE of others only in some locales), so each å, ä, ö … of a word
is looked for in both its cases; a word with too many such letters is matched in Python.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, and_, func, or_

from survey.db import db
from survey.organisations import ORGANISATION_TYPE_LABELS
from survey.paging import Page, page_from, page_of
from survey.rounds.status import (
    RecipientColumns,
    RecipientState,
    RecipientStatus,
    RoundCounts,
    recipient_statuses,
)
from survey.schema.rounds import Recipient

MAX_SEARCH_LENGTH = 200
MAX_SPELLINGS = 32  # spellings of one word looked for in SQL; more are matched in Python
_KNOWN_TYPES = tuple(str(kind) for kind in ORGANISATION_TYPE_LABELS)


def search_words(search: str) -> list[str]:
    """The words of a search, case folded."""
    return search.casefold().split()


def find_recipients(
    rows: Sequence[RecipientStatus],
    *,
    states: Collection[RecipientState] | None,
    search: str,
) -> list[RecipientStatus]:
    """The rows in one of `states` (any when None) that contain every word of `search`.

    The definition of a match, in Python; `recipient_page` asks the database the same.
    """
    words = search_words(search)
    found = []
    for row in rows:
        if states is not None and row.state not in states:
            continue
        if words:
            haystack = " ".join(
                (
                    row.name or "",
                    row.email or "",
                    row.organisation,
                    row.kommun,
                    row.organisation_type_label,
                )
            ).casefold()
            if not all(word in haystack for word in words):
                continue
        found.append(row)
    return found


def spellings(word: str) -> list[str] | None:
    """The spellings of a case-folded word that LIKE, ignoring ASCII case, must look for.

    Each letter beyond ASCII in both its cases ("ä": "ä", "Ä"); None when that makes more
    than `MAX_SPELLINGS`.
    """
    choices = []
    for letter in word:
        if letter.isascii():
            choices.append([letter])
            continue
        cases = {letter, letter.upper(), letter.title()}
        choices.append(
            sorted(c for c in cases if len(c) == 1 and c.casefold() == letter) or [letter]
        )
    if math.prod(len(choice) for choice in choices) > MAX_SPELLINGS:
        return None
    return ["".join(letters) for letters in itertools.product(*choices)]


def word_condition(word: str) -> ColumnElement[bool] | None:
    """The SQL condition that a recipient contains `word`; None when too many spellings."""
    written = spellings(word)
    if written is None:
        return None
    types = [code for code, label in ORGANISATION_TYPE_LABELS.items() if word in label.casefold()]
    found_in = [
        column.icontains(spelling, autoescape=True)
        for column in (Recipient.name, Recipient.email, Recipient.organisation, Recipient.kommun)
        for spelling in written
    ]
    if types:
        found_in.append(Recipient.organisation_type.in_([str(code) for code in types]))
    # An unknown type code is its own label.
    found_in.append(
        and_(
            Recipient.organisation_type.not_in(_KNOWN_TYPES),
            or_(*(Recipient.organisation_type.icontains(s, autoescape=True) for s in written)),
        )
    )
    return or_(*found_in)


def recipient_page(
    counts: RoundCounts,
    *,
    states: Collection[RecipientState] | None,
    search: str,
    requested: int | None,
    size: int,
) -> Page[RecipientStatus]:
    """The page asked for of the round's recipients in `states` (None: all) matching `search`.

    Ordered by organisation, then as added. Three queries for a page (the rows, their last
    reminders and, when searching, the count); the counts give the total otherwise.
    """
    columns = RecipientColumns(counts.round_id)
    conditions: list[ColumnElement[bool]] = []
    if states is not None:
        conditions.append(columns.state.in_([state.value for state in states]))
    words = search_words(search)
    in_python = False
    for word in words:
        condition = word_condition(word)
        if condition is None:
            in_python = True
        else:
            conditions.append(condition)
    rows = columns.rows().where(*conditions)
    if in_python:  # a word of many å, ä, ö: read the candidates, match them in Python
        found = find_recipients(recipient_statuses(rows), states=states, search=search)
        return page_of(found, requested, size)
    if words:
        # Without a state, the count needs no response: the recipients' columns suffice.
        counting = columns.select if states is not None else columns.recipients
        total = db.session.scalar(counting(func.count()).where(*conditions)) or 0
    else:
        total = counts.in_states(states)
    return page_from(
        lambda offset, limit: recipient_statuses(rows.offset(offset).limit(limit)),
        requested,
        total,
        size,
    )
