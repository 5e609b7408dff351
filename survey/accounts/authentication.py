"""Checking a login: the password, the account's state and the throttling of guesses.

Throttling must not let anyone lock a person out of their own account. So guesses are
stopped per pair of account and client address (an attacker elsewhere does not stop the
real user), per address (one address guessing many accounts), and only slowed down per
account: once an account has had `max_failures` failures from anywhere, each further
attempt must wait a few seconds after the last failure (doubling, at most
`MAX_ACCOUNT_DELAY_SECONDS`), which makes guessing hopeless and costs the real user
seconds, not a quarter of an hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from survey import ratelimit
from survey.accounts.passwords import hash_password, spend_verification_time, verify_password
from survey.accounts.users import find_user_by_email, normalise_email
from survey.db import utcnow
from survey.schema.accounts import User

# How many more failures one client address may make than one account, before it is stopped:
# an office behind one address may hold several people who mistype.
ADDRESS_LIMIT_FACTOR: Final = 4
# The longest wait between two attempts on an account that others keep guessing at.
MAX_ACCOUNT_DELAY_SECONDS: Final = 30


class LoginOutcome(Enum):
    SUCCESS = "success"
    FAILED = "failed"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginAttempt:
    """The result of a login: the user on success, the seconds to wait when throttled."""

    outcome: LoginOutcome
    user: User | None = None
    wait_seconds: int = 0


@dataclass(frozen=True)
class LoginThrottle:
    """How many failures an account, an address and the pair of them may make in a window."""

    max_failures: int
    window_seconds: int

    def email_key(self, email: str) -> str:
        return ratelimit.counter_key("login-email", normalise_email(email))

    def last_failure_key(self, email: str) -> str:
        return ratelimit.counter_key("login-email-last", normalise_email(email))

    def address_key(self, address: str) -> str:
        return ratelimit.counter_key("login-address", address)

    def pair_key(self, email: str, address: str) -> str:
        return ratelimit.counter_key("login-pair", f"{normalise_email(email)} {address}")

    def _blocked_for(self, key: str, limit: int, now: datetime) -> float:
        if not ratelimit.is_limited(key, limit, self.window_seconds, now=now):
            return 0
        started = ratelimit.window_start(key)
        if started is None:
            return 0
        return (started + timedelta(seconds=self.window_seconds) - now).total_seconds()

    def account_delay(self, failures: int) -> int:
        """Seconds an account with `failures` in its window waits after its last failure."""
        if failures < self.max_failures:
            return 0
        return int(min(MAX_ACCOUNT_DELAY_SECONDS, 2 ** (failures - self.max_failures)))

    def wait_seconds(self, email: str, address: str, *, now: datetime | None = None) -> int:
        """Seconds before this account may be tried from this address again (0: now)."""
        now = now or utcnow()
        waits = [
            self._blocked_for(self.pair_key(email, address), self.max_failures, now),
            self._blocked_for(
                self.address_key(address), ADDRESS_LIMIT_FACTOR * self.max_failures, now
            ),
        ]
        failures = ratelimit.failure_count(self.email_key(email), self.window_seconds, now=now)
        delay = self.account_delay(failures)
        last = ratelimit.window_start(self.last_failure_key(email)) if delay else None
        if last is not None:
            waits.append((last + timedelta(seconds=delay) - now).total_seconds())
        return max(0, math.ceil(max(waits)))

    def is_throttled(self, email: str, address: str) -> bool:
        return self.wait_seconds(email, address) > 0

    def register_failure(self, email: str, address: str) -> None:
        ratelimit.register_failure(self.pair_key(email, address), self.window_seconds)
        ratelimit.register_failure(self.email_key(email), self.window_seconds)
        ratelimit.register_failure(self.address_key(address), self.window_seconds)
        # A window of 0 restarts at every failure: the row's time is the last failure's.
        ratelimit.register_failure(self.last_failure_key(email), 0)

    def register_success(self, email: str, address: str) -> None:
        for key in (
            self.pair_key(email, address),
            self.email_key(email),
            self.last_failure_key(email),
        ):
            ratelimit.reset(key)


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
    wait = throttle.wait_seconds(email, address)
    if wait > 0:
        return LoginAttempt(LoginOutcome.THROTTLED, wait_seconds=wait)
    user = check_password_login(email, password)
    if user is None:
        throttle.register_failure(email, address)
        return LoginAttempt(LoginOutcome.FAILED)
    throttle.register_success(email, address)
    user.last_login_at = utcnow()
    return LoginAttempt(LoginOutcome.SUCCESS, user)
