"""The review queue: the comments the model is least sure of, for a person to code.

A comment's *confidence* is the chance that the least certain of the model's decisions
about it is right. Each category decision has a calibrated probability: a category
assigned with p = 0.41 is right with chance 0.41, one left out with p = 0.29 is right
with chance 0.71. When the model also gives polarity, the probability of each assigned
polarity is a decision too. The queue takes the comments whose confidence is lowest
(uncertainty sampling), and skips a comment that reads almost like one already queued
(so the queue is not fifty variants of one complaint); the queued comment then says how
many similar ones it stands for.

>>> import numpy as np
>>> decision_confidence(np.array([[0.41, 0.29, 0.01]]), np.array([[1, 0, 0]])).round(2).tolist()
[[0.41, 0.71, 0.99]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import predictions
from ..errors import InputError
from ..files.columns import resolve_columns
from ..files.reading import open_table
from ..model.model import Model, clean_texts

UNSURE_BELOW = 0.9  # a comment is worth a person's look when some decision is under 90% likely right
SIMILAR = 0.7  # cosine of character n-gram profiles above which two comments count as variants of one
WARN_SHARE = 0.05  # fewer comments than this in other languages are language detection's usual slips
QUEUE_COLUMNS = ("id", "text", "lang", "labels", "confidence", "reason")
POLARITY_PROB_PREFIX = "polarity_prob_"  # the polarity contract: probability of the assigned polarity


@dataclass
class ReviewQueue:
    """The queue of one file, with what was read and left out to make it."""

    table: pd.DataFrame  # QUEUE_COLUMNS plus `predicted` (the model's own labels), least confident first
    text_col: str
    id_col: str | None  # None: ids are row numbers
    n_comments: int  # comments with text in the file
    n_unsure: int  # of those, comments with a decision under UNSURE_BELOW
    n_similar_skipped: int  # unsure comments left out as variants of a queued one
    # language -> comments in languages the model has no training data in, when over WARN_SHARE (they
    # are queued all the same: coding comments of an unseen language is how a model learns it)
    other_languages: dict[str, int] = field(default_factory=dict)
    polarity: bool = False  # the model gives polarity; labels are `id:pol`

    def __len__(self) -> int:
        return len(self.table)


def decision_confidence(proba: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """(n, k) chance that each category decision is right: p when assigned, 1 - p when left out."""
    return np.where(decided.astype(bool), proba, 1.0 - proba)


def comment_confidence(decisions: np.ndarray) -> np.ndarray:
    """(n,) chance that the least certain decision about each comment is right."""
    return decisions.min(axis=1) if decisions.shape[1] else np.ones(len(decisions))


def reasons(proba: np.ndarray, decided: np.ndarray, labels: list[str], polarity: list[dict] | None = None) -> list[str]:
    """Why each comment is unsure: its decisions under UNSURE_BELOW, least certain first (at most three)."""
    sure = decision_confidence(proba, decided)
    out = []
    for i in range(len(proba)):
        found = [
            (
                float(sure[i, j]),
                f"{lab} {'assigned' if decided[i, j] else 'left out'} at p={proba[i, j]:.2f}",
            )
            for j, lab in enumerate(labels)
            if sure[i, j] < UNSURE_BELOW
        ]
        for lab, (pol, p) in (polarity[i] if polarity else {}).items():
            if p < UNSURE_BELOW:
                found.append((p, f"{lab} is {pol} at p={p:.2f}"))
        found.sort(key=lambda item: item[0])
        out.append("; ".join(text for _, text in found[:3]))
    return out


def choose_diverse(texts: list[str], order: np.ndarray, n: int, similar: float = SIMILAR) -> tuple[list[int], dict]:
    """Up to `n` indices from `order` (most wanted first), skipping near-variants of those taken.

    Returns the chosen indices and, per chosen index, how many skipped comments resemble it.
    Only the first 20 * n candidates are compared, so a file of a million comments stays quick.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..model.duplicates import normalise

    pool = [int(i) for i in order[: max(20 * n, n)]]
    if not pool or n <= 0:
        return [], {}
    norm = [normalise(texts[i]) or " " for i in pool]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(norm)
    chosen: list[int] = []  # positions in pool
    stands_for: dict[int, int] = {}
    for pos in range(len(pool)):
        if chosen:
            sims = (vectors[chosen] @ vectors[pos].T).toarray().ravel()
            best = int(sims.argmax())
            if sims[best] >= similar:
                stands_for[pool[chosen[best]]] = stands_for.get(pool[chosen[best]], 0) + 1
                continue
        if len(chosen) == n:
            break
        chosen.append(pos)
    picked = [pool[p] for p in chosen]
    return picked, {i: stands_for.get(i, 0) for i in picked}


def model_languages(model: Model) -> set[str]:
    """The languages the model has training data in (from its card; empty when unknown)."""
    return {lang for lang, counts in (model.card.get("counts_by_language") or {}).items() if counts.get("comments")}


def _polarity_of(row: pd.Series, labels: list[str]) -> dict[str, tuple[str, float]]:
    """id -> (assigned polarity, its probability) from a predictions row with `labels_polarity`."""
    from ..model.dataset import split_mentions

    out = {}
    for lab, pol in split_mentions(row.get("labels_polarity", "")).items():
        p = row.get(f"{POLARITY_PROB_PREFIX}{lab}", np.nan)
        if pol and lab in labels:
            out[lab] = (pol, 1.0 if pd.isna(p) else float(p))
    return out


def build_queue(
    path,
    model: Model,
    *,
    n: int = 50,
    text_col: str | None = None,
    id_col: str | None = None,
    sheet: str | None = None,
) -> ReviewQueue:
    """The review queue of a survey file: its `n` least confident comments, diverse, least confident first."""
    table = open_table(path, sheet=sheet)
    df = table.read()
    if df.empty:
        raise InputError("has a header but no rows", path=path)
    cols = resolve_columns(table, df.head(1000), text_col=text_col, id_col=id_col)
    texts = clean_texts(df[cols.text].tolist())
    pred = model.predict(pd.DataFrame({"text": texts}))
    labels = model.labels
    proba = pred[[f"{predictions.PROB_PREFIX}{lab}" for lab in labels]].to_numpy(dtype=float)
    decided = np.array([[int(lab in set(s.split(";"))) for lab in labels] for s in pred["labels"]], dtype=np.int8)
    polarity = "labels_polarity" in pred.columns
    pol = [_polarity_of(row, labels) for _, row in pred.iterrows()] if polarity else None

    confidence = comment_confidence(decision_confidence(proba, decided))
    if pol is not None:
        pol_sure = np.array([min([p for _, p in d.values()], default=1.0) for d in pol])
        confidence = np.minimum(confidence, pol_sure)
    has_text = (pred["note"] == "").to_numpy()
    known = model_languages(model)
    langs = pred["language"].astype(str).to_numpy()
    judged = has_text & (langs != "unknown")
    foreign = judged & ~np.isin(langs, list(known)) if known else np.zeros(len(df), bool)
    if foreign.any() and foreign.sum() == judged.sum():  # not one comment in a language the model knows
        seen = pd.Series(langs[foreign]).value_counts()
        raise InputError(
            f"its comments are in {', '.join(f'{k} ({v})' for k, v in seen.items())} but model "
            f"{model.model_id} was trained on {', '.join(sorted(known))} only; train a model on "
            "comments in the file's language first",
            path=path,
        )
    unsure = has_text & (confidence < UNSURE_BELOW)
    order = np.flatnonzero(unsure)
    order = order[np.argsort(confidence[order], kind="stable")]
    picked, stands_for = choose_diverse(texts, order, n)

    ids, id_col = _ids(df, cols.id)
    why = reasons(proba[picked], decided[picked], labels, [pol[i] for i in picked] if pol else None)
    rows = []
    for i, reason in zip(picked, why):
        similar = stands_for[i]
        prefill = prefill_labels(pred["labels"].iat[i], pol[i] if pol else None)
        rows.append(
            {
                "id": ids[i],
                "text": texts[i],
                "lang": langs[i],
                "labels": prefill,
                "confidence": round(float(confidence[i]), 3),
                "reason": reason + (f"; {similar} similar comment(s) not queued" if similar else ""),
                "predicted": prefill,
            }
        )
    out = pd.DataFrame(rows, columns=[*QUEUE_COLUMNS, "predicted"])
    return ReviewQueue(
        out,
        cols.text,
        id_col,
        n_comments=int(has_text.sum()),
        n_unsure=int(unsure.sum()),
        n_similar_skipped=int(sum(stands_for.values())),
        other_languages=(
            pd.Series(langs[foreign]).value_counts().to_dict() if foreign.sum() >= WARN_SHARE * has_text.sum() else {}
        ),
        polarity=polarity,
    )


def prefill_labels(label_cell: str, polarity: dict | None) -> str:
    """The predicted labels as a labelled-data cell: `id:pol` when the model gives polarity, else bare ids."""
    ids = [lab for lab in str(label_cell).split(";") if lab]
    if polarity is None:
        return ";".join(ids)
    return ";".join(f"{lab}:{polarity[lab][0]}" if lab in polarity else lab for lab in ids)


def _ids(df: pd.DataFrame, id_col: str | None) -> tuple[list[str], str | None]:
    """The input's ids as text and their column when they are there and unique, else row numbers
    (1 = the first data row) and None: corrections are found again by their id."""
    if id_col is not None:
        values = df[id_col].astype(str).str.strip()
        if (values != "").all() and values.is_unique:
            return values.tolist(), id_col
    return [str(i + 1) for i in range(len(df))], None
