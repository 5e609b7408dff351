"""Security headers on every response, and a Swedish page for a refused CSRF token."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
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


def render_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Say what to do when a form's security code is missing, wrong or from an old key."""
    return render_template("pages/csrf_error.html"), 400


def protect(app: Flask) -> None:
    """Security headers on every response; a refused CSRF token gets a Swedish page."""
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, render_csrf_error)
