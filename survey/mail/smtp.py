"""The SMTP connection the worker uses, and what each SMTP failure means for a message.

The connection is Flask-Mail's (`flask_mail.Connection`, configured from MAIL_SERVER,
MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD) with these changes:
a timeout (MAIL_TIMEOUT_SECONDS; Flask-Mail 0.10 sets none, so a silent server would
hang the worker); certificate-checking TLS (smtplib's default context checks nothing);
a close that never raises (Flask-Mail's `quit()` raises when the server already
dropped us, hiding the error that matters); and sending of already composed bytes
(see `survey.mail.compose` for why not `flask_mail.Message`) with control over the
final "." of DATA, the moment the server takes the message.

smtplib's exceptions come through unchanged; `classify` turns them into what the
outbox does with the message.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING, Any

import flask_mail

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


END_OF_DATA = b"\r\n.\r\n"


class TrackingSMTP(smtplib.SMTP):
    """smtplib.SMTP that controls and remembers the moment a message is handed over.

    A server accepts a message only when it receives the lone "." ending DATA. Before
    sending that line, `before_final_dot` runs (the worker waits there for the
    message's SENDING mark to be committed) and may raise to abort; from then until
    the server's reply, a lost connection leaves the outcome unknown, which
    `content_transmitted` records.
    """

    content_transmitted = False
    inside_data = False  # content sent, final "." not yet: only closing gets out of this
    before_final_dot: Callable[[], None] | None = None

    def send(self, s: ReadableBuffer | str) -> None:
        _send_handing_over(self, super().send, s)


class TrackingSMTPSSL(smtplib.SMTP_SSL):
    """The SSL variant of TrackingSMTP."""

    content_transmitted = False
    inside_data = False
    before_final_dot: Callable[[], None] | None = None

    def send(self, s: ReadableBuffer | str) -> None:
        _send_handing_over(self, super().send, s)


def _send_handing_over(
    host: TrackingSMTP | TrackingSMTPSSL,
    send: Callable[[ReadableBuffer | str], None],
    s: ReadableBuffer | str,
) -> None:
    # Commands go out as str; only DATA's content, which smtplib.data() ends with
    # CRLF "." CRLF, is sent as bytes.
    if not (isinstance(s, bytes) and s.endswith(END_OF_DATA)):
        send(s)
        return
    host.inside_data = True
    send(s[:-3])
    if host.before_final_dot is not None:
        host.before_final_dot()
    # From here on the server may take the message.
    host.inside_data = False
    host.content_transmitted = True
    send(s[-3:])


class OutboxConnection(flask_mail.Connection):
    """One SMTP session over which a batch of messages is sent."""

    host: TrackingSMTP | TrackingSMTPSSL | None

    def __init__(self, mail_state: Any, timeout: float) -> None:
        super().__init__(mail_state)
        self.timeout = timeout

    def __enter__(self) -> OutboxConnection:
        # Whether mail is really sent is decided by SURVEY_MAIL_DELIVERY, so Flask-Mail's
        # MAIL_SUPPRESS_SEND (on whenever TESTING is) is not consulted here.
        self.host = self.configure_host()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def configure_host(self) -> TrackingSMTP | TrackingSMTPSSL:
        mail = self.mail
        host: TrackingSMTP | TrackingSMTPSSL
        if mail.use_ssl:
            host = TrackingSMTPSSL(
                mail.server, mail.port, timeout=self.timeout, context=_tls_context()
            )
        else:
            host = TrackingSMTP(mail.server, mail.port, timeout=self.timeout)
        try:
            # Every write is a whole command or the whole rest of a message: Nagle's
            # delay would only hold back the final "." (sent on its own) by an ACK.
            if host.sock is not None:
                host.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            host.ehlo()
            if mail.use_tls:
                host.starttls(context=_tls_context())
                host.ehlo()
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def send_bytes(
        self,
        envelope_from: str,
        recipient: str,
        data: bytes,
        before_final_dot: Callable[[], None] | None = None,
    ) -> None:
        """Hand one composed message for one recipient to the server.

        `before_final_dot` runs after the content and before the line that completes
        the hand-over; if it raises, the message is not handed over (and the session,
        stuck in DATA, is closed).
        """
        host = self.host
        if host is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        host.content_transmitted = False
        host.inside_data = False
        host.before_final_dot = before_final_dot
        try:
            _send_one(host, envelope_from, recipient, data)
        except BaseException:
            if host.inside_data:
                # Stopped before the final ".": drop the connection (a QUIT would be
                # taken for message text) and the server discards the message.
                host.close()
                self.host = None
            raise
        finally:
            host.before_final_dot = None

    @property
    def content_transmitted(self) -> bool:
        """Whether the last message's content went out before the last failure."""
        return self.host is not None and self.host.content_transmitted

    def reset(self) -> bool:
        """Clear the session after a refused message; False if the connection is gone."""
        if self.host is None or self.host.sock is None:
            return False
        try:
            code, _ = self.host.rset()
        except (smtplib.SMTPException, OSError):
            return False
        return code == 250

    def close(self) -> None:
        """Say goodbye if the server still listens, and close the socket in any case."""
        if self.host is None:
            return
        try:
            if self.host.sock is not None:
                self.host.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.host.close()
            self.host = None


def _send_one(
    host: TrackingSMTP | TrackingSMTPSSL, envelope_from: str, recipient: str, data: bytes
) -> None:
    """smtplib's sendmail for exactly one recipient and addresses checked when queued.

    smtplib.sendmail re-parses both addresses with email.utils.parseaddr on every call,
    which costs about as much CPU as the rest of the exchange; ours were checked (one
    plain ASCII address, no control characters) when the message was queued. The
    replies are judged, and failures raised, exactly as smtplib does.

    When the server announces PIPELINING (RFC 2920; Postfix, Exchange and Exim do), MAIL,
    RCPT and DATA go out together and their three replies are read afterwards: two round
    trips per message instead of four. The content and the final "." are sent as without
    pipelining, so the hand-over (`before_final_dot`) is the same.
    """
    size = f" SIZE={len(data)}" if host.does_esmtp and host.has_extn("size") else ""
    if host.does_esmtp and host.has_extn("pipelining"):
        _send_envelope_pipelined(host, envelope_from, recipient, size)
    else:
        code, reply = host.docmd("MAIL", f"FROM:<{envelope_from}>{size}")
        if code != 250:
            _end_transaction(host, code)
            raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
        code, reply = host.docmd("RCPT", f"TO:<{recipient}>")
        if code not in (250, 251):
            _end_transaction(host, code)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = host.docmd("DATA")
        if code != 354:
            _end_transaction(host, code)
            raise smtplib.SMTPDataError(code, reply)
    # As smtplib's data(): dot-stuffing, a line end, and the final ".".
    content = _LEADING_DOT.sub(b"..", data)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    host.send(content + b".\r\n")
    code, reply = host.getreply()
    if code != 250:
        _end_transaction(host, code)
        raise smtplib.SMTPDataError(code, reply)


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _send_envelope_pipelined(
    host: TrackingSMTP | TrackingSMTPSSL, envelope_from: str, recipient: str, size: str
) -> None:
    """MAIL, RCPT and DATA in one write; every reply is read and judged (RFC 2920, 3.1)."""
    host.send(f"MAIL FROM:<{envelope_from}>{size}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n")
    mail_code, mail_reply = host.getreply()
    rcpt_code, rcpt_reply = host.getreply()
    data_code, data_reply = host.getreply()
    accepted = mail_code == 250 and rcpt_code in (250, 251)
    if data_code == 354 and not accepted:
        # The server took DATA although the envelope failed: end the empty message
        # with a lone "." (which it then refuses), as RFC 2920 asks.
        host.send(".\r\n")
        data_code, data_reply = host.getreply()
    if accepted and data_code == 354:
        return
    # 421: the server is closing the session; otherwise the transaction is reset.
    _end_transaction(host, 421 if 421 in (mail_code, rcpt_code, data_code) else data_code)
    if mail_code != 250:
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, envelope_from)
    if rcpt_code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    raise smtplib.SMTPDataError(data_code, data_reply)


def _end_transaction(host: smtplib.SMTP, code: int) -> None:
    if code == 421:  # the server is closing the session
        host.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            host.rset()


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the system's CA certificates takes tens of milliseconds: do it once.
    return ssl.create_default_context()


class Outcome(Enum):
    TEMPORARY = "temporary"  # not delivered; try again later
    PERMANENT = "permanent"  # not delivered; trying again would fail the same way
    UNKNOWN = "unknown"  # the server may or may not have accepted it


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed hand-over means: the outcome, a text for people, the session's fate."""

    outcome: Outcome
    text: str
    connection_lost: bool


def _from_reply(code: int, reply: bytes | str, prefix: str = "E-postservern svarade") -> Failure:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = f"{prefix}: {code} {' '.join(text.split())}"
    if 400 <= code < 500:
        return Failure(Outcome.TEMPORARY, text, connection_lost=code == 421)
    if 500 <= code < 600:
        return Failure(Outcome.PERMANENT, text, connection_lost=False)
    # Not an SMTP failure code (e.g. -1 for a garbled reply): the session is unusable.
    return Failure(Outcome.TEMPORARY, text, connection_lost=True)


def classify(exc: BaseException, content_transmitted: bool) -> Failure:
    """What a failure while handing over one message means for that message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return _from_reply(code, reply, "E-postservern tog inte emot mottagaren")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _from_reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Failure(Outcome.PERMANENT, f"E-postservern saknar stöd: {exc}", False)
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError | smtplib.SMTPException):
        if content_transmitted:
            return Failure(
                Outcome.UNKNOWN,
                "Okänt om meddelandet kom fram: anslutningen till e-postservern bröts efter "
                f"att innehållet skickats men innan servern svarade ({_describe(exc)}).",
                connection_lost=True,
            )
        return Failure(
            Outcome.TEMPORARY,
            f"Anslutningen till e-postservern bröts: {_describe(exc)}",
            connection_lost=True,
        )
    # Anything else is a fault on our side before or during the hand-over.
    if content_transmitted:
        return Failure(Outcome.UNKNOWN, f"Okänt om meddelandet kom fram: {_describe(exc)}", True)
    return Failure(Outcome.PERMANENT, f"Meddelandet kunde inte skickas: {_describe(exc)}", True)


def classify_connect_error(exc: BaseException, server: str, port: int) -> Failure:
    """What a failure to open the session means: always temporary for the batch."""
    # Even a 5xx greeting or refused login is the mail system's state, not the
    # message's: retrying lets an operator fix it before the attempts run out.
    return Failure(
        Outcome.TEMPORARY,
        f"Kunde inte ansluta till e-postservern {server}:{port}: {_describe(exc)}",
        connection_lost=True,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        detail = f"inget svar inom tidsgränsen ({detail})"
    return detail
