"""Cross-validation and metrics per label and language."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold

from .dataset import LabelledData
from .model import check_codebook_match
from .polarity import NO_POLARITY


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
    polarity=None,
    polarity_codes: np.ndarray | None = None,
) -> dict:
    """K-fold out-of-fold predictions of the pipeline after its preprocessing step.

    `Xp` is the preprocessed text (the Preprocessor learns nothing, so it runs once).
    Each fold fits the features and the classifier, thresholds included, on the
    other folds only, so the scores are honest. With an unfitted `polarity`
    classifier and the (n, k) `polarity_codes`, each fold fits it too, and the report
    gets polarity scores per language.
    """
    Xp = np.asarray(Xp, dtype=object)
    proba = np.zeros(Y.shape, dtype=float)
    decided = np.zeros(Y.shape, dtype=np.int8)
    names = np.full(Y.shape, "", dtype=object)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(Xp):
        est = clone(pipeline[1:])
        features = est[0].fit_transform(Xp[train_idx])
        est[-1].fit(features, Y[train_idx])
        test_features = est[0].transform(Xp[test_idx])
        proba[test_idx] = est[-1].predict_proba(test_features)
        decided[test_idx] = est[-1].decide(proba[test_idx])
        # A fold whose training part has no polarity at all (a few corrections with polarity
        # among bare ids) predicts none for its test part.
        if polarity is not None and polarity_codes is not None and (polarity_codes[train_idx] != NO_POLARITY).any():
            fold_polarity = clone(polarity).fit(features, polarity_codes[train_idx])
            best = fold_polarity.predict(test_features)
            names[test_idx] = np.where(decided[test_idx].astype(bool), best, "")
        if on_progress:
            on_progress(1)  # one fold done
    gold_languages = data.languages or languages
    report = metrics(Y, decided, data.codebook.ids, gold_languages)
    if polarity is not None and polarity_codes is not None:
        add_polarity_scores(report, data.polarities or [], names, data.codebook.ids, gold_languages)
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


def polarity_scores(gold: list[dict[str, str]], names: np.ndarray, labels: list[str]) -> dict:
    """How well the polarity of assigned labels matches labelled `id:polarity` mentions.

    `gold`: per comment, id -> polarity ("" unknown); `names` (n, k): the predicted
    polarity of each assigned label, "" where the label is not assigned.

    - accuracy: over mentions whose category was assigned (and whose polarity is known),
      the share given the right polarity: the polarity model alone;
    - complaint_f1 / praise_f1: micro F1 of (id, neg) / (id, pos) pairs against the
      labelled ones: category and polarity together, what a reader of `complaints` sees;
    - pairs_f1: micro F1 of all (id, polarity) pairs, end to end.
    """
    col = {lab: j for j, lab in enumerate(labels)}
    right = judged = 0
    tp: dict[str, int] = {"neg": 0, "pos": 0, "all": 0}
    n_gold, n_pred = dict.fromkeys(tp, 0), dict.fromkeys(tp, 0)
    for i, mentions in enumerate(gold):
        truth = {(lab, pol) for lab, pol in mentions.items() if pol and lab in col}
        predicted = {(labels[j], str(names[i, j])) for j in np.flatnonzero(names[i] != "")}
        for lab, pol in truth:
            if names[i, col[lab]] != "":
                judged += 1
                right += names[i, col[lab]] == pol
        for kind in tp:
            keep = (lambda pairs: pairs) if kind == "all" else (lambda pairs, k=kind: {p for p in pairs if p[1] == k})
            tp[kind] += len(keep(truth) & keep(predicted))
            n_gold[kind] += len(keep(truth))
            n_pred[kind] += len(keep(predicted))
    f1 = {kind: _div(2 * tp[kind], n_gold[kind] + n_pred[kind]) for kind in tp}
    return {
        "accuracy": _div(right, judged),
        "judged": judged,
        "complaint_f1": f1["neg"],
        "praise_f1": f1["pos"],
        "pairs_f1": f1["all"],
    }


def add_polarity_scores(
    report: dict, gold: list[dict[str, str]], names: np.ndarray, labels: list[str], languages: list[str]
) -> None:
    """Polarity scores beside each language group of a metrics report (same groups)."""
    langs = np.asarray(languages)
    for group, scores in report.items():
        if not isinstance(scores, dict) or "micro" not in scores:
            continue
        mask = np.ones(len(langs), dtype=bool) if group == "all" else _group_mask(langs, group)
        scores["polarity"] = polarity_scores([g for g, m in zip(gold, mask) if m], names[mask], labels)


def _group_mask(langs: np.ndarray, group: str) -> np.ndarray:
    return np.isin(langs, ["nb", "nn"]) if group == "no (nb+nn)" else langs == group


def _div(a, b) -> float:
    return float(a / b) if b else 0.0


EVALUATE_CHUNK = 2_000  # comments scored between two progress updates


def evaluate_labelled(model, data: LabelledData, on_progress: Callable[[int], None] | None = None) -> dict:
    """Scores of a trained model on a labelled file (labels must be the model's)."""
    check_codebook_match(
        model, [lab for labs in data.labels for lab in labs], path=data.files[0] if data.files else None
    )
    from .model import clean_texts

    texts = clean_texts(data.texts)
    languages: list[str] = []
    decided_parts, name_parts = [], []
    for start in range(0, len(texts), EVALUATE_CHUNK):
        chunk = texts[start : start + EVALUATE_CHUNK]
        chunk_languages, proba, polarity_proba = model.probabilities(chunk)
        chunk_decided, _, chunk_polarity = model.decide(chunk, proba, polarity_proba)
        languages += chunk_languages
        decided_parts.append(chunk_decided)
        if chunk_polarity is not None:
            name_parts.append(chunk_polarity.names)
        if on_progress:
            on_progress(len(chunk))
    decided = np.vstack(decided_parts) if decided_parts else np.zeros((0, len(model.labels)), dtype=np.int8)
    names = np.vstack(name_parts) if name_parts else None
    Y = data.indicator(model.labels)
    report = metrics(Y, decided, model.labels, data.languages or languages)
    if names is not None and any(pol for mentions in data.polarities or [] for pol in mentions.values()):
        add_polarity_scores(report, data.polarities or [], names, model.labels, data.languages or languages)
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
    if "polarity" in overall:
        lines += ["", "polarity: accuracy on assigned categories; F1 of (id, neg), (id, pos) and all (id, polarity)"]
        lines.append(f"{'language':14s} {'accuracy':>9s} {'complaint F1':>13s} {'praise F1':>10s} {'pairs F1':>9s}")
        for name, s in report.items():
            if isinstance(s, dict) and "polarity" in s:
                p = s["polarity"]
                lines.append(
                    f"{name:14s} {p['accuracy']:9.3f} {p['complaint_f1']:13.3f} {p['praise_f1']:10.3f} "
                    f"{p['pairs_f1']:9.3f}"
                )
    return "\n".join(lines)
