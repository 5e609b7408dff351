"""The rules on the questionnaire itself, its sections, and the ids of everything in it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from survey.questionnaires.drafts import Located, QuestionnaireDraft
from survey.questionnaires.errors import Issue

QUESTIONNAIRE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
SECTION_ID = re.compile(r"[a-z][a-z0-9_]*")
QUESTION_ID = re.compile(r"[a-z][a-z0-9_]*")
QUESTION_ID_MAX_LENGTH = 40
INDICATOR_ID = re.compile(r"[0-9]+[a-z]?\.[0-9]+[a-z]?")
VERSION = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
SUPPORTED_LANGUAGES = ("sv",)
MAX_QUESTIONNAIRE_ID_LENGTH = 64  # the width of questionnaire_versions.questionnaire_id
MAX_VERSION_LENGTH = 32
MAX_TITLE_LENGTH = 300  # the width of questionnaire_versions.title
# Names the form, the results frame and the answer import use beside the question ids.
RESERVED_QUESTION_IDS = frozenset(
    {
        "action",
        "csrf_token",  # the answer form's buttons and CSRF field
        "response_id",
        "recipient_id",
        "organisation",
        "organisation_type",
        "organisation_key",
        "kommun",
        "delregion",
        "submitted_at",
        "imported",  # the results frame
        "namn",
        "name",
        "email",
        "epost",
        "organisationstyp",  # the answer import's columns
    }
)


# -- the questionnaire -------------------------------------------------------------------


def questionnaire_id_is_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.id is None:
        return
    if (
        not QUESTIONNAIRE_ID.fullmatch(draft.id.value)
        or len(draft.id.value) > MAX_QUESTIONNAIRE_ID_LENGTH
    ):
        yield Issue(
            draft.id.line,
            f"questionnaire id '{draft.id.value}' is not valid",
            "use lower-case letters a–z, digits and hyphens, starting with a letter or digit "
            f"(at most {MAX_QUESTIONNAIRE_ID_LENGTH} characters), e.g. nv-arlig-enkat",
        )


def version_is_numbered(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.version is None:
        return
    if not VERSION.fullmatch(draft.version.value) or len(draft.version.value) > MAX_VERSION_LENGTH:
        yield Issue(
            draft.version.line,
            f"version '{draft.version.value}' is not a version number",
            "use whole numbers without leading zeros, separated by dots, e.g. 1, 2 or 1.1",
        )


def language_is_swedish(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.language is not None and draft.language.value.lower() not in SUPPORTED_LANGUAGES:
        yield Issue(
            draft.language.line,
            f"language '{draft.language.value}' is not supported",
            "only Swedish is supported: write 'language: sv' or remove the key",
        )


def title_fits(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.title is not None and len(draft.title.value) > MAX_TITLE_LENGTH:
        yield Issue(
            draft.title.line,
            f"the title is {len(draft.title.value)} characters long",
            f"shorten it to at most {MAX_TITLE_LENGTH} characters; put the rest in 'intro'",
        )


def sections_are_given(draft: QuestionnaireDraft) -> Iterator[Issue]:
    if draft.sections is not None and not draft.sections.value:
        yield Issue(
            draft.sections.line,
            "the questionnaire has no sections",
            "add at least one section with '- id: …', 'title: …' and 'questions:'",
        )


# -- sections ----------------------------------------------------------------------------


def section_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for section in draft.section_drafts:
        if section.id is not None and not SECTION_ID.fullmatch(section.id.value):
            yield Issue(
                section.id.line,
                f"section id '{section.id.value}' is not valid",
                "use lower-case letters a–z, digits and underscore, starting with a letter, "
                "e.g. sip",
            )


def section_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("section", (section.id for section in draft.section_drafts))


def sections_have_questions(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for section in draft.section_drafts:
        if section.questions is not None and not section.questions.value:
            yield Issue(
                section.questions.line,
                f"{section.name} has no questions",
                "add at least one question under 'questions:', or remove the section",
            )


# -- question ids ------------------------------------------------------------------------


def question_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        if question.id is None:
            continue
        value = question.id.value
        if not QUESTION_ID.fullmatch(value):
            yield Issue(
                question.id.line,
                f"question id '{value}' is not valid",
                "use lower-case letters a–z, digits and underscore, starting with a letter, "
                "e.g. sip_okning",
            )
        elif len(value) > QUESTION_ID_MAX_LENGTH:
            yield Issue(
                question.id.line,
                f"question id '{value}' is {len(value)} characters long",
                f"shorten it to at most {QUESTION_ID_MAX_LENGTH} characters",
            )


def question_ids_are_not_reserved(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for _, question in draft.iter_questions():
        if question.id is not None and question.id.value in RESERVED_QUESTION_IDS:
            yield Issue(
                question.id.line,
                f"question id '{question.id.value}' is reserved",
                f"choose another id, e.g. '{question.id.value}_svar'",
            )


def question_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("question", (question.id for _, question in draft.iter_questions()))


# -- indicator ids -----------------------------------------------------------------------


def indicator_ids_are_valid(draft: QuestionnaireDraft) -> Iterator[Issue]:
    for indicator in draft.indicator_drafts:
        if indicator.id is not None and not INDICATOR_ID.fullmatch(indicator.id.value):
            yield Issue(
                indicator.id.line,
                f"indicator id '{indicator.id.value}' is not valid",
                "use the plan's numbering: area number, sub-area letter if any, a dot and the "
                "indicator's label, e.g. 1a.1b, 3.1a or 1a.4",
            )


def indicator_ids_are_unique(draft: QuestionnaireDraft) -> Iterator[Issue]:
    yield from _ids_used_twice("indicator", (indicator.id for indicator in draft.indicator_drafts))


def _ids_used_twice(kind: str, ids: Iterable[Located[str] | None]) -> Iterator[Issue]:
    """An issue for each id (of a section, question or indicator) that an earlier one has."""
    seen: dict[str, int] = {}
    for located in ids:
        if located is None:
            continue
        if located.value in seen:
            yield Issue(
                located.line,
                f"{kind} id '{located.value}' is used twice",
                f"give this {kind} another id (the first is on line {seen[located.value]})",
            )
        else:
            seen[located.value] = located.line
