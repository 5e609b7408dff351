"""The answer rules: cleaning, checking every question type, conditions, audience, progress."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from survey.organisations import OrganisationType
from survey.questionnaires.answers import (
    DATE_FORMAT_MESSAGE,
    EVERYONE,
    WEEK_FORMAT_MESSAGE,
    RawAnswers,
    SectionProgress,
    check_answer,
    check_answers,
    clean_text,
    display_answer,
    format_number,
    input_cap,
    missing_answer_message,
    progress,
    raw_answers_from_form,
    reachable_questions,
    visible_questions,
)
from survey.questionnaires.model import (
    Choice,
    Condition,
    Question,
    Questionnaire,
    QuestionType,
    Section,
)
from tests.sample import AREAS, YES_NO, YES_NO_NA, sample_questionnaire

KOMMUN = OrganisationType.KOMMUN
REGIONAL_PV = OrganisationType.REGIONAL_PV


def rules_questionnaire() -> Questionnaire:
    """Cases the sample lacks: other number bounds, `in` conditions, chains, question audiences."""
    questions = (
        Question("heltal", QuestionType.NUMBER, "Antal enheter?", "regler", minimum=1),
        Question(
            "saldo",
            QuestionType.NUMBER,
            "Förändring i kronor?",
            "regler",
            required=False,
            decimals=2,
        ),
        Question(
            "tak",
            QuestionType.NUMBER,
            "Högst hur många?",
            "regler",
            required=False,
            maximum=100_000,
        ),
        Question(
            "kort", QuestionType.SHORT_TEXT, "Kortnamn", "regler", required=False, max_length=10
        ),
        Question(
            "lang", QuestionType.LONG_TEXT, "Lång text utan angiven gräns", "regler", required=False
        ),
        Question("datum", QuestionType.DATE, "Datum för beslut", "regler"),
        Question("vecka", QuestionType.WEEK, "Vecka för inventering", "regler"),
        Question("okning", QuestionType.YES_NO, "Har det ökat?", "regler", choices=YES_NO_NA),
        Question(
            "varfor",
            QuestionType.SHORT_TEXT,
            "Om ja eller ej aktuellt, varför?",
            "regler",
            show_if=Condition("okning", ("ja", "ej_aktuellt")),
        ),
        Question(
            "omraden",
            QuestionType.MULTIPLE_CHOICE,
            "Vilka områden?",
            "regler",
            required=False,
            choices=AREAS,
        ),
        Question(
            "fallrisk_hur",
            QuestionType.LONG_TEXT,
            "Hur arbetar ni med fallrisk?",
            "regler",
            show_if=Condition("omraden", ("fallrisk", "undernaring")),
        ),
        Question(
            "fallrisk_nojd",
            QuestionType.YES_NO,
            "Är ni nöjda med fallriskarbetet?",
            "regler",
            choices=YES_NO,
            show_if=Condition("fallrisk_hur", ("ja",)),
        ),
        Question(
            "npo",
            QuestionType.YES_NO,
            "Producentbehörighet i NPÖ?",
            "regler",
            choices=YES_NO,
            audience=(KOMMUN,),
        ),
        Question(
            "npo_sedan",
            QuestionType.DATE,
            "Sedan när?",
            "regler",
            audience=(KOMMUN,),
            show_if=Condition("npo", ("ja",)),
        ),
        Question(
            "vc_fraga",
            QuestionType.SHORT_TEXT,
            "Följdfråga till vårdcentraler",
            "regler",
            show_if=Condition("npo", ("nej",)),
        ),
    )
    return Questionnaire(
        id="regler",
        version="1",
        title="Regelprov",
        sections=(Section("regler", "Regler", questions),),
    )


SAMPLE = sample_questionnaire()
RULES = rules_questionnaire()


def question(questionnaire: Questionnaire, question_id: str) -> Question:
    return questionnaire.question(question_id)


# -- every question type: good values ------------------------------------------------------

GOOD_VALUES: list[tuple[Questionnaire, str, Any, Any]] = [
    (SAMPLE, "sip_okning", "ja", "ja"),
    (SAMPLE, "sip_okning", "ej_aktuellt", "ej_aktuellt"),
    (SAMPLE, "sip_okning", "  nej \n", "nej"),
    (SAMPLE, "forum", "dot", "dot"),
    (SAMPLE, "nojdhet", "ganska_nojd", "ganska_nojd"),
    (SAMPLE, "omraden", ["fallrisk", "suicidprevention"], ["suicidprevention", "fallrisk"]),
    (SAMPLE, "omraden", ["fallrisk", "fallrisk", ""], ["fallrisk"]),
    (SAMPLE, "omraden", "undernaring", ["undernaring"]),
    (SAMPLE, "utbildning", "0", 0),
    (SAMPLE, "utbildning", "100", 100),
    (SAMPLE, "utbildning", "100,0", 100),
    (SAMPLE, "utbildning", "45,5", 45.5),
    (SAMPLE, "utbildning", "45.5", 45.5),
    (SAMPLE, "utbildning", "45 %", 45),
    (SAMPLE, "utbildning", "45%", 45),
    (SAMPLE, "utbildning", "12,50", 12.5),
    (SAMPLE, "utbildning", " 7 ", 7),
    (SAMPLE, "dygn", "0", 0),
    (SAMPLE, "dygn", "365", 365),
    (SAMPLE, "dygn", "12,5", 12.5),
    (SAMPLE, "dygn", "364,9", 364.9),
    (SAMPLE, "dygn", ",5", 0.5),
    (RULES, "heltal", "1", 1),
    (RULES, "heltal", "1 234", 1234),
    (RULES, "heltal", "1\u00a0000\u00a0000", 1_000_000),
    (RULES, "saldo", "1 234,56", 1234.56),
    (RULES, "saldo", "\u22123", -3),
    (RULES, "saldo", "-0,25", -0.25),
    (RULES, "saldo", "+5", 5),
    (RULES, "tak", "100 000", 100_000),
    (RULES, "tak", "-40", -40),
    (SAMPLE, "kommentar", "Hej å ä ö Å Ä Ö 😀", "Hej å ä ö Å Ä Ö 😀"),
    (SAMPLE, "kommentar", "x" * 200, "x" * 200),
    (RULES, "kort", "👩‍👩‍👧 ok", "👩‍👩‍👧 ok"),
    (SAMPLE, "beskrivning", "rad 1\r\nrad 2\n\n\tindrag", "rad 1\nrad 2\n\n\tindrag"),
    (SAMPLE, "beskrivning", "ö" * 5000, "ö" * 5000),
    (RULES, "lang", "ä" * 5000, "ä" * 5000),
    (SAMPLE, "startdatum", "2025-03-01", "2025-03-01"),
    (SAMPLE, "startdatum", "2025-3-1", "2025-03-01"),
    (SAMPLE, "startdatum", "20250301", "2025-03-01"),
    (SAMPLE, "startdatum", "2024-02-29", "2024-02-29"),
    (SAMPLE, "vecka", "2025-W09", "2025-W09"),
    (SAMPLE, "vecka", "2025-W9", "2025-W09"),
    (SAMPLE, "vecka", "2025w09", "2025-W09"),
    (SAMPLE, "vecka", "2025 v 9", "2025-W09"),
    (SAMPLE, "vecka", "v. 9 2025", "2025-W09"),
    (SAMPLE, "vecka", "V9 2025", "2025-W09"),
    (SAMPLE, "vecka", "vecka 9, 2025", "2025-W09"),
    (SAMPLE, "vecka", "2026-W53", "2026-W53"),
    (SAMPLE, "vecka", "2025-W01", "2025-W01"),
]


@pytest.mark.parametrize(("questionnaire", "question_id", "raw", "expected"), GOOD_VALUES)
def test_it_accepts_and_types_good_values(
    questionnaire: Questionnaire, question_id: str, raw: Any, expected: Any
) -> None:
    typed = check_answer(question(questionnaire, question_id), raw)
    assert typed == expected
    assert type(typed) is type(expected)


def test_it_types_whole_numbers_as_int_and_others_as_float() -> None:
    assert type(check_answer(question(SAMPLE, "utbildning"), "45,0")) is int
    assert type(check_answer(question(SAMPLE, "utbildning"), "45,5")) is float
    assert type(check_answer(question(SAMPLE, "dygn"), "-0")) is int


# -- every question type: bad values -------------------------------------------------------

BAD_VALUES: list[tuple[Questionnaire, str, Any, str]] = [
    (
        SAMPLE,
        "sip_okning",
        "kanske",
        "Det valda alternativet finns inte. Välj Ja, Nej eller Ej aktuellt.",
    ),
    (SAMPLE, "npo", "ej_aktuellt", "Det valda alternativet finns inte. Välj Ja eller Nej."),
    (
        SAMPLE,
        "sip_okning",
        "Ja",
        "Det valda alternativet finns inte. Välj Ja, Nej eller Ej aktuellt.",
    ),
    (
        SAMPLE,
        "forum",
        "<script>alert(1)</script>",
        "Det valda alternativet finns inte. Välj ett av alternativen.",
    ),
    (SAMPLE, "nojdhet", "5", "Det valda alternativet finns inte. Välj ett alternativ på skalan."),
    (
        SAMPLE,
        "nojdhet",
        ["ganska_nojd", "mycket_nojd"],
        "Ange bara ett svar. Välj ett alternativ på skalan.",
    ),
    (
        RULES,
        "omraden",
        ["fallrisk", "hackat"],
        "Ett av de valda alternativen finns inte. Välj bland alternativen.",
    ),
    (SAMPLE, "utbildning", "101", "Ange ett tal mellan 0 och 100."),
    (SAMPLE, "utbildning", "100,1", "Ange ett tal mellan 0 och 100."),
    (SAMPLE, "utbildning", "-1", "Ange ett tal mellan 0 och 100."),
    (SAMPLE, "utbildning", "12,55", "Ange talet med högst 1 decimal."),
    (SAMPLE, "utbildning", "hälften", "Ange andelen med siffror, till exempel 45 eller 12,5."),
    (SAMPLE, "utbildning", "45 %%", "Ange andelen med siffror, till exempel 45 eller 12,5."),
    (SAMPLE, "dygn", "365,1", "Ange ett tal mellan 0 och 365."),
    (SAMPLE, "dygn", "-0,1", "Ange ett tal mellan 0 och 365."),
    (SAMPLE, "dygn", "12,25", "Ange talet med högst 1 decimal."),
    (SAMPLE, "dygn", "1.234,5", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (SAMPLE, "dygn", "12 34", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (SAMPLE, "dygn", "1e3", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (SAMPLE, "dygn", "\u0663", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (SAMPLE, "dygn", "12,", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (SAMPLE, "dygn", "NaN", "Ange ett tal med siffror, till exempel 12 eller 12,5."),
    (RULES, "heltal", "0", "Ange ett tal som är 1 eller större."),
    (RULES, "heltal", "2,5", "Ange ett heltal, utan decimaler."),
    (RULES, "heltal", "tolv", "Ange ett heltal med siffror, till exempel 12."),
    (RULES, "saldo", "1,005", "Ange talet med högst 2 decimaler."),
    (RULES, "tak", "100 001", "Ange ett tal som är 100\u00a0000 eller mindre."),
    (RULES, "kort", "elva tecken", "Svaret får vara högst 10 tecken (nu 11)."),
    (SAMPLE, "kommentar", "å" * 250, "Svaret får vara högst 200 tecken (nu 250)."),
    (SAMPLE, "beskrivning", "x" * 5001, "Svaret får vara högst 5000 tecken (nu 5001)."),
    (RULES, "lang", "x" * 12_345, "Svaret får vara högst 5000 tecken (nu 12\u00a0345)."),
    (SAMPLE, "startdatum", "2025-02-30", f"Datumet finns inte i kalendern. {DATE_FORMAT_MESSAGE}"),
    (SAMPLE, "startdatum", "2025-13-01", f"Datumet finns inte i kalendern. {DATE_FORMAT_MESSAGE}"),
    (SAMPLE, "startdatum", "2023-02-29", f"Datumet finns inte i kalendern. {DATE_FORMAT_MESSAGE}"),
    (SAMPLE, "startdatum", "1/3/2025", DATE_FORMAT_MESSAGE),
    (SAMPLE, "startdatum", "i mars", DATE_FORMAT_MESSAGE),
    (SAMPLE, "startdatum", "0025-03-01", "Kontrollera årtalet: ange ett år mellan 1900 och 2100."),
    (SAMPLE, "vecka", "2025-W53", "År 2025 har ingen vecka 53. Ange en vecka mellan 1 och 52."),
    (SAMPLE, "vecka", "2025-W00", "Ange ett veckonummer mellan 1 och 52 (53 vissa år)."),
    (SAMPLE, "vecka", "2025-W60", "Ange ett veckonummer mellan 1 och 52 (53 vissa år)."),
    (SAMPLE, "vecka", "vecka nio", WEEK_FORMAT_MESSAGE),
    (SAMPLE, "vecka", "2025-09", WEEK_FORMAT_MESSAGE),
    (SAMPLE, "vecka", "3025-W09", "Kontrollera årtalet: ange ett år mellan 1900 och 2100."),
]


@pytest.mark.parametrize(("questionnaire", "question_id", "raw", "message"), BAD_VALUES)
def test_it_refuses_bad_values_with_a_swedish_message(
    questionnaire: Questionnaire, question_id: str, raw: Any, message: str
) -> None:
    check = check_answers(questionnaire, {question_id: raw}, EVERYONE, require_complete=False)
    assert check.errors == {question_id: message}
    assert question_id not in check.answers


# -- required, optional, drafts ------------------------------------------------------------

MISSING_MESSAGES = [
    ("sip_okning", "Välj Ja, Nej eller Ej aktuellt."),
    ("npo", "Välj Ja eller Nej."),
    ("nojdhet", "Välj ett alternativ på skalan."),
    ("forum", "Välj ett av alternativen."),
    ("omraden", "Välj minst ett alternativ."),
    ("utbildning", "Ange en andel i procent mellan 0 och 100."),
    ("dygn", "Ange ett tal mellan 0 och 365."),
    ("kommentar", "Skriv ett svar."),
    ("beskrivning", "Skriv ett svar."),
    ("startdatum", "Ange ett datum, till exempel 2025-03-01."),
    ("vecka", "Ange en vecka, till exempel 2025-W09 för vecka 9 år 2025."),
]


@pytest.mark.parametrize(("question_id", "message"), MISSING_MESSAGES)
def test_it_says_per_type_what_a_missing_answer_needs(question_id: str, message: str) -> None:
    assert missing_answer_message(question(SAMPLE, question_id)) == message


def test_it_requires_required_questions_only_on_submission() -> None:
    submitted = check_answers(SAMPLE, {}, KOMMUN, require_complete=True)
    assert submitted.errors == {
        "sip_okning": "Välj Ja, Nej eller Ej aktuellt.",
        "nojdhet": "Välj ett alternativ på skalan.",
        "utbildning": "Ange en andel i procent mellan 0 och 100.",
        "npo": "Välj Ja eller Nej.",
    }
    assert submitted.answers == {}
    assert not submitted.ok
    draft = check_answers(SAMPLE, {}, KOMMUN, require_complete=False)
    assert draft.errors == {}
    assert draft.ok


def test_it_treats_blank_answers_as_unanswered() -> None:
    raw: RawAnswers = {
        "sip_okning": "  ",
        "omraden": ["", " "],
        "utbildning": "",
        "kommentar": "\x00",
    }
    check = check_answers(SAMPLE, raw, EVERYONE, require_complete=True)
    assert set(check.errors) == {"sip_okning", "nojdhet", "utbildning", "npo"}
    assert check.answers == {}


def test_it_checks_formats_in_drafts() -> None:
    raw = {"utbildning": "200", "kommentar": "Bra"}
    check = check_answers(SAMPLE, raw, EVERYONE, require_complete=False)
    assert check.errors == {"utbildning": "Ange ett tal mellan 0 och 100."}
    assert check.answers == {"kommentar": "Bra"}


def test_it_does_not_store_unanswered_optional_questions() -> None:
    raw = {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": "50", "npo": "ja"}
    check = check_answers(SAMPLE, raw, KOMMUN, require_complete=True)
    assert check.ok
    assert check.answers == {
        "sip_okning": "nej",
        "nojdhet": "ganska_nojd",
        "utbildning": 50,
        "npo": "ja",
    }


def test_it_gives_answers_that_survive_json() -> None:
    raw: RawAnswers = {
        "sip_okning": "ja",
        "omraden": ["fallrisk"],
        "nojdhet": "ganska_nojd",
        "utbildning": "12,5",
        "dygn": "3",
        "kommentar": "Tack 😀 åäö",
        "beskrivning": "rad 1\nrad 2",
        "startdatum": "2025-3-1",
        "vecka": "v 9 2025",
        "npo": "nej",
    }
    check = check_answers(SAMPLE, raw, KOMMUN, require_complete=True)
    assert check.ok
    assert json.loads(json.dumps(check.answers, ensure_ascii=False)) == check.answers


# -- conditions ----------------------------------------------------------------------------


def test_it_requires_a_conditional_question_only_when_its_condition_holds() -> None:
    base = {"nojdhet": "ganska_nojd", "utbildning": "50"}
    holds = check_answers(SAMPLE, {**base, "sip_okning": "ja"}, REGIONAL_PV, require_complete=True)
    assert holds.errors == {"omraden": "Välj minst ett alternativ."}
    fails = check_answers(SAMPLE, {**base, "sip_okning": "nej"}, REGIONAL_PV, require_complete=True)
    assert fails.errors == {}


@pytest.mark.parametrize("posted", [["fallrisk"], ["hackat"], "inte en lista"])
def test_it_drops_the_answer_to_a_question_whose_condition_does_not_hold(posted: Any) -> None:
    raw = {"sip_okning": "nej", "omraden": posted, "nojdhet": "ganska_nojd", "utbildning": "50"}
    check = check_answers(SAMPLE, raw, REGIONAL_PV, require_complete=True)
    assert check.ok
    assert "omraden" not in check.answers


def test_it_keeps_the_answer_to_a_question_whose_condition_holds() -> None:
    raw: RawAnswers = {
        "sip_okning": "ja",
        "omraden": ["fallrisk"],
        "nojdhet": "ganska_nojd",
        "utbildning": "50",
    }
    check = check_answers(SAMPLE, raw, REGIONAL_PV, require_complete=True)
    assert check.ok
    assert check.answers["omraden"] == ["fallrisk"]


def test_it_drops_a_conditional_answer_when_the_earlier_answer_is_invalid() -> None:
    raw: RawAnswers = {"sip_okning": "kanske", "omraden": ["fallrisk"]}
    check = check_answers(SAMPLE, raw, REGIONAL_PV, require_complete=False)
    assert set(check.errors) == {"sip_okning"}
    assert check.answers == {}


@pytest.mark.parametrize(
    ("okning", "asked"), [("ja", True), ("ej_aktuellt", True), ("nej", False), (None, False)]
)
def test_it_asks_a_question_whose_condition_lists_several_answers(
    okning: str | None, asked: bool
) -> None:
    raw = {"okning": okning} if okning else {}
    check = check_answers(RULES, raw, REGIONAL_PV, require_complete=True)
    assert ("varfor" in check.errors) is asked


@pytest.mark.parametrize(
    ("chosen", "asked"),
    [
        (["fallrisk"], True),
        (["suicidprevention", "undernaring"], True),
        (["suicidprevention"], False),
        ([], False),
    ],
)
def test_it_asks_a_question_conditioned_on_any_choice_of_a_multiple_choice(
    chosen: list[str], asked: bool
) -> None:
    check = check_answers(RULES, {"omraden": chosen}, REGIONAL_PV, require_complete=True)
    assert ("fallrisk_hur" in check.errors) is asked


def test_it_hides_a_chain_of_conditions_when_the_first_does_not_hold() -> None:
    raw = {"npo": "nej", "npo_sedan": "2025-01-01"}
    check = check_answers(RULES, raw, KOMMUN, require_complete=True)
    assert "npo_sedan" not in check.errors
    assert "npo_sedan" not in check.answers
    shown = [q.id for q in visible_questions(RULES, KOMMUN, {"npo": "nej"})]
    assert "npo_sedan" not in shown
    assert "vc_fraga" in shown
    shown = [q.id for q in visible_questions(RULES, KOMMUN, {"npo": "ja"})]
    assert "npo_sedan" in shown
    assert "vc_fraga" not in shown


# -- audience ------------------------------------------------------------------------------


def test_it_ignores_answers_to_questions_not_asked_of_the_organisation_type() -> None:
    raw = {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": "50", "npo": "hackat"}
    check = check_answers(SAMPLE, raw, REGIONAL_PV, require_complete=True)
    assert check.ok
    assert "npo" not in check.answers


@pytest.mark.parametrize(
    ("organisation_type", "required"),
    [
        (KOMMUN, True),
        ("kommun", True),
        (REGIONAL_PV, False),
        ("psykiatri", False),
        (None, False),
        (EVERYONE, True),
    ],
)
def test_it_requires_audience_questions_only_of_their_audience(
    organisation_type: Any, required: bool
) -> None:
    check = check_answers(SAMPLE, {}, organisation_type, require_complete=True)
    assert ("npo" in check.errors) is required


def test_it_never_reaches_a_question_conditioned_on_one_not_asked() -> None:
    ids = [q.id for q in reachable_questions(RULES, REGIONAL_PV)]
    assert "npo" not in ids
    assert "npo_sedan" not in ids
    assert "vc_fraga" not in ids  # its condition's question is only asked of kommuner
    assert [q.id for q in reachable_questions(RULES, KOMMUN)] == [q.id for q in RULES.questions]


# -- reading the posted form ---------------------------------------------------------------


def test_it_reads_only_questions_asked_and_ignores_other_fields() -> None:
    form = MultiDict(
        [
            ("sip_okning", "ja"),
            ("omraden", "fallrisk"),
            ("omraden", "undernaring"),
            ("npo", "ja"),
            ("csrf_token", "abc"),
            ("action", "submit"),
            ("okand", "x"),
        ]
    )
    assert raw_answers_from_form(SAMPLE, form, REGIONAL_PV) == {
        "sip_okning": "ja",
        "omraden": ["fallrisk", "undernaring"],
    }
    assert raw_answers_from_form(SAMPLE, form, KOMMUN)["npo"] == "ja"
    assert raw_answers_from_form(SAMPLE, form, EVERYONE)["npo"] == "ja"


def test_it_takes_the_first_of_repeated_single_values_and_drops_blanks() -> None:
    form = MultiDict(
        [
            ("sip_okning", "nej"),
            ("sip_okning", "ja"),
            ("kommentar", "   "),
            ("omraden", ""),
            ("omraden", "fallrisk"),
            ("omraden", "fallrisk"),
        ]
    )
    assert raw_answers_from_form(SAMPLE, form, EVERYONE) == {
        "sip_okning": "nej",
        "omraden": ["fallrisk"],
    }


CLEANING = [
    ("kommentar", "a\x00b\x07c\x1bd\x7fe\x85f\x9fg", "abcdefg"),
    ("kommentar", "  två\tord\nhär  ", "två ord här"),
    ("beskrivning", " rad 1\r\nrad 2\rrad 3\n\tindrag \x00", "rad 1\nrad 2\nrad 3\n\tindrag"),
    ("kommentar", "a\u0308r det bra?", "är det bra?"),
    ("kommentar", "Emoji 😀👍🏽 och 👩‍👩‍👧 och ÅÄÖ åäö", "Emoji 😀👍🏽 och 👩‍👩‍👧 och ÅÄÖ åäö"),
    ("kommentar", "trasig \ud800 surrogat", "trasig  surrogat"),
    ("utbildning", "\x0045\u00a0", "45"),
]


@pytest.mark.parametrize(("question_id", "posted", "cleaned"), CLEANING)
def test_it_cleans_posted_text(question_id: str, posted: str, cleaned: str) -> None:
    raw = raw_answers_from_form(SAMPLE, MultiDict([(question_id, posted)]), EVERYONE)
    assert raw == {question_id: cleaned}


def test_it_keeps_long_unicode_text_intact() -> None:
    text = ("Vårdcentralen i Ängelholm samverkar med kommunen 🤝. " * 90).strip()
    assert len(text) < 5000
    raw = raw_answers_from_form(SAMPLE, MultiDict([("beskrivning", text)]), EVERYONE)
    check = check_answers(SAMPLE, raw, EVERYONE, require_complete=False)
    assert check.answers["beskrivning"] == text


def test_it_caps_overlong_input_above_the_limit_so_the_check_can_say_too_long() -> None:
    raw = raw_answers_from_form(SAMPLE, MultiDict([("kommentar", "x" * 100_000)]), EVERYONE)
    cap = input_cap(SAMPLE.question("kommentar"))
    assert 200 < cap < 100_000
    assert len(raw["kommentar"]) == cap
    check = check_answers(SAMPLE, raw, EVERYONE, require_complete=False)
    assert check.errors["kommentar"] == f"Svaret får vara högst 200 tecken (nu minst {cap})."


def test_it_caps_other_values_and_the_number_of_choices() -> None:
    form = MultiDict([("nojdhet", "x" * 10_000)] + [("omraden", f"v{i}") for i in range(1000)])
    raw = raw_answers_from_form(SAMPLE, form, EVERYONE)
    assert len(raw["nojdhet"]) <= 200
    assert len(raw["omraden"]) <= 100


def test_it_cleans_idempotently() -> None:
    once = clean_text(" a\x00\r\nb ", multiline=True)
    assert clean_text(once, multiline=True) == once == "a\nb"


# -- visible questions and progress --------------------------------------------------------


def test_it_lists_the_visible_questions_for_the_answers_so_far() -> None:
    ids = [q.id for q in visible_questions(SAMPLE, REGIONAL_PV, {})]
    assert "omraden" not in ids
    assert "npo" not in ids
    assert [q.id for q in visible_questions(SAMPLE, KOMMUN, {"sip_okning": "ja"})] == [
        q.id for q in SAMPLE.questions
    ]


def test_it_counts_progress_per_section() -> None:
    answers = {"sip_okning": "ja", "omraden": ["fallrisk"], "utbildning": 0, "kommentar": ""}
    assert progress(SAMPLE, KOMMUN, answers) == [
        SectionProgress("allmant", "Allmänt", 3, 10),
        SectionProgress("kommun", "Endast kommuner", 0, 1),
    ]
    assert progress(SAMPLE, REGIONAL_PV, {"sip_okning": "nej"}) == [
        SectionProgress("allmant", "Allmänt", 1, 9),
    ]
    everything = progress(SAMPLE, EVERYONE, {})
    assert [item.section_id for item in everything] == ["allmant", "kommun"]
    assert not everything[0].complete


# -- display -------------------------------------------------------------------------------

DISPLAY = [
    ("sip_okning", "ej_aktuellt", "Ej aktuellt"),
    ("omraden", ["suicidprevention", "undernaring"], "Suicidprevention, Undernäring"),
    ("utbildning", 12.5, "12,5\u00a0%"),
    ("dygn", 3, "3\u00a0dygn"),
    ("vecka", "2025-W09", "vecka 9 år 2025"),
    ("startdatum", "2025-03-01", "2025-03-01"),
    ("kommentar", "Tack 😀", "Tack 😀"),
]


@pytest.mark.parametrize(("question_id", "value", "shown"), DISPLAY)
def test_it_displays_typed_answers_in_swedish(question_id: str, value: Any, shown: str) -> None:
    assert display_answer(question(SAMPLE, question_id), value) == shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1000, "1000"),
        (12345, "12\u00a0345"),
        (-1234567.25, "-1\u00a0234\u00a0567,25"),
        (12.5, "12,5"),
        (0.0001, "0,0001"),
        (100.0, "100"),
    ],
)
def test_it_formats_numbers_the_swedish_way(value: float, text: str) -> None:
    assert format_number(value) == text


def test_it_refuses_nothing_for_an_unknown_question_id() -> None:
    check = check_answers(
        SAMPLE, {"okand": "x", "sip_okning": "ja"}, EVERYONE, require_complete=False
    )
    assert check.ok
    assert check.answers == {"sip_okning": "ja"}


def test_it_checks_choice_values_of_questions_built_from_the_model() -> None:
    odd = Question(
        "val",
        QuestionType.SINGLE_CHOICE,
        "Val",
        "s",
        choices=(Choice("a_1", "A"), Choice("b", "B")),
    )
    assert check_answer(odd, "a_1") == "a_1"
