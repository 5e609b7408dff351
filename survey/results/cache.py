"""Results computed once: a process-local cache validated by the database on every use.

A round's figures (its results frame, breakdowns, free-text collations …) are kept in
memory in each app process, keyed by what they were computed from: the rounds they read
and those rounds' answers versions (survey.rounds.answers_version), which the database
bumps in the same transaction as every change to the answers. Before each use the
current versions are read from the database (one small query), so an entry is used only
while the data it was computed from is unchanged — on this app server and every other —
and a submitted answer shows on the next page load.

The cache is bounded (``SURVEY_RESULTS_CACHE_ENTRIES`` entries, least recently used out);
values are shared between requests and must not be changed by their users (frames are
handed out as copies). Outside a request (commands, the worker) nothing is cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from flask import current_app, has_request_context

from survey.rounds.answers_version import answers_versions

T = TypeVar("T")
DEFAULT_ENTRIES = 64
_CACHE_KEY = "survey.results_cache"


class ResultsCache:
    """A thread-safe LRU of computed values keyed by (kind, key, round versions)."""

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._values: OrderedDict[Hashable, tuple[tuple[tuple[int, int], ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self,
        round_ids: Iterable[int],
        kind: str,
        key: Hashable,
        compute: Callable[[], T],
    ) -> T:
        ids = tuple(sorted(set(round_ids)))
        versions = answers_versions(ids)
        stamp = tuple((round_id, versions.get(round_id, -1)) for round_id in ids)
        entry_key = (kind, ids, key)
        with self._lock:
            found = self._values.get(entry_key)
            if found is not None and found[0] == stamp:
                self._values.move_to_end(entry_key)
                self.hits += 1
                return found[1]  # type: ignore[no-any-return]
        self.misses += 1
        value = compute()
        # The versions read before computing: a change meanwhile makes the entry stale at
        # once (its stamp is older than the database's), never wrongly fresh.
        with self._lock:
            self._values[entry_key] = (stamp, value)
            self._values.move_to_end(entry_key)
            while len(self._values) > self.entries:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def results_cache() -> ResultsCache | None:
    """The app's results cache, or None outside a request or when turned off (0 entries).

    Only pages use it: a command or a worker job (the Excel export of a million answers)
    reads afresh, so that it neither keeps a large frame in memory afterwards nor copies it.
    """
    if not has_request_context():
        return None
    app = current_app
    cache = app.extensions.get(_CACHE_KEY)
    if cache is None:
        entries = int(app.config.get("SURVEY_RESULTS_CACHE_ENTRIES", DEFAULT_ENTRIES))
        if entries <= 0:
            return None
        cache = app.extensions.setdefault(_CACHE_KEY, ResultsCache(entries))
    return cache  # type: ignore[no-any-return]


def cached(round_ids: Iterable[int], kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or its value from the cache while the rounds' answers are unchanged."""
    cache = results_cache()
    if cache is None:
        return compute()
    return cache.get_or_compute(round_ids, kind, key, compute)
