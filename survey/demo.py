"""`survey demo seed`: demo accounts for trying the engine on a laptop (`make run`).

The demo password is fixed and documented, so refusing to run outside development is
what keeps it out of real installations.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup

from survey.accounts.passwords import verify_password
from survey.accounts.users import NewUser, create_user, find_user_by_email
from survey.db import db
from survey.errors import CommandError, ErrorCode
from survey.schema.accounts import Role

DEMO_PASSWORD = "demo-losenord-123"
CHANGED = "exists, password changed"

demo_cli = AppGroup("demo", help="Demo data for trying the engine (development only).")


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    delregion: str | None


DEMO_ACCOUNTS = (
    DemoAccount("admin@example.se", "Demo Administratör", Role.ADMIN, None),
    DemoAccount("processledare.nv@example.se", "Demo Processledare NV", Role.PROCESS_LEADER, "NV"),
)


def seed_demo_accounts() -> list[tuple[DemoAccount, str]]:
    """Create the demo accounts that are missing; return each with what happened to it."""
    report: list[tuple[DemoAccount, str]] = []
    for account in DEMO_ACCOUNTS:
        existing = find_user_by_email(account.email)
        if existing is None:
            create_user(
                NewUser(
                    email=account.email,
                    name=account.name,
                    role=account.role.value,
                    delregion=account.delregion,
                    password=DEMO_PASSWORD,
                )
            )
            report.append((account, "created"))
        elif verify_password(existing.password_hash, DEMO_PASSWORD).matches:
            report.append((account, "exists"))
        else:
            report.append((account, CHANGED))
    return report


@demo_cli.command("seed")
def seed_command() -> None:
    """Create a demo administrator and a demo process leader (NV), if they are missing."""
    environment = current_app.config.get("SURVEY_ENV")
    if environment != "development":
        raise CommandError(
            f"demo accounts have a published password and are only created when "
            f"SURVEY_ENV=development (this is {environment!r}) — create real accounts with "
            "`survey user create`",
            code=ErrorCode.COMMAND_DEMO_REFUSED,
        )
    report = seed_demo_accounts()
    db.session.commit()
    login_url = f"{current_app.config['SURVEY_BASE_URL']}/logga-in"
    click.echo(f"Demo accounts — log in at {login_url}")
    for account, state in report:
        password = DEMO_PASSWORD if state != CHANGED else "(changed since seeding)"
        where = f" {account.delregion}" if account.delregion else ""
        click.echo(
            f"  {account.role.value}{where}: {account.email}  password: {password}  [{state}]"
        )
