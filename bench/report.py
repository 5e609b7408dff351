"""What every benchmark prints about the machine, and the summary rows `bench.run_all` collects."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One benchmark's result: the project against its floor, and whether the target holds."""

    benchmark: str
    database: str
    workload: str
    project: str
    floor: str
    ratio: float
    target: str
    met: bool
    note: str = ""


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gb() -> float | None:
    """Installed memory in GB (Linux), None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    """One line: system, cores, CPU, memory, Python and the load average now."""
    memory = memory_gb()
    ram = f", {memory:.0f} GB RAM" if memory is not None else ""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu_model()}){ram}, "
        f"Python {platform.python_version()}, load average {load_average()}"
    )


def database_kind(database_url: str) -> str:
    """PostgreSQL or SQLite, from the URL."""
    return "PostgreSQL" if database_url.startswith("postgres") else "SQLite"


def print_figures(figures: list[Figure]) -> None:
    """The summary table: one row per figure."""
    if not figures:
        return
    header = (
        "benchmark",
        "database",
        "workload",
        "project",
        "floor",
        "ratio",
        "target",
        "",
        "note",
    )
    rows = [header] + [
        (
            figure.benchmark,
            figure.database,
            figure.workload,
            figure.project,
            figure.floor,
            f"{figure.ratio:.2f}",
            figure.target,
            "met" if figure.met else "MISSED",
            figure.note,
        )
        for figure in figures
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    print()
    for number, row in enumerate(rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))
