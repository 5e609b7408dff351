"""The project's own errors: one base, each error with a stable code and two messages.

Every error the project raises on purpose derives from `SurveyError` and carries

- `code`: an `ErrorCode`, a stable dotted name (``family.what``) that tests, logs and
  callers match on instead of fragments of text. A code never changes meaning once
  released; a new kind of error gets a new code.
- `message`: the text for the person in front of the page, in Swedish.
- `operator_message`: the text for whoever runs the service (command line, logs), in
  English.

An error that only ever reaches users (a bad answer, an unreadable upload, an unusable
message text) has no English of its own: `operator_message` falls back to the Swedish
`message`. An error that only ever reaches operators (configuration, a questionnaire
file loaded from the command line, the outbox's programming contract) has no Swedish of
its own: `message` falls back to the English `operator_message`. Errors seen by both
(round actions, account changes) carry both texts. `str(error)` stays what each error
printed before the family existed, so no visible text changed.

Command-line refusals are `CommandError`s (also click exceptions: click prints the line
alone and exits with status 1); one that wraps another error passes its code on.

This module sits on the ground floor: it imports nothing from the project (only click).
"""

from __future__ import annotations

from enum import StrEnum, unique

import click


@unique
class ErrorCode(StrEnum):
    """Stable codes of the project's errors, ``family.what``; docs/architecture.md lists them."""

    # Configuration (config.py, mail settings): operators only.
    CONFIG_INVALID = "config.invalid"
    CONFIG_UNKNOWN_ENVIRONMENT = "config.unknown_environment"
    CONFIG_MAIL = "config.mail"

    # Command-line refusals that are not one of the errors below.
    COMMAND_FAILED = "command.failed"
    COMMAND_BAD_OPTION = "command.bad_option"
    COMMAND_BAD_FILE = "command.bad_file"
    COMMAND_NO_DIRECTORY = "command.no_directory"
    COMMAND_DATABASE_UNREACHABLE = "command.database_unreachable"
    COMMAND_DEMO_REFUSED = "command.demo_refused"

    # Accounts.
    ACCOUNT_INVALID = "account.invalid"
    ACCOUNT_EXISTS = "account.exists"
    ACCOUNT_WEAK_PASSWORD = "account.weak_password"
    ACCOUNT_OWN_DEACTIVATION = "account.own_deactivation"
    ACCOUNT_NOT_FOUND = "account.not_found"

    # Questionnaire files and their YAML.
    QUESTIONNAIRE_INVALID = "questionnaire.invalid"
    QUESTIONNAIRE_UNREADABLE = "questionnaire.unreadable"
    QUESTIONNAIRE_FILE_UNREADABLE = "questionnaire.file_unreadable"
    QUESTIONNAIRE_NOT_UTF8 = "questionnaire.not_utf8"
    QUESTIONNAIRE_VERSION_CONFLICT = "questionnaire.version_conflict"
    QUESTIONNAIRE_DRAFT_INCOMPLETE = "questionnaire.draft_incomplete"
    QUESTIONNAIRE_NOT_LOADED = "questionnaire.not_loaded"
    YAML_SYNTAX = "yaml.syntax"
    YAML_CONTROL_CHARACTER = "yaml.control_character"
    YAML_TOO_MANY_VALUES = "yaml.too_many_values"
    YAML_TOO_DEEP = "yaml.too_deep"
    YAML_BAD_KEY = "yaml.bad_key"
    YAML_UNSUPPORTED_VALUE = "yaml.unsupported_value"

    # Answers: one answer breaking a rule of its question (shown to the respondent).
    ANSWERS_BAD_VALUE = "answers.bad_value"
    ANSWERS_BAD_CHOICE = "answers.bad_choice"
    ANSWERS_SEVERAL = "answers.several"
    ANSWERS_TOO_LONG = "answers.too_long"
    ANSWERS_NOT_A_NUMBER = "answers.not_a_number"
    ANSWERS_OUT_OF_RANGE = "answers.out_of_range"
    ANSWERS_TOO_MANY_DECIMALS = "answers.too_many_decimals"
    ANSWERS_BAD_YEAR = "answers.bad_year"
    ANSWERS_BAD_DATE = "answers.bad_date"
    ANSWERS_BAD_WEEK = "answers.bad_week"
    ANSWERS_BEFORE_EARLIER = "answers.before_earlier"

    # Answers refused as a whole (nothing stored).
    RESPONSE_REFUSED = "response.refused"
    RESPONSE_ROUND_NOT_OPEN = "response.round_not_open"
    RESPONSE_RECIPIENT_GONE = "response.recipient_gone"
    RESPONSE_CONFLICT = "response.conflict"

    # Uploaded tables (recipients, answers).
    TABLE_UNREADABLE = "table.unreadable"
    TABLE_TOO_LARGE = "table.too_large"
    TABLE_EMPTY = "table.empty"
    TABLE_HEADER_ONLY = "table.header_only"
    TABLE_TOO_MANY_COLUMNS = "table.too_many_columns"
    TABLE_TOO_MANY_ROWS = "table.too_many_rows"
    TABLE_BAD_CELL = "table.bad_cell"
    TABLE_WRONG_FORMAT = "table.wrong_format"
    TABLE_UNSUPPORTED_EXTENSION = "table.unsupported_extension"
    TABLE_CORRUPT = "table.corrupt"
    TABLE_ENCRYPTED = "table.encrypted"
    TABLE_ZIP_BOMB = "table.zip_bomb"
    TABLE_NO_SHEET = "table.no_sheet"
    TABLE_BAD_ENCODING = "table.bad_encoding"
    TABLE_BINARY = "table.binary"
    TABLE_BAD_CSV = "table.bad_csv"
    TABLE_HAS_PROBLEMS = "table.has_problems"
    TABLE_NO_ROWS = "table.no_rows"

    # Rounds and their recipients.
    ROUND_REFUSED = "round.refused"
    ROUND_NOT_FOUND = "round.not_found"
    ROUND_CLOSED = "round.closed"
    ROUND_ALREADY_CLOSED = "round.already_closed"
    ROUND_DEADLINE_PASSED = "round.deadline_passed"
    ROUND_NO_RECIPIENTS = "round.no_recipients"
    ROUND_NOT_OPEN = "round.not_open"
    ROUND_INVALID_SETTINGS = "round.invalid_settings"
    ROUND_BAD_CLOSING_TIME = "round.bad_closing_time"
    ROUND_RECIPIENT_NOT_ACTIVE = "round.recipient_not_active"
    ROUND_RECIPIENT_EXISTS = "round.recipient_exists"
    ROUND_RECIPIENT_PSEUDONYMISED = "round.recipient_pseudonymised"
    ROUND_NO_LIVE_LINK = "round.no_live_link"
    ROUND_LINK_REVOKED = "round.link_revoked"
    ROUND_REMINDER_REFUSED = "round.reminder_refused"
    ROUND_MESSAGE_NOT_FOUND = "round.message_not_found"
    ROUND_MESSAGE_NOT_REQUEUEABLE = "round.message_not_requeueable"
    ROUND_NOT_DELETABLE = "round.not_deletable"
    ROUND_HISTORICAL = "round.historical"

    # Message texts a process leader writes.
    TEMPLATE_INVALID = "template.invalid"
    TEMPLATE_LINK_MARKER = "template.link_marker"
    TEMPLATE_LONE_BRACE = "template.lone_brace"
    TEMPLATE_PLACEHOLDER_SUFFIX = "template.placeholder_suffix"
    TEMPLATE_UNKNOWN_PLACEHOLDER = "template.unknown_placeholder"
    TEMPLATE_MISSING_LINK = "template.missing_link"
    TEMPLATE_LINK_IN_SUBJECT = "template.link_in_subject"
    TEMPLATE_SUBJECT_NOT_ONE_LINE = "template.subject_not_one_line"
    TEMPLATE_SUBJECT_EMPTY = "template.subject_empty"
    TEMPLATE_SUBJECT_TOO_LONG = "template.subject_too_long"
    TEMPLATE_BODY_EMPTY = "template.body_empty"
    TEMPLATE_BODY_TOO_LONG = "template.body_too_long"

    # Mail and the outbox.
    MAIL_INVALID = "mail.invalid"
    MAIL_UNSAFE_HEADER = "mail.unsafe_header"
    MAIL_BAD_ADDRESS = "mail.bad_address"
    MAIL_EMPTY_FIELD = "mail.empty_field"
    MAIL_FIELD_TOO_LONG = "mail.field_too_long"
    MAIL_BAD_SEQUENCE = "mail.bad_sequence"
    MAIL_NAIVE_TIME = "mail.naive_time"
    MAIL_CLAIM_LOST = "mail.claim_lost"
    OUTBOX_NOT_FOUND = "outbox.not_found"
    OUTBOX_WRONG_STATE = "outbox.wrong_state"

    # Privacy requests and exports.
    PRIVACY_NOT_AN_EMAIL_ADDRESS = "privacy.not_an_email_address"
    PRIVACY_ONLY_AN_ACCOUNT = "privacy.only_an_account"
    EXPORT_TOO_MANY_ROWS = "export.too_many_rows"

    # Plans (survey/plans/): loading, measurements and their analyses, imports.
    PLAN_REFUSED = "plan.refused"
    PLAN_NOT_FOUND = "plan.not_found"
    PLAN_INVALID = "plan.invalid"
    PLAN_UNREADABLE = "plan.unreadable"
    PLAN_UNKNOWN_QUESTION_INDICATOR = "plan.unknown_question_indicator"
    PLAN_VERSION_CONFLICT = "plan.version_conflict"
    PLAN_OTHER_DELREGION = "plan.other_delregion"
    MEASUREMENT_BAD_VALUE = "measurement.bad_value"
    MEASUREMENT_EMPTY = "measurement.empty"
    MEASUREMENT_NOT_A_NUMBER = "measurement.not_a_number"
    MEASUREMENT_NEGATIVE = "measurement.negative"
    MEASUREMENT_OUT_OF_RANGE = "measurement.out_of_range"
    MEASUREMENT_NOT_WHOLE = "measurement.not_whole"
    MEASUREMENT_TOO_LARGE = "measurement.too_large"
    MEASUREMENT_BAD_YES_NO = "measurement.bad_yes_no"
    MEASUREMENT_ORGANISATION_NO_ANSWER = "measurement.organisation_no_answer"
    MEASUREMENT_UNKNOWN_ORGANISATION = "measurement.unknown_organisation"
    MEASUREMENT_ORGANISATION_TWICE = "measurement.organisation_twice"
    MEASUREMENT_NO_ANSWERS = "measurement.no_answers"
    MEASUREMENT_TOO_LONG = "measurement.too_long"
    MEASUREMENT_BAD_DATE = "measurement.bad_date"
    MEASUREMENT_DATE_OUT_OF_RANGE = "measurement.date_out_of_range"
    MEASUREMENT_BAD_PERIOD = "measurement.bad_period"
    MEASUREMENT_BAD_YEAR = "measurement.bad_year"
    MEASUREMENT_NO_SOURCE = "measurement.no_source"
    MEASUREMENT_UNKNOWN_INDICATOR = "measurement.unknown_indicator"
    MEASUREMENT_MEASURED_BY_ENKAT = "measurement.measured_by_enkat"
    MEASUREMENT_ALREADY_CORRECTED = "measurement.already_corrected"
    PLAN_IMPORT_HAS_PROBLEMS = "plan.import_has_problems"
    PLAN_IMPORT_BAD_COLUMNS = "plan.import_bad_columns"
    PLAN_IMPORT_NO_ROWS = "plan.import_no_rows"

    # Lokal samverkan (survey/local_collaboration/): groups, their links and their plans.
    GROUP_REFUSED = "group.refused"
    GROUP_NOT_FOUND = "group.not_found"
    GROUP_NOT_A_KOMMUN = "group.not_a_kommun"
    GROUP_NOT_A_DELREGION = "group.not_a_delregion"
    GROUP_EXISTS = "group.exists"
    GROUP_NO_LIVE_LINK = "group.no_live_link"
    GROUP_BAD_INPUT = "group.bad_input"
    GROUP_NOT_IN_PLAN = "group.not_in_plan"
    GROUP_INDICATOR_FOLLOWED = "group.indicator_followed"
    GROUP_UNKNOWN_FORM = "group.unknown_form"
    # Jobs (survey.jobs).
    JOB_FAILED = "job.failed"
    JOB_CLAIM_LOST = "job.claim_lost"


class SurveyError(Exception):
    """The base of the project's own errors: a stable `code` and a text for each audience.

    A subclass names its default code as a class attribute; a raise site passes a more
    precise one with ``code=``. `message` is Swedish (users), `operator_message` English
    (operators); either falls back to the other when the error only ever reaches one
    audience (see the module docstring). `str()` gives `shown`, which each family keeps
    at the text it printed before (Swedish for user errors, English for operator errors).
    """

    code: ErrorCode
    message: str
    operator_message: str
    # Which text str() gives: "message" (Swedish) or "operator_message" (English).
    shown: str = "message"

    def __init__(
        self,
        message: str | None = None,
        *,
        operator_message: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        if message is None:
            message = operator_message if operator_message is not None else ""
        if operator_message is None:
            operator_message = message
        self.message = message
        self.operator_message = operator_message
        if code is not None:
            self.code = code
        super().__init__(getattr(self, self.shown))

    def __str__(self) -> str:
        return str(getattr(self, self.shown))


class OperatorError(SurveyError):
    """An error only operators see: the English text is the one shown, also as `message`."""

    shown = "operator_message"

    def __init__(self, operator_message: str = "", *, code: ErrorCode | None = None) -> None:
        super().__init__(operator_message=operator_message, code=code)


class CommandError(OperatorError, click.ClickException):  # type: ignore[misc]  # both set message
    """A command-line refusal: click prints the English line alone and exits with status 1.

    Wrapping another SurveyError, it passes that error's code on (``code=error.code``).
    """

    code = ErrorCode.COMMAND_FAILED
