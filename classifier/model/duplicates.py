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


def is_stock(text: str, labels: str) -> bool:
    """A stock answer ("ok", "-", "bra takk"): no label and at most three words.

    Real surveys repeat these, so the data checks allow a few repeats of each and a
    held-apart set may share them with the training data.
    """
    return labels.strip() == "" and len(normalise(text).split()) <= 3


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
    shingles = _shingles(texts)
    return [(i, j, s) for i, j, s in _similar(shingles, shingles, threshold) if i < j]


def near_copies(texts: list[str], others: list[str], threshold: float = NEAR_DUP) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for each `texts[j]` that is a near-duplicate of `others[i]`.

    Compares only across the two lists: checking a few hundred held-apart comments against
    the training data takes a second, where `near_duplicates` of them all takes a minute.

    >>> [(i, j) for i, j, _ in near_copies(["ventet en time i kø!", "Bra"], ["Ventet en time i kø", "Lang kø"], 0.6)]
    [(0, 0)]
    """
    shingles = _shingles([*others, *texts])
    n = len(others)
    return _similar(shingles[:n], shingles[n:], threshold)


def _shingles(texts: list[str]):
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=True)
    return vec.fit_transform([" ".join(t.lower().split()) for t in texts]).astype(np.int32)


def _similar(a, b, threshold: float, block_rows: int = 2000) -> list[tuple[int, int, float]]:
    """(row of a, row of b, Jaccard similarity) of the pairs above threshold, in row order.

    Tens of millions of pairs share a shingle (" ikke", "ikke "), so they are judged in NumPy,
    not a loop, and `block_rows` rows of `a` at a time: the whole product of 40,000 comments
    with themselves took over 20 GB.
    """
    a, b = a.tocsr(), b.tocsr()
    size_a, size_b = np.asarray(a.sum(axis=1)).ravel(), np.asarray(b.sum(axis=1)).ravel()
    bt = b.T.tocsc()
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, a.shape[0], block_rows):
        shared = (a[start : start + block_rows] @ bt).tocoo()
        rows = shared.row + start
        union = size_a[rows] + size_b[shared.col] - shared.data
        similarity = np.divide(shared.data, union, out=np.zeros(len(union)), where=union > 0)
        above = np.flatnonzero(similarity > threshold)
        above = above[np.lexsort((shared.col[above], rows[above]))]
        pairs += [(int(rows[k]), int(shared.col[k]), float(similarity[k])) for k in above]
    return pairs
