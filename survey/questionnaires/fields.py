"""Read typed fields from a located YAML mapping, reporting every wrong key or value with its line.

Nothing here knows the questionnaire format: a `Schema` names the keys a kind of mapping
takes, and `Fields` reads one mapping against it. Unknown keys (with a "did you mean" for a
misspelling), keys given twice and missing required keys are reported as the mapping is
read; each typed read (text, true/false, number, whole number, list, date, a value in one of
its accepted spellings) gives the value with the line it is on, or reports why it cannot
and gives None.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from survey.organisations import normalise_word
from survey.questionnaires.drafts import Located
from survey.questionnaires.errors import Issues
from survey.questionnaires.reading import (
    YamlEntry,
    YamlList,
    YamlMap,
    YamlNode,
    YamlScalar,
    describe,
)

E = TypeVar("E", bound=StrEnum)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def alias_key(text: str) -> str:
    """The form an alias is looked up by: accents stripped, spaces and hyphens as _."""
    return re.sub(r"[\s\-]+", "_", normalise_word(text))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a misspelt word, if any is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _suggestion_hint(word: str, aliases: dict[str, E], noun: str) -> str:
    """'did you mean …?' (naming the canonical spelling) or the list of accepted values."""
    canonical = list(dict.fromkeys(str(value) for value in aliases.values()))
    close = did_you_mean(alias_key(word), aliases)
    if close is not None:
        return f"did you mean '{aliases[close]}'? The {noun} are: {', '.join(canonical)}"
    return f"use one of: {', '.join(canonical)}"


def guess_then(close: str | None, rest: str) -> str:
    """'did you mean …? Rest.' when there is a near miss, else just the rest."""
    if close is None:
        return rest
    return f"did you mean '{close}'? {rest[:1].upper()}{rest[1:]}"


def not_a_mapping(node: YamlNode, what: str, example: str, issues: Issues) -> None:
    """Report a value that should have been a mapping of keys."""
    issues.add(node.line, f"{what} must be a mapping of keys, not {describe(node)}", example)


@dataclass(frozen=True)
class Schema:
    """The keys a mapping takes: each with the hint given when a required key is missing.

    `lists` gives, for the keys that hold a list, how to write one (the hint when the value
    is not a list).
    """

    kind: str
    required: dict[str, str]
    optional: tuple[str, ...]
    lists: Mapping[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


class Fields:
    """The keys of one YAML mapping, read against its schema; problems go to `issues`."""

    def __init__(self, node: YamlMap, schema: Schema, context: str, issues: Issues) -> None:
        self.context = context
        self.issues = issues
        self._schema = schema
        self._entries: dict[str, YamlEntry] = {}
        suggested: set[str] = set()
        for entry in node.entries:
            if entry.key in self._entries:
                issues.add(
                    entry.key_line,
                    f"key '{entry.key}' is given twice in {context}",
                    f"keep one of them (the other is on line {self._entries[entry.key].key_line})",
                )
            elif entry.key not in schema.keys:
                suggested.add(self._unknown_key(entry, schema))
            else:
                self._entries[entry.key] = entry
        for key, hint in schema.required.items():
            # A misspelt key ("mesure") is reported once, as unknown with its correction.
            if key not in self._entries and key not in suggested:
                issues.add(node.line, f"{context} has no '{key}'", hint)

    def _unknown_key(self, entry: YamlEntry, schema: Schema) -> str:
        """Report an unknown key; return the key it is probably a misspelling of, or ''."""
        close = did_you_mean(entry.key, schema.keys) or did_you_mean(entry.key.lower(), schema.keys)
        hint = (
            f"did you mean '{close}'?"
            if close
            else f"remove it; a {schema.kind} takes: {', '.join(schema.keys)}"
        )
        self.issues.add(entry.key_line, f"unknown key '{entry.key}' in {self.context}", hint)
        return close or ""

    @property
    def written(self) -> frozenset[str]:
        """The known keys the mapping has (whether or not their values could be read)."""
        return frozenset(self._entries)

    def entry(self, key: str) -> YamlEntry | None:
        """The key's entry as written, or None when the mapping does not have it."""
        return self._entries.get(key)

    def _scalar(self, key: str, expected: str, hint: str) -> tuple[YamlEntry, YamlScalar] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        node = entry.value
        if isinstance(node, YamlScalar) and not node.is_null:
            return entry, node
        if isinstance(node, YamlScalar):
            self.issues.add(entry.key_line, f"{self.context}: '{key}' has no value", hint)
        else:
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' must be {expected}, not {describe(node)}",
                hint,
            )
        return None

    def text(self, key: str) -> Located[str] | None:
        """Text as written (numbers and dates included); empty text is an error."""
        found = self._scalar(key, "text", f"write the text after '{key}:' on the same line")
        if found is None:
            return None
        entry, node = found
        if not node.text.strip():
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' is empty",
                f"write the text after '{key}:'",
            )
            return None
        return Located(node.text.strip(), entry.key_line)

    def boolean(self, key: str) -> Located[bool] | None:
        """true or false."""
        hint = f"write '{key}: true' or '{key}: false'"
        found = self._scalar(key, "true or false", hint)
        if found is None:
            return None
        entry, node = found
        if not isinstance(node.value, bool):
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' must be true or false, not {describe(node)}",
                hint,
            )
            return None
        return Located(node.value, entry.key_line)

    def number(self, key: str) -> Located[float] | None:
        """A finite number, whole or not."""
        hint = f"write a plain number, e.g. '{key}: 75' (no % sign or unit)"
        found = self._scalar(key, "a number", hint)
        if found is None:
            return None
        entry, node = found
        value = node.value
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' must be a number, not {describe(node)}",
                hint,
            )
            return None
        return Located(float(value), entry.key_line)

    def whole_number(self, key: str) -> Located[int] | None:
        """A whole number."""
        hint = f"write a whole number, e.g. '{key}: 1'"
        found = self._scalar(key, "a whole number", hint)
        if found is None:
            return None
        entry, node = found
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' must be a whole number, not {describe(node)}",
                hint,
            )
            return None
        return Located(node.value, entry.key_line)

    def _list_hint(self, key: str) -> str:
        return self._schema.lists.get(key, f"write '{key}: [a, b]'")

    def items(self, key: str) -> Located[tuple[YamlNode, ...]] | None:
        """A list's items; an empty value counts as an empty list."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        node = entry.value
        if isinstance(node, YamlList):
            return Located(node.items, entry.key_line)
        if isinstance(node, YamlScalar) and node.is_null:
            return Located((), entry.key_line)
        self.issues.add(
            entry.key_line,
            f"{self.context}: '{key}' must be a list, not {describe(node)}",
            self._list_hint(key),
        )
        return None

    def words(self, key: str) -> Located[tuple[Located[str], ...]] | None:
        """A list of single values, each with its own line."""
        found = self.items(key)
        if found is None:
            return None
        words: list[Located[str]] = []
        for item in found.value:
            if isinstance(item, YamlScalar) and not item.is_null and item.text.strip():
                words.append(Located(item.text.strip(), item.line))
            else:
                self.issues.add(
                    item.line,
                    f"{self.context}: each item of '{key}' must be a single value, "
                    f"not {describe(item)}",
                    self._list_hint(key),
                )
        return Located(tuple(words), found.line)

    def alias(self, key: str, aliases: dict[str, E], noun: str) -> Located[E] | None:
        """A value given in one of its accepted spellings (e.g. `ja_nej` for yes_no)."""
        word = self.text(key)
        if word is None:
            return None
        found = aliases.get(alias_key(word.value))
        if found is None:
            self.issues.add(
                word.line,
                f"{self.context}: unknown {key} '{word.value}'",
                _suggestion_hint(word.value, aliases, noun),
            )
            return None
        return Located(found, word.line)

    def iso_date(self, key: str, *, or_else: str = "") -> Located[date] | None:
        """A date, YYYY-MM-DD; `or_else` names another fix when the key has no value."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        hint = "write the date as YYYY-MM-DD, e.g. 2025-12-31"
        node = entry.value
        if isinstance(node, YamlScalar) and node.is_null:
            self.issues.add(
                entry.key_line,
                f"{self.context}: '{key}' has no value",
                f"{hint}, {or_else}" if or_else else hint,
            )
            return None
        if isinstance(node, YamlScalar):
            value = node.value
            if isinstance(value, date) and not isinstance(value, datetime):
                return Located(value, entry.key_line)
            if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
                try:
                    return Located(date.fromisoformat(value.strip()), entry.key_line)
                except ValueError:
                    pass
        self.issues.add(entry.key_line, f"{self.context}: {describe(node)} is not a date", hint)
        return None
