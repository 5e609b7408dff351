"""`survey round export ROUND -o FILE.xlsx [--identifying]`: the Excel export, from the shell."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from survey.db import db
from survey.errors import CommandError, ErrorCode
from survey.export.workbook import build_workbook, record_export
from survey.progress import CommandProgress
from survey.schema.rounds import Round


@click.command("export")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write (replaced if it exists).",
)
@click.option(
    "--identifying",
    is_flag=True,
    help="Include the respondents' names and email addresses (recorded in the audit log). "
    "Without it the export is pseudonymised.",
)
@with_appcontext
def export_command(round_id: int, output: Path, identifying: bool) -> None:
    """Export a round's results, answers and non-respondents to an Excel file."""
    if output.suffix.lower() != ".xlsx":
        raise CommandError(
            f"{output}: the file name must end in .xlsx (the export is an Excel workbook)",
            code=ErrorCode.COMMAND_BAD_OPTION,
        )
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise CommandError(
            f"round {round_id} does not exist — `survey round list` shows the rounds and their ids",
            code=ErrorCode.ROUND_NOT_FOUND,
        )
    directory = output.resolve().parent
    if not directory.is_dir():
        raise CommandError(
            f"{output}: the directory {directory} does not exist",
            code=ErrorCode.COMMAND_NO_DIRECTORY,
        )
    # Write next to the target and rename at the end: a failed export leaves no half file.
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=directory)
    os.close(handle)
    try:
        with CommandProgress(f"Exporting round {round_id}") as progress:
            progress(0, 2)
            summary = build_workbook(round_id, identifying=identifying, out=Path(temporary))
            progress(1, 2)
            os.replace(temporary, output)
            progress(2, 2)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    record_export(round_, summary)
    db.session.commit()
    variant = "identifying (names and email addresses)" if identifying else "pseudonymised"
    click.echo(
        f"Wrote {output}: {summary.responses} responses, {summary.non_respondents} "
        f"non-respondents, {summary.free_text_answers} free-text answers ({variant})."
    )
