"""Security headers on every page, hardened session cookies, and templates CSP can allow.

Like the CSRF test, the pages are read from `app.url_map`: every GET route is visited
with real ids, as an administrator, as a visitor who is not logged in, and as a
respondent, so a page added later carries the headers or fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from config import load_settings
from survey import create_app
from survey.db import db
from survey.errors import ErrorCode
from tests.conftest import _empty_all_tables
from tests.factories import DEFAULT_PASSWORD, MakeApp, make_user
from tests.security_helpers import (
    client_of,
    csrf_token_in,
    every_template,
    rules_with,
    seed_world,
    url_for_rule,
)

STRONG_KEY = "k3y-Zq8vN2xLp5RtY7wB4mC9dF6gH1jK0sA"
HTTPS = "https://enkat.example.se"
GET_ENDPOINTS = [rule.endpoint for rule in rules_with(create_app({"SURVEY_ENV": "testing"}), "GET")]


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{response.request.path}: no Content-Security-Policy"
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_protective_headers(response: TestResponse) -> None:
    """The headers every response must carry, whatever its status or type."""
    where = f"{response.request.method} {response.request.path} ({response.status_code})"
    directives = csp_directives(response)
    for kind in ("script-src", "style-src"):
        sources = directives.get(kind, directives.get("default-src"))
        assert sources, f"{where}: no {kind} and no default-src"
        assert "'unsafe-inline'" not in sources, f"{where}: {kind} allows inline code"
        assert "'unsafe-eval'" not in sources, f"{where}: {kind} allows eval"
        assert "*" not in sources and "data:" not in sources, f"{where}: {kind} is too wide"
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    # No Referer to other sites; none at all from a respondent's pages (the link's address).
    expected = "no-referrer" if response.request.path.startswith("/svara/") else "same-origin"
    assert response.headers.get("Referrer-Policy") == expected, where
    if not response.request.path.startswith("/static/"):
        assert response.headers.get("Cache-Control") == "no-store", where


@pytest.mark.parametrize("who", ["admin", "anonymous", "respondent"])
def test_it_sends_the_security_headers_on_every_get_route(csrf_app: Flask, who: str) -> None:
    world = seed_world(csrf_app)
    email = world.cast.admin.email if who == "admin" else None
    client = client_of(csrf_app, email, world.respondent if who == "respondent" else None)
    statuses = {}
    for rule in rules_with(csrf_app, "GET"):
        url = url_for_rule(csrf_app, rule, world)
        response = client.get(url)
        response.get_data()
        response.close()  # file responses (static files, the export) hold a file open
        assert response.status_code < 500, f"{url}: {response.status_code}"
        assert_protective_headers(response)
        statuses[rule.endpoint] = response.status_code
    assert set(statuses) == set(GET_ENDPOINTS)
    if who == "admin":
        # The walk really reached the pages: the administrator sees all but the
        # development-only mail viewer (404 with real delivery) and the respondent's form.
        missing = {
            endpoint
            for endpoint, status in statuses.items()
            if status != 200 and not endpoint.startswith("respond.")
        }
        # A lokal samverkan's contact pages need the group's link (the world's token is a
        # respondent's), like the respondent's pages; an inventory needs a submitted
        # response, which the world has none of (404).
        contact_pages = {
            "results.inventory",
            "local_collaboration.open_group_link",
            "local_collaboration.contact_plan",
            "local_collaboration.contact_history",
        }
        # Deleting is only for a draft never sent; the world's round was sent (redirect).
        assert missing <= {
            "rounds.show_message",
            "accounts.login",
            "rounds.delete",
            *contact_pages,
        }, statuses


def test_it_sends_the_headers_on_error_pages_and_refused_posts(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    for response in (
        client.get("/finns-inte"),
        client.post("/logga-in", data={"email": "a@example.se"}),  # no CSRF token: 400
        client.get("/svara/1/" + "A" * 43),  # a link that does not work
        client.put("/logga-in"),  # 405
    ):
        assert response.status_code in (400, 404, 405)
        assert_protective_headers(response)


def test_it_sends_the_headers_on_an_unexpected_error(make_app: MakeApp) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom-for-test")
    def boom() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert "Något gick fel" in response.get_data(as_text=True)
    assert_protective_headers(response)


def referer_a_browser_sends(policy: str, page_url: str, target_url: str) -> str | None:
    """The Referer a browser puts on a request from `page_url` under the page's policy."""
    same_origin = urlsplit(page_url)[:2] == urlsplit(target_url)[:2]
    scheme, host = urlsplit(page_url)[:2]
    origin = f"{scheme}://{host}/"
    if policy == "no-referrer":
        return None
    if policy == "same-origin":
        return page_url if same_origin else None
    if policy in ("strict-origin-when-cross-origin", "origin-when-cross-origin"):
        return page_url if same_origin else origin
    if policy in ("origin", "strict-origin"):
        return origin
    raise AssertionError(f"unexpected Referrer-Policy {policy!r}")


@pytest.fixture
def production_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The whole production configuration, as the server starts it, on the test database."""
    for name, value in {
        "SURVEY_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": database_url,
        "SURVEY_BASE_URL": "https://enkat.example.se",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SURVEY_FAST_PASSWORD_HASHING": True}
    )
    assert app.config["SURVEY_ENV"] == "production"
    yield app
    _empty_all_tables(app)


def test_it_logs_in_over_https_with_hardened_cookies_in_the_production_configuration(
    production_app: Flask,
) -> None:
    with production_app.app_context():
        email = make_user("admin").email
        db.session.commit()
    client = production_app.test_client()
    form = client.get("/logga-in", base_url=HTTPS)
    for header in form.headers.getlist("Set-Cookie"):
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    token = csrf_token_in(form.get_data(as_text=True))
    # The browser sends the Referer its policy allows; Flask-WTF needs it over HTTPS.
    referer = referer_a_browser_sends(
        form.headers["Referrer-Policy"], f"{HTTPS}/logga-in", f"{HTTPS}/logga-in"
    )
    headers = {"Referer": referer} if referer else {}
    response = client.post(
        "/logga-in",
        base_url=HTTPS,
        headers=headers,
        data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cookies = [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("survey_session=")
    ]
    assert len(cookies) == 1
    attributes = {
        part.strip().split("=")[0].lower(): part.strip() for part in cookies[0].split(";")
    }
    assert {"secure", "httponly", "samesite", "expires"} <= set(attributes)
    assert attributes["samesite"].lower() == "samesite=lax"
    # The cookie is signed, not readable: no email in clear text.
    assert email not in cookies[0]
    # A form posted from another site, or with no Referer at all, is refused over HTTPS.
    for other in ({"Referer": "https://angripare.example.com/"}, {}):
        refused = client.post(
            "/logga-ut", base_url=HTTPS, headers=other, data={"csrf_token": token}
        )
        assert refused.status_code == 400
    assert client.get("/omgangar", base_url=HTTPS).status_code == 200


def test_it_refuses_to_start_in_production_with_the_development_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from config import ConfigError

    env = {
        "SECRET_KEY": "development-key-not-secret",
        "DATABASE_URL": "postgresql://survey@db/survey",
        "SURVEY_BASE_URL": "https://enkat.example.se",
    }
    with pytest.raises(ConfigError, match="SECRET_KEY") as weak:
        load_settings("production", tmp_path, env)
    assert weak.value.code is ErrorCode.CONFIG_INVALID
    # Nor with a fallback key that is the testing key, nor with an http:// base address.
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
        load_settings(
            "production", tmp_path, {**env, "SECRET_KEY": STRONG_KEY,
                                     "SECRET_KEY_FALLBACKS": "testing-key-not-secret"}
        )  # fmt: skip
    with pytest.raises(ConfigError, match="https"):
        load_settings(
            "production", tmp_path,
            {**env, "SECRET_KEY": STRONG_KEY, "SURVEY_BASE_URL": "http://enkat.example.se"},
        )  # fmt: skip


def test_it_reads_every_secret_from_the_environment_or_a_file(tmp_path: Path) -> None:
    env = {
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": "postgresql://survey@db/survey",
        "SURVEY_BASE_URL": "https://enkat.example.se",
    }
    settings = load_settings("production", tmp_path, env)
    assert settings["MAIL_PASSWORD"] is None and settings["MAIL_USERNAME"] is None
    secrets = {
        "MAIL_PASSWORD": "smtp-lösenord-från-fil",
        "DATABASE_URL": "postgresql://survey:hemligt@db/survey",
        "SECRET_KEY_FALLBACKS": "gammal-" + STRONG_KEY,
    }
    for name, value in secrets.items():
        (tmp_path / name).write_text(value + "\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(tmp_path / name)
    settings = load_settings("production", tmp_path, env)
    assert settings["MAIL_PASSWORD"] == "smtp-lösenord-från-fil"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://survey:hemligt@db/survey"
    assert settings["SECRET_KEY_FALLBACKS"] == ["gammal-" + STRONG_KEY]


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["'{]""", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
UNESCAPED = re.compile(r"\|\s*safe\b|autoescape\s+false|Markup\(")


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("an inline <script> body", INLINE_SCRIPT),
        ("an on*= event handler", EVENT_HANDLER),
        ("a style= attribute", STYLE_ATTRIBUTE),
        ("a <style> element", STYLE_ELEMENT),
        ("a javascript: URL", JAVASCRIPT_URL),
        ("output that is not escaped", UNESCAPED),
    ],
)
def test_it_has_no_template_that_csp_would_break_or_that_skips_escaping(
    what: str, pattern: re.Pattern[str]
) -> None:
    templates = list(every_template())
    assert len(templates) > 30
    offenders = [
        f"{path}:{text[: match.start()].count(chr(10)) + 1}"
        for path, text in templates
        for match in pattern.finditer(text)
    ]
    assert not offenders, f"{what} in {offenders}"


def test_it_catches_what_it_looks_for_in_templates() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/app.js" defer></script>')
    assert EVENT_HANDLER.search('<button onclick="x()">')
    assert STYLE_ATTRIBUTE.search('<p style="color:red">')
    assert not STYLE_ATTRIBUTE.search('<link rel="stylesheet" href="x.css">')
    assert UNESCAPED.search("{{ name|safe }}")
