"""Shared fixtures: a small model trained once per test session, and its saved folder.

The model is trained on 4,000 comments spread evenly over the shipped training data
(every label kept), without cross-validation, so it takes a few seconds however much
data the package ships.
Tests that run the CLI pass `--model <small_model_dir>`:

    from typer.testing import CliRunner
    from classifier.cli import app
    CliRunner().invoke(app, ["predict", str(f), "--model", str(small_model_dir)])
"""

from __future__ import annotations

import pytest

from classifier import load_labelled, train
from classifier.model.dataset import LabelledData
from classifier.model.store import save_model
from classifier.paths import MODELS_ENV, shipped_data

DEFAULT_DATA = shipped_data()


def spread_rows(total: int, wanted: int) -> list[int]:
    """`wanted` row numbers spread evenly over `total` rows (all of them when there are fewer):
    test subsets of the shipped data stay the same size however much data the package ships."""
    return list(range(0, total, max(1, total // wanted)))[:wanted]


@pytest.fixture(scope="session")
def spread():
    """`spread(total, wanted)`: see `spread_rows`."""
    return spread_rows


@pytest.fixture(scope="session", autouse=True)
def models_home(tmp_path_factory):
    """Every test keeps its models in a fresh folder, never in the user's data folder."""
    home = tmp_path_factory.mktemp("models_home")
    patch = pytest.MonkeyPatch()
    patch.setenv(MODELS_ENV, str(home))
    yield home
    patch.undo()


@pytest.fixture(scope="session")
def small_model():
    data = load_labelled(DEFAULT_DATA)
    keep = spread_rows(len(data), 4000)
    subset = LabelledData(
        texts=[data.texts[i] for i in keep],
        labels=[data.labels[i] for i in keep],
        codebook=data.codebook,
        languages=[data.languages[i] for i in keep] if data.languages else None,
    )
    missing = set(data.codebook.ids) - {lab for labs in subset.labels for lab in labs}
    assert not missing, f"the subset lost labels: {missing}"
    return train(subset, seed=0, evaluate=False)


@pytest.fixture(scope="session")
def small_model_dir(small_model, tmp_path_factory):
    return save_model(small_model, tmp_path_factory.mktemp("small_model"))
