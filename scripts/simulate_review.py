"""What the review loop buys: k comments coded from the review queue vs k chosen at random.

    python scripts/simulate_review.py [--repeats 2] [--jobs 2] [--seed 0]

Replays `classify review` on the held-apart test set (`evaluation/test_nb.csv`,
`evaluation/test_sv.csv`). The base model is the default model (the shipped data, seed 0).
Each language's test comments are split into three folds; for each fold, the other two
folds are the pool a person codes from and the fold itself is scored, so every test
comment is scored once, by a model that never saw it, and the queue and the random
baseline are scored on the same comments. For each k in 25, 50, 100, 200:

- queue: the k pool comments the base model is least sure of, near-variants skipped
  (`classifier.review.queue`, as `classify review` chooses them);
- random: k pool comments drawn at random (`--repeats` draws, seeds 0, 1, ...);

the chosen comments, "corrected" with their gold labels, are added to the shipped data
(k per language: nb and sv corrections in one retraining, as a centre coding both), the
model is retrained (seed 0), and micro F1 over categories is computed on the scored folds.
Prints a Markdown table per language: k = 0 is the base model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).parent))
from compare_variants import test_sets

from classifier import load_labelled
from classifier.model.metrics import metrics
from classifier.model.pipeline import build_pipeline
from classifier.paths import shipped_data
from classifier.review.queue import choose_diverse, comment_confidence, decision_confidence

KS = (25, 50, 100, 200)
FOLDS = 3
LANGUAGES = ("nb", "sv")


def micro_f1(Y: np.ndarray, P: np.ndarray, labels: list[str]) -> float:
    return metrics(Y, P, labels, ["x"] * len(Y))["all"]["micro"]["f1"]


def fit_predict(pipeline, X_train, Y_train, X_test) -> np.ndarray:
    """0/1 decisions on X_test of the pipeline (after preprocessing) fitted on the training rows."""
    est = clone(pipeline[1:]).fit(X_train, Y_train)
    return est[-1].decide(est.predict_proba(X_test))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2, help="random draws per k and fold")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    started = time.time()

    train = load_labelled(shipped_data())
    tests = test_sets(train.codebook)
    labels = train.codebook.ids
    pipeline = build_pipeline(seed=args.seed)
    prep = pipeline[0]

    def preprocessed(data) -> np.ndarray:
        import pandas as pd

        from classifier.text.language import detect

        frame = pd.DataFrame({"text": data.texts, "language": data.languages or detect(data.texts)})
        return np.asarray(prep.transform(frame), dtype=object)

    X_train, Y_train = preprocessed(train), train.indicator(labels)
    X_test = {lang: preprocessed(tests[lang]) for lang in LANGUAGES}
    Y_test = {lang: tests[lang].indicator(labels) for lang in LANGUAGES}
    texts = {lang: tests[lang].texts for lang in LANGUAGES}

    base = clone(pipeline[1:]).fit(X_train, Y_train)
    clf = base[-1]
    confidence, base_decided = {}, {}
    for lang in LANGUAGES:
        proba = base.predict_proba(X_test[lang])
        base_decided[lang] = clf.decide(proba)
        confidence[lang] = comment_confidence(decision_confidence(proba, base_decided[lang]))
    print(f"base model fitted ({time.time() - started:.0f} s)", flush=True)

    folds = {lang: list(KFold(FOLDS, shuffle=True, random_state=args.seed).split(X_test[lang])) for lang in LANGUAGES}

    def picks(lang: str, fold: int, k: int, arm: str, repeat: int) -> np.ndarray:
        pool = folds[lang][fold][0]
        if arm == "queue":
            order = pool[np.argsort(confidence[lang][pool], kind="stable")]
            chosen, _ = choose_diverse(texts[lang], order, k)
            if len(chosen) < k:  # a small pool runs out of dissimilar comments: fill in queue order
                chosen += [int(i) for i in order if i not in set(chosen)][: k - len(chosen)]
            return np.array(chosen)
        return np.random.default_rng([args.seed, repeat, k, fold, LANGUAGES.index(lang)]).choice(
            pool, size=k, replace=False
        )

    runs = []  # (arm, repeat, k, fold)
    for fold in range(FOLDS):
        for k in KS:
            runs.append(("queue", 0, k, fold))
            runs += [("random", r, k, fold) for r in range(args.repeats)]

    def one_run(arm: str, repeat: int, k: int, fold: int) -> dict[str, np.ndarray]:
        chosen = {lang: picks(lang, fold, k, arm, repeat) for lang in LANGUAGES}
        X = np.concatenate([X_train, *(X_test[lang][chosen[lang]] for lang in LANGUAGES)])
        Y = np.concatenate([Y_train, *(Y_test[lang][chosen[lang]] for lang in LANGUAGES)])
        X_scored = np.concatenate([X_test[lang][folds[lang][fold][1]] for lang in LANGUAGES])
        decided = fit_predict(pipeline, X, Y, X_scored)
        n_nb = len(folds["nb"][fold][1])
        return {"nb": decided[:n_nb], "sv": decided[n_nb:]}

    results = Parallel(n_jobs=args.jobs)(delayed(one_run)(*run) for run in runs)

    # Every test comment is scored once per (arm, repeat, k): gather the folds, then score.
    gathered: dict[tuple, dict[str, np.ndarray]] = {}
    for (arm, repeat, k, fold), decided in zip(runs, results):
        slot = gathered.setdefault((arm, repeat, k), {lang: np.zeros_like(Y_test[lang]) for lang in LANGUAGES})
        for lang in LANGUAGES:
            slot[lang][folds[lang][fold][1]] = decided[lang]

    for lang in LANGUAGES:
        n = len(Y_test[lang])
        print(f"\n{lang}: micro F1 on the {n} test comments (each scored by a model that never saw it)\n")
        print("| k coded | queue | random (mean) | random (range) | queue - random |")
        print("|---:|---:|---:|---:|---:|")
        print(f"| 0 | {micro_f1(Y_test[lang], base_decided[lang], labels):.3f} | | | |")
        for k in KS:
            q = micro_f1(Y_test[lang], gathered[("queue", 0, k)][lang], labels)
            r = [micro_f1(Y_test[lang], gathered[("random", rep, k)][lang], labels) for rep in range(args.repeats)]
            print(f"| {k} | {q:.3f} | {np.mean(r):.3f} | {min(r):.3f} to {max(r):.3f} | {q - np.mean(r):+.3f} |")
    print(f"\n{len(runs)} retrainings, {args.repeats} random draws per k and fold; {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
