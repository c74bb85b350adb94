import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.text.features import WordNgramTfidf, WordwiseCharTfidf

DOCS = [
    "vent lenge kø",
    "ventetid <minutes> ikke svar",
    "vänt kö",
    "bra",
    "",
    "kø kø kø ventetid",
    "a",
    "hygg dame løst sak",
    "ikke løst sak <times>",
]


def test_wordwise_char_tfidf_equals_sklearn_char_wb():
    params = dict(
        analyzer="char_wb", ngram_range=(2, 5), lowercase=False, min_df=1, sublinear_tf=True, dtype=np.float32
    )
    expected = TfidfVectorizer(**params).fit(DOCS[:6])
    fast = WordwiseCharTfidf(**params).fit(DOCS[:6])
    new = DOCS + ["helt nye ord her", "väntetiden"]
    a, b = expected.transform(new), fast.transform(new)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert abs(a - b).max() < 1e-6
    assert np.array_equal(a.toarray() != 0, b.toarray() != 0)


def test_empty_batch():
    fast = WordwiseCharTfidf(analyzer="char_wb", lowercase=False).fit(DOCS)
    assert fast.transform([]).shape == (0, len(fast.vocabulary_))
    assert fast.transform([""]).nnz == 0


WORD_PARAMS = dict(
    analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), min_df=1, sublinear_tf=True
)


@pytest.mark.parametrize("ngram_range", [(1, 2), (1, 1), (2, 2), (1, 3), (2, 3), (3, 3)])
def test_word_ngram_tfidf_equals_sklearn_word_ngrams(ngram_range):
    params = {**WORD_PARAMS, "ngram_range": ngram_range, "dtype": np.float32}
    expected = TfidfVectorizer(**params).fit(DOCS[:6])
    fast = WordNgramTfidf(**params).fit(DOCS[:6])
    new = DOCS + ["helt nye ord her", "kø kø ikke svar vent lenge", "ikke", "svar ikke", "ikke svar ikke svar ikke"]
    a, b = expected.transform(new), fast.transform(new)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert abs(a - b).max() < 1e-6
    assert np.array_equal(a.toarray() != 0, b.toarray() != 0)


def test_a_bigram_across_two_comments_is_not_counted():
    fast = WordNgramTfidf(**WORD_PARAMS).fit(["ikke svar"])
    bigram = fast.vocabulary_["ikke svar"]
    assert fast.transform(["ikke", "svar"])[:, bigram].nnz == 0
    assert fast.transform(["ikke svar"])[:, bigram].nnz == 1


def test_a_trigram_across_two_comments_is_not_counted():
    fast = WordNgramTfidf(**{**WORD_PARAMS, "ngram_range": (1, 3)}).fit(["fikk ikke svar"])
    trigram = fast.vocabulary_["fikk ikke svar"]
    assert fast.transform(["fikk ikke", "svar"])[:, trigram].nnz == 0
    assert fast.transform(["fikk", "ikke svar"])[:, trigram].nnz == 0
    assert fast.transform(["fikk ikke svar"])[:, trigram].nnz == 1


def test_word_ngram_tfidf_empty_batch_and_refit():
    fast = WordNgramTfidf(**WORD_PARAMS).fit(DOCS)
    assert fast.transform([]).shape == (0, len(fast.vocabulary_))
    assert fast.transform([""]).nnz == 0
    fast.fit(["helt annet"])  # a new vocabulary: the lookup tables are rebuilt
    assert fast.transform(["helt annet"]).nnz == 3


def test_other_settings_fall_back_to_sklearn():
    params = {**WORD_PARAMS, "token_pattern": r"(?u)\b\w\w+\b", "ngram_range": (1, 4)}
    expected = TfidfVectorizer(**params).fit(DOCS)
    fast = WordNgramTfidf(**params).fit(DOCS)
    assert abs(expected.transform(DOCS) - fast.transform(DOCS)).max() < 1e-6


def test_the_char_vectorizer_keeps_words_between_batches_and_stays_bounded(monkeypatch):
    from classifier.text import features

    params = dict(analyzer="char_wb", ngram_range=(2, 5), lowercase=False, min_df=1, dtype=np.float32)
    expected = TfidfVectorizer(**params).fit(DOCS)
    fast = WordwiseCharTfidf(**params).fit(DOCS)
    monkeypatch.setattr(features, "MAX_CACHED_WORDS", 5)
    for batch in (DOCS[:3], DOCS[3:], DOCS, ["helt nye ord her og der"], DOCS[:2]):
        assert abs(expected.transform(batch) - fast.transform(batch)).max() < 1e-6
        distinct = {w for doc in batch for w in doc.split()}
        assert len(fast._cache[1].index) <= 5 + len(distinct)  # cleared before a batch, past 5


def test_a_saved_vectorizer_carries_no_cache(tmp_path):
    import pickle

    fast = WordwiseCharTfidf(analyzer="char_wb", lowercase=False).fit(DOCS)
    before = pickle.dumps(fast)
    fast.transform(DOCS)
    assert "_cache" in fast.__dict__
    assert pickle.dumps(fast) == before


def test_threads_sharing_one_char_vectorizer_get_the_same_matrices_as_one_thread():
    from concurrent.futures import ThreadPoolExecutor

    params = dict(analyzer="char_wb", ngram_range=(2, 5), lowercase=False, min_df=1, dtype=np.float32)
    expected = TfidfVectorizer(**params).fit(DOCS)
    fast = WordwiseCharTfidf(**params).fit(DOCS)
    batches = [[f"{doc} ord{i} nytt{i % 7}" for doc in DOCS] for i in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fast.transform, batches))
    for batch, got in zip(batches, results):
        assert abs(expected.transform(batch) - got).max() < 1e-6
