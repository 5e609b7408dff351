"""The `Svar` and `Fritext` sheets: every submitted response, and every free-text answer.

Both come from the results frame (`survey.results.frame`), which holds the latest
submitted answers of every response already typed per question, so nothing is read from
the database twice. `Svar` is the largest sheet of the export (100,000 responses make
three million cells), so it is written from prepared columns: each column converts a
chunk of rows at a time with work done once per column or per category (labels, cleaning,
formats), and the row loop only passes values to xlsxwriter.

Pseudonyms: response *n* in the frame's order (the order responses were first saved) is
called "Svar n", in both sheets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import select
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from survey.db import db
from survey.export.presentation import choice_label, organisation_type_label
from survey.export.sanitise import clean_text
from survey.export.text_answers import ChunkTexts
from survey.export.writer import (
    MAX_WIDTH,
    MIN_WIDTH,
    WRAPPED_WIDTH,
    CellWriter,
    Styles,
    TextStyle,
    check_rows,
    is_raw_xml_trap,
    row_points,
    set_up_printing,
    text_cell_writer,
    text_width,
    word_wrapped_lines,
    wrapped_lines,
)
from survey.questionnaires.answers import week_in_words
from survey.questionnaires.model import Question, Questionnaire, QuestionType
from survey.results.frame_columns import choice_bits, declared_choice_values, texts_in_frame
from survey.schema.rounds import Recipient

PSEUDONYM_PREFIX: Final = "Svar"
CHUNK_ROWS: Final = 5_000  # rows of the Svar sheet converted at a time
HEADER_ROWS: Final = 2  # question id, question text
QUESTION_MIN_WIDTH: Final = 14
HEADER_LINES: Final = 8  # a question's text in the header wraps in at most this many lines
EXCEL_EPOCH: Final = np.datetime64("1899-12-31T00:00:00", "us")  # day 1 is 1900-01-01
MICROSECONDS_PER_DAY: Final = 86_400_000_000

Cells = tuple[CellWriter, list[Any], list[Format | None]]


class MadeTexts(Sequence[str]):
    """Texts made when asked for, a slice at a time: `make(i)` is the i-th.

    A million answers would otherwise hold a million pseudonyms (or "ja"/"nej") for the
    whole export.
    """

    def __init__(self, size: int, make: Callable[[int], str]) -> None:
        self.size, self.make = size, make

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self.make(number) for number in range(self.size)[index]]
        return self.make(range(self.size)[index])


def pseudonyms_for(size: int) -> MadeTexts:
    """The pseudonyms of the frame's rows: "Svar 1", "Svar 2", …"""
    return MadeTexts(size, lambda number: f"{PSEUDONYM_PREFIX} {number + 1}")


def yes_no(flags: npt.NDArray[np.bool_]) -> MadeTexts:
    """A bool array read as "ja"/"nej"."""
    plain: list[bool] = flags.tolist()
    return MadeTexts(len(plain), lambda number: "ja" if plain[number] else "nej")


# -- Svar -------------------------------------------------------------------------------


def write_responses(
    sheet: Worksheet,
    styles: Styles,
    questionnaire: Questionnaire,
    frame: pd.DataFrame,
    pseudonyms: Sequence[str],
    *,
    round_id: int,
    identifying: bool,
) -> None:
    """One row per response: pseudonym, (name, email,) organisation …, one column per question."""
    columns: list[_Column] = [_ConstantTextColumn("Svar-id", "Pseudonym för svaret", pseudonyms)]
    if identifying:
        names, emails = _names_and_emails(round_id, frame["recipient_id"].to_numpy())
        columns += [
            _TextColumn("Namn", "Den svarandes namn", names, styles.text),
            _TextColumn("E-post", "Den svarandes e-postadress", emails, styles.text),
        ]
    columns += [
        _CategoryColumn("Organisation", "Organisationens namn", frame["organisation"], styles),
        _CategoryColumn(
            "Organisationstyp",
            "Typ av organisation",
            frame["organisation_type"],
            styles,
            label=organisation_type_label,
        ),
        _CategoryColumn("Kommun", "Kommun", frame["kommun"], styles),
        _CategoryColumn("Delregion", "Delregion", frame["delregion"], styles),
        _NumberColumn(
            "Inskickat",
            "När svaret senast skickades in (svensk tid)",
            excel_serials(frame["submitted_at"]),
            styles.datetime,
            width=18,
        ),
        _ConstantTextColumn(
            "Importerat",
            "Importerat från fil (ja/nej)",
            yes_no(frame["imported"].to_numpy(dtype=bool)),
        ),
    ]
    first_question = len(columns)
    chunk_texts = (
        None
        if texts_in_frame(frame, questionnaire)
        else ChunkTexts(
            round_id,
            [question.id for question in questionnaire.questions if question.type.is_text],
            frame["response_id"].to_numpy(),
        )
    )
    columns += [
        _question_column(question, frame[question.id], styles)
        if chunk_texts is None or not question.type.is_text
        else _StreamedTextColumn(question, chunk_texts, len(frame), styles)
        for question in questionnaire.questions
    ]

    size = len(frame)
    check_rows("Svar", HEADER_ROWS + size)
    text = text_cell_writer(sheet)
    widths = [
        min(MAX_WIDTH, max(_header_width(c.description) if col >= first_question else MIN_WIDTH,
                           c.width))
        for col, c in enumerate(columns)
    ]  # fmt: skip
    # The question texts wrap; spreadsheets do not always grow the row to show them.
    sheet.set_row(1, _wrapped_height([c.description for c in columns], widths))
    wrapped = {
        col: column.width
        for col, column in enumerate(columns)
        if isinstance(column, _TextColumn | _StreamedTextColumn) and column.style is styles.wrap
    }
    # Constant-memory mode: a row is final once the next one is begun, so row by row.
    for row in range(HEADER_ROWS):
        for col, column in enumerate(columns):
            cleaned = clean_text(column.description if row else column.key)
            if cleaned:
                text(row, col, cleaned, styles.header.pick(cleaned))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)

    for start in range(0, size, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, size)
        prepared = [
            (col, *column.cells(sheet, text, start, stop)) for col, column in enumerate(columns)
        ]
        tall = [(values, wrapped[col]) for col, _, values, _ in prepared if col in wrapped]
        for offset in range(stop - start):
            row = HEADER_ROWS + start + offset
            if tall:
                # Before the row's cells: in constant-memory mode the row is written next.
                lines = max(
                    wrapped_lines(texts[offset], width) if texts[offset] else 1
                    for texts, width in tall
                )
                if lines > 1:
                    sheet.set_row(row, row_points(lines), styles.top)
            for col, write, values, formats in prepared:
                value = values[offset]
                if value is not None:
                    write(row, col, value, formats[offset])
    set_up_printing(sheet, HEADER_ROWS, fit_width=False)  # one column per question: too wide
    sheet.freeze_panes(HEADER_ROWS, 1)
    sheet.autofilter(HEADER_ROWS - 1, 0, HEADER_ROWS - 1 + size, len(columns) - 1)


def _header_width(text: str) -> int:
    """A question column wide enough for its (bold) text in at most `HEADER_LINES` lines."""
    width = QUESTION_MIN_WIDTH
    while width < MAX_WIDTH and word_wrapped_lines(text, width, bold=True) > HEADER_LINES:
        width += 2
    return width


def _wrapped_height(texts: Sequence[str], widths: Sequence[int]) -> float:
    """Points of a header row tall enough for each (bold) text wrapped in its column."""
    pairs = zip(texts, widths, strict=True)
    lines = (word_wrapped_lines(text, width, bold=True) for text, width in pairs)
    return row_points(max(lines, default=1))


class _Column:
    """One column of the Svar sheet: its two header cells, width, and cells a chunk at a time."""

    key: str
    description: str
    width: int = 12

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        """The writer, the values (None: blank) and the formats of rows start…stop−1."""
        raise NotImplementedError


class _ConstantTextColumn(_Column):
    """Text made by the export itself (pseudonyms, ja/nej): known to be safe as it is."""

    def __init__(self, key: str, description: str, values: Sequence[str]) -> None:
        self.key, self.description, self.values = key, description, values
        self.width = max([12, len(key), *(len(value) for value in values[-1:])]) + 2

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        return sheet.write_string, list(self.values[start:stop]), [None] * (stop - start)


class _TextColumn(_Column):
    """Text people wrote (names, email addresses, answers): cleaned cell by cell."""

    def __init__(
        self,
        key: str,
        description: str,
        values: Sequence[Any] | npt.NDArray[Any],
        style: TextStyle,
        width: int | None = None,
    ) -> None:
        self.key, self.description, self.values, self.style = key, description, values, style
        if width is None:
            sample = [len(value) for value in values[:1000] if isinstance(value, str)]
            width = min(MAX_WIDTH, max([len(key), *sample]) + 2)
        self.width = width

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        return text, *_cleaned(self.values[start:stop], self.style)


def _cleaned(texts: Iterable[Any], style: TextStyle) -> tuple[list[Any], list[Format | None]]:
    """Each text cleaned for a cell, with its format (None and a plain format: blank)."""
    values: list[Any] = []
    formats: list[Format | None] = []
    plain, pick = style.plain, style.pick
    for value in texts:
        if value.__class__ is str:
            cleaned = clean_text(value)
            if cleaned:
                values.append(cleaned)
                formats.append(pick(cleaned))
                continue
        values.append(None)
        formats.append(plain)
    return values, formats


class _StreamedTextColumn(_Column):
    """A text question's answers, read from the database a chunk of rows at a time."""

    def __init__(self, question: Question, texts: ChunkTexts, size: int, styles: Styles) -> None:
        self.key, self.description = question.id, question.text
        self.texts = texts
        self.style = styles.wrap if question.type is QuestionType.LONG_TEXT else styles.text
        if question.type is QuestionType.LONG_TEXT:
            self.width = WRAPPED_WIDTH
        else:  # as `_TextColumn`: from the first answers (the first chunk, read anyway)
            sample = texts.texts(question.id, 0, min(CHUNK_ROWS, size))[:1000]
            lengths = [len(value) for value in sample if isinstance(value, str)]
            self.width = min(MAX_WIDTH, max([len(question.id), *lengths]) + 2)

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        return text, *_cleaned(self.texts.texts(self.key, start, stop), self.style)


class CategoryTexts:
    """The categories of a categorical column as cleaned texts with their formats, made once.

    `labels` and `formats` are indexed by category code; code −1 (missing) gives None.
    """

    def __init__(
        self, column: pd.Series, style: TextStyle, label: Callable[[str], str] = str
    ) -> None:
        series = categorical(column)
        # The codes' own small integers (int8 for a few categories): a million rows of a
        # choice cost a megabyte, not eight.
        self.codes: npt.NDArray[np.integer[Any]] = series.cat.codes.to_numpy()
        texts = [clean_text(label(str(category))) for category in series.cat.categories]
        self.labels: npt.NDArray[Any] = np.array([*(t or None for t in texts), None], dtype=object)
        self.formats: npt.NDArray[Any] = np.array(
            [*(style.pick(t) for t in texts), None], dtype=object
        )
        self.trap = any(is_raw_xml_trap(t) for t in texts)
        self.width = max([0, *(text_width(t) for t in texts)])


class _CategoryColumn(_Column):
    """A categorical frame column (organisation, choices): each category prepared once."""

    def __init__(
        self,
        key: str,
        description: str,
        column: pd.Series,
        styles: Styles,
        label: Callable[[str], str] = str,
    ) -> None:
        self.key, self.description = key, description
        self.texts = CategoryTexts(column, styles.text, label)
        self.width = min(MAX_WIDTH, max(len(key), self.texts.width) + 2)

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        codes = self.texts.codes[start:stop]
        return (
            text if self.texts.trap else sheet.write_string,
            self.texts.labels[codes].tolist(),
            self.texts.formats[codes].tolist(),
        )


class _NumberColumn(_Column):
    """Numbers, or dates as Excel day numbers with a date format; NaN is blank."""

    def __init__(
        self,
        key: str,
        description: str,
        numbers: npt.NDArray[np.float64],
        cell_format: Format | None,
        width: int = 10,
    ) -> None:
        self.key, self.description, self.numbers = key, description, numbers
        self.cell_format, self.width = cell_format, width

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        chunk = self.numbers[start:stop]
        values = chunk.astype(object)
        values[np.isnan(chunk)] = None
        return sheet.write_number, values.tolist(), [self.cell_format] * (stop - start)


class _MultipleChoiceColumn(_Column):
    """The chosen labels joined with "; "; each combination prepared once."""

    def __init__(self, question: Question, column: pd.Series, styles: Styles) -> None:
        self.key, self.description = question.id, question.text
        self.masks = column.to_numpy(dtype=np.int64, na_value=0)
        self.bits = [
            (bit, choice_label(question, value)) for value, bit in choice_bits(question).items()
        ]
        self.style = styles.text
        self.prepared: dict[int, tuple[str | None, Format | None]] = {0: (None, None)}
        self.width = min(
            MAX_WIDTH, max(len(question.id), *(len(label) for _, label in self.bits)) + 14
        )

    def _prepare(self, mask: int) -> tuple[str | None, Format | None]:
        joined = clean_text("; ".join(label for bit, label in self.bits if mask & bit))
        return (joined or None, self.style.pick(joined))

    def cells(self, sheet: Worksheet, text: CellWriter, start: int, stop: int) -> Cells:
        values: list[Any] = []
        formats: list[Format | None] = []
        prepared = self.prepared
        for mask in self.masks[start:stop].tolist():
            found = prepared.get(mask)
            if found is None:
                found = prepared[mask] = self._prepare(mask)
            values.append(found[0])
            formats.append(found[1])
        return text, values, formats


def _question_column(question: Question, column: pd.Series, styles: Styles) -> _Column:
    kind = question.type
    if kind in (QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE):
        declared = set(declared_choice_values(question))
        return _CategoryColumn(
            question.id,
            question.text,
            column,
            styles,
            label=lambda value: choice_label(question, value) if value in declared else value,
        )
    if kind is QuestionType.MULTIPLE_CHOICE:
        return _MultipleChoiceColumn(question, column, styles)
    if kind is QuestionType.PERCENT:
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan) / 100.0
        return _NumberColumn(question.id, question.text, numbers, styles.percent)
    if kind is QuestionType.NUMBER:
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return _NumberColumn(question.id, question.text, numbers, None)
    if kind is QuestionType.DATE:
        return _NumberColumn(question.id, question.text, excel_serials(column), styles.date, 12)
    texts = np.asarray(column.array, dtype=object)  # missing: NaN, not a str
    if kind is QuestionType.WEEK:
        texts = _weeks_in_words(texts)
    if kind is QuestionType.LONG_TEXT:
        return _TextColumn(question.id, question.text, texts, styles.wrap, WRAPPED_WIDTH)
    return _TextColumn(question.id, question.text, texts, styles.text)


def _weeks_in_words(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Stored weeks ("2025-W09") as the pages show them ("vecka 9 år 2025"), each once."""
    words: dict[str, str] = {}
    shown = values.copy()
    for index, value in enumerate(values.tolist()):
        if isinstance(value, str):
            found = words.get(value)
            if found is None:
                found = words[value] = week_in_words(value)
            shown[index] = found
    return shown


def excel_serials(column: pd.Series) -> npt.NDArray[np.float64]:
    """Excel's day numbers of a datetime column (aware times as Stockholm time); NaT is NaN."""
    series = pd.Series(column.array)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("Europe/Stockholm").dt.tz_localize(None)
    stamps = series.to_numpy(dtype="datetime64[us]")
    days = (stamps - EXCEL_EPOCH).astype(np.int64) / MICROSECONDS_PER_DAY
    # Excel counts a 29 February 1900 that never was (as xlsxwriter's write_datetime does).
    days = np.where(days > 59, days + 1, days)
    days[np.isnat(stamps)] = np.nan
    serials: npt.NDArray[np.float64] = days.astype(np.float64)
    return serials


def _names_and_emails(
    round_id: int, recipient_ids: npt.NDArray[Any]
) -> tuple[list[Any], list[Any]]:
    """Names and email addresses for the identifying variant, in the frame's row order."""
    statement = select(Recipient.id, Recipient.name, Recipient.email).where(
        Recipient.round_id == round_id
    )
    found = {row.id: (row.name, row.email) for row in db.session.execute(statement)}
    pairs = [found.get(recipient_id, (None, None)) for recipient_id in recipient_ids.tolist()]
    return [name for name, _ in pairs], [email for _, email in pairs]


def categorical(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype("category")
