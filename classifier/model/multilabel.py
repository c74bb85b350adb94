"""One calibrated linear classifier per label, with a decision threshold per label.

A scikit-learn estimator: `fit(X, Y)` with Y an (n, k) 0/1 matrix, `predict_proba`
and `predict` return (n, k) arrays. For each label it

1. gets out-of-fold decision values by cross-validation on the training data,
2. fits a sigmoid (Platt) calibration of those values, so probabilities mean
   what they say (what `CalibratedClassifierCV(method="sigmoid", ensemble=False)`
   does),
3. picks the probability threshold that maximises that label's F1 on the
   out-of-fold predictions (rare labels want lower thresholds than 0.5),
4. fits the classifier on all the data.

When every training row has exactly one label (a single-label codebook such as
sentiment), `predict` returns the most probable label for each row instead.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


class CalibratedThresholdClassifier(BaseEstimator, ClassifierMixin):
    """Per-label linear models with sigmoid-calibrated probabilities and tuned thresholds.

    Parameters
    ----------
    estimator : a linear classifier with `decision_function` (default: logistic regression).
    cv : folds for calibration and threshold tuning.
    exclusive : "auto", True or False. True: exactly one label per row (argmax).
    random_state : seed for the folds.
    """

    def __init__(self, estimator=None, cv: int = 5, exclusive="auto", random_state: int = 0):
        self.estimator = estimator
        self.cv = cv
        self.exclusive = exclusive
        self.random_state = random_state

    def fit(self, X, Y):
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y[:, None]
        base = (
            self.estimator
            if self.estimator is not None
            else LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced")
        )
        self.n_labels_ = Y.shape[1]
        self.exclusive_ = bool(np.all(Y.sum(axis=1) == 1)) if self.exclusive == "auto" else bool(self.exclusive)
        self.estimators_, self.calibration_, self.thresholds_ = [], [], []
        self.oof_proba_ = np.zeros(Y.shape, dtype=float)
        for j in range(self.n_labels_):
            y = Y[:, j].astype(int)
            if y.min() == y.max():  # a label that is always or never there
                self.estimators_.append(float(y[0]))
                self.calibration_.append((0.0, 0.0))
                self.thresholds_.append(0.5)
                self.oof_proba_[:, j] = float(y[0])
                continue
            n_splits = int(min(self.cv, y.sum(), len(y) - y.sum()))
            if n_splits >= 2:
                folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
                oof = cross_val_predict(clone(base), X, y, cv=folds, method="decision_function")
                slope, intercept = _fit_sigmoid(oof, y)
                proba = _sigmoid(oof, slope, intercept)
                threshold = best_f1_threshold(y, proba)
            else:  # too few examples to cross-validate
                slope, intercept, threshold = 1.0, 0.0, 0.5
                proba = np.full(len(y), y.mean())
            self.oof_proba_[:, j] = proba
            self.estimators_.append(clone(base).fit(X, y))
            self.calibration_.append((slope, intercept))
            self.thresholds_.append(float(threshold))
        self.thresholds_ = np.array(self.thresholds_)
        return self

    def decision_function(self, X) -> np.ndarray:
        n = X.shape[0]
        return np.column_stack(
            [np.full(n, 0.0) if isinstance(est, float) else est.decision_function(X) for est in self.estimators_]
        )

    def predict_proba(self, X) -> np.ndarray:
        n = X.shape[0]
        cols = []
        for est, (slope, intercept) in zip(self.estimators_, self.calibration_):
            if isinstance(est, float):
                cols.append(np.full(n, est))
            else:
                cols.append(_sigmoid(est.decision_function(X), slope, intercept))
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def predict(self, X) -> np.ndarray:
        return self.decide(self.predict_proba(X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """0/1 labels from probabilities: tuned thresholds, or argmax when exclusive."""
        if self.exclusive_:
            out = np.zeros(proba.shape, dtype=np.int8)
            if len(proba):
                out[np.arange(len(proba)), proba.argmax(axis=1)] = 1
            return out
        return (proba >= self.thresholds_).astype(np.int8)


def best_f1_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The threshold on the grid with the best F1; ties go to the middle of the tied run."""
    pos = y == 1
    scores = []
    for t in THRESHOLD_GRID:
        pred = proba >= t
        tp = np.sum(pred & pos)
        fp = np.sum(pred & ~pos)
        fn = np.sum(~pred & pos)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    scores = np.array(scores)
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return float(THRESHOLD_GRID[best[len(best) // 2]])


def _fit_sigmoid(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, solver="lbfgs").fit(decision.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _sigmoid(decision: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(slope * np.asarray(decision) + intercept)))
