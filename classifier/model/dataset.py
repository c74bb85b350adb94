"""Labelled comments for training and evaluation: reading, checking, label matrices.

Labels come from a `labels` column with `;`-separated category ids (empty = no
category), or from a plain single-label column (`label`, `category`, ...), as a
user's own codebook may have it. A mention may carry its polarity, `id:neg`,
`id:pos` or `id:neu` (see the codebook); a bare `id` has no known polarity.

>>> split_mentions("wait_time:neg; agent_attitude:pos;billing_payment")
{'wait_time': 'neg', 'agent_attitude': 'pos', 'billing_payment': ''}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files.columns import pick_column, resolve_text_column
from ..files.reading import open_table
from .codebook import Codebook, codebook_from_labels, load_codebook

LABEL_COLUMNS = (
    "labels",
    "label",
    "categories",
    "category",
    "kategorier",
    "kategori",
    "kategorier",
    "koder",
    "kode",
    "kod",
    "sentiment",
)
MIN_EXAMPLES = 5  # below this a label cannot be cross-validated: error
WARN_EXAMPLES = 20  # below this the model of a label is shaky: warning
CODEBOOK_FILE = "codebook.csv"
POLARITIES = ("neg", "pos", "neu")


@dataclass
class LabelledData:
    texts: list[str]
    labels: list[list[str]]
    codebook: Codebook
    languages: list[str] | None = None  # the `lang` column, when the data has one
    files: list[Path] = field(default_factory=list)
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)
    polarities: list[dict[str, str]] | None = None  # per comment: id -> "neg"/"pos"/"neu"/""
    source: str = ""  # what the data was read from, for the model card
    # Several sources (`load_sources`): per source, what was read, its rows, the rows kept and its SHA-256.
    sources: list[dict] = field(default_factory=list)

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


def split_mentions(cell) -> dict[str, str]:
    """Category id -> polarity ("" when not given) from a `;`-separated labels cell."""
    if not isinstance(cell, str):
        return {}
    mentions: dict[str, str] = {}
    for part in cell.split(";"):
        label, _, polarity = part.strip().partition(":")
        if label.strip():
            mentions.setdefault(label.strip(), polarity.strip().lower())
    return mentions


def split_labels(cell) -> list[str]:
    """The category ids of a labels cell, without their polarities."""
    return list(split_mentions(cell))


def data_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.csv") if p.name != CODEBOOK_FILE)
        if not files:
            raise InputError("has no CSV files with labelled comments", path=path)
        return files
    return [path]


def data_sha256(path: str | Path) -> str:
    """The SHA-256 a model card records for labelled data: each file's name and bytes, in order."""
    digest = hashlib.sha256()
    for f in data_files(Path(path)):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def load_labelled(
    path: str | Path,
    *,
    codebook: Codebook | str | Path | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    check: bool = True,
) -> LabelledData:
    """Read labelled comments from a CSV/Excel/Parquet file or a folder of CSV files.

    The codebook is, in order: the one given, `codebook.csv` in the folder, or the
    ids found in the labels. With `check`, labels outside the codebook, labels with
    too few examples and data with a single class are errors (InputError).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path=path)
    files = data_files(path)
    texts, labels, langs = [], [], []
    polarities: list[dict[str, str]] = []
    has_lang = True
    read_warnings: list[str] = []
    for f in files:
        table = open_table(f)
        df = table.read()
        read_warnings += [f"{f}: {w}" for w in table.warnings]
        if df.empty:
            raise InputError("has a header but no rows", path=f)
        tcol = resolve_text_column(list(df.columns), df, text_col, path=f)
        lcol = (
            pick_column(list(df.columns), label_col, "--label-col", path=f)
            if label_col
            else next((c for c in df.columns if str(c).strip().lower() in LABEL_COLUMNS), None)
        )
        if lcol is None:
            raise InputError(f"has no labels column; use --label-col; columns: {', '.join(df.columns)}", path=f)
        empty = df[tcol].astype(str).str.strip() == ""
        texts += df.loc[~empty, tcol].astype(str).tolist()
        mentions = [split_mentions(c) for c in df.loc[~empty, lcol]]
        _check_polarities(mentions, f, df.index[~empty], lcol)
        labels += [list(m) for m in mentions]
        polarities += mentions
        if "lang" in df.columns:
            langs += df.loc[~empty, "lang"].astype(str).str.strip().tolist()
        else:
            has_lang = False
    if not texts:
        raise InputError("has no comments with text", path=path)

    if codebook is None and path.is_dir() and (path / CODEBOOK_FILE).exists():
        codebook = path / CODEBOOK_FILE
    if isinstance(codebook, (str, Path)):
        codebook = load_codebook(codebook)
    codebook = codebook or codebook_from_labels(labels)
    data = LabelledData(
        texts,
        labels,
        codebook,
        langs if has_lang else None,
        files,
        data_sha256(path),
        polarities=polarities,
        source=_describe_source(path),
    )
    data.warnings = read_warnings + (check_labels(data, path) if check else [])
    return data


def _describe_source(path: Path) -> str:
    from ..paths import shipped_data

    return "shipped training data" if path.resolve() == shipped_data().resolve() else str(path)


def _check_polarities(mentions: list[dict[str, str]], path: Path, rows, column: str) -> None:
    for mention, row in zip(mentions, rows):
        bad = [f"{lab}:{pol}" for lab, pol in mention.items() if pol and pol not in POLARITIES]
        if bad:
            raise InputError(
                f"unknown polarity in {', '.join(bad)}; use {', '.join(POLARITIES)} (or a bare id)",
                path=path,
                row=int(row) + 2,
                column=column,
            )


SHIPPED = "shipped"  # a --data value that names the shipped training data


def source_path(path: str | Path) -> Path:
    """A --data value as a path: `shipped` is the shipped training data (unless such a file exists)."""
    from ..paths import shipped_data

    return shipped_data() if str(path) == SHIPPED and not Path(path).exists() else Path(path)


def load_sources(
    paths: list[Path],
    *,
    codebook: Codebook | str | Path | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    check: bool = True,
) -> LabelledData:
    """Labelled comments from several files or folders, as one data set.

    A comment that comes again in a later source (the same text after `normalise`) is
    taken from the later source only: corrections replace what they correct. The
    codebook is the one given, else the `codebook.csv` of the first folder that has one,
    else the ids found in the labels.
    """
    from .duplicates import normalise

    paths = [source_path(p) for p in paths]
    if len(paths) == 1:
        return load_labelled(paths[0], codebook=codebook, text_col=text_col, label_col=label_col, check=check)
    if codebook is None:
        codebook = next((p / CODEBOOK_FILE for p in paths if p.is_dir() and (p / CODEBOOK_FILE).exists()), None)
    if isinstance(codebook, (str, Path)):
        codebook = load_codebook(codebook)
    parts = [load_labelled(p, codebook=codebook, text_col=text_col, label_col=label_col, check=False) for p in paths]
    codebook = codebook or codebook_from_labels([labs for part in parts for labs in part.labels])
    for part, path in zip(parts, paths):
        unknown = sorted({lab for labs in part.labels for lab in labs} - set(codebook.ids))
        if unknown:
            raise InputError(f"has labels that are not in the codebook: {', '.join(unknown)}", path=path)

    later: set[str] = set()  # normalised texts of the sources after the one being read
    keep: list[list[int]] = []
    for part in reversed(parts):
        keys = [normalise(t) for t in part.texts]
        keep.insert(0, [i for i, key in enumerate(keys) if key not in later])
        later.update(keys)
    digest = hashlib.sha256()
    merged = LabelledData([], [], codebook, [])
    polarities: list[dict[str, str]] = []
    for part, rows in zip(parts, keep):
        merged.texts += [part.texts[i] for i in rows]
        merged.labels += [part.labels[i] for i in rows]
        polarities += [part.polarities[i] for i in rows] if part.polarities else [{} for _ in rows]
        merged.languages = (
            merged.languages + [part.languages[i] for i in rows]
            if merged.languages is not None and part.languages is not None
            else None
        )
        merged.files += part.files
        digest.update(part.sha256.encode())
        merged.sources.append({"source": part.source, "rows": len(part), "kept": len(rows), "sha256": part.sha256})
    merged.polarities = polarities
    merged.sha256 = digest.hexdigest()
    merged.source = " + ".join(s["source"] for s in merged.sources)
    merged.warnings = [
        f"{s['source']}: {s['rows'] - s['kept']} of its {s['rows']} comments come again in a later --data "
        "source, which replaces them"
        for s in merged.sources
        if s["kept"] < s["rows"]
    ]
    if check:
        merged.warnings += check_labels(merged, merged.source)
    return merged


def check_labels(data: LabelledData, path: Path | str) -> list[str]:
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
        raise InputError(
            f"has labels with fewer than {MIN_EXAMPLES} examples: {', '.join(too_few)}; "
            "add examples or remove them from the codebook",
            path=path,
        )
    return [
        f"{path}: label {c!r} has only {counts[c]} examples; its predictions will be unreliable "
        f"(aim for {WARN_EXAMPLES}+)"
        for c in data.codebook.ids
        if counts.get(c, 0) < WARN_EXAMPLES
    ]
