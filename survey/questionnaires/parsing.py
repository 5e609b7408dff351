"""Turn a questionnaire file into the validated model, or report every error in it at once.

The pipeline: read YAML with lines (`reading`) → typed drafts with aliases resolved
(`normalising`) → the rules (`rules`) → the immutable model (`building`).
"""

from __future__ import annotations

from pathlib import Path

from survey.errors import ErrorCode
from survey.questionnaires.building import build_questionnaire
from survey.questionnaires.errors import Issues, QuestionnaireError, QuestionnaireInvalid
from survey.questionnaires.model import Questionnaire
from survey.questionnaires.normalising import normalise
from survey.questionnaires.reading import YamlMap, YamlUnreadable, read_yaml
from survey.questionnaires.rules import check_rules

# A questionnaire is a few hundred lines; anything this large is the wrong file.
MAX_FILE_BYTES = 1_000_000

__all__ = [
    "QuestionnaireError",
    "QuestionnaireInvalid",
    "parse_questionnaire",
    "read_questionnaire_file",
]


def parse_questionnaire(text: str, source: str) -> Questionnaire:
    """The questionnaire in `text`; raises QuestionnaireInvalid listing every error."""
    issues = Issues()
    try:
        root = read_yaml(text)
    except YamlUnreadable as exc:
        raise QuestionnaireInvalid(
            [exc.issue.for_source(source)], code=ErrorCode.QUESTIONNAIRE_UNREADABLE
        ) from None
    draft = normalise(root, issues)
    if draft is not None:
        issues.extend(check_rules(draft))
    if issues or draft is None:
        raise QuestionnaireInvalid(
            [issue.for_source(source) for issue in issues], code=ErrorCode.QUESTIONNAIRE_INVALID
        )
    return build_questionnaire(draft)


def read_questionnaire_text(path: Path) -> str:
    """The file's text; raises QuestionnaireInvalid when it cannot be read as UTF-8."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _file_error(source, "file not found", "check the path") from None
    except IsADirectoryError:
        raise _file_error(
            source,
            "this is a directory, not a file",
            "name the YAML file, e.g. questionnaires/*.yaml",
        ) from None
    except OSError as exc:
        raise _file_error(
            source,
            f"cannot read the file: {exc.strerror}",
            "check the path and the file's permissions",
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(
            source,
            f"the file is {len(data)} bytes, larger than a questionnaire can be",
            f"check it is the right file (at most {MAX_FILE_BYTES} bytes)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QuestionnaireInvalid(
            [
                QuestionnaireError(
                    source,
                    line,
                    "the file is not UTF-8 text",
                    "save it as UTF-8 (in most editors: Save as… → Encoding: UTF-8)",
                )
            ],
            code=ErrorCode.QUESTIONNAIRE_NOT_UTF8,
        ) from None


def read_questionnaire_file(path: Path) -> Questionnaire:
    """Read, check and build a questionnaire file; raises QuestionnaireInvalid."""
    return parse_questionnaire(read_questionnaire_text(path), str(path))


def top_level_key_line(text: str, key: str) -> int:
    """The line of a top-level key in a readable questionnaire (0 when it is not there)."""
    try:
        root = read_yaml(text)
    except YamlUnreadable:
        return 0
    entry = root.get(key) if isinstance(root, YamlMap) else None
    return 0 if entry is None else entry.key_line


def _file_error(source: str, message: str, hint: str) -> QuestionnaireInvalid:
    return QuestionnaireInvalid(
        [QuestionnaireError(source, 0, message, hint)], code=ErrorCode.QUESTIONNAIRE_FILE_UNREADABLE
    )
