"""`survey group …`: create lokal samverkan groups, list them, send and revoke their links."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import CommandError, ErrorCode
from survey.local_collaboration.checking import Refused, check_contact
from survey.local_collaboration.groups import GroupError, create_group, group_by_kommun, revoke_link
from survey.local_collaboration.links import issue_group_link
from survey.local_collaboration.mailing import queue_link
from survey.schema.local_collaboration import LocalGroup

group_cli = AppGroup("group", help="Lokal samverkan groups: create, list, send and revoke links.")


def _group(kommun: str) -> LocalGroup:
    group = group_by_kommun(kommun)
    if group is None:
        raise CommandError(
            f"--kommun {kommun!r}: no lokal samverkan for that kommun; see `survey group list`",
            code=ErrorCode.GROUP_NOT_FOUND,
        )
    return group


@group_cli.command("create")
@click.option("--kommun", required=True, help="The kommun, e.g. Hässleholm (one group per kommun).")
@click.option("--delregion", required=True, help="Delregion code: NV, NO, SV, SO or MS.")
@click.option("--contact-name", required=True, help="The group's contact person.")
@click.option("--contact-email", required=True, help="Where the link and reminders go.")
@click.option("--name", help='Default: "Lokal samverkan <kommun>".')
@click.option("--send-link", is_flag=True, help="Queue the mail with the personal link at once.")
def create_command(
    kommun: str,
    delregion: str,
    contact_name: str,
    contact_email: str,
    name: str | None,
    send_link: bool,
) -> None:
    """Create a kommun's lokal samverkan with its contact."""
    try:
        contact_name, contact_email = check_contact(
            {"kontakt_namn": contact_name, "kontakt_epost": contact_email}
        )
    except Refused as refused:
        field = (
            "--contact-name" if refused.problems[0].field == "kontakt_namn" else "--contact-email"
        )
        raise CommandError(
            f"{field}: give a name and one valid email address", code=refused.code
        ) from None
    try:
        group = create_group(
            kommun=kommun,
            delregion=delregion,
            contact_name=contact_name,
            contact_email=contact_email,
            name=name,
        )
    except GroupError as error:
        raise CommandError(error.english, code=error.code) from None
    if send_link:
        issue_group_link(group)
        queue_link(group, utcnow())
    db.session.commit()
    sent = f"; link queued to {group.contact_email}" if send_link else ""
    click.echo(f"Created {group.name} (id {group.id}, {group.delregion}){sent}.")


@group_cli.command("list")
def list_command() -> None:
    """List the groups with their contact and whether their link is live."""
    groups = list(
        db.session.scalars(select(LocalGroup).order_by(LocalGroup.delregion, LocalGroup.kommun))
    )
    if not groups:
        click.echo("No groups yet. Create one with `survey group create --kommun … --delregion …`.")
        return
    for group in groups:
        link = "link live" if group.token_hash else "no live link"
        click.echo(f"{group.id}  {group.delregion}  {group.name}  {group.contact_email}  {link}")


@group_cli.command("send-link")
@click.option("--kommun", required=True, help="The group's kommun.")
def send_link_command(kommun: str) -> None:
    """Issue a new personal link (the old one stops working) and queue it to the contact."""
    group = _group(kommun)
    issue_group_link(group)
    queue_link(group, utcnow())
    record_audit(
        "local_group.link_send",
        f"Skickade en ny länk till {group.name}.",
        delregion=group.delregion,
        details={"group_id": group.id},
    )
    db.session.commit()
    click.echo(f"Queued a new link for {group.name} to {group.contact_email}.")


@group_cli.command("revoke-link")
@click.option("--kommun", required=True, help="The group's kommun.")
def revoke_link_command(kommun: str) -> None:
    """Stop the group's personal link from working."""
    group = _group(kommun)
    try:
        revoke_link(group)
    except GroupError as error:
        raise CommandError(error.english, code=error.code) from None
    db.session.commit()
    click.echo(f"Revoked the link of {group.name}.")
