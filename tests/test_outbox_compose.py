"""Composing the bytes sent over SMTP: every header and body reads back exactly."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

import pytest

from survey.mail.compose import OutgoingMail, compose_message, encode_words, format_sender

DATE = datetime(2025, 3, 14, 8, 30, tzinfo=UTC)


def mail(**fields: object) -> OutgoingMail:
    values: dict[str, Any] = {
        "to_address": "anna@example.se",
        "to_name": "Anna Andersson",
        "sender": format_sender("Processledare nära vård NV", "enkat@example.se"),
        "reply_to": "processledare@example.se",
        "subject": "Inbjudan: Årlig enkät 2025",
        "body_text": "Hej Anna!\n\nSvara här.\n",
        "body_html": None,
        "message_id": "<outbox-0123456789abcdef0123456789abcdef@example.se>",
    }
    values.update(fields)
    return OutgoingMail(**values)


def read_back(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# Names that fit one encoded word, so Python's address parser reads them back exactly.
NAMES = [
    "Anna Andersson",
    "Åsa Öberg",
    "Andersson, Anna",
    "Örjan Åkesson, Vårdcentralen Ängelholm",
    'Anna "Annie" Andersson',
    "Anna \\ Andersson",
    "Dr. Anna (processledare) <nära vård>",
    "Ärlig =?utf-8?q?inte_kodad?= text",
    "Emma 😀 Ek",
    "A long plain name, " * 10,
]
LONG_NAME = "Åsa-Britt Öberg-Lindqvist, verksamhetschef för primärvården i Örkelljunga kommun"


@pytest.mark.parametrize("name", NAMES)
def test_it_writes_names_that_read_back_exactly(name: str) -> None:
    name = name.strip()
    message = read_back(compose_message(mail(to_name=name), DATE))

    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "anna@example.se")


@pytest.mark.parametrize("name", NAMES)
def test_it_writes_sender_names_that_read_back_exactly(name: str) -> None:
    name = name.strip()
    message = read_back(compose_message(mail(sender=format_sender(name, "enkat@example.se")), DATE))

    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (name, "enkat@example.se")


@pytest.mark.parametrize(
    "subject",
    [
        "Inbjudan: Årlig enkät 2025",
        "Påminnelse: svara senast 31 december – tack!",
        "Plain ASCII subject that is rather long and needs folding because it passes the line",
        "Ämne med =?utf-8?b?w6U=?= i klartext",
        "Ö" * 300,
    ],
)
def test_it_writes_subjects_that_read_back_exactly(subject: str) -> None:
    data = compose_message(mail(subject=subject), DATE)
    assert read_back(data)["Subject"] == subject


@pytest.mark.parametrize("header", ["To", "From"])
def test_it_writes_long_names_as_encoded_words_that_read_back_exactly(header: str) -> None:
    data = compose_message(
        mail(to_name=LONG_NAME * 2, sender=format_sender(LONG_NAME * 2, "enkat@example.se")),
        DATE,
    )
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n ", " ")
    [value] = [
        line.split(": ", 1)[1] for line in head.split("\r\n") if line.startswith(f"{header}: ")
    ]
    name, _, address = value.rpartition(" ")
    # decode_header follows RFC 2047: the space between adjacent encoded words is not text.
    assert str(make_header(decode_header(name))) == LONG_NAME * 2
    assert address.startswith("<") and address.endswith("@example.se>")


def test_it_keeps_header_lines_and_encoded_words_short() -> None:
    data = compose_message(
        mail(to_name="Ö" * 200, subject="Å" * 300, sender=format_sender("Ä" * 200, "e@example.se")),
        DATE,
    )
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert len(line) <= 78, line
    for word in re.findall(rb"=\?utf-8\?b\?[^?]*\?=", head):
        assert len(word) <= 75


def test_it_writes_exactly_one_recipient_and_the_stored_message_id() -> None:
    data = compose_message(mail(), DATE)
    message = read_back(data)

    assert len(message.get_all("To") or []) == 1
    assert message["Message-ID"] == "<outbox-0123456789abcdef0123456789abcdef@example.se>"
    assert message["Date"].datetime == DATE
    assert message["Reply-To"].addresses[0].addr_spec == "processledare@example.se"
    assert message["Auto-Submitted"] == "auto-generated"
    for header in ("Cc", "Bcc"):
        assert header not in message
    assert data.isascii()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "body",
    [
        "Hej Åsa!\n\nSvara här: https://enkat.example.se/svara/1/abc_DEF-123\n",
        ".En rad som börjar med punkt\n..och två\n.\nFrom här\n",
        "Avslutande blanksteg   \nTabb\there\n",
        "Utan radslut på sista raden",
        "Windows\r\nradslut\r\n",
        "En mycket lång rad " * 40 + "\n",
        "Emoji 😀 och ”citattecken” – tankstreck\n",
    ],
)
def test_it_writes_text_bodies_that_read_back_exactly(body: str) -> None:
    message = read_back(compose_message(mail(body_text=body), DATE))

    expected = body.replace("\r\n", "\n")
    expected = expected if expected.endswith("\n") else expected + "\n"
    assert message.get_content_type() == "text/plain"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content() == expected


def test_it_offers_html_as_an_alternative_to_the_text() -> None:
    message = read_back(
        compose_message(mail(body_html="<p>Hej <b>Åsa</b>!</p>\n<p>Svara här.</p>"), DATE)
    )

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == "Hej Anna!\n\nSvara här.\n"
    assert parts[1].get_content() == "<p>Hej <b>Åsa</b>!</p>\n<p>Svara här.</p>\n"


def test_it_writes_internationalised_domains_in_ascii() -> None:
    message = read_back(compose_message(mail(to_address="registrator@malmö.se"), DATE))
    assert message["To"].addresses[0].addr_spec == "registrator@xn--malm-8qa.se"


def test_it_splits_encoded_words_between_characters() -> None:
    words = encode_words("å" * 40).split("\r\n ")
    assert len(words) == 2
    assert read_back(f"Subject: {encode_words('å' * 40)}\r\n\r\n".encode())["Subject"] == "å" * 40
