"""Survey engine for Swedish collaborative health care: questionnaires, rounds, results."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from config import PROJECT_ROOT, load_settings


def create_app(config: str | Mapping[str, Any] | None = None) -> Flask:
    """Assemble the application.

    `config` is the name of a configuration ("development", "testing", "production"),
    a mapping of settings applied on top of the configuration named by its
    ``SURVEY_ENV`` key (or the environment), or None for the environment's choice.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )
    overrides: Mapping[str, Any] = {}
    name: str | None
    if isinstance(config, Mapping):
        overrides = config
        name = overrides.get("SURVEY_ENV")
    else:
        name = config
    app.config.from_mapping(load_settings(name, Path(app.instance_path)))
    app.config.from_mapping(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from survey import (
        accounts,
        answering,
        audit,
        database,
        export,
        mail,
        pages,
        privacy,
        questionnaires,
        results,
        rounds,
        security,
        ticks,
    )

    for part in (
        database,
        security,
        pages,
        audit,
        accounts,
        questionnaires,
        rounds,
        mail,
        answering,
        results,
        export,
        privacy,
        ticks,
    ):
        part.init_app(app)
    return app
