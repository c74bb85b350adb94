"""Excel-ready workbooks (`classify predict --format xlsx`): what a pivot table needs, ready when the file opens.

The predictions sheet gets a frozen header row, a filter on every column, column
widths that fit the first rows, real dates and numbers instead of text, and one
0/1 column per category (named in the language of `--lang`) to count and pivot
on. A second sheet, `codebook`, lists the categories: id, name, definition, and
how many comments got each.

`TableWriter` (files/writing.py) writes the rows in openpyxl's write-only mode, so
memory stays flat; it calls `ExcelLayout` to type each chunk before formulas are
neutralised, to lay out the sheet before the first row, and to finish the
workbook before it is saved.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ..model.codebook import Codebook
from ..predictions import output_name
from .cells import parse_dates

# Whole numbers and decimals with a point, as exports write them. No leading zeros
# ("007" is a code, not 7) and at most 15 digits (Excel keeps no more).
_NUMBER = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d{1,15})?")
_MAX_WIDTH, _MIN_WIDTH = 60, 6
CODEBOOK_SHEET = "codebook"


@dataclass
class ExcelLayout:
    """How one predictions workbook is laid out; decided from the first chunk written.

    `date_cols`: columns the user named as dates: every cell that parses becomes a
    date, the rest stay text. Other columns become dates (or numbers) only when every
    filled cell of the first chunk parses as one. `text_cols` (the comment and id
    columns) always stay text.
    """

    codebook: Codebook
    lang: str = "en"
    date_cols: tuple[str, ...] = ()
    text_cols: tuple[str, ...] = ()
    counts: Counter = field(default_factory=Counter)
    _dates: list[str] | None = field(default=None, repr=False)
    _numbers: list[str] = field(default_factory=list, repr=False)

    def add_category_flags(self, df: pd.DataFrame, decided: np.ndarray, labels: list[str]) -> pd.DataFrame:
        """`df` with one 0/1 column per category, named by its display name, for pivot tables."""
        names = self.flag_names(labels)
        out = df.copy()
        for j, lab in enumerate(labels):
            out[output_name(names[lab], out.columns)] = decided[:, j].astype(np.int8)
            self.counts[lab] += int(decided[:, j].sum())
        return out

    def flag_names(self, labels: list[str]) -> dict[str, str]:
        names = {lab: self.codebook.display_name(lab, self.lang) for lab in labels}
        repeated = {n for n in names.values() if list(names.values()).count(n) > 1}
        return {lab: f"{n} ({lab})" if n in repeated else n for lab, n in names.items()}

    def typed(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with date cells as datetimes and number cells as floats (the first call decides which columns)."""
        if self._dates is None:
            self._decide(df)
        assert self._dates is not None
        out = df.copy()
        for col in self._dates:
            if col in out:
                out[col] = _as_dates(out[col])
        for col in self._numbers:
            if col in out:
                out[col] = _as_numbers(out[col])
        return out

    def _decide(self, df: pd.DataFrame) -> None:
        self._dates, self._numbers = [c for c in self.date_cols if c in df], []
        for col in df.columns:
            if col in self.text_cols or col in self._dates or not _is_text(df[col]):
                continue
            filled = df[col].astype(str).str.strip()
            filled = filled[(filled != "") & df[col].notna()]
            if filled.empty:
                continue
            if filled.map(lambda v: bool(_NUMBER.fullmatch(v))).all():
                self._numbers.append(col)
            elif parse_dates(filled).notna().all():
                self._dates.append(col)

    def start(self, sheet, df: pd.DataFrame) -> None:
        """Freeze the header row and size the columns (write-only sheets take both before the first row)."""
        from openpyxl.utils import get_column_letter

        sheet.freeze_panes = "A2"
        for i, col in enumerate(df.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = _width(str(col), df[col])

    def finish(self, workbook, sheet, rows: int, columns: int) -> None:
        """The filter over every row written, and the codebook sheet."""
        from openpyxl.utils import get_column_letter

        if columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"
        book = workbook.create_sheet(CODEBOOK_SHEET)
        header = ["category", "name", "definition", "comments"]
        widths = [20, 30, 80, 10]
        for i, w in enumerate(widths, start=1):
            book.column_dimensions[get_column_letter(i)].width = w
        book.freeze_panes = "A2"
        book.append(header)
        for lab in self.codebook.ids:
            name = self.codebook.display_name(lab, self.lang)
            definition = self.codebook.definitions.get(lab, "")
            book.append([lab, name, definition, self.counts.get(lab, 0) if self.counts else None])
        book.auto_filter.ref = f"A1:D{len(self.codebook.ids) + 1}"


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values)


def _as_dates(values: pd.Series) -> pd.Series:
    """Cells that parse as dates become datetimes (dates when no cell has a time of day); the rest stay."""
    parsed = parse_dates(values)
    has_time = bool((parsed.dropna() != parsed.dropna().dt.normalize()).any())
    cells = [
        (p.to_pydatetime() if has_time else p.date()) if not pd.isna(p) else v
        for p, v in zip(parsed, values.astype(object))
    ]
    return pd.Series(cells, index=values.index, dtype=object)


def _as_numbers(values: pd.Series) -> pd.Series:
    """Cells that are numbers become floats; any other cell (a later chunk's "n/a") stays as written."""

    def cell(v):
        if isinstance(v, str) and _NUMBER.fullmatch(v.strip()):
            return float(v)
        return v

    return pd.Series([cell(v) for v in values.astype(object)], index=values.index, dtype=object)


def _width(header: str, values: pd.Series) -> float:
    """Wide enough for the header and most cells of the first chunk, within limits."""
    sample = values.head(200)
    lengths = [len(v) if isinstance(v, str) else 19 if isinstance(v, datetime) else len(str(v)) for v in sample]
    typical = float(np.percentile(lengths, 90)) if lengths else 0.0
    return float(min(_MAX_WIDTH, max(_MIN_WIDTH, len(header), typical) + 2))
