"""The model card: what a model was trained on, how well it did, with which versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform

from .. import __version__
from .dataset import LabelledData


def library_versions() -> dict[str, str]:
    import joblib
    import numpy as np
    import pandas as pd
    import scipy
    import sklearn
    import spacy

    return {
        "classifier": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "spacy": spacy.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
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
    return "\n".join(out)
