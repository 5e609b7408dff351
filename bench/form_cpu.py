"""What one form view costs the server: CPU per request, in one process (issue 16).

    python -m bench.form_cpu [--views 300] [--database-url URL] [--profile link|form|health]

Wall-clock throughput (bench/load_bench.py) depends on what else the machine is doing;
the CPU time a request takes in the app does not, or much less. This benchmark builds the
app in its production settings (CSRF on, behind one trusted proxy) on a scratch database
(a temporary SQLite file by default, or PostgreSQL beside the database named), makes an
open round of the NV questionnaire with `--views` recipients, and plays each respondent's
view with Flask's test client in this process (the app frozen out of garbage collection, as
in a gunicorn worker): ``GET /healthz``, the personal link
(303, the session cookie) and the form. It prints, per kind of request, the mean CPU time
(``time.process_time``: this process only, so the database server's own work on
PostgreSQL is not in it) and wall time, and the SQL statements each one runs. A busy
machine slows every request alike, so each is also given as a multiple of ``/healthz``
measured alongside it: that ratio is what to compare between runs on a shared machine.

``--profile KIND`` runs the views again under cProfile, timing only that kind of request,
and prints the 40 most expensive functions by cumulative time and the 25 by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.gunicorn_helpers import app_environment

HEALTH, LINK, FORM = "health", "link", "form"
KINDS = (HEALTH, LINK, FORM)
PROXY_HEADERS = {
    "X-Forwarded-For": "10.0.0.1",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "enkat.example.se",
}


@contextmanager
def production_app(database_url: str, key: str) -> Iterator[Flask]:
    """The app as gunicorn serves it (SURVEY_ENV=production), on `database_url`."""
    from survey import create_app

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(app_environment(database_url, key))
    try:
        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    # As gunicorn.conf.py does once a worker has built the app.
    gc.collect()
    gc.freeze()
    try:
        yield app
    finally:
        gc.unfreeze()


def prepare(database_url: str, respondents: int, key: str) -> tuple[int, list[str]]:
    """An open round with `respondents` recipients and links: its id and their tokens."""
    from survey.db import db, utcnow
    from survey.schema.rounds import RoundState
    from tests.realistic_data import bench_app, generate_recipients

    app = bench_app(database_url)
    with app.app_context():
        now = utcnow()
        generated = generate_recipients(
            recipients=respondents,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            state=RoundState.OPEN,
            link_key=key,
        )
        db.session.rollback()
        db.engine.dispose()
    return generated.round_id, [generated.tokens[number] for number in generated.recipient_ids]


class Meter:
    """CPU and wall seconds and SQL statements per kind of request."""

    def __init__(self, app: Flask) -> None:
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, list[int]] = defaultdict(list)
        self._count = 0
        with app.app_context():
            from survey.db import db

            event.listen(db.engine, "before_cursor_execute", self._counted)

    def _counted(self, *args: Any) -> None:
        self._count += 1

    def request(
        self, client: FlaskClient, kind: str, path: str, expected: int, profiler: Any = None
    ) -> None:
        self._count = 0
        if profiler is not None:
            profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path, headers=PROXY_HEADERS)
        response.get_data()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler is not None:
            profiler.disable()
        if response.status_code != expected:
            raise AssertionError(f"{kind}: {response.status_code} instead of {expected}")
        self.cpu[kind].append(cpu)
        self.wall[kind].append(wall)
        self.statements[kind].append(self._count)


def play(
    app: Flask,
    meter: Meter,
    round_id: int,
    tokens: list[str],
    profile: str | None = None,
    profiler: Any = None,
) -> None:
    """Each respondent: health, their link, their form, each with a fresh cookie jar."""
    for token in tokens:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
        for kind, path, expected in (
            (HEALTH, "/healthz", 200),
            (LINK, f"/svara/{round_id}/{token}", 303),
            (FORM, f"/svara/{round_id}", 200),
        ):
            meter.request(client, kind, path, expected, profiler if kind == profile else None)


def run(database_url: str | None, views: int, profile: str | None) -> None:
    from tests.realistic_data import scratch_database

    key = secrets.token_urlsafe(48)
    warm_up = 20
    with scratch_database(database_url) as url:
        round_id, tokens = prepare(url, views * (2 if profile else 1) + warm_up, key)
        with production_app(url, key) as app:
            play(app, Meter(app), round_id, tokens[:warm_up])
            meter = Meter(app)
            play(app, meter, round_id, tokens[warm_up : warm_up + views])
            database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            print(f"{database}: {views} views (health, link, form), one process, test client")
            health = statistics.mean(meter.cpu[HEALTH])
            for kind in KINDS:
                cpu, wall = meter.cpu[kind], meter.wall[kind]
                print(
                    f"  {kind:7} CPU mean {statistics.mean(cpu) * 1000:6.2f} ms "
                    f"(median {statistics.median(cpu) * 1000:6.2f}, "
                    f"{statistics.mean(cpu) / health:4.2f} × health)   wall mean "
                    f"{statistics.mean(wall) * 1000:6.2f} ms   SQL statements "
                    f"{max(meter.statements[kind])}"
                )
            total = sum(statistics.mean(meter.cpu[kind]) for kind in (LINK, FORM))
            print(
                f"  link + form CPU {total * 1000:.2f} ms: at most {2 / total:.0f} views/s "
                "on 2 cores from the app's own CPU alone"
            )
            if profile:
                profiler = cProfile.Profile()
                play(app, Meter(app), round_id, tokens[warm_up + views :], profile, profiler)
                print(f"\ncProfile of {views} {profile} requests:")
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(40)
                stats.sort_stats("tottime").print_stats(25)
            with app.app_context():
                from survey.db import db

                db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL (a scratch database beside it)"
    )
    parser.add_argument("--profile", choices=KINDS, default=None)
    arguments = parser.parse_args(argv)
    run(arguments.database_url, arguments.views, arguments.profile)


if __name__ == "__main__":
    main()
