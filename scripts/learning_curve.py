"""What more training data buys: the default model trained on 25/50/75/100% of the shipped data,
scored on the held-apart test set, per language.

    python scripts/learning_curve.py [--variant word+char] [--seed 0]

Each fraction is a random sample (seeded) of the comments of each language family;
the classifier is fitted without the outer cross-validation (its card is not needed).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from compare_variants import test_sets

from classifier import load_labelled, train
from classifier.model.dataset import LabelledData
from classifier.model.metrics import evaluate_labelled
from classifier.paths import shipped_data

FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def subset(data: LabelledData, fraction: float, seed: int) -> LabelledData:
    rng = random.Random(seed)
    languages = data.languages or ["?"] * len(data)
    keep = []
    for family in ({"nb", "nn"}, {"sv"}):
        rows = [i for i, lang in enumerate(languages) if lang in family]
        keep += rng.sample(rows, round(fraction * len(rows)))
    keep.sort()
    return LabelledData(
        [data.texts[i] for i in keep], [data.labels[i] for i in keep], data.codebook, [languages[i] for i in keep]
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="word+char")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = load_labelled(shipped_data())
    tests = test_sets(data.codebook)
    print("| training data | comments | test micro F1 no | test micro F1 sv | test macro F1 no | test macro F1 sv |")
    print("|---:|---:|---:|---:|---:|---:|")
    for fraction in FRACTIONS:
        part = subset(data, fraction, args.seed)
        model = train(part, variant=args.variant, seed=args.seed, evaluate=False)
        s = {k: evaluate_labelled(model, v)["all"] for k, v in tests.items()}
        print(
            f"| {fraction:.0%} | {len(part)} | {s['nb']['micro']['f1']:.3f} | {s['sv']['micro']['f1']:.3f} | "
            f"{s['nb']['macro']['f1']:.3f} | {s['sv']['macro']['f1']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
