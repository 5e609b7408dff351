"""The `survey` console command: the app's Flask CLI (so `flask --app survey ...` is the same)."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, ScriptInfo

from config import ConfigError
from survey import create_app


class SurveyGroup(FlaskGroup):
    """Flask's command group, which stops with the settings' message when listing commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a traceback when the app fails to load here (`survey`, `survey --help`);
        # a ConfigError already says what is wrong (a command's own lookup stops the same way).
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:
            exc.show()
            ctx.exit(exc.exit_code)
        return super().list_commands(ctx)


cli = SurveyGroup(
    create_app=lambda: create_app(), help="Enkätmotorn: administration från kommandoraden."
)


def main() -> None:
    cli(prog_name="survey")
