"""Reading survey files: CSV in any Nordic export's encoding and delimiter, Excel, Parquet, JSON Lines.

Nordic survey exports come as CSV with `;`, `,` or tab, in UTF-8 (with or without
BOM), UTF-16 ("Unicode text" from Excel) or Windows-1252, or as Excel and Parquet.
`open_table` detects the format by content (`sources`: also gzip, bz2 and ZIP
compressed CSV), the encoding (`encodings`), the delimiter and the extra header rows
of Qualtrics and SurveyMonkey exports, and streams the rows in chunks.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .encodings import MIXED, Utf8Stream, decode_sample, detect_encoding, scan_encoding
from .sources import EXCEL_SUFFIXES, JSONL_SUFFIXES, PARQUET_SUFFIXES, UNPACK_ERRORS, Source, identify

__all__ = ["EXCEL_SUFFIXES", "PARQUET_SUFFIXES", "Table", "detect_encoding", "open_table"]

CHUNK_ROWS = 50_000
MAX_CHUNK_CELLS = 2_000_000  # a chunk of a very wide table has fewer rows, so memory stays bounded
_SNIFF_BYTES = 256 * 1024


# --------------------------------------------------------------------------- reading

ONE_COLUMN = "\x1f"  # the "delimiter" of a file with a single column (ASCII unit separator)
_ONE_COLUMN_SPARES = "\x1e\x1d\x1c"  # ... or one of these when the text contains \x1f
_SPARE_FIELDS = 4  # trailing fields a CSV row may have beyond the widest sniffed row


@dataclass
class Table:
    """A survey file opened for reading: its detected format and its columns.

    `chunks()` yields DataFrames of at most `chunk_rows` rows whose index is the
    0-based data row number across the whole file, so memory stays flat. Their
    columns are `columns`: every header cell that has a name, in file order.
    Columns with an empty header must be empty; they are dropped.

    Some exports put more header under the header: Qualtrics writes the question
    texts in row 2 and `{"ImportId": ...}` in row 3, SurveyMonkey the answer options
    in row 2. Those rows are skipped (`header_rows` says how many rows are header);
    Qualtrics' question texts are kept in `descriptions` to find the columns by.
    """

    path: Path
    format: str  # "csv", "xlsx", "parquet" or "jsonl"
    columns: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    lineterminator: str | None = None  # "\r" for Excel for Mac's CR-only lines, else pandas' default
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    chunk_rows: int = CHUNK_ROWS
    header_rows: int = 1
    descriptions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # how the file was read, for the user
    source: Source | None = None  # how to get the bytes of a CSV (it may be compressed)
    _names: list[str] = field(default_factory=list, repr=False)  # one per header cell
    _width: int = 0  # fields of the widest row seen when sniffing (CSV)
    _skip_lines: int = 0  # a "sep=;" line above the header (CSV)

    def chunks(self) -> Generator[pd.DataFrame, None, None]:
        if self.format == "csv":
            raw = self._csv_chunks()
        elif self.format == "jsonl":
            raw = self._jsonl_chunks()
        elif self.format == "xlsx":
            raw = self._xlsx_chunks()
        else:
            raw = self._parquet_chunks()
        skip, start = self.header_rows, 0
        try:
            for chunk in raw:
                if skip:
                    n = min(skip, len(chunk))
                    chunk, skip = chunk.iloc[n:], skip - n
                    if chunk.empty:
                        continue
                chunk = self._clean(chunk, start)
                start += len(chunk)
                yield chunk
        finally:
            raw.close()  # the file is closed when reading fails or stops early, not when garbage is collected

    def read(self) -> pd.DataFrame:
        """The whole table in memory (for training data and small files)."""
        parts = list(self.chunks())
        return pd.concat(parts) if parts else pd.DataFrame(columns=self.columns)

    # -- per format: DataFrames of all rows (header rows included), columns by position
    def _csv_chunks(self) -> Generator[pd.DataFrame, None, None]:
        # header=None and a name for every field of the widest row: pandas then never
        # takes the first column as the index when rows end with an extra delimiter.
        # A few spare names let later rows end with a few more (empty) fields than the
        # sample showed; _clean drops them, or says which row has a value there.
        names = _pad_names(self._names, self._width + _SPARE_FIELDS)
        source = self.source or Source(self.path, "text")
        data: Any = self.path  # pandas reads a plain file fastest by its name
        if self.encoding == MIXED:
            data = io.BufferedReader(Utf8Stream(source.open()))
        elif source.compression:
            data = source.open()
        try:
            with pd.read_csv(
                data,
                sep=self.delimiter,
                encoding="utf-8-sig" if self.encoding == MIXED else self.encoding,
                compression=None,  # judged by content (sources), never by the name
                dtype=object,  # Python strings: what the rest reads and writes, with no conversion to and fro
                header=None,
                names=names,
                index_col=False,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                chunksize=self.chunk_rows,
                engine="c",
                quotechar='"',
                doublequote=True,
                lineterminator=self.lineterminator,
                skiprows=self._skip_lines,
            ) as reader:
                yield from reader
        except pd.errors.ParserError as exc:
            raise InputError(_parser_message(exc, len(self._names)), path=self.path) from None
        except pd.errors.EmptyDataError:
            return
        except UnicodeDecodeError:
            raise InputError(f"cannot be decoded as {self.encoding}", path=self.path) from None
        except UNPACK_ERRORS as exc:
            raise source.damaged(exc) from None
        finally:
            if not isinstance(data, Path):
                data.close()

    def _xlsx_chunks(self) -> Generator[pd.DataFrame, None, None]:
        """The sheet's rows as read, in chunks, as text; trailing blank rows left out.

        A row is only as wide as the header: a cell beyond it must be blank. Rows with
        nothing but blanks are held back (a row of empty cells as None) until a row with
        a value follows, so a stray space far down the sheet costs a list of Nones, not
        a million rows of empty cells.
        """
        width = len(self._names)
        workbook, fh = _load_workbook(self.path)
        try:
            ws = workbook[self.sheet]
            ws.reset_dimensions()  # the declared size may be wrong, or huge
            rows: list[list[str]] = []
            blank: list[list[str] | None] = []  # blank rows not yet known to be inside the data
            for number, values in enumerate(ws.iter_rows(values_only=True), 1):
                cells = [excel_text(v) for v in values]
                beyond = next((i for i in range(width, len(cells)) if cells[i].strip()), None)
                if beyond is not None:
                    raise InputError(_no_header_message(beyond), path=self.path, row=number)
                cells = cells[:width] + [""] * (width - len(cells))
                if not any(c.strip() for c in cells):
                    blank.append(cells if any(cells) else None)
                    continue
                for row in [*blank, cells]:
                    rows.append(row or [""] * width)
                    if len(rows) >= self.chunk_rows:
                        yield pd.DataFrame(rows, dtype=object)
                        rows = []
                blank = []
            if rows:
                yield pd.DataFrame(rows, dtype=object)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"is not a readable Excel sheet ({type(exc).__name__})", path=self.path) from None
        finally:
            workbook.close()
            fh.close()

    def _parquet_chunks(self) -> Generator[pd.DataFrame, None, None]:
        import pyarrow.parquet as pq

        try:
            for batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.chunk_rows):
                # pandas' `category` columns come back as dictionary arrays: their values, please
                yield _uncategorised(batch.to_pandas())
        except Exception as exc:
            raise InputError(f"is not a readable Parquet file ({type(exc).__name__})", path=self.path) from None

    def _jsonl_chunks(self) -> Generator[pd.DataFrame, None, None]:
        # One JSON object per line (what `classify predict --format jsonl` writes); the keys of
        # the first line are the columns. Values stay as written: no guessing of dates.
        start = 0
        try:
            with pd.read_json(
                self.path,
                lines=True,
                chunksize=self.chunk_rows,
                dtype=False,
                precise_float=True,
                encoding="utf-8",
            ) as reader:
                for chunk in reader:
                    extra = [c for c in chunk.columns if c not in self._names]
                    if extra:
                        row = start + int(np.argmax(chunk[extra[0]].notna().to_numpy())) + 1
                        raise InputError(f"has a key {extra[0]!r} that the first line lacks", path=self.path, row=row)
                    start += len(chunk)
                    yield chunk.reindex(columns=self._names)
        except ValueError as exc:
            raise InputError(f"is not valid JSON Lines ({exc})", path=self.path) from None

    def _clean(self, chunk: pd.DataFrame, start: int) -> pd.DataFrame:
        """Name the columns, check and drop the ones without a header, number the rows."""
        chunk = chunk.copy()
        chunk.columns = _pad_names(self._names, chunk.shape[1])[: chunk.shape[1]]
        for i, col in enumerate(chunk.columns):
            if col in self.columns:
                continue
            filled = chunk[col].astype(str).str.strip() != ""
            if filled.any():
                # The row as a spreadsheet shows it (1-based, header rows included).
                row = self.header_rows + start + int(np.argmax(filled.to_numpy())) + 1
                if i >= len(self._names) and self.format == "csv":
                    raise InputError(
                        f"has more fields than the header ({len(self._names)}); check the delimiter and quoting",
                        path=self.path,
                        row=row,
                    )
                raise InputError(_no_header_message(i), path=self.path, row=row)
        for col in self.columns:
            if col not in chunk:  # trailing columns Excel stores no cells for
                chunk[col] = ""
        chunk = chunk[self.columns]
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        return chunk


def _pad_names(names: list[str], width: int) -> list[str]:
    return list(names) + [_unnamed(i) for i in range(len(names), width)]


def _unnamed(i: int) -> str:
    """The name of column i when its header cell is empty; no header can spell it (NUL)."""
    return f"\x00column {i + 1}"


def _no_header_message(i: int) -> str:
    if i == 0:  # pandas' to_csv writes its index there, under an empty header
        return (
            "column 1 has a value but no header (an index written by pandas' to_csv? write the file "
            "with index=False); give the column a name"
        )
    return f"column {i + 1} has a value but no header; give the column a name, or check the delimiter and quoting"


def _uncategorised(df: pd.DataFrame) -> pd.DataFrame:
    """pandas `category` columns (Parquet dictionary columns) as plain values."""
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(object)
    return df


def open_table(path: str | Path, *, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS) -> Table:
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
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or type(exc).__name__})", path=path) from None
    source = identify(path, head)
    if source.kind == "xlsx":
        table = _open_excel(path, sheet)
    elif source.kind == "parquet":
        table = _open_parquet(path)
    elif path.suffix.lower() in JSONL_SUFFIXES or _looks_like_jsonl(head):
        table = _open_jsonl(path, head)
    else:
        table = _open_csv(source)
    # A wide table gets shorter chunks: at most MAX_CHUNK_CELLS cells in memory at once.
    table.chunk_rows = max(1, min(chunk_rows, MAX_CHUNK_CELLS // max(1, len(table._names))))
    _check_header(table)
    return table


def _open_csv(source: Source) -> Table:
    path = source.path
    try:
        with source.open() as fh:
            head = fh.read(_SNIFF_BYTES)
        encoding = scan_encoding(path, head, source.open)
    except UNPACK_ERRORS as exc:
        raise source.damaged(exc) from None
    text = decode_sample(head, encoding.name)
    if not text.strip():
        raise InputError("is empty", path=path)
    if _looks_binary(text):
        raise InputError("is a binary file, not a CSV table", path=path)
    hint = _SEP_LINE.match(text)
    if hint:  # "sep=;" on the first line tells Excel the delimiter; not a row
        text = text[hint.end() :]
    delimiter = hint.group(1) if hint else detect_delimiter(text)
    rows = _sample_rows(text, delimiter)
    if not rows:
        raise InputError("is empty", path=path)
    table = _table_from_rows(path, "csv", rows)
    table.encoding, table.delimiter, table.source = encoding.name, delimiter, source
    table.warnings += [w for w in [encoding.warning()] if w]
    table._width = max(len(r) for r in rows)
    table._skip_lines = 1 if hint else 0
    # pandas' default line ending handling drops the first (empty) field of a row that
    # follows a blank line in a CR-only file; naming "\r" avoids that.
    first_break = re.search(r"\r\n?|\n", _BLANK_START.sub("", text))
    if first_break and first_break.group() == "\r":
        table.lineterminator = "\r"
    return table


def _sample_rows(text: str, delimiter: str) -> list[list[str]]:
    """The rows of the sniffed sample (the last one may be cut short)."""
    rows = []
    try:
        for row in csv.reader(_lines(text), delimiter=delimiter):
            if row and not (len(row) == 1 and not row[0].strip(" \t")):  # pandas skips blank lines
                rows.append(row)
    except csv.Error:  # e.g. a field over csv's size limit: the rows so far will do
        pass
    return rows


def _load_workbook(path: Path):
    """The workbook, read-only (rows are parsed as they are read), and its open file."""
    from openpyxl import load_workbook

    fh = open(path, "rb")  # noqa: SIM115 - read-only openpyxl reads lazily from it; closed by the caller
    try:
        return load_workbook(fh, read_only=True, data_only=True), fh
    except Exception:
        fh.close()
        raise InputError("is not a readable Excel (.xlsx) file", path=path) from None


def _open_excel(path: Path, sheet: str | None) -> Table:
    wb, fh = _load_workbook(path)
    try:
        sheets = list(wb.sheetnames)
        if sheet is None:
            sheet = sheets[0]
        elif sheet not in sheets:
            raise InputError(f"has no sheet {sheet!r}; sheets: {', '.join(sheets)}", path=path)
        ws = wb[sheet]
        if not hasattr(ws, "iter_rows"):
            raise InputError(f"sheet {sheet!r} is a chart, not a table; use --sheet", path=path)
        ws.reset_dimensions()
        rows = [_trim([excel_text(v) for v in row]) for row in ws.iter_rows(max_row=3, values_only=True)]
    finally:
        wb.close()
        fh.close()
    table = _table_from_rows(path, "xlsx", rows or [[]])
    table.sheet, table.sheets = sheet, sheets
    return table


def excel_text(value) -> str:
    """A cell as pandas.read_excel(dtype=str) shows it: whole numbers without `.0`, datetimes ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trim(cells: list[str]) -> list[str]:
    """Without the trailing blank cells (a formatted empty cell far to the right)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _open_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq

    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception:
        raise InputError("is not a readable Parquet file", path=path) from None
    return Table(path=path, format="parquet", columns=list(names), header_rows=0, _names=list(names))


def _looks_like_jsonl(head: bytes) -> bool:
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0].strip()
    return first.startswith(b"{") and first.endswith(b"}")


def _open_jsonl(path: Path, head: bytes) -> Table:
    import json

    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0]
    try:
        record = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError("is not valid JSON Lines (its first line is not one JSON object)", path=path, row=1) from None
    if not isinstance(record, dict):
        raise InputError("is not valid JSON Lines (its first line is not one JSON object)", path=path, row=1)
    names = [str(k) for k in record]
    return Table(path=path, format="jsonl", columns=names, encoding="utf-8", header_rows=0, _names=names)


def _table_from_rows(path: Path, fmt: str, rows: list[list[str]]) -> Table:
    """A Table from the first rows of a CSV or sheet: its header, and any rows of more header."""
    header = list(rows[0])
    below = [list(r) for r in rows[1:3]]
    header_rows, descriptions = 1, {}
    if len(below) == 2 and _is_import_id_row(below[1]):
        # Qualtrics: short names, then question texts, then import ids.
        header_rows = 3
        descriptions = {h: d.strip() for h, d in zip(header, below[0]) if h.strip() and d.strip()}
    elif (
        [normalise_header(h) for h in header[:2]] == ["respondent id", "collector id"]
        and below
        and len(below[0]) >= 2
        and not "".join(below[0][:2]).strip()
    ):
        # SurveyMonkey: every response has a respondent and a collector id; the row
        # without them holds the answer options. A column under a multi-column
        # question gets the name "question - option".
        header_rows = 2
        question = ""
        for i, h in enumerate(header):
            option = below[0][i].strip() if i < len(below[0]) else ""
            if h.strip():
                question = h.strip()
            elif option and question:
                header[i] = f"{question} - {option}"
    names, columns = [], []
    for i, h in enumerate(header):
        if h.strip():
            names.append(h)
            columns.append(h)
        else:
            names.append(_unnamed(i))
    return Table(
        path=path, format=fmt, columns=columns, header_rows=header_rows, descriptions=descriptions, _names=names
    )


def _is_import_id_row(cells: list[str]) -> bool:
    """Qualtrics' third header row: `{"ImportId": ...}` in every filled cell. One answer that
    starts that way (in the third row of a plain file) is an answer, not a header."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith('{"ImportId"') for c in filled)


def _check_header(table: Table) -> None:
    named = [c.strip() for c in table.columns]
    if not named:
        raise InputError("has no header row", path=table.path)
    seen, dupes = set(), []
    for h in named:
        if h in seen and h not in dupes:
            dupes.append(h)
        seen.add(h)
    if dupes:
        raise InputError(f"has duplicate column names: {', '.join(dupes)}; rename them", path=table.path)


def _looks_binary(text: str) -> bool:
    sample = text[:20_000]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    return controls > max(2, 0.01 * len(sample))


_BLANK_START = re.compile(r"\A(?:[ \t]*(?:\r\n|\r|\n))+")  # lines pandas skips as blank
_SEP_LINE = re.compile(r"\Asep=([;,\t|])(?:\r\n|\r|\n)", re.IGNORECASE)  # Excel's delimiter hint


def _lines(text: str) -> io.StringIO:
    """The text for csv.reader: split at \n, \r\n and a lone \r (Excel for Mac), leading blank lines gone."""
    return io.StringIO(_BLANK_START.sub("", text), newline="")


def detect_delimiter(text: str) -> str:
    """The delimiter among `;`, `,` and tab that splits the first rows most consistently.

    When none splits the header, the file has one column (a list of comments, which
    may well contain commas): ONE_COLUMN, a character that text does not contain.
    """
    lines = _BLANK_START.sub("", text)
    cut = max(lines.rfind("\n"), lines.rfind("\r"))
    if cut > 0:
        lines = lines[:cut]
    best, best_key = ONE_COLUMN, (-1.0, 0)
    for delim in (";", ",", "\t"):
        rows = []
        try:
            for i, row in enumerate(csv.reader(_lines(lines), delimiter=delim)):
                if row:
                    rows.append(len(row))
                if i >= 50:
                    break
        except csv.Error:  # e.g. a field over csv's size limit: the rows so far will do
            pass
        if not rows or rows[0] < 2:
            continue
        consistency = sum(1 for n in rows if n == rows[0]) / len(rows)
        key = (consistency, rows[0])
        if key > best_key:
            best, best_key = delim, key
    if best == ONE_COLUMN:
        best = next((c for c in ONE_COLUMN + _ONE_COLUMN_SPARES if c not in text), ONE_COLUMN)
    return best


def _parser_message(exc: Exception, header_fields: int) -> str:
    """pandas' tokenizer error as one line; its rows are 1-based lines of the table, header included."""
    msg = str(exc).strip()
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if m:
        return (
            f"row {m.group(2)} has {m.group(3)} fields but the header has {header_fields}; "
            "check the delimiter and quoting"
        )
    m = re.search(r"EOF inside string starting at row (\d+)", msg)
    if m:
        return f"row {int(m.group(1)) + 1} opens a quoted field (\") that is never closed; check the quoting"
    last = msg.splitlines()[-1] if msg else "parse error"
    return f"is not a readable table ({last})"


def normalise_header(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).lower().strip()
    return re.sub(r"[\s_:?.!()\[\]-]+", " ", name).strip()
