"""A per-process table of distinct words, each with a row computed once.

Language detection (a word's confidence per language) and the character n-gram
features (a word's n-gram counts) both work word by word, and comments repeat
words. `WordTable.count` numbers the words of a batch, computes the rows of the
words it has not seen before, and returns the (comments x words) count matrix
with the rows, whose product is the batch's per-comment sum.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable

import numpy as np
import scipy.sparse as sp


class WordTable:
    """Distinct words, numbered, and `rows_of(new_words)` for each, computed once.

    Words given to `remember` (rows computed ahead, e.g. shipped with the package)
    stay for good. The words learnt on the way are forgotten before a batch once
    there are more than `max_words` of them, so memory stays flat on endless fresh
    words (typos, names). Threads that share a table take turns.
    """

    def __init__(self, rows_of: Callable[[list[str]], np.ndarray | sp.csr_matrix], max_words: int):
        self.rows_of = rows_of
        self.max_words = max_words
        self._lock = threading.Lock()
        self._known: tuple[dict[str, int], np.ndarray | sp.csr_matrix | None] = ({}, None)
        self._clear()

    def _clear(self) -> None:
        known_index, known_rows = self._known
        self.index: dict[str, int] = dict(known_index)
        self.rows: np.ndarray | sp.csr_matrix | None = known_rows

    @property
    def known_words(self) -> int:
        """How many words were given to `remember`."""
        return len(self._known[0])

    def remember(self, words: list[str], rows: np.ndarray | sp.csr_matrix) -> None:
        """Make `words`, whose rows (one per word, as `rows_of` gives them) are `rows`, known for good."""
        if len(words) != rows.shape[0] or len(set(words)) != len(words):
            raise ValueError("remember() takes distinct words and one row per word")
        with self._lock:
            self._known = ({w: i for i, w in enumerate(words)}, rows)
            self._clear()

    def count(self, docs: Iterable[list[str]]) -> tuple[sp.csr_matrix, np.ndarray | sp.csr_matrix | None]:
        """The (comments x words) count matrix of `docs` (lists of words) and the rows of those words.

        The rows are None when no word has been seen yet (an empty batch, or no words in it).
        """
        docs = docs if isinstance(docs, list) else list(docs)
        # Per word, only C loops (chain, dict.fromkeys, map): a Python loop over the words
        # of every comment took half as long again.
        words = list(itertools.chain.from_iterable(docs))
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, docs), dtype=np.int64, count=len(docs)), out=indptr[1:])
        with self._lock:
            if len(self.index) - self.known_words > self.max_words:
                self._clear()
            index = self.index
            new = [w for w in dict.fromkeys(words) if w not in index]
            if new:
                fresh = self.rows_of(new)
                if self.rows is None:
                    self.rows = fresh
                elif sp.issparse(fresh):
                    self.rows = sp.vstack([self.rows, fresh], format="csr")
                else:
                    self.rows = np.vstack([self.rows, fresh])
                # Numbered only once their rows exist: a failed `rows_of` leaves the table as it was.
                index.update(zip(new, range(len(index), len(index) + len(new))))
            indices = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
            rows, n_words = self.rows, len(index)
        dtype = rows.dtype if rows is not None else np.float64
        counts = sp.csr_matrix((np.ones(len(indices), dtype=dtype), indices, indptr), shape=(len(docs), n_words))
        return counts, rows
