"""The `next` address after logging in: only paths on this site, never another site."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def safe_next_path(target: str | None) -> str | None:
    """Return `target` if it is a relative path on this site, else None.

    Browsers read `//host`, `/\\host`, `\\\\host` and `scheme:` as other sites, and ignore
    tabs and line breaks inside URLs, so anything but a plain "/path?query" is refused.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
