"""The fence around the fast row writer: the pin, the fast path taken, the logged fallback."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
import xlsxwriter.worksheet
from flask import Flask
from packaging.requirements import Requirement
from packaging.version import Version
from xlsxwriter.worksheet import Worksheet

from survey.export import fastrows
from survey.export.fastrows import FastRowWorksheet, fallback_reason, worksheet_class
from survey.export.workbook import build_workbook
from tests.export_helpers import make_export_round, read_workbook, rows_of

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def xlsxwriter_requirement() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    (requirement,) = [
        Requirement(each) for each in dependencies if Requirement(each).name == "XlsxWriter"
    ]
    return requirement


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "survey.export.fastrows" and record.levelno == logging.WARNING
    ]


def test_it_pins_xlsxwriter_to_the_versions_the_fast_writer_was_checked_against() -> None:
    specifier = xlsxwriter_requirement().specifier
    assert any(each.operator == "<" for each in specifier), "XlsxWriter needs an upper bound"
    for version in ("3.1.9", "3.2.0", "3.2.9", "3.3.0", "3.3.1", "3.3.9", "3.4.0", "4.0.0"):
        assert (Version(version) in specifier) == version.startswith(fastrows.TESTED_VERSIONS)


def test_it_takes_the_fast_path_with_the_installed_xlsxwriter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert Version(xlsxwriter.__version__) in xlsxwriter_requirement().specifier
    assert fallback_reason() is None
    with caplog.at_level(logging.WARNING):
        assert worksheet_class() is FastRowWorksheet
    assert fallback_warnings(caplog) == []


def test_it_writes_the_export_through_the_fast_row_writer(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: dict[str, int] = {}
    render_row = FastRowWorksheet._render_row

    def counting(self: FastRowWorksheet, row: int, cells: dict[int, Any]) -> None:
        rendered[self.name] = rendered.get(self.name, 0) + 1
        render_row(self, row, cells)

    monkeypatch.setattr(FastRowWorksheet, "_render_row", counting)
    with app.app_context():
        made = make_export_round()
        build_workbook(made.round_id, identifying=False, out=tmp_path / "export.xlsx")
    answers = rows_of(read_workbook(tmp_path / "export.xlsx"), "Svar", skip=2)
    # Every row of the answers sheet, its two header rows included, went through the fast path.
    assert rendered["Svar"] == len(answers) + 2 == 6


def _takes_other_parameters(self: Worksheet, row: int) -> None:
    """A stand-in for a private method whose parameters changed."""


FALLBACKS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    "a newer version": (
        lambda mp: mp.setattr(xlsxwriter, "__version__", "3.4.0"),
        "xlsxwriter 3.4.0 is not a version it was checked against (3.3.x)",
    ),
    "no private row writer": (
        lambda mp: mp.delattr(Worksheet, "_write_single_row"),
        "has no method Worksheet._write_single_row",
    ),
    "a row writer of another shape": (
        lambda mp: mp.setattr(Worksheet, "_write_single_row", _takes_other_parameters),
        "Worksheet._write_single_row in xlsxwriter 3.3.1 takes (self, row), "
        "not (self, current_row_num)",
    ),
    "a row opener of another shape": (
        lambda mp: mp.setattr(Worksheet, "_write_row", _takes_other_parameters),
        "Worksheet._write_row in xlsxwriter",
    ),
    "no row records": (
        lambda mp: mp.delattr(xlsxwriter.worksheet, "RowInfo"),
        "has no RowInfo with a field row_format",
    ),
    "renamed cell records": (
        lambda mp: mp.delattr(xlsxwriter.worksheet, "CellStringTuple"),
        "has no cell record CellStringTuple String(string, format)",
    ),
}


@pytest.mark.parametrize("change", list(FALLBACKS))
def test_it_falls_back_to_xlsxwriter_and_says_what_to_do(
    change: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make_change, reason = FALLBACKS[change]
    monkeypatch.setattr(xlsxwriter, "__version__", "3.3.1")
    make_change(monkeypatch)
    with caplog.at_level(logging.WARNING):
        assert worksheet_class() is Worksheet
    (warning,) = fallback_warnings(caplog)
    assert reason in warning
    assert "falls back to xlsxwriter's own row writer" in warning
    assert "Install the XlsxWriter version pyproject.toml asks for" in warning
