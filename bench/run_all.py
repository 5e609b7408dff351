"""Run every benchmark of issue 6 and print one summary table (`make bench`).

    python -m bench.run_all [--full] [--postgres-url URL | --no-postgres] [--only NAME …]

By default the sizes are modest, so that the whole run takes a few minutes; ``--full``
uses the sizes the issue names (an export of 100,000 responses, growth from 10,000 to
100,000, 10,000 invitations), which takes about half an hour. The ratios are computed the
same way at either size.

The benchmarks run on a temporary SQLite file and, when PostgreSQL answers at
``--postgres-url`` (default: SURVEY_BENCH_POSTGRES_URL, else
``postgresql://postgres@127.0.0.1:5432/test``, the Makefile's POSTGRES_URL), again on a
scratch PostgreSQL database beside it; the load benchmark needs PostgreSQL and is
skipped without it. A benchmark that fails is reported in the table and the others
still run; the exit status is 1 if any failed or missed its target.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench.report import Figure, machine, print_figures

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Sizes:
    export: int
    growth: tuple[int, int]
    attainment: int
    mail: int
    load_iterations: int
    repeat: int
    scale_pages: int = 20_000
    scale_import: int = 20_000
    form_views: int = 40
    million: bool = False


MODEST = Sizes(
    export=20_000,
    growth=(2_000, 20_000),
    attainment=20_000,
    mail=2_000,
    load_iterations=2,
    repeat=3,
)
FULL = Sizes(
    export=100_000,
    growth=(10_000, 100_000),
    attainment=100_000,
    mail=10_000,
    load_iterations=4,
    repeat=3,
    scale_pages=100_000,
    scale_import=100_000,
    form_views=100,
    million=True,
)


def postgres_answers(url: str) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
    finally:
        engine.dispose()
    return None


def benchmarks(
    sizes: Sizes, database_url: str | None
) -> list[tuple[str, Callable[[], list[Figure]]]]:
    """The benchmarks to run on one database (None: a temporary SQLite file)."""
    from bench import attainment_bench, export_bench, load_bench, mail_bench, scale_bench

    on = [] if database_url is None else ["--database-url", database_url]
    repeat = ["--repeat", str(sizes.repeat)]
    small, large = sizes.growth
    chosen: list[tuple[str, Callable[[], list[Figure]]]] = [
        ("export", lambda: export_bench.main(["--responses", str(sizes.export), *repeat, *on])),
        (
            "growth",
            lambda: export_bench.main(
                ["--growth", "--growth-sizes", str(small), str(large), *repeat, *on]
            ),
        ),
        (
            "attainment",
            lambda: attainment_bench.main(
                ["--responses", str(sizes.attainment), "--repeat", "7", *on]
            ),
        ),
        ("mail", lambda: mail_bench.main(["--messages", str(sizes.mail), *repeat, *on])),
        (
            "scale",
            lambda: scale_bench.main(
                [
                    "--responses",
                    str(sizes.scale_pages),
                    "--import-rows",
                    str(sizes.scale_import),
                    *repeat,
                    *on,
                ]
            ),
        ),
    ]
    if database_url is not None:
        chosen.append(
            (
                "load",
                lambda: load_bench.main(
                    ["--iterations", str(sizes.load_iterations), "--database-url", database_url]
                ),
            )
        )
        chosen.append(
            (
                "form-views",
                lambda: load_bench.main(
                    [
                        "--form-views",
                        str(sizes.form_views),
                        "--clients",
                        "8",
                        "--database-url",
                        database_url,
                    ]
                ),
            )
        )
        if sizes.million:
            # Issue 16: a million answers on PostgreSQL, growth from 100,000 (peak RSS printed).
            chosen.append(
                (
                    "million",
                    lambda: export_bench.main(
                        ["--growth", "--growth-sizes", "100000", "1000000", "--repeat", "1", *on]
                    ),
                )
            )
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the sizes the issue names")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SURVEY_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=(
            "export",
            "growth",
            "attainment",
            "mail",
            "load",
            "scale",
            "form-views",
            "million",
        ),
        help="run only these",
    )
    arguments = parser.parse_args(argv)
    sizes = FULL if arguments.full else MODEST
    databases: list[str | None] = [None]
    notes: list[str] = []
    if not arguments.no_postgres:
        problem = postgres_answers(arguments.postgres_url)
        if problem is None:
            databases.append(arguments.postgres_url)
        else:
            notes.append(
                f"PostgreSQL at {arguments.postgres_url} does not answer ({problem}): "
                "SQLite only, no load benchmark"
            )
    started = time.perf_counter()
    print(f"machine at the start: {machine()}", flush=True)
    figures: list[Figure] = []
    failures: list[str] = []
    for database_url in databases:
        kind = "SQLite" if database_url is None else "PostgreSQL"
        for name, run in benchmarks(sizes, database_url):
            if arguments.only and name not in arguments.only:
                continue
            print(f"\n=== {name} on {kind} ===", flush=True)
            try:
                figures.extend(run())
            except (Exception, SystemExit) as exc:
                traceback.print_exc()
                failures.append(f"{name} on {kind}: {exc}")
    print(
        f"\n=== summary ({'full' if arguments.full else 'modest'} sizes, "
        f"{(time.perf_counter() - started) / 60:.1f} minutes) ==="
    )
    print(f"machine at the end: {machine()}")
    print_figures(figures)
    for note in notes:
        print(f"note: {note}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures or not all(figure.met for figure in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
