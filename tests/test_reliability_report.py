"""docs/reliability.md is what the suite produces, and every test it names exists."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.reliability_report import (
    ATTACKS,
    FAULTS,
    REPORT_PATH,
    SABOTAGED_ROWS,
    bad_input_node_id,
    main,
    referenced_tests,
    render,
)

PROJECT = REPORT_PATH.parent.parent


def test_it_keeps_the_committed_report_equal_to_what_the_suite_produces() -> None:
    assert REPORT_PATH.read_text(encoding="utf-8") == render(), (
        "docs/reliability.md is out of date: run `python -m tests.reliability_report`"
    )


def test_it_names_only_tests_that_exist() -> None:
    """Collect the named test files the way pytest does and find every named node id."""
    referenced = referenced_tests()
    files = sorted({node.split("::")[0] for node in referenced})
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    node_ids = {line.strip() for line in collected.stdout.splitlines() if "::" in line}
    missing = [
        node
        for node in referenced
        if node not in node_ids and not any(found.startswith(node + "[") for found in node_ids)
    ]
    assert missing == []


def test_it_names_at_least_one_test_for_every_fault_and_attack() -> None:
    for proven in (*FAULTS, *ATTACKS):
        assert proven.tests, proven.what
    assert len(FAULTS) >= 8 and len(ATTACKS) >= 6


def test_it_marks_sabotaged_rows_with_their_node_ids_in_the_report() -> None:
    report = render()
    for row_id in SABOTAGED_ROWS:
        assert f"`{row_id}`" in report
    assert bad_input_node_id("token-garbled") in referenced_tests()


def test_it_checks_the_report_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--wrong"]) == 2
