"""Gunicorn settings for the survey engine (docs/deployment.md); each one from the environment.

    gunicorn -c gunicorn.conf.py "survey:create_app()"

The app itself reads its settings (SURVEY_ENV=production, SECRET_KEY, DATABASE_URL, …)
from the same environment. These are gunicorn's:

=========================  ==================  =============================================
variable                   default             meaning
=========================  ==================  =============================================
``GUNICORN_BIND``          ``127.0.0.1:8000``  address (or ``unix:/run/survey/app.sock``)
``GUNICORN_WORKERS``       2 × cores + 1       worker processes
``GUNICORN_THREADS``       ``1``               threads per worker; more than 1 uses the
                                               ``gthread`` worker
``GUNICORN_TIMEOUT``       ``120``             seconds a request may take (an Excel export
                                               of 100,000 responses takes tens of seconds)
``FORWARDED_ALLOW_IPS``    ``127.0.0.1,::1``   addresses of the proxies whose
                                               ``X-Forwarded-Proto`` gunicorn trusts (read
                                               by gunicorn itself)
``GUNICORN_ACCESS_LOG``    ``-`` (stdout)      access log file; ``off`` for none
``GUNICORN_LOG_LEVEL``     ``info``            gunicorn's own log level
=========================  ==================  =============================================

The access log holds no query strings, referrers or user agents, and personal links in
request paths are blanked: `post_worker_init` installs the log filter of
`survey.logredact` on gunicorn's loggers, so ``/svara/12/<token>`` is written
``/svara/12/[personlig-länk]``.

A bad setting, gunicorn's or the app's, stops gunicorn before it starts a worker, with one
message that names each one and how to fix it.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from typing import Any

from gunicorn.glogging import Logger
from pydantic import Field

from config import ConfigError, Environment, WholeNumber, read_environment


class GunicornEnvironment(Environment):
    """gunicorn's variables (the table above; FORWARDED_ALLOW_IPS is read by gunicorn)."""

    GUNICORN_BIND: str = "127.0.0.1:8000"
    GUNICORN_WORKERS: WholeNumber = Field(
        default_factory=lambda: multiprocessing.cpu_count() * 2 + 1, ge=1
    )
    GUNICORN_THREADS: WholeNumber = Field(1, ge=1)
    # An export of a national round (100,000 responses) is built within the request.
    GUNICORN_TIMEOUT: WholeNumber = Field(120, ge=30)
    GUNICORN_ACCESS_LOG: str = "-"
    GUNICORN_LOG_LEVEL: str = "info"


try:
    _environment = read_environment(GunicornEnvironment)
except ConfigError as exc:
    # The message alone: gunicorn shows a traceback for an error raised by its config file.
    sys.exit(f"Error: {exc.format_message()}")

bind = [_environment.GUNICORN_BIND]
workers = _environment.GUNICORN_WORKERS
threads = _environment.GUNICORN_THREADS
worker_class = "gthread" if threads > 1 else "sync"
timeout = _environment.GUNICORN_TIMEOUT
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so that no slow leak can build up.
max_requests = 2000
max_requests_jitter = 200

_access_log = _environment.GUNICORN_ACCESS_LOG
accesslog = None if _access_log == "off" else _access_log
# Method, path and protocol (%(U)s: the path without the query string), status, bytes,
# milliseconds. No %(r)s, %(q)s, %(f)s (referrer) or %(a)s (user agent).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, building only the atoms `access_log_format` uses.

    gunicorn's own puts every request header, response header and environ variable into
    the atoms of every line, which costs more than a small page does; a line is the same.
    """

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "t": self.now(),
            "m": environ.get("REQUEST_METHOD"),
            "U": environ.get("PATH_INFO"),
            "H": environ.get("SERVER_PROTOCOL"),
            "s": status,
            "B": getattr(resp, "sent", None),
            "M": request_time.seconds * 1000 + int(request_time.microseconds / 1000),
        }


logger_class = AccessLogger
errorlog = "-"
loglevel = _environment.GUNICORN_LOG_LEVEL


def _redact_personal_links() -> None:
    from survey.logredact import install_log_redaction

    install_log_redaction()


def on_starting(server: Any) -> None:
    """Refuse to start, with the app's own message, when its settings are wrong."""
    # Otherwise each worker would fail to build the app and gunicorn would print its
    # traceback before giving up. The app is built here and thrown away, not preloaded:
    # each worker builds its own, so that a reload (HUP) still loads new code.
    from survey import create_app

    try:
        create_app()
    except ConfigError as exc:
        sys.exit(f"Error: {exc.format_message()}")


def when_ready(server: Any) -> None:
    """Blank personal links in the master's own log lines too."""
    _redact_personal_links()


def post_worker_init(worker: Any) -> None:
    """Blank personal links in the worker's logs (after gunicorn set them up); freeze the app.

    The app is built by now: `gc.freeze` keeps its objects (the routes, the SQLAlchemy
    mappers, the questionnaire machinery) out of every later garbage collection, which
    otherwise walks them all now and then in the middle of a request.
    """
    _redact_personal_links()
    gc.collect()
    gc.freeze()
