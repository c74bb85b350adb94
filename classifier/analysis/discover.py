"""Themes the codebook does not cover: what `classify discover FILE` runs.

Two kinds of comment are looked at (the *candidates*):

* **uncovered**: the model gave no category, or none with probability of at least
  `min_confidence` (0.5);
* **new words**: the comment uses a word that recurs in the file (in at least
  `MIN_NEW_WORD_COMMENTS` comments) but never occurs in the model's training data,
  even when the model forced a confident category on it. A new app or a fraud wave
  arrives with its own words and is pushed into the nearest categories.

Comments with fewer than two content words ("Bra", "ok", an emoji) carry no cause and
are left out. The candidates are described by word and character n-gram TF-IDF
(stop words dropped; character n-grams inside words join inflections and compounds:
"lenken"/"lenke", "svindel-sms"/"sms") and factorised with NMF into k components
(`fit_themes`). Each comment goes to its strongest component; components whose members
share vocabulary (cosine similarity of their mean vectors of at least
`MERGE_SIMILARITY`: one cause told in Norwegian and in Swedish, say) are merged into
one theme; then a comment belongs to the theme whose mean vector it is most similar
to, if at least `MIN_SIMILARITY`, and themes with fewer than `min_size` members are
dropped. k is chosen by stability (`choose_k`): for each k from 2 to `MAX_K`, the
themes of all candidates are compared (adjusted Rand index) with those found on
`N_SUBSAMPLES` random 80% subsamples; the k whose themes come back most alike wins
(ties to the smaller k). docs/discover.md explains and measures it.

Everything is seeded: the same file, model and seed give the same themes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import predictions
from ..errors import InputError
from ..files.columns import find_column, require_column
from ..files.reading import open_table
from ..files.writing import OutputBatch, TableWriter, output_format
from ..model.card import ModelCard
from ..model.model import Model, clean_texts
from ..nps import nps_group, parse_scores
from ..text.privacy import mask

MIN_CONFIDENCE = 0.5  # below this highest category probability a comment counts as uncovered
MIN_NEW_WORD_COMMENTS = 3  # a word new to the training data must recur this often to count
MIN_CONTENT_WORDS = 2  # fewer content words carry no cause ("Bra", "ok", an emoji)
MIN_THEME_SIZE = 5
MAX_K = 10
N_SUBSAMPLES = 5
SUBSAMPLE_SHARE = 0.8
MAX_STABILITY_COMMENTS = 2000  # k is chosen on at most this many candidates (a seeded sample)
MERGE_SIMILARITY = 0.1  # NMF components whose members are this alike (cosine) are one theme
MIN_SIMILARITY = 0.2  # a comment this similar (cosine) to a theme's centroid belongs to it
N_TOP_TERMS = 8
N_EXAMPLES = 5
EMERGING_RATIO = 2.0  # emerging: at least this many times as common as in the earlier file ...
EMERGING_P = 0.05  # ... and Fisher's exact test (one-sided) below this

THEME_COLUMNS = [
    "theme",
    "size",
    "share",
    "detractor_share",
    "scored",
    "top_terms",
    "new_words",
    "uncovered",
    "categories",
]
EXAMPLE_COLUMNS = [f"example_{i}" for i in range(1, N_EXAMPLES + 1)]
SINCE_COLUMNS = ["size_since", "share_since", "emerging"]

# Surface words: letters, optionally joined by hyphens ("svindel-sms", "BankID-appen").
_WORD = re.compile(r"[^\W\d_]{2,}(?:-[^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"<\w+>")  # what privacy.mask puts in place of an identifier
# Pronouns and fillers that spaCy's lists miss; they never name a theme.
_EXTRA_STOP_WORDS = {"dere", "deres", "dykk", "ikkje", "ok", "okej", "okay", "ting", "sånn", "liksom", "typ"}


@cache
def theme_stop_words() -> frozenset[str]:
    """Function words of Norwegian, Swedish, Danish and English, for themes only.

    The classifier keeps every word (stop-word lists drop words that carry causes and
    polarity); a theme is told by its content words, so here they go.
    """
    from spacy.lang.da.stop_words import STOP_WORDS as DA
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.nb.stop_words import STOP_WORDS as NB
    from spacy.lang.sv.stop_words import STOP_WORDS as SV

    from ..text.preprocess import STOP_WORDS

    return frozenset(NB | SV | DA | EN | set().union(*STOP_WORDS.values()) | _EXTRA_STOP_WORDS)


def surface_words(text: str) -> list[str]:
    """The words of a comment as written, lower-cased (no stems), identifiers left out.

    >>> surface_words("Fikk en svindel-SMS fra 912 34 567!")
    ['fikk', 'en', 'svindel-sms', 'fra']
    """
    return _WORD.findall(_PLACEHOLDER.sub(" ", text.lower()))


def content_words(text: str) -> list[str]:
    """Surface words without stop words: what themes are made of.

    >>> content_words("Fikk en svindel-SMS med lenke fra dere")
    ['svindel-sms', 'lenke']
    """
    stop = theme_stop_words()
    return [w for w in surface_words(text) if w not in stop]


# --------------------------------------------------------------------------- the vocabulary of training


def training_words(texts: Sequence[str]) -> set[str]:
    """Every surface word the training comments use."""
    words: set[str] = set()
    for text in texts:
        words.update(surface_words(text))
    return words


def training_texts(model: Model | ModelCard | None, data: str | Path | None = None) -> tuple[list[str], str]:
    """The comments a model learnt from, and where they came from.

    In order: the data given; the data its model card names (the shipped training
    data, or a file or folder that still exists); the shipped training data when
    there is no model.
    """
    from ..model.dataset import load_labelled
    from ..paths import shipped_data

    if data is None:
        source = ((model.card.get("training_data") or {}).get("source") or "") if model is not None else ""
        if model is None or source == "shipped training data":
            data = shipped_data()
        elif source and Path(source).exists():
            data = Path(source)
        else:
            raise InputError(
                f"the model's training data ({source or 'not recorded'}) is not here; "
                "give it with --training-data FILE_OR_FOLDER"
            )
    labelled = load_labelled(data, check=False)
    return labelled.texts, labelled.source


# --------------------------------------------------------------------------- themes


@dataclass
class Coded:
    """The comments of one file with what the model said about them."""

    texts: list[str]  # masked comments, "" where empty
    labels: pd.DataFrame  # 0/1 per category
    proba: pd.DataFrame  # probability per category
    scores: pd.Series | None = None  # 0-10, NaN where missing; None without a score column


@dataclass
class ThemeModel:
    """What turns comments into themes: the vectorizers and one mean vector (centroid) per theme.

    A comment belongs to the theme whose centroid it is most similar to (cosine), when
    that similarity is at least `MIN_SIMILARITY`; else to none. The same rule serves
    the file the themes were found in and an earlier file (`--since`).
    """

    word_vectorizer: object
    char_vectorizer: object
    columns: np.ndarray  # the feature columns the candidates use
    centroids: np.ndarray  # (themes, columns), unit length
    ids: list[str]  # theme id per centroid row

    def features(self, texts: Sequence[str]):
        return _features(self.word_vectorizer, self.char_vectorizer, texts, self.columns)

    def assign(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """A theme id per comment ("" for none), and its similarity to that theme."""
        if not len(texts) or not self.ids:
            return [""] * len(texts), np.zeros(len(texts))
        labels, similarity = _nearest(self.features(texts), self.centroids)
        return [self.ids[j] if j >= 0 else "" for j in labels], similarity


def _features(word, char, texts: Sequence[str], columns: np.ndarray | None = None):
    """Word and character n-gram TF-IDF of the content words, each row of unit length."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    docs = [" ".join(content_words(t)) for t in texts]
    X = sp.hstack([word.transform(docs), char.transform(docs)]).tocsr()
    return normalize(X if columns is None else X[:, columns])


def _nearest(X, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar centroid per row (-1 below MIN_SIMILARITY) and the similarity."""
    if not len(centroids):  # every theme was too small: no comment has a theme
        return np.full(X.shape[0], -1), np.zeros(X.shape[0])
    similarity = np.asarray(X @ centroids.T)
    best = similarity.argmax(axis=1)
    top = similarity[np.arange(len(best)), best]
    return np.where(top >= MIN_SIMILARITY, best, -1), top


def _centroids(X, labels: np.ndarray, n: int) -> np.ndarray:
    from sklearn.preprocessing import normalize

    rows = [
        np.asarray(X[labels == j].mean(axis=0)).ravel() if (labels == j).any() else np.zeros(X.shape[1])
        for j in range(n)
    ]
    return normalize(np.vstack(rows)) if rows else np.zeros((0, X.shape[1]))


def fit_themes(X, k: int, *, min_size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Theme per row (-1: none) and the themes' centroids, from an NMF with k components.

    Each comment goes to its strongest component; components whose members' mean
    vectors are alike (cosine >= MERGE_SIMILARITY) are merged (single linkage); then
    every comment goes to its most similar theme centroid if similar enough, and
    themes with fewer than `min_size` members are dropped. Themes are numbered
    largest first.
    """
    weights = _nmf(k, seed).fit_transform(X)
    strongest = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    centroids = _centroids(X, strongest, k)
    group = _single_linkage(centroids @ centroids.T >= MERGE_SIMILARITY)
    merged = np.array([group[j] if j >= 0 else -1 for j in strongest])
    ids = sorted(set(merged) - {-1})
    labels = np.array([ids.index(g) if g >= 0 else -1 for g in merged])
    for _ in range(2):  # assign by similarity, drop the small themes, assign again among the rest
        centroids = _centroids(X, labels, len(ids))
        labels, _ = _nearest(X, centroids)
        sizes = np.bincount(labels[labels >= 0], minlength=len(ids))
        order = [j for j in sorted(range(len(ids)), key=lambda j: (-sizes[j], j)) if sizes[j] >= min_size]
        renumber = {old: new for new, old in enumerate(order)}
        labels = np.array([renumber.get(int(j), -1) for j in labels])
        ids = order
    return labels, _centroids(X, labels, len(ids))


def _single_linkage(similar: np.ndarray) -> list[int]:
    """Group (its smallest member) per item, where similar items join transitively."""
    group = list(range(len(similar)))
    for a in range(len(similar)):
        for b in range(a + 1, len(similar)):
            if similar[a, b]:
                low, high = sorted((group[a], group[b]))
                group = [low if g == high else g for g in group]
    return group


@dataclass
class Discovery:
    """The themes of one file, which comment is in which, and how they were found."""

    themes: pd.DataFrame  # one row per theme (THEME_COLUMNS + EXAMPLE_COLUMNS [+ SINCE_COLUMNS])
    assignment: list[str]  # theme id per input row, "" for none
    n_comments: int  # comments with words
    n_uncovered: int  # no category, or none with probability >= min_confidence
    n_new_word_comments: int  # confidently coded, but using a recurring word new to the training data
    new_words: list[str]  # recurring words new to the training data, most frequent first
    k: int = 0  # NMF components chosen (0: too few candidates to look)
    stability: dict[int, float] = field(default_factory=dict)  # k -> mean adjusted Rand index
    theme_model: ThemeModel | None = None
    min_confidence: float = MIN_CONFIDENCE

    @property
    def n_candidates(self) -> int:
        return self.n_uncovered + self.n_new_word_comments


def candidates(
    coded: Coded,
    known_words: set[str],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    min_new_word_comments: int = MIN_NEW_WORD_COMMENTS,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Which comments are uncovered, which use recurring words new to the training data, and those words."""
    content = [content_words(t) for t in coded.texts]
    substantial = np.array([len(c) >= MIN_CONTENT_WORDS for c in content], dtype=bool)
    top_probability = coded.proba.to_numpy(dtype=float).max(axis=1, initial=0.0)
    no_label = coded.labels.to_numpy().sum(axis=1) == 0 if coded.labels.shape[1] else np.ones(len(content), bool)
    uncovered = substantial & (no_label | (top_probability < min_confidence))
    counts = Counter(w for words in content for w in set(words))
    new = {w: n for w, n in counts.items() if n >= min_new_word_comments and w not in known_words}
    uses_new = substantial & ~uncovered & np.array([any(w in new for w in words) for words in content], dtype=bool)
    return uncovered, uses_new, sorted(new, key=lambda w: (-new[w], w))


def find_themes(
    coded: Coded,
    known_words: set[str],
    *,
    k: int | None = None,
    min_size: int = MIN_THEME_SIZE,
    min_confidence: float = MIN_CONFIDENCE,
    seed: int = 0,
    display_names: dict[str, str] | None = None,
) -> Discovery:
    """Themes among the uncovered comments and those using words new to the training data.

    `known_words` are the surface words of the training data (`training_words`); `k`
    fixes the number of NMF components instead of choosing it by stability.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    uncovered, uses_new, new_words = candidates(coded, known_words, min_confidence=min_confidence)
    has_words = np.array([bool(surface_words(t)) for t in coded.texts], dtype=bool)
    discovery = Discovery(
        themes=_empty_themes(),
        assignment=[""] * len(coded.texts),
        n_comments=int(has_words.sum()),
        n_uncovered=int(uncovered.sum()),
        n_new_word_comments=int(uses_new.sum()),
        new_words=new_words,
        min_confidence=min_confidence,
    )
    rows = np.flatnonzero(uncovered | uses_new)
    if len(rows) < 2 * min_size:
        return discovery

    # Vocabulary and idf from every comment of the file; factorise the candidates only.
    docs = [" ".join(content_words(t)) for t in coded.texts]
    corpus = [d for d in docs if d] or [""]
    word = TfidfVectorizer(analyzer=str.split, min_df=2, sublinear_tf=True).fit(corpus)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True).fit(corpus)
    X = _features(word, char, [coded.texts[i] for i in rows])
    keep = X.getnnz(axis=1) > 0
    rows, X = rows[keep], X[keep]
    # Only the columns the candidates use: the NMF's SVD start grows fast with their number.
    columns = np.flatnonzero(X.getnnz(axis=0))
    X = X[:, columns]
    if len(rows) < 2 * min_size:
        return discovery

    # Small dense matrices: BLAS threads cost more than they win (8 times slower on a busy 2-core machine).
    with threadpool_limits(1):
        if k is None:
            discovery.stability = choose_k(X, max_k=min(MAX_K, len(rows) // min_size), min_size=min_size, seed=seed)
            k = max(discovery.stability, key=lambda c: (round(discovery.stability[c], 2), -c))
        labels, centroids = fit_themes(X, k, min_size=min_size, seed=seed)
    ids = [f"T{j + 1}" for j in range(len(centroids))]
    theme_model = ThemeModel(word, char, columns, centroids, ids)
    members = [ids[j] if j >= 0 else "" for j in labels]
    similarity = np.asarray(X @ centroids.T).max(axis=1, initial=0.0)

    for i, theme in zip(rows, members):
        discovery.assignment[i] = theme
    discovery.k = k
    discovery.theme_model = theme_model
    discovery.themes = _describe(coded, discovery, rows, members, similarity, uncovered, set(new_words), display_names)
    return discovery


def _nmf(k: int, seed: int):
    from sklearn.decomposition import NMF

    return NMF(n_components=k, init="nndsvda", max_iter=500, random_state=seed)


def choose_k(X, *, max_k: int, min_size: int = MIN_THEME_SIZE, seed: int = 0) -> dict[int, float]:
    """Stability of the themes per k: how alike the themes of all candidates and of 80% subsamples are.

    Agreement is the adjusted Rand index between the theme each comment of a subsample
    gets from the fit on all candidates and from the fit on the subsample (no theme
    counts as a label of its own), averaged over N_SUBSAMPLES seeded subsamples.
    """
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    if X.shape[0] > MAX_STABILITY_COMMENTS:
        X = X[np.sort(rng.choice(X.shape[0], MAX_STABILITY_COMMENTS, replace=False))]
    n = X.shape[0]
    subsamples = [np.sort(rng.choice(n, int(SUBSAMPLE_SHARE * n), replace=False)) for _ in range(N_SUBSAMPLES)]
    stability = {}
    for k in range(2, max(2, max_k) + 1):
        full, _ = fit_themes(X, k, min_size=min_size, seed=seed)
        agreement = [
            adjusted_rand_score(full[sub], fit_themes(X[sub], k, min_size=min_size, seed=seed)[0]) for sub in subsamples
        ]
        stability[k] = float(np.mean(agreement))
    return stability


def _describe(coded, discovery, rows, members, strength, uncovered, new_words, display_names) -> pd.DataFrame:
    texts = coded.texts
    all_counts = Counter(w for t in texts for w in set(content_words(t)))
    n_docs = max(discovery.n_comments, 1)
    groups = nps_group(coded.scores) if coded.scores is not None else None
    names = display_names or {}
    records = []
    for theme in _ordered_ids(members):
        idx = [int(r) for r, m in zip(rows, members) if m == theme]
        weight = {int(r): float(s) for r, m, s in zip(rows, members, strength) if m == theme}
        counts = Counter(w for i in idx for w in set(content_words(texts[i])))
        # Words frequent in the theme and rare in the file (a TF-IDF of the theme as one document).
        ranked = sorted(
            (w for w, n in counts.items() if n >= 2),
            key=lambda w: (-counts[w] * np.log(n_docs / all_counts[w]), w),
        )
        new_here = sorted((w for w in counts if w in new_words), key=lambda w: (-counts[w], w))
        label_counts = coded.labels.iloc[idx].sum(axis=0)
        label_counts = label_counts[label_counts > 0].sort_values(ascending=False, kind="stable")
        record: dict[str, object] = {
            "theme": theme,
            "size": len(idx),
            "share": round(len(idx) / n_docs, 4),
            "detractor_share": np.nan,
            "scored": 0,
            "top_terms": ", ".join(ranked[:N_TOP_TERMS]),
            "new_words": ", ".join(new_here[:N_TOP_TERMS]),
            "uncovered": int(uncovered[idx].sum()),
            "categories": ", ".join(f"{names.get(c, c)} ({int(n)})" for c, n in label_counts.items()),
        }
        if groups is not None:
            scored = groups.iloc[idx]
            scored = scored[scored != ""]
            record["scored"] = len(scored)
            record["detractor_share"] = round(float((scored == "detractor").mean()), 4) if len(scored) else np.nan
        examples = _examples(texts, sorted(idx, key=lambda i: (-weight[i], i)))
        record.update(dict(zip(EXAMPLE_COLUMNS, examples + [""] * (N_EXAMPLES - len(examples)))))
        records.append(record)
    return pd.DataFrame(records, columns=THEME_COLUMNS + EXAMPLE_COLUMNS)


def _ordered_ids(members: Sequence[str]) -> list[str]:
    return sorted({m for m in members if m}, key=lambda t: int(t[1:]))


def _examples(texts: Sequence[str], ranked: Sequence[int]) -> list[str]:
    """The most typical members with at least three words, no two alike (texts are masked already)."""
    chosen: list[str] = []
    seen: set[str] = set()
    for i in ranked:
        text = texts[i].strip()
        key = " ".join(surface_words(text))
        if len(text.split()) >= 3 and key not in seen:
            chosen.append(text)
            seen.add(key)
        if len(chosen) == N_EXAMPLES:
            break
    return chosen


def _empty_themes() -> pd.DataFrame:
    return pd.DataFrame(columns=THEME_COLUMNS + EXAMPLE_COLUMNS)


# --------------------------------------------------------------------------- emerging


def compare_since(discovery: Discovery, old: Coded, known_words: set[str]) -> pd.DataFrame:
    """The themes with their size in an earlier file and whether they are emerging.

    The earlier file's comments are chosen by the same rules (uncovered, or using a
    recurring word new to the training data) and assigned to the themes by the same
    rule (the most similar theme centroid, if similar enough).
    """
    from scipy.stats import fisher_exact

    themes = discovery.themes.copy()
    if themes.empty or discovery.theme_model is None:
        for col in SINCE_COLUMNS:
            themes[col] = pd.Series(dtype=object)
        return themes
    uncovered, uses_new, _ = candidates(old, known_words, min_confidence=discovery.min_confidence)
    rows = np.flatnonzero(uncovered | uses_new)
    assigned, _ = discovery.theme_model.assign([old.texts[i] for i in rows])
    old_counts = Counter(assigned)
    n_old = max(sum(bool(surface_words(t)) for t in old.texts), 1)
    n_new = max(discovery.n_comments, 1)
    sizes, shares, emerging = [], [], []
    for theme, size in zip(themes["theme"], themes["size"]):
        before = old_counts.get(theme, 0)
        _, p = fisher_exact([[int(size), n_new - int(size)], [before, n_old - before]], alternative="greater")
        sizes.append(before)
        shares.append(round(before / n_old, 4))
        emerging.append(bool(size / n_new >= EMERGING_RATIO * before / n_old and p < EMERGING_P))
    themes["size_since"] = sizes
    themes["share_since"] = shares
    themes["emerging"] = emerging
    return themes


# --------------------------------------------------------------------------- files


@dataclass
class FileThemes:
    """`classify discover FILE`: the discovery, and what was read to get it."""

    discovery: Discovery
    frame: pd.DataFrame  # the input rows as read
    text_col: str
    score_col: str | None
    predicted: bool  # True: the model tagged the comments here
    training_source: str
    model_id: str = ""


def read_coded(
    path: str | Path,
    model: Model | ModelCard | None,
    *,
    text_col: str | None = None,
    score_col: str | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, Coded, str, str | None, bool]:
    """A survey (tagged here) or predictions file as comments, categories and scores."""
    table = open_table(path, sheet=sheet)
    df = table.read()
    if df.empty:
        raise InputError("has a header but no rows", path=path)
    text = require_column(table, text_col, "--text-col") if text_col else find_column(table.columns, "text", df)
    if text is None:
        raise InputError(
            f"cannot tell which column holds the comments; use --text-col NAME. Columns: {', '.join(table.columns)}",
            path=path,
        )
    texts = clean_texts(df[text].tolist())
    predicted = not predictions.is_predictions(df.columns)
    if predicted:
        if not isinstance(model, Model):
            raise InputError("has no predictions (labels and prob_* columns) and no model was given", path=path)
        _, proba, decided = model.predict_arrays(texts)
        labels = pd.DataFrame(decided, columns=model.labels, index=df.index)
        probabilities = pd.DataFrame(proba, columns=model.labels, index=df.index)
    else:
        _, labels, probabilities = predictions.read_wide(df)
    score = (
        require_column(table, score_col, "--score-col")
        if score_col
        else find_column(table.columns, "score", df, exclude=(text,))
    )
    scores = parse_scores(df[score]) if score else None
    coded = Coded([mask(t) for t in texts], labels, probabilities, scores)
    return df, coded, text, score, predicted


def discover_file(
    path: str | Path,
    model: Model | ModelCard | None,
    *,
    since: str | Path | None = None,
    training_data: str | Path | None = None,
    text_col: str | None = None,
    score_col: str | None = None,
    sheet: str | None = None,
    k: int | None = None,
    min_size: int = MIN_THEME_SIZE,
    min_confidence: float = MIN_CONFIDENCE,
    seed: int = 0,
) -> FileThemes:
    """Read a file, tag it if needed, and find the themes no category covers."""
    if k is not None and k < 2:
        raise InputError("--k must be at least 2")
    if not 0 < min_confidence <= 1:
        raise InputError("--min-confidence must be above 0 and at most 1")
    known_texts, source = training_texts(model, training_data)  # before tagging: fail fast
    df, coded, text, score, predicted = read_coded(path, model, text_col=text_col, score_col=score_col, sheet=sheet)
    known = training_words(known_texts)
    names = model.codebook.display_names("en") if model is not None else None
    discovery = find_themes(
        coded, known, k=k, min_size=min_size, min_confidence=min_confidence, seed=seed, display_names=names
    )
    if since is not None:
        _, old, _, _, _ = read_coded(since, model, text_col=text_col, sheet=sheet)
        discovery.themes = compare_since(discovery, old, known)
    model_id = model.model_id if predicted and model is not None else _recorded_model(df)
    return FileThemes(discovery, df, text, score, predicted, source, model_id)


def _recorded_model(df: pd.DataFrame) -> str:
    if "model" not in df.columns:
        return ""
    return ", ".join(sorted({str(v) for v in df["model"].dropna().unique()}))


def write_themes(
    result: FileThemes, out: Path, protect: tuple[Path, ...] = (), batch: OutputBatch | None = None
) -> None:
    """themes.csv (or .xlsx / .parquet): one row per theme, keyed by `theme`."""
    with TableWriter(out, _table_format(out), protect=protect, batch=batch) as writer:
        writer.write(result.discovery.themes)


def write_assignment(
    result: FileThemes, out: Path, protect: tuple[Path, ...] = (), batch: OutputBatch | None = None
) -> None:
    """Every input row and column as read, with a `theme` column added (empty: none)."""
    frame = result.frame.copy()
    frame[predictions.output_name("theme", frame.columns)] = result.discovery.assignment
    with TableWriter(out, _table_format(out), protect=protect, batch=batch) as writer:
        writer.write(frame)


def _table_format(out: Path) -> str:
    fmt = output_format(out, None)
    if fmt == "jsonl":
        raise InputError("unknown output type; use .csv, .xlsx or .parquet", path=out)
    return fmt


def read_themes(path: str | Path) -> pd.DataFrame:
    """A themes table written by `classify discover` (for the drivers report)."""
    df = open_table(path).read()
    missing = [c for c in ("theme", "size", "top_terms") if c not in df.columns]
    if missing:
        raise InputError(f"is not a themes file from `classify discover` (no {', '.join(missing)} column)", path=path)
    for col in ("size", "share", "detractor_share", "scored", "uncovered", "size_since", "share_since"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col].astype(str).str.replace(",", ".", regex=False), errors="coerce")
    if "emerging" in df.columns:
        df["emerging"] = df["emerging"].astype(str).str.strip().str.lower() == "true"
    return df.fillna({c: "" for c in df.columns if df[c].dtype == object})
