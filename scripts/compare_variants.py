"""Compare model variants on the held-apart test set (and, with --cv, by cross-validation).

    python scripts/compare_variants.py [--variants word+char word+char-raw ...] [--data DIR] [--cv]
    python scripts/compare_variants.py --variants word+char --param classify__estimator__C=0.25
    python scripts/compare_variants.py --sets confirm --variants word+char --fasttext
    python scripts/compare_variants.py --variants word+char --relabel evaluation/resolution_recoding_nb.csv

`--param NAME=VALUE` (repeatable) changes one setting of the pipeline (scikit-learn's
`set_params` names, the value read as a Python literal) in every variant compared: the
hyperparameter checks in the README (C, n-gram ranges, min_df, the threshold prior).

`--relabel FILE` trains on a copy of the training data with some labels replaced: FILE has
the columns `id`, `category` and `coder` (`neg`, `pos`, `neu`, or `none` to drop the
category), and each listed row's mention of that category becomes the coder's. It measures
what another coder's reading would do (the blind re-coding of `resolution` in the data card).

Each variant is trained on the training data (default: the shipped data) and scored on
evaluation/test_nb.csv and evaluation/test_sv.csv, which were written by other writers
and are never trained on (with `--sets confirm`: evaluation/confirm_nb.csv and
confirm_sv.csv, written later by four more writers and never used to choose anything).
Prints micro and macro F1 per language family, the training time, and the in-process
prediction speed on 20,000 synthetic comments.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import synthetic_comment

from classifier import load_labelled, train
from classifier.model import training
from classifier.model.dataset import data_files
from classifier.model.metrics import evaluate_labelled
from classifier.model.pipeline import VARIANTS, build_pipeline
from classifier.paths import shipped_data

EVALUATION = Path(__file__).resolve().parent.parent / "evaluation"


def test_sets(codebook, name: str = "test") -> dict[str, object]:
    """evaluation/{name}_nb.csv and {name}_sv.csv: `test` (the development set) or `confirm`."""
    return {
        family: load_labelled(EVALUATION / f"{name}_{family}.csv", codebook=codebook)
        for family in ("nb", "sv")
        if (EVALUATION / f"{name}_{family}.csv").exists()
    }


def fasttext_scores(data, tests: dict, seed: int) -> tuple[dict, float]:
    """fastText (supervised, one-vs-all loss, word bigrams and character 2-5-grams) on the same split.

    Comments are lower-cased, with whitespace collapsed; a label is assigned when its
    probability is at least 0.5 (fastText's own multi-label rule). One thread: deterministic.
    """
    import tempfile

    import fasttext
    import numpy as np

    from classifier.model.metrics import metrics

    def clean(text: str) -> str:
        return " ".join(text.lower().split())

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        for text, labels in zip(data.texts, data.labels):
            tags = " ".join(f"__label__{lab}" for lab in labels) or "__label__none"
            fh.write(f"{tags} {clean(text)}\n")
    t = time.perf_counter()
    model = fasttext.train_supervised(
        input=fh.name,
        loss="ova",
        epoch=30,
        lr=0.5,
        wordNgrams=2,
        minn=2,
        maxn=5,
        dim=100,
        thread=1,
        seed=seed,
        verbose=0,
    )
    train_s = time.perf_counter() - t
    Path(fh.name).unlink()
    ids = data.codebook.ids
    out = {}
    for family, test in tests.items():
        predicted, _ = model.predict([clean(t) for t in test.texts], k=-1, threshold=0.5)
        decided = np.array([[int(f"__label__{c}" in labs) for c in ids] for labs in predicted])
        out[family] = metrics(test.indicator(ids), decided, ids, [family] * len(decided))["all"]
    return out, train_s


@contextlib.contextmanager
def pipeline_settings(params: dict):
    """While active, `train` builds its pipelines with `params` set (scikit-learn's set_params)."""
    if not params:
        yield
        return

    def build(variant: str, seed: int = 0):
        return build_pipeline(variant, seed).set_params(**params)

    original = training.build_pipeline
    training.build_pipeline = build
    try:
        yield
    finally:
        training.build_pipeline = original


def relabelled_copy(data: Path, relabel: Path, out: Path) -> int:
    """Copy the training data in `data` to `out`, with the mentions `relabel` lists replaced.

    Returns how many rows changed. Every listed id must be in the data.
    """
    import pandas as pd

    codes = pd.read_csv(relabel, dtype=str, keep_default_na=False)
    wanted: dict[str, dict[str, str]] = {}  # row id -> {category: the coder's polarity or "none"}
    for row_id, category, code in zip(codes["id"], codes["category"], codes["coder"]):
        wanted.setdefault(row_id, {})[category] = code
    found, changed = set(), 0
    for f in data_files(data):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        cells = []
        for row_id, cell in zip(df["id"], df["labels"]):
            before = [m for m in cell.split(";") if m]
            mentions = list(before)
            for category, code in wanted.get(row_id, {}).items():
                mentions = [m for m in mentions if m.split(":")[0] != category]
                mentions += [] if code == "none" else [f"{category}:{code}"]
            if row_id in wanted:
                found.add(row_id)
            changed += sorted(mentions) != sorted(before)
            cells.append(";".join(mentions))
        df["labels"] = cells
        df.to_csv(out / f.name, index=False)
    if (data / "codebook.csv").exists():
        shutil.copy(data / "codebook.csv", out / "codebook.csv")
    missing = sorted(set(wanted) - found)
    if missing:
        raise SystemExit(f"{relabel}: {len(missing)} ids are not in {data}, e.g. {missing[0]}")
    return changed


def parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        params[name] = ast.literal_eval(value)
    return params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(shipped_data()))
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cv", action="store_true", help="also 5-fold cross-validation on the training data")
    ap.add_argument("--speed", action="store_true", help="also time prediction on 20,000 synthetic comments")
    ap.add_argument("--fasttext", action="store_true", help="also the fastText baseline (needs the bench extra)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a pipeline setting to change")
    ap.add_argument(
        "--sets",
        choices=["test", "confirm"],
        default="test",
        help="score on the development test set (default) or the confirmation set, never used to choose",
    )
    ap.add_argument("--relabel", metavar="FILE", help="train with the labels FILE lists replaced (id, category, coder)")
    args = ap.parse_args()
    params = parse_params(args.param)
    with tempfile.TemporaryDirectory() as copy:
        if args.relabel:
            changed = relabelled_copy(Path(args.data), Path(args.relabel), Path(copy))
            print(f"{args.relabel}: {changed} training rows relabelled")
            args.data = copy
        data = load_labelled(args.data)
    compare(args, params, data)


def compare(args, params: dict, data) -> None:
    tests = test_sets(data.codebook, args.sets)
    texts = [synthetic_comment(random.Random(i)) for i in range(20_000)] if args.speed else []
    print(
        f"train: {len(data)} comments from {data.source}; test: "
        + ", ".join(f"{k} {len(v)}" for k, v in tests.items())
        + f"; seed {args.seed}"
        + "".join(f"; {k}={v!r}" for k, v in params.items())
        + "\n"
    )
    on = args.sets
    head = f"| variant | {on} micro F1 no | {on} micro F1 sv | {on} macro F1 no | {on} macro F1 sv |"
    rule = "|---|---:|---:|---:|---:|"
    if args.cv:
        head, rule = head + " CV micro F1 |", rule + "---:|"
    head, rule = head + " train s |", rule + "---:|"
    if args.speed:
        head, rule = head + " predict/s |", rule + "---:|"
    print(head)
    print(rule)
    if args.fasttext:
        ft, ft_s = fasttext_scores(data, tests, args.seed)
        row = (
            f"| fastText (baseline) | {ft['nb']['micro']['f1']:.3f} | {ft['sv']['micro']['f1']:.3f} | "
            f"{ft['nb']['macro']['f1']:.3f} | {ft['sv']['macro']['f1']:.3f} |"
        )
        print(row + (" |" if args.cv else "") + f" {ft_s:.0f} |" + (" |" if args.speed else ""), flush=True)
    for name in args.variants:
        t = time.perf_counter()
        with pipeline_settings(params):
            model = train(data, variant=name, seed=args.seed, evaluate=args.cv)
        train_s = time.perf_counter() - t
        scores = {k: evaluate_labelled(model, v)["all"] for k, v in tests.items()}
        row = (
            f"| {name} | {scores['nb']['micro']['f1']:.3f} | {scores['sv']['micro']['f1']:.3f} | "
            f"{scores['nb']['macro']['f1']:.3f} | {scores['sv']['macro']['f1']:.3f} |"
        )
        if args.cv:
            row += f" {model.card['metrics']['all']['micro']['f1']:.3f} |"
        row += f" {train_s:.0f} |"
        if args.speed:
            model.predict_arrays(texts[:100])
            t = time.perf_counter()
            model.predict_arrays(texts)
            row += f" {len(texts) / (time.perf_counter() - t):,.0f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
