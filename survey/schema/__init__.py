"""Every table of the engine: the ground floor that every feature package builds on.

The tables import nothing but the database helpers (`survey.db`); the feature packages
import them from here. Importing this package registers every table on the metadata,
so that migrations and tests see them all.
"""

from survey.schema.accounts import ROLE_LABELS, Role, User
from survey.schema.answers_versions import RoundAnswersVersion
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job, JobState
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.ratelimit import RateLimitCounter
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState

__all__ = [
    "ROLE_LABELS",
    "AuditEvent",
    "Job",
    "JobState",
    "MailKind",
    "MailStatus",
    "OutboxMessage",
    "QuestionnaireVersion",
    "RateLimitCounter",
    "Recipient",
    "Response",
    "ResponseSubmission",
    "Role",
    "Round",
    "RoundAnswersVersion",
    "RoundState",
    "User",
]
