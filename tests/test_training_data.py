"""Integrity of the shipped training data (training_data/*.csv and training_data/codebook.csv).

Fast (a few seconds): it reads the CSV files and runs one sparse matrix product for the
near-duplicates. The helpers (`load`, `normalise`, `near_duplicates`) come from
scripts/check_training_data.py, which prints the same numbers for DATA_CARD.md.
The targets below are the ones DATA_CARD.md states; change them together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from classifier.model import duplicates as check
from classifier.paths import shipped_data

ROOT = Path(__file__).resolve().parent.parent
DATA = shipped_data()

COLUMNS = ["id", "text", "lang", "score", "labels", "sector", "persona"]
SECTORS = {
    "",
    "bank",
    "debt_collection",
    "telecom",
    "broadband",
    "insurance",
    "energy",
    "public_agency",
    "web_shop",
    "other",
}
CODEBOOK_COLUMNS = ["id", "name_nb", "name_sv", "name_en", "definition"]
FAMILY = {"nb": "no", "nn": "no", "sv": "sv"}
MIN_ROWS = 3000
MIN_NEW_ROWS = 1500  # written for v2 by writers imitating real answers (sector filled in)
MIN_PER_CATEGORY = 80
MULTI_LABEL_PCT = (20, 60)  # v2 asked for more multi-cause comments, and the v2.4 audit added missed second causes;
# independent writers put 46-62% in the held-apart sets (54-62% in the development set), a second coder 57%
NO_LABEL_PCT = (5, 15)  # stock answers are capped at three repeats, so their share falls as data grows
NPS = (0, 45)  # v2 rows were written to a 40/25/35 promoter/passive/detractor mix (NPS +5)
NEAR_DUP = 0.6
STOCK_REPEATS = 3  # a stock answer (no label, 1-3 words) may occur this often
EVALUATION = ROOT / "evaluation"


@pytest.fixture(scope="module")
def files() -> dict[str, pd.DataFrame]:
    out = {
        f.name: pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
        for f in sorted(DATA.glob("*.csv"))
        if f.name != "codebook.csv"
    }
    assert out, "no training data files"
    return out


@pytest.fixture(scope="module")
def data(files) -> pd.DataFrame:
    df = pd.concat([d.assign(_file=name) for name, d in files.items()], ignore_index=True)
    df["family"] = df["lang"].map(FAMILY)
    df["mentions"] = df["labels"].map(lambda s: [x.strip() for x in s.split(";") if x.strip()])
    df["label_list"] = df["mentions"].map(lambda m: [x.split(":")[0] for x in m])
    df["stock"] = stock_answers(df)
    return df


def stock_answers(df: pd.DataFrame) -> pd.Series:
    return pd.Series([check.is_stock(t, lab) for t, lab in zip(df["text"], df["labels"])], index=df.index)


def read_evaluation(pattern: str) -> pd.DataFrame:
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(EVALUATION.glob(pattern))])


def codebook_mentions(labels: pd.Series, codebook: pd.DataFrame) -> bool:
    """Every mention is `id:neg|pos|neu` with an id of the codebook."""
    ids = set(codebook["id"])
    mentions = [m.split(":") for cell in labels for m in cell.split(";") if m]
    return all(len(m) == 2 and m[0] in ids and m[1] in {"neg", "pos", "neu"} for m in mentions)


@pytest.fixture(scope="module")
def codebook() -> pd.DataFrame:
    return pd.read_csv(DATA / "codebook.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def _where(df, mask) -> list[str]:
    return (df.loc[mask, "_file"] + ":" + df.loc[mask, "id"]).tolist()[:20]


# ------------------------------------------------------------------ codebook


def test_codebook_columns_and_names(codebook):
    assert all(c in codebook.columns for c in CODEBOOK_COLUMNS), list(codebook.columns)
    for c in ["id", "name_nb", "name_sv", "name_en"]:
        empty = codebook.index[codebook[c].str.strip() == ""].tolist()
        assert not empty, f"empty {c} in codebook rows {empty}"
    assert codebook["id"].is_unique
    assert all(re.fullmatch(r"[a-z][a-z_]*", i) for i in codebook["id"]), codebook["id"].tolist()


# ------------------------------------------------------------------ rows


def test_columns_exactly(files):
    for name, df in files.items():
        assert list(df.columns) == COLUMNS, f"{name}: {list(df.columns)}"


def test_ids_valid_and_unique(data):
    stem = data["_file"].str.replace(".csv", "", regex=False)
    bad = ~data.apply(lambda r: re.fullmatch(re.escape(stem[r.name]) + r"-\d{4}", r["id"]) is not None, axis=1)
    assert not bad.any(), f"ids not <file stem>-NNNN: {_where(data, bad)}"
    dup = data["id"].duplicated(keep=False)
    assert not dup.any(), f"repeated ids: {_where(data, dup)}"


def test_text_not_empty(data):
    empty = data["text"].str.strip() == ""
    assert not empty.any(), _where(data, empty)


def test_lang(data):
    bad = ~data["lang"].isin(FAMILY)
    assert not bad.any(), f"lang not nb/nn/sv: {_where(data, bad)}"
    file_family = data["_file"].str[:2].map(FAMILY)
    wrong = file_family.notna() & (file_family != data["family"])
    assert not wrong.any(), f"lang does not match the file's language: {_where(data, wrong)}"


def test_scores_are_integers_0_to_10(data):
    ok = data["score"].str.fullmatch(r"10|[0-9]")
    assert ok.all(), f"bad scores: {_where(data, ~ok)}"


def test_every_mention_has_a_polarity(data):
    bad = data["mentions"].map(lambda m: any(re.fullmatch(r"[a-z_]+:(neg|pos|neu)", x) is None for x in m))
    assert not bad.any(), f"labels not written id:neg|pos|neu: {_where(data, bad)}"


def test_sectors(data):
    bad = ~data["sector"].isin(SECTORS)
    assert not bad.any(), f"unknown sector: {_where(data, bad)}"


@pytest.mark.parametrize("family", ["no", "sv"])
def test_new_realistic_rows_per_language(data, family):
    n = int(((data["family"] == family) & (data["sector"] != "")).sum())
    assert n >= MIN_NEW_ROWS, f"{family}: {n} new comments"


def test_labels_in_codebook(data, codebook):
    ids = set(codebook["id"])
    unknown = data["label_list"].map(lambda l: any(x not in ids for x in l))
    assert not unknown.any(), f"labels outside training_data/codebook.csv: {_where(data, unknown)}"
    repeated = data["label_list"].map(lambda l: len(l) != len(set(l)))
    assert not repeated.any(), f"repeated labels: {_where(data, repeated)}"


# ------------------------------------------------------------------ duplicates


def test_normalise():
    n = check.normalise
    assert n("Bra!") == n(" bra ") == n("BRA.") == n("«Bra»") == "bra"
    assert n("-") == n("...") == n("-.-") == ""
    assert n("Ikke  bra") == "ikke bra" != n("bra")
    assert n("👍") == "👍" != n("👍👍")


def test_no_exact_duplicates_but_stock_answers(data):
    key = data["text"].map(check.normalise)
    dup = key.duplicated(keep=False) & ~data["stock"]
    groups = data[dup].groupby(key[dup])["id"].apply(list).tolist()
    assert not dup.any(), f"{len(groups)} texts occur more than once after normalising: {groups[:20]}"
    repeats = key[data["stock"]].value_counts()
    assert repeats.max() <= STOCK_REPEATS, repeats.head().to_dict()


def test_near_duplicates_finds_a_known_pair():
    texts = [
        "Ventet i 45 minutter i telefonkø, helt uakseptabelt",
        "VENTET i 45 minutter i  telefonkø, helt uakseptabelt!!",  # Jaccard 0.96
        "Hyggelig dame som forklarte fakturaen godt",
    ]
    pairs = check.near_duplicates(texts, NEAR_DUP)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_no_near_duplicates(data):
    pairs = [
        (i, j, s)
        for i, j, s in check.near_duplicates(data["text"].tolist(), NEAR_DUP)
        if not (data.at[i, "stock"] and data.at[j, "stock"])
    ]
    shown = [(data.at[i, "id"], data.at[j, "id"], round(s, 2)) for i, j, s in pairs[:20]]
    assert not pairs, f"{len(pairs)} near-duplicate pairs (char 5-gram Jaccard > {NEAR_DUP}): {shown}"


# ------------------------------------------------------------------ size and balance per language


@pytest.mark.parametrize("family", ["no", "sv"])
def test_rows_per_language(data, family):
    n = int((data["family"] == family).sum())
    assert n >= MIN_ROWS, f"{family}: {n} comments"


@pytest.mark.parametrize("family", ["no", "sv"])
def test_every_category_at_least_80_per_language(data, codebook, family):
    labs = data.loc[data["family"] == family, "label_list"]
    counts = {c: int(labs.map(lambda l, c=c: c in l).sum()) for c in codebook["id"]}
    low = {c: n for c, n in counts.items() if n < MIN_PER_CATEGORY}
    assert not low, f"{family}: categories under {MIN_PER_CATEGORY}: {low}"


@pytest.mark.parametrize("family", ["no", "sv"])
def test_label_cardinality_shares(data, family):
    card = data.loc[data["family"] == family, "label_list"].map(len)
    multi, none = 100 * (card >= 2).mean(), 100 * (card == 0).mean()
    assert MULTI_LABEL_PCT[0] <= multi <= MULTI_LABEL_PCT[1], f"{family}: multi-label {multi:.1f}%"
    assert NO_LABEL_PCT[0] <= none <= NO_LABEL_PCT[1], f"{family}: no label {none:.1f}%"


@pytest.mark.parametrize("family", ["no", "sv"])
def test_nps_per_language(data, family):
    s = data.loc[data["family"] == family, "score"].astype(int)
    nps = 100 * ((s >= 9).mean() - (s <= 6).mean())
    assert NPS[0] <= nps <= NPS[1], f"{family}: NPS {nps:+.1f}"


# ------------------------------------------------------------------ kept apart from the evaluation set


def test_no_training_comment_is_also_in_the_held_apart_test_set(data):
    test = read_evaluation("test_*.csv")
    assert len(test) >= 600
    train_keys = set(data.loc[~data["stock"], "text"].map(check.normalise))
    same = [t for t in test["text"] if check.normalise(t) in train_keys]
    assert not same, same[:10]
    train, tested = data["text"].tolist(), test["text"].tolist()
    near = [(train[i], tested[j]) for i, j, _ in check.near_copies(tested, train, NEAR_DUP)]
    assert not near, near[:10]


@pytest.mark.parametrize("family", ["nb", "sv"])
def test_the_confirmation_set_is_labelled_by_the_codebook_and_copies_no_comment(data, codebook, family):
    # evaluation/confirm_*.csv: four later writers, never trained on and never used to choose
    confirm = pd.read_csv(EVALUATION / f"confirm_{family}.csv", dtype=str, keep_default_na=False)
    assert len(confirm) >= 200 and confirm["id"].is_unique
    assert set(confirm["lang"]) <= ({"nb", "nn"} if family == "nb" else {"sv"})
    assert confirm["score"].astype(int).between(0, 10).all()
    assert codebook_mentions(confirm["labels"], codebook)
    # A stock answer ("ok", "-", "nöjd") may also be in the training data, as in any survey;
    # no other comment is a copy or near-copy of a training or development-test comment.
    seen = data["text"].tolist() + read_evaluation("test_*.csv")["text"].tolist()
    written = confirm.loc[~stock_answers(confirm), "text"].tolist()
    seen_keys = set(map(check.normalise, seen))
    assert not [t for t in written if check.normalise(t) in seen_keys]
    near = [(seen[i], written[j]) for i, j, _ in check.near_copies(written, seen, NEAR_DUP)]
    assert not near, near[:10]


@pytest.mark.parametrize("family", ["nb", "sv"])
def test_the_second_coder_labelled_exactly_the_test_comments_by_the_codebook(codebook, family):
    # scripts/coder_agreement.py compares the two codings row by row
    first = pd.read_csv(EVALUATION / f"test_{family}.csv", dtype=str, keep_default_na=False)
    second = pd.read_csv(EVALUATION / f"second_coder_{family}.csv", dtype=str, keep_default_na=False)
    assert second[["id", "text"]].equals(first[["id", "text"]])
    assert codebook_mentions(second["labels"], codebook)


def test_the_blind_recoding_of_resolution_codes_training_rows_as_they_are(data):
    # scripts/compare_variants.py --relabel trains on it (the data card: measured, not adopted)
    recoding = pd.read_csv(EVALUATION / "resolution_recoding_nb.csv", dtype=str, keep_default_na=False)
    assert recoding["id"].is_unique and set(recoding["category"]) == {"resolution"}
    assert set(recoding["writer"]) | set(recoding["coder"]) <= {"none", "neg", "pos", "neu"}
    rows = data.set_index("id").loc[recoding["id"]]
    assert (rows["text"].to_numpy() == recoding["text"].to_numpy()).all()
    assert set(rows["family"]) == {"no"}
    writer = [next((m.split(":")[1] for m in ms if m.startswith("resolution:")), "none") for ms in rows["mentions"]]
    assert writer == recoding["writer"].tolist(), "the writer column is the training label today"
