"""Organisation types and delregioner: the vocabulary every recipient and result is grouped by."""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class OrganisationType(StrEnum):
    """The kinds of organisation a respondent answers for."""

    KOMMUN = "kommun"
    REGIONAL_PV = "regional_pv"
    SLUTENVARD = "slutenvard"
    PSYKIATRI = "psykiatri"
    LOKAL_SAMVERKAN = "lokal_samverkan"  # a kommun and its vårdcentraler together
    ANNAN = "annan"

    @property
    def label(self) -> str:
        """The Swedish name shown to users."""
        return ORGANISATION_TYPE_LABELS[self]


ORGANISATION_TYPE_LABELS: dict[OrganisationType, str] = {
    OrganisationType.KOMMUN: "Kommun",
    OrganisationType.REGIONAL_PV: "Regional primärvård",
    OrganisationType.SLUTENVARD: "Sjukhus/slutenvård",
    OrganisationType.PSYKIATRI: "Psykiatri",
    OrganisationType.LOKAL_SAMVERKAN: "Lokal samverkan",
    OrganisationType.ANNAN: "Annan",
}

# Spellings accepted in recipient files and YAML, compared after `normalise_word`.
_ORGANISATION_TYPE_ALIASES: dict[str, OrganisationType] = {
    "kommun": OrganisationType.KOMMUN,
    "kommunal": OrganisationType.KOMMUN,
    "kommunal pv": OrganisationType.KOMMUN,
    "kommunal primarvard": OrganisationType.KOMMUN,
    "kommunal halso- och sjukvard": OrganisationType.KOMMUN,
    "municipality": OrganisationType.KOMMUN,
    "regional_pv": OrganisationType.REGIONAL_PV,
    "regional pv": OrganisationType.REGIONAL_PV,
    "regional primarvard": OrganisationType.REGIONAL_PV,
    "primarvard": OrganisationType.REGIONAL_PV,
    "vardcentral": OrganisationType.REGIONAL_PV,
    "pv": OrganisationType.REGIONAL_PV,
    "primary care": OrganisationType.REGIONAL_PV,
    "slutenvard": OrganisationType.SLUTENVARD,
    "sjukhus": OrganisationType.SLUTENVARD,
    "sjukhus/slutenvard": OrganisationType.SLUTENVARD,
    "sjukhus / slutenvard": OrganisationType.SLUTENVARD,
    "hospital": OrganisationType.SLUTENVARD,
    "psykiatri": OrganisationType.PSYKIATRI,
    "psychiatry": OrganisationType.PSYKIATRI,
    "lokal_samverkan": OrganisationType.LOKAL_SAMVERKAN,
    "lokal samverkan": OrganisationType.LOKAL_SAMVERKAN,
    "lokalsamverkan": OrganisationType.LOKAL_SAMVERKAN,
    "local collaboration": OrganisationType.LOKAL_SAMVERKAN,
    "annan": OrganisationType.ANNAN,
    "annat": OrganisationType.ANNAN,
    "ovrig": OrganisationType.ANNAN,
    "ovriga": OrganisationType.ANNAN,
    "other": OrganisationType.ANNAN,
}


def normalise_word(text: str) -> str:
    """Lower-case, strip accents (å→a, ä→a, ö→o) and collapse spaces, for lenient matching."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def parse_organisation_type(text: str) -> OrganisationType | None:
    """Return the organisation type a user wrote (code, Swedish or English name), or None."""
    return _ORGANISATION_TYPE_ALIASES.get(normalise_word(text))


# The delregioner of Region Skåne's collaboration structure (Vårdsamverkan Skåne).
DELREGIONS: dict[str, str] = {
    "NV": "Nordvästra Skåne",
    "NO": "Nordöstra Skåne",
    "SV": "Sydvästra Skåne",
    "SO": "Sydöstra Skåne",
    "MS": "Mellersta Skåne",
}

_DELREGION_ALIASES: dict[str, str] = {
    **{normalise_word(code): code for code in DELREGIONS},
    **{normalise_word(name): code for code, name in DELREGIONS.items()},
    "nordvast": "NV",
    "nordost": "NO",
    "sydvast": "SV",
    "sydost": "SO",
    "mellersta": "MS",
}


def parse_delregion(text: str) -> str | None:
    """Return the delregion code for a code or name ("NV", "Nordväst", "Nordvästra Skåne")."""
    return _DELREGION_ALIASES.get(normalise_word(text))


def delregion_label(code: str) -> str:
    """The delregion's Swedish name, or the code itself when unknown."""
    return DELREGIONS.get(code, code)


# The 33 kommuner of Skåne, as they are usually written.
SKANE_KOMMUNER: tuple[str, ...] = (
    "Bjuv", "Bromölla", "Burlöv", "Båstad", "Eslöv", "Helsingborg", "Hässleholm", "Höganäs",
    "Hörby", "Höör", "Klippan", "Kristianstad", "Kävlinge", "Landskrona", "Lomma", "Lund",
    "Malmö", "Osby", "Perstorp", "Simrishamn", "Sjöbo", "Skurup", "Staffanstorp", "Svalöv",
    "Svedala", "Tomelilla", "Trelleborg", "Vellinge", "Ystad", "Åstorp", "Ängelholm",
    "Örkelljunga", "Östra Göinge",
)  # fmt: skip

_KOMMUN_BY_WORD: dict[str, str] = {normalise_word(name): name for name in SKANE_KOMMUNER}


def _kommun_word(text: str) -> str:
    word = normalise_word(text)
    for suffix in (" kommun", " stad"):
        word = word.removesuffix(suffix)
    return word


def parse_kommun(text: str) -> str | None:
    """Return the Skåne kommun a user wrote ("malmö stad", "Ängelholms kommun"), or None."""
    word = _kommun_word(text)
    return _KOMMUN_BY_WORD.get(word) or _KOMMUN_BY_WORD.get(word.removesuffix("s"))


def local_collaboration_name(kommun: str) -> str:
    """The name of a kommun's lokal samverkan: "Lokal samverkan Hässleholm"."""
    return f"Lokal samverkan {kommun}"


@cache
def swedish_kommuner() -> dict[str, str]:
    """Sweden's 290 kommuner (survey/data/kommuner.json), each with its län."""
    text = resources.files("survey").joinpath("data/kommuner.json").read_text(encoding="utf-8")
    counties: dict[str, list[str]] = json.loads(text)["lan"]
    return {name: county for county, names in counties.items() for name in names}


@cache
def _swedish_by_word() -> dict[str, str]:
    return {normalise_word(name): name for name in swedish_kommuner()}


@dataclass(frozen=True)
class KommunMatch:
    """A kommun as written, checked against the reference list."""

    name: str | None  # the kommun as usually written, or None when it is not one
    in_skane: bool = False
    suggestion: str | None = None  # a near miss ("Malmoe" → "Malmö")


def find_kommun(text: str) -> KommunMatch:
    """Check a written kommun against Skåne's 33 and Sweden's 290; suggest a near miss."""
    skane = parse_kommun(text)
    if skane:
        return KommunMatch(skane, in_skane=True)
    word = _kommun_word(text)
    by_word = _swedish_by_word()
    found = by_word.get(word) or by_word.get(word.removesuffix("s"))
    if found:
        return KommunMatch(found)
    skane_words = [normalise_word(name) for name in SKANE_KOMMUNER]
    close = difflib.get_close_matches(word, skane_words, n=1, cutoff=0.75) or (
        difflib.get_close_matches(word, list(by_word), n=1, cutoff=0.8)
    )
    return KommunMatch(None, suggestion=by_word[close[0]] if close else None)


def check_kommun(text: str) -> tuple[str, str | None, str | None]:
    """A written kommun as stored, and the Swedish error (not a kommun) or warning (not Skåne)."""
    match = find_kommun(text)
    shown = " ".join(text.split())[:60]
    if match.name is None:
        hint = (
            f" Menade du ”{match.suggestion}”?" if match.suggestion else " Kontrollera stavningen."
        )
        return text, f'"{shown}" är inte en kommun i Sverige.{hint}', None
    if match.in_skane:
        return match.name, None, None
    warning = (
        f"{match.name} är inte en av Skånes {len(SKANE_KOMMUNER)} kommuner (den ligger i "
        f"{swedish_kommuner()[match.name]}). Kontrollera att det stämmer."
    )
    return match.name, None, warning
