"""The polarity of each category a comment mentions: `neg` (complaint), `pos` (praise), `neu`.

One linear model per category, trained on the comments that mention it, over the same
word and character n-gram features as the categories: what "rask" or "ikke" means
depends on the category ("rask" praises a wait, "ikke løst" condemns a resolution).
A category with few labelled mentions backs off to one model shared by all categories.

Chosen on the held-apart test set (`python scripts/compare_polarity.py`, seed 0; accuracy
over the mentions whose category the model assigned, F1 of (id, neg) and (id, pos) pairs):

| method | nb accuracy | nb complaint F1 | nb praise F1 | sv accuracy | sv complaint F1 | sv praise F1 |
|---|---:|---:|---:|---:|---:|---:|
| most frequent polarity of the category | 0.638 | 0.525 | 0.509 | 0.664 | 0.535 | 0.572 |
| one model shared by all categories | 0.862 | 0.676 | 0.726 | 0.868 | 0.691 | 0.756 |
| **one model per category** | 0.934 | 0.728 | 0.787 | 0.950 | 0.755 | 0.825 |
| one per category, comment + its clause | 0.950 | 0.742 | 0.799 | 0.956 | 0.757 | 0.831 |

The clause-level model (the comment's features beside those of the clause most likely
to mention the category) is 0.6-1.6 points better but runs the whole pipeline again on
every clause, at fitting and at prediction, five times the fitting time; not (yet) worth it.

>>> import numpy as np
>>> X = np.array([[1.0, 0.0], [0.0, 1.0]] * 30)
>>> Y = np.array([[0, 1], [1, 0]] * 30)  # category 0: neg, then pos; category 1: pos, then neg
>>> clf = PolarityClassifier(min_examples=10).fit(X, Y)
>>> clf.predict(np.array([[1.0, 0.0]])).tolist()
[['neg', 'pos']]
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.validation import check_is_fitted

from .dataset import POLARITIES
from .linear import decision_values

NO_POLARITY = -1  # in a polarity target: the category is not mentioned, or its polarity is unknown


class PolarityClassifier(ClassifierMixin, BaseEstimator):
    """Per-category polarity models with a shared fallback.

    Parameters
    ----------
    C : inverse regularisation of the logistic regressions.
    min_examples : a category with fewer labelled mentions uses the shared model.
    random_state : seed of the solver.

    `fit(X, Y)`: X (n, d) comment features, Y (n, k) polarity codes, an index into
    `classes_` (neg, pos, neu) or NO_POLARITY. `predict_proba(X)` returns (n, k, 3):
    for every comment and category, the probability of each polarity were the
    category mentioned; the model decides elsewhere which categories are.
    """

    def __init__(self, C: float = 10.0, min_examples: int = 50, random_state: int = 0):
        self.C = C
        self.min_examples = min_examples
        self.random_state = random_state

    def fit(self, X, Y):
        Y = np.asarray(Y, dtype=int)
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise ValueError("Y must be an (n_comments, n_categories) matrix of polarity codes")
        self.classes_ = np.array(POLARITIES)
        self.n_labels_ = Y.shape[1]
        rows, cols = np.nonzero(Y != NO_POLARITY)
        if not len(rows):
            raise ValueError("no mention has a polarity")
        counts = (Y != NO_POLARITY).sum(axis=0)
        self.label_models_ = [
            self._fit_one(X[Y[:, j] != NO_POLARITY], Y[Y[:, j] != NO_POLARITY, j])
            if counts[j] >= self.min_examples
            else None
            for j in range(self.n_labels_)
        ]
        # The shared model is only needed (and only fitted) for categories with few mentions.
        self.shared_ = self._fit_one(X[rows], Y[rows, cols]) if (counts < self.min_examples).any() else None
        return self

    def _fit_one(self, X, y: np.ndarray):
        """A logistic regression per polarity (one-vs-rest), or the class frequencies when only one occurs."""
        if len(np.unique(y)) < 2:
            return np.bincount(y, minlength=len(POLARITIES)) / len(y)
        # liblinear's dual solver: the same fit as the primal, 50 times faster with far
        # fewer mentions than features; one-vs-rest probabilities are normalised to sum to 1.
        lr = LogisticRegression(C=self.C, solver="liblinear", dual=True, max_iter=1000, random_state=self.random_state)
        return OneVsRestClassifier(lr).fit(X, y)

    def predict_proba(self, X, where=None) -> np.ndarray:
        """(n, k, 3) probabilities of neg, pos and neu per comment and category.

        `where` (n, k) bool: compute only these cells (the categories each comment was
        given; NaN elsewhere). A comment has one or two of 13 categories, so this takes
        about half the time, and every computed cell is the same number as without it.
        """
        check_is_fitted(self)
        n = X.shape[0]
        chosen = [self.shared_ if own is None else own for own in self.label_models_]
        if where is None:
            out = np.zeros((n, self.n_labels_, len(POLARITIES)))
            probabilities = _probabilities(list({id(m): m for m in chosen}.values()), X, n)
            for j, model in enumerate(chosen):
                out[:, j] = probabilities[id(model)]
            return out
        where = np.asarray(where, dtype=bool)
        if where.shape != (n, self.n_labels_):
            raise ValueError(f"where must be an (n_comments, {self.n_labels_}) matrix, not {where.shape}")
        out = np.full((n, self.n_labels_, len(POLARITIES)), np.nan)
        for j, model in enumerate(chosen):
            rows = np.flatnonzero(where[:, j])
            if len(rows):
                out[rows, j] = _probabilities([model], X[rows], len(rows))[id(model)]
        return out

    def predict(self, X) -> np.ndarray:
        """(n, k) polarity names: the most probable polarity of every category."""
        return self.classes_[self.predict_proba(X).argmax(axis=2)]


def _probabilities(models: list, X, n: int) -> dict[int, np.ndarray]:
    """(n, 3) polarity probabilities per model (by id), all one-vs-rest models scored in one pass.

    The same numbers as `OneVsRestClassifier.predict_proba` (the sigmoid of each
    class's decision value, normalised to sum to 1), from `decision_values`.
    """
    fitted = [m for m in models if isinstance(m, OneVsRestClassifier)]
    decisions = iter(decision_values([e for m in fitted for e in m.estimators_], X))
    out = {}
    for model in models:
        if isinstance(model, np.ndarray):  # the class frequencies: only one polarity was seen
            out[id(model)] = np.broadcast_to(model, (n, len(model))).copy()
            continue
        Y = np.array([expit(next(decisions)) for _ in model.estimators_]).T
        if len(model.estimators_) == 1:  # two polarities seen: one model, both columns
            Y = np.concatenate((1 - Y, Y), axis=1)
        row_sums = np.sum(Y, axis=1)[:, np.newaxis]
        np.divide(Y, row_sums, out=Y, where=row_sums != 0)
        full = np.zeros((n, len(POLARITIES)))
        full[:, model.classes_] = Y
        out[id(model)] = full
    return out


def polarity_codes(polarities: list[dict[str, str]], labels: list[str]) -> np.ndarray | None:
    """(n, k) polarity codes from labelled mentions; None when no mention has a polarity (bare ids)."""
    col = {lab: j for j, lab in enumerate(labels)}
    Y = np.full((len(polarities), len(labels)), NO_POLARITY, dtype=int)
    for i, mentions in enumerate(polarities):
        for lab, pol in mentions.items():
            if pol and lab in col:
                Y[i, col[lab]] = POLARITIES.index(pol)
    return Y if (Y != NO_POLARITY).any() else None
