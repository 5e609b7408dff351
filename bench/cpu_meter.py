"""CPU seconds used by gunicorn, PostgreSQL's backends for one database, and this process.

On a machine shared with other work, requests per second say more about the neighbours
than about the app. The CPU time the processes serving the benchmark used does not: with
it `bench.load_bench` also gives the rate the same work would reach on idle cores
(Linux /proc; elsewhere the figures are absent).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass(frozen=True)
class CpuSample:
    server: float  # the gunicorn master and its workers
    database: float  # PostgreSQL backends connected to the benchmark's database
    client: float  # this process (the client threads)


def sample(gunicorn_pid: int, database_name: str) -> CpuSample | None:
    """CPU seconds so far; None where /proc cannot tell."""
    if not Path("/proc/self/stat").exists():
        return None
    server = database = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _stat(pid)
        if stat is None:
            continue
        parent, seconds = stat
        if gunicorn_pid in (pid, parent):
            server += seconds
        elif f" {database_name} " in f" {_cmdline(pid)} ":
            database += seconds
    return CpuSample(server, database, time.process_time())


def per_view(before: CpuSample | None, after: CpuSample | None, views: int) -> str | None:
    """One line: milliseconds of CPU per view by each, and the rate on two idle cores."""
    if before is None or after is None or not views:
        return None
    server = (after.server - before.server) / views
    database = (after.database - before.database) / views
    client = (after.client - before.client) / views
    total = server + database + client
    return (
        f"CPU per view: gunicorn {server * 1000:.2f} ms, PostgreSQL {database * 1000:.2f} ms, "
        f"clients {client * 1000:.2f} ms; all {total * 1000:.2f} ms = {2 / total:.0f} views/s "
        f"on 2 idle cores (server and database alone: {2 / (server + database):.0f}/s)"
        if total > 0 and server + database > 0
        else "CPU per view: not measured"
    )
