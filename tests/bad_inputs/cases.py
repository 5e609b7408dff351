"""The table of bad inputs: what is sent, how, and what must come back.

Every row is one distinct bad input (or a control that must be accepted intact). The table
is static: `tests/test_bad_inputs.py` runs each row as its own test, and
`tests/reliability_report.py` turns the same rows into docs/reliability.md, so the report
says exactly what the tests assert.

Outcomes:

* ``refused``: the expected status (HTTP, or the command's exit code) and message, and the
  database is unchanged: every table's rows hash the same before and after, except the
  tables a row names in `counts_in` (a wrong link is counted in rate_limit_counters on
  purpose: that is what slows down guessing), which must have changed.
* ``ignored``: the request succeeds, and `check` proves the bad part was not stored.
* ``accepted``: a control, the input is good: `check` proves it is stored intact.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from survey.db import db
from survey.jobs.runner import run_due_jobs
from survey.schema.responses import Response
from survey.schema.rounds import Recipient
from tests.bad_inputs import files
from tests.bad_inputs.world import ANNA_EMAIL, World
from tests.import_helpers import xlsx_file
from tests.sample import SAMPLE_YAML

RATE_LIMITS = "rate_limit_counters"
# The limit the suite's app is built with (a real limit: Werkzeug refuses the body).
UPLOAD_LIMIT_BYTES = 1024 * 1024


class Category(Enum):
    """Where a bad input arrives; the value is the report's heading."""

    QUESTIONNAIRE = "Questionnaire YAML (`survey questionnaire check/load`)"
    RECIPIENTS_WEB = "Recipients file, web upload"
    RECIPIENTS_CLI = "Recipients file, `survey round recipients`"
    IMPORT = "Response import (web upload and `survey round import-responses`)"
    ANSWERS = "Respondent form posts"
    TOKENS = "Personal links (tokens)"
    ADMIN = "Process leader's forms and addresses"
    UPLOAD_SIZE = "Uploads over the size limit"


@dataclass(frozen=True)
class Outcome:
    """What came back: an HTTP status (or exit code) and the text a person reads."""

    status: int
    text: str
    location: str = ""
    exception: BaseException | None = None


@dataclass
class Ctx:
    """What a row's sender works with: the app, the world, the row's client, a folder."""

    app: Flask
    world: World
    client: FlaskClient
    tmp_path: Path


@dataclass(frozen=True)
class BadInput:
    id: str
    category: Category
    description: str
    sent: str  # how it is sent, for the report
    status: int  # HTTP status, or the command's exit code for a CLI row
    message: str  # a fragment of what the user (Swedish) or operator (English) reads
    protection: str  # what stops it: without this, the row fails
    send: Callable[[Ctx], Outcome]
    who: str = "leader_nv"  # leader_nv, reader_nv, respondent, bo, anonymous, cli
    outcome: str = "refused"  # refused, ignored, accepted
    counts_in: frozenset[str] = frozenset()
    check: Callable[[Ctx], None] | None = None
    cli: bool = False

    @property
    def shown_status(self) -> str:
        return f"exit {self.status}" if self.cli else f"HTTP {self.status}"


# -- senders -----------------------------------------------------------------------------


def page_text(body: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(without_tags).split())


def _outcome(response: Any) -> Outcome:
    return Outcome(
        response.status_code,
        page_text(response.get_data(as_text=True)),
        response.headers.get("Location", ""),
    )


def get(path: Callable[[World], str]) -> Callable[[Ctx], Outcome]:
    return lambda ctx: _outcome(ctx.client.get(path(ctx.world)))


def post(
    path: Callable[[World], str], data: Callable[[World], Mapping[str, Any]] | Mapping[str, Any]
) -> Callable[[Ctx], Outcome]:
    def send(ctx: Ctx) -> Outcome:
        form = data(ctx.world) if callable(data) else data
        return _outcome(ctx.client.post(path(ctx.world), data=dict(form)))

    return send


def upload(
    path: Callable[[World], str],
    field_name: str,
    filename: str,
    content: Callable[[], bytes],
    extra: Mapping[str, str] | None = None,
) -> Callable[[Ctx], Outcome]:
    def send(ctx: Ctx) -> Outcome:
        values: dict[str, Any] = dict(extra or {})
        values[field_name] = FileStorage(io.BytesIO(content()), filename=filename)
        boundary, body = encode_multipart(values)
        response = ctx.client.post(
            path(ctx.world),
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        return _outcome(response)

    return send


def cli(
    args: Callable[[Ctx], list[str]],
    files_to_write: Mapping[str, Callable[[], bytes]] | None = None,
) -> Callable[[Ctx], Outcome]:
    def send(ctx: Ctx) -> Outcome:
        for name, content in (files_to_write or {}).items():
            (ctx.tmp_path / name).write_bytes(content())
        result = ctx.app.test_cli_runner().invoke(args=args(ctx))
        exception = result.exception
        if isinstance(exception, SystemExit):
            exception = None
        return Outcome(result.exit_code, " ".join(result.output.split()), exception=exception)

    return send


def in_tmp(name: str) -> Callable[[Ctx], str]:
    return lambda ctx: str(ctx.tmp_path / name)


# -- questionnaire YAML ------------------------------------------------------------------

GOOD_YAML = SAMPLE_YAML.replace("id: prov\n", "id: prov-yaml\n", 1)


def yaml_row(
    id: str,
    description: str,
    content: bytes | str,
    message: str,
    protection: str,
    *,
    command: str = "check",
) -> BadInput:
    data = content.encode() if isinstance(content, str) else content
    return BadInput(
        id=id,
        category=Category.QUESTIONNAIRE,
        description=description,
        sent=f"`survey questionnaire {command} enkat.yaml`",
        status=1,
        message=message,
        protection=protection,
        send=cli(
            lambda ctx: ["questionnaire", command, str(ctx.tmp_path / "enkat.yaml")],
            {"enkat.yaml": lambda: data},
        ),
        who="cli",
        cli=True,
    )


QUESTIONNAIRE_ROWS = [
    yaml_row(
        "yaml-syntax-error",
        "YAML that does not parse (an unclosed bracket)",
        GOOD_YAML.replace("choices: [Fallrisk, Undernäring]", "choices: [Fallrisk, Undernäring"),
        "enkat.yaml:14: YAML syntax error: while parsing a flow sequence",
        "survey.questionnaires.reading: YAML errors reported with their line",
    ),
    yaml_row(
        "yaml-misspelt-key",
        "A misspelt key (`requried`), loaded",
        GOOD_YAML.replace("required: false", "requried: false"),
        "enkat.yaml:19: unknown key 'requried' in question 'kommentar' — did you mean 'required'?",
        "survey.questionnaires.fields: unknown keys are errors with a "
        "suggestion; load is all or nothing",
        command="load",
    ),
    yaml_row(
        "yaml-duplicate-question-id",
        "Two questions with the same id",
        GOOD_YAML.replace("- id: kommentar", "- id: okning"),
        "enkat.yaml:16: question id 'okning' is used twice",
        "survey.questionnaires.rules.structure: question ids are unique",
    ),
    yaml_row(
        "yaml-condition-unknown-question",
        "A `show_if` that names a question that does not exist",
        GOOD_YAML.replace("{question: okning, equals: ja}", "{question: saknas, equals: ja}"),
        "enkat.yaml:15: show_if of question 'vilka' refers to "
        "question 'saknas', which does not exist",
        "survey.questionnaires.rules.questions: conditions must name an earlier question",
    ),
    yaml_row(
        "yaml-target-over-100",
        "A percentage target of 175",
        GOOD_YAML.replace("value: 75}", "value: 175}"),
        "enkat.yaml:27: target 1 of indicator 1a.1b: value 175 is outside 0–100",
        "survey.questionnaires.rules.indicators: share targets are percentages",
    ),
    yaml_row(
        "yaml-unknown-question-type",
        "An unknown question type",
        GOOD_YAML.replace("type: long_text", "type: essay"),
        "enkat.yaml:17: question 'kommentar': unknown type 'essay'",
        "survey.questionnaires.normalising: the type must be one of the documented ones",
    ),
    yaml_row(
        "yaml-empty-file",
        "An empty file",
        "",
        "enkat.yaml:1: the file is empty",
        "survey.questionnaires.parsing: an empty document is an error, not an empty questionnaire",
    ),
    yaml_row(
        "yaml-not-utf8",
        "A file saved as Latin-1 instead of UTF-8",
        GOOD_YAML.encode("latin-1"),
        "enkat.yaml:3: the file is not UTF-8 text",
        "survey.questionnaires.parsing: the file must be UTF-8",
    ),
    yaml_row(
        "yaml-top-level-list",
        "A YAML list instead of a questionnaire mapping",
        "- id: prov\n- version: 1\n",
        "enkat.yaml:1: the file must be a mapping of keys",
        "survey.questionnaires.reading: the document must be a mapping",
    ),
    yaml_row(
        "yaml-duplicate-key",
        "The same key twice in one mapping (`title` twice)",
        GOOD_YAML.replace("title: Provenkät\n", "title: Provenkät\ntitle: Annan titel\n"),
        "enkat.yaml:4: key 'title' is given twice in the questionnaire",
        "survey.questionnaires.reading: duplicate keys are errors (PyYAML would keep the last)",
    ),
    yaml_row(
        "yaml-alias-bomb",
        "A 'billion laughs' YAML with nested aliases",
        "a: &a ['x','x','x','x','x','x','x','x','x']\n"
        + "".join(
            f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n"
            for n in range(8)
        )
        + GOOD_YAML,
        "enkat.yaml:6: the file expands to too many values",
        "survey.questionnaires.reading: alias expansion is capped",
    ),
    yaml_row(
        "yaml-changed-loaded-version",
        "New content under an already loaded id and version",
        GOOD_YAML.replace("id: prov-yaml", "id: prov").replace("value: 75}", "value: 80}"),
        "enkat.yaml:2: questionnaire 'prov' version 1 is already loaded with different content",
        "survey.questionnaires.storage: a loaded version never changes (rounds pin it)",
        command="load",
    ),
]


# -- recipients files --------------------------------------------------------------------


def upload_recipients_path(w: World) -> str:
    return f"/omgangar/{w.nv_draft}/mottagare/ladda-upp"


def recipients_of_draft(app: Flask) -> list[tuple[str | None, str | None, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Recipient.name, Recipient.email, Recipient.organisation, Recipient.kommun)
            .join(Recipient.round)
            .where(Recipient.round.has(title="Utkast NV"))
            .order_by(Recipient.id)
        ).all()
        return [(row.name, row.email, row.organisation, row.kommun) for row in rows]


def stored_intact(ctx: Ctx) -> None:
    """Åsa and Björn were added to the draft round with å, ä, ö intact."""
    stored = recipients_of_draft(ctx.app)
    assert [row[:3] for row in stored[1:]] == [
        ("Åsa Öberg", "asa.oberg@example.se", "Vårdcentralen Ängelholm"),
        ("Björn Ek", "bjorn.ek@example.se", "Ängelholms kommun"),
    ], stored


WEB_FILE_PROBLEM = "ingen mottagare har lagts till"


def recipients_web_row(
    id: str,
    description: str,
    filename: str,
    content: Callable[[], bytes],
    message: str,
    protection: str,
    *,
    outcome: str = "refused",
    status: int = 200,
) -> BadInput:
    return BadInput(
        id=id,
        category=Category.RECIPIENTS_WEB,
        description=description,
        sent=f"POST /omgangar/‹id›/mottagare/ladda-upp, {filename}",
        status=status if outcome == "refused" else 302,
        message=message,
        protection=protection,
        send=upload(upload_recipients_path, "recipients_file", filename, content),
        outcome=outcome,
        check=stored_intact if outcome == "accepted" else None,
    )


RECIPIENTS_WEB_ROWS = [
    recipients_web_row(
        "recipients-utf16-without-bom",
        "CSV saved as UTF-16 without a byte order mark",
        "mottagare.csv",
        lambda: files.recipients_csv(files.ASA, encoding="utf-16-le"),
        "Filen verkar vara sparad som UTF-16 (Unicode-text) utan byte-ordningsmärke",
        "survey.tabular: UTF-16 without BOM is recognised and refused, not read as garbage",
    ),
    recipients_web_row(
        "recipients-utf8-bom",
        "CSV with a UTF-8 byte order mark (Excel's “CSV UTF-8”): control",
        "mottagare.csv",
        lambda: files.recipients_csv(files.ASA, files.BJORN, encoding="utf-8-sig"),
        "",
        "survey.tabular: the BOM is dropped, so the first header is still “Namn”",
        outcome="accepted",
    ),
    recipients_web_row(
        "recipients-semicolons",
        "CSV with semicolons (Swedish Excel) and å/ä/ö: control",
        "mottagare.csv",
        lambda: files.recipients_csv(files.ASA, files.BJORN),
        "",
        "survey.tabular: the delimiter is sniffed from the header",
        outcome="accepted",
    ),
    recipients_web_row(
        "recipients-windows-1252",
        "CSV in Windows-1252 (old Excel “CSV”): control, å/ä/ö intact",
        "mottagare.csv",
        lambda: files.recipients_csv(files.ASA, files.BJORN, encoding="cp1252"),
        "",
        "survey.tabular: not UTF-8 falls back to Windows-1252",
        outcome="accepted",
    ),
    recipients_web_row(
        "recipients-empty-file",
        "An empty (0 byte) file",
        "mottagare.csv",
        lambda: b"",
        "Filen är tom.",
        "survey.rounds.pages.read_upload + survey.tabular: an empty file is named as such",
    ),
    recipients_web_row(
        "recipients-blank-file",
        "A file of blank lines and separators only",
        "mottagare.csv",
        lambda: b"\r\n;;;\r\n  \r\n",
        "Filen är tom.",
        "survey.tabular: rows without values are skipped; nothing left is an empty file",
    ),
    recipients_web_row(
        "recipients-header-only",
        "A header row and no recipients",
        "mottagare.csv",
        lambda: files.recipients_csv(),
        "Filen innehåller bara en rubrikrad",
        "survey.tabular: a table needs data rows",
    ),
    recipients_web_row(
        "recipients-xlsx-is-pdf",
        "A PDF renamed to .xlsx",
        "mottagare.xlsx",
        lambda: files.PDF,
        "Filen är en PDF, inte en Excel-arbetsbok.",
        "survey.tabular: magic bytes are checked before any parser sees the file",
    ),
    recipients_web_row(
        "recipients-xlsx-is-csv",
        "CSV text renamed to .xlsx",
        "mottagare.xlsx",
        lambda: files.recipients_csv(files.ASA),
        "Filen är inte en Excel-arbetsbok (.xlsx) trots sin filändelse.",
        "survey.tabular: an .xlsx must be a zip",
    ),
    recipients_web_row(
        "recipients-xlsx-is-word",
        "A Word document renamed to .xlsx",
        "mottagare.xlsx",
        files.word_document,
        "Filen är ett Word-dokument, inte en Excel-arbetsbok.",
        "survey.tabular: the zip must hold a workbook",
    ),
    recipients_web_row(
        "recipients-xlsx-truncated",
        "A damaged (cut off) .xlsx",
        "mottagare.xlsx",
        files.broken_zip,
        "Excel-filen är skadad och kan inte läsas.",
        "survey.tabular: unreadable zips are refused with a message, not a traceback",
    ),
    recipients_web_row(
        "recipients-csv-is-xlsx",
        "An Excel workbook renamed to .csv",
        "mottagare.csv",
        lambda: files.recipients_xlsx(files.ASA),
        "har filändelsen .csv",
        "survey.tabular: a zip is never decoded as text",
    ),
    recipients_web_row(
        "recipients-old-xls",
        "An old Excel 97 (.xls, OLE2) file named .xlsx",
        "mottagare.xlsx",
        lambda: files.OLE2,
        "gamla Excel-formatet (.xls)",
        "survey.tabular: OLE2 files are recognised",
    ),
    recipients_web_row(
        "recipients-wrong-extension",
        "A file with the extension .pdf",
        "mottagare.pdf",
        lambda: files.PDF,
        "Filtypen .pdf kan inte läsas.",
        "survey.tabular: only .xlsx and .csv are read",
    ),
    recipients_web_row(
        "recipients-zip-bomb-ratio",
        "A zip-bomb .xlsx: a sheet of 5 MB packed over 100 times",
        "mottagare.xlsx",
        lambda: files.zip_bomb_xlsx(5),
        "Excel-filen är orimligt stor när den packas upp",
        "survey.tabular: the compression ratio is checked before unpacking",
    ),
    recipients_web_row(
        "recipients-zip-bomb-size",
        "A zip-bomb .xlsx that unpacks to 60 MB",
        "mottagare.xlsx",
        lambda: files.zip_bomb_xlsx(60),
        "Excel-filen är orimligt stor när den packas upp",
        "survey.tabular: the declared unpacked size is capped at 50 MB",
    ),
    recipients_web_row(
        "recipients-formula",
        "A formula in a cell (=HYPERLINK to another site)",
        "mottagare.xlsx",
        lambda: files.recipients_xlsx(files.ASA, formula_cell="A2"),
        "innehåller en formel",
        "survey.tabular: formulas are refused, never evaluated",
    ),
    recipients_web_row(
        "recipients-bad-email",
        "An address without @",
        "mottagare.csv",
        lambda: files.recipients_csv(("Åsa Öberg", "asa.example.se", *files.ASA[2:])),
        "är inte en giltig e-postadress: @ saknas.",
        "survey.rounds.recipients_file.check_email_address (email-validator, no DNS)",
    ),
    recipients_web_row(
        "recipients-duplicate-email",
        "The same address on two rows",
        "mottagare.csv",
        lambda: files.recipients_csv(files.ASA, ("Åsa Kopia", *files.ASA[1:])),
        "Samma e-postadress (asa.oberg@example.se) finns också på rad 3.",
        "survey.rounds.recipients_file: addresses are unique per file",
    ),
    recipients_web_row(
        "recipients-email-already-in-round",
        "An address already among the round's recipients",
        "mottagare.csv",
        lambda: files.recipients_csv(("Anna", ANNA_EMAIL, *files.ASA[2:])),
        f"{ANNA_EMAIL} finns redan bland omgångens mottagare.",
        "survey.rounds.recipients_file: existing addresses are refused (unique round_id, email)",
    ),
    recipients_web_row(
        "recipients-unknown-organisation-type",
        "An unknown organisation type",
        "mottagare.csv",
        lambda: files.recipients_csv((*files.ASA[:3], "Tandvård", *files.ASA[4:])),
        'Okänd organisationstyp "Tandvård".',
        "survey.organisations.parse_organisation_type",
    ),
    recipients_web_row(
        "recipients-unknown-delregion",
        "An unknown delregion",
        "mottagare.csv",
        lambda: files.recipients_csv((*files.ASA[:5], "Mitt")),
        'Okänd delregion "Mitt".',
        "survey.organisations.parse_delregion",
    ),
    recipients_web_row(
        "recipients-missing-column",
        "No E-post column",
        "mottagare.csv",
        lambda: "Namn;Organisation;Organisationstyp;Kommun\r\nÅsa;VC;Kommun;Lund\r\n".encode(),
        'Kolumnen "E-post" saknas i rubrikraden.',
        "survey.tabular.match_columns: required columns",
    ),
    recipients_web_row(
        "recipients-control-character",
        "A name with a right-to-left override (U+202E) hiding its real text",
        "mottagare.csv",
        lambda: files.recipients_csv(("Åsa \u202eгебӧ", *files.ASA[1:])),
        "Innehåller ett otillåtet tecken (U+202E right-to-left override)",
        "survey.rounds.recipients_file: control and format characters are refused",
    ),
    recipients_web_row(
        "recipients-unclosed-quote",
        "An unclosed quote that would swallow the rest of the file",
        "mottagare.csv",
        lambda: files.recipients_csv(('"Åsa Öberg', *files.ASA[1:]), files.BJORN),
        "avslutas aldrig",
        "survey.tabular: an unclosed quote is reported with its row",
    ),
    recipients_web_row(
        "recipients-name-too-long",
        "A 201-character name (the column holds 200)",
        "mottagare.csv",
        lambda: files.recipients_csv(("Å" * 201, *files.ASA[1:])),
        "Värdet är för långt: 201 tecken, högst 200 tillåts.",
        "survey.rounds.recipients_file: lengths match the table's columns",
    ),
]

RECIPIENTS_CLI_ROWS = [
    BadInput(
        id="recipients-cli-bad-email",
        category=Category.RECIPIENTS_CLI,
        description="An address with a space in it",
        sent="`survey round recipients ‹id› mottagare.csv`",
        status=1,
        message='row 2, column "E-post": "asa oberg@example.se" är inte en giltig e-postadress',
        protection="survey.rounds.commands.read_recipients: every problem printed, nothing stored",
        send=cli(
            lambda ctx: [
                "round",
                "recipients",
                str(ctx.world.nv_draft),
                in_tmp("mottagare.csv")(ctx),
            ],
            {
                "mottagare.csv": lambda: files.recipients_csv(
                    ("Åsa", "asa oberg@example.se", *files.ASA[2:])
                )
            },
        ),
        who="cli",
        cli=True,
    ),
    BadInput(
        id="recipients-cli-utf16",
        category=Category.RECIPIENTS_CLI,
        description="CSV saved as UTF-16 without a byte order mark",
        sent="`survey round recipients ‹id› mottagare.csv`",
        status=1,
        message="Filen verkar vara sparad som UTF-16 (Unicode-text) utan byte-ordningsmärke",
        protection="survey.tabular via the same parser as the web; nothing was imported",
        send=cli(
            lambda ctx: [
                "round",
                "recipients",
                str(ctx.world.nv_draft),
                in_tmp("mottagare.csv")(ctx),
            ],
            {"mottagare.csv": lambda: files.recipients_csv(files.ASA, encoding="utf-16-le")},
        ),
        who="cli",
        cli=True,
    ),
    BadInput(
        id="recipients-cli-missing-file",
        category=Category.RECIPIENTS_CLI,
        description="A file that does not exist",
        sent="`survey round recipients ‹id› saknas.csv`",
        status=1,
        message="cannot be read: No such file or directory",
        protection="survey.rounds.commands.read_recipients: OSError becomes a message",
        send=cli(
            lambda ctx: ["round", "recipients", str(ctx.world.nv_draft), in_tmp("saknas.csv")(ctx)]
        ),
        who="cli",
        cli=True,
    ),
    BadInput(
        id="recipients-cli-unknown-round",
        category=Category.RECIPIENTS_CLI,
        description="A round id beyond PostgreSQL's integer range",
        sent="`survey round recipients 99999999999999999999 mottagare.csv`",
        status=1,
        message="there is no round 99999999999999999999",
        protection=(
            "survey.rounds.commands.find_round: ids outside the integer range are not looked up"
        ),
        send=cli(
            lambda ctx: [
                "round",
                "recipients",
                "99999999999999999999",
                in_tmp("mottagare.csv")(ctx),
            ],
            {"mottagare.csv": lambda: files.recipients_csv(files.ASA)},
        ),
        who="cli",
        cli=True,
    ),
]


# -- response imports --------------------------------------------------------------------


def import_path(w: World) -> str:
    return f"/omgangar/{w.nv_open}/importera-svar"


def import_row(
    id: str,
    description: str,
    content: Callable[[], bytes],
    message: str,
    protection: str,
    *,
    filename: str = "svar.csv",
) -> BadInput:
    return BadInput(
        id=id,
        category=Category.IMPORT,
        description=description,
        sent=f"POST /omgangar/‹id›/importera-svar, {filename} (then the import job's page)",
        status=200,
        message=message,
        protection=protection,
        send=then_the_job_page(
            upload(import_path, "fil", filename, content, {"action": "importera"})
        ),
    )


def then_the_job_page(send: Callable[[Ctx], Outcome]) -> Callable[[Ctx], Outcome]:
    """An upload the page accepts is checked by a job: run it, and read the job's page."""

    def send_and_follow(ctx: Ctx) -> Outcome:
        outcome = send(ctx)
        if outcome.status != 302 or "/importera-svar/" not in outcome.location:
            return outcome  # refused at once (the header), on the upload page
        with ctx.app.app_context():
            run_due_jobs("bad-inputs")
        return _outcome(ctx.client.get(outcome.location))

    return send_and_follow


IMPORT_ROWS = [
    import_row(
        "import-forged-option",
        "An answer that is not one of the options (“kanske” to a yes/no question)",
        lambda: files.answers_csv((ANNA_EMAIL, "kanske")),
        '"kanske" är inte ett av svarsalternativen.',
        "survey.responses.answers_file: cells are checked by the form's own rules",
    ),
    import_row(
        "import-unknown-recipient",
        "A row for an address that is not a recipient of the round",
        lambda: files.answers_csv(("okand@example.se", "Ja")),
        "okand@example.se finns inte bland omgångens mottagare.",
        "survey.responses.answers_file: rows must name a recipient (or --add-recipients)",
    ),
    import_row(
        "import-number-with-letters",
        "A percentage written “45 procent”",
        lambda: files.answers_csv(
            (ANNA_EMAIL, "Ja", "45 procent"), header=("e-post", "sip_okning", "utbildning")
        ),
        "Ange andelen med siffror, till exempel 45 eller 12,5.",
        "survey.questionnaires.answers.check_answer, shared with the form",
    ),
    import_row(
        "import-impossible-date",
        "The date 2025-02-30",
        lambda: files.answers_csv(
            (ANNA_EMAIL, "Ja", "2025-02-30"), header=("e-post", "sip_okning", "startdatum")
        ),
        "Datumet finns inte i kalendern.",
        "survey.questionnaires.answers.parse_date",
    ),
    import_row(
        "import-formula",
        "A formula in a cell of an .xlsx",
        lambda: xlsx_file(
            [["e-post", "sip_okning", "utbildning"], [ANNA_EMAIL, "Ja", 45]], formula=(2, 3)
        ),
        "innehåller en formel",
        "survey.tabular: formulas refused in every upload",
        filename="svar.xlsx",
    ),
    import_row(
        "import-question-outside-audience",
        "An answer to the kommun-only question for a vårdcentral",
        lambda: files.answers_csv((ANNA_EMAIL, "Ja", "Ja"), header=("e-post", "sip_okning", "npo")),
        "Frågan ställs inte till organisationstypen",
        "survey.responses.answers_file: the audience rules of the form apply",
    ),
    import_row(
        "import-unknown-column",
        "Only columns that match no question",
        lambda: files.answers_csv((ANNA_EMAIL, "Ja"), header=("e-post", "fråga_som_inte_finns")),
        "Kolumnen känns inte igen.",
        "survey.responses.answers_file: headers must be question ids",
    ),
    BadInput(
        id="import-cli-bad-cell",
        category=Category.IMPORT,
        description="An answer that is not one of the options, from the command line",
        sent="`survey round import-responses ‹id› svar.csv`",
        status=1,
        message='row 2, column sip_okning: "kanske" är inte ett av svarsalternativen.',
        protection="survey.results.commands.import_responses_command: all or nothing",
        send=cli(
            lambda ctx: [
                "round",
                "import-responses",
                str(ctx.world.nv_open),
                in_tmp("svar.csv")(ctx),
            ],
            {"svar.csv": lambda: files.answers_csv((ANNA_EMAIL, "kanske"))},
        ),
        who="cli",
        cli=True,
    ),
    BadInput(
        id="import-cli-huge-round-id",
        category=Category.IMPORT,
        description="A round id beyond PostgreSQL's integer range, from the command line",
        sent="`survey round import-responses 99999999999999999999 svar.csv`",
        status=1,
        message="round '99999999999999999999' does not exist",
        protection="survey.results.commands.round_by_reference: ids outside the integer range",
        send=cli(
            lambda ctx: [
                "round",
                "import-responses",
                "99999999999999999999",
                in_tmp("svar.csv")(ctx),
            ],
            {"svar.csv": lambda: files.answers_csv((ANNA_EMAIL, "Ja"))},
        ),
        who="cli",
        cli=True,
    ),
]


# -- respondent form posts ---------------------------------------------------------------

VALID_ANSWERS = {"sip_okning": "nej", "nojdhet": "ganska_nojd", "utbildning": "45"}


def answers_path(w: World) -> str:
    return f"/svara/{w.anna.round_id}"


def answers(extra: Mapping[str, Any], *, action: str = "submit") -> Callable[[Ctx], Outcome]:
    def send(ctx: Ctx) -> Outcome:
        data: dict[str, Any] = {**VALID_ANSWERS, **extra, "action": action}
        return _outcome(ctx.client.post(answers_path(ctx.world), data=data))

    return send


def stored_draft(ctx: Ctx, recipient_id: int | None = None) -> dict[str, Any] | None:
    with ctx.app.app_context():
        response = db.session.scalar(
            select(Response).where(
                Response.recipient_id == (recipient_id or ctx.world.anna.recipient_id)
            )
        )
        return None if response is None else response.draft


def draft_is(expected: Mapping[str, Any]) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        draft = stored_draft(ctx)
        assert draft == dict(expected), draft

    return check


def _shown_value(value: object) -> str:
    """A posted value for the report: several values joined with +, long ones cut."""
    values = value if isinstance(value, list) else [value]
    return " + ".join(repr(str(each)[:40]) for each in values)


def answer_row(
    id: str,
    description: str,
    extra: Mapping[str, Any],
    message: str,
    protection: str,
    *,
    action: str = "submit",
    status: int = 422,
    outcome: str = "refused",
    check: Callable[[Ctx], None] | None = None,
    sent: str | None = None,
) -> BadInput:
    shown = sent or ", ".join(f"{key}={_shown_value(value)}" for key, value in extra.items())
    button = "spara utkast" if action == "save" else "skicka in"
    return BadInput(
        id=id,
        category=Category.ANSWERS,
        description=description,
        sent=f"POST /svara/‹omgång› ({button}): {shown}",
        status=status,
        message=message,
        protection=protection,
        send=answers(extra, action=action),
        who="respondent",
        outcome=outcome,
        check=check,
    )


EMOJI_TEXT = "Bra samverkan 👍 med Ängelholms kommun – åäö ÅÄÖ é ü"

ANSWER_ROWS = [
    answer_row(
        "answer-forged-option",
        "A value that is not an option of a yes/no question",
        {"sip_okning": "kanske"},
        "Det valda alternativet finns inte.",
        "survey.questionnaires.answers.check_answer: values must be the question's choices",
    ),
    answer_row(
        "answer-forged-multiple-choice",
        "A forged value among the multiple choices",
        {"sip_okning": "ja", "omraden": ["fallrisk", "'; DROP TABLE responses; --"]},
        "Ett av de valda alternativen finns inte.",
        "survey.questionnaires.answers._check_multiple_choice",
    ),
    answer_row(
        "answer-two-values-for-one-choice",
        "Two values for a single-choice question (a browser sends one)",
        {"nojdhet": ["ganska_nojd", "mycket_nojd"]},
        "",
        "survey.answering.form: a single-answer question reads one value, the first",
        status=303,
        outcome="ignored",
        check=lambda ctx: _submitted_with(ctx, "nojdhet", "ganska_nojd"),
    ),
    answer_row(
        "answer-number-with-letters",
        "A percentage with letters (“45 procent”)",
        {"utbildning": "45 procent"},
        "Ange andelen med siffror, till exempel 45 eller 12,5.",
        "survey.questionnaires.answers._check_number",
    ),
    answer_row(
        "answer-percent-out-of-range",
        "A percentage of 150",
        {"utbildning": "150"},
        "Ange ett tal mellan 0 och 100.",
        "survey.questionnaires.answers.range_message: the question's bounds",
    ),
    answer_row(
        "answer-huge-number",
        "A number of 400 digits (float overflow)",
        {"dygn": "9" * 400},
        "Ange ett tal mellan 0 och 365.",
        "survey.questionnaires.answers._check_number: parsed with Decimal, bounds checked",
    ),
    answer_row(
        "answer-not-a-number-literal",
        "The float literals “NaN” and “inf”",
        {"dygn": "NaN", "utbildning": "inf"},
        "Ange ett tal med siffror, till exempel 12 eller 12,5.",
        "survey.questionnaires.answers._check_number: only digits are numbers",
    ),
    answer_row(
        "answer-impossible-date",
        "The date 2025-02-30",
        {"startdatum": "2025-02-30"},
        "Datumet finns inte i kalendern.",
        "survey.questionnaires.answers.parse_date",
    ),
    answer_row(
        "answer-impossible-week",
        "Week 54 of 2025",
        {"vecka": "2025-W54"},
        "Ange ett veckonummer mellan 1 och 52 (53 vissa år).",
        "survey.questionnaires.answers.parse_week",
    ),
    answer_row(
        "answer-short-text-too-long",
        "A short text of 201 characters (limit 200)",
        {"kommentar": "å" * 201},
        "Svaret får vara högst 200 tecken (nu 201).",
        "survey.questionnaires.answers._check_text: the question's max_length",
    ),
    answer_row(
        "answer-long-text-megabyte",
        "Half a megabyte in a long-text answer (limit 5,000)",
        {"beskrivning": "a" * 500_000},
        "Svaret får vara högst 5",
        "survey.answering.form: posted values capped, then the length rule",
        sent="beskrivning='a' × 500 000",
    ),
    answer_row(
        "answer-control-characters",
        "NUL, bell, escape and C1 control characters in a text, saved as a draft",
        {"kommentar": "Bra\x00 sam\x07ver\x1bkan\x85"},
        "",
        "survey.questionnaires.answers.clean_text: control characters are removed before storing",
        action="save",
        status=303,
        outcome="ignored",
        check=draft_is({**VALID_ANSWERS, "kommentar": "Bra samverkan"}),
        sent="kommentar='Bra\\x00 sam\\x07ver\\x1bkan\\x85'",
    ),
    BadInput(
        id="answer-invalid-utf8",
        category=Category.ANSWERS,
        description="Bytes that are not UTF-8 (an encoded lone surrogate and a stray 0xFF)",
        sent="POST /svara/‹omgång› (spara utkast): beskrivning=F%C3%B6re%ED%A0%80%FFefter",
        status=303,
        message="",
        protection=(
            "Werkzeug decodes form data with replacement characters; nothing unencodable is stored"
        ),
        send=lambda ctx: _outcome(
            ctx.client.post(
                answers_path(ctx.world),
                data=b"sip_okning=nej&nojdhet=ganska_nojd&utbildning=45&action=save"
                b"&beskrivning=F%C3%B6re%ED%A0%80%FFefter",
                content_type="application/x-www-form-urlencoded",
            )
        ),
        who="respondent",
        outcome="ignored",
        check=lambda ctx: _draft_text_is_utf8(ctx, "beskrivning", "Före", "efter"),
    ),
    answer_row(
        "answer-emoji-and-swedish",
        "Emoji and å/ä/ö/é/ü in a text: control, stored intact",
        {"kommentar": EMOJI_TEXT},
        "",
        "UTF-8 end to end (JSON column, NFC)",
        action="save",
        status=303,
        outcome="accepted",
        check=draft_is({**VALID_ANSWERS, "kommentar": EMOJI_TEXT}),
    ),
    answer_row(
        "answer-unknown-fields",
        "Unknown and forged fields (submitted_at, recipient_id, round_id) with a draft",
        {"submitted_at": "2020-01-01", "recipient_id": "1", "round_id": "2", "hack": "1"},
        "",
        "survey.answering.form: only the questionnaire's question ids are read",
        action="save",
        status=303,
        outcome="ignored",
        check=draft_is(VALID_ANSWERS),
    ),
    answer_row(
        "answer-outside-audience",
        "An answer to the kommun-only question from a vårdcentral",
        {"npo": "ja"},
        "",
        "survey.questionnaires.answers.check_answers: questions not asked of the type are not "
        "stored",
        action="save",
        status=303,
        outcome="ignored",
        check=draft_is(VALID_ANSWERS),
    ),
    answer_row(
        "answer-condition-not-met",
        "An answer to a conditional question whose condition does not hold",
        {"sip_okning": "nej", "omraden": ["fallrisk"]},
        "",
        "survey.questionnaires.answers.check_answers: hidden questions are neither required nor "
        "stored",
        status=303,
        outcome="ignored",
        check=lambda ctx: _submitted_without(ctx, "omraden"),
    ),
    BadInput(
        id="answer-other-round",
        category=Category.ANSWERS,
        description="Answers posted to a round the session does not answer for",
        sent="POST /svara/‹another round›",
        status=403,
        message="Öppna enkäten via länken i ditt e-postmeddelande",
        protection=(
            "survey.answering.respondent_session.current_recipient: the session names the round"
        ),
        send=post(lambda w: f"/svara/{w.no_open}", {**VALID_ANSWERS, "action": "submit"}),
        who="respondent",
    ),
    BadInput(
        id="answer-garbage-round-id",
        category=Category.ANSWERS,
        description="A round id that is not a number (`/svara/1e3`)",
        sent="POST /svara/1e3",
        status=403,
        message="Öppna enkäten via länken i ditt e-postmeddelande",
        protection="survey.answering.respondent.parse_round_id",
        send=post(lambda w: "/svara/1e3", {**VALID_ANSWERS, "action": "submit"}),
        who="respondent",
    ),
    BadInput(
        id="answer-closed-round",
        category=Category.ANSWERS,
        description="Answers posted after the round closed",
        sent="POST /svara/‹closed round›",
        status=409,
        message="Enkäten är stängd",
        protection="survey.responses.service: the round is locked and checked in the transaction",
        send=post(lambda w: f"/svara/{w.nv_closed}", {**VALID_ANSWERS, "action": "submit"}),
        who="closed",
    ),
]


def _submitted_with(ctx: Ctx, question_id: str, value: object) -> None:
    with ctx.app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == ctx.world.anna.recipient_id)
        )
        assert response is not None and response.answers is not None
        assert response.answers[question_id] == value, response.answers


def _draft_text_is_utf8(ctx: Ctx, question_id: str, start: str, end: str) -> None:
    draft = stored_draft(ctx)
    assert draft is not None
    stored = draft[question_id]
    stored.encode("utf-8")  # storable: no surrogates
    assert stored.startswith(start) and stored.endswith(end), stored


def _submitted_without(ctx: Ctx, question_id: str) -> None:
    with ctx.app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.recipient_id == ctx.world.anna.recipient_id)
        )
        assert response is not None and response.answers is not None
        assert question_id not in response.answers, response.answers
        assert response.answers["sip_okning"] == "nej"


# -- tokens --------------------------------------------------------------------------------

LINK_INVALID = "Länken fungerar inte"


def token_row(
    id: str, description: str, path: Callable[[World], str], sent: str, protection: str
) -> BadInput:
    return BadInput(
        id=id,
        category=Category.TOKENS,
        description=description,
        sent=f"GET {sent}",
        status=404,
        message=LINK_INVALID,
        protection=protection,
        send=get(path),
        who="anonymous",
        counts_in=frozenset({RATE_LIMITS}),
    )


def _garbled(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


TOKEN_ROWS = [
    token_row(
        "token-garbled",
        "A link with one character changed",
        lambda w: f"/svara/{w.anna.round_id}/{_garbled(w.anna.token)}",
        "/svara/‹omgång›/‹token with one character changed›",
        "survey.rounds.tokens: only a hash is compared; the failure is counted "
        "(survey.ratelimit.register_failure)",
    ),
    token_row(
        "token-truncated",
        "A link cut off by a mail program",
        lambda w: f"/svara/{w.anna.round_id}/{w.anna.token[:20]}",
        "/svara/‹omgång›/‹first 20 characters›",
        "survey.rounds.tokens.looks_like_token: shape checked before any query",
    ),
    token_row(
        "token-other-round",
        "A valid token with another round's id",
        lambda w: f"/svara/{w.no_open}/{w.anna.token}",
        "/svara/‹another round›/‹valid token›",
        "survey.rounds.tokens.hash_token: the hash binds the token to its round",
    ),
    token_row(
        "token-revoked",
        "A revoked link",
        lambda w: f"/svara/{w.revoked.round_id}/{w.revoked.token}",
        "/svara/‹omgång›/‹revoked token›",
        "survey.rounds.tokens.revoke_link: the stored hash is removed",
    ),
    token_row(
        "token-removed-recipient",
        "The link of a recipient removed from the round",
        lambda w: f"/svara/{w.removed.round_id}/{w.removed.token}",
        "/svara/‹omgång›/‹removed recipient's token›",
        "survey.answering.respondent.open_link: removed recipients are not looked up",
    ),
    token_row(
        "token-sql-looking",
        "An SQL-looking token",
        lambda w: f"/svara/{w.anna.round_id}/' OR '1'='1",
        "/svara/‹omgång›/' OR '1'='1",
        "survey.rounds.tokens.looks_like_token + bound parameters",
    ),
    token_row(
        "token-very-long",
        "A token of 10,000 characters",
        lambda w: f"/svara/{w.anna.round_id}/{'A' * 10_000}",
        "/svara/‹omgång›/A×10 000",
        "survey.rounds.tokens.looks_like_token: fixed length",
    ),
    token_row(
        "token-percent-encoded-nul",
        "A token with a percent-encoded NUL",
        lambda w: f"/svara/{w.anna.round_id}/{w.anna.token[:10]}%00{w.anna.token[13:]}",
        "/svara/‹omgång›/…%00…",
        "survey.rounds.tokens.looks_like_token: NUL never reaches the database",
    ),
    token_row(
        "token-unicode",
        "A token of non-ASCII letters",
        lambda w: f"/svara/{w.anna.round_id}/{'Ö' * 43}",
        "/svara/‹omgång›/ÖÖÖ…",
        "survey.rounds.tokens.looks_like_token: URL-safe base64 only",
    ),
    token_row(
        "token-path-traversal",
        "A token with ../ path segments",
        lambda w: f"/svara/{w.anna.round_id}/..%2F..%2Fetc%2Fpasswd",
        "/svara/‹omgång›/..%2F..%2Fetc%2Fpasswd",
        "survey.rounds.tokens.looks_like_token",
    ),
    token_row(
        "token-round-not-a-number",
        "A round id that is not a number",
        lambda w: f"/svara/abc/{w.anna.token}",
        "/svara/abc/‹token›",
        "survey.answering.respondent.parse_round_id",
    ),
    token_row(
        "token-round-id-overflow",
        "A round id beyond PostgreSQL's integer range",
        lambda w: f"/svara/99999999999999999999/{w.anna.token}",
        "/svara/99999999999999999999/‹token›",
        "survey.answering.respondent.parse_round_id: at most 2³¹−1",
    ),
    BadInput(
        id="token-round-closed",
        category=Category.TOKENS,
        description="A valid link of a closed round: its own page, not the broken-link page",
        sent="GET /svara/‹closed round›/‹token›, then the form",
        status=200,
        message="Enkäten är stängd",
        protection="survey.answering.respondent.phase_page",
        send=lambda ctx: _outcome(
            ctx.client.get(
                f"/svara/{ctx.world.closed.round_id}/{ctx.world.closed.token}",
                follow_redirects=True,
            )
        ),
        who="anonymous",
    ),
]


# -- the process leader's forms and addresses ----------------------------------------------

NOT_FOUND = "Sidan du sökte finns inte"


def admin_get_row(
    id: str, description: str, path: Callable[[World], str], sent: str, protection: str,
    *, status: int = 404, message: str = NOT_FOUND, who: str = "leader_nv",
) -> BadInput:  # fmt: skip
    return BadInput(
        id=id,
        category=Category.ADMIN,
        description=description,
        sent=f"GET {sent}",
        status=status,
        message=message,
        protection=protection,
        send=get(path),
        who=who,
    )


def admin_post_row(
    id: str, description: str, path: Callable[[World], str],
    data: Callable[[World], Mapping[str, Any]] | Mapping[str, Any], sent: str, protection: str,
    *, status: int = 404, message: str = NOT_FOUND, who: str = "leader_nv",
) -> BadInput:  # fmt: skip
    return BadInput(
        id=id,
        category=Category.ADMIN,
        description=description,
        sent=f"POST {sent}",
        status=status,
        message=message,
        protection=protection,
        send=post(path, data),
        who=who,
    )


def round_form(w: World, **changes: str) -> dict[str, str]:
    data = {
        "questionnaire_version_id": str(w.version_id),
        "title": "Årlig enkät 2026",
        "delregion": "NV",
        "reference_date": "2026-12-31",
        "opens_date": "2099-01-10",
        "opens_time": "08:00",
        "closes_date": "2099-02-10",
        "closes_time": "23:59",
        "reminder_days": "7, 14",
        "max_reminders": "2",
        "sender_name": "Processledare nära vård, Nordväst",
        "reply_to": "processledare.nv@example.se",
        "invitation_subject": "Inbjudan: {omgang}",
        "invitation_body": "Hej {namn}!\r\n\r\nSvara senast {sista_dag}: {lank}\r\n",
        "reminder_subject": "Påminnelse: {omgang}",
        "reminder_body": "Hej {namn}!\r\n\r\nSvara här: {lank}\r\n",
        "action": "create",
    }
    data.update(changes)
    return data


def round_form_row(
    id: str, description: str, changes: Mapping[str, str], message: str, protection: str
) -> BadInput:
    shown = ", ".join(f"{key}={value!r}" for key, value in changes.items())
    return BadInput(
        id=id,
        category=Category.ADMIN,
        description=description,
        sent=f"POST /omgangar/ny: {shown}",
        status=200,
        message=message,
        protection=protection,
        send=post(lambda w: "/omgangar/ny", lambda w: round_form(w, **changes)),
    )


def recipient_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Åsa Öberg",
        "email": "asa.oberg@example.se",
        "organisation": "Vårdcentralen Ängelholm",
        "organisation_type": "regional_pv",
        "kommun": "Ängelholm",
        "delregion": "NV",
    }
    data.update(changes)
    return data


EVIL = "evil.example"


def login_redirect_row(id: str, description: str, next_value: str, shown: str) -> BadInput:
    def send(ctx: Ctx) -> Outcome:
        response = ctx.client.get("/logga-in", query_string={"next": next_value})
        return _outcome(response)

    return BadInput(
        id=id,
        category=Category.ADMIN,
        description=description,
        sent=f"GET /logga-in?next={shown} (logged in)",
        status=302,
        message="/omgangar",
        protection="survey.accounts.redirects.safe_next_path: only paths on this site",
        send=send,
    )


ADMIN_ROWS = [
    admin_get_row(
        "admin-other-delregion-round",
        "Another delregion's round",
        lambda w: f"/omgangar/{w.no_open}",
        "/omgangar/‹NO round› as NV's process leader",
        "survey.accounts.permissions.get_round_for: other delregions' rounds do not exist (404)",
    ),
    admin_get_row(
        "admin-other-delregion-recipient",
        "Another delregion's recipient under one's own round",
        lambda w: f"/omgangar/{w.nv_open}/mottagare/{w.no_recipient.recipient_id}",
        "/omgangar/‹NV round›/mottagare/‹NO recipient›",
        "survey.rounds.roster.get_recipient: the recipient must belong to the round",
    ),
    admin_post_row(
        "admin-other-delregion-close",
        "Closing another delregion's round",
        lambda w: f"/omgangar/{w.no_open}/stang",
        {},
        "/omgangar/‹NO round›/stang as NV's process leader",
        "survey.accounts.permissions.get_round_for(manage=True)",
    ),
    admin_post_row(
        "admin-other-delregion-message",
        "Resending another delregion's message through one's own round",
        lambda w: f"/omgangar/{w.nv_open}/utskick/{w.no_message}/skicka-igen",
        {},
        "/omgangar/‹NV round›/utskick/‹NO message›/skicka-igen",
        "survey.rounds.mailing.round_message: the message must belong to the round",
    ),
    admin_post_row(
        "admin-reader-closes",
        "A reader closing a round of their own delregion",
        lambda w: f"/omgangar/{w.nv_open}/stang",
        {},
        "/omgangar/‹NV round›/stang as NV's reader",
        "survey.accounts.permissions.can_manage_round: readers only read",
        status=403,
        message="Du har inte behörighet att göra detta.",
        who="reader_nv",
    ),
    admin_get_row(
        "admin-negative-id",
        "A negative round id",
        lambda w: "/omgangar/-1",
        "/omgangar/-1",
        "Werkzeug's int converter: unsigned",
    ),
    admin_get_row(
        "admin-id-overflow",
        "A round id beyond PostgreSQL's integer range",
        lambda w: "/omgangar/99999999999999999999",
        "/omgangar/99999999999999999999",
        "survey.pages.DatabaseIdConverter: ids above 2³¹−1 match no route",
    ),
    admin_get_row(
        "admin-id-just-over-int32",
        "The round id 2³¹ (one past the largest integer)",
        lambda w: "/omgangar/2147483648/utskick",
        "/omgangar/2147483648/utskick",
        "survey.pages.DatabaseIdConverter",
    ),
    admin_get_row(
        "admin-recipient-id-overflow",
        "A recipient id beyond the integer range",
        lambda w: f"/omgangar/{w.nv_open}/mottagare/99999999999999999999",
        "/omgangar/‹id›/mottagare/99999999999999999999",
        "survey.pages.DatabaseIdConverter",
    ),
    admin_get_row(
        "admin-questionnaire-param-overflow",
        "A questionnaire id beyond the integer range in `?enkat=`",
        lambda w: "/omgangar/ny?enkat=99999999999999999999",
        "/omgangar/ny?enkat=99999999999999999999",
        "survey.rounds.round_pages.new_round: the preselected questionnaire must be a known id",
        status=200,
        message="Skapa omgång",
    ),
    login_redirect_row(
        "admin-next-protocol-relative",
        "An open redirect to another site in `next` (protocol-relative)",
        f"//{EVIL}",
        f"//{EVIL}",
    ),
    login_redirect_row(
        "admin-next-absolute",
        "An open redirect to another site in `next` (absolute URL)",
        f"https://{EVIL}/",
        f"https://{EVIL}/",
    ),
    login_redirect_row(
        "admin-next-backslash",
        "An open redirect in `next` with a backslash (browsers read /\\ as //)",
        f"/\\{EVIL}",
        f"/\\{EVIL}",
    ),
    login_redirect_row(
        "admin-next-tab",
        "An open redirect in `next` hidden with a tab (browsers drop it)",
        f"/\t/{EVIL}",
        f"/%09/{EVIL}",
    ),
    login_redirect_row(
        "admin-next-javascript",
        "A javascript: URL in `next`",
        "javascript:alert(1)",
        "javascript:alert(1)",
    ),
    round_form_row(
        "admin-round-bad-date",
        "A date that does not exist (2099-02-30)",
        {"closes_date": "2099-02-30"},
        "”2099-02-30” är inte ett datum.",
        "survey.rounds.forms: dates parsed with Swedish messages",
    ),
    round_form_row(
        "admin-round-bad-time",
        "A time of 25:61",
        {"opens_time": "25:61"},
        "”25:61” är inte ett klockslag.",
        "survey.rounds.forms._TIME",
    ),
    round_form_row(
        "admin-round-closes-before-opens",
        "Closing before opening",
        {"closes_date": "2099-01-01"},
        "Omgången måste stänga efter att den öppnar.",
        "survey.rounds.settings.round_settings_problems",
    ),
    round_form_row(
        "admin-round-reply-to-newline",
        "A reply-to address with a newline and a Bcc header",
        {"reply_to": "processledare@example.se\r\nBcc: alla@example.se"},
        "Svarsadressen: E-postadressen innehåller ett otillåtet tecken (radbrytning).",
        "survey.rounds.settings: the reply-to is one address (header injection)",
    ),
    round_form_row(
        "admin-round-no-link",
        "An invitation text without {lank}",
        {"invitation_body": "Hej {namn}! Svara gärna."},
        "Inbjudans text: Texten måste innehålla {lank}",
        "survey.rounds.settings: the invitation must carry the personal link",
    ),
    round_form_row(
        "admin-round-unknown-placeholder",
        "An unknown placeholder and a format spec in a text ({namn!r:>9999})",
        {"invitation_body": "Hej {namn!r:>9999} {losenord}! {lank}"},
        "Inbjudans text: Platshållaren {namn!r:>9999} får inte ha tillägg.",
        "survey.rounds.messages: only the documented placeholders, no format specs",
    ),
    round_form_row(
        "admin-round-title-newline",
        "A title with a line break (it becomes the mail subject)",
        {"title": "Årlig enkät\r\nBcc: alla@example.se"},
        "Titeln ska vara en rad",
        "survey.rounds.settings: one-line titles",
    ),
    round_form_row(
        "admin-round-reminders-not-numbers",
        "Reminder days “7, -3, x” and a maximum of 99999999999999999999",
        {"reminder_days": "7, -3, x", "max_reminders": "99999999999999999999"},
        "”-3” är inte ett antal dagar.",
        "survey.rounds.settings.parse_reminder_days and the max_reminders bound",
    ),
    round_form_row(
        "admin-round-forged-questionnaire",
        "A questionnaire version id that does not exist (forged select value)",
        {"questionnaire_version_id": "424242"},
        "Den valda enkätversionen finns inte.",
        "survey.rounds.settings: the version must exist",
    ),
    round_form_row(
        "admin-round-questionnaire-overflow",
        "A questionnaire version id beyond the integer range",
        {"questionnaire_version_id": "99999999999999999999"},
        "Välj en enkät i listan.",
        "survey.rounds.forms.RoundSettingsForm.read: ids above 2³¹−1 are not looked up",
    ),
    round_form_row(
        "admin-round-forged-delregion",
        "Another delregion forged into the select",
        {"delregion": "NO"},
        "Du kan bara skapa omgångar i din egen delregion.",
        "survey.rounds.round_pages.new_round: creatable_delregions",
    ),
    admin_post_row(
        "admin-recipient-newline-in-name",
        "A recipient typed in by hand with a line break in the name",
        lambda w: f"/omgangar/{w.nv_draft}/mottagare/ny",
        recipient_form(name="Åsa\r\nBcc: alla@example.se"),
        "/omgangar/‹id›/mottagare/ny: name with CR LF",
        "survey.rounds.recipients_file.check_recipient_fields, shared with files",
        status=200,
        message="Innehåller ett otillåtet tecken (radbrytning).",
    ),
]


# -- uploads over the size limit -----------------------------------------------------------

TOO_LARGE = "Filen är för stor"


def oversized_row(
    id: str,
    description: str,
    path: Callable[[World], str],
    field_name: str,
    sent: str,
    limit: str = "MAX_CONTENT_LENGTH (SURVEY_MAX_UPLOAD_MB)",
) -> BadInput:
    return BadInput(
        id=id,
        category=Category.UPLOAD_SIZE,
        description=description,
        sent=f"POST {sent}, 1.5 MB (limit 1 MB in the test app)",
        status=413,
        message=TOO_LARGE,
        protection=f"{limit} and the Swedish 413 page",
        send=upload(path, field_name, "stor.csv", lambda: files.oversized(1.5)),
    )


SIZE_ROWS = [
    oversized_row(
        "size-recipients-upload",
        "A recipients file over the limit",
        upload_recipients_path,
        "recipients_file",
        "/omgangar/‹id›/mottagare/ladda-upp",
    ),
    oversized_row(
        "size-new-round",
        "A recipients file over the limit on the new round form",
        lambda w: "/omgangar/ny",
        "recipients_file",
        "/omgangar/ny",
    ),
    oversized_row(
        "size-response-import",
        "An answers file over the limit",
        import_path,
        "fil",
        "/omgangar/‹id›/importera-svar",
        limit="the import's own limit (SURVEY_MAX_IMPORT_MB, survey/upload_limits.py)",
    ),
    BadInput(
        id="size-respondent-post",
        category=Category.UPLOAD_SIZE,
        description="A respondent post of 1.5 MB",
        sent="POST /svara/‹omgång›, 1.5 MB of form data",
        status=413,
        message="Det du skickade är för stort",
        protection="MAX_CONTENT_LENGTH applies to every request body",
        send=answers({"beskrivning": "a" * (3 * UPLOAD_LIMIT_BYTES // 2)}),
        who="respondent",
    ),
]


ALL_ROWS: list[BadInput] = [
    *QUESTIONNAIRE_ROWS,
    *RECIPIENTS_WEB_ROWS,
    *RECIPIENTS_CLI_ROWS,
    *IMPORT_ROWS,
    *ANSWER_ROWS,
    *TOKEN_ROWS,
    *ADMIN_ROWS,
    *SIZE_ROWS,
]


def rows_by_id() -> dict[str, BadInput]:
    found: dict[str, BadInput] = {}
    for row in ALL_ROWS:
        assert row.id not in found, f"duplicate bad input id {row.id}"
        found[row.id] = row
    return found


__all__ = ["ALL_ROWS", "BadInput", "Category", "Ctx", "Outcome", "field", "rows_by_id"]
