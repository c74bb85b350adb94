"""Check the shipped training data against the rules of ../shared/codebook.md and DATA_CARD.md.

Usage: python scripts/check_training_data.py [FILE_OR_DIR ...]   (default: training_data/)

Prints counts per language and label, multi-label and no-label shares, NPS, and every
problem found (bad ids, scores, unknown labels, near-duplicate comments). Exit 1 on problems.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

CODEBOOK_IDS = [
    "wait_time", "availability", "resolution", "repeat_contact", "follow_up",
    "transfer_routing", "agent_attitude", "agent_knowledge", "information_clarity",
    "identity_documentation", "self_service", "billing_payment", "product_service",
]
COLUMNS = ["id", "text", "lang", "score", "labels"]


def load(paths: list[Path]) -> pd.DataFrame:
    frames = []
    for p in paths:
        files = sorted(p.glob("*.csv")) if p.is_dir() else [p]
        for f in files:
            if f.name == "codebook.csv":
                continue
            df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
            df["_file"] = f.name
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def near_duplicates(texts: list[str], threshold: float = 0.8) -> list[tuple[int, int, float]]:
    """Pairs whose character 5-gram shingle sets have Jaccard similarity above threshold."""
    vec = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=True)
    norm = [" ".join(t.lower().split()) for t in texts]
    X = vec.fit_transform(norm).astype(np.int32)
    sizes = np.asarray(X.sum(axis=1)).ravel()
    inter = (X @ X.T).tocoo()
    pairs = []
    for i, j, v in zip(inter.row, inter.col, inter.data):
        if i < j:
            union = sizes[i] + sizes[j] - v
            if union and v / union > threshold:
                pairs.append((int(i), int(j), float(v / union)))
    return pairs


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [Path("training_data")]
    df = load(paths)
    problems = []
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        print("missing columns:", missing)
        return 1
    dup_ids = df["id"][df["id"].duplicated()].tolist()
    if dup_ids:
        problems.append(f"duplicate ids: {dup_ids[:10]}")
    bad_lang = df[~df["lang"].isin(["nb", "nn", "sv"])]
    for _, r in bad_lang.iterrows():
        problems.append(f"{r['_file']} id={r['id']}: lang {r['lang']!r} not nb/nn/sv")
    scores = pd.to_numeric(df["score"], errors="coerce")
    for i in df.index[scores.isna() | (scores < 0) | (scores > 10) | (scores % 1 != 0)]:
        problems.append(f"{df.at[i, '_file']} id={df.at[i, 'id']}: bad score {df.at[i, 'score']!r}")
    label_lists = df["labels"].map(lambda s: [x.strip() for x in s.split(";") if x.strip()])
    for i, labs in label_lists.items():
        for lab in labs:
            if lab not in CODEBOOK_IDS:
                problems.append(f"{df.at[i, '_file']} id={df.at[i, 'id']}: unknown label {lab!r}")
        if len(set(labs)) != len(labs):
            problems.append(f"{df.at[i, '_file']} id={df.at[i, 'id']}: repeated label")
    empty_text = df.index[df["text"].str.strip() == ""]
    for i in empty_text:
        problems.append(f"{df.at[i, '_file']} id={df.at[i, 'id']}: empty text")

    df["family"] = df["lang"].map({"nb": "no", "nn": "no", "sv": "sv"})
    for fam, g in df.groupby("family"):
        labs = label_lists[g.index]
        card = labs.map(len)
        s = scores[g.index]
        nps = 100 * ((s >= 9).mean() - (s <= 6).mean())
        print(f"\n== {fam}: {len(g)} comments (lang: {g['lang'].value_counts().to_dict()})")
        print(f"   no label {100 * (card == 0).mean():.1f}%  one {100 * (card == 1).mean():.1f}%  "
              f"two+ {100 * (card >= 2).mean():.1f}%  mean labels {card.mean():.2f}")
        print(f"   NPS {nps:+.1f}  promoters {100 * (s >= 9).mean():.0f}%  passives "
              f"{100 * ((s >= 7) & (s <= 8)).mean():.0f}%  detractors {100 * (s <= 6).mean():.0f}%")
        counts = {c: int(labs.map(lambda l: c in l).sum()) for c in CODEBOOK_IDS}
        for c in CODEBOOK_IDS:
            flag = "" if counts[c] >= 80 else "   <-- below 80"
            print(f"   {c:24s} {counts[c]:4d}{flag}")

    pairs = near_duplicates(df["text"].tolist())
    for i, j, sim in pairs:
        problems.append(
            f"near-duplicate ({sim:.2f}): {df.at[i, '_file']}:{df.at[i, 'id']} {df.at[i, 'text'][:60]!r} ~ "
            f"{df.at[j, '_file']}:{df.at[j, 'id']} {df.at[j, 'text'][:60]!r}"
        )
    print(f"\n{len(problems)} problem(s)")
    for p in problems[:200]:
        print("  ", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
