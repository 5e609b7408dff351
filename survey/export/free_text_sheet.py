"""The export's Fritext sheet: every text answer with question, pseudonym and organisation.

In the reading order of the free-text page (`survey.results.freetext.collate_free_text`),
computed on the frame's category codes; the texts are read from the database a batch at a
time when the frame holds only whether there is one (`survey.export.text_answers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from survey.export.answers_sheets import CategoryTexts, categorical
from survey.export.presentation import organisation_type_label
from survey.export.sanitise import clean_text
from survey.export.text_answers import BATCH_IDS, texts_of
from survey.export.writer import (
    WRAPPED_WIDTH,
    SheetWriter,
    check_rows,
    row_points,
    text_cell_writer,
    text_width,
    wrapped_lines,
)
from survey.questionnaires.model import Question, Questionnaire
from survey.results.frame_columns import texts_in_frame
from survey.results.ordering import organisation_type_sort_key, swedish_sort_key

FREE_TEXT_HEADER: Final = (
    "Fråga", "Frågetext", "Svar-id", "Organisation", "Organisationstyp", "Kommun", "Svar",
)  # fmt: skip

# -- Fritext ----------------------------------------------------------------------------


def write_free_text(
    writer: SheetWriter,
    questionnaire: Questionnaire,
    frame: pd.DataFrame,
    pseudonyms: Sequence[str],
    *,
    round_id: int | None = None,
) -> int:
    """Every text answer with question, pseudonym and organisation; returns the rows written.

    When the frame holds only whether there is a text (`texts_in_frame` false), the texts
    are read from the round's responses (`round_id`) a batch of rows at a time.
    """
    styles = writer.styles
    sheet = writer.sheet
    writer.header(0, FREE_TEXT_HEADER)
    write_string = sheet.write_string
    write_text = text_cell_writer(sheet)
    groups = (
        CategoryTexts(frame["organisation"], styles.text),
        CategoryTexts(frame["organisation_type"], styles.text, organisation_type_label),
        CategoryTexts(frame["kommun"], styles.text),
    )
    widths = [len(label) for label in FREE_TEXT_HEADER]
    pick_wrapped = styles.wrap.pick
    in_frame = texts_in_frame(frame, questionnaire)
    if not in_frame and round_id is None:
        raise ValueError("a frame without its texts needs the round_id to read them")
    response_ids = frame["response_id"].to_numpy(dtype=np.int64)
    row = 0
    for question, rows in free_text_rows(questionnaire, frame):
        if len(rows) == 0:
            continue
        check_rows("Fritext", 1 + row + len(rows))
        question_id = clean_text(question.id)
        id_format = styles.text.pick(question_id)
        question_text = clean_text(question.text)
        text_format = pick_wrapped(question_text)
        question_lines = wrapped_lines(question_text, WRAPPED_WIDTH)
        column = np.asarray(frame[question.id].array, dtype=object) if in_frame else None
        for begin in range(0, len(rows), BATCH_IDS):
            batch = rows[begin : begin + BATCH_IDS]
            answers = (
                column[batch].tolist()
                if column is not None
                else texts_of(int(round_id or 0), question.id, response_ids[batch].tolist())
            )
            group_cells = [
                (
                    col,
                    group.labels[group.codes[batch]].tolist(),
                    group.formats[group.codes[batch]].tolist(),
                )
                for col, group in zip((3, 4, 5), groups, strict=True)
            ]
            for position, index in enumerate(batch.tolist()):
                row += 1
                text = answers[position]
                answer = clean_text(text) if isinstance(text, str) else ""
                lines = max(question_lines, wrapped_lines(answer, WRAPPED_WIDTH) if answer else 1)
                if lines > 1:
                    sheet.set_row(row, row_points(lines), styles.top)  # before its cells
                write_text(row, 0, question_id, id_format)
                write_text(row, 1, question_text, text_format)
                write_string(row, 2, pseudonyms[index])
                for col, labels, formats in group_cells:
                    label = labels[position]
                    if label is not None:
                        write_text(row, col, label, formats[position])
                if answer:
                    write_text(row, 6, answer, pick_wrapped(answer))
        widths[0] = max(widths[0], len(question_id))
        widths[1] = max(widths[1], text_width(question_text))
    widths[2] = max(widths[2], len(pseudonyms[-1]) if pseudonyms else 0)
    for col, group in zip((3, 4, 5), groups, strict=True):
        widths[col] = max(widths[col], group.width)
    widths[6] = WRAPPED_WIDTH
    for col, width in enumerate(widths):
        writer.fit(col, width)
    writer.wrapped.update((1, 6))
    writer.finish(filter_last_row=row, filter_last_col=len(FREE_TEXT_HEADER) - 1)
    return row


def free_text_rows(
    questionnaire: Questionnaire, frame: pd.DataFrame
) -> Iterator[tuple[Question, npt.NDArray[np.intp]]]:
    """Each text question and the frame rows answering it, in `collate_free_text`'s order.

    The same answers (not empty, not only white space) in the same order as
    `survey.results.freetext.collate_free_text` (organisation type, kommun, organisation,
    response id), computed on the frame's category codes: each category's sort key is
    made once rather than once per answer.
    """
    ranks = (
        _category_ranks(frame["organisation_type"], organisation_type_sort_key),
        _category_ranks(frame["kommun"], swedish_sort_key),
        _category_ranks(frame["organisation"], swedish_sort_key),
    )
    response_ids = frame["response_id"].to_numpy(dtype=np.int64)
    for question in questionnaire.questions:
        if not question.type.is_text:
            continue
        texts = frame[question.id]
        answered = np.flatnonzero((texts.notna() & (texts.str.strip() != "")).to_numpy(dtype=bool))
        # lexsort sorts by the last key first.
        keys = (response_ids[answered], *(rank[answered] for rank in reversed(ranks)))
        yield question, answered[np.lexsort(keys)].astype(np.intp)


def _category_ranks(column: pd.Series, key: Callable[[Any], Any]) -> npt.NDArray[np.intp]:
    """Each row's position in `key` order of its category; a missing value sorts as ""."""
    series = categorical(column)
    categories = [str(category) for category in series.cat.categories]
    keys = [key(category) for category in categories] + [key("")]
    rank = np.empty(len(keys), dtype=np.intp)
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    codes = series.cat.codes.to_numpy().astype(np.intp)
    codes[codes < 0] = len(categories)
    ranked: npt.NDArray[np.intp] = rank[codes]
    return ranked
