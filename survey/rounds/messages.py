"""Invitation and reminder texts: Swedish defaults, placeholders, checking and rendering."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from survey.errors import ErrorCode, SurveyError
from survey.rounds.tokens import LINK_MARKER

# Placeholders a process leader may use, with what each becomes.
PLACEHOLDERS: dict[str, str] = {
    "namn": "mottagarens namn",
    "organisation": "mottagarens organisation",
    "lank": "den personliga länken",
    "sista_dag": "sista svarsdag",
    "omgang": "omgångens titel",
    "enkat": "enkätens titel",
    "avsandare": "avsändarens namn",
}

DEFAULT_INVITATION_SUBJECT = "Inbjudan: {omgang}"
DEFAULT_INVITATION_BODY = """Hej {namn}!

Du får det här meddelandet eftersom du är verksamhetsansvarig för {organisation}. Vi vill be dig svara på enkäten ”{enkat}”, som är en del av uppföljningen av arbetet med god och nära vård.

Svara via din personliga länk:
{lank}

Du kan spara ett utkast och fortsätta senare, och du kan ändra dina svar fram till och med {sista_dag}. Länken är personlig – vidarebefordra den inte.

Skriv inte uppgifter om enskilda patienter i svaren.

Tack för din medverkan!

Med vänliga hälsningar
{avsandare}
"""

DEFAULT_REMINDER_SUBJECT = "Påminnelse: {omgang}"
DEFAULT_REMINDER_BODY = """Hej {namn}!

Vi har ännu inte fått in något svar från {organisation} på enkäten ”{enkat}”. Enkäten stänger {sista_dag}.

Svara via din personliga länk:
{lank}

Har du redan börjat? Dina sparade svar finns kvar – öppna länken och skicka in när du är klar.

Med vänliga hälsningar
{avsandare}
"""


class TemplateProblem(SurveyError, ValueError):
    """A message text that cannot be used; the message is Swedish, for the process leader."""

    code = ErrorCode.TEMPLATE_INVALID


@dataclass(frozen=True, slots=True)
class MessageValues:
    """The values for one recipient (the link is filled in when the mail is sent)."""

    namn: str
    organisation: str
    sista_dag: str
    omgang: str
    enkat: str
    avsandare: str


def check_template(text: str, *, needs_link: bool) -> None:
    """Raise TemplateProblem for unknown placeholders, broken braces or a missing link."""
    if LINK_MARKER in text:
        raise TemplateProblem(
            f"Texten får inte innehålla {LINK_MARKER}.", code=ErrorCode.TEMPLATE_LINK_MARKER
        )
    try:
        parsed = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise TemplateProblem(
            "Texten har en ensam { eller }. Skriv {{ eller }} för att visa en klammer.",
            code=ErrorCode.TEMPLATE_LONE_BRACE,
        ) from None
    fields = [name for name, _, _ in parsed]
    for name, spec, conversion in parsed:
        # "{namn:>999999999}" would pad to a gigabyte; "{namn!r}" shows Python quoting.
        if spec or conversion:
            raise TemplateProblem(
                f"Platshållaren {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} får inte ha tillägg. Skriv bara {{{name}}}.",
                code=ErrorCode.TEMPLATE_PLACEHOLDER_SUFFIX,
            )
    for name in fields:
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
            raise TemplateProblem(
                f"Okänd platshållare {{{name}}}. Tillgängliga: {known}.",
                code=ErrorCode.TEMPLATE_UNKNOWN_PLACEHOLDER,
            )
    if needs_link and "lank" not in fields:
        raise TemplateProblem(
            "Texten måste innehålla {lank} så att mottagaren får sin personliga länk.",
            code=ErrorCode.TEMPLATE_MISSING_LINK,
        )


def render_template(text: str, values: MessageValues, *, link: str = LINK_MARKER) -> str:
    """Fill in the placeholders; the link defaults to the marker replaced at sending."""
    mapping: Mapping[str, str] = {
        "namn": values.namn,
        "organisation": values.organisation,
        "sista_dag": values.sista_dag,
        "omgang": values.omgang,
        "enkat": values.enkat,
        "avsandare": values.avsandare,
        "lank": link,
    }
    return text.format_map(mapping)


def check_subject(text: str) -> None:
    """Subjects are one line of printable text (no header injection), at most 200 characters."""
    if any(not ch.isprintable() for ch in text):
        raise TemplateProblem(
            "Ämnesraden får bara vara en rad, utan radbrytningar eller styrtecken.",
            code=ErrorCode.TEMPLATE_SUBJECT_NOT_ONE_LINE,
        )
    if not text.strip():
        raise TemplateProblem(
            "Ämnesraden får inte vara tom.", code=ErrorCode.TEMPLATE_SUBJECT_EMPTY
        )
    if len(text) > 200:
        raise TemplateProblem(
            f"Ämnesraden får vara högst 200 tecken (nu {len(text)}).",
            code=ErrorCode.TEMPLATE_SUBJECT_TOO_LONG,
        )
    check_template(text, needs_link=False)
