"""Settings for the survey engine, read from environment variables.

Three named configurations exist: ``development`` (the default: SQLite in the instance
folder, mail kept in the outbox), ``testing`` and ``production``. Every setting an
operator needs is an environment variable; the README lists them all.

Parsing is strict: a boolean that is neither true nor false, or a number that is not a
number, stops the app with a message naming the variable instead of being guessed.
A secret may also be given as ``<NAME>_FILE`` (a path whose content is the secret).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent

# Keys that must never be accepted in production: the examples from our own docs.
KNOWN_WEAK_SECRET_KEYS = frozenset(
    {
        "dev",
        "development",
        "secret",
        "changeme",
        "change-me",
        "test",
        "testing",
        "development-key-not-secret",
        "testing-key-not-secret",
    }
)
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def env_str(
    name: str, default: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """Return the variable, or the content of the file named by ``<NAME>_FILE``."""
    env = os.environ if env is None else env
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}") from exc
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    """Parse a boolean strictly: true/false, yes/no, on/off, 1/0."""
    raw = env_str(name, None, env)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean — use true or false")


def env_int(name: str, default: int, env: Mapping[str, str] | None = None, minimum: int = 0) -> int:
    """Parse a whole number, refusing anything below ``minimum``."""
    raw = env_str(name, None, env)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is too small — use at least {minimum}")
    return value


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _common(env: Mapping[str, str]) -> dict[str, Any]:
    fallbacks = env_str("SECRET_KEY_FALLBACKS", "", env) or ""
    return {
        "SECRET_KEY_FALLBACKS": [key.strip() for key in fallbacks.split(",") if key.strip()],
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # A respondent may take an hour over a form: the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=env_int("SURVEY_SESSION_HOURS", 12, env, 1)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "survey_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": env_int("SURVEY_MAX_UPLOAD_MB", 10, env, 1) * 1024 * 1024,
        "SURVEY_BASE_URL": (env_str("SURVEY_BASE_URL", "http://127.0.0.1:5000", env) or "").rstrip(
            "/"
        ),
        "SURVEY_ORGANISATION_NAME": env_str("SURVEY_ORGANISATION_NAME", "Vårdsamverkan Skåne", env),
        "SURVEY_CONTACT_EMAIL": env_str("SURVEY_CONTACT_EMAIL", "naravard@example.se", env),
        # Mail: "smtp" delivers through MAIL_SERVER; "outbox" keeps every message in the outbox.
        "SURVEY_MAIL_DELIVERY": env_str("SURVEY_MAIL_DELIVERY", "smtp", env),
        "SURVEY_MAIL_BATCH_SIZE": env_int("SURVEY_MAIL_BATCH_SIZE", 200, env, 1),
        "SURVEY_MAIL_MAX_ATTEMPTS": env_int("SURVEY_MAIL_MAX_ATTEMPTS", 8, env, 1),
        "SURVEY_MAIL_LEASE_SECONDS": env_int("SURVEY_MAIL_LEASE_SECONDS", 300, env, 10),
        # Wait for the disk before each hand-over to SMTP (see survey/mail/worker.py).
        "SURVEY_MAIL_DURABLE_HANDOVER": env_bool("SURVEY_MAIL_DURABLE_HANDOVER", True, env),
        "MAIL_SERVER": env_str("MAIL_SERVER", "localhost", env),
        "MAIL_PORT": env_int("MAIL_PORT", 25, env, 1),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False, env),
        "MAIL_USE_SSL": env_bool("MAIL_USE_SSL", False, env),
        "MAIL_USERNAME": env_str("MAIL_USERNAME", None, env),
        "MAIL_PASSWORD": env_str("MAIL_PASSWORD", None, env),
        "MAIL_DEFAULT_SENDER": env_str("MAIL_DEFAULT_SENDER", "enkat@example.se", env),
        "MAIL_TIMEOUT_SECONDS": env_int("MAIL_TIMEOUT_SECONDS", 30, env, 1),
        "SURVEY_MIN_RESPONSES": env_int("SURVEY_MIN_RESPONSES", 1, env, 1),
        "SURVEY_RETENTION_DAYS": env_int("SURVEY_RETENTION_DAYS", 730, env, 1),
        "SURVEY_LOGIN_MAX_FAILURES": env_int("SURVEY_LOGIN_MAX_FAILURES", 5, env, 1),
        "SURVEY_LOGIN_WINDOW_SECONDS": env_int("SURVEY_LOGIN_WINDOW_SECONDS", 900, env, 1),
        "SURVEY_TOKEN_MAX_FAILURES": env_int("SURVEY_TOKEN_MAX_FAILURES", 20, env, 1),
        "SURVEY_TOKEN_WINDOW_SECONDS": env_int("SURVEY_TOKEN_WINDOW_SECONDS", 600, env, 1),
        "SURVEY_TRUSTED_PROXIES": env_int("SURVEY_TRUSTED_PROXIES", 0, env, 0),
        "SURVEY_LOG_LEVEL": env_str("SURVEY_LOG_LEVEL", "INFO", env),
    }


def instance_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder, made on first use.

    Development never uses a key known from the source code: a laptop (or a server started
    without SURVEY_ENV=production by mistake) still signs sessions with a secret of its own.
    """
    key_file = instance_path / "secret_key"
    try:
        return key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    partial = instance_path / f".secret_key.{os.getpid()}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    try:
        # Whole or not at all; if another process got there first, its key wins.
        os.link(partial, key_file)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return key_file.read_text(encoding="utf-8").strip()


def development(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Laptop settings: SQLite in the instance folder, mail kept in the outbox."""
    settings = _common(env)
    database_url = env_str("DATABASE_URL", None, env)
    settings.update(
        SURVEY_ENV="development",
        DEBUG=False,
        SECRET_KEY=env_str("SECRET_KEY", None, env) or instance_secret_key(instance_path),
        SQLALCHEMY_DATABASE_URI=normalise_database_url(database_url)
        if database_url
        else f"sqlite:///{instance_path / 'survey.sqlite'}",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
        SURVEY_MAIL_DELIVERY=env_str("SURVEY_MAIL_DELIVERY", "outbox", env),
    )
    return settings


def testing(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Test settings; the test suite passes the database URL explicitly."""
    settings = _common({})
    settings.update(
        SURVEY_ENV="testing",
        TESTING=True,
        SECRET_KEY="testing-key-not-secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
        WTF_CSRF_ENABLED=False,
        # Argon2's cheapest parameters: a test logs in many times (never set outside tests).
        SURVEY_FAST_PASSWORD_HASHING=True,
        SURVEY_MAIL_DELIVERY="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=1,
        MAIL_TIMEOUT_SECONDS=5,
        SURVEY_BASE_URL="http://localhost",
    )
    return settings


def production(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Production settings; refuses to start without a strong key and a database URL."""
    settings = _common(env)
    secret_key = env_str("SECRET_KEY", None, env)
    if secret_key is None:
        raise ConfigError(
            "SECRET_KEY is not set — production needs a random key of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters, e.g. from `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`"
        )
    check_secret_key_strength(secret_key, "SECRET_KEY")
    for old_key in settings["SECRET_KEY_FALLBACKS"]:
        check_secret_key_strength(old_key, "SECRET_KEY_FALLBACKS")
    database_url = env_str("DATABASE_URL", None, env)
    if database_url is None:
        raise ConfigError(
            "DATABASE_URL is not set — production needs a PostgreSQL URL such as "
            "postgresql://user@db-host:5432/survey"
        )
    if not settings["SURVEY_BASE_URL"].startswith("https://") and not env_bool(
        "SURVEY_ALLOW_HTTP", False, env
    ):
        raise ConfigError(
            f"SURVEY_BASE_URL={settings['SURVEY_BASE_URL']!r} is not an https:// address — "
            "links in emails must use https (set SURVEY_ALLOW_HTTP=true only behind a test proxy)"
        )
    settings.update(
        SURVEY_ENV="production",
        SECRET_KEY=secret_key,
        SQLALCHEMY_DATABASE_URI=normalise_database_url(database_url),
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
        PREFERRED_URL_SCHEME="https",
    )
    return settings


def check_secret_key_strength(key: str, name: str) -> None:
    """Refuse keys that are short, known examples, or made of one repeated character."""
    if key.lower() in KNOWN_WEAK_SECRET_KEYS or len(set(key)) < 8:
        raise ConfigError(f"{name} is a known example or trivially weak — generate a random key")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{name} is {len(key)} characters — use a random key of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters"
        )


CONFIGURATIONS = {"development": development, "testing": testing, "production": production}


def load_settings(
    name: str | None, instance_path: Path, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the settings of the named configuration (default: ``SURVEY_ENV`` or development)."""
    env = os.environ if env is None else env
    chosen = name or env_str("SURVEY_ENV", "development", env) or "development"
    try:
        build = CONFIGURATIONS[chosen]
    except KeyError:
        raise ConfigError(
            f"SURVEY_ENV={chosen!r} is unknown — use one of: {', '.join(CONFIGURATIONS)}"
        ) from None
    return build(env, instance_path)
