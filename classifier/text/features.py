"""Feature extraction: word and character n-gram TF-IDF, exactly scikit-learn's, faster.

scikit-learn's analyzers cut every comment into n-grams in Python, which was most
of the prediction time. Both blocks here give the same matrices as
`TfidfVectorizer` (tests/test_features.py checks it) with less Python per comment:

- `WordNgramTfidf` (word 1-2- or 1-3-grams of the already tokenised text) looks every token
  up once, in one pass over the batch, and finds the bigrams and trigrams with NumPy;
- `WordwiseCharTfidf` (char_wb n-grams) uses that a comment's char_wb n-grams are the
  sum of its words' n-grams, and comments repeat words: it counts the words of a
  batch (a comment x word matrix D), cuts each *distinct* word into n-grams once
  per process (a word x n-gram matrix W, kept between batches), and multiplies:
  counts = D @ W.

Fitting is TfidfVectorizer's own. `SavedTfidf`, the parent of both, saves its
vocabulary as one array of terms (not a dict of 100,000 entries, which a model
file stores as slowly as it loads) and leaves out what a process caches, so a
saved model is the same bytes in every process.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .wordtable import WordTable

# Words whose n-grams a process keeps between batches; past this many it starts
# again, so memory stays flat on endless fresh words (typos, names). 20,000 was too
# few for a survey's own vocabulary: words were cut again and again (README, "Speed").
MAX_CACHED_WORDS = 40_000
# The longest word n-grams `WordNgramTfidf` looks up itself: its int64 keys hold up to 3 tokens.
MAX_FAST_NGRAM = 3
_CACHE_LOCK = threading.Lock()


class SavedTfidf(TfidfVectorizer):
    """A TfidfVectorizer whose saved state is compact and the same in every process.

    Fitting and transforming are TfidfVectorizer's own; only what `__getstate__`
    hands to a model file differs: `vocabulary_` as an array of terms in column
    order, and nothing a process caches (scikit-learn's `_stop_words_id`, an `id()`,
    and the lookup tables of the subclasses below, all rebuilt on use).
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: Python hands out the live __dict__
        state.pop("_stop_words_id", None)
        state.pop("_cache", None)
        vocabulary = state.get("vocabulary_")
        if isinstance(vocabulary, dict):
            state["vocabulary_"] = np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=str)
        return state

    def __setstate__(self, state):
        terms = state.get("vocabulary_")
        if isinstance(terms, np.ndarray):
            state = {**state, "vocabulary_": {str(term): i for i, term in enumerate(terms.tolist())}}
        super().__setstate__(state)

    def _cached(self, build):
        """What `build()` makes from the fitted vocabulary, made once per vocabulary."""
        with _CACHE_LOCK:
            cache = self.__dict__.get("_cache")
            if cache is None or cache[0] is not self.vocabulary_:
                cache = self._cache = (self.vocabulary_, build())
            return cache[1]

    def _check_documents(self, raw_documents) -> None:
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        check_is_fitted(self, "vocabulary_")

    def _plain(self) -> bool:
        """No lower-casing, accents, stop words or callables of its own: the input is already normalised."""
        return not (
            self.lowercase or self.strip_accents or self.preprocessor or self.tokenizer or self.stop_words is not None
        )


class WordNgramTfidf(SavedTfidf):
    """`TfidfVectorizer(analyzer="word", token_pattern=r"\\S+")` of 1- to 3-grams, transformed in one pass.

    Takes the same parameters as TfidfVectorizer. The fast path needs
    token_pattern=r"\\S+" and ngram_range within (1, 3) and no preprocessing of
    its own; any other setting is TfidfVectorizer's own transform.
    """

    def transform(self, raw_documents):
        self._check_documents(raw_documents)
        low, high = self.ngram_range
        fast = self.analyzer == "word" and self.token_pattern == r"\S+" and 1 <= low <= high <= MAX_FAST_NGRAM
        if not fast or not self._plain():
            return super().transform(raw_documents)
        token_id, unigram_column, ngram_tables = self._cached(self._tables)
        docs = [doc.split() for doc in raw_documents]
        if not docs:
            return sp.csr_matrix((0, len(self.vocabulary_)), dtype=self.dtype)
        lengths = np.fromiter(map(len, docs), dtype=np.intp, count=len(docs))
        # map() with two iterables calls `get(token, -1)` from C, faster than a generator expression
        tokens = itertools.chain.from_iterable(docs)
        ids = np.fromiter(map(token_id.get, tokens, itertools.repeat(-1)), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(docs)), lengths)
        found_rows, found_columns = [], []
        if low == 1:
            columns = np.where(ids >= 0, unigram_column[np.maximum(ids, 0)], -1)
            found_rows.append(rows[columns >= 0])
            found_columns.append(columns[columns >= 0])
        for n in range(max(low, 2), high + 1):
            keys_sorted, key_columns = ngram_tables[n]
            if not len(keys_sorted) or len(ids) < n:
                continue
            start = rows[: len(ids) - n + 1]
            # n known tokens of one comment (rows only grow, so first and last row equal means all equal)
            window = start == rows[n - 1 :]
            keys = np.zeros(len(start), dtype=np.int64)
            for offset in range(n):
                part = ids[offset : offset + len(start)]
                window &= part >= 0
                keys = keys * len(token_id) + part
            keys = keys[window]
            at = np.minimum(np.searchsorted(keys_sorted, keys), len(keys_sorted) - 1)
            hit = keys_sorted[at] == keys
            found_rows.append(start[window][hit])
            found_columns.append(key_columns[at[hit]])
        r = np.concatenate(found_rows) if found_rows else np.zeros(0, np.intp)
        c = np.concatenate(found_columns) if found_columns else np.zeros(0, np.intp)
        # COO to CSR adds up repeated (comment, n-gram) pairs: the counts.
        counts = sp.csr_matrix(
            (np.ones(len(r), dtype=self.dtype), (r, c)), shape=(len(docs), len(self.vocabulary_)), dtype=self.dtype
        )
        counts.sum_duplicates()
        return self._tfidf.transform(counts, copy=False)

    def _tables(self):
        """Every token of the vocabulary numbered; its unigram column; per n > 1, n-grams as sorted keys.

        An n-gram's key is its token numbers read as the digits of a number in base
        (number of tokens): unique, and an int64 for up to 3 tokens of any vocabulary
        a survey model has (2 million tokens would still fit).
        """
        token_id: dict[str, int] = {}
        unigrams: list[tuple[int, int]] = []
        longer: dict[int, list[tuple[int, int]]] = {n: [] for n in range(2, MAX_FAST_NGRAM + 1)}
        split = [(term.split(" "), column) for term, column in self.vocabulary_.items()]
        for parts, _ in split:
            for p in parts:
                token_id.setdefault(p, len(token_id))
        base = len(token_id)
        for parts, column in split:
            key = 0
            for p in parts:
                key = key * base + token_id[p]
            (unigrams if len(parts) == 1 else longer[len(parts)]).append((key, column))
        unigram_column = np.full(base, -1, dtype=np.int64)
        for token, column in unigrams:
            unigram_column[token] = column
        tables = {}
        for n, pairs in longer.items():
            arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
            order = np.argsort(arr[:, 0])
            tables[n] = (arr[order, 0], arr[order, 1])
        return token_id, unigram_column, tables


class WordwiseCharTfidf(SavedTfidf):
    """`TfidfVectorizer(analyzer="char_wb")` whose transform works word by word.

    Takes the same parameters as TfidfVectorizer; fitting is TfidfVectorizer's own.
    Only valid for analyzer="char_wb" with no preprocessing of its own
    (lowercase=False, no accent stripping): the input is already normalised.
    """

    def transform(self, raw_documents):
        self._check_documents(raw_documents)
        if self.analyzer != "char_wb" or not self._plain():
            return super().transform(raw_documents)
        table = self._cached(lambda: WordTable(self._word_ngrams, MAX_CACHED_WORDS))
        doc_words, ngrams = table.count(doc.split() for doc in raw_documents)
        if ngrams is None:  # an empty batch, or only empty comments so far
            return sp.csr_matrix((doc_words.shape[0], len(self.vocabulary_)), dtype=self.dtype)
        # No duplicate (comment, n-gram) pairs come out of a product; their order within a
        # row is left as it comes (nothing downstream needs it sorted).
        counts = doc_words @ ngrams
        return self._tfidf.transform(counts, copy=False)

    def _word_ngrams(self, words: list[str]) -> sp.csr_matrix:
        """The char_wb n-gram counts of each word (a word x n-gram matrix)."""
        return CountVectorizer.transform(self, words)
