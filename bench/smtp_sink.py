"""A local SMTP server for the mail benchmark: aiosmtpd in a process of its own.

    python -m bench.smtp_sink [--port PORT] [--pipelining]

It accepts every message and keeps the messages of the current run (envelope and raw
bytes). It prints ``ready PORT`` when it listens, then answers commands read line by line
from standard input, each with one line of JSON:

* ``reset`` — forget the messages received so far;
* ``stats`` — ``{"messages": n, "unique_message_ids": u, "recipients": r}``;
* ``dump PATH`` — write the received messages to PATH (pickle of
  ``[(envelope_from, [recipients], raw bytes), …]``);
* ``quit`` — stop.

``--pipelining`` adds PIPELINING (RFC 2920) to the EHLO reply. aiosmtpd reads commands
from a stream one line at a time, so it handles pipelined commands correctly; it only
does not say so by default. Production mail servers (Postfix, Exchange, Exim) announce it.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class SinkHandler:
    """Keeps every accepted message."""

    def __init__(self, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.lock = threading.Lock()
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 2.0.0 Accepted"

    def stats(self) -> dict[str, int]:
        with self.lock:
            received = list(self.received)
        ids = set()
        recipients = set()
        for _, tos, raw in received:
            match = MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
            ids.add(match.group(1) if match else b"")
            recipients.update(tos)
        return {
            "messages": len(received),
            "unique_message_ids": len(ids),
            "recipients": len(recipients),
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--pipelining", action="store_true")
    arguments = parser.parse_args(argv)
    handler = SinkHandler(arguments.pipelining)
    controller = Controller(handler, hostname="127.0.0.1", port=arguments.port or _free_port())
    controller.start()
    print(f"ready {controller.port}", flush=True)
    try:
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "reset":
                with handler.lock:
                    handler.received.clear()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "stats":
                print(json.dumps(handler.stats()), flush=True)
            elif command == "dump":
                with handler.lock, open(argument, "wb") as out:
                    pickle.dump(handler.received, out)
                print(json.dumps({"ok": True}), flush=True)
            elif command == "quit":
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
