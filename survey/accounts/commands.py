"""`survey user …`: create, list and change accounts from the command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from flask.cli import AppGroup

from survey.accounts.passwords import Problem, password_problems
from survey.accounts.users import (
    AccountError,
    NewUser,
    all_users,
    create_user,
    deactivate_user,
    email_problems,
    find_user_by_email,
    reactivate_user,
    role_problems,
    set_password,
)
from survey.db import db
from survey.errors import CommandError, ErrorCode
from survey.localtime import format_local
from survey.organisations import parse_delregion
from survey.schema.accounts import User

user_cli = AppGroup(
    "user", help="Manage the accounts of administrators, process leaders and readers."
)

ROLE_HELP = "admin, processledare (process leader) or lasare (reader)"


def fail(
    action: str, problems: Sequence[Problem], code: ErrorCode = ErrorCode.ACCOUNT_INVALID
) -> CommandError:
    """An error for the operator, naming every broken rule; exits with status 1.

    The code is the first problem's own (e.g. account.exists), else `code`.
    """
    return CommandError(
        f"{action}: " + "; ".join(problem.english for problem in problems),
        code=next((problem.code for problem in problems if problem.code), code),
    )


def read_password(from_stdin: bool, email: str) -> str:
    """Read a new password from standard input (one line) or a hidden, confirmed prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(
                "--password-stdin was given but standard input held no password — "
                "pipe one line, e.g. `printf '%s\\n' \"$PASSWORD\" | survey user …`",
                code=ErrorCode.COMMAND_BAD_OPTION,
            )
    else:
        password = str(
            click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
        )
    problems = password_problems(password, email)
    if problems:
        raise fail("the password was refused", problems, ErrorCode.ACCOUNT_WEAK_PASSWORD)
    return password


def user_by_email(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise CommandError(
            f"there is no account with the email {email.strip()!r} — see `survey user list`",
            code=ErrorCode.ACCOUNT_NOT_FOUND,
        )
    return user


def parse_delregion_option(delregion: str | None) -> str | None:
    if delregion is None or not delregion.strip():
        return None
    return parse_delregion(delregion) or delregion.strip()


@user_cli.command("create")
@click.option("--email", required=True, help="The login email; stored in lower case.")
@click.option("--name", required=True, help="The person's full name, shown in the app.")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--delregion", help="Delregion code (NV, NO, SV, SO, MS); required except for admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(
    email: str, name: str, role: str, delregion: str | None, password_stdin: bool
) -> None:
    """Create an account; the password comes from a hidden prompt or standard input."""
    code = parse_delregion_option(delregion)
    problems = email_problems(email) + role_problems(name, role, code)
    if problems:
        raise fail("the account was not created", problems)
    password = read_password(password_stdin, email)
    try:
        user = create_user(
            NewUser(email=email, name=name, role=role, delregion=code, password=password)
        )
    except AccountError as error:
        db.session.rollback()
        raise fail("the account was not created", error.problems, error.code) from None
    db.session.commit()
    where = f" in {user.delregion}" if user.delregion else ""
    click.echo(f"Created {user.role} {user.email} ({user.name}){where}.")


@user_cli.command("list")
def list_command() -> None:
    """List every account: email, name, role, delregion, active, last login."""
    users = all_users()
    if not users:
        click.echo("No accounts yet. Create one with `survey user create --email … --role admin`.")
        return
    header = ("EMAIL", "NAME", "ROLE", "DELREGION", "ACTIVE", "LAST LOGIN")
    rows = [
        (
            user.email,
            user.name,
            user.role,
            user.delregion or "-",
            "yes" if user.active else "no",
            format_local(user.last_login_at) if user.last_login_at else "never",
        )
        for user in users
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@user_cli.command("set-password")
@click.option("--email", required=True, help="The account's email.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give an account a new password; its open sessions end."""
    user = user_by_email(email)
    password = read_password(password_stdin, user.email)
    try:
        set_password(user, password)
    except AccountError as error:
        db.session.rollback()
        raise fail("the password was not changed", error.problems, error.code) from None
    db.session.commit()
    click.echo(f"Changed the password of {user.email}; sessions logged in before have ended.")


@user_cli.command("deactivate")
@click.option("--email", required=True, help="The account's email.")
def deactivate_command(email: str) -> None:
    """Stop an account from logging in; its open sessions end at once."""
    user = user_by_email(email)
    deactivate_user(user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@user_cli.command("activate")
@click.option("--email", required=True, help="The account's email.")
def activate_command(email: str) -> None:
    """Let a deactivated account log in again."""
    user = user_by_email(email)
    reactivate_user(user)
    db.session.commit()
    click.echo(f"Activated {user.email}.")
