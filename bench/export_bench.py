"""Benchmark 1 and 5 of issue 6: the Excel export of a large round against the raw floor.

    python -m bench.export_bench --responses 100000 [--repeat 3] [--database-url URL]
    python -m bench.export_bench --growth [--repeat 3] [--database-url URL]

The first form generates a round (`tests.realistic_data`) and then runs, alternately and each in a
child process of its own (so that neither inherits the other's memory high-water mark):

* the project's export: `survey.export.workbook.build_workbook`, pseudonymised, the whole
  eight-sheet workbook;
* the raw floor: the same ``Svar`` cells read into pandas with one query
  (``pandas.read_sql`` of the latest answers joined with the recipients) and written by
  xlsxwriter in constant-memory mode, with no cleaning, no labels and no other sheet.

It prints each run's seconds and peak RSS, the medians, and the ratio project ÷ floor of
the medians (target ≤ 1.5). ``--growth`` exports rounds of 10,000 and 100,000 responses
and prints the ratio of their median times (target ≤ 11).

The database is a temporary SQLite file by default; with ``--database-url
postgresql://postgres@127.0.0.1:5432/test`` a scratch PostgreSQL database is created
beside the one named and dropped at the end. Times are wall-clock seconds of the export
alone (the child's start-up and imports are not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import Figure, machine, print_figures

PROJECT = "project"
FLOOR = "floor"


# -- the two contenders, run in a child process ----------------------------------------


def run_project(database_url: str, round_id: int, out: Path) -> dict[str, Any]:
    """Time the project's export of the round."""
    from survey.export.workbook import build_workbook
    from tests.realistic_data import bench_app

    app = bench_app(database_url)
    with app.app_context():
        before = _peak_rss_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = build_workbook(round_id, identifying=False, out=out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_mb": before,
        "rows": summary.responses,
        "bytes": out.stat().st_size,
    }


FLOOR_QUERY = """
SELECT r.id, c.organisation, c.organisation_type, c.kommun, c.delregion,
       r.submitted_at, r.imported, r.answers
FROM responses r JOIN recipients c ON c.id = r.recipient_id
WHERE r.round_id = :round_id AND c.removed_at IS NULL AND r.answers IS NOT NULL
ORDER BY r.id
"""


def run_floor(database_url: str, round_id: int, out: Path) -> dict[str, Any]:
    """Time the raw floor: one read_sql, then the Svar cells by xlsxwriter, constant memory."""
    import pandas as pd
    import xlsxwriter
    from sqlalchemy import create_engine, text

    from config import normalise_database_url
    from survey.questionnaires.model import Questionnaire

    engine = create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        definition = connection.execute(
            text(
                "SELECT q.definition FROM rounds r JOIN questionnaire_versions q "
                "ON q.id = r.questionnaire_version_id WHERE r.id = :round_id"
            ),
            {"round_id": round_id},
        ).scalar_one()
    if isinstance(definition, str):
        definition = json.loads(definition)
    question_ids = [question.id for question in Questionnaire.from_json(definition).questions]

    before = _peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    with engine.connect() as connection:
        frame = pd.read_sql(
            text(FLOOR_QUERY),
            connection,
            params={"round_id": round_id},
            parse_dates={"submitted_at": {"format": "ISO8601"}},
        )
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    sheet = workbook.add_worksheet("Svar")
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    header = ["id", "organisation", "organisationstyp", "kommun", "delregion", "inskickat",
              "importerat", *question_ids]  # fmt: skip
    for col, name in enumerate(header):
        sheet.write_string(0, col, name)
    write_string, write_number = sheet.write_string, sheet.write_number
    write_datetime = sheet.write_datetime
    loads = json.loads
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        response_id, organisation, kind, kommun, delregion, submitted, imported, answers = values
        write_number(row, 0, response_id)
        write_string(row, 1, organisation)
        write_string(row, 2, kind)
        write_string(row, 3, kommun)
        write_string(row, 4, delregion)
        if submitted is not pd.NaT:
            write_datetime(row, 5, submitted.to_pydatetime(), datetime_format)
        write_string(row, 6, "ja" if imported else "nej")
        if isinstance(answers, str):
            answers = loads(answers)
        for col, question_id in enumerate(question_ids, start=7):
            value = answers.get(question_id)
            if value is None:
                continue
            if isinstance(value, str):
                write_string(row, col, value)
            elif isinstance(value, list):
                write_string(row, col, "; ".join(value))
            else:
                write_number(row, col, value)
    workbook.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_mb": before,
        "rows": len(frame),
        "bytes": out.stat().st_size,
    }


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent: data, alternating runs, figures ----------------------------------------


def run_child(kind: str, database_url: str, round_id: int, directory: Path) -> dict[str, Any]:
    """Run one contender in a fresh interpreter and return its figures."""
    out = directory / f"{kind}.xlsx"
    command = [
        *(sys.executable, "-m", "bench.export_bench", "--child", kind),
        *("--database-url", database_url, "--round", str(round_id), "--out", str(out)),
    ]
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": str(root)}
    completed = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"the {kind} run failed (exit status {completed.returncode})")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    return figures


def generate(
    database_url: str, responses: int, delregion: str, seed: int, reference_date: date | None = None
) -> int:
    from tests.realistic_data import bench_app, generate_round

    app = bench_app(database_url)
    with app.app_context():
        started = time.perf_counter()
        generated = generate_round(
            responses=responses,
            delregion=delregion,
            seed=seed,
            reference_date=reference_date or date(2025, 12, 31),
        )
        print(
            f"generated {generated.responses:,} responses ({generated.recipients:,} recipients, "
            f"{generated.submissions:,} submissions, {generated.drafts:,} drafts) in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        return generated.round_id


def compare(database_url: str, responses: int, repeat: int, history: int) -> list[Figure]:
    # Earlier years first (a tenth of the size each): Föregående and Trend read them.
    for years_back in range(history, 0, -1):
        generate(
            database_url,
            responses // 10,
            "NV",
            seed=years_back,
            reference_date=date(2025 - years_back, 12, 31),
        )
    round_id = generate(database_url, responses, "NV", seed=2025)
    runs: dict[str, list[dict[str, Any]]] = {PROJECT: [], FLOOR: []}
    with tempfile.TemporaryDirectory(prefix="survey-export-bench-") as directory:
        for attempt in range(1, repeat + 1):
            # Alternate which goes first, so that neither always meets a warm cache.
            order = (PROJECT, FLOOR) if attempt % 2 else (FLOOR, PROJECT)
            for kind in order:
                figures = run_child(kind, database_url, round_id, Path(directory))
                runs[kind].append(figures)
                print(
                    f"run {attempt} {kind:7}: {figures['seconds']:7.2f} s (CPU "
                    f"{figures['cpu_seconds']:.2f} s), peak RSS "
                    f"{figures['peak_rss_mb']:7.1f} MB (before the export "
                    f"{figures['rss_before_mb']:.1f} MB), {figures['rows']:,} rows, "
                    f"{figures['bytes'] / 1e6:.1f} MB file",
                    flush=True,
                )
    project = statistics.median(run["seconds"] for run in runs[PROJECT])
    floor = statistics.median(run["seconds"] for run in runs[FLOOR])
    project_cpu = statistics.median(run["cpu_seconds"] for run in runs[PROJECT])
    floor_cpu = statistics.median(run["cpu_seconds"] for run in runs[FLOOR])
    print()
    print(f"machine: {machine()}")
    print(
        f"database: {_kind_of(database_url)}; {responses:,} responses; {history} earlier "
        f"rounds of {responses // 10:,}; {repeat} runs each"
    )
    print(f"project export: median {project:.2f} s (CPU {project_cpu:.2f} s), peak RSS max "
          f"{max(run['peak_rss_mb'] for run in runs[PROJECT]):.1f} MB")  # fmt: skip
    print(f"raw floor:      median {floor:.2f} s (CPU {floor_cpu:.2f} s), peak RSS max "
          f"{max(run['peak_rss_mb'] for run in runs[FLOOR]):.1f} MB")  # fmt: skip
    print(f"ratio project ÷ floor: {project / floor:.2f} (target ≤ 1.5); in CPU time "
          f"{project_cpu:.2f} s ÷ {floor_cpu:.2f} s = {project_cpu / floor_cpu:.2f}")  # fmt: skip
    peak = max(run["peak_rss_mb"] for run in runs[PROJECT])
    floor_peak = max(run["peak_rss_mb"] for run in runs[FLOOR])
    return [
        Figure(
            "1 export",
            _kind_of(database_url),
            f"{responses:,} responses",
            f"{project:.1f} s",
            f"{floor:.1f} s",
            project / floor,
            "≤ 1.5",
            project / floor <= 1.5,
            f"CPU ratio {project_cpu / floor_cpu:.2f}; peak RSS {peak:.0f} MB "
            f"(floor {floor_peak:.0f} MB)",
        )
    ]


def growth(database_url: str, repeat: int, small: int, large: int) -> list[Figure]:
    # Two rounds in different delregions, so that neither is the other's previous round.
    small_round = generate(database_url, small, "NO", seed=1)
    large_round = generate(database_url, large, "NV", seed=2)
    times: dict[int, list[float]] = {small: [], large: []}
    cpu: dict[int, list[float]] = {small: [], large: []}
    with tempfile.TemporaryDirectory(prefix="survey-export-bench-") as directory:
        for attempt in range(1, repeat + 1):
            for size, round_id in ((small, small_round), (large, large_round)):
                figures = run_child(PROJECT, database_url, round_id, Path(directory))
                times[size].append(figures["seconds"])
                cpu[size].append(figures["cpu_seconds"])
                print(
                    f"run {attempt} export of {size:>7,}: {figures['seconds']:7.2f} s (CPU "
                    f"{figures['cpu_seconds']:.2f} s), peak RSS {figures['peak_rss_mb']:.1f} MB",
                    flush=True,
                )
    small_median = statistics.median(times[small])
    large_median = statistics.median(times[large])
    cpu_ratio = statistics.median(cpu[large]) / statistics.median(cpu[small])
    print()
    print(f"machine: {machine()}")
    print(f"database: {_kind_of(database_url)}; {repeat} runs each")
    print(f"export of {small:,}: median {small_median:.2f} s; of {large:,}: median "
          f"{large_median:.2f} s")  # fmt: skip
    target = large / small * 1.1
    print(f"growth {large:,} ÷ {small:,}: {large_median / small_median:.2f} "
          f"(target ≤ {target:.0f}); in CPU time {cpu_ratio:.2f}")  # fmt: skip
    return [
        Figure(
            "5 growth",
            _kind_of(database_url),
            f"export {large:,} vs {small:,}",
            f"{large_median:.1f} s",
            f"{small_median:.1f} s",
            large_median / small_median,
            f"≤ {target:.0f}",
            large_median / small_median <= target,
            f"CPU ratio {cpu_ratio:.2f}",
        )
    ]


def _kind_of(database_url: str) -> str:
    return "PostgreSQL" if database_url.startswith("postgres") else "SQLite"


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--growth", action="store_true", help="export 10,000 and 100,000")
    parser.add_argument(
        "--growth-sizes",
        type=int,
        nargs=2,
        default=(10_000, 100_000),
        metavar=("SMALL", "LARGE"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="earlier rounds (a tenth of the size each) for Föregående and Trend; default 0",
    )
    parser.add_argument("--child", choices=(PROJECT, FLOOR), help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    if arguments.child:
        runner = run_project if arguments.child == PROJECT else run_floor
        figures = runner(arguments.database_url, arguments.round, arguments.out)
        print(json.dumps(figures))
        return []

    from tests.realistic_data import scratch_database

    with scratch_database(arguments.database_url) as database_url:
        if arguments.growth:
            small, large = arguments.growth_sizes
            results = growth(database_url, arguments.repeat, small, large)
        else:
            results = compare(database_url, arguments.responses, arguments.repeat,
                              arguments.history)  # fmt: skip
    print_figures(results)
    return results


if __name__ == "__main__":
    main()
