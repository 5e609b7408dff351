"""Benchmark 4 of issue 6: respondents under load on gunicorn and PostgreSQL.

    python -m bench.load_bench [--clients 50] [--iterations 3] [--workers 4] [--threads 1]
                               [--database-url postgresql://postgres@127.0.0.1:5432/test]
    python -m bench.load_bench --form-views 60 --clients 8 [--workers 2] [--health-every 2]

Generates an open round of the NV questionnaire whose recipients have personal links
(`tests.realistic_data`), starts gunicorn (`tests.gunicorn_helpers`) with the project's
``gunicorn.conf.py`` in the production
configuration (a strong SECRET_KEY, DATABASE_URL, behind one trusted proxy: the clients
send ``X-Forwarded-For`` and ``X-Forwarded-Proto: https`` as nginx would), warms each
worker up, and then runs `--clients` concurrent clients (threads with their own
connection and cookies). Each client answers as `--iterations` respondents, one after
the other; each respondent:

1. ``GET /healthz`` (the health endpoint, which runs a query);
2. opens the personal link ``/svara/<round>/<token>`` (303 to the form, session cookie);
3. ``GET /svara/<round>``: the form (its CSRF token is read from the page);
4. ``GET /healthz``;
5. ``POST /svara/<round>`` saving a draft of the first answers (303), and the form again;
6. ``GET /healthz``;
7. ``POST /svara/<round>`` submitting every answer (303), and the confirmation page.

Every request is timed from the client. It prints, per kind of request, the count and
the 50th and 95th percentiles, and the ratios p95(form GET) ÷ p95(health) and p95(POST) ÷
p95(health) (target ≤ 3 each), with the number of errors (any unexpected status or
failed request; target 0). Afterwards the database must hold one submitted response per
respondent, and gunicorn's access log no personal link.

``--form-views N`` (issue 16) instead counts form views a second: each client views the
form as N respondents, one after the other, each a new respondent arriving by their
personal link — a view is what the respondent asks for, the link (303, the session) and
the form. /healthz, the yardstick of the p95 ratio, is asked before every
``--health-every``-th view of each client (default 2): asking it before every view would
spend a third of the server's requests on the yardstick and count them against the
form's rate, while every second view still gives 240 samples at 8 clients × 60 views, so
the p95 is the 228th of 240 (12 above it), taken through the run under the same load as
the forms. It also prints the CPU time gunicorn, PostgreSQL's backends and the client
threads used per view (`bench.cpu_meter`, from /proc) and the rate that would give on two
idle cores: on a shared machine the rate measured says more about the neighbours. The
default is 2 sync workers for form views (one per core: the requests are short and all
CPU; a third worker only adds switching) and 4 for the answering run.

PostgreSQL only: the database named is used to create a scratch database beside it,
dropped at the end (default ``postgresql://postgres@127.0.0.1:5432/test``, or
SURVEY_BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench import cpu_meter
from bench.report import Figure, machine, print_figures
from tests.gunicorn_helpers import CSRF_TOKEN, Client, app_environment, start_gunicorn, stop
from tests.realistic_data import form_fields

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
HEALTH, OPEN_LINK, FORM_GET, POST, CONFIRMATION = (
    "health",
    "open link",
    "form GET",
    "POST",
    "confirmation",
)
DRAFT_ANSWERS = 5  # answers in the saved draft
ANSWER_WORKERS = 4
# Form views on 2 cores: see the docstring.
FORM_VIEW_WORKERS = 2
HEALTH_EVERY = 2


@dataclass
class Respondent:
    round_id: int
    token: str
    answers: list[tuple[str, str]]  # the form fields of a complete, valid answer


@dataclass
class Timings:
    """Seconds per kind of request, and the errors, shared by the client threads."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def answer_as_respondent(client: Client, respondent: Respondent, timings: Timings) -> None:
    """One respondent's visit: health, link, form, draft, health, submit, confirmation."""
    form_path = f"/svara/{respondent.round_id}"

    def step(kind: str, method: str, path: str, expected: int, body: str | None = None) -> str:
        status, text, seconds = client.request(method, path, body)
        timings.add(kind, seconds)
        if status != expected:
            raise AssertionError(
                f"{method} {path.split('/svara/')[0] or '/svara/…'}: {status} instead of {expected}"
            )
        return text

    client.cookies.clear()
    step(HEALTH, "GET", "/healthz", 200)
    step(OPEN_LINK, "GET", f"/svara/{respondent.round_id}/{respondent.token}", 303)
    page = step(FORM_GET, "GET", form_path, 200)
    token = _csrf_token(page)
    step(HEALTH, "GET", "/healthz", 200)
    draft = [("csrf_token", token), ("action", "save"), *respondent.answers[:DRAFT_ANSWERS]]
    step(POST, "POST", form_path, 303, urllib.parse.urlencode(draft))
    page = step(FORM_GET, "GET", form_path, 200)
    token = _csrf_token(page)
    step(HEALTH, "GET", "/healthz", 200)
    complete = [("csrf_token", token), ("action", "submit"), *respondent.answers]
    step(POST, "POST", form_path, 303, urllib.parse.urlencode(complete))
    step(CONFIRMATION, "GET", f"{form_path}/klart", 200)


def view_form_as_respondent(
    client: Client, respondent: Respondent, timings: Timings, *, health: bool = True
) -> None:
    """A form view by a new respondent: their link, their form, after /healthz if `health`."""
    steps = [
        (OPEN_LINK, f"/svara/{respondent.round_id}/{respondent.token}", 303),
        (FORM_GET, f"/svara/{respondent.round_id}", 200),
    ]
    if health:
        steps.insert(0, (HEALTH, "/healthz", 200))
    for kind, path, expected in steps:
        status, _text, seconds = client.request("GET", path)
        timings.add(kind, seconds)
        if status != expected:
            raise AssertionError(f"GET {kind}: {status} instead of {expected}")
    client.cookies.clear()


def _csrf_token(page: str) -> str:
    match = CSRF_TOKEN.search(page)
    if match is None:
        raise AssertionError("the form has no CSRF token")
    return match.group(1)


def prepare(database_url: str, respondents: int, key: str) -> list[Respondent]:
    """An open round with `respondents` recipients and links; their answers to post."""
    from sqlalchemy import select

    from survey.db import db, utcnow
    from survey.organisations import OrganisationType
    from survey.schema.rounds import Recipient, RoundState
    from tests.realistic_data import bench_app, generate_recipients, realistic_answers

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
        kinds = dict(
            db.session.execute(
                select(Recipient.id, Recipient.organisation_type).where(
                    Recipient.round_id == generated.round_id
                )
            ).all()
        )
        db.session.rollback()
        db.engine.dispose()
    rng = random.Random(6)
    return [
        Respondent(
            generated.round_id,
            generated.tokens[recipient_id],
            form_fields(
                realistic_answers(
                    rng, generated.questionnaire, OrganisationType(kinds[recipient_id])
                )
            ),
        )
        for recipient_id in generated.recipient_ids
    ]


def run_clients(
    port: int,
    respondents: list[Respondent],
    clients: int,
    timings: Timings,
    visit: Callable[[Client, Respondent, Timings], None] | None = None,
) -> float:
    """`clients` threads at once, each answering as its share of the respondents."""
    visit = visit or answer_as_respondent
    shares = [respondents[number::clients] for number in range(clients)]
    start = threading.Barrier(clients + 1)

    def client_thread(number: int) -> None:
        client = Client(port, f"10.0.{number // 250}.{number % 250 + 1}")
        try:
            start.wait()
            for respondent in shares[number]:
                try:
                    visit(client, respondent, timings)
                except Exception as exc:  # counted: the target is 0 errors
                    timings.error(f"{type(exc).__name__}: {exc}")
                    client.close()
        finally:
            client.close()

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def check_database(database_url: str, round_id: int, expected: int) -> str:
    """Count the submitted responses and submissions of the round."""
    from sqlalchemy import func, select

    from survey.db import db
    from survey.schema.responses import Response, ResponseSubmission
    from tests.realistic_data import bench_app

    app = bench_app(database_url)
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count()).where(
                Response.round_id == round_id, Response.submitted_at.is_not(None)
            )
        )
        submissions = db.session.scalar(
            select(func.count())
            .select_from(ResponseSubmission)
            .join(Response, Response.id == ResponseSubmission.response_id)
            .where(Response.round_id == round_id)
        )
        db.engine.dispose()
    if submitted != expected or submissions != expected:
        return (
            f"MISMATCH: {submitted} submitted responses, {submissions} submissions, "
            f"{expected} expected"
        )
    return f"{submitted} submitted responses, one submission each"


ACCESS_LINE = re.compile(r'"(GET|POST) (/\S*) HTTP/[0-9.]+" (\d{3}) \S+ (\d+)ms$')


def server_times(log: str) -> dict[str, list[float]]:
    """Seconds the server took per kind of request, from gunicorn's access log (%(M)s)."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in log.splitlines():
        match = ACCESS_LINE.search(line)
        if match is None:
            continue
        method, path, _, milliseconds = match.groups()
        if path == "/healthz":
            kind = HEALTH
        elif path.endswith("/klart"):
            kind = CONFIRMATION
        elif path.count("/") == 3:
            kind = OPEN_LINK
        else:
            kind = POST if method == "POST" else FORM_GET
        times[kind].append(int(milliseconds) / 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def run(
    database_url: str, clients: int, iterations: int, workers: int, threads: int
) -> list[Figure]:
    """Prepare, serve, load, report."""
    from tests.realistic_data import scratch_database

    key = secrets.token_urlsafe(48)
    warm_up = workers * 4
    with scratch_database(database_url) as url, tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        respondents = prepare(url, clients * iterations + warm_up, key)
        print(
            f"prepared {len(respondents):,} respondents with links in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        access_log = Path(directory) / "access.log"
        process, port = start_gunicorn(
            app_environment(url, key), workers=workers, threads=threads, access_log=access_log
        )
        try:
            # Every worker renders the form once before the clock starts.
            run_clients(port, respondents[:warm_up], workers, Timings())
            timings = Timings()
            seconds = run_clients(port, respondents[warm_up:], clients, timings)
        finally:
            stop(process)
        log = access_log.read_text(encoding="utf-8")
        leaked = sum(respondent.token in log for respondent in respondents)
        database = check_database(url, respondents[0].round_id, len(respondents))
    requests = sum(len(values) for values in timings.seconds.values())
    p95 = {kind: percentile(values, 0.95) for kind, values in timings.seconds.items()}
    print()
    print(f"machine: {machine()}")
    print(
        f"gunicorn: {workers} {'gthread' if threads > 1 else 'sync'} workers"
        f"{f' × {threads} threads' if threads > 1 else ''}; PostgreSQL; {clients} concurrent "
        f"clients × {iterations} respondents; {requests:,} requests in {seconds:.1f} s "
        f"({requests / seconds:.0f}/s)"
    )
    # The server's own time per request (gunicorn's %(M)s): what the request cost, without
    # the wait for a free worker, which under this load is most of what clients see.
    served = server_times(log)
    print("latency at the client, and time in the server (access log), per kind of request:")
    for kind in (HEALTH, OPEN_LINK, FORM_GET, POST, CONFIRMATION):
        values = timings.seconds.get(kind, [])
        if values:
            inside = served.get(kind) or [0.0]
            client_p50, client_p95 = statistics.median(values) * 1000, p95[kind] * 1000
            server_p50 = statistics.median(inside) * 1000
            server_p95 = percentile(inside, 0.95) * 1000
            print(
                f"  {kind:13} n={len(values):5}  client p50 {client_p50:6.1f} p95 "
                f"{client_p95:6.1f} ms   server p50 {server_p50:5.0f} p95 {server_p95:5.0f} ms"
            )
    errors = len(timings.errors)
    for text in sorted(set(timings.errors))[:10]:
        print(f"  error: {text} (× {timings.errors.count(text)})")
    print(
        f"errors: {errors}; database: {database}; access log: {log.count(chr(10))} lines, "
        f"{leaked} personal links in it"
    )
    figures = []
    for kind in (FORM_GET, POST):
        ratio = p95[kind] / p95[HEALTH]
        print(f"ratio p95({kind}) ÷ p95(health): {ratio:.2f} (target ≤ 3)")
        figures.append(
            Figure(
                "4 load",
                "PostgreSQL",
                f"{clients} clients, {kind} vs /healthz",
                f"p95 {p95[kind] * 1000:.0f} ms",
                f"p95 {p95[HEALTH] * 1000:.0f} ms",
                ratio,
                "≤ 3",
                ratio <= 3 and errors == 0 and not leaked and not database.startswith("MISMATCH"),
                f"{errors} errors",
            )
        )
    return figures


def form_views(
    database_url: str,
    clients: int,
    views: int,
    workers: int,
    health_every: int = 1,
    threads: int = 1,
) -> list[Figure]:
    """Form views per second: `clients` at once, each view a different respondent (issue 16).

    A view is what a respondent asks for: the personal link and the form. /healthz, the
    yardstick of the p95 ratio, is asked before every `health_every`-th view of each client.
    """
    from sqlalchemy.engine import make_url

    from tests.realistic_data import scratch_database

    key = secrets.token_urlsafe(48)
    warm_up = workers * 4
    with scratch_database(database_url) as url, tempfile.TemporaryDirectory() as directory:
        respondents = prepare(url, clients * views + warm_up, key)
        timed = respondents[warm_up:]
        sampled = {
            respondent.token
            for number in range(clients)
            for respondent in timed[number::clients][::health_every]
        }

        def visit(client: Client, respondent: Respondent, timings: Timings) -> None:
            view_form_as_respondent(client, respondent, timings, health=respondent.token in sampled)

        access_log = Path(directory) / "access.log"
        process, port = start_gunicorn(
            app_environment(url, key), workers=workers, threads=threads, access_log=access_log
        )
        database_name = str(make_url(url).database)
        try:
            run_clients(port, respondents[:warm_up], workers, Timings(), view_form_as_respondent)
            timings = Timings()
            before = cpu_meter.sample(process.pid, database_name)
            seconds = run_clients(port, timed, clients, timings, visit)
            after = cpu_meter.sample(process.pid, database_name)
        finally:
            stop(process)
        served = server_times(access_log.read_text(encoding="utf-8"))
    forms = len(timings.seconds.get(FORM_GET, []))
    rate = forms / seconds
    p95_form = percentile(timings.seconds[FORM_GET], 0.95)
    health_samples = timings.seconds[HEALTH]
    p95_health = percentile(health_samples, 0.95)
    server_p50 = statistics.median(served.get(FORM_GET) or [0.0]) * 1000
    errors = len(timings.errors)
    print(f"machine: {machine()}")
    print(
        f"form views (link + form): {forms} in {seconds:.1f} s = {rate:.0f}/s at {clients} "
        f"clients ({workers} gunicorn workers); form p95 {p95_form * 1000:.0f} ms, health p95 "
        f"{p95_health * 1000:.0f} ms ({len(health_samples)} samples, every {health_every}. "
        f"view), server p50 {server_p50:.0f} ms; {errors} errors"
    )
    cpu = cpu_meter.per_view(before, after, forms)
    if cpu:
        print(cpu)
    ratio = p95_form / p95_health
    return [
        Figure(
            "form views",
            "PostgreSQL",
            f"{clients} clients, each view a new respondent",
            f"{rate:.0f} views/s (link + form per view)",
            "target 220/s",
            rate / 220,
            "≥ 1 (220/s)",
            rate >= 220 and errors == 0,
            f"{errors} errors",
        ),
        Figure(
            "form views",
            "PostgreSQL",
            f"{clients} clients, p95 form vs /healthz",
            f"p95 {p95_form * 1000:.0f} ms",
            f"p95 {p95_health * 1000:.0f} ms",
            ratio,
            "≤ 3",
            ratio <= 3 and errors == 0,
            f"{errors} errors ({len(health_samples)} health samples)",
        ),
    ]


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=3, help="respondents per client")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"gunicorn workers (default {ANSWER_WORKERS}; for --form-views {FORM_VIEW_WORKERS})",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SURVEY_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="PostgreSQL (a scratch database is made beside it)",
    )
    parser.add_argument(
        "--form-views",
        type=int,
        default=0,
        help="instead: this many form views per client, each by a new respondent (issue 16)",
    )
    parser.add_argument(
        "--health-every",
        type=int,
        default=HEALTH_EVERY,
        help=f"with --form-views: /healthz before every N-th view (default {HEALTH_EVERY})",
    )
    arguments = parser.parse_args(argv)
    if not arguments.database_url.startswith("postgres"):
        raise SystemExit(
            "the load benchmark runs on PostgreSQL: give --database-url postgresql://…"
        )
    if arguments.form_views:
        figures = form_views(
            arguments.database_url,
            arguments.clients,
            arguments.form_views,
            arguments.workers or FORM_VIEW_WORKERS,
            max(1, arguments.health_every),
            arguments.threads,
        )
        print_figures(figures)
        return figures
    figures = run(
        arguments.database_url,
        arguments.clients,
        arguments.iterations,
        arguments.workers or ANSWER_WORKERS,
        arguments.threads,
    )
    print_figures(figures)
    return figures


if __name__ == "__main__":
    main()
