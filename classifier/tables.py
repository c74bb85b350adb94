"""Reading and writing survey files.

Nordic survey exports come as CSV with `;`, `,` or tab, in UTF-8 (with or without
BOM), UTF-16 ("Unicode text" from Excel) or Windows-1252, or as Excel and Parquet.
This module hides all of that: `open_table` detects the format and streams the
rows in chunks, `find_column` finds the comment / score / id / date columns by
their headers, `parse_scores` and `parse_dates` read the cells, and
`TableWriter` writes outputs atomically and spreadsheet-safe.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import InputError

CHUNK_ROWS = 50_000
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ""}
OUTPUT_FORMATS = ("csv", "xlsx", "parquet", "jsonl")
_SNIFF_BYTES = 256 * 1024


# --------------------------------------------------------------------------- reading

@dataclass
class Table:
    """A survey file opened for reading: its detected format and its columns.

    `chunks()` yields DataFrames of at most `chunk_rows` rows whose index is the
    0-based data row number across the whole file, so memory stays flat.
    """

    path: Path
    format: str                      # "csv", "xlsx" or "parquet"
    columns: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    chunk_rows: int = CHUNK_ROWS
    _drop: list[str] = field(default_factory=list, repr=False)

    def chunks(self) -> Iterator[pd.DataFrame]:
        if self.format == "csv":
            yield from self._csv_chunks()
        elif self.format == "xlsx":
            yield from _split(self._read_excel(), self.chunk_rows)
        else:
            yield from self._parquet_chunks()

    def read(self) -> pd.DataFrame:
        """The whole table in memory (for training data and small files)."""
        parts = list(self.chunks())
        return pd.concat(parts) if parts else pd.DataFrame(columns=self.columns)

    # -- per format
    def _csv_chunks(self) -> Iterator[pd.DataFrame]:
        start = 0
        reader = pd.read_csv(
            self.path, sep=self.delimiter, encoding=self.encoding, dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=True,
            chunksize=self.chunk_rows, engine="c", quotechar='"', doublequote=True,
        )
        try:
            for chunk in reader:
                chunk = self._clean(chunk, start)
                start += len(chunk)
                yield chunk
        except pd.errors.ParserError as exc:
            raise InputError(_parser_message(exc), path=self.path) from None
        except UnicodeDecodeError:
            raise InputError(f"cannot be decoded as {self.encoding}", path=self.path) from None
        finally:
            reader.close()

    def _read_excel(self) -> pd.DataFrame:
        df = pd.read_excel(self.path, sheet_name=self.sheet, dtype=str, keep_default_na=False,
                           na_filter=False, engine="openpyxl")
        df = df.dropna(how="all")
        return self._clean(df, 0)

    def _parquet_chunks(self) -> Iterator[pd.DataFrame]:
        import pyarrow.parquet as pq

        start = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.chunk_rows):
            chunk = self._clean(batch.to_pandas(), start)
            start += len(chunk)
            yield chunk

    def _clean(self, chunk: pd.DataFrame, start: int) -> pd.DataFrame:
        chunk.columns = [str(c) for c in chunk.columns]
        for col in self._drop:
            if col in chunk and (chunk[col].astype(str).str.strip() != "").any():
                row = int(np.argmax(chunk[col].astype(str).str.strip() != "")) + start
                raise InputError("has a value in a column with no header", path=self.path,
                                 row=row + 2, column=col)
        chunk = chunk.drop(columns=[c for c in self._drop if c in chunk])
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        return chunk


def open_table(path: str | Path, *, sheet: str | None = None,
               chunk_rows: int = CHUNK_ROWS) -> Table:
    """Open a survey file, detecting its format, encoding and delimiter.

    Raises InputError (naming the file) for a missing file, a directory, an empty
    or binary file, an undecodable encoding, duplicate column names, or a file
    with a header but no rows.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a table file", path=path)
    if path.stat().st_size == 0:
        raise InputError("is empty", path=path)
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in EXCEL_SUFFIXES:
        table = _open_excel(path, sheet)
    elif head.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        table = _open_parquet(path)
    else:
        table = _open_csv(path, head)
    table.chunk_rows = chunk_rows
    _check_header(table)
    return table


def _open_csv(path: Path, head: bytes) -> Table:
    encoding = detect_encoding(path, head)
    text = _decode_sample(head, encoding)
    if not text.strip():
        raise InputError("is empty", path=path)
    if _looks_binary(text):
        raise InputError("is a binary file, not a CSV table", path=path)
    delimiter = detect_delimiter(text)
    header = next(csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter), [])
    columns, drop = _name_columns(header)
    table = Table(path=path, format="csv", columns=columns, encoding=encoding,
                  delimiter=delimiter, _drop=drop)
    table._header = header  # type: ignore[attr-defined]
    return table


def _open_excel(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise InputError("is not a readable Excel (.xlsx) file", path=path) from None
    try:
        sheets = list(wb.sheetnames)
        if sheet is None:
            sheet = sheets[0]
        elif sheet not in sheets:
            raise InputError(f"has no sheet {sheet!r}; sheets: {', '.join(sheets)}", path=path)
        header = next(wb[sheet].iter_rows(max_row=1, values_only=True), ())
    finally:
        wb.close()
    header = ["" if v is None else str(v) for v in header]
    columns, drop = _name_columns(header)
    table = Table(path=path, format="xlsx", columns=columns, sheet=sheet, sheets=sheets, _drop=drop)
    table._header = header  # type: ignore[attr-defined]
    return table


def _open_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq

    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception:
        raise InputError("is not a readable Parquet file", path=path) from None
    table = Table(path=path, format="parquet", columns=list(names))
    table._header = list(names)  # type: ignore[attr-defined]
    return table


def _check_header(table: Table) -> None:
    header = [h.strip() for h in getattr(table, "_header", table.columns)]
    named = [h for h in header if h]
    if not named:
        raise InputError("has no header row", path=table.path)
    seen, dupes = set(), []
    for h in named:
        if h in seen and h not in dupes:
            dupes.append(h)
        seen.add(h)
    if dupes:
        raise InputError(f"has duplicate column names: {', '.join(dupes)}; rename them",
                         path=table.path)


def _name_columns(header: list[str]) -> tuple[list[str], list[str]]:
    """Pandas' names for the header cells, and the unnamed ones to drop if empty."""
    columns, drop = [], []
    for i, h in enumerate(header):
        name = str(h).strip() if h is not None else ""
        if name:
            columns.append(str(h))
        else:
            columns.append(f"Unnamed: {i}")
            drop.append(f"Unnamed: {i}")
    return columns, drop


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16, or Windows-1252; else InputError."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if b"\x00" in head:
        # UTF-16 without BOM shows as every other byte NUL in ASCII text.
        if head[1::2].count(0) > 0.4 * len(head[1::2]):
            return "utf-16-le"
        if head[0::2].count(0) > 0.4 * len(head[0::2]):
            return "utf-16-be"
        raise InputError("is a binary file, not a CSV table", path=path)
    if _is_utf8(path):
        return "utf-8"
    try:
        with open(path, "rb") as fh:
            decoder = codecs.getincrementaldecoder("cp1252")()
            for block in iter(lambda: fh.read(1 << 24), b""):
                decoder.decode(block)
    except UnicodeDecodeError:
        raise InputError("cannot be decoded: not UTF-8, UTF-16 or Windows-1252", path=path) from None
    return "cp1252"


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(head: bytes, encoding: str) -> str:
    text = head.decode(encoding, errors="ignore")
    return text.lstrip("\ufeff")


def _looks_binary(text: str) -> bool:
    sample = text[:20_000]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return controls > max(2, 0.01 * len(sample))


def detect_delimiter(text: str) -> str:
    """The delimiter among `;`, `,` and tab that splits the first rows most consistently."""
    lines = text.lstrip("\r\n")
    cut = lines.rfind("\n")
    if cut > 0:
        lines = lines[:cut]
    best, best_key = ",", (-1.0, 0)
    for delim in (";", ",", "\t"):
        rows = []
        try:
            for i, row in enumerate(csv.reader(io.StringIO(lines), delimiter=delim)):
                if row:
                    rows.append(len(row))
                if i >= 50:
                    break
        except csv.Error:
            continue
        if not rows or rows[0] < 2:
            continue
        consistency = sum(1 for n in rows if n == rows[0]) / len(rows)
        key = (consistency, rows[0])
        if key > best_key:
            best, best_key = delim, key
    return best


def _parser_message(exc: Exception) -> str:
    msg = str(exc).strip()
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if m:
        return (f"row {m.group(2)} has {m.group(3)} fields but the header has {m.group(1)}; "
                "check the delimiter and quoting")
    return f"is not a readable table ({msg.splitlines()[0] if msg else 'parse error'})"


def _split(df: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(df), 1), size):
        part = df.iloc[start:start + size]
        if len(part) or start == 0:
            yield part


def read_labelled(path: str | Path) -> pd.DataFrame:
    """A whole table in memory, raising InputError for a header with no rows."""
    table = open_table(path)
    df = table.read()
    if df.empty:
        raise InputError("has a header but no rows", path=path)
    return df


# --------------------------------------------------------------------------- columns

# Headers are compared after lower-casing and folding spaces and punctuation.
TEXT_NAMES = {
    "kommentar", "kommentarer", "tekst", "fritekst", "fritext", "begrunnelse", "svar",
    "motivering", "comment", "comments", "text", "feedback", "verbatim", "tilbakemelding",
    "hvorfor", "varför", "why", "reason", "grunn", "anledning", "orsak", "årsak", "open answer",
}
TEXT_HINTS = ("grunn", "hvorfor", "kvifor", "varför", "anledning", "orsak", "årsak", "why",
              "reason", "kommentar", "comment", "fritekst", "fritext", "begrunn", "motiver",
              "feedback", "tilbakemeld", "utdyp", "beskriv", "förklara", "forklar", "fortell",
              "berätta", "tell us")
SCORE_NAMES = {"score", "nps", "poeng", "betyg", "karakter", "rating", "anbefaling", "nps score"}
SCORE_HINTS = ("anbefal", "rekommend", "recommend", "sannsynlig", "troligt", "troleg",
               "sannolik", "likely", "nps", "0-10", "0 10", "skala")
ID_NAMES = {"id", "respons id", "responsid", "response id", "responseid", "respondent",
            "respondent id", "respondentid", "svar id", "svarsid", "svar-id", "løpenummer",
            "lopenummer", "record id", "case id", "ticket id", "kunde id"}
DATE_NAMES = {"dato", "datum", "date", "tidspunkt", "tidpunkt", "timestamp", "tid",
              "svardato", "svarsdatum", "besvart", "innsendt", "submitted", "created",
              "recorded date", "recordeddate", "end date", "enddate", "start date", "startdate",
              "completion time", "fullført", "skickat", "date submitted", "dato besvart"}


def normalise_header(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).lower().strip()
    return re.sub(r"[\s_:?.!()\[\]-]+", " ", name).strip()


def find_column(columns: list[str], kind: str, sample: pd.DataFrame | None = None,
                exclude: tuple[str, ...] = ()) -> str | None:
    """The column of `kind` ("text", "score", "id" or "date") by its header, or None.

    For "score", a header hint is only taken when most sample values parse as 0-10
    scores, because a comment header like "Hva er grunnen til din score?" also
    says "score".
    """
    candidates = [c for c in columns if c not in exclude]
    norm = {c: normalise_header(c) for c in candidates}
    if kind == "text":
        exact = [c for c in candidates if norm[c] in TEXT_NAMES]
        hinted = exact or [c for c in candidates if any(h in norm[c] for h in TEXT_HINTS)]
        if len(hinted) > 1 and sample is not None:
            hinted.sort(key=lambda c: -sample[c].astype(str).str.len().mean())
        return hinted[0] if hinted else None
    if kind == "score":
        exact = [c for c in candidates if norm[c] in SCORE_NAMES]
        hinted = exact + [c for c in candidates
                          if c not in exact and any(h in norm[c] for h in SCORE_HINTS)]
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
    """`name` if the table has it, else InputError listing the columns there are."""
    if name in table.columns:
        return name
    raise InputError(f"has no column {name!r} ({option}); columns: {', '.join(table.columns)}",
                     path=table.path)


# --------------------------------------------------------------------------- cells

_SCORE_RE = re.compile(r"^\s*(\d{1,2})(?:[.,]0+)?\s*(?:(?:[-–—:=]|\s)\s*\D.*)?$", re.S)


def parse_scores(values: pd.Series) -> pd.Series:
    """0-10 scores from cells like `9`, `9,0`, `10 - Svært sannsynlig`; NaN for anything else."""
    text = values.astype(str)
    found = text.str.extract(_SCORE_RE, expand=False)
    scores = pd.to_numeric(found, errors="coerce")
    return scores.where((scores >= 0) & (scores <= 10)).astype(float)


def nps_group(scores: pd.Series) -> pd.Series:
    """promoter (9-10), passive (7-8), detractor (0-6), or empty where there is no score."""
    group = pd.Series("", index=scores.index, dtype=object)
    group[scores >= 9] = "promoter"
    group[(scores >= 7) & (scores <= 8)] = "passive"
    group[scores <= 6] = "detractor"
    return group


_DATE_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M",
                 "%d/%m/%Y", "%d.%m.%y %H:%M", "%d.%m.%y", "%Y/%m/%d")


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in Nordic formats (`03.10.2024 14:22`, `2024-10-03`, ...); NaT where unparsable.

    The format that reads the most cells wins, so `03.10.2024` is 3 October, never 10 March.
    """
    text = values.astype(str).str.strip()
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    best = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().sum() > best.notna().sum():
            best = parsed
    return best


# --------------------------------------------------------------------------- writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with `'` (OWASP CSV injection)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col]
            mask = s.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if mask.any():
                out.loc[mask, col] = "'" + s[mask]
    return out


def output_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise InputError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    return {"xlsx": "xlsx", "parquet": "parquet", "pq": "parquet", "jsonl": "jsonl",
            "json": "jsonl"}.get(suffix, "csv")


class TableWriter:
    """Write a table in chunks to a temporary file and move it into place on success.

    Used as a context manager: if anything fails (or the user presses Ctrl-C) the
    temporary file is removed and no partial output is left behind.
    """

    def __init__(self, path: str | Path, fmt: str, *, protect: tuple[Path, ...] = ()):
        self.path = Path(path)
        self.fmt = fmt
        resolved = self.path.resolve()
        if any(resolved == Path(p).resolve() for p in protect):
            raise InputError("refusing to write the output over an input file", path=self.path)
        if self.path.is_dir():
            raise InputError("is a directory; give an output file name", path=self.path)
        self._tmp: Path | None = None
        self._sink = None
        self.rows = 0

    def __enter__(self) -> "TableWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        return self

    def write(self, df: pd.DataFrame) -> None:
        if self.fmt in ("csv", "xlsx"):
            df = neutralise_formulas(df)
        if self.fmt == "csv":
            df.to_csv(self._tmp, mode="a", header=self.rows == 0, index=False,
                      encoding="utf-8-sig" if self.rows == 0 else "utf-8", lineterminator="\r\n")
        elif self.fmt == "jsonl":
            with open(self._tmp, "a", encoding="utf-8") as fh:
                df.to_json(fh, orient="records", lines=True, force_ascii=False)
        elif self.fmt == "parquet":
            self._write_parquet(df)
        elif self.fmt == "xlsx":
            self._write_xlsx(df)
        self.rows += len(df)

    def _write_parquet(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(_stringify_objects(df), preserve_index=False)
        if self._sink is None:
            self._sink = pq.ParquetWriter(self._tmp, table.schema)
        self._sink.write_table(table.cast(self._sink.schema))

    def _write_xlsx(self, df: pd.DataFrame) -> None:
        from openpyxl import Workbook

        if self._sink is None:
            self._sink = Workbook(write_only=True)
            self._sheet = self._sink.create_sheet("predictions")
            self._sheet.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            self._sheet.append([_excel_cell(v) for v in row])

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                if self.fmt == "parquet" and self._sink is not None:
                    self._sink.close()
                elif self.fmt == "xlsx":
                    if self._sink is None:
                        self._write_xlsx(pd.DataFrame())
                    self._sink.save(self._tmp)
                elif self.rows == 0 and self.fmt == "csv":
                    pass
                os.replace(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None and self._tmp.exists():
                self._tmp.unlink()


def _stringify_objects(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column; input columns of mixed Python types become text."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def _excel_cell(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, str):
        # openpyxl refuses control characters that XML cannot carry.
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    return value
