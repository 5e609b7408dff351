"""Settings come from the environment; production refuses to start without safe ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from survey import create_app
from survey.errors import ErrorCode

STRONG_KEY = "k3y-" + "Zq8vN2xLp5RtY7wB4mC9dF6gH1jK0sA"


def production_env(**extra: str) -> dict[str, str]:
    env = {
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": "postgresql://survey@db/survey",
        "SURVEY_BASE_URL": "https://enkat.example.se",
    }
    env.update(extra)
    return env


def test_it_refuses_production_without_secret_key(tmp_path: Path) -> None:
    env = production_env()
    del env["SECRET_KEY"]
    with pytest.raises(ConfigError, match="SECRET_KEY is not set") as refused:
        load_settings("production", tmp_path, env)
    assert refused.value.code is ErrorCode.CONFIG_INVALID


def test_it_refuses_production_without_database_url(tmp_path: Path) -> None:
    env = production_env()
    del env["DATABASE_URL"]
    with pytest.raises(ConfigError, match="DATABASE_URL is not set") as refused:
        load_settings("production", tmp_path, env)
    assert refused.value.code is ErrorCode.CONFIG_INVALID


@pytest.mark.parametrize(
    "weak_key",
    ["dev", "changeme", "development-key-not-secret", "a" * 64, "short-but-varied-key-1234"],
)
def test_it_refuses_weak_secret_keys_in_production(tmp_path: Path, weak_key: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        load_settings("production", tmp_path, production_env(SECRET_KEY=weak_key))
    assert refused.value.code is ErrorCode.CONFIG_INVALID


def test_it_refuses_weak_fallback_keys_in_production(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS") as refused:
        load_settings("production", tmp_path, production_env(SECRET_KEY_FALLBACKS="changeme"))
    assert refused.value.code is ErrorCode.CONFIG_INVALID


def test_it_builds_production_settings_from_environment(tmp_path: Path) -> None:
    settings = load_settings(
        "production", tmp_path, production_env(MAIL_PORT="587", MAIL_USE_TLS="true")
    )
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://survey@db/survey"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["MAIL_PORT"] == 587
    assert settings["MAIL_USE_TLS"] is True


def test_it_hands_mail_over_durably_unless_told_otherwise(tmp_path: Path) -> None:
    assert load_settings("production", tmp_path, production_env())["SURVEY_MAIL_DURABLE_HANDOVER"]
    relaxed = production_env(SURVEY_MAIL_DURABLE_HANDOVER="false")
    assert load_settings("production", tmp_path, relaxed)["SURVEY_MAIL_DURABLE_HANDOVER"] is False


def test_it_reads_secrets_from_files(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(STRONG_KEY + "\n", encoding="utf-8")
    env = production_env(SECRET_KEY_FILE=str(key_file))
    del env["SECRET_KEY"]
    assert load_settings("production", tmp_path, env)["SECRET_KEY"] == STRONG_KEY


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS='maybe' is not a boolean"),
        ("MAIL_PORT", "twenty-five", "MAIL_PORT='twenty-five' is not a whole number"),
        ("SURVEY_ENV", "staging", "SURVEY_ENV='staging' is unknown"),
    ],
)
def test_it_refuses_malformed_settings(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        load_settings(None, tmp_path, {name: value})
    unknown = name == "SURVEY_ENV"
    assert refused.value.code is (
        ErrorCode.CONFIG_UNKNOWN_ENVIRONMENT if unknown else ErrorCode.CONFIG_INVALID
    )


def test_it_uses_sqlite_in_the_instance_folder_by_default(tmp_path: Path) -> None:
    settings = load_settings("development", tmp_path, {})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'survey.sqlite'}"
    assert settings["SURVEY_MAIL_DELIVERY"] == "outbox"


def test_it_starts_in_production_with_a_strong_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in production_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SURVEY_ENV", "production")
    app = create_app()
    assert app.config["SURVEY_ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_it_gives_development_a_random_key_of_its_own_kept_in_the_instance_folder(
    tmp_path: Path,
) -> None:
    first = load_settings("development", tmp_path, {})["SECRET_KEY"]
    again = load_settings("development", tmp_path, {})["SECRET_KEY"]
    other = load_settings("development", tmp_path / "other", {})["SECRET_KEY"]
    assert first == again != other
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_it_names_every_bad_setting_at_once(tmp_path: Path) -> None:
    env = production_env(
        MAIL_PORT="twenty-five",
        MAIL_USE_TLS="maybe",
        SURVEY_SESSION_HOURS="0",
        SURVEY_BASE_URL="http://enkat.example.se",
        MAIL_PASSWORD_FILE=str(tmp_path / "missing"),
    )
    del env["SECRET_KEY"]
    with pytest.raises(ConfigError) as refused:
        load_settings("production", tmp_path, env)

    problems = sorted(problem.split(" ", 1)[0] for problem in refused.value.problems)
    assert problems == [
        "MAIL_PASSWORD_FILE='" + str(tmp_path / "missing") + "'",
        "MAIL_PORT='twenty-five'",
        "MAIL_USE_TLS='maybe'",
        "SECRET_KEY",
        "SURVEY_BASE_URL='http://enkat.example.se'",
        "SURVEY_SESSION_HOURS=0",
    ]
    assert str(refused.value).startswith("6 settings are wrong:\n  - ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("yes", True), ("ON", True), ("1", True),
     ("false", False), ("No", False), ("off", False), ("0", False), ("", False)],
)  # fmt: skip
def test_it_reads_the_six_words_of_a_boolean_in_any_case(
    tmp_path: Path, value: str, expected: bool
) -> None:
    assert load_settings(None, tmp_path, {"MAIL_USE_TLS": value})["MAIL_USE_TLS"] is expected


@pytest.mark.parametrize("value", ["t", "y", "n", "2", "-1", "ja", "enabled", "truee"])
def test_it_refuses_every_other_boolean_instead_of_guessing(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"MAIL_USE_TLS='{value}' is not a boolean") as refused:
        load_settings(None, tmp_path, {"MAIL_USE_TLS": value})
    assert refused.value.code is ErrorCode.CONFIG_INVALID


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SURVEY_SESSION_HOURS", "0", "SURVEY_SESSION_HOURS=0 is too small — use at least 1"),
        ("SURVEY_MAIL_LEASE_SECONDS", "9",
         "SURVEY_MAIL_LEASE_SECONDS=9 is too small — use at least 10"),
        ("SURVEY_TRUSTED_PROXIES", "-1", "SURVEY_TRUSTED_PROXIES=-1 is too small — use at least 0"),
        ("SURVEY_MAX_IMPORT_MB", "0", "SURVEY_MAX_IMPORT_MB=0 is too small — use at least 1"),
        ("MAIL_PORT", "2.5", "MAIL_PORT='2.5' is not a whole number — write it in digits, e.g. 25"),
    ],
)  # fmt: skip
def test_it_refuses_numbers_below_their_minimum_or_not_whole(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(None, tmp_path, {name: value})
    assert str(refused.value) == message


def test_answers_files_have_a_limit_of_their_own(tmp_path: Path) -> None:
    settings = load_settings("production", tmp_path, production_env(SURVEY_MAX_IMPORT_MB="80"))
    assert settings["SURVEY_MAX_IMPORT_MB"] == 80
    assert settings["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert load_settings("testing", tmp_path, {})["SURVEY_MAX_IMPORT_MB"] == 50


def test_it_names_a_secret_file_it_cannot_read_and_the_way_out(tmp_path: Path) -> None:
    env = production_env(SECRET_KEY_FILE=str(tmp_path))
    with pytest.raises(ConfigError) as refused:
        load_settings("production", tmp_path, env)
    assert str(refused.value) == (
        f"SECRET_KEY_FILE='{tmp_path}' cannot be read: Is a directory — "
        "name a file this process can read, or set SECRET_KEY instead"
    )


def test_it_reads_no_variable_in_the_testing_configuration(tmp_path: Path) -> None:
    settings = load_settings("testing", tmp_path, {"MAIL_PORT": "x", "SECRET_KEY": "dev"})
    assert settings["MAIL_PORT"] == 1
    assert settings["SECRET_KEY"] == "testing-key-not-secret"
