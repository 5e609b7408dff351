"""Who may see and change what: roles and the main menu.

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
from flask import Flask, abort, current_app
from flask_login import current_user

from survey.schema.accounts import Role, User

__all__ = [
    "active_account",
    "has_role",
    "landing_endpoint",
    "login_required",
    "main_menu",
    "menu_for",
    "register_menu_item",
    "role_required",
]

P = ParamSpec("P")
R = TypeVar("R")


def active_account(user: Any) -> User | None:
    """The user as an active account, or None for anonymous or deactivated users."""
    if isinstance(user, User) and user.active:
        return user
    return None


def can_read_delregion(user: Any, delregion: str | None) -> bool:
    """Whether the user may read what belongs to `delregion` (a round, a plan, a group)."""
    account = active_account(user)
    if account is None:
        return False
    return account.is_admin or (account.delregion is not None and account.delregion == delregion)


def can_manage_delregion(user: Any, delregion: str | None) -> bool:
    """Whether the user may change what belongs to `delregion`: its process leaders, admins."""
    account = active_account(user)
    if account is None:
        return False
    return account.is_admin or (
        account.role == Role.PROCESS_LEADER and can_read_delregion(account, delregion)
    )


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let only logged-in users in; others go to the login page (Flask-Login's, typed)."""
    return cast(Callable[P, R], flask_login.login_required(view))


def has_role(user: Any, *roles: Role | str) -> bool:
    """Tell whether the user is active and has one of the roles (administrators have all)."""
    account = active_account(user)
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


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    roles: frozenset[Role]
    order: int
    landing: bool


# Where an app keeps its menu: app.extensions[MENU] is {endpoint: MenuItem}.
MENU = "survey_menu"


def register_menu_item(
    app: Flask,
    endpoint: str,
    label: str,
    roles: Iterable[Role | str],
    *,
    order: int = 100,
    landing: bool = True,
) -> None:
    """Put a link in the main menu for users with one of the roles (administrators see all).

    Each app has its own menu; registering the same endpoint again replaces its item.
    Lower `order` comes first. The first item with `landing` is where the user lands
    after logging in.
    """
    app.extensions.setdefault(MENU, {})[endpoint] = MenuItem(
        endpoint, label, frozenset(Role(role) for role in roles), order, landing
    )


def _menu_items(user: Any, endpoints: Iterable[str] | None) -> list[MenuItem]:
    known = set(endpoints) if endpoints is not None else None
    menu: dict[str, MenuItem] = current_app.extensions.get(MENU, {})
    return [
        item
        for item in sorted(menu.values(), key=lambda item: (item.order, item.label))
        if (known is None or item.endpoint in known) and has_role(user, *item.roles)
    ]


def menu_for(user: Any, endpoints: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The (endpoint, label) pairs the current app's menu shows the user, among `endpoints`."""
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
