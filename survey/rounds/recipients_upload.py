"""The recipients file of "Skapa omgång": chosen now, or kept from the preview (staged).

A file chosen in the form wins; without one, the staged file the page names (a hidden
token, bound to the logged-in user) is read again. A token whose file has gone (used,
replaced or expired) is reported, so a round is never created without the recipients
the process leader previewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request

from survey.rounds.forms import NewRoundForm
from survey.rounds.pages import parse_upload
from survey.rounds.recipients_file import RecipientsParse
from survey.rounds.staging import (
    NEW_ROUND_RECIPIENTS,
    StagedFile,
    discard_staged_upload,
    find_staged_upload,
    stage_upload,
)
from survey.schema.accounts import User

FIRST_ROWS_SHOWN = 10
STAGED_FIELD = "staged_upload"
STAGED_FILE_LOST = (
    "Filen du förhandsgranskade finns inte längre kvar (den sparas i två timmar). Välj filen igen."
)


@dataclass
class RecipientsUpload:
    """Where this request's recipients come from, and what they are."""

    parsed: RecipientsParse | None
    filename: str | None = None
    content: bytes | None = None
    staged: StagedFile | None = None
    previous_token: str | None = None
    lost: bool = False

    def keep(self, user: User, *, now: datetime) -> StagedFile | None:
        """Stage the file for the next step (a fresh file), or keep the staged one."""
        if self.staged is not None:
            return self.staged
        if self.content is None or self.filename is None:
            return None
        discard_staged_upload(user.id, self.previous_token)
        self.staged = stage_upload(
            user.id, NEW_ROUND_RECIPIENTS, self.filename, self.content, now=now
        )
        return self.staged

    def drop(self, user: User) -> None:
        """Remove the staged file: it has been used, or replaced by a file with problems."""
        for token in {self.previous_token, self.staged.token if self.staged else None}:
            discard_staged_upload(user.id, token)


def recipients_upload(
    form: NewRoundForm, user: User, delregion: str | None, *, now: datetime
) -> RecipientsUpload:
    """Read the chosen file, or the staged one the form names."""
    token = (request.form.get(STAGED_FIELD) or "").strip() or None
    storage = form.recipients_file.data
    if storage is not None and storage.filename:
        content = storage.read()
        parsed = parse_upload(content, storage.filename, delregion, frozenset())
        return RecipientsUpload(parsed, storage.filename, content, previous_token=token)
    if token is None:
        return RecipientsUpload(None)
    staged = find_staged_upload(user.id, NEW_ROUND_RECIPIENTS, token, now=now)
    if staged is None:
        return RecipientsUpload(None, previous_token=token, lost=True)
    parsed = parse_upload(staged.content, staged.filename, delregion, frozenset())
    return RecipientsUpload(parsed, staged=staged, previous_token=token)
