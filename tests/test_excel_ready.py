"""`classify predict --format xlsx` writes a workbook that is ready for Excel, and `--long` carries columns.

What an analyst sees on opening it: the header row frozen, a filter on every
column, columns wide enough to read, dates and numbers that sort and sum as dates
and numbers, one 0/1 column per category to pivot on, and a `codebook` sheet.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from classifier.cli import app
from classifier.model.store import load_model

SURVEY = pd.DataFrame(
    {
        "Respons-ID": ["007", "R2", "R3", "R4"],
        "Dato": ["03.10.2026 14:22", "04.10.2026 09:01", "12.11.2026 10:00", "13.11.2026 11:30"],
        "Levert": ["03.10.2026", "ukjent", "12.11.2026", ""],
        "Kanal": ["Telefon", "Chat", "Telefon", "E-post"],
        "Antall": ["3", "12", "-1", ""],
        "Score": ["0", "9", "10 - Svært sannsynlig", "3"],
        "Kommentar": [
            "Ventet i 45 min i telefonkøen og ingen svarte",
            "Hyggelig og hjelpsom dame, takk!",
            "Väntade länge men fick till slut hjälp",
            "=HYPERLINK(\"http://x\") fakturaen er feil",
        ],
    }
)


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.csv"
    SURVEY.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.fixture
def workbook(survey, small_model_dir, tmp_path):
    out = tmp_path / "tagged.xlsx"
    run("predict", survey, "--model", small_model_dir, "--out", out, "--lang", "nb", "--date-col", "Levert")
    return load_workbook(out)


def header(sheet) -> list:
    return [c.value for c in next(sheet.iter_rows(max_row=1))]


def column(sheet, name: str) -> list:
    i = header(sheet).index(name)
    return [row[i] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_header_frozen_filter_over_all_rows_and_columns_sized(workbook):
    sheet = workbook["predictions"]
    assert sheet.freeze_panes == "A2"
    last = sheet.cell(row=1, column=sheet.max_column).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{len(SURVEY) + 1}"
    widths = {
        sheet.cell(row=1, column=i).value: sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width
        for i in range(1, sheet.max_column + 1)
    }
    assert widths["Kommentar"] > widths["Kanal"] >= len("Kanal")  # long comments get a wide column
    assert max(widths.values()) <= 62


def test_dates_and_numbers_are_cells_of_their_type(workbook):
    sheet = workbook["predictions"]
    assert column(sheet, "Dato")[0] == datetime(2026, 10, 3, 14, 22)  # a date column found by its cells
    # --date-col: the cells that parse are dates, the others stay as written
    assert column(sheet, "Levert") == [datetime(2026, 10, 3), "ukjent", datetime(2026, 11, 12), None]
    assert column(sheet, "Antall") == [3, 12, -1, None]  # numbers, and -1 is not neutralised into text
    assert all(isinstance(v, (int, float)) for v in column(sheet, "prob_wait_time"))
    assert column(sheet, "nps_score") == [0, 9, 10, 3]
    assert column(sheet, "Respons-ID")[0] == "007"  # the id column stays text
    assert column(sheet, "Kommentar")[3].startswith("'=")  # formulas still neutralised


def test_one_flag_column_per_category_named_in_the_chosen_language(workbook, small_model_dir):
    model = load_model(small_model_dir)
    sheet = workbook["predictions"]
    names = model.codebook.display_names("nb")
    labels = column(sheet, "labels")
    for cat in model.labels:
        flags = column(sheet, names[cat])
        assert flags == [int(cat in (labs or "").split(";")) for labs in labels]


def test_codebook_sheet_lists_categories_names_and_counts(workbook, small_model_dir):
    model = load_model(small_model_dir)
    rows = list(workbook["codebook"].iter_rows(values_only=True))
    assert rows[0] == ("category", "name", "definition", "comments")
    assert [r[0] for r in rows[1:]] == model.codebook.ids
    assert [r[1] for r in rows[1:]] == [model.codebook.display_name(c, "nb") for c in model.codebook.ids]
    labels = column(workbook["predictions"], "labels")
    for cat, _, _, count in rows[1:]:
        assert count == sum(cat in (labs or "").split(";") for labs in labels)


def test_lang_sv_names_categories_in_swedish(survey, small_model_dir, tmp_path):
    model = load_model(small_model_dir)
    out = tmp_path / "sv.xlsx"
    run("predict", survey, "--model", small_model_dir, "--out", out, "--lang", "sv")
    names = [r[1] for r in load_workbook(out)["codebook"].iter_rows(min_row=2, values_only=True)]
    assert names == [model.codebook.display_name(c, "sv") for c in model.codebook.ids]
    assert names != [model.codebook.display_name(c, "en") for c in model.codebook.ids]


def test_unknown_lang_is_one_line(survey, small_model_dir):
    result = CliRunner().invoke(app, ["predict", str(survey), "--model", str(small_model_dir), "--lang", "de"])
    assert result.exit_code == 2 and "--lang" in result.output


def test_long_carries_the_named_date_segment_and_score_columns(survey, small_model_dir, tmp_path):
    out = tmp_path / "long.csv"
    result = run(
        "predict", survey, "--model", small_model_dir, "--long", "--out", out,
        "--date-col", "Dato", "--by", "Kanal", "--score-col", "Score",
    )  # fmt: skip
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns[:5]) == ["row", "id", "Dato", "Kanal", "Score"]
    by_id = SURVEY.set_index("Respons-ID")
    for _, r in df.iterrows():
        assert (r["Dato"], r["Kanal"], r["Score"]) == tuple(by_id.loc[r["id"], ["Dato", "Kanal", "Score"]])
    assert "Kommentar" not in df.columns
    # the summary counts the rows written, and the comments they came from
    assert f"({len(df)} rows for {len(SURVEY)} comments" in result.output


def test_long_keep_carries_every_input_column(survey, small_model_dir, tmp_path):
    out = tmp_path / "long.csv"
    run("predict", survey, "--model", small_model_dir, "--long", "--keep", "--out", out)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(SURVEY.columns) <= set(df.columns)
    assert {"label", "label_name", "probability"} <= set(df.columns)


def test_long_xlsx_names_labels_in_the_chosen_language(survey, small_model_dir, tmp_path):
    model = load_model(small_model_dir)
    out = tmp_path / "long.xlsx"
    run("predict", survey, "--model", small_model_dir, "--long", "--lang", "sv", "--out", out)
    sheet = load_workbook(out)["predictions"]
    for label, name in zip(column(sheet, "label"), column(sheet, "label_name")):
        if label:
            assert name == model.codebook.display_name(label, "sv")
    assert column(sheet, "id")[0] == "007"


def test_unknown_date_col_names_the_columns(survey, small_model_dir):
    result = CliRunner().invoke(
        app, ["predict", str(survey), "--model", str(small_model_dir), "--date-col", "Nope", "--long"]
    )
    assert result.exit_code == 2 and "Nope" in result.output and "Kanal" in result.output
