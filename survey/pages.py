"""Public pages: start, accessibility statement, health check, and the error pages."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from survey.db import db

bp = Blueprint("pages", __name__)


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


def render_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    return (
        render_template(
            "pages/error.html", code=code, title=ERROR_TITLES.get(code, "Fel"), error=error
        ),
        code,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    for code in ERROR_TITLES:
        app.register_error_handler(code, render_error)
