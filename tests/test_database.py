"""`classify predict FILE --db URL [--table NAME]`: predictions in a database, never duplicated.

Every test runs on SQLite (a file path, the embedded default) and on a real
PostgreSQL server started for this module from the machine's PostgreSQL binaries
(`initdb`, `pg_ctl`); without them, or without the psycopg driver, the PostgreSQL
runs are skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.model.store import load_model

SURVEY = pd.DataFrame(
    {
        "Respons-ID": ["R1", "R2", "R3", "R4", "R5"],
        "Dato": ["03.10.2026 14:22", "04.10.2026 09:01", "12.11.2026 10:00", "13.11.2026 11:30", "x"],
        "Kanal": ["Telefon", "Chat", "Telefon", "E-post", "Chat"],
        "Score": ["0", "9", "10", "3", ""],
        "Kommentar": [
            "Ventet i 45 min i telefonkøen og ingen svarte",
            "Hyggelig og hjelpsom dame, takk!",
            "Väntade länge men fick till slut hjälp",
            "Fakturaen er feil, ring meg på 912 34 567",
            "",
        ],
    }
)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


# --------------------------------------------------------------------------- a throwaway PostgreSQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server in a temporary folder, for this module only (as user postgres when run as root)."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not initdbs[-1] or not os.path.exists(initdbs[-1]):
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="no PostgreSQL driver (pip install '.[db]')")
    bindir = Path(initdbs[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="classify-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "classify", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        subprocess.run([*ctl, "-o", opts, "-l", str(root / "log"), "-w", "start"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot start a PostgreSQL server here: {exc}")
    try:
        yield f"postgresql://classify@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """`--db` for an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "tagged.sqlite")
    from sqlalchemy import create_engine, text

    from classifier.database import database_url

    server = request.getfixturevalue("postgres_url")
    name = f"t_{os.getpid()}_{abs(hash(request.node.name)) % 10**8}"
    engine = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


def query(db: str, sql: str) -> pd.DataFrame:
    from sqlalchemy import create_engine

    from classifier.database import database_url

    engine = create_engine(database_url(db))
    try:
        with engine.connect() as conn:
            return pd.read_sql_query(sql, conn)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the tests


def test_db_writes_a_comments_table_and_a_long_categories_table(db, tmp_path, small_model_dir):
    survey = write(SURVEY, tmp_path / "survey.csv")
    result = invoke(
        "predict", survey, "--model", small_model_dir, "--db", db, "--out", tmp_path / "wide.csv",
        "--date-col", "Dato", "--by", "Kanal", "--lang", "nb",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 5 comments to tables 'predictions' and 'predictions_categories'" in result.output
    wide = pd.read_csv(tmp_path / "wide.csv", dtype=str, keep_default_na=False)
    model = load_model(small_model_dir)
    comments = query(db, "SELECT * FROM predictions ORDER BY row_in_file")
    assert comments["row_key"].tolist() == SURVEY["Respons-ID"].tolist()
    assert comments["source_file"].unique().tolist() == [str(survey.resolve())]
    assert comments["labels"].fillna("").tolist() == wide["labels"].tolist()
    assert comments["nps_score"].tolist()[:4] == [0, 9, 10, 3] and pd.isna(comments["nps_score"][4])
    assert pd.Timestamp(comments["answered_at"][0]) == pd.Timestamp("2026-10-03 14:22")
    assert pd.isna(comments["answered_at"][4])  # "x" is not a date
    assert '"Kanal": "Telefon"' in comments["extra"][0]
    cats = query(db, "SELECT * FROM predictions_categories")
    assert len(cats) == len(SURVEY) * len(model.labels)  # every comment and category
    for _, r in cats.iterrows():
        i = SURVEY.index[SURVEY["Respons-ID"] == r["row_key"]][0]
        assert r["assigned"] == int(r["category"] in wide["labels"][i].split(";"))
        assert r["probability"] == pytest.approx(float(wide[f"prob_{r['category']}"][i]), abs=1e-6)
        assert r["name"] == model.codebook.display_name(r["category"], "nb")


def test_primary_keys_are_file_and_row_and_category(db, tmp_path, small_model_dir):
    from sqlalchemy import create_engine, inspect

    from classifier.database import database_url

    survey = write(SURVEY, tmp_path / "survey.csv")
    assert invoke("predict", survey, "--model", small_model_dir, "--db", db).exit_code == 0
    engine = create_engine(database_url(db))
    inspector = inspect(engine)
    assert inspector.get_pk_constraint("predictions")["constrained_columns"] == ["source_file", "row_key"]
    assert inspector.get_pk_constraint("predictions_categories")["constrained_columns"] == [
        "source_file",
        "row_key",
        "category",
    ]
    engine.dispose()
    assert not (tmp_path / "survey.predictions.csv").exists()  # --db alone writes no file


def test_rerunning_a_file_never_duplicates_rows_and_follows_the_file(db, tmp_path, small_model_dir):
    survey = write(SURVEY, tmp_path / "survey.csv")
    for _ in range(2):
        assert invoke("predict", survey, "--model", small_model_dir, "--db", db).exit_code == 0
    n_labels = len(load_model(small_model_dir).labels)
    assert query(db, "SELECT COUNT(*) AS n FROM predictions")["n"][0] == len(SURVEY)
    assert query(db, "SELECT COUNT(*) AS n FROM predictions_categories")["n"][0] == len(SURVEY) * n_labels
    first_run = query(db, "SELECT row_key, tagged_at FROM predictions ORDER BY row_key")
    # The export changes: R2 is gone, R4's comment is new. The table follows the file.
    changed = SURVEY[SURVEY["Respons-ID"] != "R2"].copy()
    changed.loc[changed["Respons-ID"] == "R4", "Kommentar"] = "Hyggelig og hjelpsom dame, takk!"
    write(changed, survey)
    assert invoke("predict", survey, "--model", small_model_dir, "--db", db).exit_code == 0
    comments = query(db, "SELECT * FROM predictions ORDER BY row_key")
    assert comments["row_key"].tolist() == ["R1", "R3", "R4", "R5"]
    assert comments["comment"][2] == "Hyggelig og hjelpsom dame, takk!"
    assert (comments["tagged_at"].to_numpy() > first_run["tagged_at"].max()).all()
    assert query(db, "SELECT COUNT(*) AS n FROM predictions_categories")["n"][0] == 4 * n_labels
    # Another file with the same ids is other rows.
    other = write(SURVEY, tmp_path / "other.csv")
    assert invoke("predict", other, "--model", small_model_dir, "--db", db).exit_code == 0
    assert query(db, "SELECT COUNT(*) AS n FROM predictions")["n"][0] == 4 + len(SURVEY)


def test_without_an_id_column_rows_are_keyed_by_row_number(db, tmp_path, small_model_dir):
    survey = write(SURVEY.drop(columns=["Respons-ID"]), tmp_path / "survey.csv")
    for _ in range(2):
        assert invoke("predict", survey, "--model", small_model_dir, "--db", db).exit_code == 0
    keys = query(db, "SELECT row_key FROM predictions ORDER BY row_in_file")["row_key"].tolist()
    assert keys == [f"row {i}" for i in range(1, len(SURVEY) + 1)]


def test_a_repeated_id_is_one_line_and_nothing_is_written(db, tmp_path, small_model_dir):
    good = write(SURVEY, tmp_path / "a_good.csv")
    repeated = SURVEY.copy()
    repeated.loc[3, "Respons-ID"] = "R1"
    bad = write(repeated, tmp_path / "b_bad.csv")
    result = invoke("predict", good, bad, "--model", small_model_dir, "--db", db)
    assert result.exit_code == 2
    assert "b_bad.csv, row 4, column 'Respons-ID': id 'R1' is also in row 1" in result.output
    assert "Traceback" not in result.output
    # one transaction: the good file is not in the database either
    assert query(db, "SELECT COUNT(*) AS n FROM predictions")["n"][0] == 0


def test_redact_masks_comments_in_the_database(db, tmp_path, small_model_dir):
    survey = write(SURVEY, tmp_path / "survey.csv")
    assert invoke("predict", survey, "--model", small_model_dir, "--db", db, "--redact").exit_code == 0
    comments = " ".join(query(db, "SELECT comment FROM predictions")["comment"].fillna(""))
    assert "912 34 567" not in comments and "<phone>" in comments


def test_table_name_and_a_foreign_table_are_one_line(tmp_path, small_model_dir):
    import sqlite3

    survey = write(SURVEY, tmp_path / "survey.csv")
    db = tmp_path / "x.sqlite"
    result = invoke("predict", survey, "--model", small_model_dir, "--db", db, "--table", "drop table;")
    assert result.exit_code == 2 and "--table" in result.output
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    result = invoke("predict", survey, "--model", small_model_dir, "--db", db, "--table", "customers")
    assert result.exit_code == 2 and "table 'customers' exists but is not a predictions table" in result.output


def test_an_unreachable_server_is_one_line(tmp_path, small_model_dir):
    pytest.importorskip("psycopg")
    survey = write(SURVEY, tmp_path / "survey.csv")
    url = f"postgresql://someone:secret@127.0.0.1:{_free_port()}/nope"
    result = invoke("predict", survey, "--model", small_model_dir, "--db", url)
    assert result.exit_code == 2 and "cannot open the database" in result.output
    assert "secret" not in result.output  # the password is never printed
