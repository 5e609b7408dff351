"""Keep personal links out of logs: a logging filter that blanks the token in `/svara/<id>/<token>`.

A personal link is as good as a password for one respondent's answers, and request logs
(werkzeug's development server, gunicorn's access log, Flask's "Exception on …" lines)
would otherwise write it to disk. `install_log_redaction()` attaches the filter to those
loggers; it is safe to call more than once. For gunicorn, call it from `gunicorn.conf.py`
(e.g. in `post_worker_init` / `when_ready`, after gunicorn has set up its loggers) — the
filter is on the logger, so it applies whatever handlers are configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[personlig-länk]"
# The respondent's own pages under /svara/<id>/ that carry no token.
_PAGES: Final = ("klart", "paminnelser")
_PERSONAL_LINK: Final = re.compile(
    r"(/svara/[^/\s?#\"]*/)"
    rf"(?!(?:{'|'.join(_PAGES)})(?:[\s?#\"/]|$))"
    r"[^\s?#\"]+"
)
# Encoded slashes ("%2Fsvara%2F1%2F…") appear in query strings and referrers.
_ENCODED_PERSONAL_LINK: Final = re.compile(
    r"(%2Fsvara%2F[^/\s?#\"'%]*%2F)[^\s?#\"'&%]+", re.IGNORECASE
)
# A lokal samverkan's link: /samverkan/<group id>/<token> (its other pages carry no digits there).
_GROUP_LINK: Final = re.compile(r"(/samverkan/\d+/)[^\s?#\"]+")
_ENCODED_GROUP_LINK: Final = re.compile(r"(%2Fsamverkan%2F\d+%2F)[^\s?#\"'&%]+", re.IGNORECASE)
DEFAULT_LOGGERS: Final = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact_personal_links(text: str) -> str:
    """Replace the token of every personal link in `text` with a marker."""
    lowered = text.lower()
    if "samverkan" in lowered:
        text = _GROUP_LINK.sub(rf"\g<1>{REDACTED}", text)
        text = _ENCODED_GROUP_LINK.sub(rf"\g<1>{REDACTED}", text)
    if "svara" not in lowered:
        return text
    text = _PERSONAL_LINK.sub(rf"\g<1>{REDACTED}", text)
    return _ENCODED_PERSONAL_LINK.sub(rf"\g<1>{REDACTED}", text)


class PersonalLinkFilter(logging.Filter):
    """Blank personal-link tokens in a record's message; never drops a record.

    The message is formatted first and the redacted text replaces message and arguments:
    a token may sit in an argument on its own ("/svara/1/%s" with the token as argument),
    which no look at the parts could recognise.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken logging call: logging reports it itself
            return True
        redacted = redact_personal_links(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


_FILTER: Final = PersonalLinkFilter()


def install_log_redaction(logger_names: Iterable[str] = DEFAULT_LOGGERS) -> None:
    """Attach the filter to these loggers (werkzeug's and gunicorn's by default), once each."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, PersonalLinkFilter) for existing in logger.filters):
            logger.addFilter(_FILTER)
