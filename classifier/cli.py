"""The `classify` command: parses arguments, calls one library function, prints. Nothing else.

Heavy libraries (pandas, scikit-learn, spaCy) are imported inside the commands,
so `classify --help` starts instantly.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path
from typing import List, Optional, Tuple

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table as RichTable
from rich.text import Text

from . import __version__
from .errors import InputError, printable

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


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so it cleans up exactly as after Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _stop_on_signals() -> None:
    """`kill` and a closed terminal behave like Ctrl-C: temporary files removed, workers stopped."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers (the library used from a thread)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)


def friendly_errors(func):
    """Bad input → one line on stderr and exit code 2; Ctrl-C, SIGTERM, SIGHUP → no output, exit 128+signal;
    never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _stop_on_signals()
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            err.print(_labelled("error:", "red", printable(exc)), highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, _Stopped) else 2
            err.print("interrupted: no output was written")
            raise typer.Exit(128 + signum) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CLASSIFY_DEBUG"):
                raise
            err.print(
                _labelled(
                    "internal error:",
                    "red",
                    f"{type(exc).__name__}: {printable(exc)} (set CLASSIFY_DEBUG=1 for details and please report it)",
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or progress lines on stderr."),
):
    """Fit a model on labelled comments, print cross-validated metrics, save model + model card.

    Training on your own data never replaces the default model: without --out or
    --name the model gets a new name from the data file.
    """
    from .model.dataset import SHIPPED, load_sources
    from .model.metrics import format_report
    from .model.store import MODEL_FILE, check_model_dir, model_dir, new_model_name, save_model
    from .model.training import train as fit
    from .model.training import training_steps
    from .paths import shipped_data
    from .progress import Progress

    if out_dir is not None and name is not None:
        raise InputError("give --out or --name, not both")
    sources = data or [shipped_data()]
    own = [p for p in sources if str(p) != SHIPPED]
    target = out_dir or model_dir(name or ("default" if not data else new_model_name((own or sources)[0])))
    labelled = load_sources(sources, codebook=codebook, text_col=text_col, label_col=label_col)
    check_model_dir(target)  # a folder it cannot write fails now, not after the training
    for warning in labelled.warnings:
        err.print(_labelled("warning:", "yellow", warning), highlight=False)
    err.print(
        f"Training on {len(labelled)} comments from {labelled.source}, "
        f"{len(labelled.codebook.ids)} labels ({folds}-fold cross-validation first)..."
    )
    with Progress("training", total=training_steps(True, folds), quiet=quiet, every=0, unit=" steps") as advance:
        model = fit(labelled, variant=variant, seed=seed, folds=folds, on_progress=advance)
    save_model(model, target)
    console.print(format_report(model.card["metrics"], model.labels, title="Cross-validated metrics:"), highlight=False)
    console.print(
        f"\nSaved model {model.name!r} to {target}/ ({MODEL_FILE}, manifest.json, model_card.md)", highlight=False
    )


@app.command(epilog=_examples("classify models", "classify predict survey.csv --model NAME"))
@friendly_errors
def models() -> None:
    """List the trained models: name, labels, training data, date, cross-validated F1."""
    from .model.store import list_models
    from .paths import models_home

    found = list_models()
    if not found:
        console.print(
            f"No models in {printable(models_home())} yet; `classify train` makes the default one.", highlight=False
        )
        return
    table = RichTable(title=f"Models in {printable(models_home())}", title_justify="left")
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
    lang: str = typer.Option("en", "--lang", help="Language of category names: en, nb or sv."),
    date_col: Optional[str] = typer.Option(
        None, help="Date column: real dates in xlsx; carried by --long; `answered_at` in --db."
    ),
    by: List[str] = typer.Option([], "--by", help="Segment column(s) --long carries (repeat --by for several)."),
    keep: bool = typer.Option(False, "--keep", help="--long (and --db) carry every input column."),
    db: Optional[str] = typer.Option(
        None, "--db", help="Write to a database: a SQLite file path or a SQLAlchemy URL (postgresql://...)."
    ),
    table: str = typer.Option("predictions", "--table", help="Table name for --db (also NAME_categories)."),
    dask: Optional[str] = typer.Option(
        None,
        "--dask",
        help="Tag a folder or glob of Parquet/CSV files on a Dask cluster: `local` or a scheduler address.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or progress lines on stderr."),
):
    """Tag every comment of survey exports with root causes and confidences."""
    from .files.writing import OutputBatch
    from .model.store import get_model, model_dir
    from .tagging import FileSummary, default_jobs, input_files, plan_outputs, predict_file

    if lang not in ("en", "nb", "sv"):
        raise InputError(f"--lang {lang!r}: use en, nb or sv")
    if dask is not None:
        given = {"--out": out, "--long": long, "--redact": redact, "--db": db, "--keep": keep, "--by": by,
                 "--date-col": date_col, "--sheet": sheet, "--nordic-csv": nordic_csv}  # fmt: skip
        if fmt not in (None, "parquet"):
            given["--format"] = fmt
        unsupported = [name for name, value in given.items() if value]
        if unsupported:
            raise InputError(f"--dask writes wide Parquet to --out-dir; it does not take {', '.join(unsupported)}")
        return _predict_on_dask(files, dask, out_dir, model_ref, text_col, score_col, id_col, trust)
    write_files = db is None or bool(out or out_dir or fmt or long)  # --db alone writes no file
    paths, scans = input_files(files, sheet=sheet, text_col=text_col)
    for scan in scans:
        taken = ", ".join(printable(f.name) for f in scan.taken)
        err.print(
            f"{printable(scan.folder)}: {len(scan.taken)} survey file(s): {taken}", highlight=False, soft_wrap=True
        )
        for skipped, reason in scan.skipped:
            err.print(f"  skipped {printable(skipped.name)}: {printable(reason)}", highlight=False, soft_wrap=True)
    plan = plan_outputs(paths, out=out, fmt=fmt, out_dir=out_dir, long=long, sheet=sheet)
    model = get_model(model_ref, trust=trust, on_train=_say_training)
    model_path = model_dir(model_ref)
    total = FileSummary(path=Path("."), out=Path("."))
    summaries = []
    sink = _database_sink(db, table, model, lang)
    # All outputs or none: a failure in the last file leaves no output of the first.
    with OutputBatch() as batch, sink:
        for path, target in plan:
            with _tagging_progress(path, quiet) as advance:
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
                    batch=batch,
                    lang=lang,
                    date_col=date_col,
                    by=tuple(by),
                    keep=keep,
                    sink=sink if db else None,
                    write_file=write_files,
                )
            cols = summary.columns
            assert cols is not None
            found = ", ".join(
                f"{kind} column {getattr(cols, kind)!r}" + (" (found by its header)" if cols.found.get(kind) else "")
                for kind in ("text", "score", "id")
                if getattr(cols, kind)
            )
            err.print(f"{printable(path)}: {printable(found)}", highlight=False)
            for warning in summary.warnings:
                err.print(
                    _labelled("warning:", "yellow", f"{printable(path)}: {printable(warning)}"),
                    highlight=False,
                    soft_wrap=True,
                )
            summaries.append(summary)
        if db:
            sink.commit()
        batch.commit()
    for summary in summaries:
        total.add(summary)
        if not write_files:
            continue
        rows = f"{summary.written} rows for {summary.rows} comments" if long else f"{summary.rows} rows"
        console.print(f"Wrote {printable(summary.out)} ({rows}, model {model.model_id})", highlight=False)
    if db:
        console.print(
            f"Wrote {total.rows} comments to tables {table!r} and {table + '_categories'!r} in {printable(sink.shown)}",
            highlight=False,
        )
    _print_summary(total, model, len(paths), lang)


def _database_sink(db: Optional[str], table: str, model, lang: str):
    """The --db sink (one transaction for the run), or a do-nothing context without --db."""
    import contextlib

    if db is None:
        return contextlib.nullcontext()
    from .database import DatabaseSink

    return DatabaseSink(db, table, codebook=model.codebook, lang=lang)


def _predict_on_dask(files, address, out_dir, model_ref, text_col, score_col, id_col, trust) -> None:
    from .distributed import predict_on_dask
    from .model.store import get_model

    if out_dir is None:
        raise InputError("--dask writes a partitioned Parquet dataset: give --out-dir DIR")
    model = get_model(model_ref, trust=trust, on_train=_say_training)
    result = predict_on_dask(
        [str(f) for f in files], model, address, out_dir, text_col=text_col, score_col=score_col, id_col=id_col
    )
    console.print(
        f"Wrote {printable(out_dir)} ({result.rows} rows from {result.files} file(s) in {result.partitions} "
        f"partitions, {result.workers} Dask worker(s), {result.seconds:.1f} s, "
        f"{result.rows / max(result.seconds, 1e-9):.0f} rows/s; model {model.model_id})",
        highlight=False,
    )


PROGRESS_MIN_BYTES = 5_000_000


def _tagging_progress(path: Path, quiet: bool):
    """Progress for files over a few MB (a bar, or a line every 10 s in a log); small files finish first."""
    from .progress import Progress

    size = path.stat().st_size if path.is_file() else 0
    return Progress(f"tagging {printable(path.name)}", quiet=quiet or size < PROGRESS_MIN_BYTES, unit=" rows")


def _print_summary(total, model, n_files: int, lang: str = "en") -> None:
    names = model.codebook.display_names(lang)
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
    if model.has_polarity:  # of each category's mentions, how many complain and how many praise
        table.add_column("complaints", justify="right")
        table.add_column("praise", justify="right")
    for lab, count in sorted(total.categories.items(), key=lambda kv: -kv[1]):
        polarity = [str(total.complaints[lab]), str(total.praise[lab])] if model.has_polarity else []
        table.add_row(lab, names[lab], str(count), f"{100 * count / n:.1f}%", *polarity)
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or progress lines on stderr."),
):
    """Cross-validated metrics on the training data, or scores of a model on a labelled file."""
    from .model.dataset import load_labelled
    from .model.metrics import evaluate_labelled, format_report
    from .model.store import get_model
    from .model.training import cross_validated_metrics
    from .paths import shipped_data
    from .progress import Progress

    if data is not None:
        model = get_model(model_ref, trust=trust, on_train=_say_training)
        labelled = load_labelled(data, codebook=model.codebook, text_col=text_col, label_col=label_col)
        with Progress("scoring", total=len(labelled), quiet=quiet, unit=" comments") as advance:
            report = evaluate_labelled(model, labelled, on_progress=advance)
        labels = model.labels
        title = f"Scores of model {model.model_id} on {data} ({len(labelled)} comments):"
    else:
        labelled = load_labelled(train_data or shipped_data(), text_col=text_col, label_col=label_col)
        err.print(f"Cross-validating variant {variant!r} on {len(labelled)} comments ({folds} folds)...")
        with Progress("cross-validating", total=folds + 1, quiet=quiet, every=0, unit=" steps") as advance:
            report = cross_validated_metrics(labelled, variant=variant, seed=seed, folds=folds, on_progress=advance)
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
        "classify drivers exports/ --period month --compare 2026-08 2026-09 --changes changes.csv",
        "classify drivers csat.csv --metric mean --lang sv --html rapport.html",
        "classify drivers survey.csv --soft --correct",
    )
)
@friendly_errors
def drivers(
    files: List[Path] = typer.Argument(
        ...,
        help="Survey exports (tagged on the fly) or files written by `classify predict`, or folders of them; "
        "several are read as one survey.",
    ),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    score_col: Optional[str] = typer.Option(None, help="Score column (default: found by its header)."),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    by: Optional[str] = typer.Option(None, "--by", help="Segment column: channel, department, language..."),
    date_col: Optional[str] = typer.Option(None, help="Date column for trends (default: found by its header)."),
    period: Optional[str] = typer.Option(None, help="Trend period: month, week or quarter."),
    compare: Optional[Tuple[str, str]] = typer.Option(
        None, "--compare", help="Two periods (e.g. 2026-08 2026-09) whose change in NPS is split into causes."
    ),
    changes_file: Optional[Path] = typer.Option(
        None, "--changes", help="What changed between periods, per cause: .csv, .xlsx, .parquet or .json."
    ),
    metric: str = typer.Option(
        "nps", "--metric", help="nps (0-10 answers) or mean (impact on the average score, e.g. a 1-5 rating)."
    ),
    min_n: int = typer.Option(
        30, "--min-n", min=1, help="Causes and segments with fewer comments are shown but flagged and not ranked."
    ),
    soft: bool = typer.Option(False, "--soft", help="Use predicted probabilities instead of hard labels."),
    correct: bool = typer.Option(
        False,
        "--correct",
        help="Correct prevalence for the cross-validated error rates of the model that tagged the answers.",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", min=0, help="Bootstrap resamples for the 95% intervals."),
    seed: int = typer.Option(0, help="Seed for the bootstrap."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Tidy driver table: .csv, .xlsx, .parquet or .json."),
    html: Optional[Path] = typer.Option(None, "--html", help="Self-contained HTML report."),
    lang: str = typer.Option("en", "--lang", help="Language of the report and the cause names: en, nb or sv."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    title: Optional[str] = typer.Option(None, help="Title of the HTML report."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or progress lines on stderr."),
    themes_file: Optional[Path] = typer.Option(
        None, "--themes", help="A themes table from `classify discover`: the report gets 'What no category covers'."
    ),
):
    """Join categories with scores and rank the causes that drive detractors, with uncertainty."""
    from .analysis.discover import read_themes
    from .analysis.report import LANGUAGES, report_title
    from .analysis.survey import (
        analyze_files,
        expand_inputs,
        model_for_files,
        report_subtitle,
        write_changes,
        write_driver_table,
        write_report,
    )
    from .files.writing import OutputBatch, refuse_overwrite
    from .progress import Progress

    if lang not in LANGUAGES:
        raise InputError(f"unknown report language {lang!r}; use {', '.join(LANGUAGES)}")
    if changes_file is not None and not (period or date_col or compare):
        raise InputError("--changes needs periods: give --period (and --date-col if the dates are not found)")
    inputs = expand_inputs(list(files))
    pair = (compare[0], compare[1]) if compare else None
    for target in (out_file, html, changes_file):
        if target is not None:
            refuse_overwrite(target, inputs)
    if themes_file is not None and html is None:
        raise InputError("--themes adds a section to the HTML report; give --html too")
    themes = read_themes(themes_file) if themes_file is not None else None
    model = model_for_files(inputs, model_ref, sheet=sheet, trust=trust, on_train=_say_training)
    bootstrap = Progress("bootstrapping", quiet=quiet or n_boot == 0, unit=" resamples")
    with bootstrap:
        result = analyze_files(
            inputs,
            model,
            score_col=score_col,
            text_col=text_col,
            by=by,
            date_col=date_col,
            period=period,
            compare=pair,
            metric=metric,
            soft=soft,
            correct=correct,
            min_n=min_n,
            n_boot=n_boot,
            seed=seed,
            sheet=sheet,
            display_lang=lang,
            on_progress=bootstrap.advance_of,
        )
    _print_drivers(result, inputs, compare=pair)
    # --out, --changes and --html appear together or not at all.
    with OutputBatch() as batch:
        if out_file:
            write_driver_table(result, out_file, protect=tuple(inputs), batch=batch)
        if changes_file:
            write_changes(result, changes_file, protect=tuple(inputs), batch=batch)
        if html:
            subtitle = report_subtitle(result, inputs)
            title = title or report_title(lang, metric)
            write_report(result, html, title, subtitle, lang, themes=themes, protect=tuple(inputs), batch=batch)
        batch.commit()
    for written in (out_file, changes_file, html):
        if written:
            console.print(f"Wrote {printable(written)}", highlight=False)


def _print_drivers(result, files: list[Path], compare: tuple[str, str] | None = None) -> None:
    a = result.analysis
    o = a.overall
    mean = a.settings.metric == "mean"
    source = str(files[0]) if len(files) == 1 else f"{len(files)} files"
    err.print(
        f"{source}: score column {result.score_col!r}"
        + (f", comments {result.text_col!r}" if result.text_col else "")
        + (
            f" (tagged by model {result.model_id})"
            if result.predicted
            else f" (predictions from the file{', model ' + result.model_id if result.model_id else ''})"
        ),
        highlight=False,
    )
    for note in result.notes:
        err.print(note, highlight=False, soft_wrap=True)
    for warning in a.warnings:
        err.print(_labelled("warning:", "yellow", warning), highlight=False, soft_wrap=True)
    low, high = ("low (1-2)", "high (4-5)") if a.settings.scale == (1, 5) else ("low (0-6)", "high (9-10)")
    headline = (
        f"\nAverage score {o.nps:.2f} (95% CI {o.nps_ci_low:.2f} to {o.nps_ci_high:.2f}) from {o.n} scored comments; "
        f"{high} {100 * o.promoter_share:.0f}%, {low} {100 * o.detractor_share:.0f}%"
        if mean
        else f"\nNPS {o.nps:+.1f} (95% CI {o.nps_ci_low:+.1f} to {o.nps_ci_high:+.1f}) from {o.n} "
        f"scored comments; promoters {100 * o.promoter_share:.0f}%, passives "
        f"{100 * o.passive_share:.0f}%, detractors {100 * o.detractor_share:.0f}%"
    )
    console.print(
        headline + (f"; {o.n_excluded} left out without a valid score" if o.n_excluded else ""), highlight=False
    )
    console.print(_drivers_table(a), highlight=False)
    for sentence in a.sentences:
        console.print(f"- {sentence}", highlight=False)
    if a.segments is not None:
        console.print(_slices_table(a, a.segments, "segment", "Per segment"), highlight=False)
    if a.trend is not None:
        title = f"Per {a.settings.period}" + (
            f" ({a.n_undated} answers without a date left out)" if a.n_undated else ""
        )
        console.print(_slices_table(a, a.trend, "period", title), highlight=False)
    if a.changes is not None and not a.changes.empty:
        _print_changes(a, compare)
    elif a.changes is not None:
        console.print("(one period only: no change between periods to split into causes)", highlight=False)


def _drivers_table(a) -> RichTable:
    import pandas as pd

    mean = a.settings.metric == "mean"
    digits = 2 if mean else 1
    corrected = "corrected_impact" in a.table.columns
    table = RichTable(title="Causes, ranked by impact on " + ("the average" if mean else "NPS"), title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("rank", "right"),
        ("cause", "left"),
        ("mentions", "right"),
        ("average within" if mean else "NPS within", "right"),
        ("low scores" if mean else "detractors", "right"),
        ("lift", "right"),
        ("impact (95% CI)", "right"),
        ("Shapley", "right"),
        ("q", "right"),
        ("role", "left"),
    ]
    if corrected:
        columns.append(("corrected impact", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for _, r in a.table.iterrows():
        rank = "" if pd.isna(r["rank"]) else str(int(r["rank"]))
        cells = [
            rank,
            str(r["display_name"]),
            f"{r['mentions']:.0f} ({100 * r['mention_share']:.0f}%)",
            f"{r['nps_within']:.2f}" if mean else f"{r['nps_within']:+.0f}",
            f"{100 * r['detractor_share']:.0f}%",
            f"{r['detractor_lift']:.2f}",
            f"{r['impact']:+.{digits}f} ({r['impact_ci_low']:+.{digits}f} to {r['impact_ci_high']:+.{digits}f})",
            f"{r['shapley']:+.{digits}f}",
            "<0.001" if r["q_value"] < 0.001 else f"{r['q_value']:.3f}",
            str(r["role"]),
        ]
        if corrected:
            cells.append("" if pd.isna(r["corrected_impact"]) else f"{r['corrected_impact']:+.1f}")
        table.add_row(*cells)
    return table


def _slices_table(a, frame, key: str, title: str) -> RichTable:
    """One line per segment or period: answers, NPS with its interval, the top complaint drivers."""
    mean = a.settings.metric == "mean"
    table = RichTable(title=title, title_justify="left")
    for col, justify in [
        (key, "left"),
        ("answers", "right"),
        ("average (95% CI)" if mean else "NPS (95% CI)", "right"),
        ("top complaint drivers (impact)", "left"),
    ]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for name, block in frame.groupby(key, sort=False):
        first = block.iloc[0]
        fmt = "{:.2f}" if mean else "{:+.0f}"
        nps = (
            fmt.format(first.slice_nps)
            + f" ({fmt.format(first.slice_nps_ci_low)} to {fmt.format(first.slice_nps_ci_high)})"
        )
        small = " (small)" if first.slice_low_n else ""
        table.add_row(str(name) + small, f"{first.slice_n:,}", nps, _top_complaints(block, mean))
    return table


def _top_complaints(block, mean: bool, limit: int = 3) -> str:
    from .analysis.report import top_complaints

    digits = 2 if mean else 1
    return (
        "; ".join(f"{row.display_name} ({row.impact:+.{digits}f})" for row in top_complaints(block, limit).itertuples())
        or "none"
    )


def _print_changes(a, compare: tuple[str, str] | None, limit: int = 5) -> None:
    from .analysis.changes import change_sentence
    from .analysis.wording import period_name

    changes = a.changes
    pairs = list(dict.fromkeys(zip(changes["from"], changes["to"])))
    shown = [compare] if compare else pairs[-1:]
    mean = a.settings.metric == "mean"
    digits = 2 if mean else 1
    for pair in shown:
        rows = changes[(changes["from"] == pair[0]) & (changes["to"] == pair[1])]
        sentence = change_sentence(changes, pair, a.settings.metric, period=a.settings.period)
        console.print(f"\n{sentence}", highlight=False)
        start, end = (period_name(p, a.settings.period) for p in pair)
        table = RichTable(title=f"What changed from {start} to {end} (top {limit})", title_justify="left")
        for col in ("cause", "mix", "score", "contribution (95% CI)"):
            table.add_column(col, justify="left" if col == "cause" else "right")
        causes = rows[rows["item"] != ""].head(limit)
        for row in list(causes.itertuples()) + list(rows[rows["item"] == ""].itertuples()):
            table.add_row(
                str(row.display_name),
                f"{row.mix:+.{digits}f}",
                f"{row.score:+.{digits}f}",
                f"{row.contribution:+.{digits}f} "
                f"({row.contribution_ci_low:+.{digits}f} to {row.contribution_ci_high:+.{digits}f})",
            )
        console.print(table, highlight=False)
    if len(pairs) > len(shown):
        console.print(f"({len(pairs)} pairs of periods in all; --changes FILE writes every one)", highlight=False)


# --------------------------------------------------------------------------- discover


@app.command(
    epilog=_examples(
        "classify discover survey.csv --out themes.csv --assign comments.csv",
        "classify discover june.predictions.csv --since may.predictions.csv",
        "classify drivers survey.csv --themes themes.csv --html report.html   # the report's section on them",
    )
)
@friendly_errors
def discover(
    file: Path = typer.Argument(
        ..., help="A survey export (tagged on the fly) or a file written by `classify predict`."
    ),
    model_ref: Optional[str] = typer.Option(None, "--model", help=MODEL_HELP),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Themes table, one row per theme: .csv, .xlsx or .parquet (default: NAME.themes.csv)."
    ),
    assign: Optional[Path] = typer.Option(
        None, "--assign", help="Every input row with a `theme` column (empty: none): .csv, .xlsx or .parquet."
    ),
    since: Optional[Path] = typer.Option(
        None, "--since", help="An earlier survey or predictions file: themes much more common now are emerging."
    ),
    training_data: Optional[Path] = typer.Option(
        None, "--training-data", help="The model's training data, for its words (default: as its model card says)."
    ),
    k: Optional[int] = typer.Option(None, "--k", help="NMF components (default: the most stable from 2 to 10)."),
    min_size: int = typer.Option(5, "--min-size", min=2, help="Smallest theme, in comments."),
    min_confidence: float = typer.Option(
        0.5, "--min-confidence", help="Comments whose best category is less probable than this count as uncovered."
    ),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    score_col: Optional[str] = typer.Option(None, help="0-10 score column (default: found by its header)."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    seed: int = typer.Option(0, help="Seed for the subsamples and the NMF: same file and seed, same themes."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
):
    """Find themes no category covers: among uncovered comments, and words the training data never uses."""
    from .analysis.discover import discover_file, write_assignment, write_themes
    from .analysis.survey import is_predictions_file, model_for_file
    from .files.writing import OutputBatch, refuse_overwrite
    from .model.store import get_model

    inputs = (file,) + ((since,) if since else ())
    out = out or file.with_name(f"{file.stem}.themes.csv")
    for target in (out, assign):
        if target is not None:
            refuse_overwrite(target, inputs)
    model = model_for_file(file, model_ref, sheet=sheet, trust=trust, on_train=_say_training)
    if model is None and since is not None and not is_predictions_file(since, sheet):
        model = get_model(model_ref, trust=trust, on_train=_say_training)
    result = discover_file(
        file,
        model,
        since=since,
        training_data=training_data,
        text_col=text_col,
        score_col=score_col,
        sheet=sheet,
        k=k,
        min_size=min_size,
        min_confidence=min_confidence,
        seed=seed,
    )
    _print_themes(result, file, min_size)
    with OutputBatch() as batch:  # themes and assignments together, or neither
        write_themes(result, out, protect=inputs, batch=batch)
        if assign:
            write_assignment(result, assign, protect=inputs, batch=batch)
        batch.commit()
    for written in (out, assign):
        if written:
            console.print(f"Wrote {printable(written)}", highlight=False)


def _print_themes(result, file: Path, min_size: int) -> None:
    import pandas as pd

    d = result.discovery
    err.print(
        f"{file}: comments {result.text_col!r}"
        + (f", scores {result.score_col!r}" if result.score_col else " (no score column)")
        + (f" (tagged by model {result.model_id})" if result.predicted else " (predictions from the file)")
        + f"; words of the training data from {result.training_source}",
        highlight=False,
    )
    new_words = ", ".join(d.new_words[:8]) + (", ..." if len(d.new_words) > 8 else "")
    console.print(
        f"\n{d.n_comments} comments; {d.n_uncovered} with no category or none with probability >= "
        f"{d.min_confidence:g}; {d.n_new_word_comments} more use words the training data never has"
        + (f" ({new_words})" if d.new_words else ""),
        highlight=False,
    )
    if d.n_candidates == 0:
        console.print("No uncovered comments: nothing to find themes in.", highlight=False)
        return
    if d.themes.empty:
        console.print(f"No theme of at least {min_size} comments among them.", highlight=False)
        return
    if d.stability:
        tried = ", ".join(f"{k}: {v:.2f}" for k, v in d.stability.items())
        console.print(
            f"k = {d.k} NMF components, the most stable (adjusted Rand index per k: {tried})", highlight=False
        )
    else:
        console.print(f"k = {d.k} NMF components (as given)", highlight=False)
    table = RichTable(title="Themes no category covers", title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("theme", "left"),
        ("comments", "right"),
        ("detractors", "right"),
        ("top terms", "left"),
        ("new words", "left"),
    ]
    emerging = "emerging" in d.themes.columns
    if emerging:
        columns += [("before", "right"), ("emerging", "left")]
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for _, r in d.themes.iterrows():
        cells = [
            str(r["theme"]),
            f"{int(r['size'])} ({100 * r['share']:.1f}%)",
            "-" if pd.isna(r["detractor_share"]) else f"{100 * r['detractor_share']:.0f}%",
            str(r["top_terms"]),
            str(r["new_words"]),
        ]
        if emerging:
            cells += [f"{int(r['size_since'])} ({100 * r['share_since']:.1f}%)", "yes" if r["emerging"] else ""]
        table.add_row(*cells)
    console.print(table)


def run(prog_name: str | None = None) -> None:
    """The `classify` command: the app, then a quick exit.

    When the app returns, every output is written, closed and moved into place. Python's
    own teardown would then free the model and lingua's and spaCy's tables object by object:
    0.6 s of every run, a tenth of tagging a month's survey. So the process ends without
    it, as forked workers do, once stdout and stderr are flushed. A crash (a bug) still
    ends the normal way, with its traceback.
    """
    code: str | int | None = 0
    try:
        app(prog_name=prog_name)
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # sys.exit("message"), as Python shows it
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`| head`), a closed stream
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    run()
