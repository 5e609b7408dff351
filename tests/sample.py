"""Small questionnaires for tests.

One with every question type, built directly from the model classes, and one as YAML source.
"""

from __future__ import annotations

from datetime import date

from survey.organisations import OrganisationType
from survey.questionnaires.model import (
    Choice,
    Condition,
    Indicator,
    Measure,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    Target,
)

# The same kind of questionnaire as YAML source, for the commands and the bad-input suite.
SAMPLE_YAML = """\
id: prov
version: 1
title: Provenkät
sections:
  - id: allmant
    title: Allmänt
    questions:
      - id: okning
        type: yes_no
        text: Ser ni en ökning?
      - id: vilka
        type: multiple_choice
        text: Inom vilka områden?
        choices: [Fallrisk, Undernäring]
        show_if: {question: okning, equals: ja}
      - id: kommentar
        type: long_text
        text: Kommentar
        required: false
indicators:
  - id: 1a.1b
    title: Ökning
    area: 1a SIP
    question: okning
    measure: share_yes
    targets:
      - {date: 2025-12-31, value: 75}
"""

YES_NO = (Choice("ja", "Ja"), Choice("nej", "Nej"))
YES_NO_NA = (*YES_NO, Choice("ej_aktuellt", "Ej aktuellt"))
SATISFACTION = (
    Choice("mycket_nojd", "Mycket nöjd"),
    Choice("ganska_nojd", "Ganska nöjd"),
    Choice("varken_eller", "Varken nöjd eller missnöjd"),
    Choice("ganska_missnojd", "Ganska missnöjd"),
    Choice("mycket_missnojd", "Mycket missnöjd"),
)
AREAS = (
    Choice("suicidprevention", "Suicidprevention"),
    Choice("ofrivillig_ensamhet", "Ofrivillig ensamhet"),
    Choice("fallrisk", "Fallrisk"),
    Choice("undernaring", "Undernäring"),
)


def sample_questionnaire(version: str = "1", questionnaire_id: str = "prov") -> Questionnaire:
    """Every question type, a condition, an audience limit and four indicators."""
    general = Section(
        id="allmant",
        title="Allmänt",
        intro="Frågor till alla verksamheter.",
        questions=(
            Question(
                "sip_okning",
                QuestionType.YES_NO,
                "Kan man se en ökning av SIP?",
                "allmant",
                help="Jämför med föregående tolv månader.",
                choices=YES_NO_NA,
            ),
            Question(
                "omraden",
                QuestionType.MULTIPLE_CHOICE,
                "Om ja, ange vilka områden.",
                "allmant",
                choices=AREAS,
                show_if=Condition("sip_okning", ("ja",)),
            ),
            Question(
                "nojdhet",
                QuestionType.SCALE,
                "Hur uppfattas samverkan lokalt fungera?",
                "allmant",
                choices=SATISFACTION,
            ),
            Question(
                "forum",
                QuestionType.SINGLE_CHOICE,
                "Vilket forum används mest?",
                "allmant",
                choices=(Choice("lokal", "Lokal samverkan"), Choice("dot", "DOT")),
                required=False,
            ),
            Question(
                "utbildning",
                QuestionType.PERCENT,
                "Andel medarbetare som genomfört utbildning?",
                "allmant",
                minimum=0,
                maximum=100,
            ),
            Question(
                "dygn",
                QuestionType.NUMBER,
                "Antal dygn i snitt?",
                "allmant",
                required=False,
                minimum=0,
                maximum=365,
                decimals=1,
                unit="dygn",
            ),
            Question(
                "kommentar",
                QuestionType.SHORT_TEXT,
                "Kort kommentar",
                "allmant",
                required=False,
                max_length=200,
            ),
            Question(
                "beskrivning",
                QuestionType.LONG_TEXT,
                "Beskriv arbetet",
                "allmant",
                required=False,
                max_length=5000,
            ),
            Question(
                "startdatum", QuestionType.DATE, "När startade arbetet?", "allmant", required=False
            ),
            Question(
                "vecka",
                QuestionType.WEEK,
                "Vilken vecka gjordes inventeringen?",
                "allmant",
                required=False,
            ),
        ),
    )
    municipal = Section(
        id="kommun",
        title="Endast kommuner",
        audience=(OrganisationType.KOMMUN,),
        questions=(
            Question(
                "npo",
                QuestionType.YES_NO,
                "Har kommunen producentbehörighet i NPÖ?",
                "kommun",
                choices=YES_NO,
                audience=(OrganisationType.KOMMUN,),
            ),
        ),
    )
    return Questionnaire(
        id=questionnaire_id,
        version=version,
        title="Provenkät",
        intro="En enkät för tester.",
        sections=(general, municipal),
        indicators=(
            Indicator(
                "1a.1b",
                "Ökning av SIP",
                "1a SIP",
                "sip_okning",
                Measure.SHARE_YES,
                targets=(
                    Target(50, date(2023, 12, 31)),
                    Target(75, date(2025, 12, 31)),
                    Target(100, date(2026, 12, 31)),
                ),
            ),
            Indicator(
                "1a.1a",
                "Andel utbildade",
                "1a SIP",
                "utbildning",
                Measure.MEAN,
                targets=(Target(50, date(2023, 12, 31)), Target(100, date(2026, 12, 31))),
            ),
            Indicator(
                "1b.2a",
                "Nöjdhet med samverkan",
                "1b Team",
                "nojdhet",
                Measure.SHARE_OF_OPTIONS,
                options=("ganska_nojd", "mycket_nojd"),
                targets=(Target(100),),
            ),
            Indicator(
                "1a.5",
                "Kommuner med producentbehörighet",
                "1a SIP",
                "npo",
                Measure.SHARE_YES,
                population=OrganisationType.KOMMUN,
                per_organisation=True,
                targets=(Target(50, date(2024, 6, 1)), Target(100, date(2026, 12, 31))),
            ),
            Indicator("1b.2b", "Beskrivning", "1b Team", "beskrivning", Measure.NONE),
        ),
    )
