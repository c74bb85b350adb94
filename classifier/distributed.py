"""Tagging beyond one machine: `classify predict DATASET --dask ADDRESS|local --out-dir DIR`.

DATASET is a folder, a glob or a list of Parquet files, or of CSV files (one kind
per run, all with the same columns). Dask reads the files in partitions on the
workers, each worker tags the partitions it holds, and the workers write the
result as a partitioned Parquet dataset (`DIR/part.N.parquet`) with the columns
and labels a plain `classify predict` gives each file.

The model goes to each worker once, as a worker plugin (a worker that joins later
gets it too); tasks then find it on their worker, so no task carries it.
`local` starts a `LocalCluster` on this machine (`local:N` for N worker processes);
any other value is the address of a running scheduler (`tcp://host:8786`), whose
workers must see the files and DIR at the same paths (a shared drive).

Needs the `dask` extra: `pip install 'nordic-feedback-classifier[dask]'`.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .files.columns import resolve_columns
from .files.reading import open_table
from .files.sources import CSV_SUFFIXES, PARQUET_SUFFIXES
from .files.writing import stringify_objects
from .model.model import Model
from .nps import parse_scores

PLUGIN_NAME = "classify-model"


@dataclass
class DaskRun:
    rows: int
    files: int
    partitions: int
    workers: int
    seconds: float  # reading, tagging and writing, on the cluster


def dataset_files(sources: list[str]) -> tuple[list[str], str]:
    """The files of DATASET (folders, globs, files) and their kind, "parquet" or "csv"."""
    files: list[str] = []
    for source in sources:
        if os.path.isdir(source):
            found = sorted(
                str(p)
                for p in Path(source).iterdir()
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in PARQUET_SUFFIXES + CSV_SUFFIXES
            )
        elif any(ch in source for ch in "*?["):
            found = sorted(glob.glob(source))
        else:
            found = [source] if os.path.isfile(source) else []
        if not found:
            raise InputError("no Parquet or CSV files here", path=source)
        files += found
    kinds = {"parquet" if Path(f).suffix.lower() in PARQUET_SUFFIXES else "csv" for f in files}
    if len(kinds) > 1:
        raise InputError("--dask takes Parquet files or CSV files, not both in one run")
    return files, kinds.pop()


def tag_partition(frame: pd.DataFrame, text: str, score: str | None, model: Model | None = None) -> pd.DataFrame:
    """One partition with the prediction columns added, as `classify predict` adds them (tagging.predict_file)."""
    if model is None:
        from distributed import get_worker

        plugin: Any = get_worker().plugins[PLUGIN_NAME]  # our _ModelPlugin (typed as a plain WorkerPlugin)
        model = plugin.model
    wide = model.predict(frame, text_col=text, scores=parse_scores(frame[score]) if score else None)
    return stringify_objects(wide)  # one Parquet type per column, as a plain run writes it


def predict_on_dask(
    sources: list[str],
    model: Model,
    address: str,
    out_dir: str | Path,
    *,
    text_col: str | None = None,
    score_col: str | None = None,
    id_col: str | None = None,
) -> DaskRun:
    """Tag DATASET on a Dask cluster and write DIR as a partitioned Parquet dataset (all of it, or nothing)."""
    try:
        import dask.dataframe as dd
        import pyarrow as pa
        from distributed import Client, LocalCluster, WorkerPlugin
    except ImportError:
        raise InputError("--dask needs Dask: pip install 'nordic-feedback-classifier[dask]'") from None

    files, kind = dataset_files(sources)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError("exists and is not an empty folder; give a new --out-dir", path=out_dir)
    table = open_table(files[0], chunk_rows=1000)
    if kind == "csv" and (table.header_rows != 1 or table._skip_lines):
        raise InputError(
            "has extra header rows (a Qualtrics or SurveyMonkey export); tag it without --dask, or save it as Parquet",
            path=files[0],
        )
    first = next(table.chunks(), None)
    if first is None or first.empty:
        raise InputError("has a header but no rows", path=files[0])
    cols = resolve_columns(table, first, text_col, score_col, id_col)

    class ModelPlugin(WorkerPlugin):
        """Carries the model to each worker once (pickled with the plugin)."""

        name = PLUGIN_NAME

        def __init__(self, model: Model):
            self.model = model

    if kind == "parquet":
        ddf = dd.read_parquet(files, split_row_groups="adaptive")
    else:
        ddf = dd.read_csv(
            files,
            sep=table.delimiter,
            encoding=table.encoding,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            lineterminator=table.lineterminator,
            # One partition per file: a comment may hold line breaks, and a block boundary
            # inside a quoted comment would split it into two broken rows.
            blocksize=None,
        )
    if list(ddf.columns) != list(table.columns):
        raise InputError(f"--dask: the files' columns differ from those of {files[0]}: {', '.join(ddf.columns)}")
    sample = tag_partition(first.head(2), cols.text, cols.score, model)
    schema = pa.Schema.from_pandas(sample, preserve_index=False)
    tagged = ddf.map_partitions(tag_partition, cols.text, cols.score, meta=sample.iloc[:0])

    cluster = None
    if address == "local" or address.startswith("local:"):
        workers = int(address.partition(":")[2] or min(os.cpu_count() or 1, 4))
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        try:
            client = Client(cluster or address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
        with client:
            client.register_plugin(ModelPlugin(model))
            n_workers = len(client.scheduler_info()["workers"])
            start = time.perf_counter()
            tagged.to_parquet(staging, write_index=False, schema=schema, compute=True)
            seconds = time.perf_counter() - start
        rows = sum(_parquet_rows(p) for p in staging.glob("*.parquet"))
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if cluster is not None:
            cluster.close()
    return DaskRun(rows, len(files), tagged.npartitions, n_workers, seconds)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows
