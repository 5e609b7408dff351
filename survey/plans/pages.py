"""The plan pages: the plan followed by area, recording measurements, analyses, the report.

Every page opens the plan through `open_plan`: logged in, a plan of another delregion does
not exist (404), recording and writing analyses need a process leader of the plan's
delregion or an administrator (403). Forms are plain HTML with the CSRF token; every bad
input is shown in an error summary and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from survey.accounts.permissions import login_required
from survey.db import db
from survey.localtime import STOCKHOLM, format_local
from survey.plans.analyses import analysis_history, latest_analyses, save_analysis
from survey.plans.importing import ImportRefused, import_measurements, measurement_template
from survey.plans.measurements import (
    MeasurementInput,
    MeasurementRefused,
    format_measurement,
    measurement_history,
    record_measurement,
)
from survey.plans.model import METHOD_LABELS, Method
from survey.plans.report import build_report, report_html, report_pdf, report_xlsx, template_helpers
from survey.plans.report_jobs import (
    KIND_LABELS,
    recent_report_jobs,
    record_report_download,
    report_file_name,
)
from survey.plans.status import ALL_STATUSES, IndicatorStatus, PlanFigures
from survey.plans.storage import (
    can_read_plan,
    can_record_plan,
    plan_by_key,
    plan_of,
    version_in_force,
    versions_of,
    visible_plans,
)
from survey.schema.plans import PlanMeasurement, PlanRecord
from survey.tabular import MAX_FILE_BYTES

bp = Blueprint("plans", __name__, url_prefix="/planer")


def today_local() -> date:
    return datetime.now(STOCKHOLM).date()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_plan(key: str, *, record: bool = False) -> PlanRecord:
    plan = plan_by_key(key)
    if plan is None or not can_read_plan(current_user, plan):
        abort(404)
    if record and not can_record_plan(current_user, plan):
        abort(403)
    return plan


def as_of_from(args: Any) -> tuple[date, list[tuple[str, str]]]:
    text = (args.get("datum") or "").strip()
    if not text:
        return today_local(), []
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return today_local(), [("datum", f"”{text[:20]}” är inte ett datum. Skriv ÅÅÅÅ-MM-DD.")]
    if not 2000 <= day.year <= 2100:
        return today_local(), [("datum", "Välj ett datum mellan år 2000 och 2100.")]
    return day, []


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        **template_helpers(),
        "can_record": can_record_plan,
        "format_measurement": format_measurement,
        "format_local": format_local,
    }


@bp.get("/")
@login_required
def list_plans() -> str:
    plans = list(db.session.scalars(visible_plans(current_user)))
    return render_template("plans/list.html", plans=plans)


def _filtered(items: list[IndicatorStatus], args: Any) -> list[IndicatorStatus]:
    area, method, status, responsible = (
        args.get(key, "") for key in ("omrade", "metod", "status", "ansvar")
    )
    return [
        item
        for item in items
        if (not area or item.indicator.area_id == area)
        and (not method or str(item.indicator.method) == method)
        and (not status or item.status == status)
        and (not responsible or responsible.lower() in item.indicator.responsible.lower())
    ]


@bp.get("/<plan_key>")
@login_required
def show_plan(plan_key: str) -> str:
    record = open_plan(plan_key)
    as_of, errors = as_of_from(request.args)
    figures = PlanFigures(record)
    version, plan = figures.plan_at(as_of)
    statuses = figures.statuses(as_of)
    shown = _filtered(statuses, request.args)
    return render_template(
        "plans/show.html",
        record=record,
        plan=plan,
        version=version,
        as_of=as_of,
        errors=errors,
        statuses=shown,
        total=len(statuses),
        filters={key: request.args.get(key, "") for key in ("omrade", "metod", "status", "ansvar")},
        methods=[(str(m), METHOD_LABELS[m]) for m in Method],
        all_statuses=ALL_STATUSES,
    )


def _indicator_or_404(record: PlanRecord, indicator_id: str, as_of: date) -> tuple[Any, Any]:
    plan = plan_of(version_in_force(versions_of(record), as_of))
    indicator = plan.indicator(indicator_id)
    if indicator is None:
        abort(404)
    return plan, indicator


@bp.get("/<plan_key>/indikatorer/<indicator_id>")
@login_required
def show_indicator(plan_key: str, indicator_id: str) -> Any:
    record = open_plan(plan_key)
    as_of, errors = as_of_from(request.args)
    return _indicator_page(record, indicator_id, as_of, errors)


def _indicator_page(
    record: PlanRecord,
    indicator_id: str,
    as_of: date,
    errors: list[tuple[str, str]],
    form: dict[str, str] | None = None,
    analysis_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    plan, indicator = _indicator_or_404(record, indicator_id, as_of)
    item = PlanFigures(record).indicator_status(indicator_id, as_of)
    asked = (analysis_form or {}).get("ar") or request.args.get("ar", "")
    year = int(asked) if asked.isascii() and asked.isdigit() and len(asked) == 4 else as_of.year
    history = analysis_history(record, indicator_id, year)
    correcting = None
    correct_id = (request.args.get("ratta") or (form or {}).get("ratta") or "").strip()
    if correct_id.isascii() and correct_id.isdigit() and len(correct_id) < 10:
        correcting = db.session.get(PlanMeasurement, int(correct_id))
        if (
            correcting is None
            or correcting.plan_id != record.id
            or correcting.indicator_id != indicator_id
        ):
            correcting = None
    if form is None and correcting is not None:
        form = {
            "varde": _value_text(correcting),
            "datum": correcting.measured_on.isoformat(),
            "kalla": correcting.source,
            "kommentar": correcting.comment,
            "ratta": str(correcting.id),
        }
    body = render_template(
        "plans/indicator.html",
        record=record,
        plan=plan,
        indicator=indicator,
        item=item,
        as_of=as_of,
        errors=errors,
        form=form or {},
        analysis_form=analysis_form or {},
        measurements=measurement_history(record, indicator_id),
        year=year,
        analyses=history,
        correcting=correcting,
        organisations=plan.organisations_of(indicator.population),
    )
    return body if status_code == 200 else (body, status_code)


def _value_text(row: PlanMeasurement) -> str:
    if row.text_value is not None:
        return row.text_value
    if row.organisation_values:
        return ", ".join(
            f"{name}={'' if answer is None else ('Ja' if answer else 'Nej')}"
            for name, answer in row.organisation_values.items()
        )
    if row.value is None:
        return ""
    if row.unit == "" and row.value in (0.0, 100.0):
        return "Ja" if row.value else "Nej"
    return f"{row.value:g}".replace(".", ",")


@bp.post("/<plan_key>/indikatorer/<indicator_id>/matning")
@login_required
def record(plan_key: str, indicator_id: str) -> Any:
    plan_record = open_plan(plan_key, record=True)
    form = {
        key: request.form.get(key, "")
        for key in ("varde", "datum", "kalla", "kommentar", "ratta", "period")
    }
    per_org = [key for key in request.form if key.startswith("org-")]
    if per_org:
        form["varde"] = ", ".join(f"{key[4:]}={request.form.get(key, '')}" for key in per_org)
    as_of = today_local()
    replaces = None
    if form["ratta"].strip():
        # Locked: two corrections of one measurement at once cannot both replace it.
        replaces = (
            db.session.get(PlanMeasurement, int(form["ratta"]), with_for_update=True)
            if form["ratta"].isascii() and form["ratta"].isdigit() and len(form["ratta"]) < 10
            else None
        )
        if replaces is None or replaces.plan_id != plan_record.id:
            abort(404)
    try:
        day = date.fromisoformat(form["datum"].strip())
    except ValueError:
        day = as_of
    plan = plan_of(version_in_force(versions_of(plan_record), day))
    if plan.indicator(indicator_id) is None:
        abort(404)
    try:
        record_measurement(
            plan_record,
            plan,
            MeasurementInput(
                indicator_id,
                form["varde"],
                form["datum"],
                form["kalla"],
                form["kommentar"],
                form["period"],
            ),
            current_user._get_current_object(),
            replaces=replaces,
        )
    except MeasurementRefused as exc:
        db.session.rollback()
        return _indicator_page(
            plan_record, indicator_id, as_of, [(exc.field, exc.message)], form=form, status_code=422
        )
    db.session.commit()
    flash(
        "Mätningen är rättad. Det tidigare värdet finns kvar i historiken."
        if replaces
        else "Mätningen är sparad.",
        "success",
    )
    return redirect(url_for("plans.show_indicator", plan_key=plan_key, indicator_id=indicator_id))


@bp.post("/<plan_key>/indikatorer/<indicator_id>/analys")
@login_required
def analysis(plan_key: str, indicator_id: str) -> Any:
    plan_record = open_plan(plan_key, record=True)
    form = {key: request.form.get(key, "") for key in ("ar", "analys", "atgarder")}
    as_of = today_local()
    plan, _ = _indicator_or_404(plan_record, indicator_id, as_of)
    year_text = form["ar"].strip()
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        errors = [("ar", "Året ska vara ett årtal med fyra siffror, t.ex. 2025.")]
        form["ar"] = ""
        return _indicator_page(
            plan_record, indicator_id, as_of, errors, analysis_form=form, status_code=422
        )
    try:
        save_analysis(
            plan_record,
            plan,
            indicator_id,
            int(year_text),
            form["analys"],
            form["atgarder"],
            current_user._get_current_object(),
        )
    except MeasurementRefused as exc:
        db.session.rollback()
        return _indicator_page(
            plan_record,
            indicator_id,
            as_of,
            [("analys", exc.message)],
            analysis_form=form,
            status_code=422,
        )
    db.session.commit()
    flash(f"Analys och åtgärder för {year_text} är sparade.", "success")
    return redirect(
        url_for("plans.show_indicator", plan_key=plan_key, indicator_id=indicator_id, ar=year_text)
    )


@bp.route("/<plan_key>/import", methods=["GET", "POST"])
@login_required
def import_file(plan_key: str) -> Any:
    plan_record = open_plan(plan_key, record=True)
    problems: list[str] = []
    if request.method == "POST":
        upload = request.files.get("fil")
        data = upload.read(MAX_FILE_BYTES + 1) if upload else b""
        if not upload or not upload.filename or not data:
            problems = ["Välj en fil (.xlsx eller .csv) att läsa in."]
        elif len(data) > MAX_FILE_BYTES:
            problems = ["Filen är för stor."]
        else:
            plan = plan_of(version_in_force(versions_of(plan_record), today_local()))
            try:
                count = import_measurements(
                    plan_record, plan, data, upload.filename, current_user._get_current_object()
                )
            except ImportRefused as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                db.session.commit()
                flash(f"{count} mätningar är inlästa.", "success")
                return redirect(url_for("plans.show_plan", plan_key=plan_key))
    errors = [("fil", problem) for problem in problems]
    body = render_template("plans/import.html", record=plan_record, errors=errors)
    return (body, 422) if errors else body


@bp.get("/<plan_key>/mall.xlsx")
@login_required
def template(plan_key: str) -> Response:
    plan_record = open_plan(plan_key, record=True)
    plan = plan_of(version_in_force(versions_of(plan_record), today_local()))
    return Response(
        measurement_template(plan),
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{plan_record.plan_key}-matningar.xlsx"'
        },
    )


@bp.get("/<plan_key>/rapport")
@login_required
def report(plan_key: str) -> Any:
    plan_record = open_plan(plan_key)
    as_of, errors = as_of_from(request.args)
    built = build_report(plan_record, as_of, latest_analyses(plan_record, as_of.year))
    return render_template(
        "plans/report_page.html",
        report=built,
        errors=errors,
        record=plan_record,
        jobs=recent_report_jobs(plan_record, current_user.id),
        kind_labels=KIND_LABELS,
    )


@bp.get("/<plan_key>/rapport.<kind>")
@login_required
def report_file(plan_key: str, kind: str) -> BaseResponse:
    """The file at once, in the request: for scripts and links; the page orders a job."""
    plan_record = open_plan(plan_key)
    if kind not in ("pdf", "xlsx"):
        abort(404)
    as_of, errors = as_of_from(request.args)
    if errors:
        abort(400)
    built = build_report(plan_record, as_of, latest_analyses(plan_record, as_of.year))
    data = report_pdf(built) if kind == "pdf" else report_xlsx(built)
    name = report_file_name(plan_record, as_of, kind)
    record_report_download(plan_record, {"as_of": as_of.isoformat(), "kind": kind})
    db.session.commit()
    return Response(
        data,
        mimetype="application/pdf" if kind == "pdf" else XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/jamfor/<indicator_id>")
@login_required
def side_by_side(indicator_id: str) -> str:
    as_of, errors = as_of_from(request.args)
    rows = []
    for plan_record in db.session.scalars(visible_plans(current_user)):
        item = PlanFigures(plan_record).indicator_status(indicator_id, as_of)
        if item is not None:
            rows.append((plan_record, item))
    if not rows:
        abort(404)
    return render_template(
        "plans/compare.html", rows=rows, indicator=rows[0][1].indicator, as_of=as_of, errors=errors
    )


__all__ = ["bp", "report_html"]
