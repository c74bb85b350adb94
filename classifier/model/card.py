"""The model card: what a model was trained on, how well it did, with which versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import platform
from dataclasses import dataclass

from .. import __version__
from .codebook import Codebook
from .dataset import LabelledData
from .model import ErrorRates, card_error_rates


@dataclass(frozen=True)
class ModelCard:
    """A saved model's card, read as data (JSON), without loading the model.

    What `classify drivers` needs of a model for a file that is tagged already:
    the display names of its labels and their cross-validated error rates.
    """

    card: dict
    name: str = ""
    sha256: str = ""  # of the model file, from its manifest

    @property
    def model_id(self) -> str:
        """As the predictions record it: `name@sha256[:12]`."""
        return f"{self.name}@{self.sha256[:12]}"

    @property
    def labels(self) -> list[str]:
        return [lab["id"] for lab in self.card["labels"]]

    @property
    def codebook(self) -> Codebook:
        return Codebook(self.labels, {lab["id"]: dict(lab["names"]) for lab in self.card["labels"]})

    def error_rates(self) -> dict[str, ErrorRates]:
        return card_error_rates(self.card, self.labels)


def card_problem(card: object) -> str:
    """What is missing or malformed in a model card read from a file ("" when it is fine)."""
    if not isinstance(card, dict):
        return "not a JSON object"
    labels = card.get("labels")
    if not isinstance(labels, list) or not all(
        isinstance(lab, dict)
        and isinstance(lab.get("id"), str)
        and isinstance(lab.get("names"), dict)
        and all(isinstance(n, str) for n in lab["names"].values())
        for lab in labels
    ):
        return "no list of labels with their names"
    data = card.get("training_data")
    if not isinstance(card.get("created"), str) or not isinstance(data, dict):
        return "no date or training data"
    files = data.get("files", [])
    if (
        not isinstance(data.get("source") or "", str)
        or not isinstance(files, list)
        or not all(isinstance(f, str) for f in files)
    ):
        return "no name of the training data"
    metrics = card.get("metrics")
    if metrics is None:
        return ""
    overall = metrics.get("all") if isinstance(metrics, dict) else None
    if not isinstance(overall, dict) or not isinstance(overall.get("per_label"), dict):
        return "no metrics per label"
    if not isinstance(overall.get("micro"), dict) or not _is_share(overall["micro"].get("f1")):
        return "no micro F1"
    for lab, scores in overall["per_label"].items():
        if not isinstance(scores, dict) or not all(_is_share(scores.get(k)) for k in ("sensitivity", "specificity")):
            return f"no sensitivity and specificity for {lab!r}"
    return ""


def _is_share(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1


def library_versions() -> dict[str, str]:
    import numpy as np
    import pandas as pd
    import scipy
    import sklearn
    import skops
    import spacy

    return {
        "classifier": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "spacy": spacy.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
        "pandas": pd.__version__,
    }


def model_card(model, data: LabelledData, languages: list[str], report: dict | None) -> dict:
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
        "feature_blocks": [name for name, _ in model.pipeline.named_steps["features"].transformer_list],
        "quality_mode": "e5" in dict(model.pipeline.named_steps["features"].transformer_list),
        "seed": model.seed,
        "single_label": bool(clf.exclusive_),
        "polarity": model.has_polarity,  # learnt from id:polarity labels; False for bare ids
        "n_comments": len(data),
        "training_data": {
            "source": data.source,
            "files": [f.name for f in data.files],
            "sha256": data.sha256 or _content_sha256(data),
            **({"sources": data.sources} if data.sources else {}),
        },
        "labels": [
            {
                "id": lab,
                "names": model.codebook.names.get(lab, {}),
                "count": int(sum(lab in l for l in data.labels)),
                "threshold": float(t),
            }
            for lab, t in zip(model.labels, clf.thresholds_)
        ],
        "counts_by_language": by_lang,
        "metrics": report,
        "versions": library_versions(),
    }


def _content_sha256(data: LabelledData) -> str:
    """For data built in memory (no files): a hash of the texts and labels themselves."""
    h = hashlib.sha256()
    for text, labels in zip(data.texts, data.labels):
        h.update(text.encode() + b"\t" + ";".join(labels).encode() + b"\n")
    return h.hexdigest()


def card_markdown(card: dict) -> str:
    out = [
        "# Model card",
        "",
        f"- Created: {card['created']}",
        f"- Variant: `{card['variant']}`, seed {card['seed']}"
        f"{', single-label (argmax)' if card.get('single_label') else ', multi-label (per-label thresholds)'}",
        f"- Polarity: {_polarity_line(card)}",
        f"- Training data: {card['n_comments']} comments from {', '.join(card['training_data']['files'])}",
        f"- Training data SHA-256: `{card['training_data']['sha256']}`",
        *(
            f"  - source {s['source']}: {s['rows']} comments"
            + (f" ({s['rows'] - s['kept']} replaced by a later source)" if s["kept"] < s["rows"] else "")
            + f", SHA-256 `{s['sha256']}`"
            for s in card["training_data"].get("sources", [])
        ),
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
        "",
        "## Labels",
        "",
        "| id | name | examples | threshold |",
        "|---|---|---:|---:|",
    ]
    for lab in card["labels"]:
        name = lab["names"].get("en") or lab["id"]
        out.append(f"| `{lab['id']}` | {name} | {lab['count']} | {lab['threshold']:.2f} |")
    langs = card["counts_by_language"]
    ids = [lab["id"] for lab in card["labels"]]
    out += ["", "## Examples per language", "", "| label | " + " | ".join(langs) + " |", "|---|" + "---:|" * len(langs)]
    for key in ["comments", "no label", *ids]:
        out.append(f"| {key} | " + " | ".join(str(langs[l].get(key, 0)) for l in langs) + " |")
    report = card.get("metrics")
    if report:
        out += [
            "",
            "## Out-of-sample metrics",
            "",
            report.get("method", ""),
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for lab in ids:
            s = report["all"]["per_label"][lab]
            out.append(f"| `{lab}` | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
        out += ["", "| language | n | micro F1 | macro F1 | exact match |", "|---|---:|---:|---:|---:|"]
        for name, s in report.items():
            if isinstance(s, dict) and "micro" in s:
                out.append(
                    f"| {name} | {s['n']} | {s['micro']['f1']:.3f} | {s['macro']['f1']:.3f} | {s['exact_match']:.3f} |"
                )
        if "polarity" in report.get("all", {}):
            out += [
                "",
                "Polarity: accuracy on the mentions whose category was assigned; F1 of (id, neg), (id, pos) "
                "and all (id, polarity) pairs.",
                "",
                "| language | polarity accuracy | complaint F1 | praise F1 | pairs F1 |",
                "|---|---:|---:|---:|---:|",
            ]
            for name, s in report.items():
                if isinstance(s, dict) and "polarity" in s:
                    p = s["polarity"]
                    out.append(
                        f"| {name} | {p['accuracy']:.3f} | {p['complaint_f1']:.3f} | {p['praise_f1']:.3f} | "
                        f"{p['pairs_f1']:.3f} |"
                    )
    return "\n".join(out)


def _polarity_line(card: dict) -> str:
    if not card.get("polarity"):
        return "no (trained on bare ids: labels carry no polarity)"
    scores = ((card.get("metrics") or {}).get("all") or {}).get("polarity")
    measured = f"; out-of-sample polarity accuracy {scores['accuracy']:.3f}" if scores else " (not evaluated)"
    return f"yes: neg / pos / neu per assigned category{measured}"
