"""Creating and changing accounts: the rules shared by the web pages and the command line.

Every function adds to the database session and records an audit event; none commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from survey.accounts.passwords import Problem, hash_password, password_problems
from survey.accounts.sessions import end_sessions_of
from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode, SurveyError
from survey.organisations import DELREGIONS
from survey.schema.accounts import ROLE_LABELS, Role, User

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


class AccountError(SurveyError):
    """A change was refused; `problems` says why, in Swedish and in English.

    The code is the first problem's own code when it has one (e.g. an email already
    taken), else the one the raise site gives.
    """

    code = ErrorCode.ACCOUNT_INVALID
    shown = "operator_message"

    def __init__(self, problems: Sequence[Problem], *, code: ErrorCode | None = None) -> None:
        self.problems = list(problems)
        own = next((problem.code for problem in self.problems if problem.code), None)
        super().__init__(
            " ".join(problem.swedish for problem in self.problems),
            operator_message="; ".join(problem.english for problem in self.problems),
            code=own or code,
        )


@dataclass(frozen=True)
class NewUser:
    """What an administrator or operator fills in to create an account."""

    email: str
    name: str
    role: str
    delregion: str | None
    password: str


def normalise_email(email: str) -> str:
    """Compare and store emails trimmed and in lower case."""
    return email.strip().lower()


def has_control_characters(text: str) -> bool:
    """Tell whether text holds characters no name or address has (PostgreSQL refuses NUL)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def find_user_by_email(email: str) -> User | None:
    """Return the account with this email (any case), or None."""
    if has_control_characters(email):
        return None
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def parse_role(text: str) -> Role | None:
    """Return the role a user wrote (code or Swedish name, any case), or None."""
    wanted = text.strip().lower().replace("ä", "a")
    for role in Role:
        if wanted in {role.value, role.label.lower().replace("ä", "a")}:
            return role
    return None


def email_problems(email: str, *, exclude_user_id: int | None = None) -> list[Problem]:
    """Return what is wrong with an email for a new account (format, length, already taken)."""
    email = normalise_email(email)
    if not email:
        return [Problem("email", "Ange e-postadressen.", "the email address is empty")]
    if len(email) > MAX_EMAIL_LENGTH:
        return [
            Problem(
                "email",
                f"E-postadressen får vara högst {MAX_EMAIL_LENGTH} tecken lång.",
                f"the email address is longer than {MAX_EMAIL_LENGTH} characters",
            )
        ]
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return [
            Problem(
                "email",
                "Ange en giltig e-postadress, till exempel namn@example.se.",
                f"{email!r} is not a valid email address: {exc}",
            )
        ]
    existing = find_user_by_email(email)
    if existing is not None and existing.id != exclude_user_id:
        return [
            Problem(
                "email",
                "Det finns redan ett konto med den e-postadressen.",
                f"an account with the email {email} already exists",
                ErrorCode.ACCOUNT_EXISTS,
            )
        ]
    return []


def role_problems(name: str, role: str, delregion: str | None) -> list[Problem]:
    """Return what is wrong with a name, a role and a delregion taken together."""
    problems: list[Problem] = []
    if not name.strip():
        problems.append(Problem("name", "Ange namnet.", "the name is empty"))
    elif has_control_characters(name):
        problems.append(
            Problem(
                "name",
                "Namnet innehåller otillåtna tecken, till exempel radbrytningar.",
                "the name contains control characters (line breaks, tabs or NUL)",
            )
        )
    elif len(name.strip()) > MAX_NAME_LENGTH:
        problems.append(
            Problem(
                "name",
                f"Namnet får vara högst {MAX_NAME_LENGTH} tecken långt.",
                f"the name is longer than {MAX_NAME_LENGTH} characters",
            )
        )
    parsed_role = parse_role(role) if role else None
    if parsed_role is None:
        problems.append(
            Problem(
                "role",
                "Välj en roll.",
                f"unknown role {role!r} — use one of: {', '.join(r.value for r in Role)}",
            )
        )
    if delregion and delregion not in DELREGIONS:
        problems.append(
            Problem(
                "delregion",
                "Välj en delregion i listan.",
                f"unknown delregion {delregion!r} — use one of: {', '.join(DELREGIONS)}",
            )
        )
    elif not delregion and parsed_role in {Role.PROCESS_LEADER, Role.READER}:
        problems.append(
            Problem(
                "delregion",
                "Välj delregion – processledare och läsare hör alltid till en delregion.",
                f"a {parsed_role.value} needs a delregion — give one of: {', '.join(DELREGIONS)}",
            )
        )
    return problems


def new_user_problems(new: NewUser) -> list[Problem]:
    """Return every rule a new account breaks (empty when it may be created)."""
    return (
        email_problems(new.email)
        + role_problems(new.name, new.role, new.delregion)
        + password_problems(new.password, new.email)
    )


def describe(user: User) -> str:
    """Name an account in audit summaries: email, role and delregion."""
    where = f", {user.delregion}" if user.delregion else ""
    return f"{user.email} ({ROLE_LABELS[user.role_enum]}{where})"


def create_user(new: NewUser, *, actor: User | None = None) -> User:
    """Create an account, or raise AccountError without writing anything."""
    problems = new_user_problems(new)
    if problems:
        raise AccountError(problems, code=ErrorCode.ACCOUNT_INVALID)
    role = parse_role(new.role)
    assert role is not None  # checked above
    user = User(
        email=normalise_email(new.email),
        name=new.name.strip(),
        role=role.value,
        delregion=new.delregion or None,
        password_hash=hash_password(new.password),
        active=True,
        session_generation=0,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(
        "user.created",
        f"Kontot {describe(user)} skapades.",
        user=actor,
        delregion=user.delregion,
        details={"user_id": user.id, "email": user.email, "role": user.role},
    )
    return user


def update_user(
    user: User, *, name: str, role: str, delregion: str | None, actor: User | None = None
) -> None:
    """Change name, role and delregion, or raise AccountError without changing anything."""
    problems = role_problems(name, role, delregion)
    if actor is not None and actor.id == user.id and parse_role(role) != user.role_enum:
        # Otherwise the last administrator could lock everybody out of user administration.
        problems.append(
            Problem(
                "role",
                "Du kan inte ändra din egen roll.",
                "an administrator cannot change their own role",
            )
        )
    if problems:
        raise AccountError(problems, code=ErrorCode.ACCOUNT_INVALID)
    parsed_role = parse_role(role)
    assert parsed_role is not None  # checked above
    before = {"name": user.name, "role": user.role, "delregion": user.delregion}
    user.name = name.strip()
    user.role = parsed_role.value
    user.delregion = delregion or None
    after = {"name": user.name, "role": user.role, "delregion": user.delregion}
    if before == after:
        return
    record_audit(
        "user.updated",
        f"Kontot {describe(user)} ändrades.",
        user=actor,
        delregion=user.delregion,
        details={"user_id": user.id, "before": before, "after": after},
    )


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Give the account a new password and end its other sessions, or raise AccountError."""
    problems = password_problems(password, user.email)
    if problems:
        raise AccountError(problems, code=ErrorCode.ACCOUNT_WEAK_PASSWORD)
    user.password_hash = hash_password(password)
    user.session_generation += 1
    end_sessions_of(user)
    own = actor is not None and actor.id == user.id
    record_audit(
        "user.password_changed" if own else "user.password_reset",
        f"Lösenordet för {user.email} {'byttes' if own else 'återställdes'}.",
        user=actor,
        delregion=user.delregion,
        details={"user_id": user.id},
    )


def deactivate_user(user: User, *, actor: User | None = None) -> None:
    """Stop the account from logging in (its sessions end at once); refuse one's own account."""
    if actor is not None and actor.id == user.id:
        raise AccountError(
            [
                Problem(
                    "active",
                    "Du kan inte inaktivera ditt eget konto.",
                    "an administrator cannot deactivate their own account",
                )
            ],
            code=ErrorCode.ACCOUNT_OWN_DEACTIVATION,
        )
    if not user.active:
        return
    user.active = False
    end_sessions_of(user)
    record_audit(
        "user.deactivated",
        f"Kontot {describe(user)} inaktiverades.",
        user=actor,
        delregion=user.delregion,
        details={"user_id": user.id},
    )


def reactivate_user(user: User, *, actor: User | None = None) -> None:
    """Let a deactivated account log in again."""
    if user.active:
        return
    user.active = True
    record_audit(
        "user.reactivated",
        f"Kontot {describe(user)} aktiverades igen.",
        user=actor,
        delregion=user.delregion,
        details={"user_id": user.id},
    )


def all_users() -> list[User]:
    """Every account, administrators first, then by name."""
    order = {Role.ADMIN.value: 0, Role.PROCESS_LEADER.value: 1, Role.READER.value: 2}
    users = db.session.scalars(select(User).order_by(func.lower(User.name), User.id)).all()
    return sorted(users, key=lambda user: order.get(user.role, 3))
