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
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from config import env_int, env_str

bind = [env_str("GUNICORN_BIND", "127.0.0.1:8000") or "127.0.0.1:8000"]
workers = env_int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1, minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"
# An export of a national round (100,000 responses) is built within the request.
timeout = env_int("GUNICORN_TIMEOUT", 120, minimum=30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so that no slow leak can build up.
max_requests = 2000
max_requests_jitter = 200

_access_log = env_str("GUNICORN_ACCESS_LOG", "-") or "-"
accesslog = None if _access_log == "off" else _access_log
# Method, path and protocol (%(U)s: the path without the query string), status, bytes,
# milliseconds. No %(r)s, %(q)s, %(f)s (referrer) or %(a)s (user agent).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info") or "info"


def _redact_personal_links() -> None:
    from survey.logredact import install_log_redaction

    install_log_redaction()


def when_ready(server: Any) -> None:
    """Blank personal links in the master's own log lines too."""
    _redact_personal_links()


def post_worker_init(worker: Any) -> None:
    """Blank personal links in the worker's access and error logs (after gunicorn set them up)."""
    _redact_personal_links()
