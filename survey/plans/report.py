"""The report for the tjänstemannaberedning: its content, the PDF (WeasyPrint) and the workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter
from flask import render_template

from survey.export.writer import SheetWriter, Styles
from survey.plans.charts import trend_svg
from survey.plans.model import Area, Plan
from survey.plans.status import (
    STATUS_ORDER,
    IndicatorStatus,
    PlanFigures,
    status_colour,
    summary_by_area,
)
from survey.schema.plans import PlanRecord, PlanVersion


@dataclass(frozen=True, slots=True)
class AreaReport:
    area: Area
    counts: dict[str, int]
    items: list[IndicatorStatus]


@dataclass(frozen=True, slots=True)
class PlanReport:
    record: PlanRecord
    version: PlanVersion
    plan: Plan
    as_of: date
    areas: list[AreaReport]
    analyses: dict[str, tuple[str, str]]  # indicator id → (analysis, actions) for as_of's year

    @property
    def items(self) -> list[IndicatorStatus]:
        return [item for area in self.areas for item in area.items]


def build_report(
    record: PlanRecord, as_of: date, analyses: dict[str, tuple[str, str]] | None = None
) -> PlanReport:
    figures = PlanFigures(record)
    version, plan = figures.plan_at(as_of)
    statuses = figures.statuses(as_of)
    counts = summary_by_area(statuses)
    areas = [
        AreaReport(
            area,
            counts.get(area.id, {key: 0 for key in (*STATUS_ORDER, "övriga")}),
            [item for item in statuses if item.indicator.area_id == area.id],
        )
        for area in plan.areas
    ]
    return PlanReport(record, version, plan, as_of, areas, analyses or {})


def template_helpers() -> dict[str, Any]:
    """What the plan templates call: status colours, the trend chart, value formatting."""
    return {"status_colour": status_colour, "trend_svg": trend_svg}


def report_html(report: PlanReport) -> str:
    """The report as a standalone printable HTML document (what the PDF is made from)."""
    return render_template("plans/report.html", report=report, **template_helpers())


def report_pdf(report: PlanReport) -> bytes:
    """The report as a PDF: selectable text, the charts, page numbers and the report date."""
    from weasyprint import HTML  # imported here: it loads Pango, needed only for PDFs

    # The stylesheet is found beside the app's static files; nothing is fetched from outside.
    static = Path(__file__).resolve().parents[1] / "static"
    html = report_html(report)
    return bytes(HTML(string=html, base_url=f"{static.as_uri()}/").write_pdf())


def report_xlsx(report: PlanReport) -> bytes:
    """The report as a workbook: a summary sheet, a row per indicator (cells never formulas)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    styles = Styles(workbook)
    summary = SheetWriter(workbook.add_worksheet("Sammanfattning"), styles)
    summary.text(0, 0, f"{report.plan.title}, version {report.version.version}", styles.title)
    summary.text(1, 0, f"Rapportdatum {report.as_of.isoformat()}")
    summary.header(3, ["Område", *[label.capitalize() for label in STATUS_ORDER], "Övriga"])
    for row, area in enumerate(report.areas, start=4):
        summary.text(row, 0, area.area.title)
        for col, key in enumerate((*STATUS_ORDER, "övriga"), start=1):
            summary.number(row, col, area.counts.get(key, 0), styles.integer)
    summary.finish(header_rows=4)
    sheet = SheetWriter(workbook.add_worksheet("Indikatorer"), styles)
    headers = [
        "Område",
        "Id",
        "Indikator",
        "Metod",
        "Ansvar",
        "Värde",
        "Datum",
        "Källa",
        "Status",
        "Bedömning",
        "Mål som gäller",
        "Nästa mål",
        "Trend",
        "Ändringar",
        "Analys",
        "Åtgärder",
    ]
    sheet.header(0, headers)
    for row, item in enumerate(report.items, start=1):
        obs = item.observation
        analysis, actions = report.analyses.get(item.indicator.id, ("", ""))
        cells = [
            item.indicator.area_id,
            item.indicator.id,
            item.indicator.text,
            item.indicator.method_text,
            item.indicator.responsible,
            None if obs is None else obs.shown,
            None,
            None if obs is None else obs.source,
            item.status,
            item.assessment,
            item.target_text(item.target),
            item.target_text(item.next_target),
            "; ".join(f"{year}: {shown}" for year, _, shown in item.trend),
            " ".join(item.changes),
            analysis,
            actions,
        ]
        for col, value in enumerate(cells):
            if col == 6:
                sheet.date(row, col, None if obs is None else obs.on)
            else:
                sheet.text(row, col, value, styles.wrap if col in (2, 14, 15) else None)
    sheet.finish()
    workbook.close()
    return buffer.getvalue()
