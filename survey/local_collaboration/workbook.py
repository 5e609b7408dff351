"""The Excel export: the overview of the groups, and each group's plan.

Every cell goes through `survey.export.writer.SheetWriter`: text is cleaned and written as
a string (with the quote prefix when it would read as a formula), dates as dates, numbers
as numbers; nothing is left to xlsxwriter's guessing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Final

from xlsxwriter.workbook import Workbook

from survey.export.writer import SheetWriter, Styles
from survey.local_collaboration.overview import GroupPlan, OverviewRow
from survey.local_collaboration.vocabulary import MATURITY_LEVELS, STEP_DATES, STEP_LABELS
from survey.organisations import delregion_label
from survey.schema.local_collaboration import ACTION_STATUS_LABELS, ActionStatus

XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_UNSAFE: Final = re.compile(r"[\[\]:*?/\\']")

OVERVIEW_HEADER: Final = (
    "Grupp",
    "Kommun",
    "Delregion",
    "Steg",
    "Mognad",
    "Mognad år",
    "Öppna åtgärder",
    "Försenade åtgärder",
    "Senast uppdaterad",
    "Kontaktperson",
    "E-post",
    "Länk giltig",
)
ACTION_HEADER: Final = (
    "Fråga",
    "Vad har upptäckts",
    "Åtgärd (vad)",
    "Vem",
    "Hur",
    "Värde för invånaren",
    "Uppföljning",
    "Status",
    "Klart senast",
    "Följs upp",
)


def _sheet_name(text: str, used: set[str]) -> str:
    base = _SHEET_UNSAFE.sub("", text)[:28] or "Plan"
    name, number = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {number}"
        number += 1
    used.add(name.lower())
    return name


def _write_overview(workbook: Workbook, styles: Styles, rows: Sequence[OverviewRow]) -> None:
    out = SheetWriter(workbook.add_worksheet("Översikt"), styles)
    out.header(0, OVERVIEW_HEADER)
    for number, row in enumerate(rows, start=1):
        group = row.group
        out.text(number, 0, group.name)
        out.text(number, 1, group.kommun)
        out.text(number, 2, delregion_label(group.delregion))
        out.text(number, 3, STEP_LABELS[row.step])
        if row.maturity_level is not None:
            out.text(number, 4, f"{row.maturity_level} {MATURITY_LEVELS[row.maturity_level]}")
            out.number(number, 5, row.maturity_year, styles.integer)
        out.number(number, 6, row.open_actions, styles.integer)
        out.number(number, 7, row.overdue_actions, styles.integer)
        out.date(number, 8, row.last_update)
        out.text(number, 9, group.contact_name)
        out.text(number, 10, group.contact_email)
        out.text(number, 11, "Ja" if row.link_live else "Nej")
    out.finish()


def _write_plan(workbook: Workbook, styles: Styles, plan: GroupPlan, name: str) -> None:
    out = SheetWriter(workbook.add_worksheet(name), styles)
    group = plan.group
    out.text(0, 0, f"Handlingsplan: {group.name}", styles.title)
    out.text(1, 0, f"Steg: {STEP_LABELS[plan.step]}")
    row = 2
    for step in STEP_DATES:
        out.text(row, 0, step.label)
        out.date(row, 1, getattr(group, step.field))
        row += 1
    for maturity in plan.maturity:
        out.text(row, 0, f"Mognad {maturity.year}")
        out.text(row, 1, f"{maturity.level} {MATURITY_LEVELS[maturity.level]}")
        out.text(row, 2, maturity.comment, styles.wrap)
        row += 1
    row += 1
    header_row = row
    out.header(row, ACTION_HEADER)
    row += 1
    for question in plan.questions:
        actions = question.actions or (None,)
        for action in actions:
            out.text(row, 0, question.question.text, styles.wrap)
            out.text(row, 1, question.finding, styles.wrap)
            if action is not None:
                out.text(row, 2, action.what, styles.wrap)
                out.text(row, 3, action.who)
                out.text(row, 4, action.how, styles.wrap)
                out.text(row, 5, action.citizen_value, styles.wrap)
                out.text(row, 6, action.follow_up, styles.wrap)
                out.text(row, 7, ACTION_STATUS_LABELS[ActionStatus(action.status)])
                out.date(row, 8, action.due_on)
                out.date(row, 9, action.follow_up_on)
            row += 1
    row += 1
    out.header(row, ("Val av indikatorer", "Källa", "Resultat", "Enhet", "Datum"))
    row += 1
    for trend in plan.indicators:
        if not trend.results:
            out.text(row, 0, trend.indicator.name, styles.wrap)
            out.text(row, 1, trend.indicator.source)
            row += 1
        for result in trend.results:
            out.text(row, 0, trend.indicator.name, styles.wrap)
            out.text(row, 1, trend.indicator.source)
            out.number(row, 2, result.value)
            out.text(row, 3, trend.indicator.unit)
            out.date(row, 4, result.measured_on)
            row += 1
    out.finish(header_rows=header_row + 1, filter_last_row=header_row, fit_width=True)


def _workbook() -> tuple[io.BytesIO, Workbook, Styles]:
    buffer = io.BytesIO()
    workbook = Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    return buffer, workbook, Styles(workbook)


def overview_workbook(rows: Sequence[OverviewRow], plans: Sequence[GroupPlan]) -> io.BytesIO:
    """The overview sheet, then one sheet per group's plan."""
    buffer, workbook, styles = _workbook()
    _write_overview(workbook, styles, rows)
    used = {"översikt"}
    for plan in plans:
        _write_plan(workbook, styles, plan, _sheet_name(plan.group.kommun, used))
    workbook.close()
    buffer.seek(0)
    return buffer


def plan_workbook(plan: GroupPlan) -> io.BytesIO:
    """One group's plan."""
    buffer, workbook, styles = _workbook()
    _write_plan(workbook, styles, plan, _sheet_name(plan.group.kommun, set()))
    workbook.close()
    buffer.seek(0)
    return buffer
