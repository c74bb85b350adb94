"""The `classify` command: parses arguments, calls the library, prints. Nothing else."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from . import __version__
from .errors import InputError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    help="""Code Norwegian and Swedish customer-service survey comments into root causes,
and find which causes drive detractors.

Examples:

* `classify train` - fit the default model on training_data/ and save it to models/default/
* `classify predict survey.csv` - write survey.predictions.csv beside it
* `classify evaluate --data labelled.csv` - score the model on a labelled file
* `classify drivers survey.csv --html report.html` - rank the causes of detractors
""")
console = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"classify {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Code survey comments into root causes."""


def friendly_errors(func):
    """Bad input → one line on stderr and exit code 2; Ctrl-C → exit 130; never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted: no output was written")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("CLASSIFY_DEBUG"):
                raise
            err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
                      "(set CLASSIFY_DEBUG=1 for details and please report it)", highlight=False)
            raise typer.Exit(1) from None
    return wrapper


# --------------------------------------------------------------------------- train

@app.command(epilog="Examples: `classify train`  ·  `classify train --data my_labels.csv --codebook "
                    "my_codebook.csv --out models/mine`  ·  `classify train --variant word --seed 1`")
@friendly_errors
def train(
    data: Path = typer.Option(None, "--data", help="A labelled CSV/XLSX file, or a folder of CSV files "
                              "(default: the shipped training_data/)."),
    out_dir: Path = typer.Option(None, "--out", help="Model folder to write (default: models/default)."),
    codebook: Optional[Path] = typer.Option(None, help="Codebook CSV with an `id` column "
                                            "(default: codebook.csv in the data folder, else the labels found)."),
    text_col: Optional[str] = typer.Option(None, help="Column with the comments (default: `text`)."),
    label_col: Optional[str] = typer.Option(None, help="Column with `;`-separated labels (default: `labels`)."),
    seed: int = typer.Option(0, help="Seed for folds and models: same data and seed, same model."),
    variant: str = typer.Option("word+char", help="Feature/classifier variant (see the README comparison)."),
    folds: int = typer.Option(5, min=2, help="Cross-validation folds for the printed metrics."),
):
    """Fit a model on labelled comments, print cross-validated metrics, save model + model card."""
    from .dataset import load_labelled
    from .evaluate import format_report
    from .model import DEFAULT_DATA, DEFAULT_MODEL, save_model
    from .model import train as fit

    data = data or DEFAULT_DATA
    out_dir = out_dir or DEFAULT_MODEL
    labelled = load_labelled(data, codebook=codebook, text_col=text_col, label_col=label_col)
    for warning in labelled.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    err.print(f"Training on {len(labelled)} comments, {len(labelled.codebook.ids)} labels "
              f"({folds}-fold cross-validation first)...")
    model = fit(labelled, variant=variant, seed=seed, folds=folds)
    save_model(model, out_dir)
    console.print(format_report(model.card["metrics"], model.labels, title="Cross-validated metrics:"),
              highlight=False)
    console.print(f"\nSaved model to {out_dir}/ (model.joblib, manifest.json, model_card.md)")


# --------------------------------------------------------------------------- predict

def _load_or_train_default(model_dir: Optional[Path], trust: bool):
    from .dataset import load_labelled
    from .model import DEFAULT_DATA, DEFAULT_MODEL, MODEL_FILE, load_model, save_model
    from .model import train as fit

    path = model_dir or DEFAULT_MODEL
    if model_dir is None and not (path / MODEL_FILE).exists():
        err.print(f"No trained model in {path}; training the default model on {DEFAULT_DATA} "
                  "first (once, about 30 s)...")
        save_model(fit(load_labelled(DEFAULT_DATA)), path)
    return load_model(path, trust=trust), path


@app.command(epilog="Examples: `classify predict survey.csv`  ·  `classify predict exports/ --out-dir "
                    "tagged/ --format xlsx`  ·  `classify predict survey.xlsx --sheet Svar --text-col "
                    "Kommentar --long`")
@friendly_errors
def predict(
    files: List[Path] = typer.Argument(..., help="Survey files (CSV, XLSX, Parquet) or folders of them."),
    model_dir: Optional[Path] = typer.Option(None, "--model", help="Model folder (default: models/default)."),
    out: Optional[Path] = typer.Option(None, help="Output file (one input only; default: "
                                       "NAME.predictions.csv beside the input)."),
    out_dir: Optional[Path] = typer.Option(None, help="Folder for the outputs of several inputs."),
    fmt: Optional[str] = typer.Option(None, "--format", help="csv, xlsx, parquet or jsonl "
                                      "(default: from --out, else csv)."),
    text_col: Optional[str] = typer.Option(None, help="Comment column (default: found by its header)."),
    id_col: Optional[str] = typer.Option(None, help="Respondent id column (default: found by its header)."),
    score_col: Optional[str] = typer.Option(None, help="0-10 score column (default: found by its header)."),
    sheet: Optional[str] = typer.Option(None, help="Excel sheet to read (default: the first)."),
    long: bool = typer.Option(False, "--long", help="One row per comment and label (for BI tools)."),
    redact: bool = typer.Option(False, "--redact", help="Mask personal data in the comment column of the output."),
    jobs: int = typer.Option(0, help="Worker processes for large files (0: one per core, at most 4)."),
    trust: bool = typer.Option(False, "--trust", help="Load a model file whose checksum does not match "
                               "its manifest. Only for files you know."),
):
    """Tag every comment of survey exports with root causes and confidences."""
    from .predict import FileSummary, default_jobs, input_files, predict_file

    paths = input_files(files)
    if out and len(paths) > 1:
        raise InputError("--out names one file but there are several inputs; use --out-dir")
    model, model_path = _load_or_train_default(model_dir, trust)
    total = FileSummary(path=Path("."), out=Path("."))
    for path in paths:
        with _progress(path) as advance:
            summary = predict_file(model, path, out=out, fmt=fmt, out_dir=out_dir, text_col=text_col,
                                   score_col=score_col, id_col=id_col, long=long, redact=redact,
                                   sheet=sheet, jobs=jobs or default_jobs(), model_path=model_path,
                                   trust=trust, on_progress=advance)
        cols = summary.columns
        found = ", ".join(f"{kind} column {getattr(cols, kind)!r}" + (" (found by its header)"
                          if cols.found.get(kind) else "")
                          for kind in ("text", "score", "id") if getattr(cols, kind))
        err.print(f"{path}: {found}", highlight=False)
        console.print(f"Wrote {summary.out} ({summary.rows} rows)", highlight=False)
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
    console.print(f"\n{total.rows} comments in {n_files} file(s); {total.empty_comments} empty; "
              f"{total.no_category} with no category", highlight=False)
    console.print("Languages: " + ", ".join(f"{k} {v} ({100 * v / n:.0f}%)"
                                        for k, v in total.languages.most_common()), highlight=False)
    if total.scores_valid or total.scores_invalid:
        g = total.groups
        nps = 100 * (g["promoter"] - g["detractor"]) / max(total.scores_valid, 1)
        console.print(f"Scores: {total.scores_valid} valid, {total.scores_invalid} invalid or out of range; "
                  f"NPS {nps:+.1f} (promoters {g['promoter']}, passives {g['passive']}, "
                  f"detractors {g['detractor']})", highlight=False)
    table = RichTable(title="Categories", title_justify="left")
    table.add_column("category")
    table.add_column("name")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    for lab, count in sorted(total.categories.items(), key=lambda kv: -kv[1]):
        table.add_row(lab, names[lab], str(count), f"{100 * count / n:.1f}%")
    console.print(table)


# --------------------------------------------------------------------------- evaluate

@app.command(epilog="Examples: `classify evaluate` (cross-validated, on training_data/)  ·  "
                    "`classify evaluate --data labelled_test.csv --model models/mine`")
@friendly_errors
def evaluate(
    data: Optional[Path] = typer.Option(None, "--data", help="A labelled file to score the model on. "
                                        "Without it: cross-validation on the training data."),
    model_dir: Optional[Path] = typer.Option(None, "--model", help="Model folder (default: models/default)."),
    train_data: Optional[Path] = typer.Option(None, "--train-data", help="Training data to cross-validate "
                                              "(default: training_data/)."),
    variant: str = typer.Option("word+char", help="Variant to cross-validate (without --data)."),
    seed: int = typer.Option(0, help="Seed for the folds."),
    folds: int = typer.Option(5, min=2, help="Cross-validation folds."),
    text_col: Optional[str] = typer.Option(None, help="Comment column of --data."),
    label_col: Optional[str] = typer.Option(None, help="Label column of --data."),
    trust: bool = typer.Option(False, "--trust", help="See `classify predict --help`."),
):
    """Cross-validated metrics on the training data, or scores of a model on a labelled file."""
    from .dataset import load_labelled
    from .evaluate import evaluate_labelled, format_report
    from .model import DEFAULT_DATA
    from .model import train as fit

    if data is not None:
        model, _ = _load_or_train_default(model_dir, trust)
        labelled = load_labelled(data, codebook=model.codebook, text_col=text_col, label_col=label_col)
        report = evaluate_labelled(model, labelled)
        labels = model.labels
        title = f"Scores on {data} ({len(labelled)} comments):"
    else:
        labelled = load_labelled(train_data or DEFAULT_DATA, text_col=text_col, label_col=label_col)
        err.print(f"Cross-validating variant {variant!r} on {len(labelled)} comments ({folds} folds)...")
        report = fit(labelled, variant=variant, seed=seed, folds=folds).card["metrics"]
        labels = labelled.codebook.ids
        title = f"Cross-validated metrics ({variant}, {folds} folds, seed {seed}):"
    console.print(format_report(report, labels, title=title), highlight=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
