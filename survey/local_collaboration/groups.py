"""Creating groups and looking after their contact and link; who may see which group.

A group is one kommun's lokal samverkan, in the kommun's delregion. Process leaders see
and run the groups of their delregion, readers see them, administrators everything; a
group outside a user's delregion does not exist for that user (404), as with rounds.
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
from survey.audit.recording import record_audit
from survey.db import db
from survey.errors import ErrorCode, SurveyError
from survey.local_collaboration.links import issue_group_link, revoke_group_link
from survey.organisations import local_collaboration_name, parse_delregion, parse_kommun
from survey.schema.accounts import User
from survey.schema.local_collaboration import LocalGroup

P = ParamSpec("P")
R = TypeVar("R")


class GroupError(SurveyError, ValueError):
    """A refused change: `swedish` for pages, `english` for the command line."""

    code = ErrorCode.GROUP_REFUSED
    shown = "operator_message"

    def __init__(self, swedish: str, english: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(swedish, operator_message=english, code=code)

    @property
    def swedish(self) -> str:
        return self.message

    @property
    def english(self) -> str:
        return self.operator_message


def create_group(
    *,
    kommun: str,
    delregion: str,
    contact_name: str,
    contact_email: str,
    name: str | None = None,
    user: User | None = None,
) -> LocalGroup:
    """Add a kommun's lokal samverkan (one per kommun), named "Lokal samverkan <kommun>"."""
    found_kommun = parse_kommun(kommun)
    if found_kommun is None:
        raise GroupError(
            f"{kommun} är ingen kommun i Skåne.",
            f"--kommun {kommun!r} is not one of Skåne's 33 kommuner; write e.g. Hässleholm",
            code=ErrorCode.GROUP_NOT_A_KOMMUN,
        )
    code = parse_delregion(delregion)
    if code is None:
        raise GroupError(
            f"{delregion} är ingen delregion.",
            f"--delregion {delregion!r} is not a delregion; use NV, NO, SV, SO or MS",
            code=ErrorCode.GROUP_NOT_A_DELREGION,
        )
    if db.session.scalar(select(LocalGroup.id).where(LocalGroup.kommun == found_kommun)):
        raise GroupError(
            f"{found_kommun} har redan en lokal samverkan.",
            f"{found_kommun} already has a lokal samverkan; one per kommun",
            code=ErrorCode.GROUP_EXISTS,
        )
    group = LocalGroup(
        delregion=code,
        kommun=found_kommun,
        name=(name or "").strip() or local_collaboration_name(found_kommun),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
    )
    db.session.add(group)
    db.session.flush()
    record_audit(
        "local_group.create",
        f"Skapade {group.name} ({code}).",
        user=user,
        delregion=code,
        details={"group_id": group.id},
    )
    return group


def change_contact(group: LocalGroup, name: str, email: str, *, user: User | None = None) -> bool:
    """Give the group a new contact; a new person gets a new link (the old one stops working).

    Returns whether the link was renewed (the caller then sends it).
    """
    new_person = email.lower() != group.contact_email.lower()
    before = (group.contact_name, group.contact_email)
    group.contact_name, group.contact_email = name, email
    # A contact erased on request (no address) left the group without a link: the new
    # contact gets one; a link the process leader revoked stays revoked.
    if new_person and (group.token_hash is not None or not before[1]):
        issue_group_link(group)
    record_audit(
        "local_group.contact",
        f"{group.name}: ny kontaktperson {name} <{email}>.",
        user=user,
        delregion=group.delregion,
        details={"group_id": group.id, "before": list(before), "new_link": new_person},
    )
    return new_person


def revoke_link(group: LocalGroup, *, user: User | None = None) -> None:
    """Stop the group's link from working at once (sessions opened with it end too)."""
    if group.token_hash is None:
        raise GroupError(
            "Gruppen har ingen giltig länk att återkalla.",
            f"group {group.id} has no live link",
            code=ErrorCode.GROUP_NO_LIVE_LINK,
        )
    revoke_group_link(group)
    record_audit(
        "local_group.link_revoke",
        f"Återkallade länken för {group.name}.",
        user=user,
        delregion=group.delregion,
        details={"group_id": group.id},
    )


def group_by_kommun(kommun: str) -> LocalGroup | None:
    found = parse_kommun(kommun)
    if found is None:
        return None
    return db.session.scalar(select(LocalGroup).where(LocalGroup.kommun == found))


# -- who may see which group --------------------------------------------------------------


def can_read_group(user: Any, group: LocalGroup) -> bool:
    return can_read_delregion(user, group.delregion)


def can_manage_group(user: Any, group: LocalGroup) -> bool:
    return can_manage_delregion(user, group.delregion)


def visible_groups(user: Any, delregion: str | None = None) -> Select[LocalGroup]:
    """The groups the user may see (of one delregion when given), by delregion and kommun."""
    statement = select(LocalGroup).order_by(LocalGroup.delregion, LocalGroup.kommun)
    account = active_account(user)
    if account is None or (not account.is_admin and account.delregion is None):
        return statement.where(false())
    if not account.is_admin:
        statement = statement.where(LocalGroup.delregion == account.delregion)
    if delregion is not None:
        statement = statement.where(LocalGroup.delregion == delregion)
    return statement


def group_view(
    *, manage: bool = False
) -> Callable[[Callable[Concatenate[LocalGroup, P], R]], Callable[..., R]]:
    """Open a group page: log in, the group the user may read (else 404) or manage (403)."""

    def decorate(view: Callable[Concatenate[LocalGroup, P], R]) -> Callable[..., R]:
        @wraps(view)
        def opened(group_id: int, *args: P.args, **kwargs: P.kwargs) -> R:
            group = db.session.get(LocalGroup, group_id)
            if group is None or not can_read_group(current_user, group):
                abort(404)
            if manage and not can_manage_group(current_user, group):
                abort(403)
            return view(group, *args, **kwargs)

        return login_required(opened)

    return decorate
