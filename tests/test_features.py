import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.text.features import WordwiseCharTfidf

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
