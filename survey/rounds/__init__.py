"""Rounds: settings, recipients, personal links, reminders, status, the pages and commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Flask


def link_at_send_time(recipient_ids: Sequence[int]) -> Mapping[int, str]:
    """The live personal links of a batch's recipients, put into mail as it is sent."""
    from survey.rounds.service import live_links

    return live_links(recipient_ids)


def init_app(app: Flask) -> None:
    """Register the round pages, the `round` commands, the menu item and the link field."""
    from survey.accounts.models import Role
    from survey.accounts.permissions import register_menu_item
    from survey.mail.worker import register_send_time_field
    from survey.rounds.commands import round_cli
    from survey.rounds.tokens import LINK_MARKER
    from survey.rounds.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(round_cli)
    register_menu_item(
        "rounds.list_rounds", "Omgångar", [Role.PROCESS_LEADER, Role.READER], order=10
    )
    register_send_time_field(app, LINK_MARKER, link_at_send_time)
