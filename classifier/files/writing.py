"""Writing outputs: atomically (a temporary file, then a rename), spreadsheet-safe, never over an input."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

OUTPUT_FORMATS = ("csv", "xlsx", "parquet", "jsonl")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise_text(value: str) -> str:
    """`value` with a `'` in front if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with `'` (OWASP CSV injection).

    Column names come from the input's header, so they are neutralised too.
    """
    out = df.copy(deep=False)  # the cells are copied only where one changes
    out.columns = _unique([neutralise_text(str(c)) for c in out.columns])
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = _starts_a_formula(s)
            if mask.any():
                out.isetitem(j, s.where(~mask, "'" + s[mask]))
    return out


def _starts_a_formula(s: pd.Series) -> pd.Series:
    """True where a cell is text that starts a formula; cells that are not text never do."""
    try:  # vectorised, for columns of text (with missing cells)
        return s.str.startswith(_FORMULA_START, na=False).astype(bool)
    except AttributeError:  # an object column without text (numbers, lists): pandas has no .str
        return s.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START)).astype(bool)


def fractions_as_text(df: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """`df` with each float column that holds only numbers from 0 to 1 in `decimals` decimals
    (the probabilities) as the text `to_csv` would write for them, looked up, not formatted.

    Formatting floats is a third of writing a predictions CSV (26 probability columns),
    and there are only 10,001 such numbers. The table is made by the conversion pandas
    runs (`astype(str)`), so the file is byte for byte the same (a test checks it).
    Other float columns are left to pandas; a missing cell is written empty, as before.
    """
    out = None
    for j, dtype in enumerate(df.dtypes):
        if dtype not in (np.float32, np.float64):  # not Int64: its gaps make `to_numpy()` float too
            continue
        values = df.iloc[:, j].to_numpy()
        missing = np.isnan(values)
        present = np.where(missing, 0, values)
        steps = np.rint(present * 10**decimals)
        numbers = _fractions(values.dtype, decimals)
        if not ((steps >= 0) & (steps < len(numbers))).all():
            continue
        steps = steps.astype(np.intp)
        if not ((numbers[steps] == present) & ~np.signbit(present)).all():  # more decimals, or -0.0
            continue
        text = _fraction_texts(values.dtype, decimals)[steps]
        text[missing] = ""
        if out is None:
            out = df.copy(deep=False)  # the other columns are shared, not copied
        out.isetitem(j, pd.Series(text, index=df.index, dtype=object))
    return df if out is None else out


@functools.cache
def _fractions(dtype: np.dtype, decimals: int) -> np.ndarray:
    """0, 1/10**decimals, ..., 1 in `dtype`, as `np.round(x, decimals)` makes them."""
    scale = 10**decimals
    return np.arange(scale + 1, dtype=dtype) / dtype.type(scale)


@functools.cache
def _fraction_texts(dtype: np.dtype, decimals: int) -> np.ndarray:
    return _fractions(dtype, decimals).astype(str).astype(object)


def _unique(names: list[str]) -> list[str]:
    """Names made distinct where neutralising made two equal (`=a` next to `'=a`): ` (2)`, ` (3)`, ..."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name} ({n})"
        seen.add(candidate)
        out.append(candidate)
    return out


def _nested_as_text(value):
    """A list, dict or array cell (Parquet list/struct columns) as JSON text, which every format can hold."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple, dict, set)):
        return json.dumps(list(value) if isinstance(value, set) else value, ensure_ascii=False, default=str)
    return value


def output_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise InputError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    return {"xlsx": "xlsx", "parquet": "parquet", "pq": "parquet", "jsonl": "jsonl", "json": "jsonl"}.get(suffix, "csv")


class TableWriter:
    """Write a table in chunks to a temporary file and move it into place on success.

    Used as a context manager: if anything fails (or the user presses Ctrl-C) the
    temporary file is removed and no partial output is left behind, and an output
    that was there before is left as it was. CSV and XLSX cells (and column names)
    that a spreadsheet would run as formulas are neutralised.

    `nordic_csv` writes CSV as Excel in Norwegian and Swedish settings reads it:
    `;` between fields and a decimal comma (0,93), instead of `,` and `0.93`.
    """

    def __init__(
        self,
        path: str | Path,
        fmt: str,
        *,
        protect: tuple[Path, ...] = (),
        nordic_csv: bool = False,
        batch: OutputBatch | None = None,
        layout: Any = None,
    ):
        self.path = Path(path)
        self.fmt = fmt
        self.nordic_csv = nordic_csv
        self.batch = batch
        self.layout = layout  # an ExcelLayout (files/excel.py) for an Excel-ready xlsx
        refuse_overwrite(self.path, protect)
        if self.path.is_dir():
            raise InputError("is a directory; give an output file name", path=self.path)
        self._tmp: Path | None = None
        self._sink: Any = None  # the ParquetWriter or openpyxl Workbook, once opened
        self._header_written = False
        self.rows = 0

    def __enter__(self) -> TableWriter:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise InputError(f"cannot write here ({exc.strerror or type(exc).__name__})", path=self.path) from None
        os.close(fd)
        self._tmp = Path(tmp)
        return self

    def write(self, df: pd.DataFrame) -> None:
        assert self._tmp is not None, "use TableWriter as a context manager"
        try:
            self._write(df, self._tmp)
        except OSError as exc:  # a full disk, a removed folder
            raise _cannot_write(exc, self.path) from None
        self.rows += len(df)

    def _write(self, df: pd.DataFrame, tmp: Path) -> None:
        if self.fmt == "xlsx" and self.layout is not None:
            df = self.layout.typed(df)  # dates and numbers become cells of their type, never formulas
        if self.fmt in ("csv", "xlsx"):
            df = neutralise_formulas(df)
        if self.fmt == "csv":
            first = not self._header_written
            if not self.nordic_csv:
                df = fractions_as_text(df)
            df.to_csv(
                tmp,
                mode="a",
                header=first,
                index=False,
                encoding="utf-8-sig" if first else "utf-8",
                lineterminator="\r\n",
                sep=";" if self.nordic_csv else ",",
                decimal="," if self.nordic_csv else ".",
            )
            self._header_written = True
        elif self.fmt == "jsonl":
            with open(tmp, "a", encoding="utf-8") as fh:
                df.to_json(fh, orient="records", lines=True, force_ascii=False)
        elif self.fmt == "parquet":
            self._write_parquet(df)
        elif self.fmt == "xlsx":
            self._write_xlsx(df)

    def _write_parquet(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(stringify_objects(df), preserve_index=False)
        if self._sink is None:
            self._sink = pq.ParquetWriter(self._tmp, table.schema)
        self._sink.write_table(table.cast(self._sink.schema))

    def _write_xlsx(self, df: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self._sink is None:
            self._sink = Workbook(write_only=True)
            self._sheet = self._sink.create_sheet("predictions")
            self._columns = len(df.columns)
            if self.layout is not None:
                self.layout.start(self._sheet, df)
            self._sheet.append([_excel_cell(str(c)) for c in df.columns])
        for row in df.itertuples(index=False):
            self._sheet.append([_excel_cell(v) for v in row])

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                assert self._tmp is not None
                if self.fmt == "parquet" and self._sink is not None:
                    self._sink.close()
                elif self.fmt == "xlsx":
                    if self._sink is None:
                        self._write_xlsx(pd.DataFrame())
                    if self.layout is not None:
                        self.layout.finish(self._sink, self._sheet, self.rows, self._columns)
                    self._sink.save(self._tmp)
                os.chmod(self._tmp, new_file_mode(self.path))
                if self.batch is not None:
                    self.batch.stage(self._tmp, self.path)
                else:
                    _move_into_place(self._tmp, self.path)
                self._tmp = None
        except OSError as exc:
            raise _cannot_write(exc, self.path) from None
        finally:
            if self._tmp is not None:
                self._discard_sink()
                self._tmp.unlink(missing_ok=True)

    def _discard_sink(self) -> None:
        """After a failure: close the Parquet file (Windows cannot delete an open file), and
        finish every XLSX sheet (the codebook's too) so openpyxl removes its temporary files.

        A sheet left open is finished later by the garbage collector, writing to a file
        that is already closed, in the middle of whatever the process does next.
        """
        if self._sink is None:
            return
        if self.fmt == "parquet":
            with contextlib.suppress(Exception):
                self._sink.close()
        elif self.fmt == "xlsx":
            for sheet in self._sink.worksheets:
                with contextlib.suppress(Exception):
                    if not sheet.closed:
                        sheet.close()
                with contextlib.suppress(Exception):
                    sheet._writer.cleanup()


class OutputBatch:
    """The outputs of one run, which appear together or not at all.

    Writers given `batch=` leave their finished temporary files here; `commit()`
    moves them all into place. Leaving the `with` block without committing (a later
    input failed, Ctrl-C) removes them, so `classify predict good.csv bad.csv`
    writes nothing when bad.csv fails.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, tmp: Path, target: Path) -> None:
        self._staged.append((tmp, target))

    def commit(self) -> None:
        staged, self._staged = self._staged, []
        try:
            while staged:
                tmp, target = staged[0]
                _move_into_place(tmp, target)
                staged.pop(0)
        finally:
            self._staged = staged  # whatever could not be moved is removed on exit

    def __enter__(self) -> OutputBatch:
        return self

    def __exit__(self, *exc) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged = []


def _move_into_place(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(
            f"cannot be replaced ({exc.strerror or type(exc).__name__}); is it open in another program, such as Excel?",
            path=target,
        ) from None


def _cannot_write(exc: OSError, path: Path) -> InputError:
    return InputError(f"cannot be written ({exc.strerror or type(exc).__name__}); nothing was written", path=path)


def refuse_overwrite(target: str | Path, inputs) -> None:
    """InputError when `target` is one of the run's input files: outputs never replace inputs."""
    resolved = Path(target).resolve()
    if any(resolved == Path(p).resolve() for p in inputs):
        raise InputError("refusing to write the output over an input file", path=target)


def write_text_atomic(
    path: str | Path, text: str, *, protect: tuple[Path, ...] = (), batch: OutputBatch | None = None
) -> None:
    """Write a text file (JSON, HTML, a model card) whole or not at all, never over an input.

    The temporary file gets a fresh, unguessable name in the target folder
    (`mkstemp`: created exclusively, never through a planted symlink), then is
    renamed over the target.
    """
    path = Path(path)
    refuse_overwrite(path, protect)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or type(exc).__name__})", path=path) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, new_file_mode(path))
        if batch is not None:
            batch.stage(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException as exc:  # a full disk, Ctrl-C: no temporary file is left behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(exc, path) from None
        raise


def new_file_mode(path: Path) -> int:
    """The mode of the output it replaces, else what a new file gets (mkstemp makes 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def stringify_objects(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column; input columns of mixed Python types become text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(_nested_as_text(v))
            )
    return out


def _excel_cell(value):
    value = _nested_as_text(value)
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, str):
        # openpyxl refuses characters that XML cannot carry; removing them must not
        # turn "\x01=cmd()" into a formula, so neutralise after.
        return neutralise_text(_XML_ILLEGAL.sub("", value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    return value
