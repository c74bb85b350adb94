"""Named models: where they live, how they are picked, and that training never replaces one by accident.

Every test here runs with $CLASSIFY_MODELS pointing at a fresh folder (see conftest.py),
as a user's per-user data folder.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.model.store import list_models, model_dir, new_model_name
from classifier.paths import MODELS_ENV

runner = CliRunner()

GYM = [
    ("treadmill broken again", "equipment"),
    ("the rowing machine squeaks", "equipment"),
    ("bike pedal loose", "equipment"),
    ("weights not put back", "equipment"),
    ("cable machine out of order", "equipment"),
    ("new dumbbells please", "equipment"),
    ("changing room dirty", "cleanliness"),
    ("showers were filthy", "cleanliness"),
    ("towels smelled", "cleanliness"),
    ("floor sticky near mats", "cleanliness"),
    ("toilets not cleaned", "cleanliness"),
    ("dust everywhere on the machines", "cleanliness"),
] * 3


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setenv(MODELS_ENV, str(folder))
    return folder


@pytest.fixture
def gym_labels(tmp_path):
    path = tmp_path / "gym_labels.csv"
    pd.DataFrame(GYM, columns=["text", "label"]).to_csv(path, index=False)
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_training_on_your_own_data_makes_a_new_named_model_and_leaves_the_default_alone(home, gym_labels):
    (home / "default").mkdir(parents=True)
    (home / "default" / "marker").write_text("the default model")
    result = invoke("train", "--data", gym_labels, "--folds", 2)
    assert result.exit_code == 0, result.output
    assert "Saved model 'gym_labels'" in result.output
    assert (home / "gym_labels" / "model.joblib").exists()
    assert sorted(p.name for p in (home / "default").iterdir()) == ["marker"]


def test_a_second_training_on_the_same_file_gets_a_fresh_name(home, gym_labels):
    assert invoke("train", "--data", gym_labels, "--folds", 2).exit_code == 0
    assert invoke("train", "--data", gym_labels, "--folds", 2).exit_code == 0
    assert [m.name for m in list_models()] == ["gym_labels", "gym_labels-2"]


def test_train_name_and_out(home, gym_labels, tmp_path):
    assert invoke("train", "--data", gym_labels, "--folds", 2, "--name", "gym").exit_code == 0
    assert (home / "gym" / "manifest.json").exists()
    assert invoke("train", "--data", gym_labels, "--folds", 2, "--out", tmp_path / "elsewhere").exit_code == 0
    assert (tmp_path / "elsewhere" / "model.joblib").exists()
    both = invoke("train", "--data", gym_labels, "--name", "x", "--out", tmp_path / "y")
    assert both.exit_code == 2 and "--out or --name" in both.output


def test_models_lists_name_labels_data_date_and_f1(home, gym_labels):
    empty = invoke("models")
    assert empty.exit_code == 0 and "No models" in empty.output
    assert invoke("train", "--data", gym_labels, "--folds", 2).exit_code == 0
    out = invoke("models").output
    card = json.loads((home / "gym_labels" / "model_card.json").read_text())
    f1 = card["metrics"]["all"]["micro"]["f1"]
    assert "gym_labels" in out and str(gym_labels.name) in out and f"{f1:.3f}" in out
    assert card["created"][:10] in out


def test_model_by_name_or_path_and_the_output_records_it(home, gym_labels, tmp_path):
    assert invoke("train", "--data", gym_labels, "--folds", 2, "--name", "gym").exit_code == 0
    survey = tmp_path / "s.csv"
    pd.DataFrame({"comment": ["the treadmill is broken", "dirty showers"]}).to_csv(survey, index=False)
    by_name = invoke("predict", survey, "--model", "gym", "--out", tmp_path / "a.csv")
    by_path = invoke("predict", survey, "--model", home / "gym", "--out", tmp_path / "b.csv")
    assert by_name.exit_code == 0 and by_path.exit_code == 0, by_name.output + by_path.output
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert a.equals(b)
    assert a["model"].nunique() == 1 and a["model"][0].startswith("gym@")
    assert "model gym@" in by_name.output
    assert a["labels"].tolist() == ["equipment", "cleanliness"]


def test_an_unknown_model_name_is_one_line_and_exit_2(home, tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("comment\nok\n")
    result = invoke("predict", survey, "--model", "nosuch")
    assert result.exit_code == 2 and "no model here" in result.output and "classify models" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_model_names_and_paths(home):
    assert model_dir(None) == home / "default"
    assert model_dir("mine") == home / "mine"
    assert model_dir("./mine").name == "mine" and not str(model_dir("./mine")).startswith(str(home))
    assert new_model_name("/data/my labels.csv") == "my-labels"
    assert new_model_name("default.csv") == "default-own"


def test_a_saved_model_gets_the_permissions_of_any_new_file(home, gym_labels):
    import os
    import stat

    assert invoke("train", "--data", gym_labels, "--folds", 2, "--name", "gym").exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    for name in ("model.joblib", "manifest.json", "model_card.json"):
        assert stat.S_IMODE((home / "gym" / name).stat().st_mode) == 0o666 & ~umask, name
