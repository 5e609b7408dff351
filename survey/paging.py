"""Long lists shown a page at a time: which page was asked for, and what it holds.

A national round has tens of thousands of recipients; its page shows them a page at a
time instead of sending megabytes of table. The page number comes from the query string
and is never an error: anything that is not a page number shows the first page, and a
number past the end shows the last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_DIGITS = 9  # longer "page numbers" are not page numbers


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1) and where it lies in the whole."""

    items: Sequence[T]
    number: int
    pages: int
    total: int
    size: int

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first item; 0 when the list is empty."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        """The position of the page's last item; 0 when the list is empty."""
        return self.first + len(self.items) - 1 if self.total else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def requested_page(value: str | None) -> int:
    """The page number asked for (from 1); 1 for anything that is not a positive number."""
    text = (value or "").strip()
    if not text.isdigit() or not text.isascii() or len(text) > MAX_PAGE_DIGITS:
        return 1
    return max(int(text), 1)


def page_number(requested: int | None, total: int, size: int) -> tuple[int, int]:
    """(the page to show, the pages in all) of `total` items, `size` to a page.

    The page asked for (None: the first), moved onto the nearest page there is.
    """
    if size < 1:
        raise ValueError(f"a page holds at least one item, not {size}")
    pages = max(1, -(-total // size))
    return min(max(requested or 1, 1), pages), pages


def page_of(items: Sequence[T], requested: int | None, size: int) -> Page[T]:
    """The page asked for of `items` (already in memory), `size` to a page."""
    number, pages = page_number(requested, len(items), size)
    start = (number - 1) * size
    return Page(items[start : start + size], number, pages, len(items), size)


def page_from(
    fetch: Callable[[int, int], Sequence[T]], requested: int | None, total: int, size: int
) -> Page[T]:
    """The page asked for of `total` items read by `fetch(offset, limit)` (from a database).

    Only the page's items are read; `total` is counted beforehand, as cheaply as the
    caller can (an aggregate it already has, or a COUNT).
    """
    number, pages = page_number(requested, total, size)
    items = fetch((number - 1) * size, size) if total else []
    return Page(items, number, pages, total, size)
