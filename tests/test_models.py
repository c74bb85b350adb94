"""Named models: where they live, how they are picked, and that training never replaces one by accident.

And the model file: the same bytes for the same data and seed in any process, and
loading it never runs code from the model folder (a planted file, an old pickle), with
one line and exit code 2 for every model folder that cannot be used.

Every test here runs with $CLASSIFY_MODELS pointing at a fresh folder (see conftest.py),
as a user's per-user data folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import skops.io
from typer.testing import CliRunner

from classifier.cli import app
from classifier.model.pipeline import VARIANTS, build_pipeline
from classifier.model.store import (
    CARD_JSON,
    MANIFEST_FILE,
    MODEL_FILE,
    OLD_MODEL_FILE,
    list_models,
    model_bytes,
    model_dir,
    new_model_name,
    trusted_type_names,
)
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
    assert (home / "gym_labels" / MODEL_FILE).exists()
    assert sorted(p.name for p in (home / "default").iterdir()) == ["marker"]


def test_a_second_training_on_the_same_file_gets_a_fresh_name(home, gym_labels):
    assert invoke("train", "--data", gym_labels, "--folds", 2).exit_code == 0
    assert invoke("train", "--data", gym_labels, "--folds", 2).exit_code == 0
    assert [m.name for m in list_models()] == ["gym_labels", "gym_labels-2"]


def test_train_name_and_out(home, gym_labels, tmp_path):
    assert invoke("train", "--data", gym_labels, "--folds", 2, "--name", "gym").exit_code == 0
    assert (home / "gym" / "manifest.json").exists()
    assert invoke("train", "--data", gym_labels, "--folds", 2, "--out", tmp_path / "elsewhere").exit_code == 0
    assert (tmp_path / "elsewhere" / MODEL_FILE).exists()
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
    for name in (MODEL_FILE, MANIFEST_FILE, CARD_JSON):
        assert stat.S_IMODE((home / "gym" / name).stat().st_mode) == 0o666 & ~umask, name


# --------------------------------------------------------------------------- the model file

ROOT = Path(__file__).resolve().parent.parent


def one_line_error(result) -> str:
    """The error a command ended with, checked to be one line with exit code 2 and no traceback."""
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


def test_the_same_data_and_seed_give_the_same_model_file_in_two_processes(tmp_path, gym_labels):
    files = []
    for run, hash_seed in (("a", "1"), ("b", "2")):  # string hashing differs between the two processes
        out = tmp_path / run / "gym"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT), MODELS_ENV: str(tmp_path / run)}
        args = ["train", "--data", gym_labels, "--out", out, "--folds", 2, "--seed", 3]
        done = subprocess.run(
            [sys.executable, "-m", "classifier", *map(str, args)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        files.append(out)
    a, b = ((f / MODEL_FILE).read_bytes() for f in files)
    assert a == b, "the model files differ between processes"
    manifests = [json.loads((f / MANIFEST_FILE).read_text()) for f in files]
    assert manifests[0] == manifests[1] and manifests[0]["sha256"] == hashlib.sha256(a).hexdigest()


def test_every_type_in_the_pipelines_is_trusted_by_load_model(small_model, monkeypatch):
    # As in `classify`, which imports skops without its default trust in every scikit-learn estimator.
    monkeypatch.setattr(skops.io._general, "SKLEARN_ESTIMATOR_TYPE_NAMES", [])

    def untrusted(data: bytes) -> list[str]:
        return sorted(set(skops.io.get_untrusted_types(data=data)) - set(trusted_type_names()))

    hint = "load_model refuses a model holding {}: add the class to TRUSTED_TYPES in classifier/model/store.py"
    fitted = untrusted(model_bytes(small_model))
    assert not fitted, hint.format(fitted)
    for variant in VARIANTS:
        unfitted = untrusted(skops.io.dumps(build_pipeline(variant)))
        assert not unfitted, f"variant {variant}: " + hint.format(unfitted)


class CreatesMarker:
    """A planted payload: loading it creates `marker` (if a loader ever runs code from a model file)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):  # what pickle (and joblib) run when loading
        return (Path.touch, (Path(self.marker),))

    def __getstate__(self):  # what skops saves ...
        return {"marker": self.marker}

    def __setstate__(self, state):  # ... and calls when it builds the object
        Path(state["marker"]).touch()


def planted_pickle(marker: Path) -> bytes:
    payload = pickle.dumps(CreatesMarker(marker))
    pickle.loads(payload)  # the control: unpickled, it does run
    assert marker.exists()
    marker.unlink()
    return payload


def planted_skops(marker: Path) -> bytes:
    payload = skops.io.dumps({"pipeline": CreatesMarker(marker)})
    skops.io.loads(payload, trusted=[f"{__name__}.CreatesMarker"])  # the control: trusted, it does run
    assert marker.exists()
    marker.unlink()
    return payload


def plant(folder: Path, name: str, payload: bytes) -> None:
    """Put a payload in a model folder as an attacker who can also edit the manifest would."""
    (folder / name).write_bytes(payload)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["sha256"] = hashlib.sha256(payload).hexdigest()
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.fixture
def scored_survey(tmp_path):
    path = tmp_path / "survey.csv"
    comments = ["Ventet i 45 min i telefonkøen", "Hyggelig dame, takk", "Fakturaen var feil", "Bra"] * 3
    pd.DataFrame({"kommentar": comments, "score": [2, 9, 4, 10] * 3}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("planted", [planted_pickle, planted_skops], ids=["pickle", "skops"])
def test_a_planted_model_file_never_runs_code(planted, tmp_path, small_model_dir, scored_survey):
    marker = tmp_path / "code-ran"
    folder = tmp_path / "planted"
    shutil.copytree(small_model_dir, folder)
    plant(folder, MODEL_FILE, planted(marker))
    assert invoke("predict", scored_survey, "--model", small_model_dir).exit_code == 0
    predictions = scored_survey.with_name("survey.predictions.csv")

    error = one_line_error(invoke("predict", scored_survey, "--model", folder, "--out", tmp_path / "p.csv"))
    assert str(folder) in error and "classify train" in error
    one_line_error(invoke("drivers", scored_survey, "--model", folder, "--n-boot", 0))
    # A predictions file needs only the model card (label names, error rates), never the model file.
    tagged = invoke("drivers", predictions, "--model", folder, "--correct", "--min-n", 1, "--n-boot", 0)
    assert tagged.exit_code == 0, tagged.output
    assert not marker.exists() and not (tmp_path / "p.csv").exists()


def test_a_model_file_naming_a_scikit_learn_class_the_pipelines_do_not_use_is_refused(
    tmp_path, small_model_dir, scored_survey
):
    from sklearn.tree import DecisionTreeClassifier

    folder = tmp_path / "other-estimator"
    shutil.copytree(small_model_dir, folder)
    plant(folder, MODEL_FILE, skops.io.dumps({"pipeline": DecisionTreeClassifier()}))
    # A fresh process, as a user runs it: this test process has imported skops.io its own way.
    run = subprocess.run(
        [sys.executable, "-m", "classifier.cli", "predict", str(scored_survey), "--model", str(folder)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    error = " ".join(run.stderr.split())
    assert "names types this tool does not trust" in error and "DecisionTreeClassifier" in error
    assert "Traceback" not in run.stderr


def test_loading_models_on_several_threads_leaves_scikit_learn_as_it_was(small_model_dir):
    # In a fresh process, where skops.io is first imported by `load_model` (with its scan of
    # every estimator switched off for the moment): afterwards scikit-learn lists them all again.
    script = f"""
import threading
from classifier.model.store import load_model
threads = [threading.Thread(target=load_model, args=({str(small_model_dir)!r},)) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
import sklearn.utils
print(len(sklearn.utils.all_estimators()))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 100 and "Exception" not in run.stderr


def test_a_damaged_model_file_is_named_with_what_is_wrong_with_it(tmp_path, small_model_dir, scored_survey):
    folder = tmp_path / "damaged"
    shutil.copytree(small_model_dir, folder)
    plant(folder, MODEL_FILE, b"half a model, cut off by a full disk")
    error = one_line_error(invoke("predict", scored_survey, "--model", folder))
    assert f"{folder / MODEL_FILE}: is not a model file this version can read" in error
    assert "(BadZipFile: File is not a zip file)" in error


def test_a_model_saved_in_the_old_pickle_format_is_never_opened(home, tmp_path, scored_survey, gym_labels):
    marker = tmp_path / "code-ran"
    for name in ("old", "default"):
        folder = home / name
        folder.mkdir(parents=True)
        (folder / MANIFEST_FILE).write_text(json.dumps({"format_version": 1, "model_file": OLD_MODEL_FILE}))
        plant(folder, OLD_MODEL_FILE, planted_pickle(marker))
    named = one_line_error(invoke("predict", scored_survey, "--model", "old"))
    assert "older version" in named and "can run code" in named
    assert f"retrain it with `classify train --data YOUR_LABELLED_DATA --out {home / 'old'}`" in named
    default = one_line_error(invoke("predict", scored_survey))  # not retrained behind the user's back
    assert "older version" in default and "retrain it with `classify train`" in default
    assert not marker.exists() and (home / "default" / OLD_MODEL_FILE).exists()
    # Following the advice works, and the old file goes.
    assert invoke("train", "--data", gym_labels, "--out", home / "old", "--folds", 2).exit_code == 0
    assert invoke("predict", scored_survey, "--model", "old", "--out", tmp_path / "p.csv").exit_code == 0
    assert not (home / "old" / OLD_MODEL_FILE).exists() and not marker.exists()


def _card(folder: Path) -> dict:
    return json.loads((folder / CARD_JSON).read_text())


BROKEN = {
    "manifest not JSON": (MANIFEST_FILE, lambda folder: '{"sha256": '),
    "manifest without its checksum": (MANIFEST_FILE, lambda folder: '{"format_version": 2}'),
    "card not JSON": (CARD_JSON, lambda folder: "\u00e6\u00f8\u00e5"),
    "card without labels": (CARD_JSON, lambda folder: json.dumps({**_card(folder), "labels": "x"})),
    "card with an error rate of 7": (
        CARD_JSON,
        lambda folder: json.dumps(
            {
                **_card(folder),
                "metrics": {"all": {"micro": {"f1": 0.5}, "per_label": {"x": {"sensitivity": 7, "specificity": 1}}}},
            }
        ),
    ),
}


@pytest.mark.parametrize("broken", BROKEN)
def test_a_broken_manifest_or_card_is_one_line_and_exit_2(broken, tmp_path, small_model_dir, scored_survey):
    folder = tmp_path / "broken"
    shutil.copytree(small_model_dir, folder)
    name, text = BROKEN[broken]
    (folder / name).write_text(text(folder))
    error = one_line_error(invoke("predict", scored_survey, "--model", folder))
    assert str(folder / name) in error and "classify train" in error
    if name == CARD_JSON:
        assert invoke("predict", scored_survey, "--model", small_model_dir).exit_code == 0
        predictions = scored_survey.with_name("survey.predictions.csv")
        error = one_line_error(invoke("drivers", predictions, "--model", folder, "--n-boot", 0))
        assert str(folder / name) in error
    listed = invoke("models")  # the listing still works, and shows what it can
    assert listed.exit_code == 0


def test_train_into_a_read_only_folder_fails_before_training(monkeypatch, tmp_path, gym_labels):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    result = invoke("train", "--data", gym_labels, "--out", tmp_path / "model")
    error = one_line_error(result)
    assert "cannot write a model here" in error and "Read-only file system" in error
    assert "Cross-validated metrics" not in result.output and not (tmp_path / "model").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to fill a disk")
def test_train_on_a_full_disk_keeps_the_model_that_was_there_and_no_temporary_file(monkeypatch, tmp_path, gym_labels):
    out = tmp_path / "model"
    assert invoke("train", "--data", gym_labels, "--out", out, "--folds", 2).exit_code == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    real_mkstemp = tempfile.mkstemp

    def on_a_full_disk(*args, **kwargs):  # a real file whose writes fail as on a full disk (ENOSPC)
        fd, name = real_mkstemp(*args, **kwargs)
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, fd)
        os.close(full)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", on_a_full_disk)
    error = one_line_error(invoke("train", "--data", gym_labels, "--out", out, "--folds", 2, "--seed", 1))
    assert "No space left on device" in error and str(out) in error
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


def test_the_default_model_is_retrained_when_the_shipped_data_changed(home, tmp_path, monkeypatch):
    # An upgrade ships new training data: the default model trained on the old data is
    # replaced on first use, and the user is told why; unchanged data reuses the model.
    import classifier.paths
    from classifier.model.store import get_model

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    pd.DataFrame(GYM, columns=["text", "labels"]).to_csv(shipped / "gym.csv", index=False)
    monkeypatch.setattr(classifier.paths, "shipped_data", lambda: shipped)
    said: list[str] = []
    first = get_model(None, on_train=said.append)
    assert len(said) == 1 and said[0].startswith("No default model")
    assert get_model(None, on_train=said.append).sha256 == first.sha256 and len(said) == 1
    pd.DataFrame(GYM + [("sauna too cold", "cleanliness")], columns=["text", "labels"]).to_csv(
        shipped / "gym.csv", index=False
    )
    retrained = get_model(None, on_train=said.append)
    assert len(said) == 2 and said[1].startswith("The shipped training data changed")
    assert retrained.sha256 != first.sha256
