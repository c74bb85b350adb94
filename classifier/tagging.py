"""Tag survey files in batch: read in chunks, predict, write atomically, summarise.

`predict_file` is what `classify predict` runs for each input file. Large files
are streamed chunk by chunk, so memory stays flat however long the file is; with
`jobs > 1` chunks are tagged by worker processes that each hold the model and
send back only languages and probabilities (never spaCy objects).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from . import predictions
from .errors import InputError
from .files.columns import Columns, require_column, resolve_columns
from .files.excel import ExcelLayout
from .files.reading import open_table
from .files.sources import TABLE_SUFFIXES
from .files.writing import OutputBatch, TableWriter, output_format, refuse_overwrite
from .model.model import Model, clean_texts
from .model.store import load_model
from .nps import nps_group, nps_score, parse_scores
from .text import language
from .text.privacy import mask_many

PARALLEL_MIN_ROWS = 20_000  # below this, starting workers costs more than it saves


@dataclass
class FileSummary:
    path: Path
    out: Path
    rows: int = 0
    columns: Columns | None = None
    languages: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    complaints: Counter = field(default_factory=Counter)  # per category: mentions with polarity neg
    praise: Counter = field(default_factory=Counter)  # per category: mentions with polarity pos
    no_category: int = 0
    empty_comments: int = 0
    scores_valid: int = 0
    scores_invalid: int = 0
    groups: Counter = field(default_factory=Counter)
    written: int = 0  # rows in the output: one per comment, or (--long) one per comment and category
    warnings: list[str] = field(default_factory=list)  # how the file was read (files.reading.Table.warnings)

    def add(self, other: FileSummary) -> None:
        self.rows += other.rows
        self.written += other.written
        self.languages.update(other.languages)
        self.categories.update(other.categories)
        self.complaints.update(other.complaints)
        self.praise.update(other.praise)
        self.no_category += other.no_category
        self.empty_comments += other.empty_comments
        self.scores_valid += other.scores_valid
        self.scores_invalid += other.scores_invalid
        self.groups.update(other.groups)

    @property
    def nps(self) -> float:
        return nps_score(promoters=self.groups["promoter"], detractors=self.groups["detractor"], n=self.scores_valid)


def default_output(path: Path, fmt: str, out_dir: Path | None = None, long: bool = False) -> Path:
    suffix = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet", "jsonl": ".jsonl"}[fmt]
    name = f"{path.stem}.predictions{'-long' if long else ''}{suffix}"
    return (out_dir or path.parent) / name


Scored = tuple[list[str], np.ndarray, np.ndarray | None]  # what Model.probabilities returns


class ChunkTagger:
    """Languages, probabilities and polarity probabilities for chunks of texts, here or in workers."""

    def __init__(self, model: Model, model_path: Path | None = None, jobs: int = 1, trust: bool = False):
        self.model = model
        self.jobs = jobs if model_path is not None else 1
        self._model_path, self._trust = model_path, trust

    def tag(self, chunks: Iterator[list[str]]) -> Iterator[Scored]:
        if self.jobs <= 1:
            for texts in chunks:
                yield self.model.probabilities(texts)
            return
        global _WORKER_MODEL
        if "fork" in mp.get_all_start_methods():
            # Workers inherit the loaded model and lingua's models: no reloading, and their
            # memory pages stay shared (see text.language for why forking lingua is safe).
            language.preload()
            # Built once here and shared, rather than once per worker: spaCy's tokenizers
            # and the feature blocks' lookup tables.
            self.model.probabilities(WARM_UP)
            # Frozen, the parent's objects stay out of the workers' garbage collection, whose
            # bookkeeping writes would copy their memory pages into each worker (about 180 MB).
            gc.freeze()
            _WORKER_MODEL = self.model
            pool = ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("fork"), initializer=_init_worker)
        else:
            pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(str(self._model_path), self._trust),
            )
        try:
            # At most 2 chunks per worker in flight: results stay in order, memory stays flat.
            pending = []
            for texts in chunks:
                pending.append(pool.submit(_worker_tag, texts))
                if len(pending) >= 2 * self.jobs:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()
        except BaseException:
            # Ctrl-C, SIGTERM or an error: stop the workers now rather than let them finish (or outlive us).
            _terminate(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()


def _terminate(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
    # A worker stopped while sending a result leaves half a message in the result pipe, and
    # the pool's manager thread would wait for the rest forever: this process holds the
    # pipe's write end too. Closing it ends the pipe, so that thread sees a broken pool and exits.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


_WORKER_MODEL: Model | None = None
# A comment per tokenizer, with a number and punctuation, so every step runs once before forking.
WARM_UP = ["Ventet 45 min, ingen svar!", "Väntade 45 min, inget svar!", "Waited 45 min, no answer!"]


def _init_worker(model_path: str | None = None, trust: bool = False) -> None:
    """A worker leaves Ctrl-C to the parent (which stops it) and dies quietly on SIGTERM/SIGHUP."""
    import signal

    global _WORKER_MODEL
    # A worker's objects are short-lived lists and dicts freed by reference counting; the
    # cycle collector, run every 700 new ones by default, spent time finding almost nothing
    # to collect: now it runs about a hundred times less often.
    gc.set_threshold(100_000, 10, 10)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if model_path is not None:
        _WORKER_MODEL = load_model(model_path, trust=trust)


def _worker_tag(texts: list[str]) -> Scored:
    assert _WORKER_MODEL is not None, "the worker was started without a model"
    # Full precision: the parent decides on exactly the numbers the model computed, as without workers.
    return _WORKER_MODEL.probabilities(texts)


def predict_file(
    model: Model,
    path: str | Path,
    *,
    out: str | Path | None = None,
    fmt: str | None = None,
    out_dir: str | Path | None = None,
    text_col: str | None = None,
    score_col: str | None = None,
    id_col: str | None = None,
    long: bool = False,
    redact: bool = False,
    sheet: str | None = None,
    jobs: int = 1,
    model_path: Path | None = None,
    trust: bool = False,
    chunk_rows: int = 7_500,  # 10,000: 52 MB more at 1,000,000 rows; 5,000: slower on repeated answers
    protect: tuple[Path, ...] = (),
    nordic_csv: bool = False,
    on_progress: Callable[[int], None] | None = None,
    batch: OutputBatch | None = None,
    lang: str = "en",
    date_col: str | None = None,
    by: tuple[str, ...] = (),
    keep: bool = False,
    sink: Sink | None = None,
    write_file: bool = True,
) -> FileSummary:
    """Tag every comment of a survey file and write the predictions file.

    The output keeps every input column and row in order and adds the prediction
    columns of `classifier.predictions` (wide, or long with `long=True`). Nothing is
    written unless the whole file succeeds; with `batch`, the output appears only when
    the batch is committed (all files of a run, or none).

    `lang` names the categories (nb, sv, en); `date_col`, `by` and `keep` choose the
    input columns the long form carries (`keep`: all of them); an xlsx output is
    Excel-ready (files/excel.py). `sink` also gets every wide chunk (a database,
    classifier/database.py); `write_file=False` writes no file.
    """
    path = Path(path)
    table = open_table(path, sheet=sheet, chunk_rows=chunk_rows)
    fmt = output_format(Path(out) if out else Path("x.csv"), fmt)
    out_path = Path(out) if out else default_output(path, fmt, Path(out_dir) if out_dir else None, long)
    summary = FileSummary(path=path, out=out_path, warnings=list(table.warnings))
    labels = model.labels
    chunks = table.chunks()
    try:
        first = next(chunks, None)
        if first is None or first.empty:
            raise InputError("has a header but no rows", path=path)
        cols = resolve_columns(table, first, text_col, score_col, id_col)
        summary.columns = cols
        date_col = require_column(table, date_col, "--date-col") if date_col else None
        by = tuple(require_column(table, c, "--by") for c in by)
        # the columns the user named (a score column found by its header is not carried)
        carry = table.columns if keep else [c for c in (date_col, *by, cols.score if score_col else None) if c]
        layout = None
        if fmt == "xlsx":
            layout = ExcelLayout(
                model.codebook,
                lang,
                date_cols=(date_col,) if date_col else (),
                text_cols=(cols.text, cols.id or "", "id" if long else ""),
            )
        if sink is not None:
            sink.begin_file(
                path, table.columns, cols, date_col=date_col, carry=[c for c in carry if c not in (cols.text, cols.id)]
            )
        if jobs > 1 and not _large(path):
            jobs = 1
        tagger = ChunkTagger(model, model_path, jobs, trust)

        def frames() -> Iterator[pd.DataFrame]:
            yield first
            yield from chunks

        frame_queue: list[tuple[pd.DataFrame, list[str]]] = []

        def texts_of() -> Iterator[list[str]]:
            for frame in frames():
                texts = clean_texts(frame[cols.text].tolist())
                frame_queue.append((frame, texts))
                yield texts

        names = model.codebook.display_names(lang)
        writing = (
            TableWriter(out_path, fmt, protect=(path, *protect), nordic_csv=nordic_csv, batch=batch, layout=layout)
            if write_file
            else _NoFile()
        )
        with writing as writer:
            for languages, proba, polarity_proba in tagger.tag(texts_of()):
                frame, texts = frame_queue.pop(0)
                decided, notes, polarity = model.decide(texts, proba, polarity_proba)
                # Empty as the model sees it (a comment that says "None" is a comment).
                empty = np.array([note == predictions.NOTE_EMPTY for note in notes], dtype=bool)
                scores = parse_scores(frame[cols.score]) if cols.score else None
                _count(summary, frame, scores, languages, decided, empty, labels, cols, polarity)
                if redact and (not long or sink is not None or cols.text in carry):
                    frame = frame.copy()
                    frame[cols.text] = mask_many(frame[cols.text].tolist())
                if long:
                    writer.write(
                        predictions.long(
                            frame,
                            languages,
                            proba,
                            decided,
                            labels,
                            names,
                            id_col=cols.id,
                            scores=scores,
                            model_id=model.model_id,
                            carry=carry,
                            polarity=polarity,
                        )
                    )
                if sink is not None or not long:
                    wide = predictions.wide(
                        frame, languages, proba, decided, notes, labels, model.model_id, scores, polarity=polarity
                    )
                    if sink is not None:
                        sink.write(wide)
                    if not long:
                        writer.write(wide if layout is None else layout.add_category_flags(wide, decided, labels))
                if on_progress:
                    on_progress(len(frame))
            if summary.rows and summary.empty_comments == summary.rows:
                raise InputError("the comment column is empty in every row", path=path, column=cols.text)
        summary.written = writer.rows
        return summary
    finally:
        chunks.close()  # the input file is closed now, after a failure too, not when garbage is collected


class Sink(Protocol):
    """Where predictions go besides (or instead of) a file: `classifier.database.DatabaseSink`."""

    def begin_file(
        self, path: Path, columns: list[str], cols: Columns, *, date_col: str | None, carry: list[str]
    ) -> None: ...

    def write(self, wide: pd.DataFrame) -> None: ...


class _NoFile:
    """The writer of a run that writes no file (`--db` alone): counts rows, writes nothing."""

    rows = 0

    def __enter__(self) -> _NoFile:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def write(self, df: pd.DataFrame) -> None:
        self.rows += len(df)


def _large(path: Path) -> bool:
    return path.stat().st_size > PARALLEL_MIN_ROWS * 100  # ~100 bytes a row in survey exports


def _count(summary: FileSummary, frame, scores, languages, decided, empty, labels, cols, polarity) -> None:
    summary.rows += len(frame)
    summary.languages.update(languages)
    summary.empty_comments += int(empty.sum())
    for j, lab in enumerate(labels):
        summary.categories[lab] += int(decided[:, j].sum())
        if polarity is not None:
            summary.complaints[lab] += int((polarity.names[:, j] == predictions.COMPLAINT).sum())
            summary.praise[lab] += int((polarity.names[:, j] == predictions.PRAISE).sum())
    summary.no_category += int(((decided.sum(axis=1) == 0) & ~empty).sum())
    if scores is not None:
        raw = frame[cols.score].astype(str).str.strip()
        valid = scores.notna()
        summary.scores_valid += int(valid.sum())
        summary.scores_invalid += int((~valid & (raw != "")).sum())
        summary.groups.update(nps_group(scores[valid]))


# .xls too: open_table then says to save it as .xlsx, not "no files"
SURVEY_SUFFIXES = (*TABLE_SUFFIXES, ".xls")


@dataclass
class FolderScan:
    """What a folder given as input held: the surveys taken and the files skipped, with why."""

    folder: Path
    taken: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def input_files(
    paths: list[Path], *, sheet: str | None = None, text_col: str | None = None
) -> tuple[list[Path], list[FolderScan]]:
    """The files to tag: each file given, and the survey files inside each folder given.

    A file named on the command line must be a survey (else the run stops before
    anything is written). A file found in a folder that is not a survey table with
    a comment column (a notes .txt, a .csv of something else) is skipped, and the
    scan says so.
    """
    files: list[Path] = []
    scans: list[FolderScan] = []
    for p in paths:
        if not p.is_dir():
            files.append(p)
            continue
        scan = FolderScan(p)
        candidates = sorted(
            f
            for f in p.iterdir()
            if f.is_file()
            and not f.name.startswith(".")
            and f.suffix.lower() in SURVEY_SUFFIXES
            and ".predictions" not in f.name
        )
        for f in candidates:
            reason = _not_a_survey(f, sheet, text_col)
            if reason:
                scan.skipped.append((f, reason))
            else:
                scan.taken.append(f)
        if not scan.taken:
            if len(scan.skipped) == 1:  # one file: its own message says best what is wrong
                _, reason = scan.skipped[0]
                raise InputError(reason, path=scan.skipped[0][0])
            raise InputError("has no survey files (.csv, .xlsx, .parquet with a comment column)", path=p)
        files += scan.taken
        scans.append(scan)
    return files, scans


def _not_a_survey(path: Path, sheet: str | None, text_col: str | None) -> str:
    """Why a file found in a folder cannot be tagged ("" when it can)."""
    try:
        table = open_table(path, sheet=sheet, chunk_rows=1000)
        first = next(table.chunks(), None)
        if first is None or first.empty:
            return "has a header but no rows"
        resolve_columns(table, first, text_col)
    except InputError as exc:
        return exc.message if exc.path == path else str(exc)
    return ""


def plan_outputs(
    paths: list[Path],
    *,
    out: Path | None = None,
    fmt: str | None = None,
    out_dir: Path | None = None,
    long: bool = False,
    sheet: str | None = None,
) -> list[tuple[Path, Path]]:
    """(input, output) pairs, checked before any model is loaded or trained.

    Every input must open as a table; no output may be an input of the same run,
    and no two inputs (say `a.csv` and `a.xlsx`) may write the same output.
    """
    if out and len(paths) > 1:
        raise InputError("--out names one file but there are several inputs; use --out-dir")
    fmt = output_format(Path(out) if out else Path("x.csv"), fmt)
    plan = []
    for path in paths:
        open_table(path, sheet=sheet)
        plan.append((path, Path(out) if out else default_output(path, fmt, out_dir, long)))
    seen: dict[Path, Path] = {}
    for path, target in plan:
        refuse_overwrite(target, paths)
        if target.resolve() in seen:
            raise InputError(
                f"{seen[target.resolve()]} and {path} would both write this output; use --out-dir or rename one",
                path=target,
            )
        seen[target.resolve()] = path
    return plan


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))
