"""Stored questionnaire versions: created once, unchanged on reload, never overwritten."""

from __future__ import annotations

from datetime import UTC

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.audit.recording import COMMAND_LINE_ACTOR
from survey.db import db
from survey.errors import ErrorCode
from survey.questionnaires import storage
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.parsing import parse_questionnaire
from survey.questionnaires.storage import (
    QuestionnaireVersionConflict,
    StoreStatus,
    find_questionnaire_version,
    list_questionnaire_versions,
    questionnaire_of,
    store_questionnaire,
)
from survey.schema.audit import AuditEvent
from survey.schema.questionnaires import QuestionnaireVersion

SOURCE = """\
# Provenkät, första versionen
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
      - id: nojdhet
        type: scale
        text: Hur nöjd är du?
        choices: [Mycket nöjd, Ganska nöjd, Missnöjd]
indicators:
  - id: 1a.1b
    title: Ökning
    area: 1a SIP
    question: okning
    measure: share_yes
    targets:
      - {date: 2025-12-31, value: 75}
"""

# The same content, written differently: comments, quoting, flow style, aliases.
RELAID = """\
id: "prov"
version: '1'
title: Provenkät   # shown to respondents
sections:
- id: allmant
  title: Allmänt
  questions:
  - {id: okning, type: ja_nej, text: 'Ser ni en ökning?', required: true}
  - id: nojdhet
    type: skala
    text: Hur nöjd är du?
    choices:
    - Mycket nöjd
    - {label: Ganska nöjd}
    - {value: missnojd, label: Missnöjd}
indicators:
- {id: 1a.1b, title: Ökning, area: 1a SIP, question: okning, measure: andel_ja,
   targets: [{date: 2025-12-31, value: 75.0}]}
"""

CHANGED = SOURCE.replace("value: 75}", "value: 80}")


def parsed(text: str = SOURCE, version: str | None = None) -> Questionnaire:
    if version is not None:
        text = text.replace("version: 1\n", f"version: {version}\n")
    return parse_questionnaire(text, "prov.yaml")


def count_versions() -> int:
    return db.session.scalar(select(func.count(QuestionnaireVersion.id))) or 0


def test_it_stores_a_new_version(app: Flask) -> None:
    with app.app_context():
        questionnaire = parsed()
        outcome = store_questionnaire(questionnaire, SOURCE, "questionnaires/prov.yaml")
        db.session.commit()
        assert outcome.status is StoreStatus.CREATED
        assert outcome.created
    with app.app_context():
        stored = find_questionnaire_version("prov")
        assert stored is not None
        assert (stored.questionnaire_id, stored.version, stored.title) == ("prov", "1", "Provenkät")
        assert stored.definition == questionnaire.to_json()
        assert stored.content_hash == questionnaire.content_hash
        assert (stored.source_name, stored.source_text) == ("questionnaires/prov.yaml", SOURCE)
        assert stored.loaded_at.tzinfo is UTC
        assert questionnaire_of(stored) == questionnaire
        [event] = db.session.scalars(select(AuditEvent)).all()
        assert (event.action, event.actor) == ("questionnaire.loaded", COMMAND_LINE_ACTOR)
        assert event.summary == (
            "Enkäten ”Provenkät” (prov version 1) lästes in från questionnaires/prov.yaml."
        )
        assert event.details == {
            "questionnaire_id": "prov",
            "version": "1",
            "content_hash": questionnaire.content_hash,
            "source_name": "questionnaires/prov.yaml",
        }


def test_it_leaves_the_same_content_unchanged_whatever_its_layout(app: Flask) -> None:
    assert parsed(RELAID).content_hash == parsed().content_hash
    with app.app_context():
        store_questionnaire(parsed(), SOURCE, "prov.yaml")
        db.session.commit()
    with app.app_context():
        outcome = store_questionnaire(parsed(RELAID), RELAID, "other.yaml")
        db.session.commit()
        assert outcome.status is StoreStatus.UNCHANGED
        assert not outcome.created
        assert count_versions() == 1
        # The first load is kept as it was.
        assert outcome.stored.source_text == SOURCE
        assert outcome.stored.source_name == "prov.yaml"
        # Only the load that created the version is in the audit log.
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_it_refuses_different_content_under_a_stored_version(app: Flask) -> None:
    with app.app_context():
        store_questionnaire(parsed(), SOURCE, "prov.yaml")
        store_questionnaire(parsed(version="1.1"), SOURCE, "prov.yaml")
        db.session.commit()
    with app.app_context():
        with pytest.raises(QuestionnaireVersionConflict) as caught:
            store_questionnaire(parsed(CHANGED), CHANGED, "prov.yaml")
        assert str(caught.value) == (
            "questionnaire 'prov' version 1 is already loaded with different content"
        )
        assert caught.value.code is ErrorCode.QUESTIONNAIRE_VERSION_CONFLICT
        assert "raise 'version'" in caught.value.hint
        assert "the highest loaded is 1.1; e.g. 2 or 1.1.1" in caught.value.hint
        # Nothing was added to the session: committing now changes nothing.
        assert not db.session.new
        db.session.commit()
    with app.app_context():
        stored = find_questionnaire_version("prov", "1")
        assert stored is not None
        assert stored.content_hash == parsed().content_hash
        assert count_versions() == 2


def test_it_stores_changed_content_under_a_new_version(app: Flask) -> None:
    with app.app_context():
        store_questionnaire(parsed(), SOURCE, "prov.yaml")
        outcome = store_questionnaire(parsed(CHANGED, version="2"), CHANGED, "prov.yaml")
        db.session.commit()
        assert outcome.created
        assert [
            (stored.version, questionnaire_of(stored).indicators[0].targets[0].value)
            for stored in list_questionnaire_versions()
        ] == [("1", 75), ("2", 80)]


def test_it_compares_a_row_stored_by_an_older_model_by_its_meaning(app: Flask) -> None:
    with app.app_context():
        outcome = store_questionnaire(parsed(), SOURCE, "prov.yaml")
        # As if hashed before the model gained a key: the definition still means the same.
        outcome.stored.content_hash = "0" * 64
        db.session.commit()
    with app.app_context():
        assert (
            store_questionnaire(parsed(RELAID), RELAID, "prov.yaml").status is StoreStatus.UNCHANGED
        )
        with pytest.raises(QuestionnaireVersionConflict):
            store_questionnaire(parsed(CHANGED), CHANGED, "prov.yaml")


def test_it_compares_with_the_winner_when_a_concurrent_load_stores_first(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        store_questionnaire(parsed(), SOURCE, "prov.yaml")
        db.session.commit()
    real_find = storage.find_questionnaire_version
    calls: list[str | None] = []

    def find_missing_the_concurrent_row(
        questionnaire_id: str, version: str | None = None
    ) -> QuestionnaireVersion | None:
        # The first look-up happens before the other load commits: it sees nothing.
        calls.append(version)
        return None if len(calls) == 1 else real_find(questionnaire_id, version)

    monkeypatch.setattr(storage, "find_questionnaire_version", find_missing_the_concurrent_row)
    with app.app_context():
        # The insert hits the unique constraint; the savepoint keeps the session usable.
        assert store_questionnaire(parsed(RELAID), RELAID, "b.yaml").status is StoreStatus.UNCHANGED
        calls.clear()
        with pytest.raises(QuestionnaireVersionConflict):
            store_questionnaire(parsed(CHANGED), CHANGED, "c.yaml")
        db.session.commit()
        assert count_versions() == 1


def test_it_finds_the_highest_version_by_number(app: Flask) -> None:
    with app.app_context():
        for version in ("1", "10", "1.1", "2", "9", "1.10"):
            store_questionnaire(parsed(version=version), SOURCE, "prov.yaml")
        store_questionnaire(parsed(SOURCE.replace("id: prov", "id: annan")), SOURCE, "annan.yaml")
        db.session.commit()
    with app.app_context():
        highest = find_questionnaire_version("prov")
        assert highest is not None and highest.version == "10"
        chosen = find_questionnaire_version("prov", "1.1")
        assert chosen is not None and chosen.version == "1.1"
        assert find_questionnaire_version("prov", "3") is None
        assert find_questionnaire_version("saknas") is None
        assert [
            (stored.questionnaire_id, stored.version) for stored in list_questionnaire_versions()
        ] == [
            ("annan", "1"),
            ("prov", "1"),
            ("prov", "1.1"),
            ("prov", "1.10"),
            ("prov", "2"),
            ("prov", "9"),
            ("prov", "10"),
        ]


def test_it_keeps_swedish_text_intact(app: Flask) -> None:
    with app.app_context():
        store_questionnaire(parsed(), SOURCE, "prov.yaml")
        db.session.commit()
    with app.app_context():
        stored = find_questionnaire_version("prov")
        assert stored is not None
        assert stored.title == "Provenkät"
        assert stored.definition["sections"][0]["questions"][1]["choices"][0] == {
            "value": "mycket_nojd",
            "label": "Mycket nöjd",
        }
        assert "# Provenkät, första versionen" in stored.source_text
