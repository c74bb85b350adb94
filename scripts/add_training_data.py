"""Add a new writer's labelled comments to the shipped training data, by the data card's cleaning rules.

    python scripts/add_training_data.py staging/w19.csv:nbx19 staging/w23.csv:svx23 [--dry-run]

Each `FILE:NAME` is written to `classifier/training_data/NAME.csv` without the rows that
would break the rules `scripts/check_training_data.py` checks:

- a row equal or nearly equal (character 5-gram Jaccard > 0.6) to a held-apart comment
  (`evaluation/test_*.csv` and `confirm_*.csv`) is dropped, stock answers included: no
  held-apart comment is trained on;
- a row equal or nearly equal to a training comment (the shipped files, or an earlier row
  of the new files) is dropped, unless both are stock answers ("ok", "-", "takk");
- a stock answer beyond three occurrences in the whole training data is dropped.

Every dropped row is printed with the reason. Run the checker afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from check_training_data import NEAR_DUP, STOCK_REPEATS

from classifier.model.dataset import data_files
from classifier.model.duplicates import is_stock, near_duplicates, normalise
from classifier.paths import shipped_data

EVALUATION = Path(__file__).resolve().parent.parent / "evaluation"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def dropped_rows(held_apart: list[str], training: pd.DataFrame, new: pd.DataFrame) -> dict[int, str]:
    """Row positions of `new` to drop, with the reason."""
    texts = held_apart + training["text"].tolist() + new["text"].tolist()
    n_held, n_old = len(held_apart), len(training)
    stock = [False] * n_held + [
        is_stock(t, lab) for t, lab in zip(texts[n_held:], [*training["labels"], *new["labels"]])
    ]
    keys = [normalise(t) for t in texts]
    drop: dict[int, str] = {}

    def origin(i: int) -> str:
        return "a held-apart comment" if i < n_held else "a training comment"

    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        j = first.setdefault(key, i)
        if j != i and i >= n_held + n_old and (j < n_held or not (stock[i] and stock[j])):
            drop[i] = f"equal to {origin(j)} {texts[j]!r}"
    for i, j, similarity in sorted(near_duplicates(texts, NEAR_DUP), key=lambda p: (max(p[:2]), min(p[:2]))):
        i, j = min(i, j), max(i, j)
        if j < n_held + n_old or i in drop or j in drop:
            continue
        if i < n_held or not (stock[i] and stock[j]):
            drop[j] = f"near-duplicate ({similarity:.2f}) of {origin(i)} {texts[i]!r}"
    seen: dict[str, int] = {}
    for i in range(n_held, len(texts)):
        if stock[i] and i not in drop:
            seen[keys[i]] = seen.get(keys[i], 0) + 1
            if seen[keys[i]] > STOCK_REPEATS and i >= n_held + n_old:
                drop[i] = f"stock answer {keys[i]!r} beyond {STOCK_REPEATS}"
    return {i - n_held - n_old: why for i, why in drop.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE:NAME", help="a new labelled CSV and its name in the data")
    ap.add_argument("--dry-run", action="store_true", help="print what would be dropped, write nothing")
    args = ap.parse_args()
    target = shipped_data()
    pairs = [(Path(f.rpartition(":")[0]), f.rpartition(":")[2]) for f in args.files]
    names = {f"{name}.csv" for _, name in pairs}
    training = pd.concat([read(f) for f in data_files(target) if f.name not in names], ignore_index=True)
    held_apart_files = sorted(EVALUATION.glob("test_*.csv")) + sorted(EVALUATION.glob("confirm_*.csv"))
    held_apart = [t for f in held_apart_files for t in read(f)["text"]]
    frames = [read(path) for path, _ in pairs]
    new = pd.concat(frames, ignore_index=True)
    drop = dropped_rows(held_apart, training, new)
    for i in sorted(drop):
        print(f"{new['id'][i]}: {new['text'][i][:60]!r}: {drop[i]}")
    start = 0
    for (path, name), frame in zip(pairs, frames):
        keep = [i not in drop for i in range(start, start + len(frame))]
        start += len(frame)
        print(f"{path} -> {name}.csv: {sum(keep)} of {len(frame)} rows kept")
        if not args.dry_run:
            frame[keep].to_csv(target / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
