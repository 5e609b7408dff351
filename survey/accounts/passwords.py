"""Password hashing (Argon2id) and the rules a new password must follow."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from survey.errors import ErrorCode

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that nobody can make hashing expensive.
MAX_PASSWORD_LENGTH = 256

# RFC 9106's low-memory profile (64 MiB, 3 passes): the library's default.
_STRONG_HASHER = PasswordHasher()
# Only for the test suite (SURVEY_FAST_PASSWORD_HASHING): logins there cost nothing.
_FAST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@dataclass(frozen=True)
class Problem:
    """A broken rule: its form field, in Swedish for users and in English for operators."""

    field: str
    swedish: str
    english: str
    # A more precise code for the refusal than the one of the action (e.g. account.exists).
    code: ErrorCode | None = None


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a password against a stored hash."""

    matches: bool
    needs_rehash: bool = False


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("SURVEY_FAST_PASSWORD_HASHING"):
        return _FAST_HASHER
    return _STRONG_HASHER


def hash_password(password: str) -> str:
    """Hash a password with the current Argon2id parameters."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> Verification:
    """Check a password; say whether its hash was made with other parameters than today's."""
    hasher = _hasher()
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return Verification(matches=False)
    return Verification(matches=True, needs_rehash=hasher.check_needs_rehash(stored_hash))


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a password of anyone: used to spend the time of a real check")


def spend_verification_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown account takes as long as a known one."""
    verify_password(_dummy_hash(_hasher()), password)


def password_problems(password: str, email: str, field: str = "password") -> list[Problem]:
    """Return the rules a new password breaks (empty when it is acceptable)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [
            Problem(
                field,
                f"Lösenordet måste vara minst {MIN_PASSWORD_LENGTH} tecken långt.",
                f"the password is {len(password)} characters long — use at least "
                f"{MIN_PASSWORD_LENGTH}",
            )
        ]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [
            Problem(
                field,
                f"Lösenordet får vara högst {MAX_PASSWORD_LENGTH} tecken långt.",
                f"the password is longer than {MAX_PASSWORD_LENGTH} characters",
            )
        ]
    lowered = password.strip().lower()
    email = email.strip().lower()
    if email and lowered in {email, email.partition("@")[0]}:
        return [
            Problem(
                field,
                "Lösenordet får inte vara e-postadressen.",
                "the password must not be the email address — choose another one",
            )
        ]
    return []
