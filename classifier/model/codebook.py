"""A codebook: the category ids a model predicts, with display names and definitions.

The default one is `training_data/codebook.csv`; a user brings their own as a CSV
with at least an `id` column (optional: `name_nb`, `name_sv`, `name_en`,
`definition`, `covers`, `does_not_cover`). Without a codebook file, the ids found
in the training labels are the codebook, each its own display name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError

NAME_LANGUAGES = ("en", "nb", "sv")


@dataclass
class Codebook:
    ids: list[str]
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {lang: name}
    definitions: dict[str, str] = field(default_factory=dict)

    def display_name(self, category: str, lang: str = "en") -> str:
        names = self.names.get(category, {})
        return names.get(lang) or names.get("en") or category

    def display_names(self, lang: str = "en") -> dict[str, str]:
        return {c: self.display_name(c, lang) for c in self.ids}

    def to_dict(self) -> dict:
        return {"ids": self.ids, "names": self.names, "definitions": self.definitions}

    @classmethod
    def from_dict(cls, d: dict) -> Codebook:
        return cls(list(d["ids"]), dict(d.get("names", {})), dict(d.get("definitions", {})))


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    if not path.exists():
        raise InputError("no such codebook file", path=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:
        raise InputError(f"is not a readable codebook CSV ({exc})", path=path) from None
    if "id" not in df.columns:
        raise InputError(f"a codebook needs an 'id' column; columns: {', '.join(df.columns)}", path=path)
    ids = [i.strip() for i in df["id"] if i.strip()]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"repeats category ids: {', '.join(dupes)}", path=path)
    names, definitions = {}, {}
    for _, row in df.iterrows():
        cid = row["id"].strip()
        if not cid:
            continue
        names[cid] = {
            lang: row[f"name_{lang}"].strip()
            for lang in NAME_LANGUAGES
            if f"name_{lang}" in df.columns and row[f"name_{lang}"].strip()
        }
        if "definition" in df.columns:
            definitions[cid] = row["definition"].strip()
    return Codebook(ids, names, definitions)


def codebook_from_labels(label_lists) -> Codebook:
    """The sorted set of ids that occur in the labels, when the user has no codebook file."""
    return Codebook(sorted({lab for labs in label_lists for lab in labs}))
