"""Free-text answers collated per question with whom they come from (the Bilaga 1 collation)."""

from __future__ import annotations

from typing import Any

from survey.results.frame import responses_frame_from_records
from survey.results.freetext import FreeTextAnswer, collate_free_text
from tests.sample import sample_questionnaire


def row(
    response_id: int, organisation: str, kind: str, kommun: str, **answers: Any
) -> dict[str, Any]:
    return {
        "response_id": response_id,
        "recipient_id": response_id,
        "organisation": organisation,
        "organisation_type": kind,
        "kommun": kommun,
        "delregion": "NV",
        **answers,
    }


def test_it_collates_every_text_question_in_a_stable_reading_order() -> None:
    questionnaire = sample_questionnaire()
    frame = responses_frame_from_records(
        questionnaire,
        [
            row(1, "VC Öst", "regional_pv", "Ängelholm", beskrivning="Vi har startat ett team."),
            row(
                2, "Sjukhuset", "slutenvard", "Helsingborg", beskrivning="Rutin finns.\nFöljs upp."
            ),
            row(
                3,
                "Ängelholms kommun",
                "kommun",
                "Ängelholm",
                beskrivning="Samverkan fungerar.",
                kommentar="Bra",
            ),
            row(4, "Åstorps kommun", "kommun", "Åstorp", beskrivning="  "),
            row(5, "VC Norr", "regional_pv", "Ängelholm", beskrivning="Utbildning pågår."),
            row(6, "VC Norr", "regional_pv", "Ängelholm", beskrivning="En andra chef svarar."),
            row(
                7,
                "Bjuvs kommun",
                "kommun",
                "Bjuv",
                beskrivning="Inget att tillägga",
                sip_okning="ja",
            ),
            row(8, "VC Annan", "annan", "Bjuv"),
        ],
    )
    short, long = collate_free_text(questionnaire, frame)
    assert short.question.id == "kommentar"
    assert short.answers == (
        FreeTextAnswer("Bra", "Ängelholms kommun", "kommun", "Ängelholm", "NV", 3),
    )
    assert long.question.id == "beskrivning"
    # Organisation type as declared (kommun, regional PV, sjukhus), then kommun and organisation
    # in Swedish order (Å before Ä), then response id; white space only is left out.
    assert [(answer.response_id, answer.text) for answer in long.answers] == [
        (7, "Inget att tillägga"),
        (3, "Samverkan fungerar."),
        (5, "Utbildning pågår."),
        (6, "En andra chef svarar."),
        (1, "Vi har startat ett team."),
        (2, "Rutin finns.\nFöljs upp."),
    ]
    assert long.answers[0].organisation_type_label == "Kommun"
    assert long.answers[-1].organisation_type_label == "Sjukhus/slutenvård"


def test_it_lists_a_question_nobody_answered_with_no_answers() -> None:
    questionnaire = sample_questionnaire()
    frame = responses_frame_from_records(questionnaire, [row(1, "VC Norr", "regional_pv", "Bjuv")])
    collated = collate_free_text(questionnaire, frame)
    assert [(item.question.id, item.answers) for item in collated] == [
        ("kommentar", ()),
        ("beskrivning", ()),
    ]


def test_it_names_an_unknown_organisation_type_by_its_code() -> None:
    answer = FreeTextAnswer("Text", "Org", "okand", "Bjuv", "NV", 1)
    assert answer.organisation_type_label == "okand"
