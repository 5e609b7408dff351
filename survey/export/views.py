"""The download of a round's Excel export: pseudonymised for everyone, identifying on request.

``GET /omgangar/<id>/export.xlsx`` gives the pseudonymised workbook to anyone who may read
the round (readers, process leaders of its delregion, administrators);
``?identifierande=1`` asks for names and email addresses, which only those who may manage
the round get (a reader gets 403). A round outside the user's delregion is 404. Every
download is recorded in the audit log.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey.db import db
from survey.export.sanitise import clean_text
from survey.export.workbook import CONTENT_TYPE, Variant, build_workbook, record_export
from survey.rounds.access import can_manage_round, round_view
from survey.schema.rounds import Round

bp = Blueprint("export", __name__)

IDENTIFYING_PARAMETER = "identifierande"
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_LENGTH = 120


@bp.get("/omgangar/<int:round_id>/export.xlsx")
@round_view()
def download_round(round_: Round) -> ResponseReturnValue:
    """Send the round's workbook as an attachment and record the export."""
    identifying = request.args.get(IDENTIFYING_PARAMETER) == "1"
    if identifying and not can_manage_round(current_user, round_):
        abort(403)
    if request.method == "HEAD":
        # Nothing is built, sent or recorded for a HEAD request.
        return Response(mimetype=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
    # On disk, not in memory: an export of a large round is tens of megabytes. The file is
    # closed (and so deleted) when the response has been sent, or fails.
    file = tempfile.TemporaryFile(prefix="survey-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        summary = build_workbook(round_.id, identifying=identifying, out=file)
        record_export(round_, summary)
        db.session.commit()
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    ascii_name, utf8_name = export_file_names(round_, summary.variant)
    response = Response(FileChunks(file), mimetype=CONTENT_TYPE, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(ascii_name, utf8_name)
    # Answers (and, identifying, personal data) must not stay in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


class FileChunks:
    """A temporary file's content in chunks; the file is closed when sent, or abandoned.

    The WSGI server calls `close` when the response is done (also when the client went
    away); a response that is dropped unread (as in tests) closes it when collected.
    """

    def __init__(self, file: IO[bytes], chunk_size: int = 256 * 1024) -> None:
        self.file = file
        self.chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.file.read(self.chunk_size):
            yield chunk
        self.close()

    def close(self) -> None:
        self.file.close()

    def __del__(self) -> None:
        self.file.close()


def export_file_names(round_: Round, variant: Variant) -> tuple[str, str]:
    """The download's file name: a plain ASCII fallback and the full UTF-8 name."""
    stem = f"{round_.title} {round_.delregion} {variant.value}"
    readable = " ".join(_UNSAFE_IN_FILE_NAMES.sub(" ", clean_text(stem)).split())
    readable = readable[:MAX_NAME_LENGTH].strip(" .") or "export"
    folded = unicodedata.normalize("NFKD", readable).encode("ascii", "ignore").decode("ascii")
    plain = _NOT_PLAIN_ASCII.sub("_", folded).strip("._") or "export"
    return f"{plain}.xlsx", f"{readable}.xlsx"


def content_disposition(ascii_name: str, utf8_name: str) -> str:
    """An attachment header with both a quoted ASCII name and the RFC 5987 UTF-8 name."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"
