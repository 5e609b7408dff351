"""Who may see and change what: roles, delregion scoping and the main menu.

Administrators may do everything. A process leader creates and runs the rounds of their
own delregion and reads their results; a reader only reads results of their delregion.
A round outside a user's delregion does not exist for that user (404, never 403).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

import flask_login
from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import Select, false, select

from survey.accounts.models import Role, User
from survey.db import db
from survey.rounds.models import Round

__all__ = [
    "can_manage_round",
    "can_read_round",
    "get_round_for",
    "has_role",
    "landing_endpoint",
    "login_required",
    "main_menu",
    "menu_for",
    "register_menu_item",
    "role_required",
    "visible_rounds",
]

P = ParamSpec("P")
R = TypeVar("R")


def _logged_in_user(user: Any) -> User | None:
    """The user as an active account, or None for anonymous or deactivated users."""
    if isinstance(user, User) and user.active:
        return user
    return None


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let only logged-in users in; others go to the login page (Flask-Login's, typed)."""
    return cast(Callable[P, R], flask_login.login_required(view))


def has_role(user: Any, *roles: Role | str) -> bool:
    """Tell whether the user is active and has one of the roles (administrators have all)."""
    account = _logged_in_user(user)
    if account is None:
        return False
    return account.is_admin or account.role in {Role(role).value for role in roles}


def role_required(*roles: Role | str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only logged-in users with one of the roles in (administrators always); 403 otherwise."""
    wanted = tuple(Role(role) for role in roles)

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                response: R = current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
                return response
            if not has_role(current_user, *wanted):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def can_read_round(user: Any, round_: Round) -> bool:
    """Tell whether the user may see the round and its results."""
    account = _logged_in_user(user)
    if account is None:
        return False
    return account.is_admin or (
        account.delregion is not None and account.delregion == round_.delregion
    )


def can_manage_round(user: Any, round_: Round) -> bool:
    """Tell whether the user may change, open, close and send reminders for the round."""
    account = _logged_in_user(user)
    if account is None:
        return False
    return account.is_admin or (
        account.role == Role.PROCESS_LEADER and can_read_round(account, round_)
    )


def visible_rounds(user: Any) -> Select[Round]:
    """Select the rounds the user may see, newest first (add filters and ordering freely)."""
    statement = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    account = _logged_in_user(user)
    if account is None or (not account.is_admin and account.delregion is None):
        return statement.where(false())
    if account.is_admin:
        return statement
    return statement.where(Round.delregion == account.delregion)


def get_round_for(user: Any, round_id: int, *, manage: bool = False) -> Round:
    """Return the round if the user may read it (else 404) and, with `manage`, change it (403)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or not can_read_round(user, round_):
        abort(404)
    if manage and not can_manage_round(user, round_):
        abort(403)
    return round_


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    roles: frozenset[Role]
    order: int
    landing: bool


_menu: dict[str, MenuItem] = {}


def register_menu_item(
    endpoint: str,
    label: str,
    roles: Iterable[Role | str],
    *,
    order: int = 100,
    landing: bool = True,
) -> None:
    """Put a link in the main menu for users with one of the roles (administrators see all).

    Registering the same endpoint again replaces it, so calling this from `init_app` of
    every app made (as tests do) is safe. Lower `order` comes first. The first item with
    `landing` is where the user lands after logging in.
    """
    _menu[endpoint] = MenuItem(
        endpoint, label, frozenset(Role(role) for role in roles), order, landing
    )


def _menu_items(user: Any, endpoints: Iterable[str] | None) -> list[MenuItem]:
    known = set(endpoints) if endpoints is not None else None
    return [
        item
        for item in sorted(_menu.values(), key=lambda item: (item.order, item.label))
        if (known is None or item.endpoint in known) and has_role(user, *item.roles)
    ]


def menu_for(user: Any, endpoints: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Return the (endpoint, label) pairs the user's menu shows, among existing `endpoints`."""
    return [(item.endpoint, item.label) for item in _menu_items(user, endpoints)]


def main_menu() -> list[tuple[str, str]]:
    """The logged-in user's main menu; base.html calls it."""
    return menu_for(current_user, current_app.view_functions)


def landing_endpoint(user: Any) -> str:
    """Where a user lands after logging in: the first landing item of their menu."""
    for item in _menu_items(user, current_app.view_functions):
        if item.landing:
            return item.endpoint
    return "pages.start"
