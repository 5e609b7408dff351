"""The respondent's form from fragments rendered once per form class (issue 16).

The page must be the macros' own HTML byte for byte, never show what an earlier request
or an earlier round setting put there, and cost a fixed number of SQL statements however
many questions and answers it shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import wtforms.widgets.core
from flask import Flask, render_template_string
from sqlalchemy import event

from survey.answering import fragments
from survey.answering.form import answer_form_class, build_answer_form
from survey.db import db
from survey.organisations import OrganisationType
from survey.questionnaires.answers import EVERYONE, RespondentType
from survey.questionnaires.model import Questionnaire
from survey.schema.responses import Response
from tests.factories import make_questionnaire_version
from tests.respondent_helpers import Invited, invite, nv_questionnaire, update_round
from tests.sample import sample_questionnaire

FORM = (
    '{% from "answering/_questionnaire_form.html" import questionnaire_form %}'
    "{{ questionnaire_form(form, errors, preview_notes=notes, action_url=action, "
    "autosave_url=autosave) }}"
)
TRICKY = {
    "sip_okning": "ja",
    "omraden": ["fallrisk", 'x"<'],
    "nojdhet": "<b>",
    "utbildning": "12,5'\"&<>",
    "dygn": "abc",
    "kommentar": 'Hej "du" & <script>alert(1)</script>',
    "beskrivning": "rad1\r\nrad2\n\n<p>&amp;",
    "startdatum": "2025-3-1",
    "vecka": "v. 9 2025",
    "forum": "dot",
    "npo": "nej",
}
DRAFTS: list[dict[str, Any]] = [
    {},
    {"sip_okning": "ja"},
    {"sip_okning": "nej", "omraden": []},
    TRICKY,
    {"sip_okning": "ej_aktuellt", "utbildning": "50", "dygn": "3,5", "vecka": "2025-W09"},
    {"omraden": "fallrisk", "nojdhet": ["a", "b"], "utbildning": ["1", "2"]},
]


def render_form(
    questionnaire: Questionnaire,
    kind: RespondentType,
    draft: dict[str, Any],
    *,
    check: bool | None,
    notes: bool,
) -> str:
    """The form as the page renders it (inside a request context)."""
    form = build_answer_form(questionnaire, kind, answers=draft)
    if check is not None:
        form.validate_answers(require_complete=check)
    return render_template_string(
        FORM,
        form=form,
        errors=form.error_summary() if notes else [],
        notes=notes,
        action="/svara/7?a=1&b=2",
        autosave=None if notes else "/svara/7/autospara",
    )


@contextmanager
def templates_reloading(app: Flask) -> Iterator[None]:
    """The plain macros: no fragment is used while templates reload themselves."""
    app.jinja_env.auto_reload = True
    try:
        yield
    finally:
        app.jinja_env.auto_reload = False


@pytest.mark.parametrize("kind", [OrganisationType.KOMMUN, OrganisationType.SLUTENVARD, EVERYONE])
def test_it_renders_byte_for_byte_what_the_macros_render(csrf_app: Flask, kind: Any) -> None:
    questionnaires = [sample_questionnaire(version="fragments-1"), nv_questionnaire()]
    with csrf_app.test_request_context("/"):
        for questionnaire in questionnaires:
            for draft in DRAFTS:
                for check in (None, False, True):
                    for notes in (False, True):
                        with templates_reloading(csrf_app):
                            expected = render_form(
                                questionnaire, kind, draft, check=check, notes=notes
                            )
                        # Twice: the first records the fragments, the second uses them.
                        for _ in range(2):
                            assert (
                                render_form(questionnaire, kind, draft, check=check, notes=notes)
                                == expected
                            )
        assert len(answer_form_class(questionnaires[0], kind).fragments) > 0


def test_a_second_respondent_costs_no_widget_rendering(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    questionnaire = sample_questionnaire(version="fragments-2")
    kommun = OrganisationType.KOMMUN
    with app.test_request_context("/"):
        answered = render_form(questionnaire, kommun, TRICKY, check=None, notes=False)
        empty = render_form(questionnaire, kommun, {}, check=None, notes=False)

        def not_again(*args: object, **kwargs: object) -> str:
            raise AssertionError("a widget rendered per request")

        monkeypatch.setattr(wtforms.widgets.core, "html_params", not_again)
        monkeypatch.setattr(wtforms.widgets.core.Input, "html_params", staticmethod(not_again))
        assert render_form(questionnaire, kommun, TRICKY, check=None, notes=False) == answered
        # Nothing of the one respondent's answers is left in the next one's form.
        again = render_form(questionnaire, kommun, {}, check=None, notes=False)
        assert again == empty and "Hej" not in again
        assert 'name="kommentar" type="text" value=""' in again


def test_the_fragments_of_a_form_class_are_bounded(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fragments, "MAX_FRAGMENTS", 5)
    questionnaire = sample_questionnaire(version="fragments-6")
    kommun = OrganisationType.KOMMUN
    with app.test_request_context("/"):
        for draft in DRAFTS:
            with templates_reloading(app):
                expected = render_form(questionnaire, kommun, draft, check=None, notes=False)
            assert render_form(questionnaire, kommun, draft, check=None, notes=False) == expected
    assert len(answer_form_class(questionnaire, kommun).fragments) == 5


# -- through the pages --------------------------------------------------------------------


def opened(app: Flask, invited: Invited) -> Any:
    client = app.test_client()
    assert client.get(invited.link).status_code == 303
    return client


def test_a_changed_round_is_seen_on_the_next_request(app: Flask) -> None:
    invited = invite(app, round_fields={"title": "Omgång före", "reply_to": "fore@example.se"})
    client = opened(app, invited)
    page = client.get(invited.form_url).get_data(as_text=True)
    assert "Omgång före" in page and "fore@example.se" in page
    closes_at = datetime(2031, 3, 9, 12, 0, tzinfo=UTC)
    update_round(
        app,
        invited.round_id,
        title="Omgång efter",
        reply_to="efter@example.se",
        closes_at=closes_at,
    )
    page = client.get(invited.form_url).get_data(as_text=True)
    assert "Omgång efter" in page and "efter@example.se" in page
    assert "Omgång före" not in page and "9 mars 2031" in page
    update_round(app, invited.round_id, closes_at=datetime.now(UTC) - timedelta(minutes=1))
    closed = client.get(invited.form_url)
    assert closed.status_code == 200  # the closed page, not the form
    closed_page = closed.get_data(as_text=True)
    assert "Omgång efter" in closed_page and 'name="sip_okning"' not in closed_page


def test_a_new_questionnaire_version_is_seen_on_the_next_request(app: Flask) -> None:
    invited = invite(app, questionnaire=sample_questionnaire(version="fragments-3"))
    client = opened(app, invited)
    assert "Kan man se en ökning av SIP?" in client.get(invited.form_url).get_data(as_text=True)
    changed = sample_questionnaire(version="fragments-4")
    first = changed.sections[0]
    renamed = dataclasses.replace(first.questions[0], text="Har SIP ökat i år?")
    section = dataclasses.replace(first, questions=(renamed, *first.questions[1:]))
    changed = dataclasses.replace(changed, sections=(section, *changed.sections[1:]))
    with app.app_context():
        version_id = make_questionnaire_version(changed).id
        db.session.commit()
    update_round(app, invited.round_id, questionnaire_version_id=version_id)
    page = client.get(invited.form_url).get_data(as_text=True)
    assert "Har SIP ökat i år?" in page and "Kan man se en ökning av SIP?" not in page


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (transaction control included)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def form_statements(app: Flask, invited: Invited) -> tuple[int, int]:
    """SQL statements of the personal link and of the form page, after a first view."""
    client = app.test_client()
    with counted_statements(app) as link:
        assert client.get(invited.link).status_code == 303
    client.get(invited.form_url)  # the questionnaire's model and fragments are made here
    with counted_statements(app) as form:
        response = client.get(invited.form_url)
    assert response.status_code == 200 and "questionnaire-form" in response.get_data(as_text=True)
    return len(link), len(form)


def test_the_form_costs_the_same_statements_however_many_questions_and_answers(
    app: Flask, is_postgres: bool
) -> None:
    small = invite(app, questionnaire=sample_questionnaire(version="fragments-5"))
    large = invite(app, questionnaire=nv_questionnaire(), organisation_type="kommun")
    answered = invite(app, round_id=large.round_id, organisation_type="kommun")
    with app.app_context():
        questionnaire = nv_questionnaire()
        draft = {q.id: q.choices[0].value for q in questionnaire.questions if q.choices}
        db.session.add(
            Response(
                round_id=answered.round_id,
                recipient_id=answered.recipient_id,
                draft=draft,
                draft_saved_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    counts = [form_statements(app, invited) for invited in (small, large, answered)]
    # One statement each (SQLite adds its BEGIN IMMEDIATE): the link's UPDATE … RETURNING,
    # and the recipient with its round, questionnaire version and response.
    extra = 0 if is_postgres else 1
    assert counts == [(1 + extra, 1 + extra)] * 3
