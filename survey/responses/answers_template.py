"""The import template: a workbook to fill in with earlier answers, and the questions it asks."""

from __future__ import annotations

import io
from typing import Any

from survey.organisations import DELREGIONS, ORGANISATION_TYPE_LABELS
from survey.questionnaires.answers import join_with_or
from survey.questionnaires.model import Questionnaire, QuestionType
from survey.responses.answer_cells import allowed_answers
from survey.responses.answers_file import EMAIL_LABEL
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
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    recipient_bold = workbook.add_format({"bold": True, "bg_color": "#EDEDED", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@"})

    sheet = workbook.add_worksheet("Svar")
    headers: list[tuple[str, str, Any]] = [
        (EMAIL_LABEL, "Mottagarens e-postadress (obligatorisk).", bold)
    ]
    for column in RECIPIENT_COLUMNS:
        if column.key == RecipientField.EMAIL:
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
        headers.append((question.id, f"{question.text}\n\n{allowed_answers(question)}", bold))
    for index, (header, comment, style) in enumerate(headers):
        sheet.write_string(0, index, header, style)
        sheet.write_comment(0, index, comment, {"x_scale": 2, "y_scale": 2})
        sheet.set_column(index, index, max(14, min(len(header) + 4, 30)), text)
    sheet.freeze_panes(1, 1)
    last_row = 5000
    first_question = len(headers) - len(questionnaire.questions)
    for offset, question in enumerate(questionnaire.questions):
        labels = [choice.label for choice in question.choices]
        if (
            question.type in (QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.SCALE)
            and labels
            and not any("," in label for label in labels)
            and len(",".join(labels)) <= 250
        ):
            sheet.data_validation(
                1, first_question + offset, last_row, first_question + offset,
                {
                    "validate": "list",
                    "source": labels,
                    "error_type": "warning",
                    "input_title": question.id[:32],
                    "input_message": "Välj i listan.",
                },
            )  # fmt: skip

    questions = workbook.add_worksheet("Frågor")
    question_headers = (
        "Kolumn", "Fråga", "Avsnitt", "Typ", "Ställs till", "Villkor", "Tillåtna svar",
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
            condition = f"Bara när {earlier.id} är " + join_with_or(
                earlier.choice_label(value) for value in question.show_if.answers
            )
        values = (
            question.id,
            question.text,
            sections.get(question.section_id, ""),
            TYPE_LABELS[question.type],
            audience,
            condition,
            allowed_answers(question),
        )
        for position, value in enumerate(values):
            questions.write_string(index, position, value, wrap)
    for position, width in enumerate((22, 60, 30, 12, 24, 28, 50)):
        questions.set_column(position, position, width)
    questions.freeze_panes(1, 1)

    guide = workbook.add_worksheet("Anvisningar")
    lines = [
        f"Importmall för {title or questionnaire.title} "
        f"({questionnaire.id} version {questionnaire.version}).",
        "Fyll i bladet Svar med en rad per mottagare. Rubrikerna ska stå kvar som de är.",
        f"Kolumnen {EMAIL_LABEL} anger vilken mottagare i omgången svaren gäller.",
        "Övriga kolumner är frågornas id; bladet Frågor visar frågornas text och tillåtna svar.",
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
