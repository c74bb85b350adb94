"""Property-based tests: whatever a survey file holds, `classify predict` ends in exit code 0 or 2.

* 0: exactly one output row per input row, in input order, input cells unchanged
  (bar the `'` that neutralises a spreadsheet formula);
* 2: one line on stderr and no output file;
* never a traceback or an internal error (exit code 1).

Kept to a few dozen examples each with no deadline, so the file runs in seconds.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from classifier.cli import app

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]

# Cells a survey export may hold: Nordic text, emoji, quotes, delimiters, line breaks, formulas, scores.
TRICKY = [
    "",
    " ",
    "Bra",
    "Ventet lenge, men fikk hjelp",
    "Väntade; länge",
    'Sa "hei"',
    "To\nlinjer",
    "CR\rLF\r\n",
    "\ttab",
    "=1+1",
    "-",
    "@kundeservice",
    "😡😡😡",
    "Ærlig talt: nei!",
    "10 - Svært sannsynlig",
    "0 - Inte alls troligt",
    "9,0",
    "nan",
    "None",
    "NULL",
    "#N/A",
    '"',
    '""',
    ";",
    ",",
    "\ufeffBOM",
]
word = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=8)
# Long comments; the ones past csv's field limit and the 256 KB sniffed are the @examples below.
long_text = st.builds(lambda w, n: (w + " ") * n, word, st.integers(100, 3_000))
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
comment = st.one_of(st.sampled_from(TRICKY), any_text, long_text)
score = st.sampled_from(["", "0", "6", "7", "9", "10", "10 - Svært sannsynlig", "11", "-1", "ti", "7,5", "8,0"])


def neutral(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def has_controls(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text)


def encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:  # emoji and the like are not in Windows-1252
        return text.encode("utf-8")


def records(rows: list[list[str]], delimiter: str, trailing: bool) -> list[str]:
    """Each row as an exporter writes it; csv quotes any field with a quote, delimiter, CR or LF."""
    lines = []
    for i, row in enumerate(rows):
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow(row)
        lines.append(buf.getvalue()[:-2] + (delimiter if trailing and i else ""))
    return lines


def format_rows(rows: list[list[str]], delimiter: str, newline: str, trailing: bool) -> str:
    return newline.join(records(rows, delimiter, trailing)) + newline


def run_predict(path: Path, model_dir: Path, *extra):
    result = CliRunner().invoke(app, ["predict", str(path), "--model", str(model_dir), *map(str, extra)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    return result


def read_output(path: Path) -> tuple[list[str], list[list[str]]]:
    csv.field_size_limit(10**7)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def check_failure(result, folder: Path, inputs: set[str]) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert {p.name for p in folder.iterdir()} == inputs, "a failed run must leave no output"


# --------------------------------------------------------------------------- random comments


@SETTINGS
@given(
    comments=st.lists(comment, min_size=1, max_size=8),
    scores=st.lists(score, min_size=8, max_size=8),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(ENCODINGS),
    newline=st.sampled_from(["\n", "\r\n"]),
    trailing=st.booleans(),
)
# A comment over csv's 128 KB field limit, in the sniffed sample.
@example(
    comments=["Lang kø. " * 20_000, "Bra"],
    scores=["9"] * 8,
    delimiter=";",
    encoding="utf-8",
    newline="\n",
    trailing=False,
)
# A first row longer than the 256 KB sniffed, so the sample never shows its trailing delimiter.
@example(comments=["Kø 😡 " * 30_000], scores=[""] * 8, delimiter=";", encoding="utf-8", newline="\n", trailing=True)
def test_random_comments_keep_every_row(small_model_dir, comments, scores, delimiter, encoding, newline, trailing):
    rows = [["id", "Kommentar", "Score"]] + [[f"r{i}", c, scores[i]] for i, c in enumerate(comments)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "svar.csv"
        path.write_bytes(encode(format_rows(rows, delimiter, newline, trailing), encoding))

        result = run_predict(path, small_model_dir, "--score-col", "Score")

        clean = not any(has_controls(c) for c in comments)
        if clean and any(c.strip() for c in comments):
            assert result.exit_code == 0, result.output
        if result.exit_code == 2:
            check_failure(result, folder, {"svar.csv"})
            return
        header, out = read_output(folder / "svar.predictions.csv")
        assert header[:3] == ["id", "Kommentar", "Score"]
        assert [r[0] for r in out] == [f"r{i}" for i in range(len(comments))]
        assert [r[1] for r in out] == [neutral(c) for c in comments]
        got = [r[header.index("nps_score")] for r in out]
        assert all(s == "" or 0 <= int(s) <= 10 for s in got)


# --------------------------------------------------------------------------- random bytes

MAGIC = [
    b"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"PK\x03\x04",
    b"PAR1",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"\x89PNG\r\n\x1a\n",
    b"id;Kommentar\n",
    b"Kommentar\n",
    "id;Kommentar\n1;Blå\n".encode("utf-16"),
]


@SETTINGS
@given(
    head=st.sampled_from(MAGIC),
    body=st.binary(max_size=3000),
    suffix=st.sampled_from([".csv", ".txt", ".tsv", ".xlsx", ".parquet", ".dat"]),
)
@example(head=b"id;Kommentar\n", body=b"1;\xe5\x81\n", suffix=".csv")
@example(head=b"id;Kommentar\n", body=b"1;B\x00ra\n", suffix=".csv")
@example(head=b"", body=b"\x00", suffix=".csv")
def test_random_bytes_never_crash(small_model_dir, head, body, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"fil{suffix}"
        path.write_bytes(head + body)
        result = run_predict(path, small_model_dir)
        if result.exit_code == 2:
            check_failure(result, folder, {path.name})


# --------------------------------------------------------------------------- random CSV shapes

NAMES = ["Kanal", "Dato", "Score", "Avdeling", "Beløp (kr)"]


@st.composite
def survey(draw):
    """A CSV export of random shape: 1-5 columns (one of them "Kommentar"), 1-12 rows of tricky cells."""
    extra = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    with_id = draw(st.booleans())
    names = (["id"] if with_id else []) + extra
    names.insert(draw(st.integers(0, len(names))), "Kommentar")
    n = draw(st.integers(1, 12))
    cells = st.one_of(st.sampled_from(TRICKY), any_text)
    rows = [[f"r{i}" if name == "id" else draw(cells) for name in names] for i in range(n)]
    return names, rows


@SETTINGS
@example(
    shape=(["Kommentar", "Kanal"], [["", ""], ["", "Bra"]]),
    delimiter=";",
    encoding="utf-8",
    newline="\r",
    trailing=False,
    blank_lines=True,
)  # pandas dropped the leading empty field here
@example(
    shape=(["Kommentar"], [["Bra"], ["\r"], [" "], ["\xa0"]]),
    delimiter=";",
    encoding="utf-8",
    newline="\n",
    trailing=False,
    blank_lines=False,
)  # which lines are blank: only unquoted spaces and tabs
@example(
    shape=(["Kommentar"], [["Bra"], ["\x1f"]]),
    delimiter=";",
    encoding="utf-8",
    newline="\n",
    trailing=False,
    blank_lines=False,
)  # the control character a one-column file is split on
@given(
    shape=survey(),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(ENCODINGS),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    trailing=st.booleans(),
    blank_lines=st.booleans(),
)
def test_random_csv_shapes_keep_rows_in_order(
    small_model_dir, shape, delimiter, encoding, newline, trailing, blank_lines
):
    names, rows = shape
    lines = records([names] + rows, delimiter, trailing and len(names) > 1)
    if blank_lines:  # blank lines are not rows: after the header, inside, at the end
        lines = lines[:1] + [""] + lines[1:2] + ["", ""] + lines[2:] + [""]
    text = newline.join(lines) + newline
    # In a one-column file a line of only spaces and tabs (unquoted) is a blank line, not a row.
    one_column = len(names) == 1
    written = records(rows, delimiter, False)
    expected = [r for r, line in zip(rows, written) if not (one_column and line and not line.strip(" \t"))]
    k = names.index("Kommentar")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "eksport.csv"
        path.write_bytes(encode(text, encoding))

        result = run_predict(path, small_model_dir, "--text-col", "Kommentar")

        clean = not any(has_controls(c) for r in rows for c in r)
        if clean and any(r[k].strip() for r in expected):
            assert result.exit_code == 0, result.output
        if result.exit_code == 2:
            check_failure(result, folder, {"eksport.csv"})
            return
        header, out = read_output(folder / "eksport.predictions.csv")
        assert header[: len(names)] == names
        assert len(out) == len(expected)
        for got, want in zip(out, expected):
            assert got[: len(names)] == [neutral(c) for c in want]
