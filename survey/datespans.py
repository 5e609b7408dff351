"""Dates that never break across lines: "2025-12-31" in a narrow table cell stays whole.

A browser may break a line after a hyphen, so "2025-12-31" in a narrow column can read
"2025-12-" / "31". `keep_dates_whole` escapes a text and wraps each ISO date (with its
time, if one follows) in ``<span class="date">``, which the style sheet keeps on one line.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}[:.]\d{2})?")


def keep_dates_whole(text: object) -> Markup:
    """The text, escaped, with every date in it kept on one line (None is no text)."""
    if text is None:
        return Markup("")
    escaped = str(escape(text))
    return Markup(_DATE.sub(lambda found: f'<span class="date">{found.group(0)}</span>', escaped))
