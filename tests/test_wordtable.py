"""WordTable: each distinct word's row computed once; a batch's count matrix times the rows is its per-comment sum."""

import numpy as np
import pytest

from classifier.text.wordtable import WordTable


def letters(words: list[str]) -> np.ndarray:
    """A word's row: its length and its number of vowels."""
    return np.array([[len(w), sum(c in "aeiouyæøå" for c in w)] for w in words], dtype=float)


def recording() -> tuple[list[str], object]:
    """A `rows_of` that also lists every word it was asked about, and that list."""
    seen: list[str] = []

    def rows_of(words):
        seen.extend(words)
        return letters(words)

    return seen, rows_of


def test_counts_times_rows_is_each_comments_sum_over_its_words():
    table = WordTable(letters, max_words=100)
    docs = [["ventet", "lenge", "ventet"], [], ["svar"]]
    counts, rows = table.count(docs)
    expected = np.array([letters(d).sum(axis=0) if d else [0, 0] for d in docs])
    np.testing.assert_array_equal((counts @ rows), expected)
    assert counts.shape == (3, 3) and counts[0].sum() == 3  # "ventet" twice, counted twice


def test_a_word_is_computed_once_across_batches():
    seen, rows_of = recording()
    table = WordTable(rows_of, max_words=100)
    table.count([["hei", "du"]])
    counts, rows = table.count([["du", "hei", "igjen"], ["hei"]])
    assert seen == ["hei", "du", "igjen"]
    expected = [letters(["du", "hei", "igjen"]).sum(axis=0), letters(["hei"])[0]]
    np.testing.assert_array_equal(counts @ rows, expected)


def test_a_batch_without_words_has_no_rows_yet():
    counts, rows = WordTable(letters, max_words=100).count([[], []])
    assert counts.shape == (2, 0) and rows is None


def test_a_failed_computation_leaves_the_table_as_it_was():
    calls = {"n": 0}

    def flaky(words):
        calls["n"] += 1
        if calls["n"] == 2:
            raise MemoryError("out of memory")
        return letters(words)

    table = WordTable(flaky, max_words=100)
    table.count([["hei"]])
    with pytest.raises(MemoryError):
        table.count([["hei", "igjen"]])
    counts, rows = table.count([["igjen", "hei"]])  # "igjen" is computed now, not taken as known
    np.testing.assert_array_equal(counts @ rows, letters(["igjen", "hei"]).sum(axis=0, keepdims=True))


def test_the_table_is_cleared_once_it_holds_more_than_max_words():
    table = WordTable(letters, max_words=2)
    table.count([["en", "to", "tre"]])
    counts, rows = table.count([["fire"]])
    assert list(table.index) == ["fire"] and rows.shape == (1, 2)


def test_remembered_words_are_never_computed_and_outlive_clearing():
    seen, rows_of = recording()
    table = WordTable(rows_of, max_words=2)
    table.remember(["hei", "svar"], letters(["hei", "svar"]))
    counts, rows = table.count([["hei", "ny", "svar"]])
    np.testing.assert_array_equal(counts @ rows, [letters(["hei", "ny", "svar"]).sum(axis=0)])
    table.count([["en", "to", "tre"]])  # past 2 learnt words: the next batch starts afresh
    counts, rows = table.count([["svar", "hei"]])
    assert seen == ["ny", "en", "to", "tre"]  # never "hei" or "svar"
    assert table.known_words == 2 and set(table.index) == {"hei", "svar"}
    np.testing.assert_array_equal(counts @ rows, [letters(["svar", "hei"]).sum(axis=0)])


def test_remember_wants_distinct_words_and_a_row_each():
    table = WordTable(letters, max_words=10)
    with pytest.raises(ValueError):
        table.remember(["hei", "hei"], letters(["hei", "hei"]))
    with pytest.raises(ValueError):
        table.remember(["hei"], letters(["hei", "du"]))
