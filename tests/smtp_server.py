"""A real SMTP server on loopback (aiosmtpd) that records what it receives and fails on demand.

Use the `smtp_server` fixture (registered for the whole suite in conftest.py) and point
an app at it with ``make_app(**smtp_server.settings)``. Received messages are parsed
into `email.message.EmailMessage` objects, with their envelope and the number of the
SMTP session (connection) that brought them. Every message is recorded, duplicates
included, so ``message_id_counts()`` shows whether anything arrived twice.

Failure modes, each set from the test thread at any time:

* ``fail_next(n, code=451, stage="data"|"rcpt")`` — answer the next n messages with
  that code (4xx temporary, 5xx permanent) at RCPT or after DATA;
* ``refuse_recipient(address, code=550)`` — refuse one address at RCPT, always;
* ``drop_connection_after(k)`` — accept k more messages, then close the connection
  without a reply at the next MAIL command (the message after them is never accepted);
* ``drop_after_data(n)`` — for the next n messages, receive and record the content,
  then close the connection before replying (the client cannot know it arrived);
* ``block(to=address, stage="data"|"rcpt")`` — hold that recipient's message until
  ``release()`` (``reached`` is set when it arrives); then answer 451, not accepted
  (or, with ``accept=True``, record and accept it);
* ``slow_down(seconds)`` — take that long over every message (to make concurrent
  clients overlap);
* ``down()`` — a context manager that stops the server (the port refuses
  connections) and starts it again on the same port.

The server announces PIPELINING (RFC 2920), as Postfix, Exchange and Exim do, so the
worker sends MAIL, RCPT and DATA together; ``SmtpServer(pipelining=False)`` (or
``smtp_server.pipelining = False`` before a session starts) makes it a server that does
not. ``pipelined_envelopes`` counts the envelopes whose RCPT and DATA had already
arrived when MAIL was answered. With ``data_despite_refusals = True`` a refused RCPT is
followed by a 354 for DATA and a 554 for the (empty) message.
"""

from __future__ import annotations

import asyncio
import email
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from functools import cached_property
from typing import Any

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
MESSAGE_ID_HEADER = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class ReceivedMessage:
    """One message as the server accepted it (parsed when first looked at)."""

    envelope_from: str
    envelope_recipients: tuple[str, ...]
    raw: bytes
    session: int

    @cached_property
    def message(self) -> EmailMessage:
        # Stored the way a mailbox keeps mail: the wire's CRLF line ends become LF.
        parsed = email.message_from_bytes(self.raw.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @cached_property
    def message_id(self) -> str:
        # Read from the raw headers: cheap, and tests count these by the thousand.
        match = MESSAGE_ID_HEADER.search(self.raw.split(b"\r\n\r\n", 1)[0])
        return match.group(1).decode("ascii") if match else ""


@dataclass
class _FailureRule:
    stage: str
    reply: str
    remaining: int


class Block:
    """A message held by the server until the test releases it."""

    def __init__(self, to: str, stage: str, reply: str, accept: bool) -> None:
        self.to = to.lower()
        self.stage = stage
        self.reply = reply
        self.accept = accept
        self.reached = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    async def hold(self) -> str:
        self.reached.set()
        while not self.released.is_set():
            await asyncio.sleep(0.01)
        return self.reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """The server, its records and its failure switches."""

    def __init__(self, *, pipelining: bool = True) -> None:
        self.host = HOST
        self.port = free_port()
        self.pipelining = pipelining
        # Answer DATA with 354 even after a refused RCPT (then refuse the message), as
        # some servers do; RFC 2920 asks a pipelining client to end it with a lone ".".
        self.data_despite_refusals = False
        self.pipelined_envelopes = 0
        self.received: list[ReceivedMessage] = []
        self.sessions = 0
        self._lock = threading.Lock()
        self._failures: list[_FailureRule] = []
        self._refused: dict[str, str] = {}
        self._accept_before_drop: int | None = None
        self._drop_after_data = 0
        self._blocks: list[Block] = []
        self._delay = 0.0
        self._controller: Controller | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """App settings that send mail here."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port}

    def start(self) -> None:
        controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=10
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        for block in self._blocks:
            block.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @contextmanager
    def down(self) -> Iterator[None]:
        """Stop the server for the duration: connections to its port are refused."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    # Failure switches -----------------------------------------------------------------

    def fail_next(
        self, count: int, *, code: int = 451, stage: str = "data", text: str | None = None
    ) -> None:
        if stage not in ("rcpt", "data"):
            raise ValueError(f"stage must be rcpt or data, not {stage!r}")
        text = text or ("4.3.0 Try again later" if code < 500 else "5.7.1 Message rejected")
        with self._lock:
            self._failures.append(_FailureRule(stage, f"{code} {text}", count))

    def refuse_recipient(
        self, address: str, *, code: int = 550, text: str = "5.1.1 Mailbox does not exist"
    ) -> None:
        with self._lock:
            self._refused[address.lower()] = f"{code} {text}"

    def drop_connection_after(self, count: int) -> None:
        with self._lock:
            self._accept_before_drop = count

    def drop_after_data(self, count: int = 1) -> None:
        with self._lock:
            self._drop_after_data = count

    def block(
        self,
        *,
        to: str,
        stage: str = "data",
        reply: str = "451 4.3.0 Aborted",
        accept: bool = False,
    ) -> Block:
        """Hold `to`'s message; after release answer `reply`, or accept it if `accept`."""
        if accept and stage != "data":
            raise ValueError("only a message held after DATA can be accepted")
        block = Block(to, stage, reply, accept)
        with self._lock:
            self._blocks.append(block)
        return block

    def slow_down(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds

    def heal(self) -> None:
        """Forget every failure switch."""
        with self._lock:
            self._failures.clear()
            self._refused.clear()
            self._accept_before_drop = None
            self._drop_after_data = 0
            self._delay = 0.0
            for block in self._blocks:
                block.release()
            self._blocks.clear()

    # Records ------------------------------------------------------------------------

    def message_id_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(received.message_id for received in self.received)

    def messages_to(self, address: str) -> list[ReceivedMessage]:
        with self._lock:
            return [
                received
                for received in self.received
                if address.lower() in (r.lower() for r in received.envelope_recipients)
            ]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least `count` messages have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.01)
        return False

    # Called from the server's thread ------------------------------------------------

    def _new_session(self, session: Any) -> None:
        with self._lock:
            self.sessions += 1
            session.test_number = self.sessions

    def _count_pipelined(self) -> None:
        with self._lock:
            self.pipelined_envelopes += 1

    def _drop_now(self) -> bool:
        with self._lock:
            if self._accept_before_drop == 0:
                self._accept_before_drop = None
                return True
            return False

    def _block_for(self, address: str, stage: str) -> Block | None:
        with self._lock:
            for block in self._blocks:
                waiting = not block.reached.is_set()
                if waiting and block.to == address.lower() and block.stage == stage:
                    return block
        return None

    def _failure_for(self, stage: str) -> str | None:
        with self._lock:
            for rule in self._failures:
                if rule.stage == stage and rule.remaining > 0:
                    rule.remaining -= 1
                    return rule.reply
        return None

    def _refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _record(self, envelope: Any, session: Any) -> bool:
        """Keep the message; True if the connection is to be dropped before replying."""
        received = ReceivedMessage(
            envelope_from=envelope.mail_from,
            envelope_recipients=tuple(envelope.rcpt_tos),
            raw=bytes(envelope.original_content),
            session=getattr(session, "test_number", 0),
        )
        with self._lock:
            self.received.append(received)
            if self._accept_before_drop is not None and self._accept_before_drop > 0:
                self._accept_before_drop -= 1
            if self._drop_after_data > 0:
                self._drop_after_data -= 1
                return True
        return False


class _Handler:
    """aiosmtpd hooks; each consults the server's switches."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.server._new_session(session)
        if self.server.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        session.host_name = hostname
        self.server._new_session(session)
        return f"250 {server.hostname}"

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.server._drop_now():
            server.transport.abort()
            return "421 4.4.2 Closing"  # never arrives: the connection is gone
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        # What the client sent after MAIL without waiting for its reply (aiosmtpd reads
        # commands from an asyncio stream; its unread bytes are the stream's buffer).
        unread = bytes(getattr(server._reader, "_buffer", b""))
        if b"RCPT TO:" in unread.upper() and b"DATA\r\n" in unread.upper():
            self.server._count_pipelined()
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        block = self.server._block_for(address, "rcpt")
        if block is not None:
            return await block.hold()
        refusal = self.server._refusal_for(address) or self.server._failure_for("rcpt")
        if refusal is not None:
            if self.server.data_despite_refusals:
                # Keep the address so that aiosmtpd answers DATA with 354 anyway.
                envelope.rcpt_tos.append(address)
                envelope.refused = True
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if getattr(envelope, "refused", False):
            return "554 5.5.1 No valid recipients"
        for address in envelope.rcpt_tos:
            block = self.server._block_for(address, "data")
            if block is not None:
                reply = await block.hold()
                if not block.accept:
                    return reply
                break
        failure = self.server._failure_for("data")
        if failure is not None:
            return failure
        if self.server._delay:
            await asyncio.sleep(self.server._delay)
        if self.server._record(envelope, session):
            server.transport.abort()
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 and a free port."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
