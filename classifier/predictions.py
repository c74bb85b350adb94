"""The predictions table: the one schema that `Model.predict`, `classify predict` and
`classify drivers` share.

Wide form (one row per comment) keeps every input column and adds, in this order:

| column | what |
|---|---|
| `language` | nb, nn, sv, da, en or unknown |
| `labels` | the assigned category ids joined with `;` (empty: none) |
| `labels_polarity` | `id:polarity` of each assigned id, same order (`wait_time:neg;agent_attitude:pos`) |
| `complaints` | the assigned ids whose polarity is `neg`, joined with `;` |
| `praise` | the assigned ids whose polarity is `pos`, joined with `;` |
| `prob_<id>` | one calibrated probability per category |
| `polarity_prob_<id>` | the probability of the assigned polarity of `<id>`; empty when `<id>` is not assigned |
| `note` | why a comment got no prediction: "empty comment", "too short to classify" |
| `model` | the model that tagged it (name and the first 12 hex digits of its SHA-256) |
| `nps_score`, `nps_group` | when the input has a 0-10 score column |

An added name that the input already uses gets `_pred` appended (then `_pred2`, ...),
so no input column is ever changed or dropped. The polarity columns (`labels_polarity`,
`complaints`, `praise`, `polarity_prob_<id>`) are there only when the model learnt
polarity (`id:polarity` labels); a model trained on bare ids writes none of them.

Long form (`--long`) has one row per comment and assigned category: `row`, `id`,
`language`, `nps_group`, `model`, `label`, `label_name`, `probability`, and with
polarity `polarity` and `polarity_probability`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

PROB_PREFIX = "prob_"
POLARITY_PROB_PREFIX = "polarity_prob_"
COMPLAINT, PRAISE = "neg", "pos"


@dataclass(frozen=True)
class Polarity:
    """The decided polarity of each comment's assigned labels (what `Model.decide` returns).

    `names` (n, k): "neg", "pos" or "neu" where the label is assigned, "" elsewhere;
    `probability` (n, k): the probability of that polarity, NaN where the label is not assigned.
    """

    names: np.ndarray
    probability: np.ndarray


NOTE_EMPTY, NOTE_TOO_SHORT = "empty comment", "too short to classify"


def output_name(name: str, existing) -> str:
    """`name`, or `name_pred`, `name_pred2`, ... whichever the input does not use yet."""
    taken = set(existing)
    if name not in taken:
        return name
    candidate, n = f"{name}_pred", 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_pred{n}"
    return candidate


def label_strings(decided: np.ndarray, labels: Sequence[str]) -> list[str]:
    return _per_distinct_row(decided, lambda row: ";".join(labels[int(j)] for j in np.flatnonzero(row)))


def polarity_columns(decided: np.ndarray, labels: Sequence[str], polarity: Polarity) -> dict[str, list[str]]:
    """`labels_polarity`, `complaints` and `praise`, in the order of `labels`."""
    # One code per cell: 0 = not assigned, else 1 + the index of its polarity name.
    names = tuple(sorted({str(n) for n in pd.unique(polarity.names.ravel()) if n}))
    codes = np.zeros(decided.shape, dtype=np.int8)
    for i, name in enumerate(names):
        codes[(polarity.names == name) & decided.astype(bool)] = i + 1
    rows = _per_distinct_row(codes, lambda row: _polarity_strings(tuple(labels), names, row.tobytes()))
    return {
        "labels_polarity": [r[0] for r in rows],
        "complaints": [r[1] for r in rows],
        "praise": [r[2] for r in rows],
    }


@lru_cache(maxsize=10_000)  # the combinations of a survey recur from chunk to chunk
def _polarity_strings(labels: tuple[str, ...], names: tuple[str, ...], codes: bytes) -> tuple[str, str, str]:
    """`labels_polarity`, `complaints` and `praise` of one comment from its row of int8 codes."""
    row = np.frombuffer(codes, dtype=np.int8)
    pairs = [(labels[int(j)], names[row[j] - 1]) for j in np.flatnonzero(row)]
    return (
        ";".join(f"{lab}:{pol}" for lab, pol in pairs),
        ";".join(lab for lab, pol in pairs if pol == COMPLAINT),
        ";".join(lab for lab, pol in pairs if pol == PRAISE),
    )


def _per_distinct_row(matrix: np.ndarray, make):
    """`[make(row) for row in matrix]`, calling `make` once per distinct row (a survey has few).

    Rows of small non-negative codes are told apart by one integer each (a sort of n
    numbers, not of n rows); other matrices by their bytes.
    """
    if not len(matrix):
        return []
    base = int(matrix.max()) + 1 if matrix.size else 1
    if matrix.min(initial=0) >= 0 and matrix.shape[1] * np.log2(max(base, 2)) < 62:
        keys = matrix.astype(np.int64) @ (base ** np.arange(matrix.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        made = [make(matrix[i]) for i in first]
        return [made[i] for i in inverse.reshape(-1)]
    cache: dict[bytes, object] = {}
    return [cache[key] if (key := row.tobytes()) in cache else cache.setdefault(key, make(row)) for row in matrix]


def wide(
    frame: pd.DataFrame,
    languages: Sequence[str],
    proba: np.ndarray,
    decided: np.ndarray,
    notes: Sequence[str],
    labels: Sequence[str],
    model_id: str | None = None,
    scores: pd.Series | None = None,
    polarity: Polarity | None = None,
) -> pd.DataFrame:
    """`frame` with the prediction columns added (see the module docstring)."""
    from .nps import nps_group

    added: dict[str, object] = {"language": list(languages), "labels": label_strings(decided, labels)}
    if polarity is not None:
        added.update(polarity_columns(decided, labels, polarity))
    for j, lab in enumerate(labels):
        added[f"{PROB_PREFIX}{lab}"] = np.round(proba[:, j], 4)
    if polarity is not None:
        for j, lab in enumerate(labels):
            added[f"{POLARITY_PROB_PREFIX}{lab}"] = np.round(polarity.probability[:, j], 4)
    added["note"] = list(notes)
    if model_id is not None:
        added["model"] = model_id
    if scores is not None:
        added["nps_score"] = scores.astype("Int64")  # same index as frame
        added["nps_group"] = nps_group(scores)
    taken, columns = list(frame.columns), {}
    for name, values in added.items():
        taken.append(output_name(name, taken))
        columns[taken[-1]] = values
    # One concat, not 35 inserts into a growing frame.
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def long(
    frame: pd.DataFrame,
    languages: Sequence[str],
    proba: np.ndarray,
    decided: np.ndarray,
    labels: Sequence[str],
    names: dict[str, str],
    *,
    id_col: str | None = None,
    scores: pd.Series | None = None,
    model_id: str | None = None,
    carry: Sequence[str] = (),
    polarity: Polarity | None = None,
) -> pd.DataFrame:
    """One row per comment and assigned label; a comment with none gets one row, label empty.

    `carry`: input columns (a date, a segment, the score, or all of them) repeated on
    each row of their comment, after `row` and `id`, under their own names.
    With `polarity`, each row also has `polarity` and `polarity_probability` (empty for no label).
    """
    from .nps import nps_group

    groups = nps_group(scores).tolist() if scores is not None else None
    ids = frame[id_col].tolist() if id_col else None
    rows, owners = [], []
    for i, row_labels in enumerate(decided):
        base: dict[str, object] = {"row": int(frame.index[i]) + 1}
        if ids is not None:
            base["id"] = ids[i]
        base["language"] = languages[i]
        if groups is not None:
            base["nps_group"] = groups[i]
        if model_id is not None:
            base["model"] = model_id
        assigned = np.flatnonzero(row_labels)
        owners += [i] * max(1, len(assigned))
        if len(assigned) == 0:
            none: dict[str, object] = {"label": "", "label_name": "(no category)", "probability": None}
            if polarity is not None:
                none.update(polarity="", polarity_probability=None)
            rows.append({**base, **none})
        for j in map(int, assigned):
            row: dict[str, object] = {
                "label": labels[j],
                "label_name": names[labels[j]],
                "probability": round(float(proba[i, j]), 4),
            }
            if polarity is not None:
                row.update(
                    polarity=polarity.names[i, j], polarity_probability=round(float(polarity.probability[i, j]), 4)
                )
            rows.append({**base, **row})
    out = pd.DataFrame(rows)
    # A chunk where no comment got a label must still give Parquet float columns.
    for column in ("probability", "polarity_probability"):
        if column in out:
            out[column] = out[column].astype(float)
    if carry:
        carried = frame[list(dict.fromkeys(carry))].iloc[owners].reset_index(drop=True)
        ours = out.columns[: 2 if ids is not None else 1]
        rest = out.drop(columns=ours)
        rest.columns = [output_name(c, [*carried.columns, *ours]) for c in rest.columns]
        out = pd.concat([out[ours].rename(columns=lambda c: output_name(c, carried.columns)), carried, rest], axis=1)
    return out


def categories_of(columns) -> list[str]:
    """Category ids of a wide predictions table: its `prob_<id>` columns (none: not predictions)."""
    return [c[len(PROB_PREFIX) :] for c in columns if str(c).startswith(PROB_PREFIX)]


def is_predictions(columns) -> bool:
    """True for a table written by `classify predict` (wide form)."""
    return "labels" in set(columns) and bool(categories_of(columns))


def read_wide(df: pd.DataFrame) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Categories, 0/1 labels and probabilities from a wide predictions table."""
    categories = categories_of(df.columns)
    proba = df[[f"{PROB_PREFIX}{c}" for c in categories]].apply(_probabilities)
    proba.columns = categories
    label_sets = df["labels"].fillna("").astype(str).str.split(";")
    hard = pd.DataFrame({c: label_sets.map(lambda labs, c=c: int(c in labs)) for c in categories}, index=df.index)
    return categories, hard, proba


def _probabilities(column: pd.Series) -> pd.Series:
    """Probabilities as written in any of our formats: 0.93, or 0,93 (--nordic-csv); empty is 0."""
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float).fillna(0.0)
    text = column.astype(str).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(~text.isin(["", "nan", "None", "<NA>"]), "0"), errors="coerce").fillna(0.0)
