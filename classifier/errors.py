"""The one exception type the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def printable(value: object) -> str:
    """`value` as text on one line: control characters (a newline in a file name) escaped as `\\n`, `\\x1b`."""
    text = str(value)
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class InputError(Exception):
    """Bad user input: a file, row or column the tool cannot use.

    The message is shown to the user as is, so it names the file (and row and
    column where they apply) and says what to do.
    """

    def __init__(self, message: str, *, path: object = None, row: int | None = None, column: str | None = None):
        where = []
        if path is not None:
            where.append(printable(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {printable(repr(column))}")
        self.path, self.row, self.column, self.message = path, row, column, message
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
