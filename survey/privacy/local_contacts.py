"""A lokal samverkan's contact person in requests of access and erasure.

Each lokal samverkan (`LocalGroup`) names one contact person, by name and email address,
who gets the group's personal link. The group and its plan belong to the kommun, not to
the person: an erasure removes the contact's name and address and stops the link (it was
the person's), and keeps the group and its plan. The process leader then names a new
contact (the group's page says so) before a new link can be sent. Mails to the contact
are outbox messages to the address, found and purged with the person's other messages.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import func, select

from survey.audit.recording import record_audit
from survey.db import db
from survey.local_collaboration.links import revoke_group_link
from survey.schema.local_collaboration import LocalGroup

ERASE_CONTACT_ACTION: Final = "privacy.erase_group_contact"


def groups_with_contact(email: str) -> list[LocalGroup]:
    """The lokal samverkan groups whose contact has the (normalised) address."""
    return list(
        db.session.scalars(
            select(LocalGroup)
            .where(func.lower(LocalGroup.contact_email) == email)
            .order_by(LocalGroup.id)
        )
    )


def contact_record(group: LocalGroup) -> dict[str, Any]:
    """What the group stores about its contact, for a register extract."""
    return {
        "group_id": group.id,
        "group": group.name,
        "kommun": group.kommun,
        "delregion": group.delregion,
        "contact_name": group.contact_name,
        "contact_email": group.contact_email,
        "has_live_link": group.token_hash is not None,
        "link_issued_at": (
            None if group.token_issued_at is None else group.token_issued_at.isoformat()
        ),
    }


def erase_contact(group: LocalGroup) -> None:
    """Remove the contact's name and address and stop the link (the caller commits)."""
    group.contact_name = ""
    group.contact_email = ""
    revoke_group_link(group)
    record_audit(
        ERASE_CONTACT_ACTION,
        f"Raderade på begäran kontaktpersonens namn och e-postadress för {group.name}; "
        "länken fungerar inte längre. Planen finns kvar.",
        delregion=group.delregion,
        details={"group_id": group.id},
    )
