"""The `classify` command: parses arguments, calls one library function, prints. Nothing else.

Heavy libraries (pandas, scikit-learn, spaCy) are imported inside the commands,
so `classify --help` starts instantly.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table as RichTable
from rich.text import Text

from . import __version__
from .errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="""Code Norwegian and Swedish customer-service survey comments into root causes,
and find which causes drive detractors.

\b
Examples:
  classify predict survey.csv                     tag every comment, write survey.predictions.csv
  classify drivers survey.csv --html report.html  rank the causes of detractors
  classify train --data my_labels.csv             fit a model on your own labels (a new model)
  classify models                                 list the trained models
  classify evaluate --data labelled.csv           score a model on a labelled file
""",
)


def _examples(*lines: str) -> str:
    """An epilog that click prints as written (\\b stops it re-wrapping the lines)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


# Markup off: file and column names like "svar[1].csv" must print as they are.
console = Console(width=None if sys.stdout.isatty() else 150, markup=False)
err = Console(stderr=True, markup=False)


def _labelled(label: str, style: str, message: str) -> Text:
    return Text.assemble((label, style), " ", message)


def _version(value: bool) -> None:
    if value:
        console.print(f"classify {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Code survey comments into root causes."""


def friendly_errors(func):
    """Bad input → one line on stderr and exit code 2; Ctrl-C → exit 130; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            err.print(_labelled("error:", "red", str(exc)), highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted: no output was written")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CLASSIFY_DEBUG"):
                raise
            err.print(
                _labelled(
                    "internal error:",
                    "red",
                    f"{type(exc).__name__}: {exc} (set CLASSIFY_DEBUG=1 for details and please report it)",
                ),
                highlight=False,
            )
            raise typer.Exit(1) from None

    return wrapper


# --------------------------------------------------------------------------- train

MODEL_HELP = "A model name (see `classify models`) or folder (default: the default model)."


def _say_training(message: str) -> None:
    err.print(message, highlight=False)


@app.command(
    epilog=_examples(
        "classify train                                   # the default model, on the shipped data",
        "classify train --data my_labels.csv --codebook my_codebook.csv   # a new model: my_labels",
        "classify train --data my_labels.csv --out models/mine",
        "classify train --data shipped --data corrections.csv   # the shipped data, corrected (`classify review`)",
    )
)
@friendly_errors
def train(
    data: Optional[List[Path]] = typer.Option(
        None,
        "--data",
        help="A labelled CSV/XLSX file, or a folder of CSV files (default: the shipped training data). "
        "Repeat it for several sources: a comment in a later source replaces the same comment in earlier "
        "ones (corrections last). `shipped` names the shipped training data.",
    ),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Model folder to write."),
    name: Optional[str] = typer.Option(
        None,
        "--name",
        help="Model name in the models folder (default: `default` for the shipped data, else a new name from --data).",
    ),
    codebook: Optional[Path] = typer.Option(
        None, help="Codebook CSV with an `id` column (default: codebook.csv in the data folder, else the labels found)."
    ),
    text_col: Optional[str] = typer.Option(None, help="Column with the comments (default: `text`)."),
    label_col: Optional[str] = typer.Option(None, help="Column with `;`-separated labels (default: `labels`)."),
    seed: int = typer.Option(0, help="Seed for folds and models: same data and seed, same model."),
    variant: str = typer.Option(
        "word+char",
        help="Model variant: word+char (default), word+char+e5 (quality mode: sentence embeddings, "
        "needs the quality extra, slow), ... (see the README comparison).",
    ),
    folds: int = typer.Option(5, min=2, help="Cross-validation folds for the printed metrics."),
):
    """Fit a model on labelled comments, print cross-validated metrics, save model + model card.

    Training on your own data never replaces the default model: without --out or
    --name the model gets a new name from the data file.
    """
    from .model.dataset import SHIPPED, load_sources
    from .model.metrics import format_report
    from .model.store import model_dir, new_model_name, save_model
    from .model.training import train as fit
    from .paths import shipped_data

    if out_dir is not None and name is not None:
        raise InputError("give --out or --name, not both")
    sources = data or [shipped_data()]
    own = [p for p in sources if str(p) != SHIPPED]
    target = out_dir or model_dir(name or ("default" if not data else new_model_name((own or sources)[0])))
    labelled = load_sources(sources, codebook=codebook, text_col=text_col, label_col=label_col)
    for warning in labelled.warnings:
        err.print(_labelled("warning:", "yellow", warning), highlight=False)
    err.print(
        f"Training on {len(labelled)} comments from {labelled.source}, "
        f"{len(labelled.codebook.ids)} labels ({folds}-fold cross-validation first)..."
    )
    model = fit(labelled, variant=variant, seed=seed, folds=folds)
    save_model(model, target)
    console.print(format_report(model.card["metrics"], model.labels, title="Cross-validated metrics:"), highlight=False)
    console.print(
        f"\nSaved model {model.name!r} to {target}/ (model.joblib, manifest.json, model_card.md)", highlight=False
    )


@app.command(epilog=_examples("classify models", "classify predict survey.csv --model NAME"))
@friendly_errors
def models() -> None:
    """List the trained models: name, labels, training data, date, cross-validated F1."""
    from .model.store import list_models
    from .paths import models_home

    found = list_models()
    if not found:
        console.print(f"No models in {models_home()} yet; `classify train` makes the default one.", highlight=False)
        return
    table = RichTable(title=f"Models in {models_home()}", title_justify="left")
    for col in ("name", "labels", "training data", "created", "micro F1"):
        table.add_column(col, justify="right" if col in ("labels", "micro F1") else "left")
    for info in found:
        table.add_row(
            info.name,
            str(info.labels),
            info.training_data,
            info.created,
            "-" if info.micro_f1 is None else f"{info.micro_f1:.3f}",
        )
    console.print(table)


# --------------------------------------------------------------------------- predict


@app.command(
    epilog=_examples(
        "classify predict survey.csv",
        "classify predict exports/ --out-dir tagged/ --format xlsx",
        "classify predict survey.xlsx --sheet Svar --text-col Kommentar --long",
    )
)
@friendly_errors
def predict(
    files: List[Path] = typer.Argument(..., help="Survey files (CSV, XLSX, Parquet) or folders of them."),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    out: Optional[Path] = typer.Option(
        None, help="Output file (one input only; default: NAME.predictions.csv beside the input)."
    ),
    out_dir: Optional[Path] = typer.Option(None, help="Folder for the outputs of several inputs."),
    fmt: Optional[str] = typer.Option(
        None, "--format", help="csv, xlsx, parquet or jsonl (default: from --out, else csv)."
    ),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    id_col: Optional[str] = typer.Option(None, help="Respondent id column (default: found by its header)."),
    score_col: Optional[str] = typer.Option(None, help="0-10 score column (default: found by its header)."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    long: bool = typer.Option(False, "--long", help="One row per comment and label (for BI tools)."),
    redact: bool = typer.Option(False, "--redact", help="Mask personal data in the comment column of the output."),
    nordic_csv: bool = typer.Option(
        False, "--nordic-csv", help="CSV as Excel in Norwegian/Swedish settings reads it: `;` and decimal comma."
    ),
    jobs: int = typer.Option(0, help="Worker processes for large files (0: one per core, at most 4)."),
    trust: bool = typer.Option(
        False, "--trust", help="Load a model file whose checksum does not match its manifest. Only for files you know."
    ),
):
    """Tag every comment of survey exports with root causes and confidences."""
    from .model.store import get_model, model_dir
    from .tagging import FileSummary, default_jobs, input_files, plan_outputs, predict_file

    paths = input_files(files)
    plan = plan_outputs(paths, out=out, fmt=fmt, out_dir=out_dir, long=long, sheet=sheet)
    model = get_model(model_ref, trust=trust, on_train=_say_training)
    model_path = model_dir(model_ref)
    total = FileSummary(path=Path("."), out=Path("."))
    for path, target in plan:
        with _progress(path) as advance:
            summary = predict_file(
                model,
                path,
                out=target,
                fmt=fmt,
                text_col=text_col,
                score_col=score_col,
                id_col=id_col,
                long=long,
                redact=redact,
                sheet=sheet,
                jobs=jobs or default_jobs(),
                model_path=model_path,
                trust=trust,
                protect=tuple(paths),
                nordic_csv=nordic_csv,
                on_progress=advance,
            )
        cols = summary.columns
        assert cols is not None
        found = ", ".join(
            f"{kind} column {getattr(cols, kind)!r}" + (" (found by its header)" if cols.found.get(kind) else "")
            for kind in ("text", "score", "id")
            if getattr(cols, kind)
        )
        err.print(f"{path}: {found}", highlight=False)
        console.print(f"Wrote {summary.out} ({summary.rows} rows, model {model.model_id})", highlight=False)
        total.add(summary)
    _print_summary(total, model, len(paths))


class _progress:
    """A progress bar on stderr for files over a few MB; nothing for small ones."""

    def __init__(self, path: Path):
        self.path = path
        self.bar = None

    def __enter__(self):
        from rich.progress import Progress

        size = self.path.stat().st_size if self.path.is_file() else 0
        if size < 5_000_000 or not err.is_terminal:
            return lambda n: None
        self.bar = Progress(console=err, transient=True)
        self.bar.start()
        task = self.bar.add_task(f"tagging {self.path.name}", total=None)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


def _print_summary(total, model, n_files: int) -> None:
    names = model.codebook.display_names("en")
    n = max(total.rows, 1)
    console.print(
        f"\n{total.rows} comments in {n_files} file(s); {total.empty_comments} empty; "
        f"{total.no_category} with no category",
        highlight=False,
    )
    console.print(
        "Languages: " + ", ".join(f"{k} {v} ({100 * v / n:.0f}%)" for k, v in total.languages.most_common()),
        highlight=False,
    )
    if total.scores_valid or total.scores_invalid:
        g = total.groups
        console.print(
            f"Scores: {total.scores_valid} valid, {total.scores_invalid} invalid or out of range; "
            f"NPS {total.nps:+.1f} (promoters {g['promoter']}, passives {g['passive']}, "
            f"detractors {g['detractor']})",
            highlight=False,
        )
    table = RichTable(title="Categories", title_justify="left")
    table.add_column("category")
    table.add_column("name")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    for lab, count in sorted(total.categories.items(), key=lambda kv: -kv[1]):
        table.add_row(lab, names[lab], str(count), f"{100 * count / n:.1f}%")
    console.print(table)


# --------------------------------------------------------------------------- evaluate


@app.command(
    epilog=_examples(
        "classify evaluate                      # cross-validated, on the shipped data",
        "classify evaluate --data labelled_test.csv --model mine",
    )
)
@friendly_errors
def evaluate(
    data: Optional[Path] = typer.Option(
        None, "--data", help="A labelled file to score the model on. Without it: cross-validation on the training data."
    ),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    train_data: Optional[Path] = typer.Option(
        None, "--train-data", help="Training data to cross-validate (default: the shipped training data)."
    ),
    variant: str = typer.Option("word+char", help="Variant to cross-validate (without --data)."),
    seed: int = typer.Option(0, help="Seed for the folds."),
    folds: int = typer.Option(5, min=2, help="Cross-validation folds."),
    text_col: Optional[str] = typer.Option(None, help="Comment column of --data."),
    label_col: Optional[str] = typer.Option(None, help="Label column of --data."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
):
    """Cross-validated metrics on the training data, or scores of a model on a labelled file."""
    from .model.dataset import load_labelled
    from .model.metrics import evaluate_labelled, format_report
    from .model.store import get_model
    from .model.training import cross_validated_metrics
    from .paths import shipped_data

    if data is not None:
        model = get_model(model_ref, trust=trust, on_train=_say_training)
        labelled = load_labelled(data, codebook=model.codebook, text_col=text_col, label_col=label_col)
        report = evaluate_labelled(model, labelled)
        labels = model.labels
        title = f"Scores of model {model.model_id} on {data} ({len(labelled)} comments):"
    else:
        labelled = load_labelled(train_data or shipped_data(), text_col=text_col, label_col=label_col)
        err.print(f"Cross-validating variant {variant!r} on {len(labelled)} comments ({folds} folds)...")
        report = cross_validated_metrics(labelled, variant=variant, seed=seed, folds=folds)
        labels = labelled.codebook.ids
        title = f"Cross-validated metrics ({variant}, {folds} folds, seed {seed}):"
    console.print(format_report(report, labels, title=title), highlight=False)


# --------------------------------------------------------------------------- review


@app.command(
    epilog=_examples(
        "classify review survey.csv --out queue.csv          # 50 comments to check in Excel",
        "classify review survey.csv --serve                  # code them one at a time in the browser",
        "classify train --data shipped --data queue.csv      # retrain on the shipped data and the corrections",
    )
)
@friendly_errors
def review(
    file: Path = typer.Argument(..., help="A survey export (CSV, XLSX, Parquet)."),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    n: int = typer.Option(50, "--n", min=1, help="Comments in the queue."),
    out: Optional[Path] = typer.Option(
        None,
        "--out",
        help="The queue file (default: NAME.review.csv); with --serve, the corrections file "
        "(default: NAME.corrections.csv; reopening it resumes).",
    ),
    serve: bool = typer.Option(False, "--serve", help="Code the queue on a local web page instead."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port of the page (default: a free one)."),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    id_col: Optional[str] = typer.Option(None, help="Respondent id column (default: found by its header)."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
):
    """The comments the model is least sure of, to correct and train on (in a file or a local page).

    The queue is in the labelled-data format (id, text, lang, labels, confidence, reason),
    labels pre-filled with the model's prediction: correct them and pass the file to
    `classify train --data`.
    """
    from .files.writing import TableWriter, output_format, refuse_overwrite
    from .model.store import get_model
    from .review.queue import UNSURE_BELOW, build_queue
    from .review.server import ReviewServer, ReviewSession, serve_queue

    target = out or file.with_name(f"{file.stem}.{'corrections' if serve else 'review'}.csv")
    refuse_overwrite(target, (file,))
    server = ReviewServer(port) if serve else None  # a port in use fails before the slow part
    model = get_model(model_ref, trust=trust, on_train=_say_training)
    queue = build_queue(file, model, n=n, text_col=text_col, id_col=id_col, sheet=sheet)
    if queue.other_languages:
        err.print(
            _labelled(
                "warning:",
                "yellow",
                f"{file}: {sum(queue.other_languages.values())} comments are in languages model "
                f"{model.model_id} has no training data in ("
                + ", ".join(f"{k} {v}" for k, v in queue.other_languages.items())
                + "); its predictions on them are guesses",
            ),
            highlight=False,
            soft_wrap=True,
        )
    if not len(queue):
        if server is not None:
            server.server_close()
        console.print(
            f"{file}: no uncertain comments: every decision of model {model.model_id} on its "
            f"{queue.n_comments} comments is at least {UNSURE_BELOW:.0%} likely right; nothing to review",
            highlight=False,
        )
        return
    if server is not None:
        session = ReviewSession(queue, model, target, protect=(file,))
        serve_queue(server, session, say=lambda line: console.print(line, highlight=False, soft_wrap=True))
        return
    fmt = output_format(target, None)
    with TableWriter(target, fmt, protect=(file,)) as writer:
        writer.write(queue.table.drop(columns="predicted"))
    low, high = queue.table["confidence"].min(), queue.table["confidence"].max()
    console.print(
        f"Wrote {target} ({len(queue)} of {queue.n_unsure} uncertain comments, confidence {low:.2f} to {high:.2f}"
        + (f"; {queue.n_similar_skipped} near-variants of queued comments left out" if queue.n_similar_skipped else "")
        + ")",
        highlight=False,
    )


# --------------------------------------------------------------------------- drivers


@app.command(
    epilog=_examples(
        "classify drivers survey.csv",
        "classify drivers survey.predictions.csv --by Kanal --period month --html report.html --out drivers.xlsx",
        "classify drivers survey.csv --soft --correct",
    )
)
@friendly_errors
def drivers(
    file: Path = typer.Argument(
        ..., help="A survey export (tagged on the fly) or a file written by `classify predict`."
    ),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    score_col: Optional[str] = typer.Option(None, help="0-10 score column (default: found by its header)."),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    by: Optional[str] = typer.Option(None, "--by", help="Segment column: channel, department, language..."),
    date_col: Optional[str] = typer.Option(None, help="Date column for trends (default: found by its header)."),
    period: Optional[str] = typer.Option(None, help="Trend period: month, week or quarter."),
    min_n: int = typer.Option(
        30, "--min-n", min=1, help="Categories and segments with fewer comments are shown but flagged and not ranked."
    ),
    soft: bool = typer.Option(False, "--soft", help="Use predicted probabilities instead of hard labels."),
    correct: bool = typer.Option(
        False,
        "--correct",
        help="Correct prevalence for the classifier's cross-validated error rates (from the model card).",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", min=0, help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(0, help="Seed for the bootstrap."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Tidy driver table: .csv, .xlsx, .parquet or .json."),
    html: Optional[Path] = typer.Option(None, "--html", help="Self-contained HTML report."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    title: str = typer.Option("What drives our NPS", help="Title of the HTML report."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
):
    """Join categories with scores and rank the causes that drive detractors, with uncertainty."""
    from .analysis.survey import analyze_file, model_for_file, report_subtitle, write_driver_table, write_report
    from .files.writing import refuse_overwrite

    for target in (out_file, html):
        if target is not None:
            refuse_overwrite(target, (file,))
    model = model_for_file(file, model_ref, sheet=sheet, trust=trust, on_train=_say_training)
    result = analyze_file(
        file,
        model,
        score_col=score_col,
        text_col=text_col,
        by=by,
        date_col=date_col,
        period=period,
        soft=soft,
        correct=correct,
        min_n=min_n,
        n_boot=n_boot,
        seed=seed,
        sheet=sheet,
    )
    _print_drivers(result, file)
    if out_file:
        write_driver_table(result, out_file, protect=(file,))
        console.print(f"Wrote {out_file}", highlight=False)
    if html:
        write_report(result, html, title, report_subtitle(result, file))
        console.print(f"Wrote {html}", highlight=False)


def _print_drivers(result, file: Path) -> None:
    import pandas as pd

    a = result.analysis
    o = a.overall
    err.print(
        f"{file}: score column {result.score_col!r}"
        + (f", comments {result.text_col!r}" if result.text_col else "")
        + (
            f" (tagged by model {result.model_id})"
            if result.predicted
            else f" (predictions from the file{', model ' + result.model_id if result.model_id else ''})"
        ),
        highlight=False,
    )
    console.print(
        f"\nNPS {o.nps:+.1f} (95% CI {o.nps_ci_low:+.1f} to {o.nps_ci_high:+.1f}) from {o.n} "
        f"scored comments; promoters {100 * o.promoter_share:.0f}%, passives "
        f"{100 * o.passive_share:.0f}%, detractors {100 * o.detractor_share:.0f}%"
        + (f"; {o.n_excluded} left out without a valid score" if o.n_excluded else ""),
        highlight=False,
    )
    table = RichTable(title="Causes, ranked by NPS impact", title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("rank", "right"),
        ("cause", "left"),
        ("mentions", "right"),
        ("NPS within", "right"),
        ("detractors", "right"),
        ("lift", "right"),
        ("impact (95% CI)", "right"),
        ("Shapley", "right"),
        ("q", "right"),
        ("role", "left"),
    ]
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for _, r in a.table.iterrows():
        rank = "" if pd.isna(r["rank"]) else str(int(r["rank"]))
        table.add_row(
            rank,
            str(r["display_name"]),
            f"{int(r['mentions'])} ({100 * r['mention_share']:.0f}%)",
            f"{r['nps_within']:+.0f}",
            f"{100 * r['detractor_share']:.0f}%",
            f"{r['detractor_lift']:.2f}",
            f"{r['impact']:+.1f} ({r['impact_ci_low']:+.1f} to {r['impact_ci_high']:+.1f})",
            f"{r['shapley']:+.1f}",
            f"{r['q_value']:.3f}",
            str(r["role"]),
        )
    console.print(table)
    for sentence in a.sentences:
        console.print(f"- {sentence}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
