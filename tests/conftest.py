"""Shared fixtures: a small model trained once per test session, and its saved folder.

The model is trained on every 5th comment of the shipped training data (about 650
comments, every label kept), without cross-validation, so it takes a few seconds.
Tests that run the CLI pass `--model <small_model_dir>`:

    from typer.testing import CliRunner
    from classifier.cli import app
    CliRunner().invoke(app, ["predict", str(f), "--model", str(small_model_dir)])
"""
from __future__ import annotations

import pytest

from classifier import load_labelled, train
from classifier.dataset import LabelledData
from classifier.model import DEFAULT_DATA, save_model


@pytest.fixture(scope="session")
def small_model():
    data = load_labelled(DEFAULT_DATA)
    keep = list(range(0, len(data), 5))
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
