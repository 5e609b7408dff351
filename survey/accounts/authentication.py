"""Checking a login: the password, the account's state and the throttling of guesses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from survey import ratelimit
from survey.accounts.passwords import hash_password, spend_verification_time, verify_password
from survey.accounts.users import find_user_by_email, normalise_email
from survey.db import utcnow
from survey.schema.accounts import User

# How many more failures one client address may make than one account, before it is stopped:
# an office behind one address may hold several people who mistype.
ADDRESS_LIMIT_FACTOR = 4


class LoginOutcome(Enum):
    SUCCESS = "success"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginAttempt:
    """The result of a login: the user on success."""

    outcome: LoginOutcome
    user: User | None = None


@dataclass(frozen=True)
class LoginThrottle:
    """How many failures an email and a client address may make in a window."""

    max_failures: int
    window_seconds: int

    def email_key(self, email: str) -> str:
        return ratelimit.counter_key("login-email", normalise_email(email))

    def address_key(self, address: str) -> str:
        return ratelimit.counter_key("login-address", address)

    def is_throttled(self, email: str, address: str) -> bool:
        """Tell whether this email or this address has used up its failures."""
        return ratelimit.is_limited(
            self.email_key(email), self.max_failures, self.window_seconds
        ) or ratelimit.is_limited(
            self.address_key(address), ADDRESS_LIMIT_FACTOR * self.max_failures, self.window_seconds
        )

    def register_failure(self, email: str, address: str) -> None:
        ratelimit.register_failure(self.email_key(email), self.window_seconds)
        ratelimit.register_failure(self.address_key(address), self.window_seconds)

    def register_success(self, email: str) -> None:
        ratelimit.reset(self.email_key(email))


def check_password_login(email: str, password: str) -> User | None:
    """Return the active account if the password is right, taking equal time for unknown ones."""
    user = find_user_by_email(email)
    if user is None:
        spend_verification_time(password)
        return None
    verification = verify_password(user.password_hash, password)
    if not verification.matches or not user.active:
        return None
    if verification.needs_rehash:
        user.password_hash = hash_password(password)
    return user


def attempt_login(email: str, password: str, address: str, throttle: LoginThrottle) -> LoginAttempt:
    """Check a login under throttling; the caller commits (failures must be kept)."""
    if throttle.is_throttled(email, address):
        return LoginAttempt(LoginOutcome.THROTTLED)
    user = check_password_login(email, password)
    if user is None:
        throttle.register_failure(email, address)
        return LoginAttempt(LoginOutcome.FAILED)
    throttle.register_success(email)
    user.last_login_at = utcnow()
    return LoginAttempt(LoginOutcome.SUCCESS, user)
