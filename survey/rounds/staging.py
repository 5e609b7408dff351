"""Uploaded files kept between a preview and the action it previews (staged uploads).

A browser does not send a chosen file again when the page is shown anew, so a previewed
recipients file is stored in the database (every app server sees it), bound to the user
who uploaded it, and named in the page only by a random token. It is removed when it is
used, when the same user stages another one for the same purpose, and after
`STAGED_UPLOAD_LIFETIME` (expired files are deleted whenever a file is staged, and by
`survey tick`).

A file a job is to read (a large answers file) is kept the same way, named in the job's
params by its row id instead of a token (`keep_upload_for_job`): it stays until the job
has used it or `lifetime` has passed, whatever else the user uploads meanwhile.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from survey.db import db, table_of
from survey.schema.uploads import StagedUpload

STAGED_UPLOAD_LIFETIME = timedelta(hours=2)
NEW_ROUND_RECIPIENTS = "new_round_recipients"
_TOKEN_LENGTH_LIMIT = 100


@dataclass(frozen=True)
class StagedFile:
    """A staged file as read back: its token, name and bytes."""

    token: str
    filename: str
    content: bytes
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stage_upload(
    user_id: int, purpose: str, filename: str, content: bytes, *, now: datetime
) -> StagedFile:
    """Keep a file for the user; return the token the page carries. The caller commits."""
    purge_expired_uploads(now=now)
    db.session.execute(
        delete(table_of(StagedUpload)).where(
            StagedUpload.user_id == user_id, StagedUpload.purpose == purpose
        )
    )
    token = secrets.token_urlsafe(32)
    upload = _add_upload(token, user_id, purpose, filename, content, now, STAGED_UPLOAD_LIFETIME)
    return StagedFile(token, upload.filename, content, upload.expires_at)


def _add_upload(
    token: str,
    user_id: int,
    purpose: str,
    filename: str,
    content: bytes,
    now: datetime,
    lifetime: timedelta,
) -> StagedUpload:
    upload = StagedUpload(
        token_hash=_hash(token),
        user_id=user_id,
        purpose=purpose,
        filename=filename[:255],
        content=content,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(upload)
    return upload


def _usable(staged: StagedUpload | None, user_id: int, purpose: str, now: datetime) -> bool:
    return (
        staged is not None
        and staged.user_id == user_id
        and staged.purpose == purpose
        and staged.expires_at > now
    )


def find_staged_upload(
    user_id: int, purpose: str, token: str | None, *, now: datetime
) -> StagedFile | None:
    """The user's staged file of this token and purpose, if it exists and has not expired."""
    if not token or len(token) > _TOKEN_LENGTH_LIMIT or not token.isascii():
        return None
    staged = db.session.scalar(select(StagedUpload).where(StagedUpload.token_hash == _hash(token)))
    if staged is None or not _usable(staged, user_id, purpose, now):
        return None
    return StagedFile(token, staged.filename, staged.content, staged.expires_at)


def discard_staged_upload(user_id: int, token: str | None) -> None:
    """Remove the user's staged file of this token (used or replaced). The caller commits."""
    if not token or len(token) > _TOKEN_LENGTH_LIMIT:
        return
    db.session.execute(
        delete(table_of(StagedUpload)).where(
            StagedUpload.token_hash == _hash(token), StagedUpload.user_id == user_id
        )
    )


def purge_expired_uploads(*, now: datetime) -> int:
    """Delete every staged file past its time; return how many. The caller commits."""
    result = db.session.execute(
        delete(table_of(StagedUpload)).where(StagedUpload.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def keep_upload_for_job(
    user_id: int,
    purpose: str,
    filename: str,
    content: bytes,
    *,
    now: datetime,
    lifetime: timedelta,
) -> int:
    """Keep a file for a job the user queues; return its id for the job. The caller commits."""
    purge_expired_uploads(now=now)
    # No page carries a token for it: the job names the row by id.
    upload = _add_upload(
        secrets.token_urlsafe(32), user_id, purpose, filename, content, now, lifetime
    )
    db.session.flush()
    return upload.id


def job_upload(upload_id: int, user_id: int, purpose: str, *, now: datetime) -> StagedFile | None:
    """The file kept for a job, if it is the user's, of the purpose and not expired."""
    staged = db.session.get(StagedUpload, upload_id)
    if staged is None or not _usable(staged, user_id, purpose, now):
        return None
    return StagedFile("", staged.filename, staged.content, staged.expires_at)


def job_upload_kept(upload_id: int, user_id: int, purpose: str, *, now: datetime) -> bool:
    """Whether the job's file is still kept for the user (its bytes are not read)."""
    found = db.session.scalar(
        select(StagedUpload.id).where(
            StagedUpload.id == upload_id,
            StagedUpload.user_id == user_id,
            StagedUpload.purpose == purpose,
            StagedUpload.expires_at > now,
        )
    )
    return found is not None


def discard_job_upload(upload_id: int) -> None:
    """Remove a job's file once used. The caller commits (with the job's work)."""
    db.session.execute(delete(table_of(StagedUpload)).where(StagedUpload.id == upload_id))
