"""The respondent's form, built with WTForms from a questionnaire for one organisation type.

Fields carry what was typed and render the inputs; every rule is in `answers.py`:
`AnswerForm.validate_answers` calls `check_answers` and attaches its Swedish messages to
the fields. The form's layout (`AnswerForm.layout`) gives the template everything it
needs per section and question: numbers, notes, hint and error ids, input attributes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any, ClassVar, Final

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, WeekInput

from survey.answering.fragments import FormFragments
from survey.answering.hints import question_hints
from survey.organisations import OrganisationType
from survey.questionnaires.answers import (
    EVERYONE,
    AnswerCheck,
    AnswerError,
    AnswerValue,
    FormData,
    RawAnswers,
    RespondentType,
    SectionProgress,
    check_answer,
    check_answers,
    display_answer,
    is_section_asked,
    join_with_or,
    max_length,
    progress,
    raw_answers_from_form,
    reachable_questions,
    shorten,
)
from survey.questionnaires.model import Question, Questionnaire, QuestionType, Section

CSRF_MESSAGE: Final = (
    "Formuläret hade gått ut eller kom från en annan sida. Dina svar visas nedan: skicka dem igen."
)
# The buttons' element id, for an error that belongs to no single question.
BUTTONS_ID: Final = "formular-knappar"
FORM_CLASS_CACHE_SIZE: Final = 128


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Check boxes for a multiple-choice question."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def field_attribute(question_id: str) -> str:
    """The form attribute of a question's field; its HTML name and id are the question id.

    A prefix keeps question ids such as `data` or `errors` clear of the form's own attributes.
    """
    return f"q_{question_id}"


def raw_answers_from_mapping(answers: Mapping[str, object]) -> RawAnswers:
    """Raw answers from a stored draft (JSON): strings and lists of strings, nothing else."""
    raw: RawAnswers = {}
    for key, value in answers.items():
        if isinstance(value, list):
            raw[key] = [str(item) for item in value if item is not None]
        elif value is not None:
            raw[key] = str(value)
    return raw


def displayed_value(question: Question, value: str | list[str] | None) -> str | list[str] | None:
    """What a field shows: the value as typed, but dates and weeks in the form date and week
    inputs need ("v. 9 2025" shows as "2025-W09"), so a browser does not blank them."""
    if isinstance(value, str) and question.type in (QuestionType.DATE, QuestionType.WEEK):
        try:
            typed = check_answer(question, value)
        except AnswerError:
            return value
        return value if typed is None else str(typed)
    return value


def _choices(question: Question) -> list[SelectChoice]:
    return [SelectChoice(value=choice.value, label=choice.label) for choice in question.choices]


def make_field(question: Question) -> Any:
    """The unbound WTForms field for a question (no validators: `check_answers` decides)."""
    common: dict[str, Any] = {
        "label": question.text,
        "name": question.id,
        "description": question.help or "",
    }
    match question.type:
        case QuestionType.YES_NO | QuestionType.SINGLE_CHOICE | QuestionType.SCALE:
            return RadioField(choices=_choices(question), validate_choice=False, **common)
        case QuestionType.MULTIPLE_CHOICE:
            return MultiCheckboxField(choices=_choices(question), validate_choice=False, **common)
        case QuestionType.PERCENT | QuestionType.NUMBER:
            # Text, not type=number: "12,5" must reach the server, which explains what is wrong.
            render_kw = {"class": "input-short", "autocomplete": "off"}
            low = question.minimum if question.type is QuestionType.NUMBER else 0
            if low is not None and low >= 0:
                # Phone keypads for inputmode=decimal have no minus sign.
                render_kw["inputmode"] = "decimal"
            return StringField(render_kw=render_kw, **common)
        case QuestionType.SHORT_TEXT:
            return StringField(render_kw={"maxlength": max_length(question)}, **common)
        case QuestionType.LONG_TEXT:
            # No maxlength: a browser would silently cut pasted text; the server says "too long".
            return TextAreaField(render_kw={"rows": 6}, **common)
        case QuestionType.DATE:
            return StringField(widget=DateInput(), render_kw={"class": "input-date"}, **common)
        case QuestionType.WEEK:
            return StringField(widget=WeekInput(), render_kw={"class": "input-week"}, **common)
    raise AssertionError(f"unhandled question type {question.type}")  # pragma: no cover


class AnswerForm(FlaskForm):  # type: ignore[misc]
    """A questionnaire's answer form for one organisation type (make it with `answer_form_class`).

    On a POST the posted values are read (cleaned) into `raw_answers`; otherwise the
    `answers` given (a stored draft) fill the fields. `validate_answers` checks them.
    """

    questionnaire: ClassVar[Questionnaire]
    respondent_type: ClassVar[RespondentType]
    questions: ClassVar[tuple[Question, ...]]  # every question this type may be shown
    plan: ClassVar[tuple[PlannedSection, ...]]  # the layout's fixed part (see form_plan)
    has_conditions: ClassVar[bool]
    fragments: ClassVar[FormFragments]  # the form's HTML, rendered once

    buttons_id: ClassVar[str] = BUTTONS_ID

    raw_answers: RawAnswers
    answer_check: AnswerCheck | None
    form_error: str | None

    def __init__(
        self, *args: Any, answers: Mapping[str, object] | None = None, **kwargs: Any
    ) -> None:
        self._initial_answers = raw_answers_from_mapping(answers or {})
        self.answer_check = None
        self.form_error = None
        super().__init__(*args, **kwargs)

    def process(
        self,
        formdata: FormData | None = None,
        obj: Any = None,
        data: Any = None,
        extra_filters: Any = None,
        **kwargs: Any,
    ) -> None:
        formdata = self.meta.wrap_formdata(self, formdata)
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if formdata is not None:
            raw = raw_answers_from_form(self.questionnaire, formdata, self.respondent_type)
        else:
            raw = self._initial_answers
        known = {question.id for question in self.questions}
        self.raw_answers = {key: value for key, value in raw.items() if key in known}
        for question in self.questions:
            # Show the cleaned values (what will be checked and stored), not the posted bytes.
            self.answer_field(question.id).data = displayed_value(
                question, self.raw_answers.get(question.id)
            )

    def answer_field(self, question_id: str) -> Any:
        """The field of a question (a WTForms `Field`)."""
        return self[field_attribute(question_id)]

    def validate(self, extra_validators: Any = None) -> bool:
        """Check a submission (every required question answered); see `validate_answers`."""
        return self.validate_answers(require_complete=True)

    def validate_answers(self, *, require_complete: bool) -> bool:
        """Check the CSRF token and the answers; attach the Swedish messages to the fields.

        With `require_complete=False` (a draft) only formats are checked.
        """
        self.form_error = None if self._csrf_is_valid() else CSRF_MESSAGE
        check = check_answers(
            self.questionnaire,
            self.raw_answers,
            self.respondent_type,
            require_complete=require_complete,
        )
        self.answer_check = check
        for question in self.questions:
            message = check.errors.get(question.id)
            self.answer_field(question.id).errors = [message] if message else []
        return self.form_error is None and check.ok

    def _csrf_is_valid(self) -> bool:
        if not self.meta.csrf:
            return True
        token_field = self._fields.get(self.meta.csrf_field_name)
        return token_field is None or bool(token_field.validate(self))

    @property
    def answers(self) -> dict[str, AnswerValue]:
        """The checked, typed answers (empty before `validate_answers`)."""
        return {} if self.answer_check is None else dict(self.answer_check.answers)

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for the error summary, in the order of the form."""
        summary: list[tuple[str, str]] = []
        if self.form_error:
            summary.append((BUTTONS_ID, self.form_error))
        if self.answer_check is None:
            return summary
        for question in self.questions:
            number = self.questionnaire.question_number(question.id)
            message = self.answer_check.errors.get(question.id)
            if message:
                summary.append(
                    (input_id(question), f"{number}. {shorten(question.text, 70)} – {message}")
                )
        return summary

    def answer_summary(self) -> list[AnsweredQuestion]:
        """The checked answers in form order, as the respondent reads them."""
        answers = self.answers
        return [
            AnsweredQuestion(
                self.questionnaire.question_number(question.id),
                question,
                display_answer(question, answers[question.id]),
            )
            for question in self.questions
            if question.id in answers
        ]

    def progress(self) -> list[SectionProgress]:
        """Per section: questions with a valid answer among those currently shown."""
        valid = check_answers(
            self.questionnaire, self.raw_answers, self.respondent_type, require_complete=False
        )
        return progress(self.questionnaire, self.respondent_type, valid.answers)

    def layout(self, *, preview_notes: bool = False) -> FormLayout:
        """Sections and questions as the template renders them.

        What does not depend on the respondent (the numbering, the condition and audience
        notes, which sections are asked) is worked out once per form class (`form_plan`);
        per request only the fields, errors and progress are added.
        """
        errors = {} if self.answer_check is None else self.answer_check.errors
        progress_by_section = {item.section_id: item for item in self.progress()}
        sections: list[SectionView] = []
        for planned in self.plan:
            views = [
                QuestionView(
                    question=item.question,
                    field=self.answer_field(item.question.id),
                    number=item.number,
                    error=errors.get(item.question.id),
                    condition_note=item.condition_note,
                    audience_note=item.audience_note if preview_notes else None,
                    fragments=self.fragments,
                )
                for item in planned.questions
            ]
            sections.append(
                SectionView(
                    section=planned.section,
                    questions=views,
                    audience_note=planned.audience_note if preview_notes else None,
                    progress=(shown := progress_by_section[planned.section.id]),
                    progress_text=progress_text(shown.answered, shown.total),
                )
            )
        return FormLayout(
            questionnaire=self.questionnaire,
            sections=sections,
            preview_notes=preview_notes,
            has_conditions=self.has_conditions,
        )


@dataclass(frozen=True)
class PlannedQuestion:
    question: Question
    number: int
    condition_note: str | None
    audience_note: str | None  # shown in the preview, where it differs from the section's


@dataclass(frozen=True)
class PlannedSection:
    section: Section
    questions: tuple[PlannedQuestion, ...]
    audience_note: str | None


def form_plan(
    questionnaire: Questionnaire, respondent_type: RespondentType, questions: tuple[Question, ...]
) -> tuple[PlannedSection, ...]:
    """The form's sections and numbered questions as this organisation type sees them."""
    # Numbered by place in the whole questionnaire: the same for every organisation type.
    numbers = {question.id: questionnaire.question_number(question.id) for question in questions}
    planned: list[PlannedSection] = []
    for section in questionnaire.sections:
        if not is_section_asked(section, respondent_type):
            continue
        items = tuple(
            PlannedQuestion(
                question=question,
                number=numbers[question.id],
                condition_note=condition_note(question, questionnaire, numbers),
                audience_note=audience_note(question.audience)
                if question.audience != section.audience
                else None,
            )
            for question in section.questions
            if question.id in numbers
        )
        if items:
            planned.append(PlannedSection(section, items, audience_note(section.audience)))
    return tuple(planned)


@dataclass(frozen=True)
class AnsweredQuestion:
    number: int
    question: Question
    display: str


QuestionMacro = Callable[["QuestionView"], Markup]  # the template's macro for one question


@dataclass(frozen=True)
class QuestionView:
    """One question as rendered: its field, number, notes and the ids that tie them together."""

    question: Question
    field: Field
    number: int
    error: str | None = None
    condition_note: str | None = None
    audience_note: str | None = None
    fragments: FormFragments | None = field(default=None, compare=False, repr=False)
    recorded: Markup | None = None  # what to show instead, while the form is recorded

    def render(self, macro: QuestionMacro) -> Markup:
        """The question's HTML as the template's `macro` makes it (see fragments.py)."""
        if self.recorded is not None:
            return self.recorded
        return macro(self) if self.fragments is None else self.fragments.render(self, macro)

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def is_group(self) -> bool:
        """Option groups are a fieldset with a legend; other questions a label."""
        return self.question.type.has_choices

    @property
    def anchor(self) -> str:
        """The element the error summary links to: the input, or a group's first option."""
        return input_id(self.question)

    @property
    def hints(self) -> list[str]:
        """Help text, then what the field accepts where a respondent needs to know."""
        return question_hints(self.question)

    @property
    def hint_id(self) -> str | None:
        return f"{self.id}-hint" if self.hints else None

    @property
    def error_id(self) -> str | None:
        return f"{self.id}-error" if self.error else None

    @property
    def unit(self) -> str | None:
        if self.question.type is QuestionType.PERCENT:
            return "%"
        return self.question.unit

    @property
    def unit_id(self) -> str | None:
        return f"{self.id}-unit" if self.unit else None

    @property
    def describedby(self) -> str | None:
        """The ids of the hint, the error and the unit, for aria-describedby."""
        ids = [item for item in (self.hint_id, self.error_id, self.unit_id) if item]
        return " ".join(ids) or None

    @property
    def css_classes(self) -> str:
        classes = ["question"]
        if self.question.type is QuestionType.SCALE:
            classes.append("scale")
        if self.question.show_if is not None:
            classes.append("conditional")
        if self.error:
            classes.append("has-error")
        return " ".join(classes)

    @property
    def show_if_answers(self) -> list[str]:
        return [] if self.question.show_if is None else list(self.question.show_if.answers)

    def input_attributes(self) -> dict[str, Any]:
        """Attributes for a single input (not option groups)."""
        attributes: dict[str, Any] = {}
        if self.describedby:
            attributes["aria-describedby"] = self.describedby
        if self.question.required:
            attributes["aria-required"] = "true"
        if self.error:
            attributes["aria-invalid"] = "true"
            existing = (self.field.render_kw or {}).get("class", "")
            attributes["class"] = f"{existing} field-error".strip()
        return attributes


@dataclass(frozen=True)
class SectionView:
    section: Section
    questions: list[QuestionView]
    progress: SectionProgress
    audience_note: str | None = None
    progress_text: str = ""  # what the overview says of the progress (`progress_text`)

    @property
    def anchor(self) -> str:
        return f"avsnitt-{self.section.id}"

    @property
    def intro_paragraphs(self) -> list[str]:
        return paragraphs(self.section.intro)


@dataclass(frozen=True)
class FormLayout:
    questionnaire: Questionnaire
    sections: list[SectionView] = field(default_factory=list)
    preview_notes: bool = False
    has_conditions: bool = False

    @property
    def intro_paragraphs(self) -> list[str]:
        return paragraphs(self.questionnaire.intro)


def progress_text(answered: int, total: int) -> str:
    """The overview's words for a section's progress (the page and static/autosave.js)."""
    if not total:
        return "inga frågor att besvara med dina svar hittills"
    return f"{answered} av {total} {'fråga' if total == 1 else 'frågor'} besvarade"


def paragraphs(text: str | None) -> list[str]:
    """Text split into paragraphs at blank lines (YAML block text keeps them)."""
    if not text:
        return []
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def input_id(question: Question) -> str:
    """The id of the element that gets focus for a question: a group's first option."""
    return f"{question.id}-0" if question.type.has_choices else question.id


def condition_note(
    question: Question, questionnaire: Questionnaire, numbers: dict[str, int]
) -> str | None:
    """Say when a conditional question is asked: "Besvaras om du har svarat Ja på fråga 1."."""
    condition = question.show_if
    if condition is None:
        return None
    source = questionnaire.question(condition.question)
    labels = join_with_or(source.choice_label(answer) for answer in condition.answers)
    number = numbers.get(source.id)
    where = f"fråga {number}" if number is not None else f"frågan ”{shorten(source.text, 60)}”"
    if source.type is QuestionType.MULTIPLE_CHOICE:
        return f"Besvaras om du har valt {labels} i {where}."
    return f"Besvaras om du har svarat {labels} på {where}."


def audience_note(audience: tuple[OrganisationType, ...] | None) -> str | None:
    """Say whom a limited question or section is for: "Endast för: Kommun"."""
    if audience is None:
        return None
    return "Endast för: " + ", ".join(kind.label for kind in audience)


# -- one form class per questionnaire version and organisation type -----------------------

_form_classes: OrderedDict[tuple[str, str, str, str], type[AnswerForm]] = OrderedDict()
_form_classes_lock = Lock()


def _respondent_key(respondent_type: RespondentType) -> str:
    if respondent_type is EVERYONE:
        return "*"
    if respondent_type is None:
        return ""
    return str(OrganisationType(str(respondent_type)))


def answer_form_class(
    questionnaire: Questionnaire, respondent_type: RespondentType
) -> type[AnswerForm]:
    """The form class for this questionnaire version as this organisation type sees it.

    Classes are cached per (questionnaire id, version, content, organisation type);
    the content hash keeps two test questionnaires sharing an id and version apart.
    """
    key = (
        questionnaire.id,
        questionnaire.version,
        questionnaire.content_hash,
        _respondent_key(respondent_type),
    )
    with _form_classes_lock:
        cached = _form_classes.get(key)
        if cached is not None:
            _form_classes.move_to_end(key)
            return cached
    questions = tuple(reachable_questions(questionnaire, respondent_type))
    plan = form_plan(questionnaire, respondent_type, questions)
    attributes: dict[str, Any] = {
        "questionnaire": questionnaire,
        "respondent_type": respondent_type,
        "questions": questions,
        "plan": plan,
        "has_conditions": any(item.condition_note for s in plan for item in s.questions),
        "fragments": FormFragments(),
        **{field_attribute(question.id): make_field(question) for question in questions},
    }
    form_class = type(f"AnswerForm_{questionnaire.id}", (AnswerForm,), attributes)
    with _form_classes_lock:
        _form_classes[key] = form_class
        while len(_form_classes) > FORM_CLASS_CACHE_SIZE:
            _form_classes.popitem(last=False)
    return form_class


def build_answer_form(
    questionnaire: Questionnaire,
    respondent_type: RespondentType,
    *,
    answers: Mapping[str, object] | None = None,
    **kwargs: Any,
) -> AnswerForm:
    """A form instance: posted values on a POST request, else `answers` (e.g. a saved draft)."""
    return answer_form_class(questionnaire, respondent_type)(answers=answers, **kwargs)
