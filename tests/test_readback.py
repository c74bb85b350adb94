"""Every file `classify predict` writes reads back into every command that takes it, with the same numbers.

A predictions file is written in each output form (CSV, Nordic CSV with `;` and
decimal commas, XLSX, Parquet, JSON Lines, CSV with `--redact`, and `--long`); then
`classify drivers` (counting labels, and `--soft` with the probabilities) must
give exactly the driver table it gives for the plain CSV, and tagging the file
again must keep every one of its columns. A reader that silently took a decimal
comma for 0 would change the soft drivers, so this catches it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.files.reading import open_table
from classifier.model.store import load_model

EXAMPLE = Path(__file__).parents[1] / "examples" / "kundeservice_nps_2026.csv"

FORMS = {
    "csv": ("tagged.csv",),
    "nordic-csv": ("tagged-nordic.csv", "--nordic-csv"),
    "xlsx": ("tagged.xlsx",),
    "parquet": ("tagged.parquet",),
    "jsonl": ("tagged.jsonl",),
    "redacted": ("tagged-redacted.csv", "--redact"),
}
# One row per comment and assigned category: the same drivers from its labels; it holds no
# probabilities of unassigned categories, so `--soft` and the wide read-back do not apply.
LONG = ("tagged-long.csv", "--long")


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture(scope="module")
def tagged(small_model_dir, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("readback")
    files = {}
    for form, (name, *options) in {**FORMS, "long": LONG}.items():
        run("predict", EXAMPLE, "--model", small_model_dir, "--out", folder / name, *options)
        files[form] = folder / name
    return files


def drivers_table(path: Path, *options: str) -> pd.DataFrame:
    out = path.with_name(f"{path.name}{''.join(options)}.drivers.csv")
    run("drivers", path, "--n-boot", 50, "--out", out, *options)
    return pd.read_csv(out)


@pytest.mark.parametrize(
    "form, soft",
    [(f, False) for f in [*FORMS, "long"] if f != "csv"] + [(f, True) for f in FORMS if f != "csv"],
)
def test_drivers_read_every_output_form_with_the_same_numbers(tagged, form, soft):
    options = ("--soft",) if soft else ()
    expected = drivers_table(tagged["csv"], *options)
    got = drivers_table(tagged[form], *options)
    assert got["mentions"].sum() > 0
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("form", list(FORMS))
def test_every_output_form_reads_back_with_the_probabilities_written(tagged, form, small_model_dir):
    plain = open_table(tagged["csv"]).read()
    back = open_table(tagged[form]).read()
    assert list(back.columns[: len(plain.columns)]) == list(plain.columns)
    # the Excel-ready workbook adds one 0/1 column per category, named by the category (files/excel.py)
    extra = list(back.columns[len(plain.columns) :])
    assert extra == ([] if form != "xlsx" else list(load_model(small_model_dir).codebook.display_names("en").values()))
    for col in [c for c in plain.columns if c.startswith("prob_")]:
        assert pd.to_numeric(back[col].astype(str).str.replace(",", ".")).tolist() == pytest.approx(
            pd.to_numeric(plain[col]).tolist(), abs=0
        ), col
    assert back["labels"].fillna("").tolist() == plain["labels"].fillna("").tolist()


@pytest.mark.parametrize("form", list(FORMS))
def test_tagging_a_predictions_file_again_keeps_all_its_columns(tagged, form, small_model_dir, tmp_path):
    again = tmp_path / "again.csv"
    run("predict", tagged[form], "--model", small_model_dir, "--out", again)
    before = open_table(tagged[form]).read()
    after = open_table(again).read()
    assert list(after.columns[: len(before.columns)]) == list(before.columns)
    assert "labels_pred" in after.columns and "prob_wait_time_pred" in after.columns
    assert after["labels"].fillna("").tolist() == before["labels"].fillna("").tolist()
