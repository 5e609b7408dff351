"""The questions' HTML, rendered once per form class and reused for every respondent.

A question of the form looks the same to every respondent of an organisation type except
for what they answered: the value of an input or text area, or which options of a group
are checked. `QuestionFragments` (one per form class) keeps the HTML the template's
``render_question`` macro makes, so that per request only those values are filled in:

* an input or text area: the HTML up to its value and after it, rendered once with a
  marker as the value; the respondent's value goes between, escaped as WTForms escapes it;
* a group of options: the whole HTML for each combination of checked options met so far
  (at most `MAX_FRAGMENTS` per form class; beyond that the question is rendered anew);
* a question with an error message (a draft in the wrong format, a refused post): rendered
  anew by the macro every time, as are all questions while templates reload themselves
  (development: the cache would keep an old template's HTML).

The output is the macro's own, byte for byte (tests/test_form_fragments.py).
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from typing import TYPE_CHECKING, Any, Final

from flask import current_app
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from survey.answering.form import QuestionView

# Private-use characters: never in a question's text, left alone by HTML escaping.
VALUE_MARKER: Final = "\ue000value\ue000"
MAX_FRAGMENTS: Final = 4096

Macro = Callable[["QuestionView"], Markup]


class QuestionFragments:
    """The rendered questions of one form class (see the module's docstring)."""

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, str | None], tuple[str, str]] = {}
        self._groups: dict[tuple[str, str | None, tuple[bool, ...]], Markup] = {}
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._inputs) + len(self._groups)

    def render(self, view: QuestionView, macro: Macro) -> Markup:
        """The question's HTML as `macro` renders it, from the fragments where it can be."""
        if view.error is not None or current_app.jinja_env.auto_reload:
            return macro(view)
        if view.is_group:
            return self._group(view, macro)
        return self._input(view, macro)

    def _group(self, view: QuestionView, macro: Macro) -> Markup:
        checked = tuple(bool(choice.selected) for choice in view.field.iter_choices())
        key = (view.id, view.audience_note, checked)
        html = self._groups.get(key)
        if html is None:
            html = macro(view)
            self._keep(self._groups, key, html)
        return html

    def _input(self, view: QuestionView, macro: Macro) -> Markup:
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
