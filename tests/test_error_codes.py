"""One error family: every project error has a stable code; tests match on codes, not text."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

import survey
from config import PROJECT_ROOT, ConfigError, load_settings
from survey.accounts.users import AccountError, NewUser, create_user
from survey.db import db
from survey.errors import CommandError, ErrorCode, OperatorError, SurveyError
from survey.mail.compose import InvalidAddress, check_address
from survey.privacy.persons import NotAnEmailAddress, person_record
from survey.questionnaires.answers import AnswerError, check_answer
from survey.questionnaires.errors import QuestionnaireInvalid
from survey.questionnaires.parsing import parse_questionnaire
from survey.questionnaires.reading import YamlUnreadable, read_yaml
from survey.rounds.lifecycle import close_round
from survey.rounds.settings import RoundError
from survey.tabular import TableError, read_table
from tests.factories import make_round
from tests.sample import sample_questionnaire

DOTTED = re.compile(r"[a-z]+\.[a-z0-9_]+")
SOURCES = [*sorted((PROJECT_ROOT / "survey").rglob("*.py")), PROJECT_ROOT / "config.py"]


def _import_all() -> None:
    for module in pkgutil.walk_packages(survey.__path__, "survey."):
        importlib.import_module(module.name)


def _family(cls: type[SurveyError] = SurveyError) -> Iterator[type[SurveyError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _family(sub)


def _error_classes() -> dict[str, type[SurveyError]]:
    _import_all()
    importlib.import_module("config")
    classes: list[type[SurveyError]] = [SurveyError, *_family()]
    return {cls.__name__: cls for cls in classes}


# -- the codes ---------------------------------------------------------------------------


def test_codes_are_unique_and_dotted() -> None:
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    for code in ErrorCode:
        assert DOTTED.fullmatch(code.value), code
        # The member's name spells its value, so a code cannot drift from its name.
        assert code.name == code.value.replace(".", "_").upper(), code


def test_every_code_is_raised_somewhere() -> None:
    used = {cls.code.name for cls in _error_classes().values() if hasattr(cls, "code")}
    for path in SOURCES:
        if path.name == "errors.py" and path.parent.name == "survey":
            continue
        used.update(re.findall(r"ErrorCode\.([A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    assert sorted(code.name for code in ErrorCode if code.name not in used) == []


def test_the_architecture_document_lists_every_code() -> None:
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z]+\.[a-z0-9_]+)`", text))
    assert sorted(code.value for code in ErrorCode if code.value not in listed) == []


# -- the family --------------------------------------------------------------------------


def test_every_project_error_derives_from_the_base_and_has_a_default_code() -> None:
    classes = _error_classes()
    for name in [
        "AccountError", "AnswerError", "AnswersRefused", "CommandError", "ConfigError",
        "DraftIncomplete", "InvalidAddress", "InvalidMail", "NotAnEmailAddress",
        "NotRequeueable", "QuestionnaireInvalid", "QuestionnaireVersionConflict",
        "RecipientGone", "ResponseConflict", "RoundError", "RoundNotOpen",
        "RoundSettingsInvalid", "TableError", "TemplateProblem", "TooManyRows", "UnsafeHeader",
        "YamlUnreadable", "_ClaimLost",
    ]:  # fmt: skip
        assert name in classes, name
    for cls in classes.values():
        if cls not in (SurveyError, OperatorError):  # bases only, never raised as such
            assert isinstance(cls.code, ErrorCode), cls


def test_no_exception_class_in_the_package_stands_outside_the_family() -> None:
    classes = _error_classes()
    outside = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base) for base in node.bases}
            exceptionish = bases & {"Exception", "ValueError", "RuntimeError", "LookupError"}
            if (exceptionish or "click.ClickException" in bases) and node.name not in classes:
                outside.append(f"{path.relative_to(PROJECT_ROOT)}: {node.name}")
    assert outside == []


def test_every_raise_of_a_project_error_passes_a_code() -> None:
    names = set(_error_classes())
    missing = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id in names and not any(k.arg == "code" for k in node.keywords):
                missing.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.func.id}")
    assert missing == []


def test_the_base_keeps_a_message_for_each_audience() -> None:
    user = SurveyError("Svaret är fel.", code=ErrorCode.ANSWERS_BAD_VALUE)
    assert (user.message, user.operator_message, str(user)) == ("Svaret är fel.",) * 3
    both = RoundError("Omgången är stängd.", "round 1 is closed", code=ErrorCode.ROUND_CLOSED)
    assert (both.message, both.swedish) == ("Omgången är stängd.",) * 2
    assert (both.operator_message, both.english, str(both)) == ("round 1 is closed",) * 3
    operator = OperatorError("SECRET_KEY is weak", code=ErrorCode.CONFIG_INVALID)
    assert (operator.message, operator.operator_message, str(operator)) == (
        ("SECRET_KEY is weak",) * 3
    )
    assert RoundError("a", "b").code is ErrorCode.ROUND_REFUSED  # the class default


# -- each family, through the real code path ---------------------------------------------


def test_a_bad_yaml_file() -> None:
    with pytest.raises(YamlUnreadable) as unreadable:
        read_yaml("id: [prov\n")
    assert unreadable.value.code is ErrorCode.YAML_SYNTAX
    with pytest.raises(QuestionnaireInvalid) as invalid:
        parse_questionnaire("id: [prov\n", "prov.yaml")
    assert invalid.value.code is ErrorCode.QUESTIONNAIRE_UNREADABLE
    with pytest.raises(QuestionnaireInvalid) as broken:
        parse_questionnaire("id: prov\n", "prov.yaml")
    assert broken.value.code is ErrorCode.QUESTIONNAIRE_INVALID
    assert broken.value.errors  # the located problems are kept


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "mottagare.csv", ErrorCode.TABLE_EMPTY),
        (b"%PDF-1.4", "mottagare.csv", ErrorCode.TABLE_WRONG_FORMAT),
        (b"Namn;E-post\r\n", "mottagare.csv", ErrorCode.TABLE_HEADER_ONLY),
        (b"Namn\r\nx\r\n", "mottagare.txt", ErrorCode.TABLE_UNSUPPORTED_EXTENSION),
        (b"PK\x03\x04trasig", "mottagare.xlsx", ErrorCode.TABLE_CORRUPT),
    ],
)
def test_a_bad_table(data: bytes, filename: str, code: ErrorCode) -> None:
    with pytest.raises(TableError) as refused:
        read_table(data, filename)
    assert refused.value.code is code


def test_a_bad_recipients_file_on_the_command_line(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        round_id = make_round().id
        db.session.commit()
    file = tmp_path / "mottagare.csv"
    file.write_bytes(b"Namn;E-post\r\nAsa;inte-en-adress\r\n")
    result = runner.invoke(
        args=["round", "recipients", str(round_id), str(file)], standalone_mode=False
    )
    assert isinstance(result.exception, CommandError)
    assert result.exception.code is ErrorCode.TABLE_HAS_PROBLEMS


@pytest.mark.parametrize(
    ("question_id", "value", "code"),
    [
        ("utbildning", "mycket", ErrorCode.ANSWERS_NOT_A_NUMBER),
        ("utbildning", "150", ErrorCode.ANSWERS_OUT_OF_RANGE),
        ("utbildning", "12,55", ErrorCode.ANSWERS_TOO_MANY_DECIMALS),
    ],
)
def test_a_bad_answer(question_id: str, value: str, code: ErrorCode) -> None:
    question = sample_questionnaire().question(question_id)
    with pytest.raises(AnswerError) as refused:
        check_answer(question, value)
    assert refused.value.code is code


def test_a_bad_address() -> None:
    with pytest.raises(InvalidAddress) as refused:
        check_address("to_address", "inte en adress")
    assert refused.value.code is ErrorCode.MAIL_BAD_ADDRESS
    with pytest.raises(NotAnEmailAddress) as not_an_address:
        person_record("inte en adress")
    assert not_an_address.value.code is ErrorCode.PRIVACY_NOT_AN_EMAIL_ADDRESS


def test_an_unknown_round_on_the_command_line(runner: FlaskCliRunner, tmp_path: Path) -> None:
    file = tmp_path / "mottagare.csv"
    file.write_bytes(b"Namn;E-post\r\nAsa;asa@example.se\r\n")
    result = runner.invoke(args=["round", "recipients", "999", str(file)], standalone_mode=False)
    assert isinstance(result.exception, CommandError)
    assert result.exception.code is ErrorCode.ROUND_NOT_FOUND
    # And as the operator sees it, unchanged: one English line, exit status 1.
    shown = runner.invoke(args=["round", "recipients", "999", str(file)])
    assert shown.exit_code == 1 and "there is no round 999" in shown.output


def test_a_round_action_refused_keeps_its_code_on_the_command_line(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        round_ = make_round()
        db.session.commit()
        close_round(round_, now=round_.opens_at)
        db.session.commit()
        with pytest.raises(RoundError) as refused:
            close_round(round_, now=round_.opens_at)
        assert refused.value.code is ErrorCode.ROUND_ALREADY_CLOSED
        db.session.rollback()
        round_id = round_.id
    result = runner.invoke(args=["round", "close", str(round_id)], standalone_mode=False)
    assert isinstance(result.exception, CommandError)
    assert result.exception.code is ErrorCode.ROUND_ALREADY_CLOSED


def test_an_account_that_exists(app: Flask) -> None:
    with app.app_context():
        new = NewUser("ny@example.se", "Ny", "admin", None, "ett-langt-losenord-2025")
        create_user(new)
        db.session.commit()
        with pytest.raises(AccountError) as refused:
            create_user(new)
        assert refused.value.code is ErrorCode.ACCOUNT_EXISTS
        with pytest.raises(AccountError) as weak:
            create_user(NewUser("annan@example.se", "Annan", "admin", None, "kort"))
        assert weak.value.code is ErrorCode.ACCOUNT_INVALID


def test_a_weak_production_config(tmp_path: Path) -> None:
    env = {
        "SECRET_KEY": "changeme",
        "DATABASE_URL": "postgresql://survey@db/survey",
        "SURVEY_BASE_URL": "https://enkat.example.se",
    }
    with pytest.raises(ConfigError) as refused:
        load_settings("production", tmp_path, env)
    assert refused.value.code is ErrorCode.CONFIG_INVALID
    assert "SECRET_KEY" in str(refused.value)
    with pytest.raises(ConfigError) as unknown:
        load_settings("staging", tmp_path, {})
    assert unknown.value.code is ErrorCode.CONFIG_UNKNOWN_ENVIRONMENT
