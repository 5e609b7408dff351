"""A bad setting stops `survey`, `flask --app survey` and gunicorn with one message, no traceback.

Each test runs the real console script, as an operator would, in production settings
with one or two variables wrong. The database is never reached: the settings stop it first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gunicorn_helpers import app_environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STRONG_KEY = "k3y-" + "Zq8vN2xLp5RtY7wB4mC9dF6gH1jK0sA"
UNREACHABLE_DATABASE = "postgresql://survey@127.0.0.1:9/survey"


def run(command: list[str], settings: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    """Run `command` from the project's bin directory; a setting given as None is unset."""
    environment = app_environment(UNREACHABLE_DATABASE, STRONG_KEY)
    for name, value in settings.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused_in_one_line(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in done.stderr


@pytest.mark.parametrize(
    ("settings", "fragments"),
    [
        ({"SECRET_KEY": "dev"},
         ["SECRET_KEY is a known example or trivially weak", "secrets.token_urlsafe(48)"]),
        ({"SECRET_KEY": None},
         ["SECRET_KEY is not set", "a random key of at least 32 characters"]),
        ({"SECRET_KEY": None, "SECRET_KEY_FILE": "/nonexistent/survey-key"},
         ["SECRET_KEY_FILE='/nonexistent/survey-key' cannot be read", "or set SECRET_KEY instead"]),
        ({"MAIL_USE_TLS": "maybe"}, ["MAIL_USE_TLS='maybe' is not a boolean", "use true or false"]),
        ({"MAIL_PORT": "smtp"}, ["MAIL_PORT='smtp' is not a whole number", "in digits, e.g. 25"]),
        ({"SURVEY_MAIL_LEASE_SECONDS": "5"},
         ["SURVEY_MAIL_LEASE_SECONDS=5 is too small", "use at least 10"]),
        ({"SURVEY_BASE_URL": "http://enkat.example.se"},
         ["SURVEY_BASE_URL='http://enkat.example.se' is not an https:// address",
          "SURVEY_ALLOW_HTTP"]),
        ({"SURVEY_ENV": "staging"}, ["SURVEY_ENV='staging' is unknown", "use one of: development"]),
        ({"MAIL_DEFAULT_SENDER": "ingen adress"},
         ["MAIL_DEFAULT_SENDER", "set MAIL_DEFAULT_SENDER to e.g. enkat@region.se"]),
        ({"SURVEY_MAIL_DELIVERY": "print"},
         ["SURVEY_MAIL_DELIVERY='print' is unknown", "use smtp (send) or outbox"]),
    ],
    ids=["weak-key", "no-key", "unreadable-key-file", "boolean", "number", "minimum", "http",
         "unknown-configuration", "mail-sender", "mail-delivery"],
)  # fmt: skip
def test_it_stops_the_survey_command_with_one_line_naming_the_setting_and_the_fix(
    settings: dict[str, str | None], fragments: list[str]
) -> None:
    assert_refused_in_one_line(run(["survey", "db", "upgrade"], settings), *fragments)


@pytest.mark.parametrize(
    "command",
    [["survey", "--help"], ["survey"], ["flask", "--app", "survey", "db", "upgrade"]],
    ids=["survey-help", "survey-alone", "flask"],
)
def test_it_stops_listing_commands_and_flask_the_same_way(command: list[str]) -> None:
    done = run(command, {"SECRET_KEY": "changeme"})

    assert_refused_in_one_line(done, "SECRET_KEY is a known example or trivially weak")


def test_it_names_every_bad_setting_at_once() -> None:
    done = run(["survey", "db", "upgrade"], {"SECRET_KEY": "dev", "MAIL_PORT": "twenty-five"})

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "Error: 2 settings are wrong:",
        "  - SECRET_KEY is a known example or trivially weak — generate a random key, "
        "e.g. with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`",
        "  - MAIL_PORT='twenty-five' is not a whole number — write it in digits, e.g. 25",
    ]


def test_it_names_every_bad_mail_setting_at_once() -> None:
    done = run(
        ["survey", "db", "upgrade"],
        {"SURVEY_MAIL_DELIVERY": "print", "MAIL_DEFAULT_SENDER": "ingen adress"},
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "Error: 2 settings are wrong:"
    assert lines[1].startswith("  - SURVEY_MAIL_DELIVERY='print' is unknown")
    assert lines[2].startswith("  - MAIL_DEFAULT_SENDER")
    assert len(lines) == 3


def test_it_stops_gunicorn_before_any_worker_with_one_line() -> None:
    done = run(
        ["gunicorn", "-c", "gunicorn.conf.py", "survey:create_app()"],
        {"SECRET_KEY": "dev", "GUNICORN_BIND": "127.0.0.1:0", "GUNICORN_WORKERS": "1"},
    )

    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "Booting worker" not in output
    errors = [line for line in output.splitlines() if "Error" in line or "ERROR" in line]
    assert errors == [
        "Error: SECRET_KEY is a known example or trivially weak — generate a random key, "
        "e.g. with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
    ]
