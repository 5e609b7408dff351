"""Scale for the people (issue 16): a process leader's pages on a large round, and imports.

    python -m bench.scale_bench [--responses N] [--import-rows N] [--repeat R] [--database-url URL]

* **pages**: a round of N submitted answers (`tests.realistic_data.generate_round`); a process
  leader (Flask's test client, in process) opens the round list — the yardstick, a page
  that touches the database — and every page of the round: its page, the results, the
  three breakdowns, the free text, the export page. Each page is loaded once cold (the
  first load after a change computes the figures) and then `repeat` times warm; the
  figure is the warm median ÷ the round list's median (target ≤ 5). Cold times are
  printed too: they are what the first reader after each new answer waits for.
* **import**: N rows of answers for N recipients, in a .csv file on disk, through the
  project's import (`import_responses` on the file's path, as `survey round
  import-responses` does: pass 1 reads and checks every row, pass 2 reads them again and
  stores them) against a floor that inserts the same responses and submissions with one
  multi-row INSERT each (target ≤ 3). The import is also run once through the command
  itself in a child process, whose peak RSS is printed (and its RSS before the import):
  run at two sizes, it shows that memory does not grow with the rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.report import Figure, database_kind, machine, print_figures

PAGES = (
    ("round page", "/omgangar/{id}"),
    ("results", "/omgangar/{id}/resultat"),
    ("per organisation type", "/omgangar/{id}/resultat/fordelning?per=organisationstyp"),
    ("per kommun", "/omgangar/{id}/resultat/fordelning?per=kommun"),
    ("per delregion", "/omgangar/{id}/resultat/fordelning?per=delregion"),
    ("free text", "/omgangar/{id}/resultat/fritext"),
    ("export page", "/omgangar/{id}/export"),
)


def _median(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pages(database_url: str | None, responses: int, repeat: int) -> list[Figure]:
    from survey.db import db
    from tests.factories import login, make_user
    from tests.realistic_data import bench_app, generate_round, scratch_database

    kind = database_kind(database_url or "sqlite")
    figures: list[Figure] = []
    with scratch_database(database_url) as url:
        app = bench_app(url, SURVEY_MIN_RESPONSES=1)
        with app.app_context():
            generated = generate_round(responses=responses)
            email = make_user("processledare", "NV").email
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does within a minute of a bulk load: the planner's
                # statistics, and the visibility map index-only scans need. Without it
                # every plan here is made for empty tables.
                autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
                with autocommit.connect() as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
        client = app.test_client()
        assert login(client, email).status_code == 302

        def get(path: str) -> Callable[[], None]:
            def load() -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            return load

        yardstick = _median(get("/omgangar"), repeat)
        print(f"round list: {yardstick * 1000:.0f} ms", flush=True)
        for name, pattern in PAGES:
            path = pattern.format(id=generated.round_id)
            started = time.perf_counter()
            get(path)()
            cold = time.perf_counter() - started
            warm = _median(get(path), repeat)
            size = len(client.get(path).data)
            ratio = warm / yardstick
            print(
                f"{name}: cold {cold:.2f} s, warm {warm * 1000:.0f} ms, "
                f"{size / 1024:.0f} KB, ÷ round list {ratio:.2f}",
                flush=True,
            )
            figures.append(
                Figure(
                    benchmark=f"page: {name}",
                    database=kind,
                    workload=f"{responses:,} answers, process leader",
                    project=f"{warm * 1000:.0f} ms warm (cold {cold:.2f} s), {size / 1024:.0f} KB",
                    floor=f"round list {yardstick * 1000:.0f} ms",
                    ratio=ratio,
                    target="≤ 5",
                    met=ratio <= 5 and size <= 200 * 1024,
                )
            )
        with app.app_context():
            db.engine.dispose()
    return figures


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def answers_csv(questionnaire: Any, emails: list[str], kinds: list[Any], seed: int = 7) -> bytes:
    from tests.realistic_data import realistic_answers

    rng = random.Random(seed)
    rows = [realistic_answers(rng, questionnaire, kind) for kind in kinds]
    columns = [question.id for question in questionnaire.questions]
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(["e-post", *columns])
    for email, answers in zip(emails, rows, strict=True):
        writer.writerow([email, *(_cell(answers[c]) if c in answers else "" for c in columns)])
    return text.getvalue().encode("utf-8")


def importing(database_url: str | None, rows: int, repeat: int) -> list[Figure]:
    from sqlalchemy import delete, insert, select

    from survey.db import db
    from survey.responses.importing import import_responses
    from survey.schema.responses import Response, ResponseSubmission
    from survey.schema.rounds import Recipient, Round
    from survey.tabular import TableLimits, table_limits
    from tests.realistic_data import bench_app, generate_recipients, scratch_database

    kind = database_kind(database_url or "sqlite")
    project_times: list[float] = []
    floor_times: list[float] = []
    with scratch_database(database_url) as url:
        app = bench_app(url)
        with app.app_context():
            now = datetime.now(UTC)
            generated = generate_recipients(
                recipients=rows, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
            )
            found = db.session.execute(
                select(Recipient.id, Recipient.email, Recipient.organisation_type).where(
                    Recipient.round_id == generated.round_id
                )
            ).all()
            data = answers_csv(
                generated.questionnaire, [row[1] or "" for row in found], [row[2] for row in found]
            )
            print(f"import file: {rows:,} rows, {len(data) / 1024 / 1024:.1f} MB", flush=True)
            directory = tempfile.TemporaryDirectory(prefix="survey-import-")
            path = Path(directory.name) / "svar.csv"
            path.write_bytes(data)
            del data

            def clear() -> None:
                db.session.execute(delete(Response).where(Response.round_id == generated.round_id))
                db.session.commit()

            db.session.commit()
            db.engine.dispose()  # no connection of ours may lock SQLite meanwhile
            before, peak = _child_import_rss(url, generated.round_id, path)
            print(
                f"import through the command in a child process: peak RSS {peak / 1024:.0f} MB "
                f"({before / 1024:.0f} MB before the import)",
                flush=True,
            )
            memory = f"peak RSS {peak / 1024:.0f} MB (app {before / 1024:.0f} MB)"
            stored: list[dict[str, Any]] = []
            for attempt in range(repeat):
                clear()
                round_ = db.session.get(Round, generated.round_id)
                assert round_ is not None
                started = time.perf_counter()
                with table_limits(TableLimits(None, None, None)):
                    outcome = import_responses(round_, path, "svar.csv")
                db.session.commit()
                project_times.append(time.perf_counter() - started)
                assert outcome.imported, outcome.check.problems[:3]
                assert outcome.rows == outcome.created == rows, (outcome.rows, outcome.created)
                if attempt == 0:
                    stored = [
                        {"recipient_id": recipient_id, "answers": answers}
                        for recipient_id, answers in db.session.execute(
                            select(Response.recipient_id, Response.answers).where(
                                Response.round_id == generated.round_id
                            )
                        )
                    ]
                clear()
                started = time.perf_counter()
                ids = db.session.scalars(
                    insert(Response).returning(Response.id, sort_by_parameter_order=True),
                    [
                        {
                            "round_id": generated.round_id,
                            "recipient_id": row["recipient_id"],
                            "answers": row["answers"],
                            "submitted_at": now,
                            "imported": True,
                            "first_submitted_at": now,
                            "submission_count": 1,
                            "created_at": now,
                            "version_id": 1,
                        }
                        for row in stored
                    ],
                ).all()
                db.session.execute(
                    insert(ResponseSubmission),
                    [
                        {
                            "response_id": response_id,
                            "number": 1,
                            "answers": row["answers"],
                            "submitted_at": now,
                            "imported": True,
                        }
                        for response_id, row in zip(ids, stored, strict=True)
                    ],
                )
                db.session.commit()
                floor_times.append(time.perf_counter() - started)
                print(
                    f"import run {attempt + 1}: project {project_times[-1]:.1f} s, "
                    f"floor {floor_times[-1]:.1f} s",
                    flush=True,
                )
            db.engine.dispose()
            directory.cleanup()
    project = statistics.median(project_times)
    floor = statistics.median(floor_times)
    return [
        Figure(
            benchmark="import of answers (CLI path: read, check, store)",
            database=kind,
            workload=f"{rows:,} rows",
            project=f"{project:.1f} s ({rows / project:,.0f} rows/s)",
            floor=f"{floor:.1f} s (one multi-row INSERT each)",
            ratio=project / floor,
            target="≤ 3",
            met=project / floor <= 3,
            note=memory,
        )
    ]


_CHILD = """
import json, sys
from pathlib import Path
from tests.realistic_data import bench_app

def rss_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

app = bench_app(sys.argv[1])
with app.app_context():
    from survey.db import db
    db.engine.dispose()
Path("/proc/self/clear_refs").write_text("5")  # peak RSS (VmHWM) := RSS now (Linux)
before = rss_kb("VmRSS")
result = app.test_cli_runner().invoke(args=["round", "import-responses", sys.argv[2], sys.argv[3]])
assert result.exit_code == 0, (result.output, result.stderr, repr(result.exception))
print(json.dumps([before, rss_kb("VmHWM")]))
"""


def _child_import_rss(url: str, round_id: int, path: Path) -> tuple[int, int]:
    """Run `survey round import-responses` in a child; its RSS (KB) before and at its peak.

    The peak is Linux's VmHWM, reset just before the import (`/proc/self/clear_refs`), so
    it is the import's own peak, not the app's start-up.
    """
    finished = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(round_id), str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the child import failed: {finished.stderr[-2000:]}")
    before, peak = json.loads(finished.stdout.strip().splitlines()[-1])
    return int(before), int(peak)


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", choices=("pages", "import"))
    arguments = parser.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    figures: list[Figure] = []
    if arguments.only in (None, "pages"):
        figures += pages(arguments.database_url, arguments.responses, arguments.repeat)
    if arguments.only in (None, "import"):
        figures += importing(arguments.database_url, arguments.import_rows, arguments.repeat)
    print_figures(figures)
    return figures


if __name__ == "__main__":
    main()
