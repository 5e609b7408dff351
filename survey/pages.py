"""Public pages: start, accessibility statement, health check, and the error pages.

Also the two guards every route shares: an `int` in an address only matches ids a row can
have (`RowIdConverter`), and a database that cannot be reached gives a Swedish "try
again" page with status 503 instead of a 500 (`database_unavailable`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Final

from flask import Blueprint, Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from survey.db import MAX_ROW_ID, db

bp = Blueprint("pages", __name__)

# Seconds a client is asked to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS: Final = 30
# The errors SQLAlchemy raises when the database cannot be reached or used right now: a
# refused or dropped connection, a server shutting down, SQLite's lock held past the busy
# timeout, an exhausted pool. A retry a moment later can succeed, so they are 503s.
DATABASE_UNAVAILABLE: Final = (
    OperationalError,
    DisconnectionError,
    InterfaceError,
    PoolTimeoutError,
)

# Where an app keeps the endpoints whose posted fields the 503 page keeps, so that
# pressing its button posts them again: endpoint → a function returning (name, value) pairs.
KEPT_ON_OUTAGE: Final = "survey_kept_on_outage"


class RowIdConverter(IntegerConverter):
    """`<int:…>` in a route: a whole number that can be a row id (0 to 2³¹−1), else 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ROW_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


@bp.get("/")
def start() -> str:
    return render_template("pages/start.html")


@bp.get("/tillganglighet")
def accessibility() -> str:
    """The accessibility statement (tillgänglighetsredogörelse) required by law."""
    return render_template("pages/accessibility.html")


@bp.get("/healthz")
def health() -> tuple[dict[str, str], int]:
    """Touches the database, so a load balancer sees a server that cannot reach it."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200


ERROR_TITLES = {
    400: "Felaktig begäran",
    403: "Åtkomst nekad",
    404: "Sidan finns inte",
    405: "Metoden är inte tillåten",
    413: "Filen är för stor",
    429: "För många försök",
    500: "Något gick fel",
    503: "Tjänsten är tillfälligt otillgänglig",
}
TOO_LARGE_POST_TITLE: Final = "Det du skickade är för stort"


def render_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    title = ERROR_TITLES.get(code, "Fel")
    # A form without a file (a respondent's answers) is not "a file" that is too large.
    is_upload = request.mimetype == "multipart/form-data"
    if code == 413 and not is_upload:
        title = TOO_LARGE_POST_TITLE
    return (
        render_template(
            "pages/error.html", code=code, title=title, error=error, is_upload=is_upload
        ),
        code,
    )


def keep_posted_fields_on_outage(
    app: Flask, endpoint: str, kept_fields: Callable[[], list[tuple[str, str]]]
) -> None:
    """Let the 503 page of a POST to `endpoint` carry `kept_fields()` to post them again."""
    app.extensions.setdefault(KEPT_ON_OUTAGE, {})[endpoint] = kept_fields


def database_unavailable(error: Exception) -> ResponseReturnValue:
    """The database could not be reached: a Swedish "try again" page that needs no database.

    The page shows no menu (it would load the user from the database). A POST whose
    endpoint keeps its fields (the respondent's answers) gets them back in hidden fields
    of a form that posts them again: what was typed is not lost.
    """
    # The connection may be gone; the session is removed at the request's teardown anyway.
    with suppress(SQLAlchemyError):
        db.session.rollback()
    cause = getattr(error, "orig", None) or error
    # The driver's message names the failure ("database is locked", "connection refused");
    # the statement and its parameters (answers, addresses) are left out.
    summary = (str(cause).strip().splitlines() or [""])[0][:200]
    current_app.logger.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.path,
        type(cause).__name__,
        summary,
    )
    if "_login_user" not in g:
        # Flask-Login loads the user (from the database) for every template it renders;
        # Flask-Login keeps the loaded user in g: show this page as to a visitor instead.
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    kept: list[tuple[str, str]] = []
    keepers = current_app.extensions.get(KEPT_ON_OUTAGE, {})
    keeper = keepers.get(request.endpoint or "") if request.method == "POST" else None
    if keeper is not None:
        kept = keeper()
    page = render_template(
        "pages/error.html",
        code=503,
        title=ERROR_TITLES[503],
        error=None,
        kept=kept,
        retry_url=request.path if kept else None,
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def register_error_pages(app: Flask) -> None:
    """Swedish pages for HTTP errors, and the 503 page for a database out of reach."""
    for code in ERROR_TITLES:
        app.register_error_handler(code, render_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
