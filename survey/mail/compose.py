"""Check mail fields at queue time and compose the exact bytes handed to the SMTP server.

Checking refuses header injection (a line break or other control character in a name,
subject or address) and anything but one plain address per field, so a queued message
can always be sent as it is.

Composing is done here rather than with `flask_mail.Message` because that class costs
about a millisecond per message (it re-parses and re-encodes every header and looks up
the host's FQDN for a Message-ID we replace anyway) — as much as the SMTP exchange
itself. Our messages have one shape (a UTF-8 text part, optionally an HTML
alternative), so they are written directly: headers are RFC 2047 encoded words (UTF-8,
base64, at most 75 characters each, folded), bodies are quoted-printable (7-bit clean,
so no 8BITMIME is needed), line ends CRLF. Values that repeat across a batch (sender,
reply-to, subject) are encoded once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

import idna
from email_validator import EmailNotValidError, validate_email

from survey.errors import ErrorCode, OperatorError

# Longest values the outbox columns hold.
MAX_ADDRESS_LENGTH = 254
MAX_NAME_LENGTH = 200
MAX_SENDER_LENGTH = 400
MAX_SUBJECT_LENGTH = 300

# Control characters (CR, LF, NUL, TAB, DEL, NEL …) and the Unicode line and paragraph
# separators: any of them in a header could start a new header or confuse a parser.
UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})

# An encoded word may be 75 characters: "=?utf-8?b?" + base64 + "?=" leaves 63 for
# base64, i.e. 45 bytes of UTF-8 per word.
ENCODED_WORD_BYTES = 45
FOLD_WIDTH = 78


class InvalidMail(OperatorError, ValueError):
    """A message that cannot be queued; the text names the field and what is wrong."""

    code = ErrorCode.MAIL_INVALID


class UnsafeHeader(InvalidMail):
    """A header field holds a line break or another control character (header injection)."""

    code = ErrorCode.MAIL_UNSAFE_HEADER


class InvalidAddress(InvalidMail):
    """A field that must be one plain email address is something else."""

    code = ErrorCode.MAIL_BAD_ADDRESS


def check_header_text(field: str, value: str, max_length: int, *, required: bool = True) -> None:
    """Refuse control characters, blank required values and values longer than the column."""
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in UNSAFE_CATEGORIES:
            raise UnsafeHeader(
                f"{field} contains the control character U+{ord(char):04X} at position "
                f"{position}; a header must be one line of printable text",
                code=ErrorCode.MAIL_UNSAFE_HEADER,
            )
    if required and not value.strip():
        raise InvalidMail(f"{field} is empty", code=ErrorCode.MAIL_EMPTY_FIELD)
    if len(value) > max_length:
        raise InvalidMail(
            f"{field} is {len(value)} characters long; at most {max_length} fit",
            code=ErrorCode.MAIL_FIELD_TOO_LONG,
        )


def check_address(field: str, value: str) -> None:
    """Refuse anything but one plain address with an ASCII local part."""
    check_header_text(field, value, MAX_ADDRESS_LENGTH)
    try:
        validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(
            f"{field} {value!r} is not one valid email address: {exc}",
            code=ErrorCode.MAIL_BAD_ADDRESS,
        ) from None


def format_sender(sender_name: str | None, sender_address: str) -> str:
    """The From value stored with a message: the name given, our own address."""
    if sender_name is None or not sender_name.strip():
        return sender_address
    return str(Address(display_name=sender_name.strip(), addr_spec=sender_address))


def address_part(configured: str) -> str:
    """The bare address of a setting that may be written "Name <address>"."""
    return parseaddr(configured)[1] or configured


def make_message_id(sender_address: str) -> str:
    """A new, globally unique Message-ID in the sender's domain."""
    domain = sender_address.rpartition("@")[2] or "localhost"
    return f"<outbox-{secrets.token_hex(16)}@{ascii_domain(domain)}>"


@lru_cache(maxsize=256)
def ascii_domain(domain: str) -> str:
    """The domain as SMTP and headers carry it (IDNA for internationalised names)."""
    if domain.isascii():
        return domain
    return idna.encode(domain, uts46=True).decode("ascii")


def ascii_address(address: str) -> str:
    """The address with an IDNA domain; local parts are ASCII already (checked when queued)."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{ascii_domain(domain)}"


def encode_words(text: str, header_name: str = "") -> str:
    """Encode text as folded RFC 2047 encoded words, every line at most 76 characters.

    Readers join adjacent encoded words without the folding space between them (RFC
    2047, 6.2), so words may be split anywhere between characters. (Python's own
    address parser is an exception: it keeps that space inside display names.)
    """
    words = []
    chunk = bytearray()
    # The first word shares its line with "Name: ".
    room = _word_bytes(76 - len(header_name) - 2)
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > room:
            words.append(_encoded_word(bytes(chunk)))
            chunk.clear()
            room = ENCODED_WORD_BYTES
        chunk += encoded
    if chunk or not words:
        words.append(_encoded_word(bytes(chunk)))
    return "\r\n ".join(words)


def _word_bytes(characters: int) -> int:
    # "=?utf-8?b?" and "?=" take 12 characters; base64 writes 3 bytes as 4 characters.
    return min(ENCODED_WORD_BYTES, (characters - 12) // 4 * 3)


def _encoded_word(data: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


def _needs_encoding(text: str) -> bool:
    # "=?" in plain text would be decoded by readers as if it were an encoded word.
    return not text.isascii() or "=?" in text


def fold_ascii(name: str, value: str) -> str:
    """Fold a plain ASCII header value at spaces so lines stay near 78 characters."""
    line_length = len(name) + 2
    pieces: list[str] = []
    for position, word in enumerate(value.split(" ")):
        if position and line_length + 1 + len(word) > FOLD_WIDTH and line_length > len(name) + 2:
            pieces.append("\r\n " + word)
            line_length = 1 + len(word)
        else:
            pieces.append((" " if position else "") + word)
            line_length += (1 if position else 0) + len(word)
    return "".join(pieces)


@lru_cache(maxsize=1024)
def encode_subject(subject: str) -> str:
    """The Subject header's value as it goes on the wire."""
    if _needs_encoding(subject):
        return encode_words(subject, "Subject")
    return fold_ascii("Subject", subject)


@lru_cache(maxsize=1024)
def encode_mailbox(value: str, header_name: str) -> str:
    """A stored "Name <address>" (or bare address) as it goes on the wire."""
    name, address = parseaddr(value)
    return format_mailbox(name or None, address or value, header_name)


def format_mailbox(name: str | None, address: str, header_name: str) -> str:
    """One mailbox for the From, To or Reply-To header."""
    wire_address = ascii_address(address)
    if not name:
        return wire_address
    if _needs_encoding(name):
        return f"{encode_words(name, header_name)}\r\n <{wire_address}>"
    return formataddr((name, wire_address))


def encode_body(text: str) -> bytes:
    """A text body as quoted-printable UTF-8 with CRLF line ends."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalised.endswith("\n"):
        normalised += "\n"
    data = normalised.replace("\n", "\r\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """Everything needed to write one message."""

    to_address: str
    to_name: str | None
    sender: str
    reply_to: str | None
    subject: str
    body_text: str
    body_html: str | None
    message_id: str


def date_header(date: datetime) -> str:
    """The Date header's value (RFC 5322), e.g. "Mon, 03 Nov 2025 07:00:00 +0000"."""
    # Whole seconds: a batch sends hundreds of messages within one, formatted once. The
    # offset is part of the key: equal instants in two time zones are equal datetimes.
    return _format_date(date.replace(microsecond=0), date.utcoffset())


@lru_cache(maxsize=8)
def _format_date(date: datetime, offset: timedelta | None) -> str:
    return format_datetime(date)


def compose_message(mail: OutgoingMail, date: datetime) -> bytes:
    """The complete message, headers and body, exactly as sent over SMTP."""
    headers = [
        f"Date: {date_header(date)}",
        f"From: {encode_mailbox(mail.sender, 'From')}",
        f"To: {format_mailbox(mail.to_name, mail.to_address, 'To')}",
    ]
    if mail.reply_to:
        headers.append(f"Reply-To: {encode_mailbox(mail.reply_to, 'Reply-To')}")
    headers += [
        f"Subject: {encode_subject(mail.subject)}",
        f"Message-ID: {mail.message_id}",
        "MIME-Version: 1.0",
        # Ask out-of-office responders not to answer (RFC 3834; Exchange's own header):
        # thousands of automatic replies would otherwise land with the process leader.
        "Auto-Submitted: auto-generated",
        "X-Auto-Response-Suppress: OOF, AutoReply",
    ]
    text_part = encode_body(mail.body_text)
    if mail.body_html is None:
        headers += [
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + text_part
    # Quoted-printable never leaves a bare "=" at the start of a line, so a boundary
    # made of "=" and hex cannot occur inside either part.
    boundary = f"=={secrets.token_hex(12)}=="
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    part_header = (
        'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable'
    )
    return b"".join(
        [
            ("\r\n".join(headers) + "\r\n\r\n").encode("ascii"),
            f"--{boundary}\r\n{part_header.format('plain')}\r\n\r\n".encode("ascii"),
            text_part,
            # The line break before a boundary belongs to the boundary (RFC 2046 5.1.1):
            # without this one the part would lose its own last line break.
            f"\r\n--{boundary}\r\n{part_header.format('html')}\r\n\r\n".encode("ascii"),
            encode_body(mail.body_html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )
