"""`classify predict` / `classify train` on real survey exports and on bad input, through the CLI.

Every export shape is checked end to end: exit code 0, one output row per input
row in the same order, every input column kept (cells neutralised against
spreadsheet formulas, nothing else changed), the comment column found by its
header, and scores parsed into `nps_score` / `nps_group`. Bad input must give
exit code 2 and one line naming the file, and leave no output behind.

Text fixtures are in tests/fixtures/; the binary ones (XLSX, UTF-16, Windows-1252)
are written by the `make_*` functions here. See docs/robustness.md.
"""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import functools
import gzip
import io
import os
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

import classifier.tagging
from classifier.cli import app
from classifier.model.model import Model
from classifier.model.store import MODEL_FILE
from classifier.paths import shipped_data
from tests.test_tables import password_protected_xlsx, shared_strings_xlsx

FIXTURES = Path(__file__).parent / "fixtures"
NB_Q = "Hvor sannsynlig er det at du vil anbefale vår kundeservice til en venn eller kollega?"
SV_Q = "Hur troligt är det att du skulle rekommendera vår kundtjänst till en vän eller kollega?"
NB_WHY = "Hva er hovedgrunnen til at du ga denne scoren?"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- helpers


def run(*args) -> click.testing.Result:  # noqa: F821
    return CliRunner().invoke(app, [str(a) for a in args])


def predict(path, model_dir, *extra):
    return run("predict", path, "--model", model_dir, *extra)


def neutral(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def read_output(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def oracle_csv(path: Path, delimiter: str | None, encoding: str, header_rows: int):
    """The input read by Python's csv module, as the tool should see it: header names, data rows."""
    with open(path, encoding=encoding, newline="") as fh:
        text = fh.read().lstrip("\ufeff")
    records = [
        r
        for r in csv.reader(io.StringIO(text), delimiter=delimiter or "\x1f")
        if r and not (len(r) == 1 and not r[0].strip())
    ]
    header, below, data = records[0], records[1:header_rows], records[header_rows:]
    keep = [i for i, h in enumerate(header) if h.strip() or (below and below[0][i].strip())]
    return keep, [[r[i] if i < len(r) else "" for i in keep] for r in data]


def group_of(score):
    if score is None:
        return ""
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def snapshot(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def flat(text: str) -> str:
    """Rich wraps long stderr lines; compare with whitespace folded."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- generated exports


def make_excel_unicode(folder: Path) -> Path:
    """Excel "Unicode-tekst (*.txt)": UTF-16 LE with BOM, tab-delimited, CRLF."""
    rows = [
        ["Svars-ID", "Datum", SV_Q, "Kommentar"],
        ["S1", "2024-10-03 14:22", "10 - Mycket troligt", "Trevligt bemötande, löste allt direkt 👍"],
        ["S2", "2024-10-03 15:10", "0 - Inte alls troligt", "Väntade i 50 minuter\ti kön.\nSedan bröts samtalet"],
        ["S3", "2024-10-04 09:01", "7", 'Hon sa "vi återkommer" men ingen hörde av sig'],
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    path = folder / "excel_unicode_sv.txt"
    path.write_bytes(buf.getvalue().encode("utf-16"))  # Python writes the LE BOM
    assert path.read_bytes()[:2] == b"\xff\xfe"
    return path


def make_excel_ansi(folder: Path) -> Path:
    """Excel "CSV (semikolondelt)" in Norway: Windows-1252, ';', CRLF, NBSP thousands, decimal commas."""
    text = (
        "Kundenr;Dato;" + NB_Q + ";Kommentar;Beløp (kr)\r\n"
        "K-001;03.10.2024 14:22;10 - Svært sannsynlig;Kjempefornøyd med hjelpen, takk!;1\xa0234,50\r\n"
        "K-002;03.10.2024 15:40;2;\"Gebyret på 60 € er urimelig; ingen forklarte hvorfor\";60,00\r\n"
        "K-003;04.10.2024 08:05;8;Grei nok, men lang ventetid på telefonen – ca. 20 min;0,5\r\n"
    )
    path = folder / "excel_ansi_nb.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


MS_FORMS_ROWS = [
    ["ID", "Starttidspunkt", "Fullføringstidspunkt", "E-post", "Navn", NB_Q, "Hva er grunnen til scoren din?"],
    [
        1,
        dt.datetime(2024, 10, 3, 14, 20, 5),
        dt.datetime(2024, 10, 3, 14, 22, 41),
        "anonymous",
        None,
        9,
        "Rask og effektiv hjelp",
    ],
    [
        2,
        dt.datetime(2024, 10, 3, 15, 1, 0),
        dt.datetime(2024, 10, 3, 15, 3, 12),
        "anonymous",
        None,
        3,
        "Ble satt over tre ganger.\nIngen visste noe om saken min",
    ],
    [3, dt.datetime(2024, 10, 4, 8, 0, 0), dt.datetime(2024, 10, 4, 8, 1, 30), "anonymous", None, 10, None],
]


def make_ms_forms(folder: Path) -> Path:
    """Microsoft Forms "Åpne i Excel": one sheet, typed cells (ints, datetimes), empty cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in MS_FORMS_ROWS:
        ws.append(row)
    path = folder / "msforms_nb.xlsx"
    wb.save(path)
    return path


MULTI_SHEET_ROWS = [
    ["Respons-ID", "Dato", "Kanal", NB_Q, NB_WHY, None],
    ["R-1", "03.10.2024 14:22", "Telefon", "10 - Svært sannsynlig", "Kjempehyggelig og løsningsorientert", None],
    ["R-2", "03.10.2024 16:02", "Chat", "0 - Svært lite sannsynlig", "-ingen svarte på chatten", None],
    [None, None, None, None, None, None],
    ["R-4", "04.10.2024 09:15", "E-post", 6, "Svaret kom etter 9,5 dager", None],
]


def make_multi_sheet(folder: Path) -> Path:
    """An Excel workbook with an overview sheet first and the answers on sheet "Svar"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Oversikt"
    ws.append(["Kanal", "Antall"])
    ws.append(["Telefon", 2])
    svar = wb.create_sheet("Svar")
    for row in MULTI_SHEET_ROWS:
        svar.append(row)
    svar.cell(row=2, column=6).number_format = "0.00"  # a formatted but empty trailing cell
    path = folder / "rapport.xlsx"
    wb.save(path)
    return path


def make_qualtrics_xlsx(folder: Path) -> Path:
    """The Qualtrics export as Excel: the same three header rows."""
    with open(FIXTURES / "qualtrics_sv.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    path = folder / "qualtrics_sv.xlsx"
    wb.save(path)
    return path


def xlsx_oracle(rows: list[list], keep_empty_header: bool = False):
    """What pandas makes of typed Excel cells: ints as digits, datetimes ISO with a space."""

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S")
        return str(v)

    header = rows[0]
    keep = [i for i, h in enumerate(header) if h is not None or keep_empty_header]
    return keep, [[cell(r[i]) for i in keep] for r in rows[1:]]


# --------------------------------------------------------------------------- real exports

# name: (make or fixture file, delimiter, encoding, header rows, extra args, text, score, id, scores)
EXPORTS = {
    "questback": ("questback_nb.csv", ";", "utf-8", 1, [], NB_WHY, NB_Q, "Respondent-ID", [10, 0, 7, 9, 3]),
    "qualtrics": ("qualtrics_sv.csv", ",", "utf-8-sig", 3, [], "Q2", "Q1", "ResponseId", [10, 2, 8, None]),
    "surveymonkey": ("surveymonkey_nb.csv", ",", "utf-8", 2, [], NB_WHY, NB_Q, "Respondent ID", [10, 4, 0]),
    "google_forms": ("google_forms_sv.csv", ",", "utf-8", 1, [], "Berätta gärna varför!", SV_Q, None, [9, 6, 10, 1]),
    "excel_csv_utf8": (
        "excel_utf8_nb.csv",
        ";",
        "utf-8-sig",
        1,
        [],
        "Kommentar",
        "Score",
        None,
        [9, 9, None, None, None, 4, 10],
    ),
    "tab_separated": ("tab_sv.tsv", "\t", "utf-8", 1, [], "Kommentar", "Betyg", "Svars-ID", [10, 0, 5]),
    "comments_only": ("comments_only.txt", None, "utf-8", 1, [], "Kommentar", None, None, None),
    "excel_unicode_text": (make_excel_unicode, "\t", "utf-16", 1, [], "Kommentar", SV_Q, "Svars-ID", [10, 0, 7]),
    "excel_csv_ansi": (make_excel_ansi, ";", "cp1252", 1, [], "Kommentar", NB_Q, None, [10, 2, 8]),
    "ms_forms_xlsx": (make_ms_forms, None, None, 1, [], "Hva er grunnen til scoren din?", NB_Q, "ID", [9, 3, 10]),
    "excel_sheet": (make_multi_sheet, None, None, 1, ["--sheet", "Svar"], NB_WHY, NB_Q, "Respons-ID", [10, 0, None, 6]),
    "qualtrics_xlsx": (make_qualtrics_xlsx, None, None, 3, [], "Q2", "Q1", "ResponseId", [10, 2, 8, None]),
}
XLSX_ORACLES = {"ms_forms_xlsx": MS_FORMS_ROWS, "excel_sheet": MULTI_SHEET_ROWS}


def export_file(name: str, folder: Path) -> Path:
    source = EXPORTS[name][0]
    if callable(source):
        return source(folder)
    return Path(shutil.copy(FIXTURES / source, folder / source))


def expected_input(name: str, path: Path) -> tuple[list[str], list[list[str]]]:
    """(input column names as the output must have them, input rows)."""
    _, delimiter, encoding, header_rows, *_ = EXPORTS[name]
    if name in XLSX_ORACLES:
        keep, rows = xlsx_oracle(XLSX_ORACLES[name])
        names = [str(XLSX_ORACLES[name][0][i]) for i in keep]
        return names, rows
    if name == "qualtrics_xlsx":
        path, encoding, delimiter = FIXTURES / "qualtrics_sv.csv", "utf-8-sig", ","
    keep, rows = oracle_csv(path, delimiter, encoding, header_rows)
    with open(path, encoding=encoding, newline="") as fh:
        head = list(csv.reader(io.StringIO(fh.read().lstrip("\ufeff")), delimiter=delimiter or "\x1f"))
    header, sub = head[0], head[1] if header_rows == 2 else []
    names, question = [], ""
    for i in keep:  # SurveyMonkey: an empty header under a question is "question - option"
        if header[i].strip():
            question = header[i]
            names.append(header[i])
        else:
            names.append(f"{question} - {sub[i]}")
    return names, rows


@pytest.mark.parametrize("name", list(EXPORTS))
def test_real_export(name, tmp_path, small_model, small_model_dir):
    _, _, _, _, extra, text_col, score_col, id_col, scores = EXPORTS[name]
    path = export_file(name, tmp_path)
    columns, rows = expected_input(name, path)

    result = predict(path, small_model_dir, *extra)

    assert result.exit_code == 0, result.output
    out = path.with_name(f"{path.stem}.predictions.csv")
    header, out_rows = read_output(out)
    # Every input column, in order, then the prediction columns (others may be added over time).
    assert header[: len(columns)] == [neutral(c) for c in columns]
    added = header[len(columns) :]
    assert {"language", "labels", *(f"prob_{lab}" for lab in small_model.labels)} <= set(added)
    assert ({"nps_score", "nps_group"} <= set(added)) == bool(score_col)
    # One output row per input row, in order, input cells unchanged (bar formula neutralising).
    assert len(out_rows) == len(rows)
    for got, want in zip(out_rows, rows):
        assert got[: len(columns)] == [neutral(v) for v in want]
    # The columns were found by their headers.
    said = flat(result.stderr)
    assert f"text column {text_col!r} (found by its header)" in said
    if score_col:
        assert f"score column {score_col!r}" in said
        got_scores = [r[header.index("nps_score")] for r in out_rows]
        assert got_scores == ["" if s is None else str(s) for s in scores]
        assert [r[header.index("nps_group")] for r in out_rows] == [group_of(s) for s in scores]
    else:
        assert "score column" not in said
    if id_col:
        assert f"id column {id_col!r}" in said
    assert f"({len(rows)} rows, model small_model" in result.stdout


def test_qualtrics_header_rows_are_not_responses(tmp_path, small_model_dir):
    path = export_file("qualtrics", tmp_path)
    assert predict(path, small_model_dir).exit_code == 0
    header, rows = read_output(path.with_name("qualtrics_sv.predictions.csv"))
    ids = [r[header.index("ResponseId")] for r in rows]
    assert ids == ["R_1a2B3c4D5e6F7g8", "R_2b3C4d5E6f7G8h9", "R_3c4D5e6F7g8H9i0", "R_4d5E6f7G8h9I0j1"]


def test_qualtrics_question_text_names_its_column(tmp_path, small_model_dir):
    path = export_file("qualtrics", tmp_path)
    result = predict(path, small_model_dir, "--text-col", "Vad är den främsta anledningen till ditt betyg?")
    assert result.exit_code == 0, result.output
    assert "text column 'Q2'" in flat(result.stderr)


def test_score_summary_counts_invalid_scores(tmp_path, small_model_dir):
    """Scores of 11 and "ti" are skipped and counted, not fatal."""
    path = export_file("excel_csv_utf8", tmp_path)
    result = predict(path, small_model_dir)
    assert result.exit_code == 0, result.output
    assert "Scores: 4 valid, 2 invalid or out of range" in flat(result.stdout)


def test_excel_first_sheet_without_comments_says_so(tmp_path, small_model_dir):
    path = make_multi_sheet(tmp_path)
    result = predict(path, small_model_dir)
    assert result.exit_code == 2
    assert "cannot tell which column holds the comments" in result.stderr
    assert "rapport.predictions.csv" not in snapshot(tmp_path)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet", "jsonl"])
def test_other_output_formats_keep_rows(fmt, tmp_path, small_model_dir):
    import pandas as pd

    path = export_file("questback", tmp_path)
    out = tmp_path / f"out.{fmt}"
    result = predict(path, small_model_dir, "--out", out)
    assert result.exit_code == 0, result.output
    if fmt == "xlsx":
        df = pd.read_excel(out, dtype=str, keep_default_na=False)
    elif fmt == "parquet":
        df = pd.read_parquet(out)
    else:
        df = pd.read_json(out, lines=True, dtype=False)
    assert [str(v) for v in df["Respondent-ID"]] == ["1001", "1002", "1003", "1004", "1005"]


def test_parquet_input_with_typed_columns(tmp_path, small_model_dir):
    import pandas as pd

    df = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "Kommentar": ["Ventet lenge", None, "Kjempebra 👍"],
            "Score": [2, None, 10],
            "Dato": pd.to_datetime(["2024-10-03 14:22"] * 3).tz_localize("Europe/Oslo"),
        }
    )
    path = tmp_path / "svar.parquet"
    df.to_parquet(path)
    for fmt in ("csv", "xlsx"):
        result = predict(path, small_model_dir, "--format", fmt)
        assert result.exit_code == 0, result.output
    header, rows = read_output(tmp_path / "svar.predictions.csv")
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [r[header.index("nps_score")] for r in rows] == ["2", "", "10"]
    assert load_workbook(tmp_path / "svar.predictions.xlsx").active.max_row == 4


def test_long_parquet_when_the_first_chunk_has_no_label(tmp_path, small_model):
    """An empty first comment gives a chunk with no probability at all; Parquet still needs floats."""
    import pandas as pd

    from classifier.tagging import predict_file

    path = tmp_path / "svar.csv"
    path.write_text("id;Kommentar\n1;\n2;Ventet i en time i telefonkø\n3;Kjempehyggelig dame\n", encoding="utf-8")
    summary = predict_file(small_model, path, out=tmp_path / "lang.parquet", long=True, chunk_rows=1)
    df = pd.read_parquet(tmp_path / "lang.parquet")
    assert summary.rows == 3 and df["row"].tolist()[0] == 1
    assert df["probability"].dtype == float


def test_a_comment_that_says_none_is_a_comment(tmp_path, small_model):
    from classifier.tagging import predict_file

    path = tmp_path / "svar.csv"
    path.write_text("id;Kommentar\n1;None\n2;nan\n3;\n", encoding="utf-8")
    summary = predict_file(small_model, path)
    assert summary.rows == 3 and summary.empty_comments == 1


# --------------------------------------------------------------------------- bad input


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _write(name: str, data: bytes | str):
    def make(folder: Path) -> list:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return [path]

    return make


def _folder_without_tables(folder: Path) -> list:
    sub = folder / "eksport"
    sub.mkdir()
    (sub / "notater.docx").write_bytes(b"PK\x03\x04 not a table")
    (sub / "les_meg.md").write_text("Ingen tabeller her")
    return [sub]


def _folder_of_xls(folder: Path) -> list:
    sub = folder / "questback"
    sub.mkdir()
    (sub / "gammel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    return [sub]


def _xlsx_with_unknown_sheet(folder: Path) -> list:
    return [make_multi_sheet(folder), "--sheet", "Ark1"]


OK = "id;Kommentar\n1;Bra\n2;Treg\n"
BAD_INPUTS = {
    # name: (make(folder) -> CLI args after "predict", words the message must contain, row)
    "missing_file": (lambda f: [f / "finnes_ikke.csv"], ["finnes_ikke.csv", "no such file"]),
    "folder_without_tables": (_folder_without_tables, ["eksport", "has no survey files"]),
    "png_renamed_csv": (_write("bilde.csv", _png()), ["bilde.csv", "binary"]),
    "random_bytes": (_write("tilfeldig.csv", bytes(range(256)) * 4), ["tilfeldig.csv", "binary"]),
    "undecodable": (
        _write("latin.csv", b"id;Kommentar\n1;Hei \x81\x8d\x90 p\xe5 deg\n"),
        ["latin.csv", "cannot be decoded"],
    ),
    "empty_file": (_write("tom.csv", b""), ["tom.csv", "is empty"]),
    "only_blank_lines": (_write("blank.csv", "\r\n\r\n  \r\n"), ["blank.csv", "is empty"]),
    "bom_only": (_write("bom.csv", b"\xef\xbb\xbf"), ["bom.csv", "is empty"]),
    "header_only": (_write("header.csv", "id;Kommentar;Score\n"), ["header.csv", "header but no rows"]),
    "header_only_qualtrics": (lambda f: [_qualtrics_header_only(f)], ["header but no rows"]),
    "unknown_text_col": (
        lambda f: _write("svar.csv", OK)(f) + ["--text-col", "Fritekst"],
        ["svar.csv", "no column 'Fritekst'", "columns: id, Kommentar"],
    ),
    "no_comment_column": (_write("tall.csv", "id;a;b\n1;2;3\n"), ["tall.csv", "--text-col", "Columns: id, a, b"]),
    "all_comments_empty": (
        _write("tomme.csv", "id;Kommentar;Score\n1;;9\n2; ;3\n3;;\n"),
        ["tomme.csv", "column 'Kommentar'", "empty in every row"],
    ),
    "duplicate_columns": (
        _write("dup.csv", "id;Kommentar;Score;Kommentar\n1;a;9;b\n"),
        ["dup.csv", "duplicate column names: Kommentar"],
    ),
    "duplicate_columns_padded": (
        _write("dup2.csv", "id;Kommentar;Kommentar \n1;a;b\n"),
        ["dup2.csv", "duplicate column names: Kommentar"],
    ),
    "unclosed_quote": (
        _write("quote.csv", 'id;Kommentar\n1;Bra\n2;"Treg og\n3;Ok\n'),
        ["quote.csv", "row 3", "never closed"],
    ),
    "ragged_row": (
        _write("ragged.csv", "id;Kommentar\n1;Bra\n2;Treg;ekstra\n"),
        ["ragged.csv", "row 3", "more fields than the header (2)"],
    ),
    "value_under_empty_header": (
        _write("tomt_navn.csv", "id;;Kommentar\n1;;Bra\n2;x;Treg\n"),
        ["tomt_navn.csv", "row 3", "column 2 has a value but no header"],
    ),
    "folder_of_old_xls": (_folder_of_xls, ["gammel.xls", "save it as .xlsx"]),
    "old_xls": (_write("gammel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), ["gammel.xls", ".xlsx"]),
    "corrupt_parquet": (
        _write("skadet.parquet", b"PAR1" + bytes(range(200)) + b"PAR1"),
        ["skadet.parquet", "not a readable Parquet"],
    ),
    "corrupt_xlsx": (_write("skadet.xlsx", b"PK\x03\x04" + bytes(300)), ["skadet.xlsx", "not a readable Excel"]),
    "unknown_sheet": (_xlsx_with_unknown_sheet, ["rapport.xlsx", "no sheet 'Ark1'", "sheets: Oversikt, Svar"]),
    "out_is_input": (
        lambda f: _write("svar.csv", OK)(f) + ["--out", f / "svar.csv"],
        ["svar.csv", "over an input file"],
    ),
    "out_is_input_other_spelling": (
        lambda f: _write("svar.csv", OK)(f) + ["--out", f / "." / "svar.csv"],
        ["svar.csv", "over an input file"],
    ),
    "out_is_folder": (lambda f: _write("svar.csv", OK)(f) + ["--out", f], ["is a directory"]),
    "unknown_format": (lambda f: _write("svar.csv", OK)(f) + ["--format", "xls"], ["unknown format 'xls'"]),
    "password_protected_xlsx": (
        lambda f: [password_protected_xlsx(f / "passord.xlsx")],
        ["passord.xlsx", "is password protected", "save it without a password"],
    ),
    "pandas_index_saved_twice": (
        _write("pandas.csv", ",Unnamed: 0,id,Kommentar\n0,0,1,Bra\n1,1,2,Treg\n"),
        ["pandas.csv", "row 2", "column 1 has a value but no header", "index=False"],
    ),
    "zip_of_several_files": (
        lambda f: [_zipped(f / "eksport.zip", {"a.csv": OK, "b.csv": OK})],
        ["eksport.zip", "ZIP archive of 2 files"],
    ),
    "damaged_gzip": (
        _write("svar.csv.gz", gzip.compress(OK.encode())[:-12]),
        ["svar.csv.gz", "is not a readable gzip file"],
    ),
}


def _zipped(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _qualtrics_header_only(folder: Path) -> Path:
    lines = (FIXTURES / "qualtrics_sv.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path = folder / "qualtrics_tom.csv"
    path.write_text("".join(lines[:3]), encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(name, tmp_path, small_model_dir):
    make, words = BAD_INPUTS[name]
    args = make(tmp_path)
    before = snapshot(tmp_path)
    inputs = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    result = predict(args[0], small_model_dir, *args[1:])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]
    assert snapshot(tmp_path) == before, "no output (and no temporary file) may be left"
    assert {p: p.read_bytes() for p in inputs} == inputs, "inputs must be untouched"


def test_brackets_in_names_are_printed_verbatim(tmp_path, small_model_dir):
    path = tmp_path / "svar.csv"
    path.write_text("id;Kommentar [/fritekst]\n1;Bra\n", encoding="utf-8")
    result = predict(path, small_model_dir, "--text-col", "Fritekst")
    assert result.exit_code == 2
    assert "Kommentar [/fritekst]" in result.stderr


# --------------------------------------------------------------------------- training data


def _labelled(folder: Path, counts: dict[str, int], codebook: list[str] | None = None) -> list:
    """A labelled CSV with `counts[label]` comments per label (varied texts from the shipped data)."""
    import pandas as pd

    shipped = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(shipped_data().glob("[ns]*.csv"))
    )
    texts = shipped["text"].tolist()
    rows, k = [], 0
    for label, n in counts.items():
        for _ in range(n):
            rows.append({"text": texts[k], "labels": label})
            k += 1
    path = folder / "merket.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    args = ["train", "--data", path, "--out", folder / "modell", "--folds", "2"]
    if codebook:
        (folder / "kodebok.csv").write_text("id\n" + "\n".join(codebook) + "\n", encoding="utf-8")
        args += ["--codebook", folder / "kodebok.csv"]
    return args


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(Path(__file__).parent.parent)


@pytest.mark.parametrize(
    "counts, codebook, words",
    [
        (
            {"wait_time": 30, "ventetid": 6, "kø": 5},
            ["wait_time", "agent_attitude"],
            ["not in the codebook", "ventetid (6)", "kø (5)"],
        ),
        ({"wait_time": 30, "agent_attitude": 4}, None, ["fewer than 5 examples", "agent_attitude (4)"]),
        ({"wait_time": 30}, None, ["single class"]),
    ],
)
def test_training_data_errors(counts, codebook, words, tmp_path, in_repo):
    args = _labelled(tmp_path, counts, codebook)
    result = run(*args)
    assert result.exit_code == 2, result.output
    line = flat(result.stderr)
    assert line.startswith("error: ") and "merket.csv" in line
    for word in words:
        assert word in line
    assert not (tmp_path / "modell").exists()


def test_training_warns_for_a_label_with_few_examples(tmp_path, in_repo):
    args = _labelled(tmp_path, {"wait_time": 30, "agent_attitude": 7, "billing_payment": 25})
    result = run(*args)
    assert result.exit_code == 0, result.output
    said = flat(result.stderr)
    assert "warning:" in said and "'agent_attitude' has only 7 examples" in said
    assert "'billing_payment'" not in said
    assert (tmp_path / "modell" / MODEL_FILE).exists()


def test_training_data_with_a_windows_1252_line_is_read_and_named(tmp_path, in_repo):
    args = _labelled(tmp_path, {"wait_time": 30, "agent_attitude": 25})
    data = tmp_path / "merket.csv"
    data.write_bytes(data.read_bytes() + "Ærlig talt: for lang kø,wait_time\n".encode("cp1252"))
    result = run(*args)
    assert result.exit_code == 0, result.output
    said = flat(result.stderr)
    assert f"warning: {data}: is UTF-8 except line 57, read as Windows-1252" in said


# --------------------------------------------------------------------------- atomic output


def _long_survey(folder: Path, rows: int = 7, bad_row: int | None = None) -> Path:
    lines = ["id;Kommentar;Score"]
    for i in range(1, rows + 1):
        lines.append(f"{i};Ventet lenge i telefonkøen, sak {i};{i % 11}" + (";ekstra" if i == bad_row else ""))
    path = folder / "svar.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Make the CLI read 2 rows at a time, so files of a few rows have several chunks."""
    monkeypatch.setattr(
        classifier.tagging, "predict_file", functools.partial(classifier.tagging.predict_file, chunk_rows=2)
    )


def _fail_on_call(monkeypatch, n: int, exc: BaseException):
    real = Model.probabilities
    calls = []

    def flaky(self, texts, languages=None):
        calls.append(len(texts))
        if len(calls) == n:
            raise exc
        return real(self, texts, languages)

    monkeypatch.setattr(Model, "probabilities", flaky)
    return calls


@pytest.mark.parametrize("exc, code", [(RuntimeError("model broke"), 1), (KeyboardInterrupt(), 130)])
def test_failure_midway_leaves_no_output_and_keeps_the_old_one(
    exc, code, tmp_path, small_model_dir, tiny_chunks, monkeypatch
):
    path = _long_survey(tmp_path)
    old = tmp_path / "svar.predictions.csv"
    old.write_text("the previous run's output\n", encoding="utf-8")
    calls = _fail_on_call(monkeypatch, 2, exc)

    result = predict(path, small_model_dir)

    assert result.exit_code == code, result.output
    assert len(calls) == 2, "the failure must come after a first chunk was written"
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == {"svar.csv", "svar.predictions.csv"}, "no temporary file may be left"
    assert old.read_text(encoding="utf-8") == "the previous run's output\n"


def test_bad_row_in_a_later_chunk_leaves_no_output(tmp_path, small_model_dir, tiny_chunks):
    path = _long_survey(tmp_path, rows=7, bad_row=6)
    result = predict(path, small_model_dir)
    assert result.exit_code == 2
    assert "row 7" in result.stderr and "more fields than the header (3)" in result.stderr
    assert snapshot(tmp_path) == {"svar.csv"}


def _open_files() -> set[str]:
    return {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="lists open files through /proc")
@pytest.mark.parametrize("bad_row", [6, None], ids=["a bad row in a later chunk", "no comment column"])
def test_a_failed_run_leaves_its_input_file_closed(bad_row, tmp_path, small_model):
    # A program (or a server) that calls predict_file goes on after the error: the input
    # must not stay open (on Windows it could then not be moved or deleted).
    from classifier.errors import InputError

    path = _long_survey(tmp_path, rows=7, bad_row=bad_row)
    with pytest.raises(InputError) as failure:  # kept, as a caller that reports it later keeps it
        classifier.tagging.predict_file(
            small_model, path, chunk_rows=2, text_col="Kommentar" if bad_row else "Svar", write_file=False
        )
    assert str(path.resolve()) not in _open_files(), failure.value


def test_chunked_run_writes_every_row_once(tmp_path, small_model_dir, tiny_chunks):
    path = _long_survey(tmp_path, rows=7)
    result = predict(path, small_model_dir)
    assert result.exit_code == 0, result.output
    header, rows = read_output(tmp_path / "svar.predictions.csv")
    assert header.count("id") == 1
    assert [r[0] for r in rows] == [str(i) for i in range(1, 8)]


def test_output_is_readable_like_any_new_file(tmp_path, small_model_dir):
    path = _long_survey(tmp_path)
    assert predict(path, small_model_dir).exit_code == 0
    mode = stat.S_IMODE((tmp_path / "svar.predictions.csv").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # not mkstemp's 0600


# --------------------------------------------------------------------------- spreadsheet safety

DANGEROUS = [
    "=1+1",
    "+47 912 34 567",
    "-5 stjerner",
    "@SUM(A1:A9)",
    "\tTab først",
    "\r=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.com","klikk")',
]


def _dangerous_survey(folder: Path) -> Path:
    rows = [["id", "=Kommentar", "Score", "Kanal"]]
    for i, text in enumerate(DANGEROUS, 1):
        rows.append([str(i), text, str(i), "-telefon" if i % 2 else "@chat"])
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)  # quotes the bare \r
    path = folder / "farlig.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def test_csv_output_neutralises_formulas(tmp_path, small_model_dir):
    path = _dangerous_survey(tmp_path)
    result = predict(path, small_model_dir, "--text-col", "=Kommentar")
    assert result.exit_code == 0, result.output
    header, rows = read_output(tmp_path / "farlig.predictions.csv")
    for cell in header + [c for r in rows for c in r]:
        assert not cell.startswith(FORMULA_START), repr(cell)
    assert [r[1] for r in rows] == ["'" + t for t in DANGEROUS]
    assert header[1] == "'=Kommentar"


def test_xlsx_output_neutralises_formulas(tmp_path, small_model_dir):
    path = _dangerous_survey(tmp_path)
    out = tmp_path / "farlig.xlsx"
    result = predict(path, small_model_dir, "--text-col", "=Kommentar", "--out", out)
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_START)]
    # XML reads a carriage return back as a line feed; the text is otherwise kept.
    assert [ws.cell(row=i + 2, column=2).value for i in range(len(DANGEROUS))] == [
        "'" + t.replace("\r", "\n") for t in DANGEROUS
    ]


# --------------------------------------------------------------------------- files that garble or explode


def test_a_windows_1252_line_in_a_utf8_export_is_read_and_named_once(tmp_path, small_model_dir):
    path = tmp_path / "svar.csv"
    path.write_bytes(
        "id;Kommentar\n1;Kø på Åre, ventet lenge\n".encode()
        + "2;Ærlig talt, søppel service\n".encode("cp1252")
        + "3;Blåbær og smørbrød\n".encode()
    )
    result = predict(path, small_model_dir)
    assert result.exit_code == 0, result.output
    warnings = [line for line in flat(result.stderr).split("warning: ")[1:]]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{path}: is UTF-8 except line 3, read as Windows-1252")
    _, rows = read_output(tmp_path / "svar.predictions.csv")
    assert [r[1] for r in rows] == ["Kø på Åre, ventet lenge", "Ærlig talt, søppel service", "Blåbær og smørbrød"]


@pytest.mark.parametrize("name", ["svar.csv.gz", "svar.zip", "svar.bz2"])
@pytest.mark.parametrize("compressed", [False, True])
def test_csv_named_as_compressed_is_read_by_its_content(name, compressed, tmp_path, small_model_dir):
    data = OK.encode()
    path = tmp_path / name
    if not compressed:
        path.write_bytes(data)
    elif name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif name.endswith(".bz2"):
        path.write_bytes(bz2.compress(data))
    else:
        _zipped(path, {"svar.csv": OK})
    out = tmp_path / "ut.csv"
    result = predict(path, small_model_dir, "--out", out)
    assert result.exit_code == 0, result.output
    _, rows = read_output(out)
    assert [r[:2] for r in rows] == [["1", "Bra"], ["2", "Treg"]]


def _gzip_bomb(path: Path, unpacked: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"id;Kommentar\n1;" + b"a" * unpacked + b"\n")
    return path


def test_compressed_file_past_the_unpacking_limit_is_one_line(tmp_path, small_model_dir, monkeypatch):
    import classifier.files.sources as sources

    monkeypatch.setattr(sources, "MAX_UNPACKED_CSV", 1 << 20)
    path = _gzip_bomb(tmp_path / "bombe.csv.gz", 3 << 20)  # 3 MB from a few KB
    assert path.stat().st_size < 20_000
    result = predict(path, small_model_dir)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {path}: unpacks to more than 1 MB, the limit for a compressed file; "
        "unpack it yourself and give the CSV file"
    )
    assert snapshot(tmp_path) == {"bombe.csv.gz"}


def test_xlsx_whose_texts_unpack_past_the_limit_is_one_line(tmp_path, small_model_dir, monkeypatch):
    import classifier.files.sources as sources

    monkeypatch.setattr(sources, "MAX_XLSX_PART", 1 << 20)
    path = shared_strings_xlsx(tmp_path / "svar.xlsx", ["Bra", "x" * (2 << 20)])
    result = predict(path, small_model_dir)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "xl/sharedStrings.xml unpacks to 2 MB, over the limit of 1 MB" in lines[0]
    assert snapshot(tmp_path) == {"svar.xlsx"}


def test_xlsx_with_a_blank_far_cell_writes_only_the_answers(tmp_path, small_model_dir):
    wb = Workbook()
    for row in (["id", "Kommentar"], [1, "Bra"], [2, "Treg"]):
        wb.active.append(row)
    wb.active.cell(row=50_000, column=5_000).value = " "
    wb.save(tmp_path / "svar.xlsx")
    result = predict(tmp_path / "svar.xlsx", small_model_dir)
    assert result.exit_code == 0, result.output
    header, rows = read_output(tmp_path / "svar.predictions.csv")
    assert header[:2] == ["id", "Kommentar"] and [r[:2] for r in rows] == [["1", "Bra"], ["2", "Treg"]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_parquet_category_columns(fmt, tmp_path, small_model_dir):
    import pandas as pd

    df = pd.DataFrame(
        {
            "Kommentar": pd.Categorical(["Ventet lenge", None, "=Bra"]),
            "Kanal": pd.Categorical(["chat", "-tlf", "chat"]),
        }
    )
    df.to_parquet(tmp_path / "svar.parquet")
    out = tmp_path / f"ut.{fmt}"
    result = predict(tmp_path / "svar.parquet", small_model_dir, "--out", out)
    assert result.exit_code == 0, result.output
    got = (
        pd.read_csv(out, dtype=str, keep_default_na=False)
        if fmt == "csv"
        else pd.read_excel(out, dtype=str, keep_default_na=False)
        if fmt == "xlsx"
        else pd.read_parquet(out)
    )
    kanal = ["chat", "-tlf", "chat"] if fmt == "parquet" else ["chat", "'-tlf", "chat"]
    assert got["Kanal"].tolist() == kanal
