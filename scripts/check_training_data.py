"""Check the shipped training data against the rules of ../shared/codebook.md and DATA_CARD.md.

Usage: python scripts/check_training_data.py [FILE_OR_DIR ...] [--codebook CSV] [--markdown]
       (default: classifier/training_data/ and the codebook.csv in it)

Prints every number that training_data/DATA_CARD.md shows - rows per file and language,
label counts per category and language, label cardinality, score distribution and NPS,
comment lengths, made-up personal data, duplicates - and every problem found: bad ids,
columns, languages, scores or labels, exact duplicates after normalisation, near-duplicates
(character 5-gram Jaccard > 0.8) and the size / share / NPS targets. Exit 1 on problems.
With --markdown the numbers come as the Markdown tables pasted into DATA_CARD.md.

The category ids are read from the codebook file, never hard-coded here.
Duplicates are judged by `classifier.model.duplicates`, as the integrity test judges them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from classifier.model.duplicates import exact_duplicates, is_stock, near_duplicates, normalise

DATA_DIR = Path(__file__).resolve().parent.parent / "classifier" / "training_data"
CODEBOOK_FILE = "codebook.csv"
COLUMNS = ["id", "text", "lang", "score", "labels", "sector", "persona"]
CODEBOOK_COLUMNS = ["id", "name_nb", "name_sv", "name_en", "definition"]
FAMILY = {"nb": "no", "nn": "no", "sv": "sv"}  # language -> language family
FAMILY_NAME = {"no": "Norwegian (nb+nn)", "sv": "Swedish (sv)"}
ID_RE = re.compile(r"^(?P<file>[a-z]{2}x?\d+)-\d{4}$")  # <file stem>-<4 digits>, e.g. nb1-0001, svx3-0042

# Targets (the same numbers are asserted by tests/test_training_data.py)
MIN_ROWS = 3000  # per language family
MIN_PER_CATEGORY = 80  # per category and language family
MULTI_LABEL = (20.0, 60.0)  # % of comments with two or more labels (the held-apart sets: 46-62%)
NO_LABEL = (5.0, 15.0)  # % of comments with no label (the test set: 9-10%)
NPS_RANGE = (0.0, 45.0)
NEAR_DUP = 0.6  # Jaccard of character 5-gram shingles
STOCK_REPEATS = 3  # a stock answer (no label, 1-3 words) may occur this often, as in real surveys
SHORT_WORDS, LONG_WORDS = 6, 60

# Made-up personal data the writers put in on purpose (for the privacy filter). Heuristics.
FIRST_NAMES = [
    "Ahmed",
    "Anna",
    "Annika",
    "Arne",
    "Eirik",
    "Emma",
    "Erik",
    "Fatima",
    "Hanne",
    "Henrik",
    "Ingrid",
    "Johan",
    "Johanna",
    "Jonas",
    "Kalle",
    "Kari",
    "Lene",
    "Lina",
    "Linda",
    "Line",
    "Linnea",
    "Maria",
    "Marius",
    "Mohammed",
    "Ola",
    "Olle",
    "Oskar",
    "Per",
    "Petra",
    "Sandra",
    "Sara",
    "Sindre",
    "Siri",
    "Sofia",
    "Sofie",
    "Thomas",
]
PERSONAL_DATA = {
    "e-mail address": r"[\w.+-]+@[\w-]+\.[\w.]+",
    "phone number": r"(?:\+|00)4[67][\s-]?\d[\d\s-]{6,12}\d|\b0\d{1,3}[\s-]\d{2,3}[\s-]?\d{2,3}[\s-]?\d{2}\b"
    r"|\b\d{2}\s\d{2}\s\d{2}\s\d{2}\b|\b\d{3}\s\d{2}\s\d{3}\b|\b[49]\d{7}\b",
    "national id number": r"\b(?:19|20)?\d{6}[-\s]?\d{4}\b|\b\d{11}\b",
    "account number": r"\b\d{4}\.\d{2}\.\d{5}\b|\b\d{4}-\d\s\d{3}\s\d{3}\s\d{3}-\d\b",
    "case, customer or reference number": r"(?i:saksn\w*|referanse|referens\w*|\bref\b|ärende\w*|kunde?n\w*|"
    r"skadesak|\bnr\b)\.?\s*(?:er\s|är\s|var\s)?[:\s]*\(?\d[\d-]{3,}",
    "person's first name": r"\b(?:" + "|".join(FIRST_NAMES) + r")\b",
}


# ---------------------------------------------------------------- reading


def read_codebook(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def load(paths: list[Path]) -> pd.DataFrame:
    """All comment files (every *.csv but codebook.csv), as strings, with a `_file` column."""
    frames, headers = [], {}
    for p in paths:
        files = sorted(p.glob("*.csv")) if p.is_dir() else [p]
        for f in files:
            if f.name == CODEBOOK_FILE:
                continue
            df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
            headers[f.name] = list(df.columns)
            df["_file"] = f.name
            frames.append(df)
    if not frames:
        raise SystemExit(f"no comment files in {', '.join(map(str, paths))}")
    out = pd.concat(frames, ignore_index=True)
    out.attrs["columns"] = headers  # each file's header, in its order
    return out


def split_labels(cell: str) -> list[str]:
    """Category ids of a labels cell (`wait_time:neg;agent_attitude:pos`), without polarities."""
    return [x.strip().split(":")[0] for x in cell.split(";") if x.strip()]


# ---------------------------------------------------------------- checks and numbers


def problems(df: pd.DataFrame, codebook: pd.DataFrame) -> list[str]:
    out = []
    missing = [c for c in CODEBOOK_COLUMNS if c not in codebook.columns]
    if missing:
        out.append(f"codebook: missing columns {missing}")
    else:
        for c in ["id", "name_nb", "name_sv", "name_en"]:
            for i in codebook.index[codebook[c].str.strip() == ""]:
                out.append(f"codebook row {i + 2}: empty {c}")
        if codebook["id"].duplicated().any():
            out.append(f"codebook: repeated ids {codebook['id'][codebook['id'].duplicated()].tolist()}")
    ids = set(codebook["id"]) if "id" in codebook.columns else set()

    for f, cols in df.attrs.get("columns", {}).items():
        if cols != COLUMNS:
            out.append(f"{f}: columns {cols}, expected exactly {COLUMNS}")
    if any(c not in df.columns for c in COLUMNS):
        return out

    where = df["_file"] + " id=" + df["id"]
    for i in df.index[df["id"].duplicated(keep=False)]:
        out.append(f"{where[i]}: id not unique")
    for i, rid in df["id"].items():
        m = ID_RE.match(rid)
        if not m or m["file"] != Path(df.at[i, "_file"]).stem:
            out.append(f"{where[i]}: id {rid!r} is not <file stem>-NNNN")
    for i, lang in df["lang"].items():
        fam = FAMILY.get(lang)
        if fam is None:
            out.append(f"{where[i]}: lang {lang!r} not nb/nn/sv")
        elif FAMILY.get(df.at[i, "_file"][:2]) not in (None, fam):
            out.append(f"{where[i]}: lang {lang!r} in a {df.at[i, '_file'][:2]} file")
    for i, s in df["score"].items():
        if not re.fullmatch(r"10|[0-9]", s):
            out.append(f"{where[i]}: bad score {s!r}")
    for i, cell in df["labels"].items():
        labs = split_labels(cell)
        for lab in labs:
            if lab not in ids:
                out.append(f"{where[i]}: label {lab!r} not in the codebook")
        if len(set(labs)) != len(labs):
            out.append(f"{where[i]}: repeated label")
        for mention in (x.strip() for x in cell.split(";") if x.strip()):
            if not re.fullmatch(r"[a-z_]+:(neg|pos|neu)", mention):
                out.append(f"{where[i]}: {mention!r} is not id:neg|pos|neu")
    for i in df.index[df["text"].str.strip() == ""]:
        out.append(f"{where[i]}: empty text")

    texts = df["text"].tolist()
    stock = [is_stock(t, lab) for t, lab in zip(texts, df["labels"])]
    for i, j in exact_duplicates(texts):
        if not stock[j]:
            out.append(f"exact duplicate: {where[i]} {texts[i][:50]!r} = {where[j]} {texts[j][:50]!r}")
    for key, n in pd.Series([normalise(t) for t, st in zip(texts, stock) if st]).value_counts().items():
        if n > STOCK_REPEATS:
            out.append(f"stock answer {key!r} occurs {n} times (at most {STOCK_REPEATS})")
    for i, j, sim in near_duplicates(texts, NEAR_DUP):
        if stock[i] and stock[j]:
            continue
        out.append(f"near-duplicate ({sim:.2f}): {where[i]} {texts[i][:50]!r} ~ {where[j]} {texts[j][:50]!r}")

    for fam, st in stats(df, codebook).items():
        name = FAMILY_NAME[fam]
        if st["n"] < MIN_ROWS:
            out.append(f"{name}: {st['n']} comments, target at least {MIN_ROWS}")
        for c, n in st["counts"].items():
            if n < MIN_PER_CATEGORY:
                out.append(f"{name}: {c} has {n} comments, target at least {MIN_PER_CATEGORY}")
        if not MULTI_LABEL[0] <= st["multi_pct"] <= MULTI_LABEL[1]:
            out.append(f"{name}: multi-label share {st['multi_pct']:.1f}% outside {MULTI_LABEL}")
        if not NO_LABEL[0] <= st["none_pct"] <= NO_LABEL[1]:
            out.append(f"{name}: no-label share {st['none_pct']:.1f}% outside {NO_LABEL}")
        if not NPS_RANGE[0] <= st["nps"] <= NPS_RANGE[1]:
            out.append(f"{name}: NPS {st['nps']:+.1f} outside {NPS_RANGE}")
    return out


def stats(df: pd.DataFrame, codebook: pd.DataFrame) -> dict[str, dict]:
    """Numbers per language family ('no', 'sv'), for the printout and the data card."""
    ids = codebook["id"].tolist()
    fam = df["lang"].map(FAMILY)
    labels = df["labels"].map(split_labels)
    scores = pd.to_numeric(df["score"], errors="coerce")
    words = df["text"].map(lambda t: len(t.split()))
    pdata = pd.DataFrame({k: df["text"].str.contains(p, regex=True) for k, p in PERSONAL_DATA.items()})
    out = {}
    for f in ["no", "sv"]:
        m = fam == f
        if not m.any():
            continue
        labs, s, w = labels[m], scores[m], words[m]
        card = labs.map(len)
        n = int(m.sum())
        groups = {"promoter": s >= 9, "passive": (s >= 7) & (s <= 8), "detractor": s <= 6}
        counts = {c: int(labs.map(lambda l, c=c: c in l).sum()) for c in ids}
        mentions = df.loc[m, "labels"].map(lambda cell: [x.strip() for x in cell.split(";") if x.strip()])
        polarity = {
            c: {p: int(mentions.map(lambda ms, c=c, p=p: f"{c}:{p}" in ms).sum()) for p in ("neg", "pos", "neu")}
            for c in ids
        }
        detr = {
            c: float(100 * (s[labs.map(lambda l, c=c: c in l)] <= 6).mean()) if counts[c] else float("nan") for c in ids
        }
        out[f] = {
            "n": n,
            "lang": df.loc[m, "lang"].value_counts().to_dict(),
            "files": df.loc[m, "_file"].value_counts().sort_index().to_dict(),
            "counts": counts,
            "polarity": polarity,
            "detractor_pct_by_category": detr,
            "cardinality": {k: int((card == k).sum()) for k in range(4)} | {"4+": int((card >= 4).sum())},
            "none_pct": 100 * float((card == 0).mean()),
            "one_pct": 100 * float((card == 1).mean()),
            "multi_pct": 100 * float((card >= 2).mean()),
            "mean_labels": float(card.mean()),
            "scores": {k: int((s == k).sum()) for k in range(11)},
            "group_pct": {k: 100 * float(v.mean()) for k, v in groups.items()},
            "nps": 100 * float(groups["promoter"].mean() - groups["detractor"].mean()),
            "mean_score": float(s.mean()),
            "words_median": float(w.median()),
            "words_mean": float(w.mean()),
            "words_max": int(w.max()),
            "short_pct": 100 * float((w < SHORT_WORDS).mean()),
            "long_pct": 100 * float((w > LONG_WORDS).mean()),
            "personal_pct": {k: 100 * float(pdata.loc[m, k].mean()) for k in PERSONAL_DATA},
            "personal_any_pct": 100 * float(pdata[m].any(axis=1).mean()),
            "personal_number_pct": 100
            * float(pdata.loc[m, [k for k in PERSONAL_DATA if k != "person's first name"]].any(axis=1).mean()),
        }
    return out


# ---------------------------------------------------------------- printing


def print_text(df: pd.DataFrame, codebook: pd.DataFrame, st: dict) -> None:
    print("rows per file:", ", ".join(f"{f} {n}" for f, n in df["_file"].value_counts().sort_index().items()))
    for f, d in st.items():
        print(f"\n== {FAMILY_NAME[f]}: {d['n']} comments (lang: {d['lang']})")
        print(
            f"   no label {d['none_pct']:.1f}%  one {d['one_pct']:.1f}%  two+ {d['multi_pct']:.1f}%  "
            f"mean labels {d['mean_labels']:.2f}  cardinality {d['cardinality']}"
        )
        g = d["group_pct"]
        print(
            f"   NPS {d['nps']:+.1f}  promoters {g['promoter']:.1f}%  passives {g['passive']:.1f}%  "
            f"detractors {g['detractor']:.1f}%  mean score {d['mean_score']:.2f}"
        )
        print("   scores 0..10:", " ".join(str(d["scores"][k]) for k in range(11)))
        print(
            f"   words: median {d['words_median']:.0f}, mean {d['words_mean']:.1f}, max {d['words_max']}; "
            f"under {SHORT_WORDS} words {d['short_pct']:.1f}%, over {LONG_WORDS} words {d['long_pct']:.1f}%"
        )
        print(
            f"   made-up personal data: any {d['personal_any_pct']:.1f}% (numbers/addresses "
            f"{d['personal_number_pct']:.1f}%): " + ", ".join(f"{k} {v:.1f}%" for k, v in d["personal_pct"].items())
        )
        print("   category                  count  detractors")
        for c, n in d["counts"].items():
            flag = "" if n >= MIN_PER_CATEGORY else f"   <-- below {MIN_PER_CATEGORY}"
            print(f"   {c:24s} {n:6d}  {d['detractor_pct_by_category'][c]:5.0f}%{flag}")


def print_markdown(df: pd.DataFrame, codebook: pd.DataFrame, st: dict) -> None:
    fams = list(st)
    files = df.groupby("_file")["lang"].value_counts().unstack(fill_value=0)
    print("| file | rows | nb | nn | sv |\n|---|---:|---:|---:|---:|")
    for f, r in files.iterrows():
        print(f"| {f} | {int(r.sum())} | " + " | ".join(str(int(r.get(l, 0))) for l in ["nb", "nn", "sv"]) + " |")
    print(
        f"| **all** | **{len(df)}** | "
        + " | ".join(str(int((df['lang'] == l).sum())) for l in ["nb", "nn", "sv"])
        + " |\n"
    )

    head = " | ".join(f"{FAMILY_NAME[f]}" for f in fams)
    print(f"| category | {head} | detractors ({' / '.join(fams)}) |\n|---|" + "---:|" * (len(fams) + 1))
    for _, row in codebook.iterrows():
        c = row["id"]
        print(
            f"| `{c}` ({row['name_en']}) | "
            + " | ".join(str(st[f]["counts"][c]) for f in fams)
            + " | "
            + " / ".join(f"{st[f]['detractor_pct_by_category'][c]:.0f}%" for f in fams)
            + " |"
        )
    print("| **comments** | " + " | ".join(f"**{st[f]['n']}**" for f in fams) + " | |\n")

    print(
        f"| category | {' | '.join(f'{FAMILY_NAME[f]} neg / pos / neu' for f in fams)} |\n|---|" + "---:|" * len(fams)
    )
    for c in codebook["id"]:
        print(
            f"| `{c}` | "
            + " | ".join(" / ".join(str(st[f]["polarity"][c][p]) for p in ("neg", "pos", "neu")) for f in fams)
            + " |"
        )
    print()

    print(f"| labels per comment | {head} |\n|---|" + "---:|" * len(fams))
    for k in [0, 1, 2, 3, "4+"]:
        print(
            f"| {k} | "
            + " | ".join(f"{st[f]['cardinality'][k]} ({100 * st[f]['cardinality'][k] / st[f]['n']:.1f}%)" for f in fams)
            + " |"
        )
    print("| mean | " + " | ".join(f"{st[f]['mean_labels']:.2f}" for f in fams) + " |\n")

    print(f"| score | {head} |\n|---|" + "---:|" * len(fams))
    for k in range(11):
        print(f"| {k} | " + " | ".join(str(st[f]["scores"][k]) for f in fams) + " |")
    for g, label in [
        ("promoter", "promoters (9-10)"),
        ("passive", "passives (7-8)"),
        ("detractor", "detractors (0-6)"),
    ]:
        print(f"| {label} | " + " | ".join(f"{st[f]['group_pct'][g]:.1f}%" for f in fams) + " |")
    print("| **NPS** | " + " | ".join(f"**{st[f]['nps']:+.1f}**" for f in fams) + " |\n")

    print(f"| length | {head} |\n|---|" + "---:|" * len(fams))
    print("| median words | " + " | ".join(f"{st[f]['words_median']:.0f}" for f in fams) + " |")
    print("| mean words | " + " | ".join(f"{st[f]['words_mean']:.1f}" for f in fams) + " |")
    print("| longest (words) | " + " | ".join(str(st[f]["words_max"]) for f in fams) + " |")
    print(f"| under {SHORT_WORDS} words | " + " | ".join(f"{st[f]['short_pct']:.1f}%" for f in fams) + " |")
    print(f"| over {LONG_WORDS} words | " + " | ".join(f"{st[f]['long_pct']:.1f}%" for f in fams) + " |\n")

    print(f"| made-up personal data | {head} |\n|---|" + "---:|" * len(fams))
    for k in PERSONAL_DATA:
        print(f"| {k} | " + " | ".join(f"{st[f]['personal_pct'][k]:.1f}%" for f in fams) + " |")
    print("| any number or address | " + " | ".join(f"{st[f]['personal_number_pct']:.1f}%" for f in fams) + " |")
    print("| **any of the above** | " + " | ".join(f"**{st[f]['personal_any_pct']:.1f}%**" for f in fams) + " |")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, help="comment files or folders (default: classifier/training_data/)")
    ap.add_argument("--codebook", type=Path, help="codebook CSV (default: codebook.csv next to the data)")
    ap.add_argument("--markdown", action="store_true", help="print the numbers as DATA_CARD.md tables")
    args = ap.parse_args(argv)
    paths = args.paths or [DATA_DIR]
    cb_path = args.codebook or next(
        (q for p in paths for q in [(p if p.is_dir() else p.parent) / CODEBOOK_FILE] if q.exists()),
        DATA_DIR / CODEBOOK_FILE,
    )
    df = load(paths)
    codebook = read_codebook(cb_path)
    found = problems(df, codebook)
    st = stats(df, codebook) if all(c in df.columns for c in COLUMNS) else {}
    if args.markdown:
        print_markdown(df, codebook, st)
    else:
        print_text(df, codebook, st)
    n_exact = sum(p.startswith("exact duplicate") for p in found)
    n_near = sum(p.startswith("near-duplicate") for p in found)
    print(f"\nexact duplicates (normalised): {n_exact}   near-duplicates (char 5-gram Jaccard > {NEAR_DUP}): {n_near}")
    print(f"{len(found)} problem(s)")
    for p in found[:200]:
        print("  ", p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
