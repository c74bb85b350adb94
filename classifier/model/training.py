"""Training a model, and cross-validating a variant without fitting a final model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ..text import language as lang_mod
from .card import model_card
from .dataset import LabelledData
from .metrics import cross_validate, metrics
from .model import Model
from .pipeline import DEFAULT_VARIANT, build_pipeline
from .polarity import PolarityClassifier, polarity_codes


def _prepared(data: LabelledData, variant: str, seed: int) -> tuple[Pipeline, list[str], np.ndarray]:
    """The untrained pipeline, the detected languages and the preprocessed texts.

    The Preprocessor learns nothing, so it runs once for cross-validation and the fit.
    """
    pipeline = build_pipeline(variant, seed)
    languages = lang_mod.detect(data.texts)
    Xp = pipeline[0].transform(pd.DataFrame({"text": data.texts, "language": languages}))
    return pipeline, languages, Xp


def cross_validated_metrics(
    data: LabelledData,
    *,
    variant: str = DEFAULT_VARIANT,
    seed: int = 0,
    folds: int = 5,
    on_progress: Callable[[int], None] | None = None,
) -> dict:
    """Out-of-fold metrics of a variant on labelled data, without fitting a final model.

    `on_progress(1)` is called after the preprocessing and after each fold: `folds + 1` steps.
    """
    pipeline, languages, Xp = _prepared(data, variant, seed)
    if on_progress:
        on_progress(1)
    codes = polarity_codes(data.polarities or [], data.codebook.ids)
    return cross_validate(
        pipeline,
        Xp,
        data.indicator(),
        data,
        languages,
        folds=folds,
        seed=seed,
        polarity=None if codes is None else PolarityClassifier(random_state=seed),
        polarity_codes=codes,
        on_progress=on_progress,
    )


def training_steps(evaluate: bool, folds: int) -> int:
    """How many times `train` calls `on_progress`: preprocessing, each fold, the final fit."""
    return 1 + (folds if evaluate else 0) + 1


def train(
    data: LabelledData,
    *,
    variant: str = DEFAULT_VARIANT,
    seed: int = 0,
    evaluate: bool = True,
    folds: int = 5,
    on_progress: Callable[[int], None] | None = None,
) -> Model:
    """Fit a model on labelled data, with metrics for its card.

    With `evaluate`, the whole pipeline is cross-validated first (honest, and six times the
    work). Without it, the card gets the quick estimate from the out-of-fold predictions the
    classifier makes anyway to calibrate itself (its thresholds are tuned on those same
    predictions, so the estimate is slightly optimistic); `classify predict` trains the
    default model on first use that way. `on_progress(1)` follows each of
    `training_steps(evaluate, folds)` steps.

    Labels with polarities (`id:neg`, ...) also give the model a polarity classifier
    over the same features (cross-validated too with `evaluate`); bare ids give none.
    """
    step = on_progress or (lambda n: None)
    pipeline, languages, Xp = _prepared(data, variant, seed)
    step(1)
    Y = data.indicator()
    codes = polarity_codes(data.polarities or [], data.codebook.ids)
    polarity = None if codes is None else PolarityClassifier(random_state=seed)
    report = (
        cross_validate(
            pipeline,
            Xp,
            Y,
            data,
            languages,
            folds=folds,
            seed=seed,
            polarity=polarity,
            polarity_codes=codes,
            on_progress=on_progress,
        )
        if evaluate
        else None
    )
    features = pipeline[1].fit_transform(Xp)  # what pipeline[1:].fit does, keeping the features
    pipeline[2].fit(features, Y)
    if polarity is not None:
        polarity.fit(features, codes)
    step(1)
    if report is None:
        clf = pipeline[-1]
        report = metrics(Y, clf.decide(clf.oof_proba_), data.codebook.ids, data.languages or languages)
        report["method"] = (
            f"out-of-fold predictions of the classifier's own {clf.cv}-fold calibration "
            "(thresholds tuned on the same predictions: slightly optimistic)"
        )
    model = Model(pipeline, data.codebook, variant, seed, polarity=polarity)
    model.card = model_card(model, data, languages, report)
    return model
