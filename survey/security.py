"""Security headers on every response, and a Swedish page for a refused CSRF token."""

from __future__ import annotations

import re
from typing import Final

from flask import Flask, Response, current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


RESPONDENT_PREFIX = "/svara/"


def referrer_policy(path: str) -> str:
    """No Referer at all from a respondent's pages; elsewhere only to our own pages.

    Over HTTPS Flask-WTF refuses a POST without a Referer from this site, and browsers send
    none under "no-referrer", so the logged-in pages need "same-origin" (other sites still
    get nothing). The respondent's forms check their CSRF token without the Referer, so
    their pages, whose first address holds the personal link, send none at all.
    """
    return "no-referrer" if path.startswith(RESPONDENT_PREFIX) else "same-origin"


def add_security_headers(response: Response) -> Response:
    """Headers that every page carries; pages with personal data are never cached."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", referrer_policy(request.path))
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    return response


# What a refused form keeps to post again: fields by name, never the token or a password.
KEPT_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")
MAX_KEPT_FIELDS: Final = 2000
# The login form on the CSRF page carries the kept fields under this prefix.
KEEP_PREFIX: Final = "behall__"


def kept_form_fields(prefix: str = "") -> list[tuple[str, str]]:
    """The posted fields (names starting with `prefix`, which is dropped) to post again."""
    kept: list[tuple[str, str]] = []
    for raw_name, value in request.form.items(multi=True):
        if not raw_name.startswith(prefix):
            continue
        name = raw_name[len(prefix) :]
        if name == "csrf_token" or "password" in name or not KEPT_NAME.fullmatch(name):
            continue
        kept.append((name, value))
        if len(kept) >= MAX_KEPT_FIELDS:
            break
    return kept


def posted_from_this_site() -> bool:
    """Tell whether the browser says the post came from one of our pages (Origin, Referer).

    A post forged on another site says so in its Origin; what it carried is never offered
    to be posted again, not even after a login.
    """
    own = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referrer = request.headers.get("Referer") or ""
    return referrer == own or referrer.startswith(own + "/")


def render_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Say what to do when a form's security code is missing, wrong or from an old key.

    What a logged-in user typed is kept, as the respondents' answers are: the page carries
    it in a form with a fresh token, to post again with one press. When the session has
    ended (after `SURVEY_SESSION_HOURS`), the page logs the user in again first, and the
    login carries the fields on. Only a post from our own pages is kept (Origin or
    Referer): a post forged on another site gets the plain page.
    """
    kept: list[tuple[str, str]] = []
    if (
        request.method == "POST"
        and not request.path.startswith(RESPONDENT_PREFIX)
        and posted_from_this_site()
    ):
        kept = kept_form_fields()
    target = request.full_path if request.query_string else request.path
    logged_in = bool(current_user.is_authenticated)
    return (
        render_template(
            "pages/csrf_error.html",
            kept=kept,
            retry_url=target if kept and logged_in else None,
            login_url=url_for("accounts.login", next=target) if kept and not logged_in else None,
            keep_prefix=KEEP_PREFIX,
            session_hours=round(current_app.permanent_session_lifetime.total_seconds() / 3600),
        ),
        400,
    )


def protect(app: Flask) -> None:
    """Security headers on every response; a refused CSRF token gets a Swedish page."""
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, render_csrf_error)
