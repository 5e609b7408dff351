"""Progress bars for the command line: click's bar, fed by "done of total" callbacks.

Long commands (`survey round export`, `survey round import-responses`, `survey outbox
send`) show a bar on standard error while they work; work done in the library reports
through a plain ``progress(done, total)`` callable, so the library knows nothing of click.
The import shows two bars, one after the other: "Checking" (pass 1, bytes of the file
read) and "Importing" (pass 2, rows stored); `finish` ends the first. Only on a terminal:
output to a file or a pipe (cron, systemd, tests) stays as before.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class CommandProgress:
    """A click progress bar started on the first report (when the total is known)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._shown = 0
        self.enabled = stderr_is_terminal()

    def __call__(self, done: int, total: int) -> None:
        import click

        if not self.enabled:
            return
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(total, 1), label=self.label, file=sys.stderr, show_pos=True
            )
            self._bar.__enter__()
        if self._bar.length != max(total, 1):
            self._bar.length = max(total, 1)
        step = max(done - self._shown, 0)
        if step:
            self._bar.update(step)
            self._shown = done

    def finish(self) -> None:
        """End the bar now (another one follows it), if it was started."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
            self.enabled = False

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, error, traceback)
