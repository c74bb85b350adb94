"""Accuracy of language detection on short and long comments.

    python scripts/eval_language.py [--data tests/data/language_eval.csv]
    python scripts/eval_language.py --data evaluation/test_nb.csv evaluation/test_sv.csv

The labelled set has nb, nn, sv, da and en comments, half of them 1-4 words.
Compares lingua reading each comment whole with what `classify` does (lingua
scoring each word once, the words' scores summed; see classifier/text/language.py).
Prints accuracy overall, on short and long comments, per language, and for the
language family (Norwegian nb+nn / Swedish / Danish / English), which is what
decides the stemmer a comment gets.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.text import language

FAMILY = {"nb": "no", "nn": "no", "da": "da", "sv": "sv", "en": "en", "unknown": "unknown"}


def accuracy(gold, pred) -> float:
    return float(np.mean(np.asarray(gold) == np.asarray(pred))) if len(gold) else float("nan")


def report(name: str, df: pd.DataFrame, pred: list[str]) -> None:
    df = df.assign(pred=pred)
    short = df["words"] <= 4
    fam = df["lang"].map(FAMILY) == df["pred"].map(FAMILY)
    print(
        f"{name:38s} all {accuracy(df.lang, df.pred):.3f}  short(1-4 words) "
        f"{accuracy(df.lang[short], df.pred[short]):.3f}  long {accuracy(df.lang[~short], df.pred[~short]):.3f}"
        f"  | family all {fam.mean():.3f} short {fam[short].mean():.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data",
        nargs="+",
        default=[str(Path(__file__).parent.parent / "tests/data/language_eval.csv")],
        help="CSV files with `text` and `lang` columns",
    )
    args = ap.parse_args()
    df = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False)[["text", "lang"]] for f in args.data])
    df["words"] = df["text"].str.split().str.len()
    print(
        f"{len(df)} comments: "
        + ", ".join(f"{k} {v}" for k, v in df["lang"].value_counts().items())
        + f"; {int((df.words <= 4).sum())} of 1-4 words\n"
    )

    whole = language.choose(language.confidences(df.text.tolist()))
    whole = [w if not language.too_short(t) else language.UNKNOWN for w, t in zip(whole, df.text)]
    report("lingua per comment", df, whole)
    pred = language.detect(df.text.tolist())
    report("lingua per word, summed (classify)", df, pred)
    df["pred"] = pred
    print("\nper language (short / long):")
    for lang, g in df.groupby("lang"):
        short = g.words <= 4
        print(
            f"  {lang}: {accuracy(g.lang[short], g.pred[short]):.2f} / {accuracy(g.lang[~short], g.pred[~short]):.2f}"
        )
    wrong = df[(df.pred != df.lang) & (df.words <= 4)]
    print("\nshort comments detected wrongly (gold -> detected):")
    for _, r in wrong.head(25).iterrows():
        print(f"  {r.lang} -> {r.pred}: {r.text}")


if __name__ == "__main__":
    main()
