"""Driver analysis of a survey file: what `classify drivers FILE` runs.

FILE is either a survey export (the model tags it on the fly) or a file written
by `classify predict` (its `labels` and `prob_*` columns are used as they are).
Scores are parsed (`10 - Svært sannsynlig` → 10), dates read in Nordic formats,
and `drivers.analyze` does the statistics. Example comments for the report are
always masked for personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import predictions
from ..errors import InputError
from ..files.cells import parse_dates
from ..files.columns import find_column, require_column
from ..files.reading import open_table
from ..files.writing import TableWriter, write_text_atomic
from ..model.card import ModelCard
from ..model.model import ErrorRates, Model, clean_texts
from ..nps import parse_scores
from ..text.privacy import mask
from . import drivers

EXAMPLES_PER_CAUSE = 3


@dataclass
class SurveyDrivers:
    """The analysis of one file, with what was read to get it."""

    analysis: drivers.DriverAnalysis
    text_col: str | None
    score_col: str
    date_col: str | None
    n_rows: int
    n_invalid_scores: int
    predicted: bool  # True: the model tagged the comments here
    examples: dict[str, list[str]]
    model_id: str = ""  # the model that tagged the comments ("" if unknown)


def is_predictions_file(path: str | Path, sheet: str | None = None) -> bool:
    """True for a file written by `classify predict` (its `labels` and `prob_<id>` columns)."""
    path = Path(path)
    return path.is_file() and predictions.is_predictions(open_table(path, sheet=sheet).columns)


def model_for_file(
    path: str | Path, model: str | Path | None = None, *, sheet: str | None = None, trust: bool = False, on_train=None
) -> Model | ModelCard | None:
    """What `classify drivers` needs of a model for a file: the model, its card only, or nothing.

    A survey export is tagged by the model asked for (the default, trained on first
    use). A predictions file carries its labels: only the card of the model named (or
    of the default, when it exists) is read, as JSON, for label names and the error
    rates of --correct; the model file itself is never opened.
    """
    from ..model.store import get_model, load_card

    if not is_predictions_file(path, sheet):
        return get_model(model, trust=trust, on_train=on_train)
    return load_card(model)


def analyze_file(
    path: str | Path,
    model: Model | ModelCard | None,
    *,
    score_col: str | None = None,
    text_col: str | None = None,
    by: str | None = None,
    date_col: str | None = None,
    period: str | None = None,
    soft: bool = False,
    correct: bool = False,
    min_n: int = 30,
    n_boot: int = 1000,
    seed: int = 0,
    sheet: str | None = None,
    display_lang: str = "en",
) -> SurveyDrivers:
    """Read a survey or predictions file, tag it if needed, and rank the causes of detractors."""
    table = open_table(path, sheet=sheet)
    df = table.read()
    if df.empty:
        raise InputError("has a header but no rows", path=path)
    if period and period not in drivers.PERIODS:
        raise InputError(f"unknown period {period!r}; use {', '.join(drivers.PERIODS)}")

    predicted = not predictions.is_predictions(df.columns)
    text = require_column(table, text_col, "--text-col") if text_col else find_column(table.columns, "text", df)
    if predicted:
        if not isinstance(model, Model):
            raise InputError("has no predictions (labels and prob_* columns) and no model was given", path=path)
        if text is None:
            raise InputError(
                "cannot tell which column holds the comments; use --text-col NAME. "
                f"Columns: {', '.join(table.columns)}",
                path=path,
            )
        _, proba, decided = model.predict_arrays(clean_texts(df[text].tolist()))
        categories = model.labels
        hard = pd.DataFrame(decided, columns=categories, index=df.index)
        soft_values = pd.DataFrame(proba, columns=categories, index=df.index)
    else:
        categories, hard, soft_values = predictions.read_wide(df)

    score = (
        require_column(table, score_col, "--score-col")
        if score_col
        else find_column(table.columns, "score", df, exclude=(text or "",))
    )
    if score is None:
        raise InputError(
            "cannot tell which column holds the 0-10 scores; use --score-col NAME. "
            f"Columns: {', '.join(table.columns)}",
            path=path,
        )
    scores = parse_scores(df[score])
    raw = df[score].astype(str).str.strip()
    invalid = int((scores.isna() & (raw != "") & (raw.str.lower() != "nan")).sum())
    if scores.notna().sum() == 0:
        raise InputError("has no valid 0-10 score in any row", path=path, column=score)

    segments = df[require_column(table, by, "--by")].astype(str) if by else None
    dates = None
    if period or date_col:
        date_col = require_column(table, date_col, "--date-col") if date_col else find_column(table.columns, "date", df)
        if date_col is None:
            raise InputError(
                f"cannot tell which column holds the dates; use --date-col NAME. Columns: {', '.join(table.columns)}",
                path=path,
            )
        dates = parse_dates(df[date_col])
        if dates.notna().sum() == 0:
            raise InputError(
                "has no date in a known format (e.g. 03.10.2024 14:22 or 2024-10-03)", path=path, column=date_col
            )
        period = period or "month"

    error_rates = _error_rates(model, categories) if correct else None
    names = model.codebook.display_names(display_lang) if model is not None else None
    analysis = drivers.analyze(
        soft_values if soft else hard,
        scores,
        soft=soft,
        min_n=min_n,
        n_boot=n_boot,
        seed=seed,
        error_rates=error_rates,
        segments=segments,
        dates=dates,
        period=period,
        display_names={c: names.get(c, c) for c in categories} if names else None,
    )
    examples = pick_examples(df, text, hard, soft_values, scores, analysis) if text else {}
    model_id = model.model_id if predicted and isinstance(model, Model) else _recorded_model(df)
    return SurveyDrivers(analysis, text, score, date_col, len(df), invalid, predicted, examples, model_id)


def _recorded_model(df: pd.DataFrame) -> str:
    """The model(s) a predictions file says tagged it, from its `model` column."""
    if "model" not in df.columns:
        return ""
    return ", ".join(sorted({str(v) for v in df["model"].dropna().unique()}))


def _error_rates(model: Model | ModelCard | None, categories: list[str]) -> dict[str, ErrorRates]:
    rates = model.error_rates() if model is not None else {}
    if not rates:
        raise InputError(
            "--correct needs the cross-validated error rates of a model card; "
            "give --model with a model trained by `classify train`"
        )
    return {c: r for c, r in rates.items() if c in categories}


def pick_examples(df, text_col, hard, proba, scores, analysis, k: int = EXAMPLES_PER_CAUSE):
    """Up to k detractor comments per detractor driver, most confident first, masked."""
    examples = {}
    drivers_table = analysis.table
    top = drivers_table.loc[drivers_table["role"] == "detractor driver", "category"].tolist()[:5]
    texts = df[text_col].fillna("").astype(str)
    for cat in top:
        rows = hard.index[(hard[cat] == 1) & (scores <= 6) & (texts.str.split().str.len() >= 3)]
        ranked = proba.loc[rows, cat].sort_values(ascending=False, kind="stable").index[:k]
        examples[cat] = [mask(texts[i]) for i in ranked]
    return examples


def write_driver_table(result: SurveyDrivers, out: Path, protect: tuple[Path, ...] = ()) -> None:
    """The tidy table (one row per segment x period x category) as CSV, XLSX, Parquet or JSON."""
    tidy = result.analysis.tidy()
    tidy["model"] = result.model_id
    suffix = out.suffix.lower()
    if suffix == ".json":
        records = json.loads(tidy.to_json(orient="records", force_ascii=False, date_format="iso"))
        write_text_atomic(out, json.dumps(records, ensure_ascii=False, indent=1), protect=protect)
        return
    fmt = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}.get(suffix)
    if fmt is None:
        raise InputError("unknown output type; use .csv, .xlsx, .parquet or .json", path=out)
    with TableWriter(out, fmt, protect=protect) as writer:
        writer.write(tidy)


def report_subtitle(result: SurveyDrivers, path: Path) -> str:
    """`survey.csv: 392 scored comments; tagged by default@1a2b3c4d5e6f`."""
    text = f"{path.name}: {result.analysis.overall.n} scored comments"
    return text + (f"; tagged by {result.model_id}" if result.model_id else "")


def write_report(result: SurveyDrivers, out: Path, title: str, subtitle: str) -> None:
    from .report import render_html

    write_text_atomic(out, render_html(result.analysis, examples=result.examples, title=title, subtitle=subtitle))
