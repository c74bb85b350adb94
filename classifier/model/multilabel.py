"""One calibrated linear classifier per label, with a decision threshold per label.

A scikit-learn estimator: `fit(X, Y)` with Y an (n, k) 0/1 matrix, `predict_proba`
and `predict` return (n, k) arrays (a 1-D target works as for any classifier). For
each label it

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

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .linear import decision_values

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


class CalibratedThresholdClassifier(ClassifierMixin, BaseEstimator):
    """Per-label linear models with sigmoid-calibrated probabilities and tuned thresholds.

    Parameters
    ----------
    estimator : a linear classifier with `decision_function` (default: logistic regression).
    cv : folds for calibration and threshold tuning.
    exclusive : "auto", True or False. True: exactly one label per row (argmax).
    random_state : seed for the folds.
    threshold_prior : a tuned threshold is shrunk towards 0.5 as if this many extra
        examples had voted for 0.5: a label with 15 examples gets a threshold halfway
        between its F1-best and 0.5, one with 500 keeps its own (thresholds tuned on few
        examples are noisy, and a low one floods the output).

    `fit(X, Y)` takes an (n, k) 0/1 label matrix (multi-label: `predict` returns an
    (n, k) matrix) or a 1-D array of class labels (single-label, as any scikit-learn
    classifier: `predict` returns the most probable class, `predict_proba` sums to 1).

    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [0.2], [0.3], [1.0], [1.1], [1.2], [1.3]] * 3)
    >>> clf = CalibratedThresholdClassifier(cv=3).fit(X, ["no", "no", "no", "no", "yes", "yes", "yes", "yes"] * 3)
    >>> clf.predict([[0.05], [1.25]]).tolist()
    ['no', 'yes']
    """

    def __init__(self, estimator=None, cv: int = 5, exclusive="auto", random_state: int = 0, threshold_prior: int = 15):
        self.estimator = estimator
        self.cv = cv
        self.exclusive = exclusive
        self.random_state = random_state
        self.threshold_prior = threshold_prior

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self, X, y):
        # float64 once here, or every one of the per-label fits converts its own copy.
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, multi_output=True, ensure_min_samples=2)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and not np.isin(y, (0, 1)).all():
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is raveled",
                DataConversionWarning,
                stacklevel=2,
            )
            y = y.ravel()
        self.multilabel_ = y.ndim == 2
        if self.multilabel_:
            type_of_target(y, input_name="y")
            Y = y.astype(int)
            if not np.isin(Y, (0, 1)).all():
                raise ValueError("a 2-D y must be a 0/1 label indicator matrix")
            self.classes_ = [np.array([0, 1])] * Y.shape[1]
            exclusive = bool(np.all(Y.sum(axis=1) == 1)) if self.exclusive == "auto" else bool(self.exclusive)
        else:
            check_classification_targets(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(f"needs samples of at least 2 classes; got one class: {self.classes_[0]!r}")
            # Binary: one model for the second class. Multiclass: one model per class.
            targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
            Y = np.column_stack([(y == c).astype(int) for c in targets])
            exclusive = True
        self.exclusive_ = exclusive
        base = (
            self.estimator
            if self.estimator is not None
            else LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced")
        )
        self.n_labels_ = Y.shape[1]
        estimators, calibration, thresholds = [], [], []
        self.oof_proba_ = np.zeros(Y.shape, dtype=float)
        for j in range(self.n_labels_):
            est, cal, threshold, proba = self._fit_label(base, X, Y[:, j])
            estimators.append(est)
            calibration.append(cal)
            thresholds.append(threshold)
            self.oof_proba_[:, j] = proba
        self.estimators_, self.calibration_ = estimators, calibration
        self.thresholds_ = np.array(thresholds)
        return self

    def _fit_label(self, base, X, y: np.ndarray):
        """The fitted model, its sigmoid calibration, its F1-best threshold and out-of-fold probabilities."""
        if y.min() == y.max():  # a label that is always or never there
            return float(y[0]), (0.0, 0.0), 0.5, np.full(len(y), float(y[0]))
        n_splits = int(min(self.cv, y.sum(), len(y) - y.sum()))
        if n_splits >= 2:
            folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
            oof = cross_val_predict(clone(base), X, y, cv=folds, method="decision_function")
            slope, intercept = _fit_sigmoid(oof, y)
            proba = _sigmoid(oof, slope, intercept)
            positives = int(y.sum())
            best = best_f1_threshold(y, proba)
            threshold = (positives * best + self.threshold_prior * 0.5) / (positives + self.threshold_prior)
        else:  # too few examples to cross-validate
            slope, intercept, threshold = 1.0, 0.0, 0.5
            proba = np.full(len(y), y.mean())
        return clone(base).fit(X, y), (slope, intercept), float(threshold), proba

    def _label_logits(self, X) -> np.ndarray:
        """Calibrated log-odds per label (n, n_labels): the sigmoid of these is the probability."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        n = X.shape[0]
        models = [est for est in self.estimators_ if not isinstance(est, float)]
        decisions = iter(decision_values(models, X))
        cols = []
        for est, (slope, intercept) in zip(self.estimators_, self.calibration_):
            if isinstance(est, float):  # constant label: +-inf log-odds, clipped
                cols.append(np.full(n, 30.0 if est else -30.0))
            else:
                cols.append(slope * next(decisions) + intercept)
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def decision_function(self, X) -> np.ndarray:
        """Calibrated log-odds: (n, k) per label or class; (n,) for a binary 1-D target."""
        logits = self._label_logits(X)
        if not self.multilabel_ and len(self.classes_) == 2:
            return logits[:, 0]
        return logits

    def predict_proba(self, X) -> np.ndarray:
        """(n, k) probabilities: per label (multi-label), or per class summing to 1 (1-D target)."""
        proba = _sigmoid(self._label_logits(X), 1.0, 0.0)
        if self.multilabel_:
            return proba
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        total = proba.sum(axis=1, keepdims=True)
        return np.divide(proba, total, out=np.full_like(proba, 1.0 / proba.shape[1]), where=total > 0)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        if not self.multilabel_:
            return self.classes_[proba.argmax(axis=1)]
        return self.decide(proba).astype(np.int64)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """0/1 labels (n, k) from multi-label probabilities: tuned thresholds, or argmax when exclusive."""
        check_is_fitted(self)
        if self.exclusive_:
            out = np.zeros(proba.shape, dtype=np.int8)
            if len(proba):
                out[np.arange(len(proba)), proba.argmax(axis=1)] = 1
            return out
        return (proba >= self.thresholds_).astype(np.int8)


def best_f1_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The threshold on the grid with the best F1; ties go to the middle of the tied run."""
    pos = y == 1
    f1 = []
    for t in THRESHOLD_GRID:
        pred = proba >= t
        tp = np.sum(pred & pos)
        fp = np.sum(pred & ~pos)
        fn = np.sum(~pred & pos)
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    scores = np.array(f1)
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return float(THRESHOLD_GRID[best[len(best) // 2]])


def _fit_sigmoid(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, solver="lbfgs").fit(decision.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _sigmoid(decision: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    z = np.clip(slope * np.asarray(decision, dtype=float) + intercept, -500, 500)
    return 1.0 / (1.0 + np.exp(-z))
