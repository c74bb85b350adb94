"""Driver analysis of a survey file: what `classify drivers FILE` runs.

FILE is either a survey export (the model tags it on the fly) or a file written
by `classify predict` (its `labels` and `prob_*` columns are used as they are).
Scores are parsed (`10 - Svært sannsynlig` → 10), dates read in Nordic formats,
and `drivers.analyze` does the statistics. Example comments for the report are
always masked for personal data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import predictions
from ..errors import InputError
from ..files.cells import parse_dates
from ..files.columns import find_column, pick_column
from ..files.reading import open_table
from ..files.sources import TABLE_SUFFIXES
from ..files.writing import OutputBatch, TableWriter, write_text_atomic
from ..model.card import ModelCard
from ..model.model import ErrorRates, Model
from ..nps import DETRACTOR, NPS_SCALE, PROMOTER, group_codes, parse_scores, scale_refusal, score_scale
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
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the run did that the user should know


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


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """The files to read: each file as given; a folder's table files in name order.

    A folder that holds files written by `classify predict` (`*.predictions*`) gives
    those only, so a monthly export and its predictions are not counted twice and the
    tidy tables or reports written beside them are not read as surveys.
    """
    files: list[Path] = []
    for given in map(Path, paths):
        if not given.is_dir():
            files.append(given)
            continue
        tables = sorted(p for p in given.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
        predicted = [p for p in tables if ".predictions" in p.name]
        chosen = predicted or tables
        if not chosen:
            raise InputError(f"holds no table file ({', '.join(TABLE_SUFFIXES)})", path=given)
        files.extend(chosen)
    return files


@dataclass
class _Read:
    """One input file, read and tagged: items per answer, scores, and the cuts asked for."""

    hard: pd.DataFrame  # one 0/1 column per item (category, or category:polarity)
    soft: pd.DataFrame
    scores: pd.Series
    texts: pd.Series | None
    segments: pd.Series | None
    dates: pd.Series | None
    predicted: bool
    text_col: str | None
    score_col: str
    date_col: str | None
    n_invalid: int
    models: set[str]


def model_for_files(
    paths: list[Path], model: str | Path | None = None, *, sheet: str | None = None, trust: bool = False, on_train=None
) -> Model | ModelCard | None:
    """The model `classify drivers` needs for several files: :func:`model_for_file` of the
    first file that needs one (a survey to tag), else of the first wide predictions file.

    Long predictions files need no model; when they are all there is, only the card of
    the model named (or of the default, when it exists) is read, for its names.
    """
    from ..model.store import load_card

    wide, surveys = [], []
    for path in paths:
        columns = open_table(path, sheet=sheet).columns
        if predictions.is_predictions(columns):
            wide.append(path)
        elif not is_long_predictions(columns):
            surveys.append(path)
    if surveys or wide:
        return model_for_file((surveys or wide)[0], model, sheet=sheet, trust=trust, on_train=on_train)
    return load_card(model)


def analyze_file(path: str | Path, model: Model | None, **options) -> SurveyDrivers:
    """Read a survey or predictions file, tag it if needed, and rank the causes of detractors.

    The options are those of :func:`analyze_files`.
    """
    return analyze_files([path], model, **options)


def analyze_files(
    paths: Sequence[str | Path],
    model: Model | ModelCard | None,
    *,
    score_col: str | None = None,
    text_col: str | None = None,
    by: str | None = None,
    date_col: str | None = None,
    period: str | None = None,
    compare: tuple[str, str] | None = None,
    metric: str = "nps",
    soft: bool = False,
    correct: bool = False,
    min_n: int = 30,
    n_boot: int = 1000,
    seed: int = 0,
    sheet: str | None = None,
    display_lang: str = "en",
    on_progress: Callable[[int, int], None] | None = None,
) -> SurveyDrivers:
    """Read survey or predictions files (or folders of them), tag what needs it, rank the causes.

    Several files (monthly exports) are read as one survey; every format `classify
    predict` writes is read: CSV (also --nordic-csv), XLSX, Parquet, JSONL and the long form.
    """
    if period and period not in drivers.PERIODS:
        raise InputError(f"unknown period {period!r}; use {', '.join(drivers.PERIODS)}")
    if metric not in drivers.METRICS:
        raise InputError(f"unknown metric {metric!r}; use {', '.join(drivers.METRICS)}")
    files = expand_inputs(paths)
    wants_dates = bool(period or date_col or compare)
    reads = [
        _read_one(path, model, score_col, text_col, by, date_col if wants_dates else None, wants_dates, metric, sheet)
        for path in files
    ]
    hard = pd.concat([r.hard for r in reads], ignore_index=True).fillna(0).astype(int)
    soft_values = pd.concat([r.soft for r in reads], ignore_index=True).fillna(0.0)
    hard, soft_values = hard[_item_order(hard.columns)], soft_values[_item_order(hard.columns)]
    scores = pd.concat([r.scores for r in reads], ignore_index=True)
    texts = None if any(r.texts is None for r in reads) else pd.concat([r.texts for r in reads], ignore_index=True)
    segments = None if by is None else pd.concat([r.segments for r in reads], ignore_index=True)
    dates = None if not wants_dates else pd.concat([r.dates for r in reads], ignore_index=True)
    predicted = any(r.predicted for r in reads)
    recorded = set().union(*(r.models for r in reads))
    model_id = ", ".join(sorted(({model.model_id} if predicted and model is not None else set()) | recorded))

    notes: list[str] = []
    split = [any(drivers.split_item(c)[1] for c in r.hard.columns) for r in reads]
    if any(split) and not all(split):
        notes.append(
            f"{split.count(False)} of {len(reads)} files have no complaint/praise split (a topic-only model): "
            "their mentions are counted in topic-only rows"
        )
    error_rates = None
    if correct:
        error_rates, note = correction_rates(model, recorded, predicted, list(hard.columns))
        notes.append(note)
    names = model.codebook.display_names(display_lang) if model is not None else None
    try:
        analysis = drivers.analyze(
            soft_values if soft else hard,
            scores,
            metric=metric,
            soft=soft,
            min_n=min_n,
            n_boot=n_boot,
            seed=seed,
            error_rates=error_rates,
            segments=segments,
            dates=dates,
            period=(period or "month") if wants_dates else None,
            compare=compare,
            display_names=names,
            polarity_names=polarity_words(display_lang),
            on_progress=on_progress,
        )
    except ValueError as error:  # a --compare period without answers, and the like
        raise InputError(str(error)) from None
    analysis.warnings[:0] = [n for n in notes if n.startswith("--correct:")]
    examples = pick_examples(texts, hard, soft_values, scores, analysis) if texts is not None else {}
    return SurveyDrivers(
        analysis,
        _joined(r.text_col for r in reads) or None,
        _joined(r.score_col for r in reads),
        _joined(r.date_col for r in reads) or None,
        len(scores),
        sum(r.n_invalid for r in reads),
        predicted,
        examples,
        model_id,
        files=files,
        notes=[n for n in notes if not n.startswith("--correct:")],
    )


def _joined(values) -> str:
    return ", ".join(dict.fromkeys(v for v in values if v))


def polarity_words(lang: str) -> dict[str, str]:
    """How the report names complaints and praise in each language."""
    return {
        "nb": {"neg": "klager", "pos": "ros", "neu": "nøytralt"},
        "sv": {"neg": "klagomål", "pos": "beröm", "neu": "neutralt"},
    }.get(lang, dict(drivers.POLARITY_NAMES))


def _read_one(
    path: Path,
    model: Model | ModelCard | None,
    score_col: str | None,
    text_col: str | None,
    by: str | None,
    date_col: str | None,
    wants_dates: bool,
    metric: str,
    sheet: str | None,
) -> _Read:
    df, columns, descriptions = _read_table(path, sheet)
    if df.empty:
        raise InputError("has a header but no rows", path=path)

    def named(name: str, option: str) -> str:
        return pick_column(columns, name, option, path=path, descriptions=descriptions)

    if is_long_predictions(columns):
        by_col = named(by, "--by") if by else None
        return _read_long(path, df, by_col, named(date_col, "--date-col") if date_col else None, wants_dates, metric)
    predicted = not predictions.is_predictions(df.columns)
    text = named(text_col, "--text-col") if text_col else find_column(columns, "text", df)
    if predicted:
        if not isinstance(model, Model):
            raise InputError("has no predictions (labels and prob_* columns) and no model was given", path=path)
        if text is None:
            raise InputError(
                f"cannot tell which column holds the comments; use --text-col NAME. Columns: {', '.join(columns)}",
                path=path,
            )
        # Tagged here as `classify predict` would: with polarity when the model has it.
        hard, soft_values = item_labels(model.predict(df[[text]], text_col=text))
    else:
        hard, soft_values = item_labels(df)

    score = named(score_col, "--score-col") if score_col else find_column(columns, "score", df, exclude=(text or "",))
    if score is None:
        raise InputError(
            f"cannot tell which column holds the 0-10 scores; use --score-col NAME. Columns: {', '.join(columns)}",
            path=path,
        )
    scores = parse_scores(df[score])
    raw = df[score].astype(str).str.strip()
    invalid = int((scores.isna() & (raw != "") & (raw.str.lower() != "nan")).sum())
    if scores.notna().sum() == 0:
        raise InputError("has no valid 0-10 score in any row", path=path, column=score)
    if metric == "nps" and score_scale(scores.to_numpy()) != NPS_SCALE:
        raise InputError(scale_refusal(score), path=path)

    segments = df[named(by, "--by")].astype(str) if by else None
    dates, found_date_col = None, None
    if wants_dates:
        found_date_col = named(date_col, "--date-col") if date_col else find_column(columns, "date", df)
        if found_date_col is None:
            raise InputError(
                f"cannot tell which column holds the dates; use --date-col NAME. Columns: {', '.join(columns)}",
                path=path,
            )
        dates = parse_dates(df[found_date_col])
        if dates.notna().sum() == 0:
            raise InputError(
                "has no date in a known format (e.g. 03.10.2024 14:22 or 2024-10-03)", path=path, column=found_date_col
            )
    texts = df[text].fillna("").astype(str) if text else None
    return _Read(
        hard,
        soft_values,
        scores,
        texts,
        segments,
        dates,
        predicted,
        text,
        score,
        found_date_col,
        invalid,
        set() if predicted else _recorded_models(df),
    )


def _read_table(path: Path, sheet: str | None) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Any table `classify predict` reads or writes: CSV, XLSX, Parquet, or JSON Lines."""
    table = open_table(path, sheet=sheet)
    return table.read(), table.columns, table.descriptions


def is_long_predictions(columns) -> bool:
    """True for `classify predict --long`: one row per comment and category (`row`, `label`, `probability`)."""
    return {"row", "label", "probability"} <= set(columns) and "labels" not in set(columns)


def item_labels(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """0/1 and probability per item of a wide predictions table.

    With a `labels_polarity` column (`wait_time:neg;agent_attitude:pos`) the items are
    category:polarity; without it (a topic-only model) every category is an item.
    The probability of a split item is the category's times its polarity's.
    """
    categories, hard, proba = predictions.read_wide(df)
    if "labels_polarity" not in df.columns:
        return hard, proba
    pairs = df["labels_polarity"].fillna("").astype(str).map(_parse_polarity_labels)
    items = {f"{c}:{p}" if p else c for row in pairs for c, p in row}
    items_hard = pd.DataFrame(0, index=df.index, columns=_item_order(items), dtype=int)
    items_soft = pd.DataFrame(0.0, index=df.index, columns=items_hard.columns)
    for position, (index, row) in enumerate(pairs.items()):
        for category, polarity in row:
            item = f"{category}:{polarity}" if polarity else category
            items_hard.iat[position, items_hard.columns.get_loc(item)] = 1
            probability = proba.at[index, category] if category in proba.columns else 1.0
            items_soft.iat[position, items_soft.columns.get_loc(item)] = probability * _polarity_probability(
                df, index, category
            )
    return items_hard, items_soft


def _parse_polarity_labels(text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        category, polarity = drivers.split_item(part)
        pairs.append((category, polarity))
    return pairs


def _polarity_probability(df: pd.DataFrame, index, category: str) -> float:
    column = f"polarity_prob_{category}"
    if column not in df.columns:
        return 1.0
    value = pd.to_numeric(str(df.at[index, column]).replace(",", "."), errors="coerce")
    return 1.0 if pd.isna(value) else float(value)


def _item_order(items) -> list[str]:
    """Categories in name order, each followed by its complaints, praise and neutral mentions."""
    rank = {"": 0, **{p: i + 1 for i, p in enumerate(drivers.POLARITIES)}}
    return sorted(items, key=lambda item: (drivers.split_item(item)[0], rank[drivers.split_item(item)[1]]))


def _read_long(
    path: Path, df: pd.DataFrame, by: str | None, date_col: str | None, wants_dates: bool, metric: str
) -> _Read:
    """A `--long` file back to one row per comment; its NPS group stands for the score."""
    if metric != "nps":
        raise InputError(
            "is a long predictions file: it holds NPS groups, not scores; --metric mean needs scores", path=path
        )
    if "nps_group" not in df.columns:
        raise InputError("is a long predictions file without an nps_group column; nothing to rank by", path=path)
    if date_col is None and "date" in df.columns:
        date_col = "date"
    label = df["label"].fillna("").astype(str)
    if "polarity" in df.columns:
        polarity = df["polarity"].fillna("").astype(str)
        label = label.where((polarity == "") | (label == ""), label + ":" + polarity)
    probability = pd.to_numeric(df["probability"].astype(str).str.replace(",", "."), errors="coerce").fillna(0.0)
    items = _item_order({x for x in label if x})
    keys = df["row"]
    first = df.groupby(keys, sort=False).head(1).set_index("row")
    hard = pd.crosstab(keys, label).reindex(index=first.index, columns=items, fill_value=0).clip(upper=1)
    soft = (
        pd.DataFrame({"row": keys, "item": label, "p": probability})
        .pivot_table(index="row", columns="item", values="p", aggfunc="max")
        .reindex(index=first.index, columns=items)
        .fillna(0.0)
    )
    # Promoter 9-10, passive 7-8, detractor 0-6: one score from each group gives the same NPS.
    scores = first["nps_group"].map({"promoter": 10.0, "passive": 8.0, "detractor": 0.0}).astype(float)
    if scores.notna().sum() == 0:
        raise InputError("has no nps_group in any row", path=path, column="nps_group")
    dates = None
    if wants_dates:
        if date_col is None:
            raise InputError("is a long predictions file without a date column; trends need one", path=path)
        dates = parse_dates(first[date_col]).reset_index(drop=True)
    return _Read(
        hard.reset_index(drop=True).astype(int),
        soft.reset_index(drop=True),
        scores.reset_index(drop=True),
        None,
        None if by is None else first[by].astype(str).reset_index(drop=True),
        dates,
        False,
        None,
        "nps_group",
        date_col,
        0,
        _recorded_models(df),
    )


def _recorded_models(df: pd.DataFrame) -> set[str]:
    """The model(s) a predictions file says tagged it, from its `model` column."""
    if "model" not in df.columns:
        return set()
    return {str(v) for v in df["model"].dropna().unique() if str(v).strip()}


def correction_rates(
    model: Model | ModelCard | None, recorded: set[str], predicted: bool, items: list[str]
) -> tuple[dict[str, ErrorRates] | None, str]:
    """The error rates of the model that tagged the answers, and one line saying which (or why none).

    Tagged here: the model used. A predictions file: the model its `model` column names,
    the one given with --model when it is the same file (same SHA-256), else that name
    in the model folder. Without such a model, or without rates in its card, no correction.
    """
    tagger = model if predicted else _recorded_model(model, recorded)
    if tagger is None:
        which = ", ".join(sorted(recorded)) or "unknown (no model column)"
        return None, (
            f"--correct: the model that tagged the file ({which}) is not available here, so no correction "
            "is applied (another model's error rates would not describe these tags)"
        )
    rates = tagger.error_rates()
    if not rates:
        return None, (
            f"--correct: model {tagger.model_id} has no cross-validated error rates in its card "
            "(train it with `classify train` to get them); no correction is applied"
        )
    known = set(items) | {drivers.split_item(i)[0] for i in items}
    return {c: r for c, r in rates.items() if c in known}, (
        f"Corrected with the cross-validated error rates of model {tagger.model_id}, the model that tagged the answers."
    )


def _recorded_model(model: Model | ModelCard | None, recorded: set[str]) -> Model | ModelCard | None:
    """The model (or only its card: the model file is not opened) whose id the file records."""
    from ..model.store import load_card

    if len(recorded) != 1:
        return None
    (model_id,) = recorded
    name, _, digest = model_id.partition("@")
    if model is not None and digest and model.sha256.startswith(digest):
        return model
    try:
        candidate = load_card(name)
    except InputError:
        return None
    return candidate if candidate is not None and digest and candidate.sha256.startswith(digest) else None


def pick_examples(texts, hard, proba, scores, analysis, k: int = EXAMPLES_PER_CAUSE) -> dict[str, list[str]]:
    """Up to k comments for every row the report ranks or watches, most confident first, masked.

    Complaints and detractor drivers are illustrated by detractors (low scores), praise
    and strengths by promoters (high scores), the rest by any answer; comments of fewer
    than three words say too little.
    """
    valid = scores.notna()
    codes = pd.Series(-1, index=scores.index)
    codes[valid] = group_codes(scores[valid].to_numpy(), analysis.settings.scale)
    long_enough = texts.str.split().str.len() >= 3
    examples: dict[str, list[str]] = {}
    table = analysis.table
    for row in table[table["role"] != "low n"].itertuples():
        wanted = long_enough & (hard[row.item] == 1) & valid
        if row.polarity == "neg" or (not row.polarity and row.role == "detractor driver"):
            wanted &= codes == DETRACTOR
        elif row.polarity == "pos" or (not row.polarity and row.role == "strength"):
            wanted &= codes == PROMOTER
        ranked = proba.loc[wanted, row.item].sort_values(ascending=False, kind="stable").index
        distinct = texts[ranked].drop_duplicates()  # the same complaint twice teaches nothing
        examples[row.item] = [mask(text) for text in distinct.iloc[:k]]
    return examples


def write_driver_table(
    result: SurveyDrivers, out: Path, protect: tuple[Path, ...] = (), batch: OutputBatch | None = None
) -> None:
    """The tidy table (one row per segment x period x item) as CSV, XLSX, Parquet or JSON."""
    tidy = result.analysis.tidy()
    tidy["model"] = result.model_id
    _write_tidy(tidy, out, protect, batch)


def write_changes(
    result: SurveyDrivers, out: Path, protect: tuple[Path, ...] = (), batch: OutputBatch | None = None
) -> None:
    """What changed between periods (from, to, category, polarity, mix, score, contribution, interval)."""
    changes = result.analysis.changes
    if changes is None:
        raise InputError("--changes needs periods: give --period (and --date-col if the dates are not found)")
    _write_tidy(changes.assign(metric=result.analysis.settings.metric), out, protect, batch)


def _write_tidy(tidy: pd.DataFrame, out: Path, protect: tuple[Path, ...], batch: OutputBatch | None) -> None:
    suffix = out.suffix.lower()
    if suffix == ".json":
        records = json.loads(tidy.to_json(orient="records", force_ascii=False, date_format="iso"))
        write_text_atomic(out, json.dumps(records, ensure_ascii=False, indent=1), protect=protect, batch=batch)
        return
    fmt = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}.get(suffix)
    if fmt is None:
        raise InputError("unknown output type; use .csv, .xlsx, .parquet or .json", path=out)
    with TableWriter(out, fmt, protect=protect, batch=batch) as writer:
        writer.write(tidy)


def report_subtitle(result: SurveyDrivers, paths: list[Path] | Path) -> str:
    """`survey.csv: 392 scored comments; tagged by default@1a2b3c4d5e6f`."""
    paths = [paths] if isinstance(paths, Path) else list(paths)
    shown = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
    text = f"{shown}: {result.analysis.overall.n} scored comments"
    return text + (f"; tagged by {result.model_id}" if result.model_id else "")


def write_report(
    result: SurveyDrivers,
    out: Path,
    title: str,
    subtitle: str,
    lang: str = "en",
    themes: pd.DataFrame | None = None,
    protect: tuple[Path, ...] = (),
    batch: OutputBatch | None = None,
) -> None:
    from .report import render_html

    html = render_html(
        result.analysis, examples=result.examples, title=title, subtitle=subtitle, lang=lang, themes=themes
    )
    write_text_atomic(out, html, protect=protect, batch=batch)
