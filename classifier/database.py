"""A database as the sink of `classify predict --db URL [--table NAME]` (SQLAlchemy 2).

`--db` takes a file path (an embedded SQLite database, made if missing) or a
SQLAlchemy URL: `postgresql://user@host/db` (the `db` extra installs its driver),
`mssql+pyodbc://...`. Two tables, made when missing:

`NAME` (default `predictions`): one row per comment.

| column | type | content |
|---|---|---|
| `source_file` | text, key | the input file's absolute path |
| `row_key` | text, key | the input's id (`--id-col`, or found by its header); `row N` where there is none |
| `row_in_file` | integer | 1-based data row in the file |
| `respondent_id` | text | the id cell as written (null without an id column) |
| `answered_at` | timestamp | the `--date-col` cell, when it parses as a date |
| `language`, `labels`, `labels_polarity`, `note`, `nps_group` | text | as in the predictions file |
| `comment` | text | the comment (masked with `--redact`) |
| `nps_score` | integer | 0-10 |
| `extra` | text | the `--date-col`, `--by` and score cells (all input columns with `--keep`) as a JSON object |
| `model`, `tagged_at`, `run_id` | text, timestamp (UTC), text | which model tagged the row, when, and in which run |

`NAME_categories`: one row per comment and category (every category of the model,
so a BI tool counts comments per category without unpacking `labels`).

| column | type | content |
|---|---|---|
| `source_file`, `row_key` | text, key | the comment (joins `NAME`) |
| `category` | text, key | the category id |
| `name` | text | its display name (`--lang`) |
| `probability` | float | the calibrated probability |
| `assigned` | integer | 1 when the category is in `labels`, else 0 |
| `polarity`, `polarity_probability` | text, float | neg/pos/neu of an assigned category, when the model has polarity |
| `model`, `tagged_at`, `run_id` | | as above |

Re-running a file never duplicates rows: rows are upserted on their key
(`INSERT ... ON CONFLICT DO UPDATE` on SQLite and PostgreSQL; a delete of the same
keys, then an insert, on other databases such as SQL Server), and rows of that file
that this run did not write (a respondent removed from the export, a category the
model no longer has) are deleted. The whole run is one transaction: every file is
in the database afterwards, or none is.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .files.cells import parse_dates
from .files.columns import Columns
from .model.codebook import Codebook
from .predictions import PROB_PREFIX

DEFAULT_TABLE = "predictions"
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,50}")
_ADDED_SUFFIX = re.compile(r"_pred\d*$")  # predictions.output_name's suffix for a name the input used
POLARITY_PROB_PREFIX = "polarity_prob_"
# Key columns fit SQL Server's 900-byte index key together: path 400, id 200, category 100.
_PATH_LENGTH, _KEY_LENGTH, _CATEGORY_LENGTH, _NAME_LENGTH = 400, 200, 100, 200


def database_url(target: str) -> Any:
    """A SQLAlchemy URL from `--db`: a URL as given, or a file path for SQLite."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if "://" not in target:
        path = Path(target).expanduser()
        if path.is_dir():
            raise InputError("is a folder; give a database file (made if missing) or a URL", path=target)
        return make_url("sqlite://").set(database=str(path.resolve()))
    try:
        url = make_url(target)
    except ArgumentError:
        raise InputError(
            f"--db {target.split('://')[0]}://...: not a database URL (e.g. postgresql://user@host/db)"
        ) from None
    # psycopg 3 (the `db` extra) whichever driver SQLAlchemy would pick by default
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


def define_tables(metadata, name: str):
    """The comments table and the categories table (see the module docstring)."""
    from sqlalchemy import Column, DateTime, Float, Integer, String, Table, Text

    if not _TABLE_NAME.fullmatch(name):
        raise InputError(f"--table {name!r}: use letters, digits and _ (at most 50), starting with a letter")

    def key(column: str) -> Column:
        length = _PATH_LENGTH if column == "source_file" else _KEY_LENGTH
        return Column(column, String(length), primary_key=True)

    comments = Table(
        name,
        metadata,
        key("source_file"),
        key("row_key"),
        Column("row_in_file", Integer, nullable=False),
        Column("respondent_id", String(_KEY_LENGTH)),
        Column("answered_at", DateTime),
        Column("language", String(16)),
        Column("comment", Text),
        Column("labels", Text),
        Column("labels_polarity", Text),
        Column("nps_score", Integer),
        Column("nps_group", String(16)),
        Column("note", String(_NAME_LENGTH)),
        Column("extra", Text),
        Column("model", String(_NAME_LENGTH)),
        Column("tagged_at", DateTime, nullable=False),
        Column("run_id", String(36), nullable=False),
    )
    categories = Table(
        f"{name}_categories",
        metadata,
        key("source_file"),
        key("row_key"),
        Column("category", String(_CATEGORY_LENGTH), primary_key=True),
        Column("name", String(_NAME_LENGTH)),
        Column("probability", Float),
        Column("assigned", Integer, nullable=False),
        Column("polarity", String(8)),
        Column("polarity_probability", Float),
        Column("model", String(_NAME_LENGTH)),
        Column("tagged_at", DateTime, nullable=False),
        Column("run_id", String(36), nullable=False),
    )
    return comments, categories


class DatabaseSink:
    """Writes the wide predictions of a run into the two tables, in one transaction.

    Use as a context manager around the run and call `commit()` when every file has
    succeeded; leaving the block without it (an error, Ctrl-C) rolls everything back.
    """

    def __init__(self, target: str, table: str = DEFAULT_TABLE, *, codebook: Codebook, lang: str = "en"):
        try:
            from sqlalchemy import MetaData
        except ImportError:
            raise InputError("--db needs SQLAlchemy: pip install 'nordic-feedback-classifier[db]'") from None

        self.url = database_url(target)
        self.shown = self.url.render_as_string(hide_password=True)
        self.comments, self.categories = define_tables(MetaData(), table)
        self.names = codebook.display_names(lang)
        self.tagged_at = datetime.now(timezone.utc).replace(tzinfo=None)
        # Marks this run's rows exactly (a timestamp would not: SQL Server rounds DATETIME to 3 ms).
        self.run_id = str(uuid.uuid4())
        self.rows = 0
        self._conn: Any = None
        self._transaction: Any = None
        self._files: list[str] = []

    # -- the run
    def __enter__(self) -> DatabaseSink:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

        try:
            self.engine = create_engine(self.url)
            self._check_or_create()
            self._conn = self.engine.connect()
            self._transaction = self._conn.begin()
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise InputError(
                f"--db {self.shown}: no driver for this database ({exc}); "
                "for PostgreSQL: pip install 'nordic-feedback-classifier[db]'"
            ) from None
        except SQLAlchemyError as exc:
            raise InputError(f"--db {self.shown}: cannot open the database ({_first_line(exc)})") from None
        return self

    def _check_or_create(self) -> None:
        """Make missing tables; refuse a table of the same name that is something else."""
        from sqlalchemy import inspect

        inspector = inspect(self.engine)
        for table in (self.comments, self.categories):
            if not inspector.has_table(table.name):
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in have]
            if missing:
                raise InputError(
                    f"--db {self.shown}: table {table.name!r} exists but is not a predictions table "
                    f"(no column {', '.join(missing)}); choose another --table"
                )
        self.comments.metadata.create_all(self.engine)

    def commit(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        assert self._transaction is not None
        try:
            self._flush_stale()
            self._transaction.commit()
        except SQLAlchemyError as exc:
            raise InputError(f"--db {self.shown}: cannot write ({_first_line(exc)}); nothing was written") from None
        self._transaction = None

    def __exit__(self, *exc) -> None:
        try:
            if self._transaction is not None:
                self._transaction.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self.engine.dispose()

    # -- per file and chunk (the tagging.Sink protocol)
    def begin_file(self, path: Path, columns: list[str], cols: Columns, *, date_col: str | None, carry: list[str]):
        self._source = str(Path(path).resolve())
        if len(self._source) > _PATH_LENGTH:
            raise InputError(f"the path is longer than {_PATH_LENGTH} characters, the database's limit", path=path)
        self._files.append(self._source)
        self._path, self._n_input, self._cols = path, len(columns), cols
        self._date_col, self._carry = date_col, carry
        self._seen: dict[str, int] = {}

    def write(self, wide: pd.DataFrame) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        comment_rows, category_rows = self._rows(wide)
        try:
            self._upsert(self.comments, comment_rows)
            self._upsert(self.categories, category_rows)
        except SQLAlchemyError as exc:
            raise InputError(f"--db {self.shown}: cannot write ({_first_line(exc)}); nothing was written") from None
        self.rows += len(comment_rows)

    # -- rows
    def _rows(self, wide: pd.DataFrame) -> tuple[list[dict], list[dict]]:
        added = {_ADDED_SUFFIX.sub("", str(c)): c for c in wide.columns[self._n_input :]}
        n = len(wide)
        row_in_file = (wide.index.to_numpy() + 1).tolist()
        keys = self._keys(wide, row_in_file)
        ids = wide[self._cols.id].astype(str).str.strip().tolist() if self._cols.id else [None] * n
        answered = parse_dates(wide[self._date_col]) if self._date_col else pd.Series([pd.NaT] * n, index=wide.index)

        def column(name: str) -> list:
            return [_plain(v) for v in wide[added[name]]] if name in added else [None] * n

        extra = (
            [
                json.dumps({c: _plain(v) for c, v in zip(self._carry, vals)}, ensure_ascii=False, default=str)
                for vals in wide[self._carry].itertuples(index=False, name=None)
            ]
            if self._carry
            else [None] * n
        )
        base = {"source_file": self._source, "tagged_at": self.tagged_at, "run_id": self.run_id}
        labels, polarity = column("labels"), column("labels_polarity")
        model = column("model")
        comments = [
            {
                **base,
                "row_key": keys[i],
                "row_in_file": row_in_file[i],
                "respondent_id": ids[i] or None,
                "answered_at": None if pd.isna(answered.iloc[i]) else answered.iloc[i].to_pydatetime(),
                "comment": _plain(wide[self._cols.text].iloc[i]),
                "labels": labels[i],
                "labels_polarity": polarity[i],
                "extra": extra[i],
                "model": model[i],
            }
            for i in range(n)
        ]
        for name in ("language", "nps_score", "nps_group", "note"):
            values = column(name)
            for row, v in zip(comments, values):
                row[name] = int(v) if name == "nps_score" and v is not None else v
        categories = []
        for cat in [c[len(PROB_PREFIX) :] for c in added if c.startswith(PROB_PREFIX)]:
            proba = column(f"{PROB_PREFIX}{cat}")
            pol_proba = column(f"{POLARITY_PROB_PREFIX}{cat}")
            for i in range(n):
                assigned = cat in (labels[i] or "").split(";")
                categories.append(
                    {
                        **base,
                        "row_key": keys[i],
                        "category": cat,
                        "name": self.names.get(cat, cat),
                        "probability": proba[i],
                        "assigned": int(assigned),
                        "polarity": _polarity(polarity[i], cat) if assigned else None,
                        "polarity_probability": pol_proba[i] if assigned else None,
                        "model": model[i],
                    }
                )
        return comments, categories

    def _keys(self, wide: pd.DataFrame, row_in_file: list[int]) -> list[str]:
        """The id cell, or `row N` where the file has no id (or this row's is empty); an id twice is an error."""
        ids = wide[self._cols.id].astype(str).str.strip().tolist() if self._cols.id else [""] * len(wide)
        keys = []
        for ident, row in zip(ids, row_in_file):
            key = ident or f"row {row}"
            if key in self._seen:
                raise InputError(
                    f"id {key!r} is also in row {self._seen[key]}; the database needs one row per id "
                    "(use --id-col for another column)",
                    path=self._path,
                    row=row,
                    column=self._cols.id,
                )
            if len(key) > _KEY_LENGTH:
                raise InputError(f"id longer than {_KEY_LENGTH} characters", path=self._path, row=row)
            self._seen[key] = row
            keys.append(key)
        return keys

    # -- statements
    def _upsert(self, table, rows: list[dict]) -> None:
        from sqlalchemy import and_, delete, or_, tuple_

        if not rows:
            return
        keys = [c.name for c in table.primary_key.columns]
        dialect = self.engine.dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = _dialect_insert(dialect)
            stmt = insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=keys, set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
            )
            for part in _batches(rows):
                self._conn.execute(stmt, part)
            return
        # Other databases (SQL Server: MERGE): delete the same keys, then insert, in the run's transaction.
        for part in _batches(rows, 500):
            if dialect == "mssql":  # no row values in SQL Server
                cond = or_(*[and_(*[table.c[k] == r[k] for k in keys]) for r in part])
            else:
                cond = tuple_(*[table.c[k] for k in keys]).in_([tuple(r[k] for k in keys) for r in part])
            self._conn.execute(delete(table).where(cond))
            self._conn.execute(table.insert(), part)

    def _flush_stale(self) -> None:
        """Delete rows of this run's files that this run did not write (gone from the file, or from the model)."""
        from sqlalchemy import delete

        for source in self._files:
            for table in (self.categories, self.comments):
                self._conn.execute(delete(table).where(table.c.source_file == source, table.c.run_id != self.run_id))


def _dialect_insert(dialect: str) -> Any:
    """The INSERT with `on_conflict_do_update` of SQLite or PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    return sqlite.insert if dialect == "sqlite" else postgresql.insert


def _batches(rows: list[dict], size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _polarity(labels_polarity: str | None, category: str) -> str | None:
    for item in (labels_polarity or "").split(";"):
        cat, _, pol = item.partition(":")
        if cat == category and pol:
            return pol
    return None


def _plain(value: Any) -> Any:
    """A cell as the database driver takes it: numpy scalars as Python numbers, NaN/NA as NULL."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
