"""The untrained scikit-learn pipeline of each named variant.

    Preprocessor  ->  FeatureUnion(word n-grams, character n-grams)  ->  CalibratedThresholdClassifier

`python scripts/compare_variants.py` compares the variants; DEFAULT_VARIANT is its choice.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from ..errors import InputError
from ..text.features import WordwiseCharTfidf
from ..text.preprocess import Preprocessor
from .multilabel import CalibratedThresholdClassifier

# name -> (features, classifier, preprocessor options)
VARIANTS: dict[str, tuple[str, str, dict[str, bool]]] = {
    "word": ("word", "lr", {}),
    "char": ("char", "lr", {}),
    "word+char": ("word+char", "lr", {}),
    "word+char-svm": ("word+char", "svm", {}),
    "word+char-nostem": ("word+char", "lr", {"stem": False}),
    "word+char-lemma-sv": ("word+char", "lr", {"lemmatize_sv": True}),
    "word+char-scandi": ("word+char", "lr", {"per_language": False}),
    # Ablations of the preprocessing steps (scripts/compare_variants.py), one step off at a time,
    # and "raw": all of them off (spaCy tokens, lower-cased; identifiers still masked).
    "word+char-nonumbers": ("word+char", "lr", {"numbers": False}),
    "word+char-nofold": ("word+char", "lr", {"fold": False}),
    "word+char-nostop": ("word+char", "lr", {"stop_words": False}),
    "word+char-raw": ("word+char", "lr", {"stem": False, "numbers": False, "fold": False, "stop_words": False}),
}
DEFAULT_VARIANT = "word+char"


def _word_features() -> TfidfVectorizer:
    # Tokens are already normalised and separated by spaces; bigrams keep "ikke løst".
    return TfidfVectorizer(
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


def build_pipeline(variant: str = DEFAULT_VARIANT, seed: int = 0) -> Pipeline:
    """The untrained pipeline of a named variant (see VARIANTS)."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    features, classifier, prep_options = VARIANTS[variant]
    parts: list[tuple[str, TfidfVectorizer]] = []
    if "word" in features:
        parts.append(("word", _word_features()))
    if "char" in features:
        parts.append(("char", _char_features()))
    base: LinearSVC | LogisticRegression
    if classifier == "svm":
        base = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    else:
        base = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced", random_state=seed)
    return Pipeline(
        [
            ("preprocess", Preprocessor(**prep_options)),
            ("features", FeatureUnion(parts)),
            ("classify", CalibratedThresholdClassifier(base, cv=5, random_state=seed)),
        ]
    )
