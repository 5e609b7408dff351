"""The words of Bilaga 2 (seed 000) and of the maturity scale (seed 002), as the engine uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PlanQuestion:
    """One of the four questions a lokal samverkan works through in Bilaga 2."""

    key: str
    text: str


# Bilaga 2, "Att göra i lokalsamverkan, inventering, analys": each question gets
# "Vad har upptäckts?", "Nästa steg" (PDSA) and "Uppföljning".
PLAN_QUESTIONS: Final[tuple[PlanQuestion, ...]] = (
    PlanQuestion("nuvarande", "Vilka är ”våra” nuvarande gemensamma medborgare/patienter?"),
    PlanQuestion("framtida", "Vilka kan bli framtida gemensamma medborgare/patienter?"),
    PlanQuestion(
        "friska_langre",
        "Hur, vad kan vi tillsammans skapa ett undvikbart förtidigt insjuknande och behålla "
        "sig friska längre?",
    ),
    PlanQuestion(
        "samverkan",
        "Hur sker samverkan utifrån medborgarens/patientens behov inkl. "
        "informationsöverföring, planering, riskbedömning etc.?",
    ),
)
PLAN_QUESTION_KEYS: Final = frozenset(question.key for question in PLAN_QUESTIONS)


def plan_question(key: str) -> PlanQuestion | None:
    """The question with this key, or None."""
    return next((question for question in PLAN_QUESTIONS if question.key == key), None)


@dataclass(frozen=True, slots=True)
class StepDate:
    """A dated milestone of steps 3–5: the group's column and its Swedish label."""

    field: str
    step: int
    label: str


STEP_DATES: Final[tuple[StepDate, ...]] = (
    StepDate("dot_anchored_on", 3, "Steg 3: förankrat i DOT"),
    StepDate("dst_taken_on", 3, "Steg 3: taget vidare till DST"),
    StepDate("implemented_on", 4, "Steg 4: implementerat hos personal och i samverkansplaner"),
    StepDate("followed_up_on", 5, "Steg 5: uppföljt"),
    StepDate("revised_on", 5, "Steg 5: handlingsplanen reviderad"),
)

STEP_LABELS: Final[dict[int, str]] = {
    1: "1 Nulägeskartläggning",
    2: "2 Analys",
    3: "3 Förankra i DOT och DST",
    4: "4 Implementera",
    5: "5 Uppföljning",
}

# Seed 002: "Prövas och införs hälsofrämjande och förebyggande angreppssätt i större skala?"
MATURITY_QUESTION: Final = (
    "Prövas och införs hälsofrämjande och förebyggande angreppssätt i större skala?"
)
MATURITY_LEVELS: Final[dict[int, str]] = {
    1: "Planering pågår",
    2: "Förändrade angreppssätt prövas",
    3: "Förändrade angreppssätt visar på förbättringar och införs i större skala",
    4: "Förbättrade angreppssätt prövas i större skala och införs som en del av ordinarie "
    "samverkansarbete",
}


@dataclass(frozen=True, slots=True)
class CatalogueIndicator:
    """A candidate indicator a group may choose to follow."""

    name: str
    source: str


# Seed 000, "Från Socialstyrelsen har nedanstående tidigare indikatorer använts för God och
# nära vård under ”hälsofrämjande”" (source: Uppföljning nära vård – Deluppdrag II).
SOCIALSTYRELSEN_INDICATORS: Final[tuple[CatalogueIndicator, ...]] = (
    CatalogueIndicator(
        "Diskuterat levnadsvanor, patientrapporterat, primärvård (region)",
        "Nationell patientenkät, Sveriges kommuner och regioner",
    ),
    CatalogueIndicator(
        "Diskuterat alkoholvanor i primärvården (region)",
        "Nationell patientenkät, Sveriges kommuner och regioner",
    ),
    CatalogueIndicator("Riskförebyggande åtgärder i särskilt boende", "Senior Alert"),
    CatalogueIndicator(
        "Tar fram vårdplan för egenvård för kroniska patienter",
        "International Health Policy Survey – Primärvårdsläkare",
    ),
    CatalogueIndicator(
        "Diskussion om egna åtgärder för bättre hälsa",
        "Nationell patientenkät, Sveriges kommuner och regioner",
    ),
    CatalogueIndicator(
        "Stöd för att hantera hälsotillstånd efter sjukhusvistelse",
        "International Health Policy Survey – Patienter 65+",
    ),
    CatalogueIndicator("Riskförebyggande åtgärder, hemsjukvård i ordinärt boende", "Senior Alert"),
)


def catalogue_indicator(name: str) -> CatalogueIndicator | None:
    """The catalogue's indicator of this exact name, or None."""
    return next((item for item in SOCIALSTYRELSEN_INDICATORS if item.name == name), None)


# The Swedish names of the values an edit records (`LocalPlanEdit.before` / `after`).
EDIT_FIELD_LABELS: Final[dict[str, str]] = {
    "text": "Vad har upptäckts",
    "question": "Fråga",
    "what": "Vad",
    "who": "Vem",
    "how": "Hur",
    "citizen_value": "Värde för invånaren",
    "follow_up": "Uppföljning",
    "status": "Status",
    "due_on": "Klart senast",
    "follow_up_on": "Följs upp",
    "name": "Indikator",
    "source": "Källa",
    "unit": "Enhet",
    "value": "Resultat",
    "date": "Datum",
    "year": "År",
    "level": "Mognad",
    "comment": "Kommentar",
    **{step.field: step.label for step in STEP_DATES},
}
