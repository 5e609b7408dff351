"""Recorded measurements: reading a value as written, recording it, correcting it with history.

Every entry point (the web form, `survey plan record`, the Excel import) reads values with
`parse_value`, so the same text is accepted or refused the same way everywhere. A refusal
is a `MeasurementRefused` with a Swedish message; nothing is stored then.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from survey.audit.recording import record_audit
from survey.db import db, utcnow
from survey.errors import ErrorCode, SurveyError
from survey.organisations import normalise_word
from survey.plans.model import AnswerKind, Plan, PlanIndicator
from survey.schema.accounts import User
from survey.schema.plans import PlanMeasurement, PlanRecord

MAX_SOURCE = 300
MAX_COMMENT = 5_000
MAX_TEXT = 5_000
EARLIEST = date(2000, 1, 1)

YES_WORDS = {"ja", "j", "yes", "1", "sant", "true"}
NO_WORDS = {"nej", "n", "no", "0", "falskt", "false"}
NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


class MeasurementRefused(SurveyError):
    """A value, date, source or comment that cannot be recorded; the message is Swedish."""

    code = ErrorCode.MEASUREMENT_BAD_VALUE

    def __init__(
        self, message: str, field: str = "varde", *, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.field = field  # the form field it is about (its id on the page)


@dataclass(frozen=True, slots=True)
class ParsedValue:
    value: float | None
    text: str | None = None
    organisations: dict[str, bool | None] | None = None
    unit: str | None = None  # when not the indicator's (a share of Ja given as a number)


def parse_yes_no(text: str) -> bool | None:
    word = normalise_word(text.strip())
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def parse_number(text: str, indicator: PlanIndicator) -> float:
    """A number as written in Swedish or English ("12,5", "12.5 %", "1 234"); refuses the rest."""
    cleaned = text.strip().replace("\u00a0", " ")
    unit = indicator.unit
    for suffix in ("%", "procent", unit):
        if suffix and cleaned.lower().endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
    cleaned = re.sub(r"(?<=\d) (?=\d{3}\b)", "", cleaned)
    if not NUMBER.fullmatch(cleaned):
        raise MeasurementRefused(
            f"Värdet ”{text.strip()[:40]}” är inte ett tal. Skriv ett tal, t.ex. 12,5"
            + (f" (i {unit})." if unit else "."),
            code=ErrorCode.MEASUREMENT_NOT_A_NUMBER,
        )
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value) or value < 0:
        raise MeasurementRefused(
            "Värdet kan inte vara negativt.", code=ErrorCode.MEASUREMENT_NEGATIVE
        )
    if indicator.answer in (AnswerKind.SHARE, AnswerKind.RATE, AnswerKind.YES_NO) and value > 100:
        raise MeasurementRefused(
            f"En andel är mellan 0 och 100 %, inte {text.strip()[:20]}.",
            code=ErrorCode.MEASUREMENT_OUT_OF_RANGE,
        )
    if indicator.answer is AnswerKind.COUNT and value != int(value):
        raise MeasurementRefused("Ett antal är ett heltal.", code=ErrorCode.MEASUREMENT_NOT_WHOLE)
    if value > 1e9:
        raise MeasurementRefused("Värdet är orimligt stort.", code=ErrorCode.MEASUREMENT_TOO_LARGE)
    return value


def parse_organisation_values(
    text: str, plan: Plan, indicator: PlanIndicator
) -> dict[str, bool | None]:
    """'Bjuv=Ja, Båstad=Nej' → one Ja/Nej per organisation of the indicator's population."""
    known = plan.organisations_of(indicator.population)
    by_word = {normalise_word(name): name for name in known}
    values: dict[str, bool | None] = {}
    for part in filter(None, (piece.strip() for piece in re.split(r"[;,\n]", text))):
        name, sep, answer = part.partition("=")
        if not sep:
            name, sep, answer = part.partition(":")
        if not sep:
            raise MeasurementRefused(
                f"”{part[:40]}” saknar svar. Skriv organisation=Ja eller organisation=Nej, "
                "t.ex. Bjuv=Ja, Båstad=Nej.",
                code=ErrorCode.MEASUREMENT_ORGANISATION_NO_ANSWER,
            )
        canonical = by_word.get(normalise_word(name.strip()), name.strip() if not known else None)
        if canonical is None:
            raise MeasurementRefused(
                f"”{name.strip()[:40]}” hör inte till planens "
                f"{indicator.population.label.lower()}: "
                f"{', '.join(known)}.",
                code=ErrorCode.MEASUREMENT_UNKNOWN_ORGANISATION,
            )
        if canonical in values:
            raise MeasurementRefused(
                f"{canonical} står två gånger.", code=ErrorCode.MEASUREMENT_ORGANISATION_TWICE
            )
        if not answer.strip():
            values[canonical] = None
            continue
        parsed = parse_yes_no(answer)
        if parsed is None:
            raise MeasurementRefused(
                f"Svaret för {canonical} ska vara Ja eller Nej, inte ”{answer.strip()[:20]}”.",
                code=ErrorCode.MEASUREMENT_BAD_YES_NO,
            )
        values[canonical] = parsed
    if not any(answer is not None for answer in values.values()):
        raise MeasurementRefused(
            "Ange Ja eller Nej för minst en organisation.", code=ErrorCode.MEASUREMENT_NO_ANSWERS
        )
    # An organisation not given is not known to have met the goal: it is counted as missing.
    return {name: values.get(name) for name in known} if known else values


def organisation_share(values: dict[str, bool | None]) -> float | None:
    answered = [answer for answer in values.values() if answer is not None]
    if not answered:
        return None
    return 100.0 * sum(answered) / len(answered)


def parse_value(text: str, plan: Plan, indicator: PlanIndicator) -> ParsedValue:
    """The value as the indicator's answer kind takes it; MeasurementRefused otherwise."""
    if not text.strip():
        raise MeasurementRefused("Ange ett värde.", code=ErrorCode.MEASUREMENT_EMPTY)
    if indicator.answer is AnswerKind.TEXT:
        if len(text) > MAX_TEXT:
            raise MeasurementRefused(
                f"Texten är för lång (högst {MAX_TEXT} tecken).",
                code=ErrorCode.MEASUREMENT_TOO_LONG,
            )
        return ParsedValue(None, text=text.strip())
    if indicator.answer is AnswerKind.YES_NO:
        if indicator.population.per_organisation and ("=" in text or ":" in text):
            values = parse_organisation_values(text, plan, indicator)
            return ParsedValue(organisation_share(values), organisations=values)
        answer = parse_yes_no(text)
        if answer is None:
            if indicator.population.per_organisation:
                try:
                    return ParsedValue(parse_number(text, indicator), unit="%")
                except MeasurementRefused:
                    pass
            hint = (
                " eller en andel i %, eller en per organisation: Bjuv=Ja, Båstad=Nej"
                if indicator.population.per_organisation
                else ""
            )
            raise MeasurementRefused(
                f"Svaret ska vara Ja eller Nej{hint}, inte ”{text.strip()[:40]}”.",
                code=ErrorCode.MEASUREMENT_BAD_YES_NO,
            )
        return ParsedValue(100.0 if answer else 0.0)
    return ParsedValue(parse_number(text, indicator))


def parse_date(text: str, what: str = "Datum", field: str = "datum") -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise MeasurementRefused(
            f"{what} ”{text.strip()[:20]}” är inte ett datum. Skriv ÅÅÅÅ-MM-DD, t.ex. 2025-12-31.",
            field,
            code=ErrorCode.MEASUREMENT_BAD_DATE,
        ) from None
    if not EARLIEST <= value <= date(2100, 12, 31):
        raise MeasurementRefused(
            f"{what} {value.isoformat()} är orimligt.",
            field,
            code=ErrorCode.MEASUREMENT_DATE_OUT_OF_RANGE,
        )
    return value


def check_text(source: str, comment: str) -> tuple[str, str]:
    source = source.strip()
    if not source:
        raise MeasurementRefused(
            "Ange källan, t.ex. ”Uttag QV 2026-01-15” eller ”Arbetsgruppens årsberättelse 2025”.",
            "kalla",
            code=ErrorCode.MEASUREMENT_NO_SOURCE,
        )
    if len(source) > MAX_SOURCE:
        raise MeasurementRefused(
            f"Källan är för lång (högst {MAX_SOURCE} tecken).",
            "kalla",
            code=ErrorCode.MEASUREMENT_TOO_LONG,
        )
    if len(comment) > MAX_COMMENT:
        raise MeasurementRefused(
            f"Kommentaren är för lång (högst {MAX_COMMENT} tecken).",
            "kommentar",
            code=ErrorCode.MEASUREMENT_TOO_LONG,
        )
    return source, comment.strip()


@dataclass(frozen=True, slots=True)
class MeasurementInput:
    indicator_id: str
    value: str
    measured_on: str
    source: str
    comment: str = ""
    period_start: str = ""


def check_measurement(
    plan: Plan, entry: MeasurementInput
) -> tuple[PlanIndicator, ParsedValue, date, date | None, str, str]:
    """Everything needed to store a measurement, or MeasurementRefused for the first problem."""
    indicator = plan.indicator(entry.indicator_id.strip())
    if indicator is None:
        raise MeasurementRefused(
            f"Indikatorn ”{entry.indicator_id.strip()[:32]}” finns inte i planen.",
            code=ErrorCode.MEASUREMENT_UNKNOWN_INDICATOR,
        )
    if indicator.measured_by_enkat:
        raise MeasurementRefused(
            f"Indikator {indicator.id} mäts med den årliga enkäten; "
            "dess värde kommer från enkätomgången.",
            code=ErrorCode.MEASUREMENT_MEASURED_BY_ENKAT,
        )
    parsed = parse_value(entry.value, plan, indicator)
    measured_on = parse_date(entry.measured_on)
    start = (
        parse_date(entry.period_start, "Periodens början", "period")
        if entry.period_start.strip()
        else None
    )
    if start is not None and start > measured_on:
        raise MeasurementRefused(
            "Periodens början ligger efter dess slut.",
            "period",
            code=ErrorCode.MEASUREMENT_BAD_PERIOD,
        )
    source, comment = check_text(entry.source, entry.comment)
    return indicator, parsed, measured_on, start, source, comment


def record_measurement(
    record: PlanRecord,
    plan: Plan,
    entry: MeasurementInput,
    user: User | None,
    *,
    replaces: PlanMeasurement | None = None,
) -> PlanMeasurement:
    """Store a measurement (or a correction of `replaces`) and its audit event; caller commits."""
    indicator, parsed, measured_on, start, source, comment = check_measurement(plan, entry)
    if replaces is not None and (
        replaces.superseded_at is not None or replaces.indicator_id != indicator.id
    ):
        raise MeasurementRefused(
            "Mätningen har redan rättats eller hör till en annan indikator. Ladda om sidan.",
            code=ErrorCode.MEASUREMENT_ALREADY_CORRECTED,
        )
    row = PlanMeasurement(
        plan_id=record.id,
        indicator_id=indicator.id,
        value=parsed.value,
        text_value=parsed.text,
        unit=indicator.unit if parsed.unit is None else parsed.unit,
        organisation_values=None if parsed.organisations is None else dict(parsed.organisations),
        period_start=start,
        measured_on=measured_on,
        source=source,
        comment=comment,
        recorded_by_id=None if user is None else user.id,
        recorded_by="kommandorad" if user is None else user.email,
    )
    db.session.add(row)
    db.session.flush()
    details: dict[str, Any] = {"indicator": indicator.id, "new": measurement_json(row)}
    if replaces is not None:
        replaces.superseded_at = utcnow()
        replaces.superseded_by_id = row.id
        details["earlier"] = measurement_json(replaces)
    record_audit(
        "plan.measurement.corrected" if replaces is not None else "plan.measurement.recorded",
        f"{'Rättade' if replaces is not None else 'Registrerade'} mätning för {indicator.id} "
        f"i {record.plan_key}",
        user=user,
        delregion=record.delregion,
        details=details,
    )
    return row


def measurement_json(row: PlanMeasurement) -> dict[str, Any]:
    return {
        "id": row.id,
        "indicator": row.indicator_id,
        "value": row.value,
        "text": row.text_value,
        "unit": row.unit,
        "organisations": row.organisation_values,
        "period_start": None if row.period_start is None else row.period_start.isoformat(),
        "date": row.measured_on.isoformat(),
        "source": row.source,
        "comment": row.comment,
        "recorded_by": row.recorded_by,
    }


def current_measurements(
    record: PlanRecord, indicator_id: str | None = None
) -> list[PlanMeasurement]:
    """The measurements in force (not corrected), oldest date first."""
    statement = select(PlanMeasurement).where(
        PlanMeasurement.plan_id == record.id, PlanMeasurement.superseded_at.is_(None)
    )
    if indicator_id is not None:
        statement = statement.where(PlanMeasurement.indicator_id == indicator_id)
    return list(
        db.session.scalars(statement.order_by(PlanMeasurement.measured_on, PlanMeasurement.id))
    )


def measurement_history(record: PlanRecord, indicator_id: str) -> list[PlanMeasurement]:
    """Every measurement of the indicator, corrected ones included, newest recorded first."""
    statement = (
        select(PlanMeasurement)
        .where(PlanMeasurement.plan_id == record.id, PlanMeasurement.indicator_id == indicator_id)
        .order_by(PlanMeasurement.recorded_at.desc(), PlanMeasurement.id.desc())
    )
    return list(db.session.scalars(statement))


def format_measurement(row: PlanMeasurement) -> str:
    """The value as shown: '12,5 %', 'Ja', '8 av 11 Ja', or the text."""
    from survey.plans.model import format_number

    if row.text_value is not None:
        return row.text_value
    if row.organisation_values:
        yes = sum(1 for value in row.organisation_values.values() if value)
        return f"{yes} av {len(row.organisation_values)} Ja"
    if row.value is None:
        return "–"
    if row.unit == "" and row.value in (0.0, 100.0):
        return "Ja" if row.value == 100.0 else "Nej"
    return f"{format_number(row.value)} {row.unit}".strip()
