"""Training on a user's own labels works and compares well: real external data.

Uses ../shared/external (Norwegian NoReC sentence sentiment, Swedish review
sentiment) by path and is skipped where it is absent. Trains on part of each
train split to stay fast; `scripts/bench_external.py` runs the full splits.
"""

from pathlib import Path

import pytest

from classifier import load_labelled, train
from classifier.model.dataset import LabelledData

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "external"


def head(data: LabelledData, n: int) -> LabelledData:
    return LabelledData(data.texts[:n], data.labels[:n], data.codebook)


def macro_f1(model, test) -> float:
    from classifier.model.metrics import metrics

    _, _, decided = model.predict_arrays(test.texts)
    return metrics(test.indicator(model.labels), decided, model.labels, ["x"] * len(test))["all"]["macro"]["f1"]


@pytest.mark.parametrize(
    "name, n_train, minimum",
    [
        # Published char TF-IDF + LR on the full NoReC train split: macro-F1 52.9.
        ("norec_sentence_3class", 4000, 0.45),
        # Shared baseline on the full Swedish split: 93.8.
        ("swedish_sentiment_timpal0l", 2500, 0.85),
    ],
)
def test_training_on_external_labels(name, n_train, minimum):
    folder = EXTERNAL / name
    if not (folder / "train.csv").exists():
        pytest.skip(f"{folder} is not available")
    data = load_labelled(folder / "train.csv", label_col="label")
    test = load_labelled(folder / "test.csv", label_col="label", codebook=data.codebook)
    model = train(head(data, n_train), evaluate=False)
    assert model.pipeline[-1].exclusive_  # one sentiment per sentence: argmax
    assert macro_f1(model, test) >= minimum
