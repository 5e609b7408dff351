"""Requests that reach the app through a reverse proxy: whose X-Forwarded-* headers count.

`SURVEY_TRUSTED_PROXIES` says how many proxies stand in front; their headers are believed
only on a request whose immediate peer is one of `SURVEY_PROXY_ADDRESSES` (like gunicorn's
FORWARDED_ALLOW_IPS). A caller who reaches the app server directly, from anywhere else,
has its X-Forwarded-* headers removed: it cannot choose its own address (and so dodge the
throttling) or pretend to have come over https.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(addresses: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(address.strip(), strict=False) for address in addresses]


def is_trusted(peer: str | None, networks: Iterable[Network]) -> bool:
    """Tell whether the immediate peer's address lies in one of the proxies' networks."""
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class TrustedProxyFix:
    """ProxyFix for requests from the configured proxies; forwarded headers dropped for others."""

    def __init__(self, app: WSGIApplication, proxies: int, networks: Iterable[Network]) -> None:
        self.app = app
        self.networks = list(networks)
        self.fixed = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=proxies)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if is_trusted(environ.get("REMOTE_ADDR"), self.networks):
            return self.fixed(environ, start_response)
        for header in FORWARDED_HEADERS:
            environ.pop(header, None)
        return self.app(environ, start_response)


def trust_proxies(app: Flask) -> None:
    """Take address and scheme from the SURVEY_TRUSTED_PROXIES proxies, if they sent the request."""
    proxies = int(app.config.get("SURVEY_TRUSTED_PROXIES", 0))
    if proxies > 0:
        networks = parse_networks(app.config.get("SURVEY_PROXY_ADDRESSES", ["127.0.0.1", "::1"]))
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, proxies, networks
        )
