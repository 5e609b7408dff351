"""Larger request bodies for the few pages that take large files (the answers import).

``MAX_CONTENT_LENGTH`` (``SURVEY_MAX_UPLOAD_MB``) limits every request; an endpoint given
its own limit here takes up to that many megabytes instead (``SURVEY_MAX_IMPORT_MB`` for
the answers import). The limit is set before any other ``before_request`` function runs:
the CSRF check reads the form, and so the body, first.
"""

from __future__ import annotations

from typing import Final

from flask import Flask, current_app, request

_KEY: Final = "survey.upload_limits"


def allow_larger_upload(app: Flask, endpoint: str, setting: str) -> None:
    """Let `endpoint` take a body of up to ``app.config[setting]`` megabytes."""
    limits: dict[str, str] = app.extensions.setdefault(_KEY, {})
    if not limits:
        app.before_request_funcs.setdefault(None, []).insert(0, _apply_upload_limit)
    limits[endpoint] = setting


def _apply_upload_limit() -> None:
    setting = current_app.extensions[_KEY].get(request.endpoint)
    if setting is not None:
        request.max_content_length = int(current_app.config[setting]) * 1024 * 1024
