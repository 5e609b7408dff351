"""Keep personal links out of logs: a logging filter that blanks what follows `/svara/<id>/`.

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
# "svara", each letter also percent-encoded ("/%73vara/…" reaches the same page).
_SVARA: Final = "(?:s|%73)(?:v|%76)(?:a|%61)(?:r|%72)(?:a|%61)"
# A path under the respondent prefix, in any case, with or without the round id, and the
# token-shaped run after it: up to whitespace, a quote or a colon (the log line's own
# syntax). gunicorn and nginx log the decoded path, in which "/svara/1/%20<token>" has a
# space before the token, so spaces right after the prefix are part of it.
_PERSONAL_PATH: Final = re.compile(
    rf"(?P<prefix>/{_SVARA})(?P<rest>(?:/\d{{1,10}})?(?:/|\s)\s*(?!HTTP/)[^\s\":]*)",
    re.IGNORECASE,
)
# Encoded slashes ("%2Fsvara%2F1%2F…") appear in query strings and referrers.
_ENCODED_PERSONAL_PATH: Final = re.compile(
    rf"(?P<prefix>%2F{_SVARA})(?P<rest>%2F[^\s\"'&]*)", re.IGNORECASE
)
# A lokal samverkan's link /samverkan/<group id>/<token> is as good as a password for the
# group's plan: "samverkan" in any case, each letter also percent-encoded, slashes doubled,
# spaces before the token (a decoded "%20"), and whatever follows it (trailing segments and
# the query: a decoded "%3F" would put the token after "?").
# Its other pages (/samverkan/plan, /samverkan/grupper/<id>/…) carry no digits there.
_SAMVERKAN: Final = "".join(f"(?:{letter}|%{ord(letter):02x})" for letter in "samverkan")
_GROUP_LINK: Final = re.compile(
    rf"(/+{_SAMVERKAN}/+\d{{1,10}}/+)\s*(?!HTTP/)[^\s\"]+", re.IGNORECASE
)
_ENCODED_GROUP_LINK: Final = re.compile(
    rf"(%2F{_SAMVERKAN}%2F\d{{1,10}}%2F)[^\s\"'&]+", re.IGNORECASE
)
_SAFE_REST: Final = re.compile(rf"/\d{{1,10}}(?:/(?:{'|'.join(_PAGES)})?)?/?", re.IGNORECASE)
_ENCODED_SAFE_REST: Final = re.compile(
    rf"%2F\d{{1,10}}(?:%2F(?:{'|'.join(_PAGES)})?)?(?:%2F)?", re.IGNORECASE
)
_ROUND: Final = re.compile(r"/\d{1,10}/")
_ENCODED_ROUND: Final = re.compile(r"%2F\d{1,10}%2F", re.IGNORECASE)
DEFAULT_LOGGERS: Final = ("werkzeug", "gunicorn.access", "gunicorn.error")


def _blank(match: re.Match[str], safe: re.Pattern[str], round_: re.Pattern[str], slash: str) -> str:
    """Keep the prefix, the round id and a token-free page; blank everything else."""
    prefix, rest = match.group("prefix"), match.group("rest")
    body = rest.rstrip()
    tail = rest[len(body) :]
    if body in ("", slash) or safe.fullmatch(body):
        return prefix + rest
    kept = round_.match(body)
    return f"{prefix}{kept.group(0) if kept else slash}{REDACTED}{tail}"


def redact_personal_links(text: str) -> str:
    """Replace whatever follows the respondent prefix in `text`, except a token-free page.

    Whatever the form: any case (``/SVARA/…``), percent-encoded or decoded, with or without
    the round id, with a space or a trailing segment (``/svara/1/<token>/klart``). Only
    ``/svara/<id>``, ``/svara/<id>/klart`` and ``/svara/<id>/paminnelser`` are kept as
    they are: they carry no token.
    """
    lowered = text.lower()
    if "samverkan" in lowered or "%" in text:  # a group link: /samverkan/<group id>/<token>
        text = _GROUP_LINK.sub(rf"\g<1>{REDACTED}", text)
        text = _ENCODED_GROUP_LINK.sub(rf"\g<1>{REDACTED}", text)
    if "svara" not in lowered and "%" not in text:
        return text
    text = _PERSONAL_PATH.sub(lambda match: _blank(match, _SAFE_REST, _ROUND, "/"), text)
    return _ENCODED_PERSONAL_PATH.sub(
        lambda match: _blank(match, _ENCODED_SAFE_REST, _ENCODED_ROUND, "%2F"), text
    )


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
