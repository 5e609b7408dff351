"""The results sheets: `Sammanfattning`, `Indikatorer` (with its chart), the breakdowns, `Trend`.

All figures come from `survey.results` (attainment, breakdowns, response rates, trends);
these functions only lay them out. Values follow `survey.export.presentation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from survey.export.presentation import (
    ValueKind,
    cell_value,
    change_value,
    measure_label,
    organisation_type_label,
    population_label,
    target_value,
)
from survey.export.writer import WRAPPED_WIDTH, SheetWriter, Styles, TextStyle
from survey.organisations import delregion_label
from survey.questionnaires.model import Measure, Questionnaire
from survey.results.attainment import IndicatorResult
from survey.results.breakdowns import GroupColumn, compute_breakdown, response_rates
from survey.results.ordering import group_sort_key
from survey.schema.rounds import Round, RoundState

INDICATOR_COLUMNS: Final = (
    "Indikator", "Område", "Beskrivning", "Mått", "Population", "Antal svar", "Värde",
    "Mål i kraft", "Måldatum", "Status", "Slutmål", "Föregående", "Förändring", "Nästa mål",
    "Nästa måldatum", "Inbjudna", "Ej aktuellt", "Tomt", "Saknas", "Lägsta möjliga",
    "Högsta möjliga", "Minsta antal svar", "Oenighet", "Ändrat sedan föregående omgång",
)  # fmt: skip
CHART_TITLE: Final = "Värde och mål per indikator"
PSEUDONYMISED_NOTE: Final = (
    "Pseudonymiserad: namn och e-postadresser är borttagna. Varje svar har en pseudonym "
    "(Svar 1, Svar 2 …). Organisation, organisationstyp och kommun finns kvar: de behövs "
    "för resultaten per organisation."
)
IDENTIFYING_NOTE: Final = (
    "Identifierande: innehåller de svarandes namn och e-postadresser. Hantera filen som "
    "personuppgifter och spara den inte längre än nödvändigt."
)
VALUES_NOTE: Final = (
    "Andelar och medelvärden av procentsatser visas i procent, avrundade till en decimal "
    "som statusen bedöms. Förändring är skillnaden mot föregående omgång (för andelar i "
    "procentenheter). Tider är svensk tid. Mål i kraft är det senaste mål vars datum har "
    "passerats vid referensdatumet (före det första datumet: det första målet). Saknas = "
    "inbjudna − antal svar − ej aktuellt (har inte svarat, eller lämnade frågan tom; Tomt är "
    "de som svarade men lämnade frågan tom). Lägsta och högsta möjliga: andelen om alla som "
    "saknas hade svarat Nej respektive Ja (för indikatorer där varje organisation räknas en "
    "gång); ligger målet däremellan kan det inte avgöras."
)


def value_format(styles: Styles, kind: ValueKind) -> Format:
    """The number format of a value of this kind."""
    return {
        ValueKind.PERCENT: styles.percent,
        ValueKind.DECIMAL: styles.decimal,
        ValueKind.COUNT: styles.integer,
    }[kind]


# -- Sammanfattning -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryFacts:
    """What the summary sheet states besides the round itself."""

    questionnaire: Questionnaire
    recipients: pd.DataFrame  # `survey.export.non_respondents.invited_recipients`
    responses_in_file: int
    exported_at: datetime
    identifying: bool
    variant: str
    min_responses: int


def write_summary(writer: SheetWriter, round_: Round, facts: SummaryFacts) -> None:
    """Facts about the round and the file, then the response rates by organisation type."""
    styles = writer.styles
    questionnaire = facts.questionnaire
    total = response_rates(facts.recipients)
    invited = int(total["invited"].iloc[0])
    answered = int(total["answered"].iloc[0])
    rate = _fraction(total["rate"].iloc[0])
    state = RoundState(round_.state).label if round_.state in set(RoundState) else round_.state

    def text(value: str, style: TextStyle | None = None) -> Callable[[int, int], None]:
        return lambda row, col: writer.text(row, col, value, style)

    def number(value: float | None, cell_format: Format) -> Callable[[int, int], None]:
        return lambda row, col: writer.number(row, col, value, cell_format)

    def when(value: date | datetime | None) -> Callable[[int, int], None]:
        return lambda row, col: writer.date(row, col, value)

    lines: list[tuple[str, Callable[[int, int], None]]] = [
        ("Enkät", text(questionnaire.title)),
        ("Enkätens id", text(questionnaire.id)),
        ("Version", text(questionnaire.version)),
        ("Omgång", text(round_.title)),
        ("Delregion", text(f"{delregion_label(round_.delregion)} ({round_.delregion})")),
        ("Referensdatum", when(round_.reference_date)),
        ("Öppnar", when(round_.opens_at)),
        ("Stänger", when(round_.closes_at)),
        ("Status", text(state)),
        ("Inbjudna", number(invited, styles.integer)),
        ("Svarande", number(answered, styles.integer)),
        ("Svarsfrekvens", number(rate, styles.percent)),
        ("Svar i filen", number(facts.responses_in_file, styles.integer)),
        ("Exporterad", when(facts.exported_at)),
        ("Variant", text(facts.variant)),
        (
            "Personuppgifter",
            text(IDENTIFYING_NOTE if facts.identifying else PSEUDONYMISED_NOTE, styles.wrap),
        ),
        (
            "Minsta antal svar för status (om indikatorn eller enkäten inte anger annat)",
            number(facts.min_responses, styles.integer),
        ),
        ("Om värdena", text(VALUES_NOTE, styles.wrap)),
    ]
    writer.header(0, ("Uppgift", "Värde"))
    for row, (label, write_value) in enumerate(lines, start=1):
        writer.text(row, 0, label, styles.wrap)  # a long label wraps in its narrow column
        write_value(row, 1)
    last_fact_row = len(lines)

    row = last_fact_row + 2
    writer.text(row, 0, "Svarsfrekvens per organisationstyp", styles.title)
    row += 1
    writer.header(row, ("Organisationstyp", "Inbjudna", "Svarande", "Svarsfrekvens"))
    by_type = response_rates(facts.recipients, "organisation_type")
    for code, counts in by_type.iterrows():
        row += 1
        writer.text(row, 0, organisation_type_label(str(code)))
        writer.number(row, 1, int(counts["invited"]), styles.integer)
        writer.number(row, 2, int(counts["answered"]), styles.integer)
        writer.number(row, 3, _fraction(counts["rate"]), styles.percent)
    row += 1
    writer.text(row, 0, "Totalt", styles.header)
    writer.number(row, 1, invited, styles.integer)
    writer.number(row, 2, answered, styles.integer)
    writer.number(row, 3, rate, styles.percent)
    writer.widths[0] = min(writer.widths.get(0, 0), 36)  # the table title may spill over
    writer.finish(filter_last_row=last_fact_row, filter_last_col=1)


def _fraction(percent: Any) -> float | None:
    value = float(percent)
    return None if value != value else value / 100.0


# -- Indikatorer ------------------------------------------------------------------------

INDICATOR_PAGES_WIDE: Final = 3


def write_indicators(
    workbook: Workbook,
    writer: SheetWriter,
    questionnaire: Questionnaire,
    results: Sequence[IndicatorResult],
    kinds: Mapping[str, ValueKind],
) -> None:
    """One row per indicator (`INDICATOR_COLUMNS`), status coloured, and the value/target chart."""
    styles = writer.styles
    writer.header(0, INDICATOR_COLUMNS)
    charted: list[tuple[str, float, float | None]] = []
    for row, result in enumerate(results, start=1):
        indicator = result.indicator
        kind = kinds[indicator.id]
        number_format = value_format(styles, kind)
        description = indicator.title
        if indicator.goal:
            description = f"{indicator.title}\nMål enligt planen: {indicator.goal}"
        value = cell_value(result.value, kind)
        target = target_value(result.target, kind)
        writer.text(row, 0, indicator.id)
        writer.text(row, 1, indicator.area, styles.wrap)
        writer.text(row, 2, description, styles.wrap)
        writer.text(row, 3, measure_label(indicator, questionnaire), styles.wrap)
        writer.text(row, 4, population_label(indicator), styles.wrap)
        writer.number(row, 5, result.n, styles.integer)
        writer.number(row, 6, value, number_format)
        writer.number(row, 7, target, number_format)
        if result.target is not None:
            writer.date(row, 8, result.target.date)
        writer.text(
            row, 9, result.status.label, TextStyle(styles.status[result.status], styles.text.quoted)
        )
        writer.number(row, 10, target_value(result.final_target, kind), number_format)
        writer.number(row, 11, cell_value(result.previous, kind), number_format)
        writer.number(
            row,
            12,
            change_value(result.value, result.previous, kind),
            styles.change_percent if kind is ValueKind.PERCENT else styles.change_decimal,
        )
        _write_population(writer, row, result, kind, number_format)
        if value is not None and kind is ValueKind.PERCENT:
            charted.append((indicator.id, value, target))
    last_row = len(results)
    writer.wrapped.update((1, 2, 3, 4, 22, 23))
    writer.fit(8, 10)
    if charted:
        _write_chart(workbook, writer, charted, first_row=last_row + 2)
    # Too many columns to be read on one page wide: three pages wide, the indicator's id on each.
    writer.finish(
        filter_last_row=last_row,
        filter_last_col=len(INDICATOR_COLUMNS) - 1,
        pages_wide=INDICATOR_PAGES_WIDE,
    )
    writer.sheet.repeat_columns(0)


def _write_population(
    writer: SheetWriter, row: int, result: IndicatorResult, kind: ValueKind, number_format: Format
) -> None:
    """The next target, whom the figure counts, the bounds, disagreements and changes."""
    styles = writer.styles
    writer.number(row, 13, target_value(result.next_target, kind), number_format)
    if result.next_target is not None:
        writer.date(row, 14, result.next_target.date)
    population = result.population
    if population is not None:
        writer.number(row, 15, population.invited, styles.integer)
        writer.number(row, 16, population.not_applicable, styles.integer)
        writer.number(row, 17, result.n_blank, styles.integer)
        writer.number(row, 18, population.missing, styles.integer)
    if result.bounds is not None:
        writer.number(row, 19, cell_value(result.bounds.low, kind), number_format)
        writer.number(row, 20, cell_value(result.bounds.high, kind), number_format)
    writer.number(row, 21, result.minimum, styles.integer)
    if result.disagreements:
        writer.text(row, 22, "; ".join(item.text() for item in result.disagreements), styles.wrap)
    if result.changes:
        writer.text(row, 23, "; ".join(result.changes), styles.wrap)


def _write_chart(
    workbook: Workbook,
    writer: SheetWriter,
    charted: Sequence[tuple[str, float, float | None]],
    first_row: int,
) -> None:
    """A clustered column chart of value and target, from a small table under the list.

    The table sits outside the autofilter, so filtering the indicators leaves the chart
    whole. Only percentages are charted: one axis in percent.
    """
    styles = writer.styles
    writer.header(first_row, ("Diagramunderlag", "Värde", "Mål"))
    for offset, (indicator_id, value, target) in enumerate(charted, start=1):
        writer.text(first_row + offset, 0, indicator_id)
        writer.number(first_row + offset, 1, value, styles.percent)
        writer.number(first_row + offset, 2, target, styles.percent)
    first, last = first_row + 1, first_row + len(charted)
    name = writer.sheet.get_name()
    chart = workbook.add_chart({"type": "column"})
    identifiers = [indicator_id for indicator_id, _, _ in charted]
    # In constant-memory mode xlsxwriter cannot read the cells back to cache them in the
    # chart (and would take the indicator ids for numbers): give it the data.
    for col, series_name, colour in ((1, "Värde", "#2F5597"), (2, "Mål", "#A5A5A5")):
        chart.add_series(
            {
                "name": [name, first_row, col],
                "name_data": [series_name],
                "categories": [name, first, 0, last, 0],
                "categories_data": identifiers,
                "values": [name, first, col, last, col],
                "values_data": [row[col] for row in charted],
                "fill": {"color": colour},
            }
        )
    chart.set_title({"name": CHART_TITLE})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "name": "Andel"})
    chart.set_x_axis({"name": "Indikator"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": max(640, 36 * len(charted)), "height": 360})
    # Below the chart's table (not beside the list): the printed pages stay as wide as the list.
    writer.sheet.insert_chart(
        last + 2,
        1,
        chart,
        {
            "description": "Stapeldiagram: värde och mål per indikator, i procent. Siffrorna "
            "finns i tabellen och i diagramunderlaget under den."
        },
    )


# -- Per organisationstyp, Per kommun ---------------------------------------------------


def write_breakdown(
    writer: SheetWriter,
    questionnaire: Questionnaire,
    frame: pd.DataFrame,
    results: Sequence[IndicatorResult],
    kinds: Mapping[str, ValueKind],
    *,
    by: GroupColumn,
    reference_date: date,
    min_responses: int,
) -> None:
    """Scored indicators × groups: for all and for each group, the value and its n."""
    styles = writer.styles
    breakdown = compute_breakdown(
        questionnaire, frame, by, reference_date, min_responses=min_responses
    )
    groups = sorted(
        {str(group) for group in breakdown.index.get_level_values(1)}, key=group_sort_key(by)
    )
    label = organisation_type_label if by == "organisation_type" else str
    header = ["Indikator", "Beskrivning", "Alla", "Alla (n)"]
    for group in groups:
        header += [label(group), f"{label(group)} (n)"]
    writer.header(0, header)
    cells: dict[tuple[str, str], tuple[float, int]] = {
        (str(indicator_id), str(group)): (float(value), int(n))
        for (indicator_id, group), value, n in zip(
            breakdown.index, breakdown["value"], breakdown["n"], strict=True
        )
    }
    row = 0
    for result in results:
        indicator = result.indicator
        if indicator.measure is Measure.NONE:
            continue
        row += 1
        kind = kinds[indicator.id]
        number_format = value_format(styles, kind)
        writer.text(row, 0, indicator.id)
        writer.text(row, 1, indicator.title, styles.wrap)
        writer.number(row, 2, cell_value(result.value, kind), number_format)
        writer.number(row, 3, result.n, styles.integer)
        for position, group in enumerate(groups):
            found = cells.get((indicator.id, group))
            if found is not None:
                writer.number(row, 4 + 2 * position, cell_value(found[0], kind), number_format)
                writer.number(row, 5 + 2 * position, found[1], styles.integer)
    writer.fit(1, WRAPPED_WIDTH)
    writer.wrapped.add(1)
    writer.finish(
        filter_last_row=row,
        filter_last_col=len(header) - 1,
        freeze_cols=2,
        fit_width=len(groups) <= 6,  # 33 kommuner do not fit on a page
    )


# -- Trend ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundValues:
    """One round's comparable values of its scored indicators, for Föregående and Trend."""

    reference_date: date
    values: Mapping[str, float | None]  # None: no answers, or fewer than the minimum
    kinds: Mapping[str, ValueKind]  # the round's scored indicators, in questionnaire order
    titles: Mapping[str, str]


def write_trend(writer: SheetWriter, rounds: Sequence[RoundValues]) -> None:
    """Scored indicators × rounds (oldest first, by reference date)."""
    styles = writer.styles
    kinds: dict[str, ValueKind] = {}
    titles: dict[str, str] = {}
    for round_values in reversed(rounds):  # the newest version's order and wording first
        for indicator_id, kind in round_values.kinds.items():
            kinds.setdefault(indicator_id, kind)
            titles.setdefault(indicator_id, round_values.titles[indicator_id])
    writer.header(0, ["Indikator", "Beskrivning", *(r.reference_date.isoformat() for r in rounds)])
    for row, (indicator_id, kind) in enumerate(kinds.items(), start=1):
        writer.text(row, 0, indicator_id)
        writer.text(row, 1, titles[indicator_id], styles.wrap)
        for offset, round_values in enumerate(rounds):
            writer.number(
                row,
                2 + offset,
                cell_value(round_values.values.get(indicator_id), kind),
                value_format(styles, kind),
            )
    writer.fit(1, WRAPPED_WIDTH)
    writer.wrapped.add(1)
    writer.finish(filter_last_row=len(kinds), filter_last_col=1 + len(rounds), freeze_cols=2)
