"""Benchmark 2 of issue 6: attainment of every indicator over a large round, against the floor.

    python -m bench.attainment_bench [--responses 100000] [--repeat 7] [--database-url URL]

Generates a round (`tests.realistic_data`), loads its results frame once
(`survey.results.frame.load_responses_frame`, the one query and the typed columns: what a
user waits for, timed on its own) and then runs, alternately and `--repeat` times each:

* the project: ``compute_indicator_results`` for every indicator of the questionnaire
  (values, counts, Ej aktuellt, blanks, per-organisation combining, targets, status);
* the raw floor: one pandas groupby over the same frame, counting the answers of every
  question column per organisation type:
  ``frame.groupby("organisation_type", observed=True)[question_columns].count()``.

It prints each run, the medians and the ratio project ÷ floor of the medians (target ≤ 2).
Times are wall-clock seconds of the computation alone, in this process, after one warm-up
run of each (the first call pays for imports and pandas' lazy set-up).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.report import Figure, database_kind, machine, print_figures


def _median_seconds(function: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def run(database_url: str | None, responses: int, repeat: int, load_repeat: int) -> list[Figure]:
    """Generate the round, time the frame load, the attainment and the floor; print them."""
    import pandas as pd

    from survey.db import db
    from survey.results.attainment import compute_indicator_results
    from survey.results.frame import load_responses_frame
    from tests.realistic_data import bench_app, generate_round, scratch_database

    with scratch_database(database_url) as url:
        app = bench_app(url)
        with app.app_context():
            started = time.perf_counter()
            generated = generate_round(responses=responses)
            print(
                f"generated {generated.responses:,} responses ({generated.recipients:,} "
                f"recipients, {generated.submissions:,} submissions, {generated.drafts:,} "
                f"drafts) in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            questionnaire = generated.questionnaire
            round_id = generated.round_id

            def load() -> pd.DataFrame:
                frame = load_responses_frame(round_id, questionnaire)
                db.session.rollback()  # end the read, as a request's teardown does
                return frame

            frame = load()  # warm-up (and the frame the two contenders share)
            load_median, load_times = _median_seconds(load, load_repeat)
            print(
                "frame load: " + ", ".join(f"{seconds:.2f}" for seconds in load_times) + " s",
                flush=True,
            )
        engine_kind = database_kind(url)

    question_columns = [question.id for question in questionnaire.questions]
    reference_date = generated_reference_date()

    def project() -> Any:
        return compute_indicator_results(questionnaire, frame, reference_date=reference_date)

    def floor() -> Any:
        return frame.groupby("organisation_type", observed=True)[question_columns].count()

    project(), floor()  # warm-up
    times: dict[str, list[float]] = {"project": [], "floor": []}
    for attempt in range(1, repeat + 1):
        order = (("project", project), ("floor", floor))
        for name, function in order if attempt % 2 else tuple(reversed(order)):
            _, (seconds,) = _median_seconds(function, 1)
            times[name].append(seconds)
        print(
            f"run {attempt}: project {times['project'][-1] * 1000:7.2f} ms, "
            f"floor {times['floor'][-1] * 1000:7.2f} ms",
            flush=True,
        )
    results = project()
    project_median = statistics.median(times["project"])
    floor_median = statistics.median(times["floor"])
    ratio = project_median / floor_median
    print()
    print(f"machine: {machine()}")
    print(
        f"database: {engine_kind}; {len(frame):,} responses × {len(question_columns)} questions; "
        f"{len(results)} indicators; {repeat} runs each"
    )
    print(f"frame load (load_responses_frame): median {load_median:.2f} s")
    print(
        f"project (compute_indicator_results, all indicators): median "
        f"{project_median * 1000:.2f} ms"
    )
    print(
        f"raw floor (one groupby count over the frame):        median {floor_median * 1000:.2f} ms"
    )
    print(f"ratio project ÷ floor: {ratio:.2f} (target ≤ 2)")
    return [
        Figure(
            "2 attainment",
            engine_kind,
            f"{len(results)} indicators over {len(frame):,}",
            f"{project_median * 1000:.1f} ms",
            f"{floor_median * 1000:.1f} ms",
            ratio,
            "≤ 2",
            ratio <= 2,
            f"frame load {load_median:.2f} s",
        )
    ]


def generated_reference_date() -> Any:
    """The reference date `tests.realistic_data.generate_round` gives a round by default."""
    import inspect

    from tests.realistic_data import generate_round

    return inspect.signature(generate_round).parameters["reference_date"].default


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--load-repeat", type=int, default=3, help="frame loads timed")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    arguments = parser.parse_args(argv)
    figures = run(
        arguments.database_url, arguments.responses, arguments.repeat, arguments.load_repeat
    )
    print_figures(figures)
    return figures


if __name__ == "__main__":
    main()
