"""Train on someone else's labels: the external Norwegian and Swedish sentiment sets.

    python scripts/bench_external.py [--external ../shared/external] [--variant word+char]

Trains the same pipeline a user gets from `classify train --data their.csv` on
each set's train split and scores it on the test split (accuracy, macro-F1),
for comparison with the published figures in ../shared/external/README.md.
The data is read where it lies and never copied into the repository.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from classifier import load_labelled, train

SETS = {
    "norec_sentence_3class": "NoReC sentence, 3 classes (nb); published: char TF-IDF + LR 52.9, "
    "mBERT 62.7, NB-BERT base 73.7, NorBERT3 large 78.4",
    "swedish_sentiment_timpal0l": "Swedish reviews, 2 classes (sv); shared baseline: char TF-IDF + LR 93.8",
}
DEFAULT_EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "external"


def score(model, test) -> tuple[float, float]:
    _, _, decided = model.predict_arrays(test.texts)
    gold = test.indicator(model.labels)
    accuracy = float((decided == gold).all(axis=1).mean())
    f1s = []
    for j in range(len(model.labels)):
        tp = np.sum((decided[:, j] == 1) & (gold[:, j] == 1))
        fp = np.sum((decided[:, j] == 1) & (gold[:, j] == 0))
        fn = np.sum((decided[:, j] == 0) & (gold[:, j] == 1))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return accuracy, float(np.mean(f1s))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--external", type=Path, default=DEFAULT_EXTERNAL)
    ap.add_argument("--variant", default="word+char")
    args = ap.parse_args()
    for name, published in SETS.items():
        folder = args.external / name
        if not (folder / "train.csv").exists():
            print(f"{name}: not found under {args.external}, skipped")
            continue
        train_data = load_labelled(folder / "train.csv", label_col="label")
        test_data = load_labelled(folder / "test.csv", label_col="label", codebook=train_data.codebook)
        t = time.perf_counter()
        model = train(train_data, variant=args.variant, evaluate=False)
        fit_s = time.perf_counter() - t
        accuracy, macro_f1 = score(model, test_data)
        print(
            f"{name}: train n={len(train_data)}, test n={len(test_data)}, variant {args.variant}: "
            f"accuracy {100 * accuracy:.1f}, macro-F1 {100 * macro_f1:.1f} (fit {fit_s:.0f} s)\n  {published}"
        )


if __name__ == "__main__":
    main()
