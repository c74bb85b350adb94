"""Every verb and flag of the `classify` command, through typer's CliRunner."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier import __version__, load_labelled
from classifier.cli import app
from classifier.model.store import MODEL_FILE
from classifier.paths import shipped_data

DEFAULT_DATA = shipped_data()

runner = CliRunner()

SURVEY = pd.DataFrame(
    {
        "Respons-ID": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "Dato": [
            "03.10.2026 14:22",
            "04.10.2026 09:01",
            "12.11.2026 10:00",
            "13.11.2026 11:30",
            "20.11.2026 08:15",
            "21.11.2026 16:40",
        ],
        "Kanal": ["Telefon", "Chat", "Telefon", "E-post", "Telefon", "Chat"],
        "Hvor sannsynlig er det at du vil anbefale oss?": [
            "0 - Svært lite sannsynlig",
            "9",
            "10 - Svært sannsynlig",
            "3",
            "",
            "8",
        ],
        "Hva er grunnen til din score?": [
            "Ventet i 45 min i telefonkøen og ingen svarte",
            "Hyggelig og hjelpsom dame, takk!",
            "Väntade länge men fick till slut hjälp",
            "=HYPERLINK(\"http://x\") fakturaen er feil, ring 912 34 567",
            "",
            "Fikk løst saken på første forsøk",
        ],
    }
)


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.csv"
    SURVEY.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.fixture
def labelled(tmp_path, spread):
    """600 labelled comments spread over the shipped data, every label kept."""
    data = load_labelled(DEFAULT_DATA)
    rows = [{"text": data.texts[i], "labels": ";".join(data.labels[i])} for i in spread(len(data), 600)]
    path = tmp_path / "labelled.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_version_and_help_with_examples():
    assert run("--version").output.strip() == f"classify {__version__}"
    for verb in ("train", "predict", "evaluate", "drivers"):
        out = run(verb, "--help").output
        assert "Examples" in out and f"classify {verb}" in out


def test_the_classify_command_ends_with_the_apps_exit_code_and_every_output_written(survey, small_model_dir):
    # As a user runs it, in its own process: it skips Python's slow teardown, so this checks
    # that nothing is lost to that (the summary on a pipe, the file) and the exit codes hold.
    def classify(*args):
        return subprocess.run(
            [sys.executable, "-m", "classifier", *map(str, args)],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    done = classify("predict", survey, "--model", small_model_dir, "--out", survey.with_name("out.csv"))
    assert done.returncode == 0, done.stderr
    assert "Wrote" in done.stdout and done.stdout.rstrip().endswith("┘")  # the whole summary table
    assert len(pd.read_csv(survey.with_name("out.csv"))) == len(SURVEY)
    bad = classify("predict", survey.with_name("missing.csv"))
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error:") and len(bad.stderr.splitlines()) == 1
    version = classify("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"classify {__version__}"


def test_predict_writes_predictions_beside_the_input(survey, small_model_dir):
    result = run("predict", survey, "--model", small_model_dir)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(survey.with_name("survey.predictions.csv"), dtype=str, keep_default_na=False)
    assert list(out["Respons-ID"]) == list(SURVEY["Respons-ID"])  # rows kept, in order
    assert list(out.columns[:5]) == list(SURVEY.columns)  # every input column kept
    assert {"language", "labels", "nps_score", "nps_group"} <= set(out.columns)
    assert out["nps_group"].tolist() == ["detractor", "promoter", "promoter", "detractor", "", "passive"]
    assert out["labels"][4] == "" and out["language"][4] == "unknown"  # empty comment
    assert out["note"].tolist() == ["", "", "", "", "empty comment", ""]  # flagged with the reason
    assert "wait_time" in out["labels"][0]
    assert out["Hva er grunnen til din score?"][3].startswith("'=")  # formula neutralised
    assert "found by its header" in result.output and "Categories" in result.output


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_predict_formats(survey, small_model_dir, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert run("predict", survey, "--model", small_model_dir, "--out", out, "--format", fmt).exit_code == 0
    read = {
        "csv": pd.read_csv,
        "xlsx": pd.read_excel,
        "parquet": pd.read_parquet,
        "jsonl": lambda p: pd.read_json(p, lines=True),
    }[fmt]
    df = read(out)
    assert len(df) == len(SURVEY) and "labels" in df.columns


def test_predict_long_format_one_row_per_comment_and_label(survey, small_model_dir, tmp_path):
    out = tmp_path / "long.csv"
    assert run("predict", survey, "--model", small_model_dir, "--long", "--out", out).exit_code == 0
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns[:3]) == ["row", "id", "language"]
    assert set(df["id"]) == set(SURVEY["Respons-ID"])  # every comment present
    assert {"label", "label_name", "probability", "nps_group"} <= set(df.columns)


def test_predict_redact_masks_personal_data(survey, small_model_dir, tmp_path):
    out = tmp_path / "redacted.csv"
    assert run("predict", survey, "--model", small_model_dir, "--redact", "--out", out).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "912 34 567" not in text and "<phone>" in text


def test_predict_explicit_columns(survey, small_model_dir, tmp_path):
    out = tmp_path / "o.csv"
    result = run(
        "predict",
        survey,
        "--model",
        small_model_dir,
        "--out",
        out,
        "--text-col",
        "Kanal",
        "--id-col",
        "Dato",
        "--score-col",
        "Hvor sannsynlig er det at du vil anbefale oss?",
    )
    assert result.exit_code == 0 and "'Kanal'" in result.output


def test_predict_many_files_and_folders(tmp_path, small_model_dir):
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("jan.csv", "feb.csv"):
        SURVEY.to_csv(exports / name, sep=";", index=False)
    SURVEY.to_excel(exports / "mar.xlsx", index=False, sheet_name="Svar")
    result = run("predict", exports, "--model", small_model_dir, "--out-dir", tmp_path / "tagged")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "tagged").iterdir()) == [
        "feb.predictions.csv",
        "jan.predictions.csv",
        "mar.predictions.csv",
    ]
    assert f"{3 * len(SURVEY)} comments in 3 file(s)" in result.output


def test_predict_excel_sheet(tmp_path, small_model_dir):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="Info", index=False)
        SURVEY.to_excel(xl, sheet_name="Svar", index=False)
    assert run("predict", path, "--model", small_model_dir, "--sheet", "Svar").exit_code == 0
    bad = run("predict", path, "--model", small_model_dir, "--sheet", "Nope")
    assert bad.exit_code == 2 and "sheets: Info, Svar" in bad.output


def test_train_on_a_users_own_labels_and_codebook(labelled, tmp_path):
    codebook = tmp_path / "codebook.csv"
    ids = sorted({l for ls in pd.read_csv(labelled, keep_default_na=False)["labels"] for l in ls.split(";") if l})
    pd.DataFrame({"id": ids, "name_en": [i.replace("_", " ").title() for i in ids]}).to_csv(codebook, index=False)
    out = tmp_path / "model"
    result = run("train", "--data", labelled, "--codebook", codebook, "--out", out, "--seed", 3, "--folds", 3)
    assert result.exit_code == 0, result.output
    assert "micro F1" in result.output and "sv" in result.output
    card = json.loads((out / "model_card.json").read_text())
    assert card["seed"] == 3 and card["labels"][0]["names"]["en"]


def test_train_single_label_column(tmp_path):
    rows = [("veldig bra service", "positiv"), ("helt elendig", "negativ"), ("greit nok", "nøytral")] * 8
    path = tmp_path / "sentiment.csv"
    pd.DataFrame({"tekst": [f"{t} {i}" for i, (t, _) in enumerate(rows)], "sentiment": [l for _, l in rows]}).to_csv(
        path, index=False
    )
    result = run("train", "--data", path, "--out", tmp_path / "m", "--folds", 2)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "model_card.json").read_text())["single_label"] is True


def test_evaluate_on_a_labelled_file(small_model_dir, labelled):
    result = run("evaluate", "--data", labelled, "--model", small_model_dir)
    assert result.exit_code == 0 and "Scores of model small_model" in result.output and "macro F1" in result.output


def test_evaluate_cross_validates_training_data(labelled):
    result = run("evaluate", "--train-data", labelled, "--variant", "word", "--folds", 2)
    assert result.exit_code == 0 and "Cross-validated metrics (word, 2 folds" in result.output


def test_drivers_on_a_survey_with_every_output(survey, small_model_dir, tmp_path):
    result = run(
        "drivers",
        survey,
        "--model",
        small_model_dir,
        "--min-n",
        1,
        "--n-boot",
        50,
        "--by",
        "Kanal",
        "--period",
        "month",
        "--out",
        tmp_path / "d.csv",
        "--html",
        tmp_path / "r.html",
    )
    assert result.exit_code == 0, result.output
    assert "NPS" in result.output and "(tagged by model small_model" in result.output
    tidy = pd.read_csv(tmp_path / "d.csv")
    assert {"overall", "segment", "period"} <= set(tidy["level"])
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html and "912 34 567" not in html


@pytest.mark.parametrize("suffix", [".json", ".xlsx", ".parquet"])
def test_drivers_table_formats_hold_the_same_table_as_csv(survey, small_model_dir, tmp_path, suffix):
    args = ("drivers", survey, "--model", small_model_dir, "--min-n", 1, "--n-boot", 20)
    assert run(*args, "--out", tmp_path / "d.csv").exit_code == 0
    out = tmp_path / f"d{suffix}"
    assert run(*args, "--out", out).exit_code == 0
    want = pd.read_csv(tmp_path / "d.csv")
    got = {
        ".json": lambda p: pd.read_json(p),
        ".xlsx": lambda p: pd.read_excel(p),
        ".parquet": lambda p: pd.read_parquet(p),
    }[suffix](out)
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    assert got["category"].tolist() == want["category"].tolist()
    np.testing.assert_allclose(got["impact"].astype(float), want["impact"].astype(float), atol=1e-9)
    assert set(got["model"]) == {want["model"][0]} and want["model"][0].startswith("small_model")


def test_drivers_on_a_predictions_file_soft_and_corrected(survey, small_model_dir, tmp_path):
    assert run("predict", survey, "--model", small_model_dir).exit_code == 0
    preds = survey.with_name("survey.predictions.csv")
    result = run(
        "drivers",
        preds,
        "--model",
        small_model_dir,
        "--soft",
        "--min-n",
        1,
        "--n-boot",
        20,
        "--out",
        tmp_path / "d.csv",
    )
    assert result.exit_code == 0 and "(predictions from the file, model small_model" in result.output
    corrected = run("drivers", preds, "--model", small_model_dir, "--correct", "--min-n", 1, "--n-boot", 20)
    assert corrected.exit_code == 0, corrected.output
    assert "Corrected with the cross-validated error rates of model small_model" in corrected.output
    # The same model file without error rates in its card: a warning, no corrected numbers, no failure.
    bare = tmp_path / "bare_model"
    shutil.copytree(small_model_dir, bare)
    card = json.loads((bare / "model_card.json").read_text())
    (bare / "model_card.json").write_text(json.dumps({**card, "metrics": None}))
    no_card = run("drivers", preds, "--model", bare, "--correct", "--n-boot", 20)
    assert no_card.exit_code == 0 and "warning: --correct: model bare_model" in no_card.output
    assert "no cross-validated error rates" in no_card.output and "corrected impact" not in no_card.output


def test_drivers_needs_a_score_column(tmp_path, small_model_dir):
    path = tmp_path / "noscore.csv"
    pd.DataFrame({"kommentar": ["bra", "dårlig"]}).to_csv(path, index=False)
    result = run("drivers", path, "--model", small_model_dir)
    assert result.exit_code == 2 and "--score-col" in result.output


def test_predict_refuses_to_write_over_another_input(survey, small_model_dir):
    other = survey.with_name("survey.predictions.csv")
    other.write_text("keep me", encoding="utf-8")
    result = run("predict", survey, other, "--model", small_model_dir)
    assert result.exit_code == 2 and "over an input" in result.output
    assert other.read_text(encoding="utf-8") == "keep me"


def test_predict_refuses_two_inputs_with_one_output(tmp_path, small_model_dir):
    SURVEY.to_csv(tmp_path / "a.csv", index=False)
    SURVEY.to_excel(tmp_path / "a.xlsx", index=False)
    result = run("predict", tmp_path / "a.csv", tmp_path / "a.xlsx", "--model", small_model_dir)
    assert result.exit_code == 2 and "would both write" in result.output
    assert not (tmp_path / "a.predictions.csv").exists()


def test_predict_checks_inputs_before_loading_a_model(tmp_path):
    result = run("predict", tmp_path / "missing.csv", "--model", tmp_path / "no_model_here")
    assert result.exit_code == 2 and "missing.csv: no such file" in result.output


def test_predict_nordic_csv_for_excel_in_norwegian_and_swedish_settings(survey, small_model_dir, tmp_path):
    out = tmp_path / "excel.csv"
    assert run("predict", survey, "--model", small_model_dir, "--nordic-csv", "--out", out).exit_code == 0
    df = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert len(df) == len(SURVEY) and df["prob_wait_time"].dtype == float
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("Respons-ID;Dato;Kanal;")


def test_train_text_and_label_columns_match_headers_case_insensitively(tmp_path, monkeypatch, spread):
    monkeypatch.setenv("CLASSIFY_MODELS", str(tmp_path / "models"))
    data = load_labelled(DEFAULT_DATA)
    rows = [{"Kommentar": data.texts[i], "Kategori": ";".join(data.labels[i])} for i in spread(len(data), 600)]
    path = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    result = run("train", "--data", path, "--text-col", "kommentar", "--label-col", "KATEGORI", "--folds", 2)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "mine" / MODEL_FILE).exists()
