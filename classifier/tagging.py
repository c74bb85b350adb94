"""Tag survey files in batch: read in chunks, predict, write atomically, summarise.

`predict_file` is what `classify predict` runs for each input file. Large files
are streamed chunk by chunk, so memory stays flat however long the file is; with
`jobs > 1` chunks are tagged by worker processes that each hold the model and
send back only languages and probabilities (never spaCy objects).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import predictions
from .errors import InputError
from .files.columns import Columns, resolve_columns
from .files.reading import open_table
from .files.writing import TableWriter, output_format, refuse_overwrite
from .model.model import Model, clean_texts
from .model.store import load_model
from .nps import nps_group, nps_score, parse_scores
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

    def add(self, other: FileSummary) -> None:
        self.rows += other.rows
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
        if _fork_is_safe():
            # Workers inherit the loaded model: no reloading, and its memory pages stay shared.
            _WORKER_MODEL = self.model
            pool = ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("fork"))
        else:
            pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(str(self._model_path), self._trust),
            )
        with pool:
            # At most 2 chunks per worker in flight: results stay in order, memory stays flat.
            pending = []
            for texts in chunks:
                pending.append(pool.submit(_worker_tag, texts))
                if len(pending) >= 2 * self.jobs:
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()


def _fork_is_safe() -> bool:
    """Fork only before this process has started lingua's detector threads."""
    from .text import language

    return "fork" in mp.get_all_start_methods() and language._detector.cache_info().currsize == 0


_WORKER_MODEL: Model | None = None


def _init_worker(model_path: str, trust: bool) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = load_model(model_path, trust=trust)


def _worker_tag(texts: list[str]) -> Scored:
    assert _WORKER_MODEL is not None, "the worker was started without a model"
    languages, proba, polarity = _WORKER_MODEL.probabilities(texts)
    return languages, proba.astype(np.float32), None if polarity is None else polarity.astype(np.float32)


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
    chunk_rows: int = 20_000,
    protect: tuple[Path, ...] = (),
    nordic_csv: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> FileSummary:
    """Tag every comment of a survey file and write the predictions file.

    The output keeps every input column and row in order and adds the prediction
    columns of `classifier.predictions` (wide, or long with `long=True`). Nothing is
    written unless the whole file succeeds.
    """
    path = Path(path)
    table = open_table(path, sheet=sheet, chunk_rows=chunk_rows)
    fmt = output_format(Path(out) if out else Path("x.csv"), fmt)
    out_path = Path(out) if out else default_output(path, fmt, Path(out_dir) if out_dir else None, long)
    summary = FileSummary(path=path, out=out_path)
    labels = model.labels
    chunks = table.chunks()
    first = next(chunks, None)
    if first is None or first.empty:
        raise InputError("has a header but no rows", path=path)
    cols = resolve_columns(table, first, text_col, score_col, id_col)
    summary.columns = cols
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

    names = model.codebook.display_names("en")
    with TableWriter(out_path, fmt, protect=(path, *protect), nordic_csv=nordic_csv) as writer:
        for languages, proba, polarity_proba in tagger.tag(texts_of()):
            frame, texts = frame_queue.pop(0)
            decided, notes, polarity = model.decide(texts, proba, polarity_proba)
            # Empty as the model sees it (a comment that says "None" is a comment).
            empty = np.array([note == predictions.NOTE_EMPTY for note in notes], dtype=bool)
            scores = parse_scores(frame[cols.score]) if cols.score else None
            _count(summary, frame, scores, languages, decided, empty, labels, cols, polarity)
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
                        polarity=polarity,
                    )
                )
            else:
                if redact:
                    frame = frame.copy()
                    frame[cols.text] = mask_many(frame[cols.text].tolist())
                writer.write(
                    predictions.wide(
                        frame, languages, proba, decided, notes, labels, model.model_id, scores, polarity=polarity
                    )
                )
            if on_progress:
                on_progress(len(frame))
        if summary.rows and summary.empty_comments == summary.rows:
            raise InputError("the comment column is empty in every row", path=path, column=cols.text)
    return summary


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


def input_files(paths: list[Path]) -> list[Path]:
    """The files to tag: each file given, and the table files inside each folder given."""
    files = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and not f.name.startswith(".")
                # .xls too: open_table then says to save it as .xlsx, not "no files"
                and f.suffix.lower() in {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq"}
                and ".predictions" not in f.name
            )
            if not found:
                raise InputError("has no survey files (.csv, .xlsx, .parquet)", path=p)
            files += found
        else:
            files.append(p)
    return files


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
