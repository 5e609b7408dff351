"""The app served by a real gunicorn, and a browser-like client behind the proxy.

`start_gunicorn` runs gunicorn with the project's ``gunicorn.conf.py`` on a free port in
the environment `app_environment` builds (production settings behind one trusted proxy),
and waits until it answers ``/healthz``; `stop` ends it. `Client` is one browser: its own
connection and cookies, with the headers nginx adds. Used by the gunicorn and scale-out
tests and by the load benchmark (bench/load_bench.py).
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
CSRF_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')


class Client:
    """One browser: a connection to the server, its cookies, as if behind the proxy."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        # What nginx adds in front of the app (SURVEY_TRUSTED_PROXIES=1).
        self.proxy_headers = {
            "X-Forwarded-For": address,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "enkat.example.se",
        }

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, float]:
        headers = dict(self.proxy_headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8")
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnect once: the server may have closed it
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8")
        seconds = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, seconds

    def close(self) -> None:
        self.connection.close()


def app_environment(database_url: str, key: str, **settings: str) -> dict[str, str]:
    """The environment of the app in production settings on `database_url`, behind one proxy.

    Inherited SURVEY_*, MAIL_*, GUNICORN_*, SECRET_KEY and DATABASE_URL variables are left
    out, so that only what is given here (and in `settings`) counts.
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SURVEY_", "MAIL_", "GUNICORN_", "SECRET_KEY", "DATABASE_URL"))
    }
    return {
        **inherited,
        "SURVEY_ENV": "production",
        "SECRET_KEY": key,
        "DATABASE_URL": database_url,
        "SURVEY_BASE_URL": "https://enkat.example.se",
        "SURVEY_TRUSTED_PROXIES": "1",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }


def start_gunicorn(
    environment: dict[str, str],
    *,
    workers: int = 2,
    threads: int = 1,
    access_log: Path | None = None,
    output: IO[bytes] | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with the project's gunicorn.conf.py on a free port; wait until it serves."""
    port = _free_port()
    settings = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESS_LOG": str(access_log) if access_log is not None else "off",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "survey:create_app()"],
        cwd=ROOT,
        env={**environment, **settings},
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        if serves_health(port):
            return process, port
        time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn gracefully (SIGTERM), or kill it."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serves_health(port: int, *, timeout: float = 5) -> bool:
    """Whether the server on `port` answers ``GET /healthz`` with 200.

    The connection is closed whatever happens: one left open (a worker still booting lets
    the request time out) is an "unclosed socket" ResourceWarning whenever it is collected,
    which fails whichever test is running then.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        with connection.getresponse() as response:
            return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
