"""The `survey` console command: the app's Flask CLI (so `flask --app survey ...` is the same)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from survey import create_app

cli = FlaskGroup(
    create_app=lambda: create_app(), help="Enkätmotorn: administration från kommandoraden."
)


def main() -> None:
    cli(prog_name="survey")
