"""Finding columns: the comment, score, id and date columns by their headers, or as named.

One resolver for every command: `find_column` guesses by header, `require_column`
takes a name the user gave (case-insensitively) or says which columns there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError
from ..nps import parse_scores
from .reading import Table, normalise_header

# Headers are compared after lower-casing and folding spaces and punctuation.
TEXT_NAMES = {
    "kommentar",
    "kommentarer",
    "tekst",
    "fritekst",
    "fritext",
    "begrunnelse",
    "svar",
    "motivering",
    "comment",
    "comments",
    "text",
    "feedback",
    "verbatim",
    "tilbakemelding",
    "hvorfor",
    "varför",
    "why",
    "reason",
    "grunn",
    "anledning",
    "orsak",
    "årsak",
    "open answer",
}
TEXT_HINTS = (
    "grunn",
    "hvorfor",
    "kvifor",
    "varför",
    "anledning",
    "orsak",
    "årsak",
    "why",
    "reason",
    "kommentar",
    "comment",
    "fritekst",
    "fritext",
    "begrunn",
    "motiver",
    "feedback",
    "tilbakemeld",
    "utdyp",
    "beskriv",
    "förklara",
    "forklar",
    "fortell",
    "berätta",
    "tell us",
)
SCORE_NAMES = {"score", "nps", "poeng", "betyg", "karakter", "rating", "anbefaling", "nps score"}
SCORE_HINTS = (
    "anbefal",
    "rekommend",
    "recommend",
    "sannsynlig",
    "troligt",
    "troleg",
    "sannolik",
    "likely",
    "nps",
    "0-10",
    "0 10",
    "skala",
)
ID_NAMES = {
    "id",
    "respons id",
    "responsid",
    "response id",
    "responseid",
    "respondent",
    "respondent id",
    "respondentid",
    "svar id",
    "svarsid",
    "svar-id",
    "løpenummer",
    "lopenummer",
    "record id",
    "case id",
    "ticket id",
    "kunde id",
}
DATE_NAMES = {
    "dato",
    "datum",
    "date",
    "tidspunkt",
    "tidpunkt",
    "timestamp",
    "tid",
    "svardato",
    "svarsdatum",
    "besvart",
    "innsendt",
    "submitted",
    "created",
    "recorded date",
    "recordeddate",
    "end date",
    "enddate",
    "start date",
    "startdate",
    "completion time",
    "fullført",
    "skickat",
    "date submitted",
    "dato besvart",
}


def find_column(
    columns: list[str],
    kind: str,
    sample: pd.DataFrame | None = None,
    exclude: tuple[str, ...] = (),
    descriptions: dict[str, str] | None = None,
) -> str | None:
    """The column of `kind` ("text", "score", "id" or "date") by its header, or None.

    For "score", a header hint is only taken when most sample values parse as 0-10
    scores, because a comment header like "Hva er grunnen til din score?" also
    says "score". `descriptions` (column -> question text, as Qualtrics exports
    them under the header) are searched for hints too.
    """
    candidates = [c for c in columns if c not in exclude]
    descriptions = descriptions or {}
    norm = {c: normalise_header(c) for c in candidates}
    said = {c: f"{norm[c]} {normalise_header(descriptions.get(c, ''))}" for c in candidates}
    if kind == "text":
        exact = [c for c in candidates if norm[c] in TEXT_NAMES]
        hinted = exact or [c for c in candidates if any(h in said[c] for h in TEXT_HINTS)]
        if len(hinted) > 1 and sample is not None:
            hinted.sort(key=lambda c: -sample[c].astype(str).str.len().mean())
        return hinted[0] if hinted else None
    if kind == "score":
        exact = [c for c in candidates if norm[c] in SCORE_NAMES]
        hinted = exact + [c for c in candidates if c not in exact and any(h in said[c] for h in SCORE_HINTS)]
        for c in hinted:
            if sample is None or _mostly_scores(sample[c]):
                return c
        return None
    if kind == "id":
        exact = [c for c in candidates if norm[c] in ID_NAMES]
        if exact:
            return exact[0]
        tokens = [c for c in candidates if "id" in norm[c].split()]
        return tokens[0] if tokens else None
    if kind == "date":
        exact = [c for c in candidates if norm[c] in DATE_NAMES]
        return exact[0] if exact else None
    raise ValueError(f"unknown column kind {kind!r}")


def _mostly_scores(values: pd.Series) -> bool:
    text = values.astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return False
    return parse_scores(text).notna().mean() >= 0.6


def require_column(table: Table, name: str, option: str) -> str:
    """`name` as a column of the table, found as `pick_column` finds it."""
    return pick_column(table.columns, name, option, path=table.path, descriptions=table.descriptions)


def pick_column(
    columns: list[str], name: str, option: str, *, path=None, descriptions: dict[str, str] | None = None
) -> str:
    """The column the user named, else InputError listing the columns there are.

    Exports pad headers with spaces and users retype them in another case, so a
    name that matches one column only after trimming and lower-casing is taken, as
    is the question text Qualtrics exports under a column's name.
    """
    if name in columns:
        return name
    loose = [c for c in columns if str(c).strip().casefold() == name.strip().casefold()]
    if len(loose) == 1:
        return loose[0]
    asked = [c for c, d in (descriptions or {}).items() if d.strip().casefold() == name.strip().casefold()]
    if len(asked) == 1:  # a Qualtrics question text for its column, such as Q2
        return asked[0]
    raise InputError(f"has no column {name!r} ({option}); columns: {', '.join(map(str, columns))}", path=path)


def resolve_text_column(
    columns: list[str],
    sample: pd.DataFrame | None,
    name: str | None = None,
    *,
    path=None,
    descriptions: dict[str, str] | None = None,
    option: str = "--text-col",
) -> str:
    """The comment column: as named, else `text`, else found by its header; else InputError."""
    if name:
        return pick_column(columns, name, option, path=path, descriptions=descriptions)
    if "text" in columns:
        return "text"
    found = find_column(columns, "text", sample, descriptions=descriptions)
    if found is None:
        raise InputError(
            f"cannot tell which column holds the comments; use {option} NAME. Columns: {', '.join(map(str, columns))}",
            path=path,
        )
    return found


@dataclass
class Columns:
    """The columns of a survey file that a command reads."""

    text: str
    score: str | None = None
    id: str | None = None
    found: dict[str, bool] = field(default_factory=dict)  # kind -> found by its header (not given)


def resolve_columns(
    table: Table,
    sample: pd.DataFrame,
    text_col: str | None = None,
    score_col: str | None = None,
    id_col: str | None = None,
) -> Columns:
    """The comment, score and id columns: as given, or found by their headers."""
    described = table.descriptions
    text = resolve_text_column(table.columns, sample, text_col, path=table.path, descriptions=described)
    score = (
        require_column(table, score_col, "--score-col")
        if score_col
        else find_column(table.columns, "score", sample, exclude=(text,), descriptions=described)
    )
    ident = (
        require_column(table, id_col, "--id-col")
        if id_col
        else find_column(table.columns, "id", sample, exclude=(text, score or ""))
    )
    return Columns(text, score, ident, {"text": not text_col, "score": not score_col, "id": not id_col})
