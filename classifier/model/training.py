"""Training a model, and cross-validating a variant without fitting a final model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ..text import language as lang_mod
from .card import model_card
from .dataset import LabelledData
from .metrics import cross_validate
from .model import Model
from .pipeline import DEFAULT_VARIANT, build_pipeline


def _prepared(data: LabelledData, variant: str, seed: int) -> tuple[Pipeline, list[str], np.ndarray]:
    """The untrained pipeline, the detected languages and the preprocessed texts.

    The Preprocessor learns nothing, so it runs once for cross-validation and the fit.
    """
    pipeline = build_pipeline(variant, seed)
    languages = lang_mod.detect(data.texts)
    Xp = pipeline[0].transform(pd.DataFrame({"text": data.texts, "language": languages}))
    return pipeline, languages, Xp


def cross_validated_metrics(
    data: LabelledData, *, variant: str = DEFAULT_VARIANT, seed: int = 0, folds: int = 5
) -> dict:
    """Out-of-fold metrics of a variant on labelled data, without fitting a final model."""
    pipeline, languages, Xp = _prepared(data, variant, seed)
    return cross_validate(pipeline, Xp, data.indicator(), data, languages, folds=folds, seed=seed)


def train(
    data: LabelledData, *, variant: str = DEFAULT_VARIANT, seed: int = 0, evaluate: bool = True, folds: int = 5
) -> Model:
    """Fit a model on labelled data; with `evaluate`, cross-validate it first for the card."""
    pipeline, languages, Xp = _prepared(data, variant, seed)
    Y = data.indicator()
    report = cross_validate(pipeline, Xp, Y, data, languages, folds=folds, seed=seed) if evaluate else None
    pipeline[1:].fit(Xp, Y)
    model = Model(pipeline, data.codebook, variant, seed)
    model.card = model_card(model, data, languages, report)
    return model
