"""`survey round results` and `survey round import-responses`: results and earlier answers.

Both are attached to the `round` command group (see `survey.create_app`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from survey.db import MAX_ROW_ID, db
from survey.errors import CommandError, ErrorCode
from survey.progress import CommandProgress
from survey.questionnaires.storage import questionnaire_of
from survey.responses.answers_file import ImportProblem
from survey.responses.importing import ImportOutcome, import_responses
from survey.results.attainment import IndicatorResult, results_as_json
from survey.results.trends import compute_round_results
from survey.schema.rounds import Round
from survey.tabular import TableLimits, table_limits

# No row or size limit; an .xlsx is still refused if packed suspiciously hard (a zip bomb).
NO_LIMITS = TableLimits(max_rows=None, max_bytes=None, max_uncompressed_bytes=None)


def round_by_reference(reference: str) -> Round:
    """The round with this id, or a ClickException (exit 1) naming how to find one."""
    text = reference.strip()
    known = text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ROW_ID
    round_ = db.session.get(Round, int(text)) if known else None
    if round_ is None:
        raise CommandError(
            f"round {reference!r} does not exist — give a round id as listed by "
            "`survey round list`",
            code=ErrorCode.ROUND_NOT_FOUND,
        )
    return round_


def _number(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


TABLE_HEADERS = (
    "id", "value", "n", "status", "target", "target_date", "next_target", "next_date",
    "invited", "answered", "n/a", "missing", "low", "high", "previous", "change",
)  # fmt: skip


def _target_cells(target: dict[str, Any] | None) -> tuple[str, str]:
    if target is None:
        return "-", "-"
    return _number(target["value"], 0), target["date"] or "always"


def results_table(results: list[IndicatorResult]) -> str:
    """The results as a plain text table for a terminal (the fields of the JSON)."""
    rows = [TABLE_HEADERS]
    for item in results_as_json(results):
        population = item["population"] or {}
        bounds = item["bounds"] or {}
        rows.append(
            (
                item["id"],
                _number(item["value"]),
                str(item["n"]),
                item["status"],
                *_target_cells(item["target"]),
                *_target_cells(item["next_target"]),
                *(
                    str(population.get(key, "-"))
                    for key in ("invited", "answered", "not_applicable", "missing")
                ),
                _number(bounds.get("low")),
                _number(bounds.get("high")),
                _number(item["previous"]),
                _number(item["change"]),
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(TABLE_HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@click.command("results")
@with_appcontext
@click.argument("round_reference", metavar="ROUND")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the indicator rows as JSON (the contract of docs/results-json.md).",
)
def results_command(round_reference: str, as_json: bool) -> None:
    """Print a round's indicator results (values and targets in percent for shares)."""
    round_ = round_by_reference(round_reference)
    results = compute_round_results(round_)
    if as_json:
        click.echo(json.dumps(results_as_json(results), ensure_ascii=False, indent=2))
        return
    questionnaire = questionnaire_of(round_.questionnaire_version)
    click.echo(
        f"round {round_.id} “{round_.title}” ({questionnaire.id} version {questionnaire.version}), "
        f"reference date {round_.reference_date.isoformat()}, delregion {round_.delregion}"
    )
    if not results:
        click.echo("the questionnaire has no indicators")
        return
    click.echo(results_table(results))


@click.command("import-responses")
@with_appcontext
@click.argument("round_reference", metavar="ROUND")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--add-recipients",
    is_flag=True,
    help="Create the recipients a row names that are not in the round yet, from the columns "
    "Namn, Organisation, Organisationstyp, Kommun (and Delregion; default the round's).",
)
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what would change; store nothing."
)
def import_responses_command(
    round_reference: str, file: Path, add_recipients: bool, dry_run: bool
) -> None:
    """Import earlier answers (.xlsx or .csv, one row per respondent) as submitted responses.

    The file has a column e-post and one column per question id. Nothing is imported if
    any row or cell is wrong; every problem is printed with its row and column.
    """
    round_ = round_by_reference(round_reference)
    try:
        with file.open("rb"):
            pass  # read twice, row by row, by the import itself: never whole
    except OSError as error:
        raise CommandError(
            f"{file}: cannot be read: {error.strerror}", code=ErrorCode.COMMAND_BAD_FILE
        ) from error
    try:
        # The command line takes files of any size (the web's row and size limits are off).
        with (
            CommandProgress(f"Checking {file.name}") as checking,
            CommandProgress(f"Importing {file.name}") as storing,
            table_limits(NO_LIMITS),
        ):

            def stored(done: int, total: int) -> None:
                checking.finish()
                storing(done, total)

            outcome = import_responses(
                round_,
                file,
                file.name,
                add_recipients=add_recipients,
                dry_run=dry_run,
                progress=stored,
                check_progress=checking,
            )
        if outcome.imported:
            db.session.commit()
        else:
            db.session.rollback()
    except (IntegrityError, StaleDataError) as error:
        db.session.rollback()
        raise CommandError(
            f"{file}: responses of round {round_.id} changed while importing; nothing was "
            "imported — run the command again",
            code=ErrorCode.RESPONSE_CONFLICT,
        ) from error
    except OSError as error:
        db.session.rollback()
        raise CommandError(
            f"{file}: cannot be read: {error.strerror}", code=ErrorCode.COMMAND_BAD_FILE
        ) from error
    except BaseException:
        db.session.rollback()
        raise
    for warning in outcome.check.warnings:
        click.echo(f"{file}: warning: {_located(warning)}", err=True)
    if not outcome.ok:
        problems = outcome.check.problems
        if not problems:
            raise CommandError(
                f"{file}: the file has no rows with answers", code=ErrorCode.TABLE_NO_ROWS
            )
        count = outcome.check.problem_count
        click.echo(
            f"{file}: {count} problem{'s' if count != 1 else ''}; nothing was "
            "imported (the messages are those the process leader sees, in Swedish):",
            err=True,
        )
        for problem in problems:
            click.echo(f"{file}: {_located(problem)}", err=True)
        if outcome.check.problems_not_kept:
            click.echo(
                f"{file}: … and {outcome.check.problems_not_kept} more problems not listed "
                f"(the first {len(problems)} are)",
                err=True,
            )
        raise click.exceptions.Exit(1)
    click.echo(_summary(outcome, round_, file, dry_run))


def _located(problem: ImportProblem) -> str:
    location = problem.english_location()
    return f"{location}: {problem.message}" if location else problem.message


def _counts(outcome: ImportOutcome) -> str:
    recipients = outcome.recipients_created
    return (
        f"{outcome.created} new, {outcome.amended} amended, {outcome.unchanged} unchanged; "
        f"{recipients} recipient{'s' if recipients != 1 else ''} created"
    )


def _summary(outcome: ImportOutcome, round_: Round, file: Path, dry_run: bool) -> str:
    verb = "would import" if dry_run else "imported"
    rows = outcome.rows
    return (
        f"{verb} {rows} response{'s' if rows != 1 else ''} from {file} into round {round_.id} "
        f"“{round_.title}”: {_counts(outcome)}"
        + (" (dry run: nothing was stored)" if dry_run else "")
    )
