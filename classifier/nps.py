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
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
GROUP_NAMES = ("detractor", "passive", "promoter")  # indexed by the codes above
PROMOTER_MIN, PASSIVE_MIN = 9, 7

_SCORE_RE = re.compile(r"^\s*(\d{1,2})(?:[.,]0+)?\s*(?:(?:[-–—:=]|\s)\s*\D.*)?$", re.S)


def parse_scores(values: pd.Series) -> pd.Series:
    """0-10 scores from cells like `9`, `9,0`, `10 - Svært sannsynlig`; NaN for anything else."""
    text = values.astype(str)
    found = text.str.extract(_SCORE_RE, expand=False)
    scores = pd.to_numeric(found, errors="coerce")
    return scores.where((scores >= 0) & (scores <= 10)).astype(float)


def group_codes(scores: np.ndarray) -> np.ndarray:
    """DETRACTOR (0-6), PASSIVE (7-8) or PROMOTER (9-10) for valid scores."""
    scores = np.asarray(scores, dtype=float)
    return np.select([scores >= PROMOTER_MIN, scores >= PASSIVE_MIN], [PROMOTER, PASSIVE], DETRACTOR)


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
