"""Settings for the survey engine, read from environment variables.

Three named configurations exist: ``development`` (the default: SQLite in the instance
folder, mail kept in the outbox), ``testing`` and ``production``. Every setting an
operator needs is an environment variable; the README lists them all.

Each configuration declares its variables as a pydantic-settings model: typed, bounded,
read by `EnvironmentSource`. Parsing is strict: a boolean that is neither true nor false,
or a number that is not a number, is refused instead of guessed, and one `ConfigError`
names every variable that is wrong and how to fix it. A secret may also be given as
``<NAME>_FILE`` (a path whose content is the secret).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import (
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from survey.errors import CommandError, ErrorCode

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
MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class ConfigError(CommandError):
    """Settings are missing or malformed; the message says which and how to fix each one."""

    # A click exception: `survey` and `flask --app survey` print its message alone and exit
    # with status 1, where any other exception would show a traceback.

    code = ErrorCode.CONFIG_INVALID

    def __init__(self, *problems: str, code: ErrorCode | None = None) -> None:
        self.problems = problems
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} settings are wrong:\n" + "\n".join(
                f"  - {problem}" for problem in problems
            )
        super().__init__(message, code=code)


def _refuse(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as it is (braces and all)."""
    return PydanticCustomError("setting", "{message}", {"message": message})


class UnreadableFile(NamedTuple):
    """What `EnvironmentSource` gives a field whose ``<NAME>_FILE`` cannot be read."""

    path: str
    reason: str


class EnvironmentSource(PydanticBaseSettingsSource):
    """Each field from its variable, or from the file ``<NAME>_FILE`` names; blank is unset."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Return the value (None when unset), the variable it came from, and False (simple)."""
        file_variable = f"{field_name}_FILE"
        file_name = self.env.get(file_variable)
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").strip(), file_variable, False
            except OSError as exc:
                return UnreadableFile(file_name, exc.strerror or str(exc)), file_variable, False
            except UnicodeDecodeError:
                return UnreadableFile(file_name, "it is not UTF-8 text"), file_variable, False
        value = self.env.get(field_name)
        if value is None or value.strip() == "":
            return None, field_name, False
        return value.strip(), field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, field in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(field, name)
            if value is not None:
                values[name] = value
        return values


# The variables a model reads: os.environ, unless `read_environment` is given another mapping.
_ENVIRONMENT: ContextVar[Mapping[str, str]] = ContextVar("environment", default=os.environ)


class Environment(BaseSettings):
    """Variables read from the environment (or ``<NAME>_FILE``) only: no .env file, no guessing."""

    model_config = SettingsConfigDict(frozen=True, validate_default=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, EnvironmentSource(settings_cls, _ENVIRONMENT.get())

    @field_validator("*", mode="before")
    @classmethod
    def _readable(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, UnreadableFile):
            raise _refuse(
                f"{info.field_name}_FILE={value.path!r} cannot be read: {value.reason} — "
                f"name a file this process can read, or set {info.field_name} instead"
            )
        return value


def _whole_number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        # The message (with the field's default as an example) is made by _problem.
        raise PydanticCustomError("not_whole_number", "not a whole number") from None


def _boolean(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str):
        return value
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise _refuse(f"{info.field_name}={value!r} is not a boolean — use true or false")


def _comma_separated(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return [part.strip() for part in value.split(",") if part.strip()]


def _without_trailing_slash(url: Any) -> Any:
    return url.rstrip("/") if isinstance(url, str) else url


WholeNumber = Annotated[int, BeforeValidator(_whole_number), Strict()]
Boolean = Annotated[bool, BeforeValidator(_boolean), Strict()]
CommaSeparated = Annotated[list[str], BeforeValidator(_comma_separated)]
Address = Annotated[str, BeforeValidator(_without_trailing_slash)]


def _problem(model: type[Environment], error: ErrorDetails) -> str:
    """One line for one validation error: which variable, what is wrong, how to fix it."""
    name = ".".join(str(part) for part in error["loc"])
    if error["type"] == "setting":
        return error["msg"]
    if error["type"] == "not_whole_number":
        example = model.model_fields[name].get_default(call_default_factory=True)
        hint = f", e.g. {example}" if isinstance(example, int) else ""
        return f"{name}={error['input']!r} is not a whole number — write it in digits{hint}"
    if error["type"] == "missing":
        # Every required variable has a description that says what to set.
        return f"{name} is not set — {model.model_fields[name].description}"
    if error["type"] == "greater_than_equal":
        return f"{name}={error['input']} is too small — use at least {error['ctx']['ge']}"
    return f"{name}={error['input']!r}: {error['msg']}"


SettingsModel = TypeVar("SettingsModel", bound=Environment)


def read_environment(
    model: type[SettingsModel], env: Mapping[str, str] | None = None
) -> SettingsModel:
    """Read `model`'s variables from `env` (default: os.environ), or name every bad one."""
    token = _ENVIRONMENT.set(os.environ if env is None else env)
    try:
        return model()
    except ValidationError as exc:
        raise ConfigError(
            *(_problem(model, error) for error in exc.errors()), code=ErrorCode.CONFIG_INVALID
        ) from None
    finally:
        _ENVIRONMENT.reset(token)


class ConfigurationChoice(Environment):
    """Which configuration to build."""

    SURVEY_ENV: str = "development"


class CommonEnvironment(Environment):
    """The variables every configuration reads (testing reads none: it takes the defaults)."""

    SECRET_KEY: str | None = None
    SECRET_KEY_FALLBACKS: CommaSeparated = Field(default_factory=list)
    DATABASE_URL: str | None = None
    SURVEY_SESSION_HOURS: WholeNumber = Field(12, ge=1)
    SURVEY_MAX_UPLOAD_MB: WholeNumber = Field(10, ge=1)
    # An answers file on the import page (checked and imported by a job): its own limit.
    SURVEY_MAX_IMPORT_MB: WholeNumber = Field(50, ge=1)
    SURVEY_BASE_URL: Address = "http://127.0.0.1:5000"
    SURVEY_ORGANISATION_NAME: str = "Vårdsamverkan Skåne"
    SURVEY_CONTACT_EMAIL: str = "naravard@example.se"
    # Mail: "smtp" delivers through MAIL_SERVER; "outbox" keeps every message in the outbox.
    SURVEY_MAIL_DELIVERY: str = "smtp"
    SURVEY_MAIL_BATCH_SIZE: WholeNumber = Field(200, ge=1)
    SURVEY_MAIL_MAX_ATTEMPTS: WholeNumber = Field(8, ge=1)
    SURVEY_MAIL_LEASE_SECONDS: WholeNumber = Field(300, ge=10)
    # Jobs (survey/jobs): a worker's lease on a job, and how long finished files are kept.
    SURVEY_JOB_LEASE_SECONDS: WholeNumber = Field(300, ge=10)
    SURVEY_JOB_KEEP_HOURS: WholeNumber = Field(24, ge=1)
    # Results kept in memory per app process (survey/results/cache.py); 0 turns it off.
    SURVEY_RESULTS_CACHE_ENTRIES: WholeNumber = Field(64, ge=0)
    # Wait for the disk before each hand-over to SMTP (see survey/mail/worker.py).
    SURVEY_MAIL_DURABLE_HANDOVER: Boolean = True
    MAIL_SERVER: str = "localhost"
    MAIL_PORT: WholeNumber = Field(25, ge=1)
    MAIL_USE_TLS: Boolean = False
    MAIL_USE_SSL: Boolean = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER: str = "enkat@example.se"
    MAIL_TIMEOUT_SECONDS: WholeNumber = Field(30, ge=1)
    SURVEY_MIN_RESPONSES: WholeNumber = Field(1, ge=1)
    SURVEY_RETENTION_DAYS: WholeNumber = Field(730, ge=1)
    # A lokal samverkan whose plan has not changed for this many days gets a reminder.
    SURVEY_GROUP_QUIET_DAYS: WholeNumber = Field(90, ge=1)
    SURVEY_LOGIN_MAX_FAILURES: WholeNumber = Field(5, ge=1)
    SURVEY_LOGIN_WINDOW_SECONDS: WholeNumber = Field(900, ge=1)
    SURVEY_TOKEN_MAX_FAILURES: WholeNumber = Field(20, ge=1)
    SURVEY_TOKEN_WINDOW_SECONDS: WholeNumber = Field(600, ge=1)
    SURVEY_TRUSTED_PROXIES: WholeNumber = Field(0, ge=0)
    # Whose X-Forwarded-* headers count (addresses or networks): only the proxy's own.
    SURVEY_PROXY_ADDRESSES: CommaSeparated = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    SURVEY_LOG_LEVEL: str = "INFO"

    @field_validator("SURVEY_PROXY_ADDRESSES")
    @classmethod
    def _proxy_addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError:
                raise _refuse(
                    f"SURVEY_PROXY_ADDRESSES: {address!r} is not an IP address or network — "
                    "list the reverse proxy's addresses, e.g. 127.0.0.1,10.0.1.10"
                ) from None
        return addresses


class DevelopmentEnvironment(CommonEnvironment):
    """Development keeps mail in the outbox unless told otherwise."""

    SURVEY_MAIL_DELIVERY: str = "outbox"


class ProductionEnvironment(CommonEnvironment):
    """Production needs a strong key, a database URL and https links."""

    # A missing one is named with its description.
    SECRET_KEY: str = Field(
        description=f"production needs a random key of at least {MIN_SECRET_KEY_LENGTH} "
        f"characters, e.g. from `{MAKE_A_KEY}`"
    )
    DATABASE_URL: str = Field(
        description="production needs a PostgreSQL URL such as postgresql://user@db-host:5432/survey"
    )
    # Declared after SURVEY_BASE_URL, so that its check below sees that address.
    SURVEY_ALLOW_HTTP: Boolean = False

    @field_validator("SECRET_KEY")
    @classmethod
    def _strong_key(cls, key: str) -> str:
        weakness = secret_key_weakness(key, "SECRET_KEY")
        if weakness:
            raise _refuse(weakness)
        return key

    @field_validator("SECRET_KEY_FALLBACKS")
    @classmethod
    def _strong_fallbacks(cls, keys: list[str]) -> list[str]:
        for key in keys:
            weakness = secret_key_weakness(key, "SECRET_KEY_FALLBACKS")
            if weakness:
                raise _refuse(weakness)
        return keys

    @field_validator("SURVEY_ALLOW_HTTP")
    @classmethod
    def _https_links(cls, allow_http: bool, info: ValidationInfo) -> bool:
        base_url = info.data.get("SURVEY_BASE_URL")
        if base_url is not None and not base_url.startswith("https://") and not allow_http:
            raise _refuse(
                f"SURVEY_BASE_URL={base_url!r} is not an https:// address — links in emails "
                "must use https (set SURVEY_ALLOW_HTTP=true only behind a test proxy)"
            )
        return allow_http


def secret_key_weakness(key: str, name: str) -> str | None:
    """Say why a key is refused (short, a known example, too few characters), or None."""
    if key.lower() in KNOWN_WEAK_SECRET_KEYS or len(set(key)) < 8:
        return (
            f"{name} is a known example or trivially weak — generate a random key, "
            f"e.g. with `{MAKE_A_KEY}`"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"{name} is {len(key)} characters — use a random key of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters"
        )
    return None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Variables that do not pass to the app's settings under their own name.
_NOT_PASSED_AS_THEY_ARE = {
    "SECRET_KEY",
    "DATABASE_URL",
    "SURVEY_SESSION_HOURS",
    "SURVEY_MAX_UPLOAD_MB",
    "SURVEY_ALLOW_HTTP",
}


def _common(read: CommonEnvironment) -> dict[str, Any]:
    return {
        **read.model_dump(exclude=_NOT_PASSED_AS_THEY_ARE),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # A respondent may take an hour over a form: the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=read.SURVEY_SESSION_HOURS),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "survey_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": read.SURVEY_MAX_UPLOAD_MB * 1024 * 1024,
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
    read = read_environment(DevelopmentEnvironment, env)
    settings = _common(read)
    settings.update(
        SURVEY_ENV="development",
        DEBUG=False,
        SECRET_KEY=read.SECRET_KEY or instance_secret_key(instance_path),
        SQLALCHEMY_DATABASE_URI=normalise_database_url(read.DATABASE_URL)
        if read.DATABASE_URL
        else f"sqlite:///{instance_path / 'survey.sqlite'}",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
    )
    return settings


def testing(env: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Test settings; the test suite passes the database URL explicitly."""
    settings = _common(read_environment(CommonEnvironment, {}))
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
    read = read_environment(ProductionEnvironment, env)
    settings = _common(read)
    settings.update(
        SURVEY_ENV="production",
        SECRET_KEY=read.SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=normalise_database_url(read.DATABASE_URL),
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
        PREFERRED_URL_SCHEME="https",
    )
    return settings


CONFIGURATIONS = {"development": development, "testing": testing, "production": production}


def load_settings(
    name: str | None, instance_path: Path, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the settings of the named configuration (default: ``SURVEY_ENV`` or development)."""
    env = os.environ if env is None else env
    chosen = name or read_environment(ConfigurationChoice, env).SURVEY_ENV
    try:
        build = CONFIGURATIONS[chosen]
    except KeyError:
        raise ConfigError(
            f"SURVEY_ENV={chosen!r} is unknown — use one of: {', '.join(CONFIGURATIONS)}",
            code=ErrorCode.CONFIG_UNKNOWN_ENVIRONMENT,
        ) from None
    return build(env, instance_path)
