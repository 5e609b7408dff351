"""`survey plan load|show|record|import|status|report|template`: the operator's plan commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from survey.db import db
from survey.errors import CommandError, ErrorCode
from survey.plans.analyses import latest_analyses
from survey.plans.importing import ImportRefused, import_measurements, measurement_template
from survey.plans.measurements import MeasurementInput, MeasurementRefused, record_measurement
from survey.plans.report import build_report, report_pdf, report_xlsx
from survey.plans.status import PlanFigures
from survey.plans.storage import (
    PlanRefused,
    load_plan_text,
    plan_by_key,
    plan_of,
    version_in_force,
    versions_of,
)
from survey.questionnaires.errors import QuestionnaireInvalid
from survey.questionnaires.parsing import read_questionnaire_text
from survey.schema.plans import PlanRecord
from survey.tabular import MAX_FILE_BYTES

plan_cli = AppGroup(
    "plan", help="Load plans, record measurements, follow the plan, make the report."
)


def _plan(key: str) -> PlanRecord:
    record = plan_by_key(key)
    if record is None:
        raise CommandError(
            f"plan {key!r} is not loaded — load it with `survey plan load plans/FILE.yaml`",
            code=ErrorCode.PLAN_NOT_FOUND,
        )
    return record


def _as_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date — write YYYY-MM-DD, e.g. 2025-12-31"
        ) from None
    if not 2000 <= day.year <= 2100:
        raise click.BadParameter(f"{text!r} is out of range — give a date in 2000–2100")
    return day


@plan_cli.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def load_command(paths: tuple[Path, ...]) -> None:
    """Check and store plan versions: all files, or none if any has an error."""
    errors: list[str] = []
    done: list[str] = []
    for path in paths:
        try:
            outcome = load_plan_text(read_questionnaire_text(path), str(path))
        except QuestionnaireInvalid as exc:
            errors.extend(str(error) for error in exc.errors)
        except PlanRefused as exc:
            errors.append(str(exc))
        else:
            state = "loaded" if outcome.created else "unchanged"
            done.append(f"{state} {outcome.plan_key} version {outcome.version} from {path}")
    if errors:
        db.session.rollback()
        for line in errors:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)
    db.session.commit()
    for line in done:
        click.echo(line)


@plan_cli.command("show")
@click.argument("plan_key", metavar="PLAN")
@click.option("--as-of", "as_of", default=None, help="Show the version in force at this date.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def show_command(plan_key: str, as_of: str | None, as_json: bool) -> None:
    """Print the plan's indicators (the version in force today, or at --as-of)."""
    record = _plan(plan_key)
    version = version_in_force(versions_of(record), _as_of(as_of) if as_of else date.today())
    summary = version.definition
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    plan = plan_of(version)
    click.echo(
        f"{plan.id} version {plan.version} ({plan.delregion}), in force from {plan.in_force_from}"
    )
    for indicator in plan.indicators:
        source = (
            f"enkät {indicator.question_indicator}"
            if indicator.question_indicator
            else str(indicator.method)
        )
        click.echo(f"{indicator.id:8} {source:20} {indicator.text}")


@plan_cli.command("record")
@click.argument("plan_key", metavar="PLAN")
@click.argument("indicator_id", metavar="INDICATOR")
@click.option("--value", required=True, help="12,5 · Ja · Nej · Bjuv=Ja,Båstad=Nej · a text")
@click.option(
    "--date", "measured_on", required=True, help="The date the value describes, YYYY-MM-DD."
)
@click.option("--source", required=True, help='Where it comes from, e.g. "Uttag QV 2026-01-15".')
@click.option("--comment", default="", help="A comment.")
@click.option(
    "--period-start", default="", help="The first day of the period, if the value covers one."
)
def record_command(
    plan_key: str,
    indicator_id: str,
    value: str,
    measured_on: str,
    source: str,
    comment: str,
    period_start: str,
) -> None:
    """Record a measurement of an indicator not asked in the enkät."""
    record = _plan(plan_key)
    try:
        day = date.fromisoformat(measured_on)
    except ValueError:
        raise CommandError(
            f"--date {measured_on!r} is not a date — write YYYY-MM-DD, e.g. 2025-12-31",
            code=ErrorCode.COMMAND_BAD_OPTION,
        ) from None
    plan = plan_of(version_in_force(versions_of(record), day))
    try:
        row = record_measurement(
            record,
            plan,
            MeasurementInput(indicator_id, value, measured_on, source, comment, period_start),
            None,
        )
    except MeasurementRefused as exc:
        db.session.rollback()
        raise CommandError(f"{plan_key} {indicator_id}: {exc.message}", code=exc.code) from None
    db.session.commit()
    click.echo(f"recorded {row.indicator_id} = {value} on {row.measured_on} (measurement {row.id})")


@plan_cli.command("import")
@click.argument("plan_key", metavar="PLAN")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def import_command(plan_key: str, path: Path) -> None:
    """Record many measurements from the Excel template (all or none)."""
    record = _plan(plan_key)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(
            f"{path}: cannot read the file ({exc.strerror}) — check the path",
            code=ErrorCode.COMMAND_BAD_FILE,
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise CommandError(
            f"{path}: the file is larger than {MAX_FILE_BYTES} bytes — split it",
            code=ErrorCode.TABLE_TOO_LARGE,
        )
    plan = plan_of(version_in_force(versions_of(record), date.today()))
    try:
        count = import_measurements(record, plan, data, path.name, None)
    except ImportRefused as exc:
        db.session.rollback()
        count = len(exc.problems)
        click.echo(
            f"{path}: {count} problem{'s' if count != 1 else ''}; nothing was imported", err=True
        )
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.exceptions.Exit(1) from None
    db.session.commit()
    click.echo(f"imported {count} measurements into {plan_key}")


@plan_cli.command("template")
@click.argument("plan_key", metavar="PLAN")
@click.option("-o", "output", required=True, type=click.Path(path_type=Path, dir_okay=False))
def template_command(plan_key: str, output: Path) -> None:
    """Write the Excel template for `survey plan import`."""
    record = _plan(plan_key)
    output.write_bytes(
        measurement_template(plan_of(version_in_force(versions_of(record), date.today())))
    )
    click.echo(f"wrote {output}")


@plan_cli.command("status")
@click.argument("plan_key", metavar="PLAN")
@click.option("--as-of", "as_of", required=True, help="The date to follow the plan at, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print one object per indicator as JSON.")
def status_command(plan_key: str, as_of: str, as_json: bool) -> None:
    """Print each indicator's latest value, source and status at a date."""
    record = _plan(plan_key)
    statuses = PlanFigures(record).statuses(_as_of(as_of))
    if as_json:
        click.echo(json.dumps([item.as_json() for item in statuses], ensure_ascii=False, indent=2))
        return
    for item in statuses:
        shown = item.observation.shown if item.observation else "-"
        click.echo(f"{item.indicator.id:8} {item.status:22} {shown}")


@plan_cli.command("report")
@click.argument("plan_key", metavar="PLAN")
@click.option("--as-of", "as_of", required=True, help="The report date, YYYY-MM-DD.")
@click.option("-o", "output", required=True, type=click.Path(path_type=Path, dir_okay=False))
def report_command(plan_key: str, as_of: str, output: Path) -> None:
    """Write the report for the tjänstemannaberedning as .pdf or .xlsx."""
    record = _plan(plan_key)
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise CommandError(
            f"-o {output}: the report is written as .pdf or .xlsx — "
            "name the file report.pdf or report.xlsx",
            code=ErrorCode.COMMAND_BAD_OPTION,
        )
    day = _as_of(as_of)
    with current_app.test_request_context():
        report = build_report(record, day, latest_analyses(record, day.year))
        data = report_pdf(report) if suffix == ".pdf" else report_xlsx(report)
    output.write_bytes(data)
    click.echo(f"wrote {output}")
