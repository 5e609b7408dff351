"""Many measurements at once from the Excel template: checked whole, stored all or none.

One row per measurement; for a Ja/Nej per organisation, one row per organisation with the
same indicator and date (they become one measurement). Every problem names its row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import xlsxwriter

from survey.errors import ErrorCode, SurveyError
from survey.export.writer import SheetWriter, Styles
from survey.plans.measurements import (
    MeasurementInput,
    MeasurementRefused,
    check_measurement,
    record_measurement,
)
from survey.plans.model import Plan
from survey.schema.accounts import User
from survey.schema.plans import PlanRecord
from survey.tabular import ColumnSpec, TableError, match_columns, read_table

COLUMNS = (
    ColumnSpec("indicator", "Indikator", ("id", "indikator-id")),
    ColumnSpec(
        "organisation", "Organisation", ("kommun", "sjukhus", "vårdcentral"), required=False
    ),
    ColumnSpec("date", "Datum", ("mätdatum", "period slut", "date")),
    ColumnSpec("period_start", "Periodens början", ("period start", "från"), required=False),
    ColumnSpec("value", "Värde", ("value", "svar")),
    ColumnSpec("source", "Källa", ("source",)),
    ColumnSpec("comment", "Kommentar", ("comment",), required=False),
)


class ImportRefused(SurveyError):
    """A file of measurements refused as a whole; `problems` lists each, in Swedish."""

    code = ErrorCode.PLAN_IMPORT_HAS_PROBLEMS

    def __init__(self, problems: list[str], *, code: ErrorCode | None = None) -> None:
        super().__init__("\n".join(problems), code=code)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class _Group:
    entry: MeasurementInput
    rows: list[int]


def read_measurements(data: bytes, filename: str, plan: Plan) -> list[MeasurementInput]:
    """The file's measurements, or ImportRefused listing every problem with its row."""
    try:
        table = read_table(data, filename)
    except TableError as exc:
        raise ImportRefused([str(exc)], code=exc.code) from None
    columns = match_columns(table.headers, COLUMNS)
    if isinstance(columns, list):
        raise ImportRefused(
            [problem.message for problem in columns], code=ErrorCode.PLAN_IMPORT_BAD_COLUMNS
        )
    problems: list[str] = []
    groups: dict[tuple[str, str], _Group] = {}
    singles: list[MeasurementInput] = []
    for row in table.rows:
        values = {spec.key: columns.value(row, spec.key).strip() for spec in COLUMNS}
        if not (values["value"] or values["date"] or values["source"]):
            continue  # a template row left unfilled
        organisation = values["organisation"]
        value = f"{organisation}={values['value']}" if organisation else values["value"]
        entry = MeasurementInput(
            values["indicator"],
            value,
            values["date"],
            values["source"],
            values["comment"],
            values["period_start"],
        )
        if organisation:
            key = (values["indicator"], values["date"])
            group = groups.get(key)
            if group is None:
                groups[key] = _Group(entry, [row.number])
            else:
                merged = MeasurementInput(
                    group.entry.indicator_id,
                    f"{group.entry.value}; {value}",
                    group.entry.measured_on,
                    group.entry.source,
                    group.entry.comment or entry.comment,
                    group.entry.period_start,
                )
                groups[key] = _Group(merged, [*group.rows, row.number])
            continue
        try:
            check_measurement(plan, entry)
        except MeasurementRefused as refused:
            problems.append(f"Rad {row.number}: {refused.message}")
        else:
            singles.append(entry)
    for group in groups.values():
        try:
            check_measurement(plan, group.entry)
        except MeasurementRefused as refused:
            where = ", ".join(str(number) for number in group.rows)
            problems.append(f"Rad {where}: {refused.message}")
        else:
            singles.append(group.entry)
    if problems:
        raise ImportRefused(problems, code=ErrorCode.PLAN_IMPORT_HAS_PROBLEMS)
    if not singles:
        raise ImportRefused(
            ["Filen har inga mätningar under rubrikraden."], code=ErrorCode.PLAN_IMPORT_NO_ROWS
        )
    return singles


def import_measurements(
    record: PlanRecord, plan: Plan, data: bytes, filename: str, user: User | None
) -> int:
    """Store every measurement of the file (the caller commits); ImportRefused stores none."""
    entries = read_measurements(data, filename, plan)
    for entry in entries:
        record_measurement(record, plan, entry, user)
    return len(entries)


def measurement_template(plan: Plan) -> bytes:
    """The Excel template: the header row and a row per indicator measured outside the enkät."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    styles = Styles(workbook)
    sheet = SheetWriter(workbook.add_worksheet("Mätningar"), styles)
    sheet.header(0, [spec.label for spec in COLUMNS])
    row = 1
    for indicator in plan.indicators:
        if indicator.measured_by_enkat:
            continue
        unit = f", {indicator.unit}" if indicator.unit else ""
        sheet.text(row, 0, indicator.id)
        sheet.text(
            row,
            6,
            f"{indicator.answer.label}{unit}: {indicator.text}",
        )
        row += 1
    guide = SheetWriter(workbook.add_worksheet("Anvisning"), styles)
    lines = [
        "Fyll i en rad per mätning: indikator, datum (ÅÅÅÅ-MM-DD), värde och källa.",
        "Ja/Nej skrivs Ja eller Nej; andelar i procent (t.ex. 12,5); dygn och antal som tal.",
        "För ”samtliga kommuner/sjukhus”: en rad per organisation med samma indikator och datum.",
        "Rader utan datum, värde och källa hoppas över.",
    ]
    for index, line in enumerate(lines):
        guide.text(index, 0, line)
    sheet.finish()
    workbook.close()
    return buffer.getvalue()
