"""`survey round …`: create and run survey rounds from the command line.

The same service functions and rules as the web pages. A refused command prints what is
wrong in English, exits with status 1 and writes nothing. Times are Europe/Stockholm
unless they carry an offset.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey.db import MAX_ROW_ID, db, utcnow
from survey.errors import CommandError, ErrorCode
from survey.localtime import STOCKHOLM, format_local
from survey.organisations import DELREGIONS, parse_delregion
from survey.questionnaires.storage import find_questionnaire_version, list_questionnaire_versions
from survey.rounds.copying import copy_round
from survey.rounds.lifecycle import close_round, create_round, extend_round, open_round
from survey.rounds.recipients_file import RecipientsParse, RowProblem, parse_recipients_file
from survey.rounds.reminding import remind_now
from survey.rounds.roster import add_recipients, recipient_emails
from survey.rounds.settings import (
    RoundError,
    RoundSettings,
    RoundSettingsInvalid,
    default_sender_name,
    round_settings_problems,
)
from survey.rounds.status import (
    RECIPIENT_STATE_LABELS,
    organisation_type_label,
    round_status,
    summarise_rounds,
)
from survey.schema.rounds import Round

round_cli = AppGroup("round", help="Create and run survey rounds.")

ROUND_ID = click.argument("round_id", metavar="ROUND", type=int)
DATETIME_HELP = "Europe/Stockholm time, e.g. 2025-11-01T08:00"


def parse_datetime_option(name: str, value: str) -> datetime:
    """An ISO date and time; without an offset it is Europe/Stockholm time."""
    text = value.strip().replace(" ", "T", 1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or "T" not in text:
        raise CommandError(
            f"{name} {value!r} is not a date and time — write it as YYYY-MM-DDTHH:MM in "
            "Europe/Stockholm time, e.g. 2025-11-01T08:00",
            code=ErrorCode.COMMAND_BAD_OPTION,
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment


def parse_date_option(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{name} {value!r} is not a date — write it as YYYY-MM-DD, e.g. 2025-12-31",
            code=ErrorCode.COMMAND_BAD_OPTION,
        ) from None


def find_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id) if 0 < round_id <= MAX_ROW_ID else None
    if round_ is None:
        raise CommandError(
            f"there is no round {round_id} — see `survey round list`",
            code=ErrorCode.ROUND_NOT_FOUND,
        )
    return round_


def refused(error: RoundError) -> CommandError:
    db.session.rollback()
    return CommandError(f"{error.english} (nothing was changed)", code=error.code)


def read_recipients(
    path: Path, *, delregion: str | None, existing: set[str] | frozenset[str]
) -> RecipientsParse:
    """Read a recipients file; on any problem print every one of them and exit 1."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(
            f"{path} cannot be read: {error.strerror}", code=ErrorCode.COMMAND_BAD_FILE
        ) from None
    parsed = parse_recipients_file(
        data, path.name, existing_emails=existing, round_delregion=delregion
    )
    for warning in parsed.warnings:
        click.echo(f"warning: {describe_problem(path, warning)}", err=True)
    if parsed.problems:
        for problem in parsed.problems:
            click.echo(f"error: {describe_problem(path, problem)}", err=True)
        raise CommandError(
            f"{path} has {len(parsed.problems)} problem(s), listed above by row and column; "
            "nothing was imported — fix the file and run the command again",
            code=ErrorCode.TABLE_HAS_PROBLEMS,
        )
    if not parsed.recipients:
        raise CommandError(
            f"{path} holds no recipients; nothing was imported", code=ErrorCode.TABLE_NO_ROWS
        )
    click.echo(f"read {len(parsed.recipients)} recipient(s) from {path}")
    return parsed


def describe_problem(path: Path, problem: RowProblem) -> str:
    where = [str(path)]
    if problem.row is not None:
        where.append(f"row {problem.row}")
    if problem.column:
        where.append(f'column "{problem.column}"')
    return ", ".join(where) + f": {problem.message}"


@round_cli.command("create")
@click.option("--questionnaire", "questionnaire_id", required=True, help="Questionnaire id.")
@click.option("--version", help="Questionnaire version (default: the highest loaded).")
@click.option("--title", required=True, help="The round's title, e.g. 'Årlig enkät 2025'.")
@click.option("--delregion", required=True, help="NV, NO, SV, SO or MS.")
@click.option("--reference-date", required=True, help="The date the answers describe.")
@click.option("--opens", required=True, help=f"When the round opens: {DATETIME_HELP}.")
@click.option("--closes", required=True, help=f"When the round closes: {DATETIME_HELP}.")
@click.option("--reminders", default="7,14", show_default=True, help="Days after the invitation.")
@click.option("--max-reminders", type=int, default=2, show_default=True)
@click.option("--recipients", "recipients_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--sender-name", help="Shown as the sender (default: the delregion's leaders).")
@click.option("--reply-to", help="Where replies to the mail go.")
def create_command(
    questionnaire_id: str,
    version: str | None,
    title: str,
    delregion: str,
    reference_date: str,
    opens: str,
    closes: str,
    reminders: str,
    max_reminders: int,
    recipients_file: Path | None,
    sender_name: str | None,
    reply_to: str | None,
) -> None:
    """Create a draft round (with recipients from a file); print its id last."""
    stored = find_questionnaire_version(questionnaire_id, version)
    if stored is None:
        loaded = ", ".join(
            f"{item.questionnaire_id} {item.version}" for item in list_questionnaire_versions()
        )
        wanted = f"questionnaire {questionnaire_id!r}" + (
            f" version {version!r}" if version else ""
        )
        raise CommandError(
            f"{wanted} is not loaded — load it with `survey questionnaire load FILE`"
            + (f" (loaded: {loaded})" if loaded else ""),
            code=ErrorCode.QUESTIONNAIRE_NOT_LOADED,
        )
    code = parse_delregion(delregion) or delregion.strip()
    settings = RoundSettings(
        questionnaire_version_id=stored.id,
        title=title,
        delregion=code,
        reference_date=parse_date_option("--reference-date", reference_date),
        opens_at=parse_datetime_option("--opens", opens),
        closes_at=parse_datetime_option("--closes", closes),
        reminder_days=reminders,
        max_reminders=max_reminders,
        sender_name=sender_name if sender_name is not None else default_sender_name(code),
        reply_to=reply_to,
    )
    now = utcnow()
    problems = round_settings_problems(settings, now=now)
    if problems:
        raise CommandError(
            "the round was not created: " + "; ".join(problem.english for problem in problems),
            code=ErrorCode.ROUND_INVALID_SETTINGS,
        )
    parsed = None
    if recipients_file is not None:
        parsed = read_recipients(
            recipients_file, delregion=code if code in DELREGIONS else None, existing=frozenset()
        )
    try:
        round_ = create_round(settings, now=now)
        added = add_recipients(round_, parsed.recipients, now=now) if parsed else []
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    click.echo(
        f"created round {round_.id} '{round_.title}' ({stored.questionnaire_id} version "
        f"{stored.version}, {round_.delregion}) as a draft with {len(added)} recipient(s); "
        f"it opens {format_local(round_.opens_at)} and closes {format_local(round_.closes_at)} "
        "(Europe/Stockholm) — `survey tick` opens it then, `survey round send` opens it now"
    )
    click.echo(round_.id)


@round_cli.command("recipients")
@ROUND_ID
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
def recipients_command(round_id: int, path: Path) -> None:
    """Add the recipients in FILE (.xlsx or .csv): all of them, or none if any row is wrong."""
    round_ = find_round(round_id)
    parsed = read_recipients(path, delregion=round_.delregion, existing=recipient_emails(round_.id))
    try:
        added = add_recipients(round_, parsed.recipients, now=utcnow())
        invited = sum(1 for recipient in added if recipient.invited_at is not None)
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    click.echo(
        f"added {len(added)} recipient(s) to round {round_.id}"
        + (f"; queued {invited} invitation(s)" if invited else "")
    )


@round_cli.command("send")
@ROUND_ID
def send_command(round_id: int) -> None:
    """Open the round now and queue the invitations not yet queued (deliver: `survey tick`)."""
    round_ = find_round(round_id)
    try:
        outcome = open_round(round_, now=utcnow())
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    if outcome.opened:
        click.echo(f"opened round {round_id}; queued {outcome.invitations} invitation(s)")
    else:
        click.echo(f"round {round_id} is open; queued {outcome.invitations} invitation(s)")


@round_cli.command("remind")
@ROUND_ID
def remind_command(round_id: int) -> None:
    """Queue a reminder now to every invited recipient who has not submitted."""
    round_ = find_round(round_id)
    try:
        outcome = remind_now(round_, now=utcnow())
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    click.echo(f"queued {outcome.queued} reminder(s) for round {round_id}")
    if outcome.skipped_recent:
        click.echo(
            f"skipped {outcome.skipped_recent} recipient(s) contacted less than 24 hours ago"
        )


@round_cli.command("close")
@ROUND_ID
def close_command(round_id: int) -> None:
    """Close the round now: no more answers are accepted."""
    round_ = find_round(round_id)
    try:
        close_round(round_)  # stamped once the round's lock is held
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    click.echo(f"closed round {round_id}")


@round_cli.command("extend")
@ROUND_ID
@click.option("--closes", required=True, help=f"The new closing time: {DATETIME_HELP}.")
def extend_command(round_id: int, closes: str) -> None:
    """Move the closing time; a closed round opens again."""
    round_ = find_round(round_id)
    new_closes_at = parse_datetime_option("--closes", closes)
    try:
        reopened = extend_round(round_, new_closes_at, now=utcnow())
        db.session.commit()
    except RoundError as error:
        raise refused(error) from None
    click.echo(
        f"round {round_id} now closes {format_local(new_closes_at)} (Europe/Stockholm)"
        + ("; it is open again" if reopened else "")
    )


@round_cli.command("status")
@ROUND_ID
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(round_id: int, as_json: bool) -> None:
    """Print the counts and each recipient's status."""
    round_ = find_round(round_id)
    status = round_status(round_)
    if as_json:
        document = status.as_json()
        document["title"] = round_.title
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    total = status.total
    rate = f"{total.response_rate:.1f} %" if total.response_rate is not None else "–"
    click.echo(
        f"round {round_.id} '{round_.title}' ({round_.state}, closes "
        f"{format_local(round_.closes_at)} Europe/Stockholm)"
    )
    click.echo(
        f"recipients {total.recipients}, invited {total.invited}, not sent {total.not_sent}, "
        f"delivery failed {total.delivery_failed}, uncertain {total.uncertain}, "
        f"opened {total.opened}, draft {total.draft}, submitted {total.submitted}, "
        f"response rate {rate}"
    )
    for code, counts in status.by_organisation_type.items():
        group_rate = f"{counts.response_rate:.1f} %" if counts.response_rate is not None else "–"
        click.echo(
            f"  {organisation_type_label(code)}: invited {counts.invited}, "
            f"submitted {counts.submitted}, response rate {group_rate}"
        )
    for row in status.recipients:
        click.echo(
            f"{row.recipient_id}\t{row.email or '-'}\t{row.organisation}\t{row.state.value}"
            f" ({RECIPIENT_STATE_LABELS[row.state]})\treminders {row.reminders_sent}"
            + (
                f"\tlast reminder {format_local(row.last_reminder_at)}"
                if row.last_reminder_at
                else ""
            )
        )


@round_cli.command("list")
def list_command() -> None:
    """List every round, newest first."""
    rounds = list(
        db.session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    )
    if not rounds:
        click.echo("no rounds yet — create one with `survey round create`")
        return
    for summary in summarise_rounds(rounds):
        item = summary.round
        click.echo(
            f"{item.id}\t{item.state}\t{item.delregion}\t{format_local(item.opens_at)} – "
            f"{format_local(item.closes_at)}\t{summary.submitted}/{summary.recipients} submitted"
            f"\t{item.title}"
        )


@round_cli.command("copy")
@ROUND_ID
@click.option("--title", required=True, help="The new round's title, e.g. 'Årlig enkät 2026'.")
@click.option("--reference-date", required=True, help="The date the answers describe.")
@click.option("--opens", required=True, help=f"When the new round opens: {DATETIME_HELP}.")
@click.option("--closes", required=True, help=f"When the new round closes: {DATETIME_HELP}.")
@click.option("--without-recipients", is_flag=True, help="Copy the settings only.")
def copy_command(
    round_id: int,
    title: str,
    reference_date: str,
    opens: str,
    closes: str,
    without_recipients: bool,
) -> None:
    """Copy a round (questionnaire, texts, reminders, recipients) into a new draft; print its id."""
    source = find_round(round_id)
    try:
        created = copy_round(
            source,
            title=title,
            reference_date=parse_date_option("--reference-date", reference_date),
            opens_at=parse_datetime_option("--opens", opens),
            closes_at=parse_datetime_option("--closes", closes),
            with_recipients=not without_recipients,
            now=utcnow(),
        )
        db.session.commit()
    except RoundSettingsInvalid as error:
        db.session.rollback()
        raise click.ClickException(
            "the round was not copied: " + "; ".join(problem.english for problem in error.problems)
        ) from None
    except RoundError as error:
        raise refused(error) from None
    click.echo(f"copied round {round_id} into round {created.id} '{created.title}' (a draft)")
    click.echo(created.id)
