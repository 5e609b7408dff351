"""Every table of the engine, imported in one place so that metadata and migrations see all."""

from survey.accounts.models import User
from survey.audit import AuditEvent
from survey.mail.models import OutboxMessage
from survey.questionnaires.storage import QuestionnaireVersion
from survey.ratelimit import RateLimitCounter
from survey.responses.models import Response, ResponseSubmission
from survey.rounds.models import Recipient, Round

__all__ = [
    "AuditEvent",
    "OutboxMessage",
    "QuestionnaireVersion",
    "RateLimitCounter",
    "Recipient",
    "Response",
    "ResponseSubmission",
    "Round",
    "User",
]
