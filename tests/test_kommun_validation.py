"""Kommun checked against the reference list: Skåne's 33, Sweden's 290, near misses named."""

from __future__ import annotations

import pytest

from survey.organisations import SKANE_KOMMUNER, find_kommun, swedish_kommuner
from survey.rounds.recipients_file import check_recipient_fields, parse_recipients_file

HEADER = "Namn;E-post;Organisation;Organisationstyp;Kommun;Delregion\r\n"


def test_the_reference_list_has_290_kommuner_and_skanes_33() -> None:
    kommuner = swedish_kommuner()
    assert len(kommuner) == 290
    skane = sorted(name for name, county in kommuner.items() if county == "Skåne län")
    assert skane == sorted(SKANE_KOMMUNER)


@pytest.mark.parametrize(
    ("written", "name", "in_skane", "suggestion"),
    [
        ("Malmö stad", "Malmö", True, None),
        ("ängelholms kommun", "Ängelholm", True, None),
        ("Göteborgs Stad", "Göteborg", False, None),
        ("Upplands-Bro kommun", "Upplands-Bro", False, None),
        ("Malmoe", None, False, "Malmö"),
        ("Ängelhom", None, False, "Ängelholm"),
        ("Helsingbor", None, False, "Helsingborg"),
        ("Köpenhamn", None, False, None),
    ],
)
def test_it_finds_the_kommun_or_suggests_a_near_miss(
    written: str, name: str | None, in_skane: bool, suggestion: str | None
) -> None:
    match = find_kommun(written)
    assert (match.name, match.in_skane, match.suggestion) == (name, in_skane, suggestion)


def test_it_refuses_a_file_with_a_misspelt_kommun_and_names_the_near_miss() -> None:
    data = (
        HEADER + "Åsa Öberg;asa@example.se;VC Ängelholm;Vårdcentral;Ängelhom;NV\r\n"
        "Per Ek;per@example.se;Köpenhamns kommun;Kommun;Köpenhamn;NV\r\n"
    ).encode()
    result = parse_recipients_file(data, "a.csv")
    assert not result.recipients
    assert [str(problem) for problem in result.problems] == [
        'Rad 2, kolumn "Kommun": "Ängelhom" är inte en kommun i Sverige. Menade du ”Ängelholm”?',
        'Rad 3, kolumn "Kommun": "Köpenhamn" är inte en kommun i Sverige. Kontrollera stavningen.',
    ]


def test_it_checks_a_kommun_typed_by_hand_the_same_way() -> None:
    recipient, problems = check_recipient_fields(
        "Åsa", "asa@example.se", "VC", "regional_pv", "Lundd", "NV"
    )
    assert recipient is None
    assert problems == {"kommun": '"Lundd" är inte en kommun i Sverige. Menade du ”Lund”?'}
