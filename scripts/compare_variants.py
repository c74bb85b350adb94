"""Compare feature/classifier variants on the shipped training data.

    python scripts/compare_variants.py [--data classifier/training_data] [--variants word word+char ...]

For each variant in classifier.model.VARIANTS: 5-fold cross-validated micro and
macro F1 overall and per language family (the same numbers `classify evaluate
--variant NAME` prints), the time to train (cross-validation included), and the
in-process prediction speed on 20,000 synthetic comments (one process). The
README's table comes from this script.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import synthetic_comment

from classifier import load_labelled, train
from classifier.model.pipeline import VARIANTS
from classifier.paths import shipped_data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(shipped_data()))
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = load_labelled(args.data)
    rng = random.Random(0)
    texts = [synthetic_comment(rng) for _ in range(20_000)]
    print(f"{len(data)} comments, {len(data.codebook.ids)} labels, 5-fold CV, seed {args.seed}\n")
    print("| variant | micro F1 | macro F1 | micro F1 no (nb+nn) | micro F1 sv | train s | predict/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.variants:
        t = time.perf_counter()
        model = train(data, variant=name, seed=args.seed)
        train_s = time.perf_counter() - t
        model.predict_arrays(texts[:100])  # warm up caches
        t = time.perf_counter()
        model.predict_arrays(texts)
        per_s = len(texts) / (time.perf_counter() - t)
        m = model.card["metrics"]
        print(
            f"| {name} | {m['all']['micro']['f1']:.3f} | {m['all']['macro']['f1']:.3f} | "
            f"{m['no (nb+nn)']['micro']['f1']:.3f} | {m['sv']['micro']['f1']:.3f} | {train_s:.0f} | {per_s:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
