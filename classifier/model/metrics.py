"""Cross-validation and metrics per label and language."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold

from .dataset import LabelledData
from .model import check_codebook_match


def cross_validate(
    pipeline,
    Xp,
    Y: np.ndarray,
    data: LabelledData,
    languages: list[str],
    *,
    folds: int = 5,
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> dict:
    """K-fold out-of-fold predictions of the pipeline after its preprocessing step.

    `Xp` is the preprocessed text (the Preprocessor learns nothing, so it runs once).
    Each fold fits the features and the classifier, thresholds included, on the
    other folds only, so the scores are honest.
    """
    Xp = np.asarray(Xp, dtype=object)
    proba = np.zeros(Y.shape, dtype=float)
    decided = np.zeros(Y.shape, dtype=np.int8)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(Xp):
        est = clone(pipeline[1:]).fit(Xp[train_idx], Y[train_idx])
        proba[test_idx] = est.predict_proba(Xp[test_idx])
        decided[test_idx] = est[-1].decide(proba[test_idx])
        if on_progress:
            on_progress(1)  # one fold done
    report = metrics(Y, decided, data.codebook.ids, data.languages or languages)
    report["method"] = f"{folds}-fold cross-validation (shuffled, seed {seed}) on the training data"
    return report


def metrics(Y: np.ndarray, P: np.ndarray, labels: list[str], languages: list[str]) -> dict:
    """Precision, recall, F1 and error rates per label; micro and macro; overall and per language."""
    langs = np.asarray(languages)
    groups = {"all": np.ones(len(Y), dtype=bool)}
    for code in sorted(set(languages)):
        groups[code] = langs == code
    if {"nb", "nn"} <= set(languages):
        groups["no (nb+nn)"] = np.isin(langs, ["nb", "nn"])
    return {name: _scores(Y[mask], P[mask], labels) for name, mask in groups.items() if mask.any()}


def _scores(Y: np.ndarray, P: np.ndarray, labels: list[str]) -> dict:
    Y, P = Y.astype(bool), P.astype(bool)
    tp, fp = (Y & P).sum(axis=0), (~Y & P).sum(axis=0)
    fn, tn = (Y & ~P).sum(axis=0), (~Y & ~P).sum(axis=0)
    per_label = {}
    for j, lab in enumerate(labels):
        precision = _div(tp[j], tp[j] + fp[j])
        recall = _div(tp[j], tp[j] + fn[j])
        per_label[lab] = {
            "precision": precision,
            "recall": recall,
            "f1": _div(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]),
            "support": int(Y[:, j].sum()),
            "predicted": int(P[:, j].sum()),
            "sensitivity": recall,
            "specificity": _div(tn[j], tn[j] + fp[j]),
        }
    supported = [v for v in per_label.values() if v["support"] > 0]
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    none_true, none_pred = ~Y.any(axis=1), ~P.any(axis=1)
    return {
        "n": int(len(Y)),
        "micro": {"precision": _div(TP, TP + FP), "recall": _div(TP, TP + FN), "f1": _div(2 * TP, 2 * TP + FP + FN)},
        "macro": {
            k: float(np.mean([v[k] for v in supported])) if supported else 0.0 for k in ("precision", "recall", "f1")
        },
        "exact_match": float((Y == P).all(axis=1).mean()) if len(Y) else 0.0,
        "no_label_f1": _div(2 * (none_true & none_pred).sum(), none_true.sum() + none_pred.sum()),
        "per_label": per_label,
    }


def _div(a, b) -> float:
    return float(a / b) if b else 0.0


EVALUATE_CHUNK = 2_000  # comments scored between two progress updates


def evaluate_labelled(model, data: LabelledData, on_progress: Callable[[int], None] | None = None) -> dict:
    """Scores of a trained model on a labelled file (labels must be the model's)."""
    check_codebook_match(
        model, [lab for labs in data.labels for lab in labs], path=data.files[0] if data.files else None
    )
    languages: list[str] = []
    parts = []
    for start in range(0, len(data.texts), EVALUATE_CHUNK):
        chunk_languages, _, chunk_decided = model.predict_arrays(data.texts[start : start + EVALUATE_CHUNK])
        languages += chunk_languages
        parts.append(chunk_decided)
        if on_progress:
            on_progress(len(chunk_languages))
    decided = np.vstack(parts) if parts else np.zeros((0, len(model.labels)), dtype=np.int8)
    Y = data.indicator(model.labels)
    report = metrics(Y, decided, model.labels, data.languages or languages)
    report["method"] = f"scores on {len(data)} labelled comments"
    return report


def format_report(report: dict, labels: list[str], title: str = "") -> str:
    """A plain-text table: per label P/R/F1/support, then micro and macro per language."""
    lines = [title] if title else []
    overall = report["all"]
    lines.append(f"{'label':26s} {'prec':>6s} {'recall':>6s} {'F1':>6s} {'support':>8s}")
    for lab in labels:
        s = overall["per_label"][lab]
        lines.append(f"{lab:26s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:8d}")
    lines.append("")
    lines.append(f"{'language':14s} {'n':>6s} {'micro P':>8s} {'micro R':>8s} {'micro F1':>9s} {'macro F1':>9s}")
    for name, s in report.items():
        if isinstance(s, dict) and "micro" in s:
            lines.append(
                f"{name:14s} {s['n']:6d} {s['micro']['precision']:8.3f} {s['micro']['recall']:8.3f} "
                f"{s['micro']['f1']:9.3f} {s['macro']['f1']:9.3f}"
            )
    return "\n".join(lines)
