"""The import template: a workbook to fill in with earlier answers, and the questions it asks."""

from __future__ import annotations

import io
from typing import Any

from survey.organisations import DELREGIONS, ORGANISATION_TYPE_LABELS
from survey.questionnaires.answers import join_with_or
from survey.questionnaires.model import Questionnaire, QuestionType
from survey.responses.answer_cells import allowed_answers
from survey.responses.answer_headers import question_header
from survey.rounds.recipients_file import RECIPIENT_COLUMNS, RecipientField

TYPE_LABELS: dict[QuestionType, str] = {
    QuestionType.YES_NO: "Ja/nej",
    QuestionType.SINGLE_CHOICE: "Ett val",
    QuestionType.MULTIPLE_CHOICE: "Flera val",
    QuestionType.SCALE: "Skala",
    QuestionType.PERCENT: "Procent",
    QuestionType.NUMBER: "Tal",
    QuestionType.SHORT_TEXT: "Kort text",
    QuestionType.LONG_TEXT: "Lång text",
    QuestionType.DATE: "Datum",
    QuestionType.WEEK: "Vecka",
}


FIRST_QUESTION = len(RECIPIENT_COLUMNS)  # e-post and the other recipient columns come first
QUESTION_WIDTH = 40
LINE_HEIGHT = 15.0  # points of one line of 11 pt text
MAX_HEADER_LINES = 10


def header_height(headers: list[str], widths: list[int]) -> float:
    """Points of a header row tall enough for each header wrapped in its column."""
    pairs = zip(headers, widths, strict=True)
    lines = max((-(-len(header) // max(1, width - 4)) for header, width in pairs), default=1)
    return LINE_HEIGHT * min(MAX_HEADER_LINES, lines + 1)  # bold, wrapped at words: a line more


def responses_template_xlsx(questionnaire: Questionnaire, *, title: str | None = None) -> bytes:
    """Build the import template for a questionnaire: a sheet to fill in and one of questions."""
    import xlsxwriter  # only needed when someone downloads the template

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header_style = {"bold": True, "border": 1, "text_wrap": True, "valign": "top"}
    bold = workbook.add_format({**header_style, "bg_color": "#DDEBF7"})
    recipient_bold = workbook.add_format({**header_style, "bg_color": "#EDEDED"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@"})

    sheet = workbook.add_worksheet("Svar")
    headers: list[tuple[str, str, Any]] = []
    for column in RECIPIENT_COLUMNS:
        if column.key == RecipientField.EMAIL:
            headers.insert(0, (column.label, "Mottagarens e-postadress (obligatorisk).", bold))
            continue
        headers.append(
            (
                column.label,
                "Behövs bara för mottagare som ännu inte finns i omgången "
                "(med ”Lägg till mottagare som saknas”).",
                recipient_bold,
            )
        )
    for question in questionnaire.questions:
        comment = f"{allowed_answers(question)}\n\nKolumn i äldre importfiler: {question.id}"
        headers.append((question_header(questionnaire, question), comment, bold))
    widths = [QUESTION_WIDTH if index >= FIRST_QUESTION else 16 for index in range(len(headers))]
    for index, (header, comment, style) in enumerate(headers):
        sheet.write_string(0, index, header, style)
        sheet.write_comment(0, index, comment, {"x_scale": 2, "y_scale": 2})
        sheet.set_column(index, index, widths[index], text)
    sheet.set_row(0, header_height([header for header, _, _ in headers], widths))
    sheet.freeze_panes(1, 1)
    last_row = 5000
    for offset, question in enumerate(questionnaire.questions):
        labels = [choice.label for choice in question.choices]
        if (
            question.type in (QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE)
            and labels
            and not any("," in label for label in labels)
            and len(",".join(labels)) <= 250
        ):
            sheet.data_validation(
                1, FIRST_QUESTION + offset, last_row, FIRST_QUESTION + offset,
                {
                    "validate": "list",
                    "source": labels,
                    "error_type": "warning",
                    "input_title": f"Fråga {questionnaire.question_number(question.id)}",
                    "input_message": "Välj i listan.",
                },
            )  # fmt: skip

    questions = workbook.add_worksheet("Frågor")
    question_headers = (
        "Kolumnrubrik i bladet Svar", "Avsnitt", "Typ", "Ställs till", "Villkor",
        "Tillåtna svar", "Kolumn i äldre importfiler",
    )  # fmt: skip
    questions.write_row(0, 0, question_headers, bold)
    sections = {section.id: section.title for section in questionnaire.sections}
    for index, question in enumerate(questionnaire.questions, start=1):
        audience = (
            "Alla"
            if question.audience is None
            else ", ".join(ORGANISATION_TYPE_LABELS[kind] for kind in question.audience)
        )
        condition = ""
        if question.show_if is not None:
            earlier = questionnaire.question(question.show_if.question)
            condition = (
                f"Bara när svaret på fråga {questionnaire.question_number(earlier.id)} är "
                + join_with_or(earlier.choice_label(value) for value in question.show_if.answers)
            )
        values = (
            question_header(questionnaire, question),
            sections.get(question.section_id, ""),
            TYPE_LABELS[question.type],
            audience,
            condition,
            allowed_answers(question),
            question.id,
        )
        for position, value in enumerate(values):
            questions.write_string(index, position, value, wrap)
    for position, width in enumerate((60, 30, 12, 24, 28, 50, 22)):
        questions.set_column(position, position, width)
    questions.freeze_panes(1, 1)

    guide = workbook.add_worksheet("Anvisningar")
    lines = [
        f"Importmall för {title or questionnaire.title} "
        f"({questionnaire.id} version {questionnaire.version}).",
        "Fyll i bladet Svar med en rad per mottagare. Rubrikerna ska stå kvar som de är.",
        "Kolumnen E-post anger vilken mottagare i omgången svaren gäller.",
        "Övriga kolumner är enkätens frågor med nummer och text som i formuläret; bladet Frågor "
        "visar tillåtna svar. Äldre filer med frågornas id som rubrik (t.ex. "
        f"{questionnaire.questions[0].id}) går också att importera.",
        "Ja/nej-frågor: Ja, Nej eller Ej aktuellt. Val: alternativets text eller värde. "
        "Flera val: åtskilda med semikolon (;).",
        "Tal: med decimalkomma eller decimalpunkt. Datum: ÅÅÅÅ-MM-DD. "
        "Vecka: ÅÅÅÅ-Www eller i ord, t.ex. 2025-W09 eller vecka 9 år 2025 (som i exporten).",
        "En tom cell betyder inget svar. Skriv värden, inte formler.",
        "Namn, Organisation, Organisationstyp, Kommun och Delregion behövs bara för mottagare som "
        "ska läggas till i omgången. Organisationstyp är en av: "
        + ", ".join(ORGANISATION_TYPE_LABELS.values())
        + ". Delregion är en av: "
        + ", ".join(DELREGIONS)
        + " (tom: omgångens delregion).",
        "Om något i filen är fel importeras ingenting; felen visas med rad och kolumn.",
    ]
    for index, line in enumerate(lines):
        guide.write_string(index, 0, line)
    guide.set_column(0, 0, 120)
    workbook.close()
    return output.getvalue()
