"""The wheel installs and works outside the source checkout.

Builds the wheel, installs it into a fresh virtual environment, and runs `classify`
from another folder: the default model is trained from the training data inside
the package, and saved in the per-user models folder, never in site-packages.
The fresh environment borrows this environment's installed dependencies (a .pth
file) so the test needs no network; `.ci/run` also installs the wheel with its
dependencies from the package index.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pandas as pd
import pytest

from classifier.model.store import MODEL_FILE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kundeservice_nps_2026.csv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel, tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    # Without PYTHONPATH: a source checkout on it (its egg-info) would count as installed already.
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        env=clean,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies from this environment, after the fresh one's own site-packages.
    Path(purelib, "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env


def test_the_wheel_ships_the_training_data_and_codebook(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "classifier/training_data/codebook.csv" in names
    assert "classifier/text/known_words.npz" in names  # the language scores of common words
    assert sum(n.startswith("classifier/training_data/") and n.endswith(".csv") for n in names) >= 3
    assert {f"classifier/review/static/{name}" for name in ("index.html", "app.js", "style.css")} <= set(names)


def test_classify_predict_from_another_folder_trains_the_default_model_in_the_user_folder(fresh_env, tmp_path):
    workdir, models = tmp_path / "somewhere", tmp_path / "user-data" / "models"
    workdir.mkdir()
    env = {**os.environ, "CLASSIFY_MODELS": str(models)}
    env.pop("PYTHONPATH", None)
    out = workdir / "tagged.csv"
    result = subprocess.run(
        [str(fresh_env / "bin" / "classify"), "predict", str(EXAMPLE), "--out", str(out)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())  # the terminal may wrap the line anywhere
    assert re.search(r"training it on the [\d,]+ comments of the shipped data \(once, a few minutes", said), said
    site = subprocess.run(
        [
            str(fresh_env / "bin" / "python"),
            "-c",
            "import classifier, pathlib; print(pathlib.Path(classifier.__file__).parent)",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(fresh_env) in site, "the installed wheel, not the source checkout, must be imported"
    assert (models / "default" / MODEL_FILE).exists()
    assert not list(Path(site).rglob(MODEL_FILE)), "no model may be written into site-packages"
    tagged = pd.read_csv(out)
    assert len(tagged) == len(pd.read_csv(EXAMPLE, sep=";")) and tagged["model"].str.startswith("default@").all()
    listed = subprocess.run(
        [str(fresh_env / "bin" / "classify"), "models"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "default" in listed and "shipped training data" in listed
