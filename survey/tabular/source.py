"""A file to read a table from, more than once: its bytes in memory, or a path on disk.

The web hands over an upload's bytes (or a staged upload's); the command line a path, so
that a file of any size is read in pieces and never held whole.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

TableSource = bytes | Path


def open_binary(source: TableSource) -> BinaryIO:
    """Open the file for reading from its start (a new handle each time)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source.open("rb")


def source_size(source: TableSource) -> int:
    """The file's size in bytes."""
    if isinstance(source, bytes):
        return len(source)
    return source.stat().st_size


def source_head(source: TableSource, size: int) -> bytes:
    """The file's first `size` bytes."""
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as stream:
        return stream.read(size)
