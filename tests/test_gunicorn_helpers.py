"""The gunicorn helpers' health poll closes its connection whatever the server does."""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from collections.abc import Iterator

import pytest

from tests.gunicorn_helpers import serves_health

UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def answer_unavailable_and_keep_open(server: socket.socket, held: list[socket.socket]) -> None:
    connection, _ = server.accept()
    connection.recv(65536)
    connection.sendall(UNAVAILABLE)
    held.append(connection)  # keep-alive: the server leaves the connection open


@pytest.mark.parametrize("server_does", ["never answers", "answers 503 and keeps it open"])
def test_it_closes_the_polling_connection_whatever_the_server_does(
    listener: socket.socket, server_does: str
) -> None:
    held: list[socket.socket] = []
    if server_does != "never answers":  # else: a worker still booting, the request times out
        threading.Thread(
            target=answer_unavailable_and_keep_open, args=(listener, held), daemon=True
        ).start()
    port = listener.getsockname()[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert serves_health(port, timeout=0.5) is False
        gc.collect()
    assert [str(warning.message) for warning in caught] == []
    for connection in held:
        connection.close()
