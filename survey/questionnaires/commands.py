"""`survey questionnaire check|load|list|show`: the operator's tools for questionnaire files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from survey.db import db
from survey.localtime import format_local
from survey.questionnaires.errors import QuestionnaireError, QuestionnaireInvalid
from survey.questionnaires.model import Direction, Indicator, Question, Questionnaire
from survey.questionnaires.parsing import (
    parse_questionnaire,
    read_questionnaire_file,
    read_questionnaire_text,
    top_level_key_line,
)
from survey.questionnaires.storage import (
    QuestionnaireVersionConflict,
    StoreOutcome,
    find_questionnaire_version,
    list_questionnaire_versions,
    questionnaire_of,
    store_questionnaire,
)

questionnaire_cli = AppGroup(
    "questionnaire", help="Check, load, list and show questionnaires (YAML files)."
)

PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))


@questionnaire_cli.command("check")
@PATHS
def check_command(paths: tuple[Path, ...]) -> None:
    """Check questionnaire files: OK per good file, or every error with its line."""
    failed = False
    for path in paths:
        try:
            read_questionnaire_file(path)
        except QuestionnaireInvalid as exc:
            failed = True
            _echo_errors(exc.errors)
        else:
            click.echo(f"OK {path}")
    if failed:
        raise click.exceptions.Exit(1)


@dataclass(frozen=True)
class _ReadFile:
    path: Path
    text: str
    questionnaire: Questionnaire


@questionnaire_cli.command("load")
@PATHS
def load_command(paths: tuple[Path, ...]) -> None:
    """Check and store questionnaire versions: all files, or none if any has an error."""
    read, errors = _read_all(paths)
    if errors:
        _refuse(errors)
    outcomes: list[StoreOutcome] = []
    for file in read:
        try:
            outcomes.append(store_questionnaire(file.questionnaire, file.text, str(file.path)))
        except QuestionnaireVersionConflict as conflict:
            line = top_level_key_line(file.text, "version")
            errors.append(QuestionnaireError(str(file.path), line, str(conflict), conflict.hint))
    if errors:
        db.session.rollback()
        _refuse(errors)
    db.session.commit()
    for outcome in outcomes:
        stored = outcome.stored
        click.echo(f"{outcome.status} {stored.questionnaire_id} {stored.version}")


def _read_all(paths: tuple[Path, ...]) -> tuple[list[_ReadFile], list[QuestionnaireError]]:
    read: list[_ReadFile] = []
    errors: list[QuestionnaireError] = []
    for path in paths:
        try:
            text = read_questionnaire_text(path)
            read.append(_ReadFile(path, text, parse_questionnaire(text, str(path))))
        except QuestionnaireInvalid as exc:
            errors.extend(exc.errors)
    return read, errors


def _refuse(errors: list[QuestionnaireError]) -> None:
    _echo_errors(errors)
    click.echo("Nothing was loaded: fix the errors above and run load again.")
    raise click.exceptions.Exit(1)


def _echo_errors(errors: list[QuestionnaireError]) -> None:
    for error in errors:
        click.echo(str(error))


@questionnaire_cli.command("list")
def list_command() -> None:
    """List the loaded questionnaire versions and how many rounds use each."""
    versions = list_questionnaire_versions()
    if not versions:
        click.echo("No questionnaires loaded. Load one with: survey questionnaire load FILE")
        return
    rounds = _rounds_per_version()
    rows = [("ID", "VERSION", "TITLE", "LOADED AT", "ROUNDS")] + [
        (
            stored.questionnaire_id,
            stored.version,
            stored.title,
            format_local(stored.loaded_at),
            str(rounds.get(stored.id, 0)),
        )
        for stored in versions
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _rounds_per_version() -> dict[int, int]:
    # Imported here: rounds build on questionnaires, not the other way round.
    from survey.schema.rounds import Round

    counts = db.session.execute(
        select(Round.questionnaire_version_id, func.count(Round.id)).group_by(
            Round.questionnaire_version_id
        )
    ).all()
    return {version_id: count for version_id, count in counts}


@questionnaire_cli.command("show")
@click.argument("path_or_id")
@click.option(
    "--version", "version", help="The version of a loaded questionnaire (default: the highest)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the normalised model as JSON.")
def show_command(path_or_id: str, version: str | None, as_json: bool) -> None:
    """Show a questionnaire file or a loaded questionnaire (by id)."""
    questionnaire = _questionnaire_to_show(path_or_id, version)
    if as_json:
        click.echo(json.dumps(questionnaire.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(summarise(questionnaire))


def _questionnaire_to_show(path_or_id: str, version: str | None) -> Questionnaire:
    path = Path(path_or_id)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if version is not None:
            raise click.UsageError(
                "--version applies to a loaded questionnaire's id, not to a file"
            )
        try:
            return read_questionnaire_file(path)
        except QuestionnaireInvalid as exc:
            _echo_errors(exc.errors)
            raise click.exceptions.Exit(1) from None
    stored = find_questionnaire_version(path_or_id, version)
    if stored is None:
        which = f"version {version} of " if version else ""
        click.echo(
            f"{which}questionnaire '{path_or_id}' is not loaded — see 'survey questionnaire list', "
            "or give the path of a YAML file"
        )
        raise click.exceptions.Exit(1)
    return questionnaire_of(stored)


def summarise(questionnaire: Questionnaire) -> str:
    """A short readable overview: sections, questions and indicators with their targets."""
    lines = [
        f"{questionnaire.id} version {questionnaire.version}: {questionnaire.title}",
        f"{_count(len(questionnaire.sections), 'section')}, "
        f"{_count(len(questionnaire.questions), 'question')}, "
        f"{_count(len(questionnaire.indicators), 'indicator')}",
    ]
    for section in questionnaire.sections:
        audience = f" [{', '.join(section.audience)}]" if section.audience is not None else ""
        lines += ["", f"{section.id}: {section.title}{audience}"]
        lines += [f"  {_describe_question(question)}" for question in section.questions]
    if questionnaire.indicators:
        lines += ["", "Indicators:"]
        lines += [f"  {_describe_indicator(indicator)}" for indicator in questionnaire.indicators]
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _describe_question(question: Question) -> str:
    notes = [str(question.type)]
    if not question.required:
        notes.append("optional")
    if question.audience is not None:
        notes.append(f"only {', '.join(question.audience)}")
    if question.show_if is not None:
        notes.append(f"if {question.show_if.question} = {' or '.join(question.show_if.answers)}")
    return f"{question.id} ({'; '.join(notes)}): {question.text}"


def _describe_indicator(indicator: Indicator) -> str:
    options = f" {'/'.join(indicator.options)}" if indicator.options else ""
    population = f", only {indicator.population}" if indicator.population is not None else ""
    once = ", each organisation once" if indicator.per_organisation else ""
    direction = "at most " if indicator.direction is Direction.AT_MOST else ""
    targets = ", ".join(
        f"{target.value:g}{indicator.unit and ' ' + indicator.unit}"
        + (f" by {target.date.isoformat()}" if target.date else " (always)")
        for target in indicator.targets
    )
    if indicator.direction.comparative:
        targets = f"{indicator.direction} from the previous round"
    minimum = f", at least {indicator.min_responses} answers" if indicator.min_responses else ""
    return (
        f"{indicator.id} {indicator.measure}{options} of {indicator.question}{population}{once}"
        f"{minimum} — {direction}{targets or 'no target'}: {indicator.title}"
    )
