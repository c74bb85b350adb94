"""Long work shows progress on stderr (plain lines when it is not a terminal); `--quiet` silences it."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

import classifier.cli
from classifier.cli import app
from classifier.model.dataset import load_labelled
from classifier.paths import shipped_data
from classifier.progress import Progress


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def small_labelled(tmp_path_factory):
    """300 labelled comments of the shipped training data: enough for 3 folds, quick to train."""
    data = load_labelled(shipped_data())
    path = tmp_path_factory.mktemp("labelled") / "labelled.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "labels"])
        for i in range(0, len(data), len(data) // 300)[:300]:
            w.writerow([data.texts[i], ";".join(data.labels[i])])
    return path


def test_plain_lines_in_a_log_say_how_far_the_work_got():
    log = io.StringIO()
    with Progress("tagging big.csv", stream=log, every=0, unit=" rows") as advance:
        advance(20_000)
        advance(5_000)
    assert log.getvalue().splitlines()[-1].startswith("tagging big.csv: 25,000 rows in ")


def test_progress_lines_are_at_most_one_per_interval_then_a_last_one():
    log = io.StringIO()
    with Progress("tagging", total=100, stream=log, every=3600) as advance:
        for _ in range(100):
            advance(1)
    assert log.getvalue().splitlines() == [log.getvalue().splitlines()[-1]]
    assert "100 of 100 (100%)" in log.getvalue()


def test_quiet_progress_prints_nothing():
    log = io.StringIO()
    with Progress("tagging", stream=log, every=0, quiet=True) as advance:
        advance(10)
    assert log.getvalue() == ""


def test_train_reports_each_fold(small_labelled, tmp_path):
    output = run("train", "--data", small_labelled, "--folds", 3, "--out", tmp_path / "m")
    assert "training: 5 of 5 steps (100%)" in output


def test_train_quiet(small_labelled, tmp_path):
    output = run("train", "--data", small_labelled, "--folds", 3, "--out", tmp_path / "m", "--quiet")
    assert "training:" not in output


def test_evaluate_reports_the_comments_scored(small_labelled, small_model_dir):
    output = run("evaluate", "--data", small_labelled, "--model", small_model_dir)
    assert "scoring: 300 of 300 comments (100%)" in output
    quiet = run("evaluate", "--data", small_labelled, "--model", small_model_dir, "--quiet")
    assert "scoring:" not in quiet


def test_cross_validation_reports_each_fold(small_labelled):
    output = run("evaluate", "--train-data", small_labelled, "--folds", 3)
    assert "cross-validating: 4 of 4 steps (100%)" in output


def test_predict_shows_progress_for_large_files_and_quiet_silences_it(tmp_path, small_model_dir, monkeypatch):
    monkeypatch.setattr(classifier.cli, "PROGRESS_MIN_BYTES", 0)
    survey = tmp_path / "survey.csv"
    survey.write_text("kommentar\nVentet lenge\nRask hjelp\n", encoding="utf-8")
    assert "tagging survey.csv: 2 rows in " in run("predict", survey, "--model", small_model_dir)
    assert "tagging survey.csv" not in run("predict", survey, "--model", small_model_dir, "--quiet")


def test_drivers_shows_the_bootstrap_progress_of_every_slice_and_quiet_silences_it(tmp_path):
    # Two months: everyone, each month, and the change between them are bootstrapped (4 x 50 resamples).
    rows = ["dato,score,labels,prob_wait_time,prob_agent_attitude"] + [
        f"2026-0{1 + i % 2}-15,{(i * 7) % 11},{'wait_time,0.9,0.1' if i % 3 else 'agent_attitude,0.1,0.9'}"
        for i in range(60)
    ]
    predictions = tmp_path / "survey.predictions.csv"
    predictions.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ("drivers", predictions, "--n-boot", 50, "--period", "month", "--date-col", "dato", "--min-n", 5)
    assert "bootstrapping: 200 of 200 resamples (100%) in " in run(*args)
    assert "bootstrapping" not in run(*args, "--quiet")
    # Comparing the two months is the change already bootstrapped: still 200, and the bar ends full.
    assert "bootstrapping: 200 of 200 resamples (100%) in " in run(*args, "--compare", "2026-01", "2026-02")
