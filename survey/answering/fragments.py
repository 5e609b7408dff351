"""The form's HTML, rendered once per form class and reused for every respondent.

A questionnaire's form looks the same to every respondent of an organisation type except
for what they answered. `FormFragments` (one per form class) keeps what the template's
macros make, so that per request only the respondent's parts are filled in:

* the form around the questions (``questionnaire_form_body``: intro, overview, sections,
  buttons), recorded once with markers where the CSRF field, the addresses, each section's
  progress and each question go;
* an input or text area: the HTML up to its value and after it, rendered once with a
  marker as the value; the respondent's value goes between, escaped as WTForms escapes it;
* a group of options: the whole HTML for each combination of checked options met so far
  (at most `MAX_FRAGMENTS` per form class; beyond that the question is rendered anew).

A question with an error message (a draft in the wrong format, a refused post) is rendered
anew by its macro every time, a form with an error summary (the preview's check) in full,
and everything while templates reload themselves (development: the fragments would keep an
old template's HTML). The output is the macros' own, byte for byte
(tests/test_form_fragments.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from threading import Lock
from typing import Any, ClassVar, Final, Protocol, TypeVar

from flask import current_app
from markupsafe import Markup, escape


# What the fragments need of the form's views (`survey.answering.form`'s dataclasses), so
# that this module does not import the form that uses it.
class QuestionPart(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def id(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def field(self) -> Any: ...
    @property
    def is_group(self) -> bool: ...
    @property
    def audience_note(self) -> str | None: ...
    def render(self, macro: Any) -> Markup: ...


class SectionPart(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def progress_text(self) -> str: ...
    @property
    def questions(self) -> Sequence[QuestionPart]: ...


class LayoutPart(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def preview_notes(self) -> bool: ...
    @property
    def sections(self) -> Sequence[SectionPart]: ...


class FormPart(Protocol):
    @property
    def buttons_id(self) -> str: ...
    def hidden_tag(self) -> Markup: ...


View = TypeVar("View", bound=QuestionPart)

# Private-use characters: never in a question's text, left alone by HTML escaping.
VALUE_MARKER: Final = "\ue000value\ue000"
SLOT: Final = re.compile("\ue001([a-z]):([^\ue001]*)\ue001")
# Per form class: every question in each of its usual states fits many times over; a
# draft crafted to try every combination of a long list of options cannot fill memory.
MAX_FRAGMENTS: Final = 1024

BodyMacro = Callable[..., Markup]
# The recorded form: static HTML and slots ((kind, key)) in the order of the page.
Skeleton = tuple[str | tuple[str, str], ...]
NOT_RECORDABLE: Final[Skeleton] = ()


def _slot(kind: str, key: str = "") -> str:
    return f"\ue001{kind}:{key}\ue001"


class FormFragments:
    """The rendered form and questions of one form class (see the module's docstring)."""

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, str | None], tuple[str, str]] = {}
        self._groups: dict[tuple[str, str | None, tuple[bool, ...]], Markup] = {}
        self._skeletons: dict[tuple[Any, ...], Skeleton] = {}
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._inputs) + len(self._groups) + len(self._skeletons)

    # -- the whole form ----------------------------------------------------------------------

    def form_html(
        self,
        form: FormPart,
        layout: LayoutPart,
        body: BodyMacro,
        question: Callable[[Any], Markup],
        action_url: str,
        save_label: str,
        submit_label: str,
        autosave_url: str | None,
    ) -> Markup:
        """What `body(form, layout, [], action_url, save_label, submit_label, autosave_url)`
        renders, from the recorded form where it can be; `question` renders one question."""
        arguments = (action_url, save_label, submit_label, autosave_url)
        if current_app.jinja_env.auto_reload:
            return body(form, layout, [], *arguments)
        key = (layout.preview_notes, bool(autosave_url), save_label, submit_label)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            skeleton = self._record(form, layout, body, save_label, submit_label, autosave_url)
            self._keep(self._skeletons, key, skeleton)
        if skeleton is NOT_RECORDABLE:
            return body(form, layout, [], *arguments)
        values = {
            ("h", ""): str(form.hidden_tag()),
            ("a", ""): str(escape(action_url)),
            ("s", ""): str(escape(autosave_url or "")),
        }
        for number, section in enumerate(layout.sections):
            values["p", str(number)] = str(escape(section.progress_text))
            for view in section.questions:
                values["q", view.id] = str(view.render(question))
        return Markup("".join(part if isinstance(part, str) else values[part] for part in skeleton))

    def _record(
        self,
        form: FormPart,
        layout: LayoutPart,
        body: BodyMacro,
        save_label: str,
        submit_label: str,
        autosave_url: str | None,
    ) -> Skeleton:
        marked = dataclasses.replace(
            layout,
            sections=[
                dataclasses.replace(
                    section,
                    progress_text=_slot("p", str(number)),
                    questions=[
                        dataclasses.replace(view, recorded=Markup(_slot("q", view.id)))
                        for view in section.questions
                    ],
                )
                for number, section in enumerate(layout.sections)
            ],
        )
        stand_in = _RecordingForm(form.buttons_id)
        html = str(
            body(
                stand_in,
                marked,
                [],
                _slot("a"),
                save_label,
                submit_label,
                _slot("s") if autosave_url else autosave_url,
            )
        )
        expected = {("h", ""), ("a", "")} | ({("s", "")} if autosave_url else set())
        for number, section in enumerate(layout.sections):
            expected.add(("p", str(number)))
            expected.update(("q", view.id) for view in section.questions)
        parts: list[str | tuple[str, str]] = []
        found: list[tuple[str, str]] = []
        position = 0
        for match in SLOT.finditer(html):
            parts.append(html[position : match.start()])
            slot = (match.group(1), match.group(2))
            parts.append(slot)
            found.append(slot)
            position = match.end()
        parts.append(html[position:])
        if len(found) != len(expected) or set(found) != expected:
            return NOT_RECORDABLE  # a marker lost or doubled: never guess
        return tuple(part for part in parts if part != "")

    # -- one question ------------------------------------------------------------------------

    def render(self, view: View, macro: Callable[[View], Markup]) -> Markup:
        """The question's HTML as `macro` renders it, from the fragments where it can be."""
        if view.error is not None or current_app.jinja_env.auto_reload:
            return macro(view)
        if view.is_group:
            return self._group(view, macro)
        return self._input(view, macro)

    def _group(self, view: View, macro: Callable[[View], Markup]) -> Markup:
        checked = tuple(bool(choice.selected) for choice in view.field.iter_choices())
        key = (view.id, view.audience_note, checked)
        html = self._groups.get(key)
        if html is None:
            html = macro(view)
            self._keep(self._groups, key, html)
        return html

    def _input(self, view: View, macro: Callable[[View], Markup]) -> Markup:
        key = (view.id, view.audience_note)
        parts = self._inputs.get(key)
        if parts is None:
            field: Any = view.field
            data = field.data
            field.data = VALUE_MARKER
            try:
                html = str(macro(view))
            finally:
                field.data = data
            before, marker, after = html.partition(VALUE_MARKER)
            if not marker or VALUE_MARKER in after:
                return macro(view)  # not one value in one place: never cut it
            parts = (before, after)
            self._keep(self._inputs, key, parts)
        before, after = parts
        # str() first: adding a plain str to Markup would escape the str (the HTML around).
        return Markup(before + str(escape(view.field._value())) + after)

    def _keep(self, cache: dict[Any, Any], key: Any, value: Any) -> None:
        with self._lock:
            if len(self) < MAX_FRAGMENTS:
                cache[key] = value


@dataclasses.dataclass(frozen=True)
class _RecordingForm:
    """What the form's body asks of the form, with a marker for its hidden CSRF field."""

    buttons_id: str

    def hidden_tag(self) -> Markup:
        return Markup(_slot("h"))
