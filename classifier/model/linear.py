"""Many linear models' decision values from one pass over the features.

A model scores 13 categories and three polarities of each: over 50 binary linear
models on the same sparse features. Each model's own `decision_function` reads the
whole feature matrix once, so scoring a batch read it over 50 times. Stacking their
weights into one (n_features, m) matrix reads it once. Every value is the same sum,
added in the same order, so the numbers are the ones scikit-learn gives (a test
checks it); models that are not a single weight vector keep their own method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC


def _is_single_linear(estimator) -> bool:
    """A fitted binary LinearSVC or LogisticRegression: decision = X @ coef_[0] + intercept_[0]."""
    return (
        type(estimator) in (LinearSVC, LogisticRegression)
        and getattr(estimator, "coef_", None) is not None
        and estimator.coef_.shape[0] == 1
    )


def decision_values(estimators: Sequence, X) -> list[np.ndarray]:
    """Each estimator's `decision_function(X)`, the plain linear ones computed together."""
    out: list[np.ndarray | None] = [None] * len(estimators)
    linear = [i for i, e in enumerate(estimators) if _is_single_linear(e)]
    if linear and (sp.issparse(X) or isinstance(X, np.ndarray)):
        weights = np.column_stack([estimators[i].coef_[0] for i in linear])
        intercepts = np.array([estimators[i].intercept_[0] for i in linear])
        scores = np.asarray(X @ weights) + intercepts
        for column, i in enumerate(linear):
            out[i] = scores[:, column]
    return [values if values is not None else e.decision_function(X) for values, e in zip(out, estimators)]
