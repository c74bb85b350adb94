"""Exact and near-duplicate comments in labelled data.

Duplicates inflate cross-validated scores (the same comment lands in a training and
a test fold), so the data checks and the integrity tests use these.

>>> exact_duplicates(["Bra!", "kø", " bra "])
[(0, 2)]
>>> [(i, j) for i, j, _ in near_duplicates(["Ventet en time i kø", "ventet en time i kø!", "Bra"], 0.6)]
[(0, 1)]
"""

from __future__ import annotations

import unicodedata

import numpy as np

NEAR_DUP = 0.8


def normalise(text: str) -> str:
    """Key for exact duplicates: NFKC, lower-case, whitespace collapsed, punctuation stripped at the ends.

    "Bra!", " bra " and "BRA." are the same comment; "-", "..." and "" are too.
    """
    t = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    start, end = 0, len(t)
    while start < end and (t[start].isspace() or unicodedata.category(t[start]).startswith("P")):
        start += 1
    while end > start and (t[end - 1].isspace() or unicodedata.category(t[end - 1]).startswith("P")):
        end -= 1
    return t[start:end]


def exact_duplicates(texts: list[str]) -> list[tuple[int, int]]:
    """(first, later) index pairs of comments that are equal after `normalise`."""
    first: dict[str, int] = {}
    pairs = []
    for i, t in enumerate(texts):
        key = normalise(t)
        if key in first:
            pairs.append((first[key], i))
        else:
            first[key] = i
    return pairs


def near_duplicates(texts: list[str], threshold: float = NEAR_DUP) -> list[tuple[int, int, float]]:
    """Pairs whose character 5-gram shingle sets have Jaccard similarity above threshold.

    Comments under 5 characters have no shingles and are never reported here: `exact_duplicates`
    covers them.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=True)
    norm = [" ".join(t.lower().split()) for t in texts]
    X = vec.fit_transform(norm).astype(np.int32)
    sizes = np.asarray(X.sum(axis=1)).ravel()
    inter = (X @ X.T).tocoo()
    pairs = []
    for i, j, v in zip(inter.row, inter.col, inter.data):
        if i < j:
            union = sizes[i] + sizes[j] - v
            if union and v / union > threshold:
                pairs.append((int(i), int(j), float(v / union)))
    return pairs
