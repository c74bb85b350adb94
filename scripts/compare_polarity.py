"""Compare ways to learn the polarity (neg / pos / neu) of each category, on the held-apart test set.

    python scripts/compare_polarity.py [--data DIR] [--seed N] [--no-clause]

The category model is the default one, trained once on the training data (default: the
shipped data); each polarity method is then fitted on the same features and scored on
evaluation/test_nb.csv and evaluation/test_sv.csv (never trained on), per language:

- accuracy: of the labelled mentions whose category the model assigned, the share given
  the labelled polarity (the polarity model alone);
- complaint F1, praise F1: micro F1 of predicted (id, neg) and (id, pos) pairs against
  the labelled ones (category and polarity together, what the `complaints` and
  `praise` columns hold);
- pairs F1: micro F1 of all (id, polarity) pairs, end to end.

Methods: the most frequent polarity of each category (the baseline); one model shared
by every category; one model per category (the default, `PolarityClassifier`); and one
model per category over the comment and the clause most likely to mention the category
(split at sentence ends and at "men", "but", "fast", "selv om", "även om", ...).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from classifier import load_labelled, train
from classifier.model.dataset import POLARITIES
from classifier.model.metrics import polarity_scores
from classifier.model.model import clean_texts
from classifier.model.polarity import PolarityClassifier, polarity_codes
from classifier.paths import shipped_data
from classifier.text import language as lang_mod

EVALUATION = Path(__file__).resolve().parent.parent / "evaluation"
CONTRAST = r"(?:men|but|fast|although|however|selv om|även om|trots att|likevel|ändå|dock|derimot|däremot)"
CLAUSE_BREAK = re.compile(rf"[.!?;\n]+\s*|,?\s+(?={CONTRAST}\b)", re.IGNORECASE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(shipped_data()))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-clause", action="store_true", help="leave out the clause-level method (the slow one)")
    args = ap.parse_args()
    data = load_labelled(args.data)
    ids = data.codebook.ids
    tests = {
        family: load_labelled(EVALUATION / f"test_{family}.csv", codebook=data.codebook) for family in ("nb", "sv")
    }
    model = train(data, seed=args.seed, evaluate=False)
    pipeline = model.pipeline

    def features(texts: list[str], languages: list[str]):
        return pipeline[:-1].transform(pd.DataFrame({"text": texts, "language": languages}))

    train_langs = lang_mod.detect(data.texts)
    X = features(data.texts, train_langs)
    codes = polarity_codes(data.polarities or [], ids)
    if codes is None:
        raise SystemExit("the training data has no id:polarity labels")
    test_texts = {f: clean_texts(t.texts) for f, t in tests.items()}
    test_langs = {f: lang_mod.detect(texts) for f, texts in test_texts.items()}
    test_X = {f: features(test_texts[f], test_langs[f]) for f in tests}
    # The categories are the default model's decisions: polarity is judged on what it assigns.
    assigned = {f: model.decide(test_texts[f], pipeline[-1].predict_proba(test_X[f]))[0] for f in tests}

    def shared_or_per_category(min_examples: int):
        def run():
            clf = PolarityClassifier(min_examples=min_examples, random_state=args.seed).fit(X, codes)
            return {f: clf.predict_proba(test_X[f]) for f in tests}

        return run

    def majority():
        counts = np.stack([np.bincount(codes[codes[:, j] >= 0, j], minlength=3) for j in range(len(ids))])
        return {f: np.broadcast_to(counts, (len(tests[f]), *counts.shape)).astype(float) for f in tests}

    def comment_and_clause():
        train_blocks = comment_and_clause_features(data.texts, train_langs, X, pipeline)
        test_blocks = {f: comment_and_clause_features(test_texts[f], test_langs[f], test_X[f], pipeline) for f in tests}
        out = {f: np.zeros((len(tests[f]), len(ids), 3)) for f in tests}
        for j in range(len(ids)):
            clf = PolarityClassifier(random_state=args.seed).fit(train_blocks[j], codes[:, [j]])
            for f in tests:
                out[f][:, j] = clf.predict_proba(test_blocks[f][j])[:, 0]
        return out

    methods = [
        ("most frequent polarity of the category (baseline)", majority),
        ("one model shared by all categories", shared_or_per_category(min_examples=len(data) + 1)),
        ("one model per category (default)", shared_or_per_category(min_examples=50)),
    ]
    if not args.no_clause:
        methods.append(("one model per category, comment + its clause", comment_and_clause))

    print(
        f"train: {len(data)} comments from {data.source}; test: "
        + ", ".join(f"{f} {len(t)}" for f, t in tests.items())
        + f"; seed {args.seed}; categories assigned by the default model\n"
    )
    head = "| method | " + " | ".join(
        f"{f} {m}" for f in tests for m in ("accuracy", "complaint F1", "praise F1", "pairs F1")
    )
    print(head + " | fit s |")
    print("|---|" + "---:|" * (4 * len(tests) + 1))
    for name, run in methods:
        t = time.perf_counter()
        proba = run()
        seconds = time.perf_counter() - t
        cells = []
        for f, test in tests.items():
            best = np.array(POLARITIES, dtype=object)[proba[f].argmax(axis=2)]
            names = np.where(assigned[f].astype(bool), best, "")
            s = polarity_scores(test.polarities or [], names, ids)
            cells += [
                f"{s['accuracy']:.3f}",
                f"{s['complaint_f1']:.3f}",
                f"{s['praise_f1']:.3f}",
                f"{s['pairs_f1']:.3f}",
            ]
        print(f"| {name} | " + " | ".join(cells) + f" | {seconds:.0f} |", flush=True)


def comment_and_clause_features(texts: list[str], languages: list[str], X, pipeline) -> list:
    """Per category: the comment's features beside those of its clause most likely to mention it."""
    pieces, owner = [], []
    for i, text in enumerate(texts):
        clauses = [c.strip() for c in CLAUSE_BREAK.split(text) if c and len(c.strip()) > 2] or [text]
        pieces += clauses
        owner += [i] * len(clauses)
    owner_arr = np.array(owner)
    clause_X = pipeline[:-1].transform(pd.DataFrame({"text": pieces, "language": [languages[i] for i in owner]}))
    clause_proba = pipeline[-1].predict_proba(clause_X)
    blocks = []
    for j in range(clause_proba.shape[1]):
        # the clause with the highest probability of category j, per comment (clauses are in comment order)
        order = np.lexsort((-clause_proba[:, j], owner_arr))
        first = order[np.r_[True, owner_arr[order][1:] != owner_arr[order][:-1]]]
        blocks.append(sp.hstack([X, clause_X[first]], format="csr"))
    return blocks


if __name__ == "__main__":
    main()
