"""Requests that reach the app through a reverse proxy: whose X-Forwarded-* headers count."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    """Take the client address and scheme from the SURVEY_TRUSTED_PROXIES proxies in front."""
    proxies = int(app.config.get("SURVEY_TRUSTED_PROXIES", 0))
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
