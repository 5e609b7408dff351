"""Invitation and reminder texts: placeholders checked, defaults usable, subjects one line."""

from __future__ import annotations

import pytest

from survey.errors import ErrorCode
from survey.rounds.messages import (
    DEFAULT_INVITATION_BODY,
    DEFAULT_INVITATION_SUBJECT,
    DEFAULT_REMINDER_BODY,
    DEFAULT_REMINDER_SUBJECT,
    MessageValues,
    TemplateProblem,
    check_subject,
    check_template,
    render_template,
)
from survey.rounds.tokens import LINK_MARKER

VALUES = MessageValues(
    namn="Åsa Öberg",
    organisation="Vårdcentralen Ängelholm",
    sista_dag="15 december 2025",
    omgang="Årlig enkät 2025",
    enkat="Årlig enkät till verksamhetsansvariga",
    avsandare="Processledare nära vård NV",
)


def test_it_accepts_the_default_texts() -> None:
    check_template(DEFAULT_INVITATION_BODY, needs_link=True)
    check_template(DEFAULT_REMINDER_BODY, needs_link=True)
    check_subject(DEFAULT_INVITATION_SUBJECT)
    check_subject(DEFAULT_REMINDER_SUBJECT)


def test_it_fills_in_placeholders_and_leaves_the_link_for_sending() -> None:
    body = render_template(DEFAULT_INVITATION_BODY, VALUES)
    assert "Hej Åsa Öberg!" in body
    assert "Vårdcentralen Ängelholm" in body
    assert "15 december 2025" in body
    assert LINK_MARKER in body
    assert render_template("{lank}", VALUES, link="https://x/svara/1/t") == "https://x/svara/1/t"


def test_it_keeps_braces_in_values_literal() -> None:
    values = MessageValues("{lank}", "{namn}", "x", "y", "z", "w")
    assert render_template("{namn} / {organisation}", values) == "{lank} / {namn}"


# The code of each refusal below, by the fragment of its message.
TEMPLATE_CODES = {
    "måste innehålla {lank}": ErrorCode.TEMPLATE_MISSING_LINK,
    "ensam {": ErrorCode.TEMPLATE_LONE_BRACE,
    "får inte innehålla": ErrorCode.TEMPLATE_LINK_MARKER,
    "Okänd platshållare": ErrorCode.TEMPLATE_UNKNOWN_PLACEHOLDER,
    "Okänd platshållare {nman}": ErrorCode.TEMPLATE_UNKNOWN_PLACEHOLDER,
    "får inte ha tillägg": ErrorCode.TEMPLATE_PLACEHOLDER_SUFFIX,
    "bara vara en rad": ErrorCode.TEMPLATE_SUBJECT_NOT_ONE_LINE,
    "får inte vara tom": ErrorCode.TEMPLATE_SUBJECT_EMPTY,
    "högst 200 tecken": ErrorCode.TEMPLATE_SUBJECT_TOO_LONG,
}


@pytest.mark.parametrize(
    ("text", "needs_link", "message"),
    [
        ("Hej {nman}! {lank}", True, "Okänd platshållare {nman}"),
        ("Hej {namn}!", True, "måste innehålla {lank}"),
        ("Hej {namn! {lank}", True, "ensam {"),
        ("Hej } {lank}", True, "ensam {"),
        (f"Klicka {LINK_MARKER}", False, "får inte innehålla"),
        ("{0} {lank}", True, "Okänd platshållare"),
        ("{namn:>999999999} {lank}", True, "får inte ha tillägg"),
        ("{namn!r} {lank}", True, "får inte ha tillägg"),
    ],
)
def test_it_refuses_unusable_texts(text: str, needs_link: bool, message: str) -> None:
    with pytest.raises(TemplateProblem, match=message) as refused:
        check_template(text, needs_link=needs_link)
    assert refused.value.code is TEMPLATE_CODES[message]


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("Inbjudan\r\nBcc: alla@example.se", "bara vara en rad"),
        ("Inbjudan\n", "bara vara en rad"),
        ("   ", "får inte vara tom"),
        ("x" * 201, "högst 200 tecken"),
        ("Inbjudan {okand}", "Okänd platshållare"),
    ],
)
def test_it_refuses_unsafe_subjects(subject: str, message: str) -> None:
    with pytest.raises(TemplateProblem, match=message) as refused:
        check_subject(subject)
    assert refused.value.code is TEMPLATE_CODES[message]
