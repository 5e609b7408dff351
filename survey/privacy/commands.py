"""`survey privacy …`: the retention purge and the requests of access and erasure."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from survey.db import db, utcnow
from survey.errors import CommandError, ErrorCode
from survey.privacy.persons import (
    NotAnEmailAddress,
    erase_person,
    person_record,
    record_person_export,
)
from survey.privacy.purge import purge_personal_data

privacy_cli = AppGroup(
    "privacy", help="Purge old personal data; answer requests of access and erasure."
)


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    default=None,
    help="Purge rounds closed more than this many days ago (default: SURVEY_RETENTION_DAYS).",
)
def purge_command(dry_run: bool, older_than_days: int | None) -> None:
    """Remove names, emails and links of closed rounds past retention; keep the answers."""
    days = older_than_days
    if days is None:
        days = int(current_app.config["SURVEY_RETENTION_DAYS"])
    report = purge_personal_data(now=utcnow(), older_than_days=days, dry_run=dry_run)
    click.echo(report.describe())
    for purged in report.rounds:
        counts = purged.counts
        click.echo(
            f"  round {purged.round_id} ({purged.delregion}, closed "
            f"{purged.closed_at:%Y-%m-%d}) {purged.title!r}: {counts.recipients} recipient(s), "
            f"{counts.messages} message(s), {counts.withdrawn} withdrawn, {counts.drafts} draft(s)"
        )


@privacy_cli.command("export-person")
@click.argument("email")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON to this file (replaced if it exists) instead of the terminal.",
)
def export_person_command(email: str, output: Path | None) -> None:
    """Print (or write) everything stored about EMAIL as JSON: a register extract."""
    try:
        record = person_record(email)
    except NotAnEmailAddress as error:
        raise CommandError(str(error), code=error.code) from None
    text = json.dumps(record.document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_privately(output, text)
    record_person_export(record)
    db.session.commit()
    summary = (
        f"{len(record.recipient_ids)} recipient row(s), {len(record.user_ids)} account(s), "
        f"{len(record.document['messages'])} message(s), "
        f"{len(record.document['audit_events'])} audit event(s)"
    )
    if not record.found_anything:
        summary = "nothing is stored about this address"
    click.echo(f"Register extract for {record.email}: {summary}.", err=True)
    if output is not None:
        click.echo(f"Wrote {output} (readable only by you: it holds personal data).", err=True)


def _write_privately(output: Path, text: str) -> None:
    """Write next to the target, readable by the owner only, and rename at the end."""
    directory = output.resolve().parent
    if not directory.is_dir():
        raise CommandError(
            f"{output}: the directory {directory} does not exist",
            code=ErrorCode.COMMAND_NO_DIRECTORY,
        )
    handle, temporary = tempfile.mkstemp(prefix=".person-", suffix=".json", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@privacy_cli.command("erase-person")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_person_command(email: str, yes: bool) -> None:
    """Erase a respondent's name, EMAIL and links in every round; keep answers for statistics."""
    try:
        record = person_record(email)
    except NotAnEmailAddress as error:
        raise CommandError(str(error), code=error.code) from None
    groups = record.document["local_group_contacts"]
    if not record.recipient_ids and not record.document["messages"] and not groups:
        db.session.rollback()
        if record.user_ids:
            raise CommandError(
                f"{record.email} is only an account (id {', '.join(map(str, record.user_ids))}), "
                "not a respondent — deactivate it with `survey user deactivate`; accounts are kept "
                "with the audit log (see docs/privacy.md)",
                code=ErrorCode.PRIVACY_ONLY_AN_ACCOUNT,
            )
        click.echo(
            f"Nothing to erase: no recipient, lokal samverkan contact or message has the "
            f"address {record.email}."
        )
        return
    if not yes:
        click.confirm(
            f"Erase the name, address and personal links of {record.email} in "
            f"{len(record.recipient_ids)} recipient row(s) and {len(groups)} lokal samverkan "
            "contact(s)? This cannot be undone",
            abort=True,
        )
    report = erase_person(email, now=utcnow())
    db.session.commit()
    counts = report.counts
    click.echo(
        f"Erased {record.email}: {counts.recipients} recipient row(s) in round(s) "
        f"{', '.join(map(str, report.rounds)) or '-'}, {counts.messages} message(s) purged, "
        f"{counts.withdrawn} queued message(s) withdrawn, {counts.drafts} draft(s) removed. "
        "Submitted answers are kept without name or address."
    )
    if report.open_rounds:
        click.echo(
            "note: round(s) "
            + ", ".join(map(str, report.open_rounds))
            + " are open; the person's link no longer works and no more mail goes to them."
        )
    if report.local_groups:
        click.echo(
            "note: the contact of lokal samverkan group(s) "
            + ", ".join(map(str, report.local_groups))
            + " was erased and its link stopped; the plans are kept — name a new contact on "
            "the group's page."
        )
    if report.accounts:
        click.echo(
            f"note: the address also has account(s) {', '.join(map(str, report.accounts))}; "
            "accounts are not erased — deactivate with `survey user deactivate`."
        )
