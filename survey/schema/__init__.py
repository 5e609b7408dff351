"""Every table of the engine: the ground floor that every feature package builds on.

The tables import nothing but the database helpers (`survey.db`); the feature packages
import them from here. Importing this package registers every table on the metadata,
so that migrations and tests see them all.
"""

from survey.schema.accounts import ROLE_LABELS, Role, User
from survey.schema.answers_versions import RoundAnswersVersion
from survey.schema.audit import AuditEvent
from survey.schema.jobs import Job, JobState
from survey.schema.local_collaboration import (
    ActionStatus,
    LocalAction,
    LocalFinding,
    LocalGroup,
    LocalGroupMail,
    LocalIndicator,
    LocalIndicatorResult,
    LocalMaturity,
    LocalPlanEdit,
)
from survey.schema.outbox import MailKind, MailStatus, OutboxMessage
from survey.schema.plans import PlanAnalysis, PlanMeasurement, PlanRecord, PlanVersion
from survey.schema.questionnaires import QuestionnaireVersion
from survey.schema.ratelimit import RateLimitCounter
from survey.schema.responses import Response, ResponseSubmission
from survey.schema.rounds import Recipient, Round, RoundState
from survey.schema.sessions import UserSession
from survey.schema.uploads import StagedUpload

__all__ = [
    "ROLE_LABELS",
    "ActionStatus",
    "AuditEvent",
    "Job",
    "JobState",
    "LocalAction",
    "LocalFinding",
    "LocalGroup",
    "LocalGroupMail",
    "LocalIndicator",
    "LocalIndicatorResult",
    "LocalMaturity",
    "LocalPlanEdit",
    "MailKind",
    "MailStatus",
    "OutboxMessage",
    "PlanAnalysis",
    "PlanMeasurement",
    "PlanRecord",
    "PlanVersion",
    "QuestionnaireVersion",
    "RateLimitCounter",
    "Recipient",
    "Response",
    "ResponseSubmission",
    "Role",
    "Round",
    "RoundAnswersVersion",
    "RoundState",
    "StagedUpload",
    "User",
    "UserSession",
]
