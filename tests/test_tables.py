"""classifier.files (reading, columns, writing) and classifier.nps: format sniffing, header shapes,
cell parsing and safe writing, without a model."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import os
import stat
import zipfile
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


UTF8_ROWS = "id;Kommentar\n1;Blåbær og smørbrød\n2;Kø på Åre\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_windows_1252_line_in_a_utf8_file_garbles_nothing_else(newline, tmp_path):
    """Each line is decoded as what it is; only the line that is not UTF-8 falls back to Windows-1252."""
    text = UTF8_ROWS.encode() + "3;Ærlig talt, søppel\n".encode("cp1252") + "4;Håper på bedre\n".encode()
    table = open_table(write(tmp_path, text.replace(b"\n", newline.encode())))
    assert rows(table.path) == [
        ["1", "Blåbær og smørbrød"],
        ["2", "Kø på Åre"],
        ["3", "Ærlig talt, søppel"],
        ["4", "Håper på bedre"],
    ]
    assert table.warnings == ["is UTF-8 except line 4, read as Windows-1252; check its special letters"]


def test_the_warning_names_the_first_fallback_lines_and_counts_the_rest(tmp_path):
    lines = [f"{i};{'søppel' if i % 3 else 'blåbær'}\n".encode("cp1252" if i % 3 else "utf-8") for i in range(1, 31)]
    table = open_table(write(tmp_path, b"id;Kommentar\n" + b"".join(lines)))
    assert table.warnings == [
        "is UTF-8 except 20 lines (2, 3, 5, 6, 8 and 15 more), read as Windows-1252; check their special letters"
    ]
    assert {r[1] for r in rows(table.path)} == {"søppel", "blåbær"}


def test_one_stray_byte_falls_back_for_its_line_only(tmp_path):
    path = write(tmp_path, UTF8_ROWS.encode("utf-8-sig") + b"3;Feil \xff her\n")
    assert rows(path)[1:] == [["2", "Kø på Åre"], ["3", "Feil ÿ her"]]
    assert open_table(path).warnings == ["is UTF-8 except line 4, read as Windows-1252; check its special letters"]


def test_a_wholly_windows_1252_file_reads_without_a_warning(tmp_path):
    table = open_table(write(tmp_path, UTF8_ROWS.encode("cp1252")))
    assert (table.encoding, table.warnings) == ("cp1252", [])


def test_a_line_of_neither_encoding_is_named(tmp_path):
    data = UTF8_ROWS.encode() + b"3;\x81\x8d\x90\n"
    with pytest.raises(InputError, match="svar.csv: line 4 cannot be decoded: not UTF-8, UTF-16 or Windows-1252"):
        open_table(write(tmp_path, data))


def test_mixed_lines_are_decoded_across_read_blocks(tmp_path, monkeypatch):
    """A line cut by a read block (and a character cut in two) is decoded whole."""
    import classifier.files.encodings as encodings

    monkeypatch.setattr(encodings, "_BLOCK", 7)
    text = UTF8_ROWS.encode() + "3;Ærlig\r\n".encode("cp1252") + "4;Håper\n".encode()
    table = open_table(write(tmp_path, text))
    assert table.warnings == ["is UTF-8 except line 4, read as Windows-1252; check its special letters"]
    assert [r[1] for r in rows(table.path)] == ["Blåbær og smørbrød", "Kø på Åre", "Ærlig", "Håper"]


def test_a_file_of_one_endless_line_is_refused(tmp_path, monkeypatch):
    import classifier.files.encodings as encodings

    monkeypatch.setattr(encodings, "_BLOCK", 1000)
    monkeypatch.setattr(encodings, "MAX_LINE_BYTES", 10_000)
    with pytest.raises(InputError, match="svar.csv: line 2 is longer than 0 MB; this is not a CSV table"):
        open_table(write(tmp_path, "id;Kommentar\n1;" + "a" * 20_000 + "\n"))


# --------------------------------------------------------------------------- compressed CSV

COMPRESSORS = {
    "gzip": lambda data, path: path.write_bytes(gzip.compress(data)),
    "bz2": lambda data, path: path.write_bytes(bz2.compress(data)),
    "zip": lambda data, path: _zip(path, {"svar.csv": data}),
}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["svar.csv.gz", "svar.zip", "svar.csv.bz2"])
def test_a_plain_csv_named_as_compressed_is_read_as_csv(name, tmp_path):
    assert rows(write(tmp_path, UTF8_ROWS, name)) == [["1", "Blåbær og smørbrød"], ["2", "Kø på Åre"]]


@pytest.mark.parametrize("kind", list(COMPRESSORS))
@pytest.mark.parametrize("name", ["svar.csv", "svar.gz", "svar.zip"])
def test_compressed_csv_is_read_by_its_content(kind, name, tmp_path):
    path = tmp_path / name
    COMPRESSORS[kind](UTF8_ROWS.encode("cp1252"), path)
    table = open_table(path, chunk_rows=1)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert rows(path) == [["1", "Blåbær og smørbrød"], ["2", "Kø på Åre"]]


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_compressed_csv_past_the_unpacking_limit_is_refused(kind, tmp_path, monkeypatch):
    import classifier.files.sources as sources

    monkeypatch.setattr(sources, "MAX_UNPACKED_CSV", 10_000)
    path = tmp_path / "bombe.csv"
    COMPRESSORS[kind](b"id;Kommentar\n1;" + b"a" * 20_000 + b"\n", path)
    with pytest.raises(InputError, match="bombe.csv: unpacks to more than 0 MB, the limit for a compressed file"):
        open_table(path)


def test_damaged_compressed_csv_is_an_input_error(tmp_path):
    path = tmp_path / "svar.csv.gz"
    path.write_bytes(gzip.compress(UTF8_ROWS.encode() * 100_000, compresslevel=0)[:-30])
    with pytest.raises(InputError, match="svar.csv.gz: is not a readable gzip file"):
        open_table(path)


def test_a_zip_of_several_files_says_to_unzip_it(tmp_path):
    path = _zip(tmp_path / "eksport.zip", {"a.csv": b"id\n1\n", "b.csv": b"id\n2\n"})
    with pytest.raises(InputError, match="is a ZIP archive of 2 files; unzip it"):
        open_table(path)


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


def test_xlsx_blank_cell_far_away_adds_no_rows_or_columns(tmp_path):
    """One space in a far cell (column 1000, row 5000) is blank: no rows of nothing after the answers."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "Kommentar"], ["1", "Bra"], [None, None], ["3", "Treg"]):
        wb.active.append(row)
    wb.active.cell(row=5000, column=1000).value = " "
    wb.save(tmp_path / "svar.xlsx")
    assert rows(tmp_path / "svar.xlsx") == [["1", "Bra"], ["", ""], ["3", "Treg"]]


def test_xlsx_value_far_beyond_the_header_names_its_row_and_column(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "Kommentar"], ["1", "Bra"]):
        wb.active.append(row)
    wb.active.cell(row=5000, column=1000).value = "glemt"
    wb.save(tmp_path / "svar.xlsx")
    with pytest.raises(InputError, match="row 5000: column 1000 has a value but no header"):
        open_table(tmp_path / "svar.xlsx").read()


def test_xlsx_blank_rows_between_answers_are_kept_across_chunks(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "Kommentar"], ["1", "Bra"], [None, None], [None, " "], [None, None], ["5", "Treg"]):
        wb.active.append(row)
    wb.save(tmp_path / "svar.xlsx")
    chunks = list(open_table(tmp_path / "svar.xlsx", chunk_rows=2).chunks())
    assert len(chunks) == 3  # the header row, then 2 rows a chunk
    assert pd.concat(chunks).values.tolist() == [["1", "Bra"], ["", ""], ["", " "], ["", ""], ["5", "Treg"]]


def shared_strings_xlsx(path: Path, texts: list[str]) -> Path:
    """A workbook as Excel writes it: the cells' texts in xl/sharedStrings.xml (openpyxl writes them inline)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "Kommentar"])
    wb.save(path)
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/></Types>'.encode(),
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Type="{rel}/sharedStrings" Target="sharedStrings.xml" Id="rIdS"/></Relationships>'.encode(),
    )
    cells = "".join(
        f'<row r="{i + 2}"><c r="A{i + 2}"><v>{i + 1}</v></c><c r="B{i + 2}" t="s"><v>{i}</v></c></row>'
        for i in range(len(texts))
    )
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace("</row></sheetData>", f"</row>{cells}</sheetData>").encode()
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{main[:0]}http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>'.encode()
    )
    return _zip(path, parts)


def test_xlsx_with_shared_strings_is_read(tmp_path):
    path = shared_strings_xlsx(tmp_path / "svar.xlsx", ["Bra", "Treg"])
    assert rows(path) == [["1", "Bra"], ["2", "Treg"]]


def test_xlsx_whose_texts_unpack_past_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    import classifier.files.sources as sources

    monkeypatch.setattr(sources, "MAX_XLSX_PART", 50_000)
    path = shared_strings_xlsx(tmp_path / "svar.xlsx", ["x" * 60_000])  # a few hundred bytes packed
    assert path.stat().st_size < 10_000
    with pytest.raises(InputError, match=r"xl/sharedStrings.xml unpacks to 0 MB, over the limit of 0 MB"):
        open_table(path)


def test_xlsx_whose_sheet_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    import classifier.files.sources as sources

    monkeypatch.setattr(sources, "MAX_XLSX_SHEET", 2_000)
    df = pd.DataFrame({"id": range(100), "Kommentar": ["Bra"] * 100})
    df.to_excel(tmp_path / "svar.xlsx", index=False)
    with pytest.raises(InputError, match="xl/worksheets/sheet1.xml unpacks to .* save the sheet as CSV UTF-8"):
        open_table(tmp_path / "svar.xlsx")


def password_protected_xlsx(path: Path) -> Path:
    """The shape Excel gives a workbook saved with a password: an OLE2 compound file whose
    directory holds the streams EncryptionInfo and EncryptedPackage (here with dummy content)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x20] = bytes.fromhex("3e000300feff0900")  # versions, byte order, 512-byte sectors
    header[0x30:0x34] = (0).to_bytes(4, "little")  # the directory starts in sector 0
    directory = b""
    for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"):
        entry = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        entry[: len(encoded)] = encoded
        entry[0x40:0x42] = len(encoded).to_bytes(2, "little")
        entry[0x42] = 5 if name == "Root Entry" else 2
        directory += bytes(entry)
    path.write_bytes(bytes(header) + directory + bytes(512))
    return path


def test_password_protected_xlsx_says_so(tmp_path):
    with pytest.raises(InputError, match="is password protected; open it in Excel and save it without a password"):
        open_table(password_protected_xlsx(tmp_path / "svar.xlsx"))


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


def test_a_pandas_index_saved_twice_is_a_column_without_a_header(tmp_path):
    """`to_csv` without index=False, twice: an empty header, then "Unnamed: 0" (which must not be mistaken for it)."""
    path = tmp_path / "svar.csv"
    pd.read_csv(io.StringIO(pd.DataFrame({"Kommentar": ["Bra", "Treg"]}).to_csv())).to_csv(path)
    assert path.read_text().splitlines()[0] == ",Unnamed: 0,Kommentar"
    with pytest.raises(InputError, match="row 2: column 1 has a value but no header .*index=False"):
        open_table(path).read()


def test_a_column_named_unnamed_is_an_ordinary_column(tmp_path):
    """...also after an empty header cell, whose column pandas would call "Unnamed: 0" too."""
    path = write(tmp_path, ";Unnamed: 0;Kommentar\n;0;Bra\n;1;Treg\n")
    assert open_table(path).columns == ["Unnamed: 0", "Kommentar"]
    assert rows(path) == [["0", "Bra"], ["1", "Treg"]]


def test_wide_tables_come_in_shorter_chunks(tmp_path, monkeypatch):
    import classifier.files.reading as tables

    monkeypatch.setattr(tables, "MAX_CHUNK_CELLS", 30)
    header = ";".join(f"q{i}" for i in range(10))
    path = write(tmp_path, header + "\n" + "".join(f"{i}" + ";x" * 9 + "\n" for i in range(7)))
    chunks = list(open_table(path, chunk_rows=100).chunks())
    assert max(len(c) for c in chunks) == 3  # 30 cells of 10 columns
    assert pd.concat(chunks)["q0"].tolist() == [str(i) for i in range(7)]


def test_parquet_category_columns_are_read_as_their_values(tmp_path):
    df = pd.DataFrame(
        {"Kommentar": pd.Categorical(["Bra", None, "Bra"]), "Kanal": pd.Categorical(["chat", "tlf", "tlf"])}
    )
    df.to_parquet(tmp_path / "svar.parquet")
    got = open_table(tmp_path / "svar.parquet").read()
    assert not any(isinstance(t, pd.CategoricalDtype) for t in got.dtypes)
    assert got["Kanal"].tolist() == ["chat", "tlf", "tlf"]
    assert got["Kommentar"].tolist()[::2] == ["Bra", "Bra"] and pd.isna(got["Kommentar"][1])


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


def test_an_answer_that_looks_like_a_qualtrics_import_id_is_an_answer(tmp_path):
    """Found by a longer property run: a comment starting with {"ImportId" in the third row of
    a plain file made the reader take it for a Qualtrics export and drop two answers."""
    path = write(tmp_path, 'id;Kommentar\n1;Bra\n2;{"ImportId" er en rar kommentar\n3;Treg\n')
    assert open_table(path).header_rows == 1
    assert rows(path) == [["1", "Bra"], ["2", '{"ImportId" er en rar kommentar'], ["3", "Treg"]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_in_a_csv_are_written_exactly_as_pandas_writes_them(dtype, tmp_path):
    rng = np.random.default_rng(0)
    probabilities = np.round(rng.random(5000).astype(dtype), 4)
    probabilities[:5] = [0, 1, 0.5, 0.0001, 0.9999]
    with_gaps = probabilities.copy()
    with_gaps[::7] = np.nan  # polarity probabilities are empty where a category is not assigned
    frame = pd.DataFrame(
        {
            "text": ["Lang kø"] * 5000,
            "prob_wait_time": probabilities,
            "polarity_prob_wait_time": with_gaps,
            "more_decimals": rng.random(5000).astype(dtype),  # not a probability column: left to pandas
            "negative_zero": np.full(5000, -0.0, dtype=dtype),
            "score": np.linspace(0, 10, 5000),
            # NPS scores of 0 and 1 with gaps: integers, though `to_numpy()` makes them floats
            "nps_score": pd.array(np.where(np.arange(5000) % 3 == 0, None, np.arange(5000) % 2), dtype="Int64"),
        }
    )
    with TableWriter(tmp_path / "out.csv", "csv") as writer:
        writer.write(frame)
    expected = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n", encoding="utf-8")
    assert (tmp_path / "out.csv").read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")
