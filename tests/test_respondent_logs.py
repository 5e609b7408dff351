"""Personal links never reach a log: werkzeug's request log, gunicorn's access log, Flask's."""

from __future__ import annotations

import http.client
import logging
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Flask
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from survey.logredact import (
    REDACTED,
    PersonalLinkFilter,
    install_log_redaction,
    redact_personal_links,
)
from tests.browser import LiveServer
from tests.local_collaboration_helpers import make_group
from tests.respondent_helpers import invite

TOKEN = "Abc_def-GHIjkl0123456789Abc_def-GHIjkl01234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'"GET /svara/12/{TOKEN} HTTP/1.1" 303 -', f'"GET /svara/12/{REDACTED} HTTP/1.1" 303 -'),
        # A query is blanked with the token: a decoded "%3F" would put the token after "?".
        (f"GET /svara/12/{TOKEN}?utm=x HTTP/1.1", f"GET /svara/12/{REDACTED} HTTP/1.1"),
        (f"GET /svara/12/?{TOKEN} HTTP/1.1", f"GET /svara/12/{REDACTED} HTTP/1.1"),
        # Mangled forms of a real link (issue 11, finding 4): every one is blanked.
        (f"GET /svara/1/{TOKEN}/ HTTP/1.1", f"GET /svara/1/{REDACTED} HTTP/1.1"),
        (f"GET /svara/1/{TOKEN}/klart HTTP/1.1", f"GET /svara/1/{REDACTED} HTTP/1.1"),
        (f"GET /svara/{TOKEN} HTTP/1.1", f"GET /svara/{REDACTED} HTTP/1.1"),
        (f"GET /SVARA/1/{TOKEN} HTTP/1.1", f"GET /SVARA/1/{REDACTED} HTTP/1.1"),
        (f"GET /Svara/1/{TOKEN.lower()} HTTP/1.1", f"GET /Svara/1/{REDACTED} HTTP/1.1"),
        (f"GET /svara/1/ {TOKEN} HTTP/1.1", f"GET /svara/1/{REDACTED} HTTP/1.1"),
        (f"GET /svara/1/%20{TOKEN} HTTP/1.1", f"GET /svara/1/{REDACTED} HTTP/1.1"),
        (f"GET /%73vara/1/{TOKEN} HTTP/1.1", f"GET /%73vara/1/{REDACTED} HTTP/1.1"),
        (f"GET /svara/1/{TOKEN}%2Fx HTTP/1.1", f"GET /svara/1/{REDACTED} HTTP/1.1"),
        (f"/a?next=%2fSVARA%2F{TOKEN}", f"/a?next=%2fSVARA%2F{REDACTED}"),
        (f"Exception on /svara/1/{TOKEN} [GET]", f"Exception on /svara/1/{REDACTED} [GET]"),
        (
            f'request: "GET /svara/1/{TOKEN} HTTP/1.1", upstream: "http://10.0.1.11:8000/svara/1/{TOKEN}"',
            f'request: "GET /svara/1/{REDACTED} HTTP/1.1", upstream: "http://10.0.1.11:8000/svara/1/{REDACTED}"',
        ),
        (
            "database unavailable on POST /svara/1: OperationalError",
            "database unavailable on POST /svara/1: OperationalError",
        ),
        ("GET /svara/1/klart/ HTTP/1.1", "GET /svara/1/klart/ HTTP/1.1"),
        (
            f"https://enkat.example.se/svara/3/{TOKEN}",
            f"https://enkat.example.se/svara/3/{REDACTED}",
        ),
        ("GET /svara/12/' OR 1=1 -- HTTP/1.1", f"GET /svara/12/{REDACTED} OR 1=1 -- HTTP/1.1"),
        (f"GET /svara/12/{TOKEN}/x/y HTTP/1.1", f"GET /svara/12/{REDACTED} HTTP/1.1"),
        (f"/a?next=%2Fsvara%2F12%2F{TOKEN}&b=1", f"/a?next=%2Fsvara%2F12%2F{REDACTED}&b=1"),
        ("POST /svara/12 HTTP/1.1", "POST /svara/12 HTTP/1.1"),
        ("GET /svara/12/klart HTTP/1.1", "GET /svara/12/klart HTTP/1.1"),
        ("POST /svara/12/paminnelser HTTP/1.1", "POST /svara/12/paminnelser HTTP/1.1"),
        ("GET /forhandsgranska/prov HTTP/1.1", "GET /forhandsgranska/prov HTTP/1.1"),
        # A lokal samverkan's group link /samverkan/<group id>/<token>, every form of it.
        (f"GET /samverkan/4/{TOKEN} HTTP/1.1", f"GET /samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /SAMVERKAN/4/{TOKEN} HTTP/1.1", f"GET /SAMVERKAN/4/{REDACTED} HTTP/1.1"),
        (f"GET /Samverkan/4/{TOKEN.lower()} HTTP/1.1", f"GET /Samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /%73amverkan/4/{TOKEN} HTTP/1.1", f"GET /%73amverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /%73AMVERKA%6E/4/{TOKEN} HTTP/1.1", f"GET /%73AMVERKA%6E/4/{REDACTED} HTTP/1.1"),
        (f"GET /samverkan/4/{TOKEN}/x/y HTTP/1.1", f"GET /samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /samverkan/4/{TOKEN}?utm=x HTTP/1.1", f"GET /samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /samverkan/4/ {TOKEN} HTTP/1.1", f"GET /samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET /samverkan/4/%20{TOKEN} HTTP/1.1", f"GET /samverkan/4/{REDACTED} HTTP/1.1"),
        (f"GET //samverkan//4/{TOKEN} HTTP/1.1", f"GET //samverkan//4/{REDACTED} HTTP/1.1"),
        (f"/a?next=%2Fsamverkan%2F4%2F{TOKEN}&b=1", f"/a?next=%2Fsamverkan%2F4%2F{REDACTED}&b=1"),
        (f"/a?next=%2fSAMVERKAN%2f4%2f%20{TOKEN}", f"/a?next=%2fSAMVERKAN%2f4%2f{REDACTED}"),
        (f"Exception on /samverkan/4/{TOKEN} [GET]", f"Exception on /samverkan/4/{REDACTED} [GET]"),
        ("GET /samverkan/plan HTTP/1.1", "GET /samverkan/plan HTTP/1.1"),
        ("GET /samverkan/plan/historik HTTP/1.1", "GET /samverkan/plan/historik HTTP/1.1"),
        ("GET /samverkan/grupper/4/plan HTTP/1.1", "GET /samverkan/grupper/4/plan HTTP/1.1"),
        ("GET /samverkan/oversikt.xlsx HTTP/1.1", "GET /samverkan/oversikt.xlsx HTTP/1.1"),
    ],
)
def test_it_blanks_the_token_of_every_personal_link(text: str, expected: str) -> None:
    assert redact_personal_links(text) == expected


def test_it_blanks_tokens_in_the_message_and_in_its_arguments() -> None:
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        f"opened /svara/1/{TOKEN} %s %d",
        (f"/svara/2/{TOKEN}", 303),
        None,
    )
    assert PersonalLinkFilter().filter(record) is True
    assert TOKEN not in record.getMessage()
    assert record.getMessage() == f"opened /svara/1/{REDACTED} /svara/2/{REDACTED} 303"


def test_it_writes_no_token_to_the_real_server_s_request_log(
    app: Flask, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    invited = invite(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    address = urlsplit(live_server.url)
    for path in (invited.link, f"/svara/{invited.round_id}/{TOKEN}"):
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status in (303, 404)
    request_lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert len([line for line in request_lines if "/svara/" in line]) == 2, request_lines
    assert invited.token not in caplog.text and TOKEN not in caplog.text
    assert f"GET /svara/{invited.round_id}/{REDACTED} HTTP/1.1" in caplog.text


def test_it_writes_no_group_link_to_the_real_server_s_request_log(
    app: Flask, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    group = make_group(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    address = urlsplit(live_server.url)
    paths = (
        group.link_path,
        f"/SAMVERKAN/{group.id}/{group.token}/x",
        f"/samverkan/{group.id}/{TOKEN}",
    )
    for path in paths:
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status in (303, 404)
    request_lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert len([line for line in request_lines if "/samverkan/" in line.lower()]) == 3
    assert group.token not in caplog.text and TOKEN not in caplog.text
    assert f"GET /samverkan/{group.id}/{REDACTED} HTTP/1.1" in caplog.text


def test_it_writes_no_token_to_gunicorn_s_access_log(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %({x-link}i)s')
    gunicorn_logger = GunicornLogger(config)
    gunicorn_logger.access_log.addHandler(caplog.handler)
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/svara/7/{TOKEN}",
            "PATH_INFO": f"/svara/7/{TOKEN}",
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "192.0.2.1",
            "HTTP_REFERER": f"https://enkat.example.se/svara/7/{TOKEN}",
        }
        request = SimpleNamespace(headers=[("X-Link", f"/svara/7/{TOKEN}")])
        response = SimpleNamespace(status="303 SEE OTHER", sent=0, headers=[])
        gunicorn_logger.access(response, request, environ, timedelta(milliseconds=3))
    finally:
        gunicorn_logger.access_log.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert lines == [
        f'192.0.2.1 "GET /svara/7/{REDACTED} HTTP/1.1" 303 '
        f'"https://enkat.example.se/svara/7/{REDACTED}" /svara/7/{REDACTED} /svara/7/{REDACTED}'
    ]


def test_it_installs_the_filter_on_the_request_and_app_loggers_once(app: Flask) -> None:
    install_log_redaction()
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, PersonalLinkFilter)]
        assert len(filters) == 1, name


def test_it_writes_no_token_when_flask_logs_an_exception(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with app.test_request_context(f"/svara/1/{TOKEN}"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            app.logger.exception("Exception on /svara/1/%s [GET]", TOKEN)
    assert TOKEN not in caplog.text
    assert f"Exception on /svara/1/{REDACTED} [GET]" in caplog.text
