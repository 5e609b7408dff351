"""The orders readers expect: Swedish alphabetical order, organisation types in declared order."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from survey.organisations import OrganisationType

# Swedish sorts å, ä, ö after z, in that order (Unicode code points put ä before å).
_SWEDISH_LAST = {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"}


def swedish_sort_key(text: object) -> tuple[str, str]:
    """Key for Swedish alphabetical order: case-insensitive, å < ä < ö after z, é sorted as e."""
    if not isinstance(text, str):
        return ("\U0010ffff", "")  # missing values last
    folded = []
    for char in text.lower():
        if char in _SWEDISH_LAST:
            folded.append(_SWEDISH_LAST[char])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        folded.append("".join(part for part in decomposed if not unicodedata.combining(part)))
    # The original text breaks ties so that the order is total and stable.
    return ("".join(folded), text)


_TYPE_ORDER = {str(kind): index for index, kind in enumerate(OrganisationType)}


def organisation_type_sort_key(code: object) -> tuple[int, tuple[str, str]]:
    """Key that puts organisation types in their declared order, unknown codes after them."""
    if isinstance(code, str) and code in _TYPE_ORDER:
        return (_TYPE_ORDER[code], ("", ""))
    return (len(_TYPE_ORDER), swedish_sort_key(code))


def group_sort_key(column: str) -> Callable[[object], tuple[object, ...]]:
    """The key ordering the groups of a column: organisation types as declared, else Swedish."""
    if column == "organisation_type":
        return organisation_type_sort_key
    return swedish_sort_key
