"""Who may read and run which round: delregion scoping, and the opening every round page shares.

Administrators may do everything. A process leader creates and runs the rounds of their
own delregion and reads their results; a reader only reads results of their delregion.
A round outside a user's delregion does not exist for that user (404, never 403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, false, select

from survey.accounts.permissions import (
    active_account,
    can_manage_delregion,
    can_read_delregion,
    login_required,
)
from survey.db import db
from survey.schema.rounds import Round

P = ParamSpec("P")
R = TypeVar("R")


def can_read_round(user: Any, round_: Round) -> bool:
    """Tell whether the user may see the round and its results."""
    return can_read_delregion(user, round_.delregion)


def can_manage_round(user: Any, round_: Round) -> bool:
    """Tell whether the user may change, open, close and send reminders for the round."""
    return can_manage_delregion(user, round_.delregion)


def visible_rounds(user: Any) -> Select[Round]:
    """Select the rounds the user may see, newest first (add filters and ordering freely)."""
    statement = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    account = active_account(user)
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


def round_view(
    *, manage: bool = False
) -> Callable[[Callable[Concatenate[Round, P], R]], Callable[..., R]]:
    """Open a round page: log in, find the round the user may read (404) or manage (403).

    The view is called with the round instead of its id: ``@round_view(manage=True)``
    above ``def close(round_: Round) -> …`` for the route ``/omgangar/<int:round_id>/…``.
    """

    def decorate(view: Callable[Concatenate[Round, P], R]) -> Callable[..., R]:
        @wraps(view)
        def opened(round_id: int, *args: P.args, **kwargs: P.kwargs) -> R:
            return view(get_round_for(current_user, round_id, manage=manage), *args, **kwargs)

        return login_required(opened)

    return decorate
