"""The estimators follow scikit-learn's conventions, checked by scikit-learn's own `check_estimator`.

A few of its checks cannot apply to these estimators; each is listed with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.utils.estimator_checks import check_estimator

from classifier.model.multilabel import CalibratedThresholdClassifier
from classifier.text.features import WordwiseCharTfidf
from classifier.text.preprocess import Preprocessor

# Checks that cannot apply, and why. Everything else check_estimator runs must pass.
EXPECTED_FAILURES = {
    "check_classifier_multioutput": "multi-label predict applies a threshold per label tuned for F1 on "
    "out-of-fold predictions, so it is not the probabilities rounded at 0.5",
}


def test_check_estimator_on_the_multilabel_classifier():
    results = check_estimator(
        CalibratedThresholdClassifier(cv=3), expected_failed_checks=EXPECTED_FAILURES, on_fail=None
    )
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:200]) for r in failed]
    assert any(r["status"] == "passed" for r in results)


def test_the_classifier_is_a_classifier_and_the_preprocessor_needs_no_fit():
    assert is_classifier(CalibratedThresholdClassifier())
    assert Preprocessor().__sklearn_tags__().requires_fit is False
    Preprocessor().transform(["Ventet lenge"])  # no fit first: a stateless transformer


def test_a_1d_multiclass_target_gives_one_probability_per_class_summing_to_one():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(20, 2)) for c in range(3)])
    y = np.repeat(["kø", "faktura", "app"], 20)
    clf = CalibratedThresholdClassifier(cv=3).fit(X, y)
    proba = clf.predict_proba(X)
    assert list(clf.classes_) == ["app", "faktura", "kø"] and proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(X) == y).mean() > 0.9


def test_predicting_before_fit_says_so():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CalibratedThresholdClassifier().predict_proba(np.zeros((1, 2)))


def test_the_fast_char_vectorizer_rejects_a_bare_string_like_its_parent():
    vec = WordwiseCharTfidf(analyzer="char_wb", ngram_range=(2, 3), lowercase=False).fit(["kø lang", "bra"])
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        vec.transform("kø lang")


def test_feature_names_come_out_through_the_pipeline(small_model):
    names = small_model.pipeline[:-1].get_feature_names_out()
    assert len(names) == small_model.pipeline[-1].n_features_in_
    assert any(n.startswith("word__") for n in names) and any(n.startswith("char__") for n in names)
