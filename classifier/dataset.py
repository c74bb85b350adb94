"""Labelled comments for training and evaluation: reading, checking, label matrices.

Labels come from a `labels` column with `;`-separated category ids (empty = no
category), or from a plain single-label column (`label`, `category`, ...), as a
user's own codebook may have it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook, codebook_from_labels, load_codebook
from .errors import InputError
from .tables import find_column, open_table

LABEL_COLUMNS = ("labels", "label", "categories", "category", "kategorier", "kategori",
                 "kategorier", "koder", "kode", "kod", "sentiment")
MIN_EXAMPLES = 5        # below this a label cannot be cross-validated: error
WARN_EXAMPLES = 20      # below this the model of a label is shaky: warning
CODEBOOK_FILE = "codebook.csv"


@dataclass
class LabelledData:
    texts: list[str]
    labels: list[list[str]]
    codebook: Codebook
    languages: list[str] | None = None       # the `lang` column, when the data has one
    files: list[Path] = field(default_factory=list)
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def indicator(self, ids: list[str] | None = None) -> np.ndarray:
        """An (n, k) 0/1 matrix of the labels, columns in codebook order."""
        ids = ids or self.codebook.ids
        col = {c: j for j, c in enumerate(ids)}
        Y = np.zeros((len(self.labels), len(ids)), dtype=np.int8)
        for i, labs in enumerate(self.labels):
            for lab in labs:
                if lab in col:
                    Y[i, col[lab]] = 1
        return Y

    @property
    def exclusive(self) -> bool:
        """True when every comment has exactly one label (a single-label codebook)."""
        return all(len(l) == 1 for l in self.labels)


def split_labels(cell) -> list[str]:
    if not isinstance(cell, str):
        return []
    return list(dict.fromkeys(x.strip() for x in cell.split(";") if x.strip()))


def data_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.csv") if p.name != CODEBOOK_FILE)
        if not files:
            raise InputError("has no CSV files with labelled comments", path=path)
        return files
    return [path]


def load_labelled(path: str | Path, *, codebook: Codebook | str | Path | None = None,
                  text_col: str | None = None, label_col: str | None = None,
                  check: bool = True) -> LabelledData:
    """Read labelled comments from a CSV/Excel/Parquet file or a folder of CSV files.

    The codebook is, in order: the one given, `codebook.csv` in the folder, or the
    ids found in the labels. With `check`, labels outside the codebook, labels with
    too few examples and data with a single class are errors (InputError).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path=path)
    files = data_files(path)
    texts, labels, langs, digest = [], [], [], hashlib.sha256()
    has_lang = True
    for f in files:
        table = open_table(f)
        df = table.read()
        if df.empty:
            raise InputError("has a header but no rows", path=f)
        tcol = text_col or ("text" if "text" in df.columns else find_column(list(df.columns), "text", df))
        if tcol is None or tcol not in df.columns:
            raise InputError(f"has no text column{f' {text_col!r}' if text_col else ''}; use --text-col; "
                             f"columns: {', '.join(df.columns)}", path=f)
        lcol = label_col or next((c for c in df.columns if c.strip().lower() in LABEL_COLUMNS), None)
        if lcol is None or lcol not in df.columns:
            raise InputError(f"has no labels column{f' {label_col!r}' if label_col else ''}; use --label-col; "
                             f"columns: {', '.join(df.columns)}", path=f)
        empty = df[tcol].astype(str).str.strip() == ""
        texts += df.loc[~empty, tcol].astype(str).tolist()
        labels += [split_labels(c) for c in df.loc[~empty, lcol]]
        if "lang" in df.columns:
            langs += df.loc[~empty, "lang"].astype(str).str.strip().tolist()
        else:
            has_lang = False
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    if not texts:
        raise InputError("has no comments with text", path=path)

    if codebook is None and path.is_dir() and (path / CODEBOOK_FILE).exists():
        codebook = path / CODEBOOK_FILE
    if isinstance(codebook, (str, Path)):
        codebook = load_codebook(codebook)
    codebook = codebook or codebook_from_labels(labels)
    data = LabelledData(texts, labels, codebook, langs if has_lang else None, files, digest.hexdigest())
    if check:
        data.warnings = check_labels(data, path)
    return data


def check_labels(data: LabelledData, path: Path) -> list[str]:
    """Errors for unusable labels; returns warnings for weak ones."""
    known = set(data.codebook.ids)
    counts = pd.Series([lab for labs in data.labels for lab in labs], dtype=object).value_counts()
    unknown = [f"{lab} ({n})" for lab, n in counts.items() if lab not in known]
    if unknown:
        raise InputError(f"has labels that are not in the codebook: {', '.join(unknown)}", path=path)
    distinct = [c for c in data.codebook.ids if counts.get(c, 0) > 0]
    has_none = any(not labs for labs in data.labels)
    if len(distinct) + (1 if has_none and len(distinct) else 0) < 2:
        raise InputError("has a single class; training needs at least two", path=path)
    too_few = [f"{c} ({counts.get(c, 0)})" for c in data.codebook.ids if counts.get(c, 0) < MIN_EXAMPLES]
    if too_few:
        raise InputError(f"has labels with fewer than {MIN_EXAMPLES} examples: {', '.join(too_few)}; "
                         "add examples or remove them from the codebook", path=path)
    return [f"{path}: label {c!r} has only {counts[c]} examples; its predictions will be unreliable "
            f"(aim for {WARN_EXAMPLES}+)" for c in data.codebook.ids if counts.get(c, 0) < WARN_EXAMPLES]
