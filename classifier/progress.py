"""Progress of long work on stderr: a bar on a terminal, plain lines in a log, nothing when asked.

The library reports progress through plain callbacks (`on_progress(n)`: n more
items done), so it never prints; the command line turns them into a `Progress`:

* on a terminal, a rich bar with the count, the rate and the time left;
* when stderr is a file or a pipe (a scheduled job, CI), a plain line at most
  every `every` seconds and one at the end, so logs show the run is alive
  without a line per chunk;
* with `--quiet`, nothing.

    >>> import io
    >>> log = io.StringIO()
    >>> with Progress("tagging survey.csv", total=3, stream=log, every=0) as advance:
    ...     advance(2)
    ...     advance(1)
    >>> print(log.getvalue().splitlines()[-1])  # doctest: +ELLIPSIS
    tagging survey.csv: 3 of 3 (100%) in ... s
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


class Progress:
    """A context manager whose value is the `advance(n)` callback to hand to the library."""

    def __init__(
        self,
        description: str,
        total: int | None = None,
        *,
        quiet: bool = False,
        stream: TextIO | None = None,
        every: float = 10.0,
        unit: str = "",
    ):
        self.description = description
        self.total = total
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.unit = unit
        self.done = 0
        self._bar: Any = None  # a rich Progress, on a terminal
        self._task: Any = None
        self._start = self._last = 0.0

    def __enter__(self) -> Callable[[int], None]:
        self._start = self._last = time.monotonic()
        if self.quiet:
            return _ignore
        if _is_terminal(self.stream):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(file=self.stream, markup=False),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self.advance

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._line(now)

    def advance_of(self, n: int, total: int) -> None:
        """`advance(n)` for work that says its total as it goes (known once the work is planned)."""
        if self.quiet:
            return
        if total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.update(self._task, total=total)
        self.advance(n)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.stop()
        elif exc_type is None and self.done:
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        if self.total:
            count = f"{self.done:,} of {self.total:,}{self.unit} ({100 * self.done / self.total:.0f}%)"
        else:
            count = f"{self.done:,}{self.unit}"
        print(f"{self.description}: {count} in {now - self._start:.0f} s", file=self.stream, flush=True)


def _ignore(n: int = 1) -> None:
    pass


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
