"""A trained model: the pipeline, its codebook and card, and the decisions it makes.

`Model` owns every decision about a comment: the tuned thresholds (or argmax for a
single-label codebook), no label for empty and too-short comments, and the polarity
of each assigned label (when the model learnt polarity). The same
`Model.decide` serves `Model.predict` (a list or a DataFrame) and `classify predict`
(files in chunks), so the library and the command give the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .. import predictions
from ..errors import InputError
from ..text import language as lang_mod
from .codebook import Codebook
from .pipeline import DEFAULT_VARIANT
from .polarity import PolarityClassifier


@dataclass(frozen=True)
class ErrorRates:
    """How often the model finds a category that is there, and leaves out one that is not."""

    sensitivity: float  # P(predicted | present), the recall
    specificity: float  # P(not predicted | absent)


@dataclass
class Model:
    """A trained classifier: the pipeline, its label ids and codebook, and its card.

    `name` is the model's name in the model folder (`default`, `mine`, ...) and
    `sha256` the checksum of its saved file; both are empty for a model not saved yet.
    `polarity` is None for a model trained on bare ids (no `id:polarity` labels).
    """

    pipeline: Pipeline
    codebook: Codebook
    variant: str = DEFAULT_VARIANT
    seed: int = 0
    card: dict = field(default_factory=dict)
    name: str = ""
    sha256: str = ""
    polarity: PolarityClassifier | None = None

    @property
    def has_polarity(self) -> bool:
        return self.polarity is not None

    @property
    def labels(self) -> list[str]:
        return self.codebook.ids

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(self.labels, map(float, self.pipeline[-1].thresholds_)))

    @property
    def model_id(self) -> str:
        """What the outputs record: `name@sha256[:12]`, or `unsaved` for a model in memory."""
        return f"{self.name}@{self.sha256[:12]}" if self.name else "unsaved"

    def error_rates(self) -> dict[str, ErrorRates]:
        """Cross-validated sensitivity and specificity per label, from the model card (may be empty)."""
        return card_error_rates(self.card, self.labels)

    def probabilities(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> tuple[list[str], np.ndarray, np.ndarray | None]:
        """Languages, calibrated probabilities (n, k) and polarity probabilities (n, k, 3) for clean texts.

        The polarity probabilities (neg, pos, neu per category) are computed only where
        `decide` can assign the category (NaN elsewhere), and are None for a model without polarity.
        """
        languages = list(languages) if languages is not None else lang_mod.detect(texts)
        if not len(texts):
            empty_polarity = np.zeros((0, len(self.labels), 3)) if self.polarity is not None else None
            return languages, np.zeros((0, len(self.labels))), empty_polarity
        # Each distinct (comment, language) is scored once: survey answers repeat ("Bra", "Ok").
        distinct: dict[tuple[str, str], int] = {}
        rows = np.fromiter((distinct.setdefault(pair, len(distinct)) for pair in zip(texts, languages)), np.intp)
        X = pd.DataFrame({"text": [t for t, _ in distinct], "language": [lang for _, lang in distinct]})
        features = self.pipeline[:-1].transform(X)  # once, for the categories and their polarity
        proba = self.pipeline[-1].predict_proba(features)
        polarity = None
        if self.polarity is not None:
            # `decide` gives a label only where this does (it can only take labels away).
            polarity = self.polarity.predict_proba(features, where=self.pipeline[-1].decide(proba))[rows]
        return languages, proba[rows], polarity

    def decide(
        self, texts: Sequence[str], proba: np.ndarray, polarity_proba: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[str], predictions.Polarity | None]:
        """0/1 labels (n, k), a note per comment and the polarity of each assigned label.

        The only place labels and their polarities are decided. Empty and too-short
        comments get no label and a note saying why; the probabilities of empty
        comments are set to 0 in place (there is nothing to judge). An assigned label
        gets its most probable polarity; the polarity is None for a model without one.
        """
        notes = [unclassifiable_reason(t) for t in texts]
        proba[[note == predictions.NOTE_EMPTY for note in notes]] = 0.0
        decided = self.pipeline[-1].decide(proba)
        decided[np.array([bool(n) for n in notes], dtype=bool)] = 0
        if polarity_proba is None or self.polarity is None:
            return decided, notes, None
        best = polarity_proba.argmax(axis=2)
        assigned = decided.astype(bool)
        names = np.where(assigned, self.polarity.classes_[best], "").astype(object)
        probability = np.where(assigned, np.take_along_axis(polarity_proba, best[..., None], axis=2)[..., 0], np.nan)
        return decided, notes, predictions.Polarity(names, probability)

    def predict_arrays(self, texts, languages=None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Languages, probabilities (n, k) and 0/1 labels (n, k) for a list of texts.

        Empty comments get probability 0; empty and too-short comments get no label.
        """
        texts = clean_texts(texts)
        languages, proba, _ = self.probabilities(texts, languages)
        decided, _, _ = self.decide(texts, proba)
        return languages, proba, decided

    def predict(self, data, text_col: str | None = None, scores: pd.Series | None = None) -> pd.DataFrame:
        """Predictions for a list of texts or a DataFrame, in the predictions schema.

        A DataFrame keeps its columns; its comment column is `text_col`, or `text`,
        or found by its header as `classify predict` finds it (case-insensitively).
        With `scores` (0-10, aligned with the rows) the table gets `nps_score` and `nps_group`.

        >>> model.predict(["Ventet i 45 min og fikk ikke svar"])[["text", "labels"]]  # doctest: +SKIP
        """
        from ..files.columns import resolve_text_column

        if isinstance(data, pd.DataFrame):
            frame = data
            column = resolve_text_column(list(frame.columns), frame, text_col)
        else:
            column = text_col or "text"
            frame = pd.DataFrame({column: list(data)})
        texts = clean_texts(frame[column].tolist())
        languages, proba, polarity_proba = self.probabilities(texts)
        decided, notes, polarity = self.decide(texts, proba, polarity_proba)
        return predictions.wide(
            frame, languages, proba, decided, notes, self.labels, self.model_id, scores, polarity=polarity
        )


def card_error_rates(card: dict, labels: Sequence[str]) -> dict[str, ErrorRates]:
    """The sensitivity and specificity per label a model card records (empty without metrics)."""
    per_label = ((card.get("metrics") or {}).get("all") or {}).get("per_label", {})
    return {
        lab: ErrorRates(float(s["sensitivity"]), float(s["specificity"]))
        for lab, s in per_label.items()
        if lab in labels
    }


def clean_texts(values) -> list[str]:
    """Cells as comment strings: missing values (None, NaN) become ""."""
    return [v if isinstance(v, str) else ("" if v is None or v != v else str(v)) for v in values]


def unclassifiable_reason(text: str) -> str:
    """Why a comment gets no label before the model looks at it: empty, or no words."""
    if not text.strip():
        return predictions.NOTE_EMPTY
    if lang_mod.too_short(text):
        return predictions.NOTE_TOO_SHORT
    return ""


def check_codebook_match(model: Model, labels: Sequence[str], path=None) -> None:
    """InputError when labels the user brings are not all the model's."""
    unknown = sorted(set(labels) - set(model.labels))
    if unknown:
        raise InputError(f"has labels the model does not know: {', '.join(unknown)}", path=path)
