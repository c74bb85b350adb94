"""The one NPS rule: reading a 0-10 score cell, the three groups, and the NPS itself.

Promoters score 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % detractors,
from -100 to +100. Every command (predict's summary, drivers, the report) uses these.

>>> import pandas as pd
>>> scores = parse_scores(pd.Series(["10 - Svært sannsynlig", "7", "3,0", "vet ikke"]))
>>> scores.tolist()[:3]
[10.0, 7.0, 3.0]
>>> nps_group(scores).tolist()
['promoter', 'passive', 'detractor', '']
>>> nps_score(promoters=5, detractors=2, n=10)
30.0
>>> score_scale(np.array([1, 4, 5, 2])), score_scale(np.array([1, 4, 9]))
((1, 5), (0, 10))
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
GROUP_NAMES = ("detractor", "passive", "promoter")  # indexed by the codes above
PROMOTER_MIN, PASSIVE_MIN = 9, 7
NPS_SCALE, RATING_SCALE = (0, 10), (1, 5)

_SCORE_RE = re.compile(r"^\s*(\d{1,2})(?:[.,]0+)?\s*(?:(?:[-–—:=]|\s)\s*\D.*)?$", re.S)


def parse_scores(values: pd.Series) -> pd.Series:
    """0-10 scores from cells like `9`, `9,0`, `10 - Svært sannsynlig`; NaN for anything else."""
    text = values.astype(str)
    found = text.str.extract(_SCORE_RE, expand=False)
    scores = pd.to_numeric(found, errors="coerce")
    return scores.where((scores >= 0) & (scores <= 10)).astype(float)


def group_codes(scores: np.ndarray, scale: tuple[int, int] = NPS_SCALE) -> np.ndarray:
    """DETRACTOR (0-6), PASSIVE (7-8) or PROMOTER (9-10) for valid scores.

    On a 1-5 rating the same three codes mean low (1-2), middle (3) and high (4-5).
    """
    scores = np.asarray(scores, dtype=float)
    promoter_min, passive_min = (PROMOTER_MIN, PASSIVE_MIN) if scale == NPS_SCALE else (4, 3)
    return np.select([scores >= promoter_min, scores >= passive_min], [PROMOTER, PASSIVE], DETRACTOR)


def score_scale(scores: np.ndarray) -> tuple[int, int]:
    """(0, 10) for NPS answers, (1, 5) for a 1-5 rating: no 0 and nothing above 5 in any answer.

    A 0-10 survey where nobody answered 0 or 6-10 does not happen in practice; a 1-5
    satisfaction rating read as 0-10 would make everyone a detractor.
    """
    values = np.asarray(scores, dtype=float)
    values = values[~np.isnan(values)]
    if values.size and values.min() >= 1 and values.max() <= RATING_SCALE[1]:
        return RATING_SCALE
    return NPS_SCALE


def scale_refusal(column: str | None = None) -> str:
    """The one line that refuses NPS on a 1-5 rating and says what to do instead."""
    name = f"score column {column!r}" if column else "the scores"
    return (
        f"{name} holds 1-5 ratings (no answer is 0 or above 5), not 0-10 NPS answers; "
        "NPS needs 0-10: use --metric mean to rank causes by their impact on the average score"
    )


def nps_group(scores: pd.Series) -> pd.Series:
    """ "promoter", "passive", "detractor", or "" where there is no valid score."""
    group = pd.Series("", index=scores.index, dtype=object)
    valid = scores.notna()
    codes = group_codes(scores[valid].to_numpy())
    group[valid] = [GROUP_NAMES[c] for c in codes]
    return group


def nps_score(*, promoters: float, detractors: float, n: float) -> float:
    """NPS from group counts (or weights): 100 * (promoters - detractors) / n; NaN when n is 0."""
    return 100.0 * (promoters - detractors) / n if n else float("nan")
