"""gunicorn.conf.py: settings from the environment, and a real gunicorn's access log.

The app is served by a real gunicorn with the project's configuration, in production
settings, on the test database; the access log must hold paths without query strings
and with personal links blanked (the filter of survey.logredact, installed when each
worker starts).
"""

from __future__ import annotations

import multiprocessing
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.db import db
from survey.ratelimit import counter_key
from survey.rounds.tokens import issue_link
from survey.schema.ratelimit import RateLimitCounter
from tests.factories import MakeApp, make_recipient, make_round
from tests.gunicorn_helpers import Client, app_environment, start_gunicorn, stop

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _printed_config(**environment: str) -> tuple[int, dict[str, str], str]:
    """What gunicorn makes of gunicorn.conf.py in this environment (--print-config)."""
    done = subprocess.run(
        [GUNICORN, "--print-config", "-c", "gunicorn.conf.py", "survey:create_app()"],
        cwd=ROOT,
        env=app_environment("sqlite://", secrets.token_urlsafe(48), **environment),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    settings = {}
    for line in done.stdout.splitlines():
        name, separator, value = line.partition(" = ")
        if separator:
            settings[name.strip()] = value.strip()
    return done.returncode, settings, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, {"bind": "['127.0.0.1:8000']", "threads": "1", "worker_class": "sync",
              "timeout": "120", "forwarded_allow_ips": "['127.0.0.1', '::1']",
              "accesslog": "-"}),
        ({"GUNICORN_BIND": "0.0.0.0:8080", "GUNICORN_WORKERS": "5", "GUNICORN_THREADS": "4",
          "GUNICORN_TIMEOUT": "300", "FORWARDED_ALLOW_IPS": "10.0.0.5,10.0.0.6",
          "GUNICORN_ACCESS_LOG": "off"},
         {"bind": "['0.0.0.0:8080']", "workers": "5", "threads": "4",
          "worker_class": "gthread", "timeout": "300",
          "forwarded_allow_ips": "['10.0.0.5', '10.0.0.6']", "accesslog": "None"}),
    ],
    ids=["defaults", "from-the-environment"],
)  # fmt: skip
def test_it_reads_its_settings_from_the_environment(
    environment: dict[str, str], expected: dict[str, str]
) -> None:
    status, settings, output = _printed_config(**environment)

    assert status == 0, output
    assert {name: settings.get(name) for name in expected} == expected
    # No query string (%(q)s, %(r)s), referrer (%(f)s) or user agent (%(a)s) in the log.
    assert settings["access_log_format"] == '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
    assert settings["post_worker_init"] == "<post_worker_init()>"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GUNICORN_WORKERS", "many", "GUNICORN_WORKERS='many' is not a whole number"),
        ("GUNICORN_TIMEOUT", "10", "GUNICORN_TIMEOUT=10 is too small — use at least 30"),
    ],
)
def test_it_refuses_a_setting_it_cannot_read(name: str, value: str, message: str) -> None:
    status, _, output = _printed_config(**{name: value})

    assert status != 0
    assert message in output


def test_it_names_every_setting_it_cannot_read_at_once_without_a_traceback() -> None:
    status, _, output = _printed_config(GUNICORN_WORKERS="many", GUNICORN_TIMEOUT="10")

    assert status == 1
    assert "Traceback" not in output
    assert output.splitlines() == [
        "Error: 2 settings are wrong:",
        "  - GUNICORN_WORKERS='many' is not a whole number — write it in digits, e.g. "
        f"{multiprocessing.cpu_count() * 2 + 1}",
        "  - GUNICORN_TIMEOUT=10 is too small — use at least 30",
    ]


def test_it_serves_the_app_and_keeps_links_and_query_strings_out_of_the_access_log(
    make_app: MakeApp, database_url: str, tmp_path: Path
) -> None:
    key = secrets.token_urlsafe(48)
    app = make_app(SECRET_KEY=key)
    with app.app_context():
        round_ = make_round()
        recipient = make_recipient(round_)
        token = issue_link(recipient, key)
        db.session.commit()
        round_id = round_.id
    access_log = tmp_path / "access.log"
    process, port = start_gunicorn(
        app_environment(database_url, key), workers=2, access_log=access_log
    )
    try:
        client = Client(port, "10.2.0.1")
        opened, _, _ = client.request("GET", f"/svara/{round_id}/{token}?utm_source=mejl")
        form, page, _ = client.request("GET", f"/svara/{round_id}")
        health, _, _ = client.request("GET", "/healthz?kontroll=hemlig")
        # Mangled forms of the link (issue 11): gunicorn logs the decoded path.
        mangled = [f"/svara/{round_id}/{token}/", f"/SVARA/{round_id}/{token}",
                   f"/svara/{token}", f"/svara/{round_id}/%20{token}",
                   f"/svara/{round_id}/{token}/klart"]  # fmt: skip
        for path in mangled:
            client.request("GET", path)
        client.close()
    finally:
        stop(process)

    assert (opened, form, health) == (303, 200, 200), page
    log = access_log.read_text(encoding="utf-8")
    assert f'"GET /svara/{round_id}/[personlig-länk] HTTP/1.1" 303' in log
    assert f'"GET /svara/{round_id} HTTP/1.1" 200' in log
    assert '"GET /healthz HTTP/1.1" 200' in log
    for secret in (token, token.lower(), "utm_source", "hemlig"):
        assert secret not in log
    assert log.count("[personlig-länk]") == 1 + len(mangled)


@pytest.mark.parametrize(
    ("trusted_proxies", "proxy_addresses", "seen_as"),
    [("1", "127.0.0.1", "10.2.0.9"), ("0", "127.0.0.1", "127.0.0.1"),
     # A caller that is not the configured proxy: its X-Forwarded-For is not believed.
     ("1", "10.0.1.10", "127.0.0.1")],
    ids=["1", "0", "1-not-from-the-proxy"],
)  # fmt: skip
def test_it_takes_the_client_address_from_the_proxy_only_when_told_to(
    make_app: MakeApp,
    database_url: str,
    trusted_proxies: str,
    proxy_addresses: str,
    seen_as: str,
) -> None:
    app = make_app()
    environment = app_environment(
        database_url,
        secrets.token_urlsafe(48),
        SURVEY_TRUSTED_PROXIES=trusted_proxies,
        SURVEY_PROXY_ADDRESSES=proxy_addresses,
    )
    process, port = start_gunicorn(environment, workers=1)
    try:
        client = Client(port, "10.2.0.9")  # sends X-Forwarded-For: 10.2.0.9, as nginx would
        status, _, _ = client.request("GET", f"/svara/1/{'x' * 43}")
        client.close()
    finally:
        stop(process)

    assert status == 404
    # A wrong link is counted against the client's address, in the database (shared by
    # every app server): the proxy's X-Forwarded-For only when SURVEY_TRUSTED_PROXIES says so.
    with app.app_context():
        counters = {row.key: row.count for row in db.session.scalars(select(RateLimitCounter))}
    assert counters == {counter_key("token-ip", seen_as): 1}
