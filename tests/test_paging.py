"""Long lists a page at a time (survey.paging)."""

from __future__ import annotations

import pytest

from survey.paging import Page, page_number, page_of, requested_page


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("1", 1),
        ("7", 7),
        (" 3 ", 3),
        ("0", 1),
        ("-4", 1),
        ("abc", 1),
        ("2.5", 1),
        ("٣", 1),  # an Arabic-Indic digit: a digit to Python, not a page number
        ("9" * 10, 1),  # too long to be a page number
        ("1e3", 1),
    ],
)
def test_it_reads_the_page_number_asked_for(value: str | None, expected: int) -> None:
    assert requested_page(value) == expected


@pytest.mark.parametrize(
    ("requested", "total", "expected"),
    [
        (None, 0, (1, 1)),
        (3, 0, (1, 1)),
        (1, 100, (1, 1)),
        (2, 100, (1, 1)),
        (2, 101, (2, 2)),
        (999, 250, (3, 3)),
        (-2, 250, (1, 3)),
    ],
)
def test_it_moves_a_page_out_of_range_onto_the_nearest(
    requested: int, total: int, expected: tuple[int, int]
) -> None:
    assert page_number(requested, total, 100) == expected


def test_it_cuts_a_list_into_pages_and_says_where_each_lies() -> None:
    items = list(range(1, 251))
    first, middle, last = (page_of(items, number, 100) for number in (1, 2, 3))
    assert (first.first, first.last, first.total, first.pages) == (1, 100, 250, 3)
    assert list(middle.items) == list(range(101, 201))
    assert (last.first, last.last, len(last.items)) == (201, 250, 50)
    assert not first.has_previous and first.has_next
    assert middle.has_previous and middle.has_next
    assert last.has_previous and not last.has_next
    empty: Page[int] = page_of([], 4, 100)
    assert (empty.number, empty.pages, empty.first, empty.last, list(empty.items)) == (
        1,
        1,
        0,
        0,
        [],
    )
    with pytest.raises(ValueError, match="at least one item"):
        page_of(items, 1, 0)
