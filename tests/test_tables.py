"""classifier.files (reading, columns, writing) and classifier.nps: format sniffing, header shapes,
cell parsing and safe writing, without a model."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from classifier.errors import InputError
from classifier.files.cells import parse_dates
from classifier.files.columns import find_column, require_column
from classifier.files.reading import ONE_COLUMN, detect_delimiter, detect_encoding, open_table
from classifier.files.writing import TableWriter, neutralise_formulas
from classifier.nps import nps_group, parse_scores

FIXTURES = Path(__file__).parent / "fixtures"


def write(tmp_path: Path, data: bytes | str, name: str = "svar.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def rows(path: Path, **kw) -> list[list[str]]:
    return open_table(path, **kw).read().values.tolist()


# --------------------------------------------------------------------------- encodings

TEXT = "id;Kommentar\n1;Blåbærsyltetøy og smörgåsbord – 60 €\n"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_read(data, encoding, tmp_path):
    path = write(tmp_path, data)
    assert detect_encoding(path, data) == encoding
    assert rows(path) == [["1", "Blåbærsyltetøy og smörgåsbord – 60 €"]]


def test_undecodable_bytes_are_an_input_error(tmp_path):
    data = b"id;Kommentar\n1;\x81\x8d\x8f\x90\x9d\n"  # not UTF-8, and undefined in cp1252
    with pytest.raises(InputError, match="cannot be decoded"):
        open_table(write(tmp_path, data))


def test_a_nul_byte_in_a_text_file_means_binary(tmp_path):
    with pytest.raises(InputError, match="binary"):
        open_table(write(tmp_path, b"id;Kommentar\n1;Bra\x00\n"))


# --------------------------------------------------------------------------- delimiters and shapes


@pytest.mark.parametrize(
    "text, delimiter",
    [
        ("id;Kommentar;Score\n1;Bra, rask og grei;9\n2;Treg, men ok;7\n", ";"),
        ('id,Kommentar,Score\n1,"Bra; rask",9\n2,Treg,7\n', ","),
        ("id\tKommentar\tScore\n1\tBra, rask; grei\t9\n", "\t"),
        ("Kommentar\nBra, rask og grei\nTreg, men ok\n", ONE_COLUMN),
        ("Kommentar\nBra\n", ONE_COLUMN),
    ],
)
def test_delimiter(text, delimiter):
    assert detect_delimiter(text) == delimiter


def test_one_column_separator_is_not_in_the_text(tmp_path):
    path = write(tmp_path, "Kommentar\nBra\n\x1f\n")
    assert detect_delimiter("Kommentar\nBra\n\x1f\n") == "\x1e"
    assert rows(path) == [["Bra"], ["\x1f"]]


def test_delimiter_survives_a_field_longer_than_csv_allows():
    long = "x" * (csv.field_size_limit() + 10)
    text = f"id;Kommentar;Score\n1;{long};9\n2;Bra, takk;9\n"
    assert detect_delimiter(text) == ";"


def test_trailing_delimiters_on_data_rows_do_not_shift_columns(tmp_path):
    """pandas takes the first column as the index when data rows have one more field than the header."""
    path = write(tmp_path, "id;Kommentar;Score\n1;Bra;10;\n2;Treg;3;\n")
    table = open_table(path)
    assert table.columns == ["id", "Kommentar", "Score"]
    assert rows(path) == [["1", "Bra", "10"], ["2", "Treg", "3"]]


def test_trailing_empty_header_cells_are_dropped(tmp_path):
    path = write(tmp_path, "id;Kommentar;;\n1;Bra;;\n2;Treg;;\n")
    assert open_table(path).columns == ["id", "Kommentar"]
    assert rows(path) == [["1", "Bra"], ["2", "Treg"]]


def test_whitespace_header_cell_counts_as_empty(tmp_path):
    path = write(tmp_path, "id; ;Kommentar\n1;;Bra\n")
    assert open_table(path).columns == ["id", "Kommentar"]
    assert rows(path) == [["1", "Bra"]]


def test_short_rows_are_padded(tmp_path):
    assert rows(write(tmp_path, "id;Kommentar;Score\n1;Bra\n2;Treg;3\n")) == [["1", "Bra", ""], ["2", "Treg", "3"]]


def test_blank_lines_are_skipped_but_rows_of_empty_cells_kept(tmp_path):
    path = write(tmp_path, "\n\nid;Kommentar\r\n\r\n1;Bra\r\n   \r\n;\r\n2;Treg\r\n\r\n")
    assert rows(path) == [["1", "Bra"], ["", ""], ["2", "Treg"]]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline, tmp_path):
    path = write(tmp_path, newline.join(["id;Kommentar", "1;Bra", '2;"To\nlinjer"', ""]))
    assert rows(path) == [["1", "Bra"], ["2", "To\nlinjer"]]


def test_cr_only_lines_with_blank_lines_keep_leading_empty_fields(tmp_path):
    """pandas' C parser reads "\\r\\r;Bra" as "Bra;" unless told the line ending is \\r."""
    path = write(tmp_path, 'Kommentar;Kanal\r\r;Bra\r"To\nlinjer";\r\r\r;x\r')
    assert rows(path) == [["", "Bra"], ["To\nlinjer", ""], ["", "x"]]


@pytest.mark.parametrize("start", ["   \n", "\t\r\n\r\n", " \r"])
def test_blank_lines_with_spaces_above_the_header(start, tmp_path):
    path = write(tmp_path, start + "id;Kommentar\n1;Bra\n")
    assert open_table(path).columns == ["id", "Kommentar"]
    assert rows(path) == [["1", "Bra"]]


def test_a_line_of_other_white_space_is_a_row_as_pandas_reads_it(tmp_path):
    path = write(tmp_path, "Kommentar\nBra\n\xa0\nTreg\n")
    assert rows(path) == [["Bra"], ["\xa0"], ["Treg"]]


@pytest.mark.parametrize("hint", ["sep=;\n", "sep=;\r\n", "SEP=;\r"])
def test_excel_sep_hint_line(hint, tmp_path):
    path = write(tmp_path, hint + "id;Kommentar, kort\n1;Bra, takk\n2;Treg\n")
    table = open_table(path)
    assert table.delimiter == ";" and table.columns == ["id", "Kommentar, kort"]
    assert rows(path) == [["1", "Bra, takk"], ["2", "Treg"]]


def test_one_column_file_keeps_commas_and_quotes(tmp_path):
    path = write(tmp_path, 'Kommentar\nBra, rask\n"Sa ""hei"", og gikk"\n')
    table = open_table(path)
    assert table.delimiter == ONE_COLUMN and table.columns == ["Kommentar"]
    assert rows(path) == [["Bra, rask"], ['Sa "hei", og gikk']]


def test_quoted_fields_with_delimiters_newlines_and_quotes(tmp_path):
    path = write(tmp_path, 'id;Kommentar\n1;"A; B\nC ""D"""\n2;x"y\n')
    assert rows(path) == [["1", 'A; B\nC "D"'], ["2", 'x"y']]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_chunks_number_rows_across_the_file(chunk_rows, tmp_path):
    path = write(tmp_path, "id;Kommentar\n" + "".join(f"{i};k{i}\n" for i in range(7)))
    table = open_table(path, chunk_rows=chunk_rows)
    parts = list(table.chunks())
    assert all(len(p) <= chunk_rows for p in parts)
    whole = pd.concat(parts)
    assert list(whole.index) == list(range(7))
    assert whole["id"].tolist() == [str(i) for i in range(7)]


def test_errors_name_the_row_in_a_later_chunk(tmp_path):
    path = write(tmp_path, "id;Kommentar\n" + "".join(f"{i};k{i}\n" for i in range(5)) + "5;k5;x\n")
    with pytest.raises(InputError, match=r"row 7: has more fields than the header \(2\)"):
        open_table(path, chunk_rows=2).read()


def test_rows_beyond_the_sniffed_sample_with_extra_fields(tmp_path, monkeypatch):
    import classifier.files.reading as tables

    monkeypatch.setattr(tables, "_SNIFF_BYTES", 64)
    body = "id;Kommentar\n" + "".join(f"{i};kommentar {i}\n" for i in range(20))
    with pytest.raises(InputError, match=r"row 22: has more fields than the header \(2\)"):
        open_table(write(tmp_path, body + "20;a;b\n")).read()
    with pytest.raises(InputError, match="row 22 has 9 fields but the header has 2"):
        open_table(write(tmp_path, body + "20;a;b;c;d;e;f;g;h\n")).read()


def test_trailing_delimiters_after_a_row_longer_than_the_sample(tmp_path, monkeypatch):
    import classifier.files.reading as tables

    monkeypatch.setattr(tables, "_SNIFF_BYTES", 64)
    path = write(tmp_path, "id;Kommentar;Score\n1;" + "lang kommentar " * 20 + ";9;;\n2;Bra;10;;\n")
    assert [r[0] for r in rows(path)] == ["1", "2"]
    assert open_table(path).columns == ["id", "Kommentar", "Score"]


def test_old_excel_xls_gets_a_save_as_hint(tmp_path):
    path = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "gammel.xls")
    with pytest.raises(InputError, match=r"save it as \.xlsx"):
        open_table(path)


def test_xlsx_value_beyond_the_header_names_the_column(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "Kommentar"], ["1", "Bra"], ["2", "Treg", None, "glemt"]):
        wb.active.append(row)
    wb.save(tmp_path / "svar.xlsx")
    with pytest.raises(InputError, match="row 3: column 4 has a value but no header"):
        open_table(tmp_path / "svar.xlsx").read()


def test_xlsx_blank_rows_inside_are_kept_trailing_ones_not(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "Kommentar"], ["1", "Bra"], [None, None], ["3", "Treg"]):
        wb.active.append(row)
    wb.active.cell(row=40, column=1).number_format = "0.00"  # formatted, empty
    wb.save(tmp_path / "svar.xlsx")
    assert rows(tmp_path / "svar.xlsx") == [["1", "Bra"], ["", ""], ["3", "Treg"]]


def test_xlsx_renamed_csv_is_read_as_excel(tmp_path):
    df = pd.DataFrame({"id": ["1"], "Kommentar": ["Bra"]})
    path = tmp_path / "svar.csv"
    df.to_excel(path, index=False, engine="openpyxl")
    assert open_table(path).format == "xlsx"
    assert rows(path) == [["1", "Bra"]]


# --------------------------------------------------------------------------- multi-row headers


def test_qualtrics_three_header_rows(tmp_path):
    table = open_table(FIXTURES / "qualtrics_sv.csv")
    assert table.header_rows == 3
    assert table.columns[-3:] == ["Q1", "Q1_NPS_GROUP", "Q2"]
    assert table.descriptions["Q2"] == "Vad är den främsta anledningen till ditt betyg?"
    df = table.read()
    assert df["ResponseId"].tolist()[0] == "R_1a2B3c4D5e6F7g8"
    assert len(df) == 4 and list(df.index) == [0, 1, 2, 3]
    sample = df.head(3)
    assert find_column(table.columns, "text", sample, descriptions=table.descriptions) == "Q2"
    assert find_column(table.columns, "score", sample, exclude=("Q2",), descriptions=table.descriptions) == "Q1"
    assert find_column(table.columns, "id", sample) == "ResponseId"
    assert find_column(table.columns, "date", sample) in ("StartDate", "EndDate", "RecordedDate")


def test_qualtrics_header_rows_split_across_chunks(tmp_path):
    df = pd.concat(open_table(FIXTURES / "qualtrics_sv.csv", chunk_rows=1).chunks())
    assert df["Q1"].tolist() == ["10", "2", "8", ""]
    assert list(df.index) == [0, 1, 2, 3]


def test_surveymonkey_answer_option_row(tmp_path):
    table = open_table(FIXTURES / "surveymonkey_nb.csv")
    assert table.header_rows == 2
    assert table.columns[10:13] == [
        "Hvilke kanaler brukte du?",
        "Hvilke kanaler brukte du? - Chat",
        "Hvilke kanaler brukte du? - E-post",
    ]
    df = table.read()
    assert df["Respondent ID"].tolist() == ["118237465012", "118237465013", "118237465014"]


def test_a_respondent_id_column_alone_is_not_surveymonkey(tmp_path):
    """Only "Respondent ID" + "Collector ID" with both empty below mark the answer-option row."""
    path = write(tmp_path, "Respondent ID;Kommentar\n;Bra\n2;Treg\n")
    assert open_table(path).header_rows == 1
    assert rows(path) == [["", "Bra"], ["2", "Treg"]]


# --------------------------------------------------------------------------- columns


def test_require_column_lists_the_columns(tmp_path):
    table = open_table(write(tmp_path, "id;Kommentar \n1;Bra\n"))
    assert require_column(table, "Kommentar ", "--text-col") == "Kommentar "
    assert require_column(table, "kommentar", "--text-col") == "Kommentar "  # trimmed, any case
    with pytest.raises(InputError, match=r"no column 'Fritekst' \(--text-col\); columns: id, Kommentar"):
        require_column(table, "Fritekst", "--text-col")


def test_score_hint_needs_score_values():
    sample = pd.DataFrame({"Hva er grunnen til scoren?": ["Lang kø", "Bra"], "Hvor sannsynlig": ["9", "3"]})
    assert find_column(list(sample), "score", sample) == "Hvor sannsynlig"


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "cell, score",
    [
        ("10", 10),
        ("0", 0),
        (" 7 ", 7),
        ("9,0", 9),
        ("9.0", 9),
        ("08", 8),
        ("10 - Svært sannsynlig", 10),
        ("0 - Inte alls troligt", 0),
        ("10 – Mycket troligt", 10),
        ("0 = Svært lite sannsynlig", 0),
        ("5 Nøytral", 5),
        ("11", None),
        ("-1", None),
        ("7,5", None),
        ("ti", None),
        ("", None),
        ("9/10", None),
        ("1 234", None),
    ],
)
def test_parse_scores(cell, score):
    got = parse_scores(pd.Series([cell])).iloc[0]
    assert np.isnan(got) if score is None else got == score


def test_nps_group():
    groups = nps_group(parse_scores(pd.Series(["0", "6", "7", "8", "9", "10", "x"])))
    assert groups.tolist() == ["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2 + [""]


@pytest.mark.parametrize(
    "cells, first",
    [
        (["03.10.2024 14:22", "31.12.2024 08:00"], pd.Timestamp(2024, 10, 3, 14, 22)),
        (["03.10.2024", "04.10.2024"], pd.Timestamp(2024, 10, 3)),
        (["2024-10-03 14:22:05", "2024-10-04 09:00:00"], pd.Timestamp(2024, 10, 3, 14, 22, 5)),
        (["10/03/2024 02:22:15 PM", "10/04/2024 08:00:00 AM"], pd.Timestamp(2024, 10, 3, 14, 22, 15)),
    ],
)
def test_parse_dates_nordic_day_first(cells, first):
    assert parse_dates(pd.Series(cells)).iloc[0] == first


# --------------------------------------------------------------------------- writing


def test_writer_moves_into_place_only_on_success(tmp_path):
    out = tmp_path / "ut.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), TableWriter(out, "csv") as w:
        w.write(pd.DataFrame({"a": ["1"]}))
        raise RuntimeError("midway")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ut.csv"]
    with TableWriter(out, "csv") as w:
        w.write(pd.DataFrame({"a": ["1"]}))
        w.write(pd.DataFrame({"a": ["2"]}))
    assert out.read_bytes() == b"\xef\xbb\xbfa\r\n1\r\n2\r\n"  # one BOM, one header


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "jsonl"])
def test_writer_failure_leaves_no_temp_file(fmt, tmp_path):
    out = tmp_path / f"ut.{fmt}"
    with pytest.raises(KeyboardInterrupt), TableWriter(out, fmt) as w:
        w.write(pd.DataFrame({"a": ["1"], "p": [0.5]}))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writer_refuses_to_overwrite_an_input(tmp_path):
    src = write(tmp_path, "id;Kommentar\n1;Bra\n")
    link = tmp_path / "lenke.csv"
    link.symlink_to(src)
    for target in (src, tmp_path / "." / "svar.csv", link):
        with pytest.raises(InputError, match="over an input file"):
            TableWriter(target, "csv", protect=(src,))


def test_writer_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    out = tmp_path / "ut.csv"
    out.write_text("old")
    os.chmod(out, 0o640)
    with TableWriter(out, "csv") as w:
        w.write(pd.DataFrame({"a": ["1"]}))
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_writer_cannot_write_is_an_input_error(tmp_path):
    (tmp_path / "fil.txt").write_text("x")
    with pytest.raises(InputError, match="cannot write here"), TableWriter(tmp_path / "fil.txt" / "ut.csv", "csv"):
        pass


def test_output_open_in_another_program_is_an_input_error(tmp_path, monkeypatch):
    """Windows refuses to replace a file Excel has open."""

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    out = tmp_path / "ut.csv"
    out.write_text("old")
    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(InputError, match="open in another program"), TableWriter(out, "csv") as w:
        w.write(pd.DataFrame({"a": ["1"]}))
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ut.csv"]


def test_neutralise_formulas_cells_and_names():
    df = pd.DataFrame({"=navn": ["=1+1", "+47", "-", "@x", "\tt", "\rr", "ok", "a=b"], "n": range(8)})
    out = neutralise_formulas(df)
    assert list(out.columns) == ["'=navn", "n"]
    assert out["'=navn"].tolist() == ["'=1+1", "'+47", "'-", "'@x", "'\tt", "'\rr", "ok", "a=b"]
    assert out["n"].tolist() == list(range(8))
    assert df["=navn"].iloc[0] == "=1+1", "the input frame is not changed"


def test_xlsx_control_characters_cannot_unmask_a_formula(tmp_path):
    out = tmp_path / "ut.xlsx"
    with TableWriter(out, "xlsx") as w:
        w.write(
            pd.DataFrame(
                {"\x01=navn": ["\x01=1+1", "a\x00b\x0bc", "\ufffeok"], "score": pd.array([9, None, 3], dtype="Int64")}
            )
        )
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert values == [["'=navn", "score"], ["'=1+1", 9], ["abc", None], ["ok", 3]]


def test_parquet_chunks_with_a_column_empty_in_the_first(tmp_path):
    out = tmp_path / "ut.parquet"
    with TableWriter(out, "parquet") as w:
        w.write(pd.DataFrame({"label": [""], "probability": [np.nan]}))
        w.write(pd.DataFrame({"label": ["wait_time"], "probability": [0.9]}))
    assert pd.read_parquet(out)["probability"].tolist()[1] == 0.9


def test_jsonl_chunks_are_one_record_per_line(tmp_path):
    out = tmp_path / "ut.jsonl"
    with TableWriter(out, "jsonl") as w:
        w.write(pd.DataFrame({"k": ["a\nb"]}))
        w.write(pd.DataFrame({"k": ["c"]}))
    assert pd.read_json(io.StringIO(out.read_text(encoding="utf-8")), lines=True)["k"].tolist() == ["a\nb", "c"]
