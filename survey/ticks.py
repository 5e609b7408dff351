"""`survey tick`: the idempotent scheduled work run from cron or a systemd timer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the tick command."""
