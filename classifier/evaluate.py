"""Cross-validation and metrics per label and language, and the model card."""
from __future__ import annotations

import datetime as dt

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold

from .dataset import LabelledData
from .errors import InputError


def cross_validate(pipeline, Xp, Y: np.ndarray, data: LabelledData, languages: list[str],
                   *, folds: int = 5, seed: int = 0) -> dict:
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
            "precision": precision, "recall": recall, "f1": _div(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]),
            "support": int(Y[:, j].sum()), "predicted": int(P[:, j].sum()),
            "sensitivity": recall, "specificity": _div(tn[j], tn[j] + fp[j]),
        }
    supported = [v for v in per_label.values() if v["support"] > 0]
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    none_true, none_pred = ~Y.any(axis=1), ~P.any(axis=1)
    return {
        "n": int(len(Y)),
        "micro": {"precision": _div(TP, TP + FP), "recall": _div(TP, TP + FN),
                  "f1": _div(2 * TP, 2 * TP + FP + FN)},
        "macro": {k: float(np.mean([v[k] for v in supported])) if supported else 0.0
                  for k in ("precision", "recall", "f1")},
        "exact_match": float((Y == P).all(axis=1).mean()) if len(Y) else 0.0,
        "no_label_f1": _div(2 * (none_true & none_pred).sum(),
                            none_true.sum() + none_pred.sum()),
        "per_label": per_label,
    }


def _div(a, b) -> float:
    return float(a / b) if b else 0.0


def evaluate_labelled(model, data: LabelledData) -> dict:
    """Scores of a trained model on a labelled file (labels must be the model's)."""
    unknown = sorted({lab for labs in data.labels for lab in labs} - set(model.labels))
    if unknown:
        raise InputError(f"has labels the model does not know: {', '.join(unknown)}",
                         path=data.files[0] if data.files else None)
    languages, _, decided = model.predict_arrays(data.texts)
    Y = data.indicator(model.labels)
    report = metrics(Y, decided, model.labels, data.languages or languages)
    report["method"] = f"scores on {len(data)} labelled comments"
    return report


# --------------------------------------------------------------------------- model card

def model_card(model, data: LabelledData, languages: list[str], report: dict | None) -> dict:
    from .model import library_versions

    gold = data.languages or languages
    by_lang: dict[str, dict[str, int]] = {}
    for labs, lang in zip(data.labels, gold):
        counts = by_lang.setdefault(lang, {"comments": 0, "no label": 0})
        counts["comments"] += 1
        if not labs:
            counts["no label"] += 1
        for lab in labs:
            counts[lab] = counts.get(lab, 0) + 1
    clf = model.pipeline[-1]
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "variant": model.variant,
        "seed": model.seed,
        "single_label": bool(clf.exclusive_),
        "n_comments": len(data),
        "training_data": {"files": [f.name for f in data.files], "sha256": data.sha256 or _content_sha256(data)},
        "labels": [{"id": lab, "names": model.codebook.names.get(lab, {}),
                    "count": int(sum(lab in l for l in data.labels)),
                    "threshold": float(t)} for lab, t in zip(model.labels, clf.thresholds_)],
        "counts_by_language": by_lang,
        "metrics": report,
        "versions": library_versions(),
    }


def _content_sha256(data: LabelledData) -> str:
    """For data built in memory (no files): a hash of the texts and labels themselves."""
    import hashlib

    h = hashlib.sha256()
    for text, labels in zip(data.texts, data.labels):
        h.update(text.encode() + b"\t" + ";".join(labels).encode() + b"\n")
    return h.hexdigest()


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
            lines.append(f"{name:14s} {s['n']:6d} {s['micro']['precision']:8.3f} {s['micro']['recall']:8.3f} "
                         f"{s['micro']['f1']:9.3f} {s['macro']['f1']:9.3f}")
    return "\n".join(lines)


def card_markdown(card: dict) -> str:
    out = ["# Model card", "",
           f"- Created: {card['created']}",
           f"- Variant: `{card['variant']}`, seed {card['seed']}"
           f"{', single-label (argmax)' if card.get('single_label') else ', multi-label (per-label thresholds)'}",
           f"- Training data: {card['n_comments']} comments from {', '.join(card['training_data']['files'])}",
           f"- Training data SHA-256: `{card['training_data']['sha256']}`",
           "- Versions: " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
           "", "## Labels", "",
           "| id | name | examples | threshold |", "|---|---|---:|---:|"]
    for lab in card["labels"]:
        name = lab["names"].get("en") or lab["id"]
        out.append(f"| `{lab['id']}` | {name} | {lab['count']} | {lab['threshold']:.2f} |")
    langs = card["counts_by_language"]
    ids = [lab["id"] for lab in card["labels"]]
    out += ["", "## Examples per language", "",
            "| label | " + " | ".join(langs) + " |", "|---|" + "---:|" * len(langs)]
    for key in ["comments", "no label", *ids]:
        out.append(f"| {key} | " + " | ".join(str(langs[l].get(key, 0)) for l in langs) + " |")
    report = card.get("metrics")
    if report:
        out += ["", "## Cross-validated metrics", "", report.get("method", ""), "",
                "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for lab in ids:
            s = report["all"]["per_label"][lab]
            out.append(f"| `{lab}` | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
        out += ["", "| language | n | micro F1 | macro F1 | exact match |", "|---|---:|---:|---:|---:|"]
        for name, s in report.items():
            if isinstance(s, dict) and "micro" in s:
                out.append(f"| {name} | {s['n']} | {s['micro']['f1']:.3f} | {s['macro']['f1']:.3f} | "
                           f"{s['exact_match']:.3f} |")
    return "\n".join(out)
