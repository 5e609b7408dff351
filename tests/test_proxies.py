"""X-Forwarded-* believed only from the configured proxies (survey.proxies).

A caller that reaches the app server directly must not choose its own address with a
rotating X-Forwarded-For: that would take it past every throttle."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request

from config import ConfigError, load_settings
from survey.db import db
from survey.proxies import is_trusted, parse_networks
from tests.factories import MakeApp, login, make_user

DIRECT = {"REMOTE_ADDR": "203.0.113.50"}  # a caller on the network, not the proxy


def behind_nginx(make_app: MakeApp, **settings: object) -> Flask:
    app: Flask = make_app(
        SURVEY_TRUSTED_PROXIES=1,
        SURVEY_PROXY_ADDRESSES=["127.0.0.1", "10.0.1.0/24"],
        SURVEY_LOGIN_MAX_FAILURES=3,
        SURVEY_TOKEN_MAX_FAILURES=3,
        **settings,
    )
    return app


def test_it_throttles_a_direct_caller_however_it_rotates_x_forwarded_for(make_app: MakeApp) -> None:
    app = behind_nginx(make_app)
    with app.app_context():
        email = make_user("processledare", "NV").email
        db.session.commit()
    client = app.test_client()
    logins, links = [], []
    for number in range(30):
        forged = {"X-Forwarded-For": f"198.51.100.{number}"}
        response = login(client, email, "fel-1234567", headers=forged, environ_base=DIRECT)
        logins.append(response.status_code)
        response = client.get(f"/svara/1/{'Q' * 43}", headers=forged, environ_base=DIRECT)
        links.append(response.status_code)
    assert 429 in logins and logins.index(429) <= 3
    assert links[:3] == [404] * 3 and set(links[3:]) == {429}


def test_it_believes_the_forwarded_address_from_the_proxy(make_app: MakeApp) -> None:
    app = behind_nginx(make_app)
    client = app.test_client()
    for proxy in ("127.0.0.1", "10.0.1.10"):
        statuses = [
            client.get(
                f"/svara/1/{'Q' * 43}",
                headers={"X-Forwarded-For": f"198.51.100.{number}"},
                environ_base={"REMOTE_ADDR": proxy},
            ).status_code
            for number in range(10)
        ]
        # Ten clients behind the proxy, one wrong link each: none is throttled.
        assert statuses == [404] * 10, proxy


def test_it_drops_every_forwarded_header_from_anyone_else(make_app: MakeApp) -> None:
    app = behind_nginx(make_app)
    seen: dict[str, object] = {}

    @app.get("/test-proxy-view")
    def view() -> str:
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
        return "ok"

    headers = {
        "X-Forwarded-For": "192.0.2.1",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    app.test_client().get("/test-proxy-view", headers=headers, environ_base=DIRECT)
    assert seen == {"addr": "203.0.113.50", "scheme": "http", "host": "localhost"}
    app.test_client().get(
        "/test-proxy-view", headers=headers, environ_base={"REMOTE_ADDR": "10.0.1.10"}
    )
    assert seen == {"addr": "192.0.2.1", "scheme": "https", "host": "evil.example"}


@pytest.mark.parametrize(
    ("peer", "trusted"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.0.1.200", True),
        ("::ffff:10.0.1.7", True),
        ("10.0.2.1", False),
        ("", False),
        (None, False),
        ("not-an-address", False),
    ],
)
def test_it_recognises_the_proxies_by_address_or_network(peer: str, trusted: bool) -> None:
    networks = parse_networks(["127.0.0.1", "::1", "10.0.1.0/24"])
    assert is_trusted(peer, networks) is trusted


def test_it_refuses_a_proxy_address_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings("development", tmp_path, {"SURVEY_PROXY_ADDRESSES": "127.0.0.1,nginx"})
    assert "SURVEY_PROXY_ADDRESSES: 'nginx' is not an IP address or network" in (
        refused.value.format_message()
    )
