"""Reading date cells as Nordic survey exports write them."""

from __future__ import annotations

import pandas as pd

_DATE_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p",
)  # SurveyMonkey; the AM/PM keeps it from day-first dates


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in Nordic formats (`03.10.2024 14:22`, `2024-10-03`, ...); NaT where unparsable.

    The format that reads the most cells wins, so `03.10.2024` is 3 October, never 10 March.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(str).str.strip()
    best = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().sum() > best.notna().sum():
            best = parsed
    return best
