"""Privacy: the retention purge, requests of access and erasure, and their commands.

See docs/privacy.md for what personal data the engine stores, why and for how long.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register `survey privacy` (purge, export-person, erase-person)."""
    from survey.privacy.commands import privacy_cli

    app.cli.add_command(privacy_cli)
