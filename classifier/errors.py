"""The one exception type the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: a file, row or column the tool cannot use.

    The message is shown to the user as is, so it names the file (and row and
    column where they apply) and says what to do.
    """

    def __init__(self, message: str, *, path: object = None, row: int | None = None, column: str | None = None):
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        self.path, self.row, self.column = path, row, column
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
