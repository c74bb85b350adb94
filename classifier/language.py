"""Language of each comment: nb, nn, sv, da, en, or unknown.

Three-word comments are hard: "Bra service" is Norwegian, Swedish, Danish and
nearly English. lingua's confidence values for such a comment are close to
flat, so on their own they pick almost at random. A survey file, though, is
mostly in one or two languages, and its longer comments say which. We therefore
multiply each comment's confidences by a prior learnt from the file's own
confident comments (a simple Bayes update); long comments keep their own
verdict, short ones lean towards the languages of the file. The accuracy with
and without the prior is measured by `scripts/eval_language.py`.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

LANGUAGES = ("nb", "nn", "sv", "da", "en")
UNKNOWN = "unknown"
# Which stemmer and tokenizer a language uses: Danish and Nynorsk are close enough
# to Bokmål for the Norwegian Snowball stemmer.
FAMILY = {"nb": "no", "nn": "no", "da": "no", "sv": "sv", "en": "en", UNKNOWN: "no"}

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 2          # "-", "?", "10", "ok" → unknown below this
CONFIDENT = 0.6          # top confidence above which a comment informs the file prior
PRIOR_WEIGHT = 1.0       # exponent of the prior in the Bayes update


LONG_WORDS = 8           # from this many words on, lingua's fast low-accuracy mode is used


@lru_cache(maxsize=2)
def _detector(high_accuracy: bool = True):
    from lingua import Language, LanguageDetectorBuilder

    langs = [Language.BOKMAL, Language.NYNORSK, Language.SWEDISH, Language.DANISH, Language.ENGLISH]
    builder = LanguageDetectorBuilder.from_languages(*langs)
    if not high_accuracy:
        # Trigram models only: about 5x faster, and as good once a text has several words.
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def _code(language) -> str:
    return {"BOKMAL": "nb", "NYNORSK": "nn", "SWEDISH": "sv", "DANISH": "da",
            "ENGLISH": "en"}[language.name]


def confidences(texts: list[str]) -> np.ndarray:
    """An (n, 5) array of lingua's confidence values in the order of LANGUAGES."""
    out = np.zeros((len(texts), len(LANGUAGES)))
    if not texts:
        return out
    index = {code: i for i, code in enumerate(LANGUAGES)}
    long = np.array([len(t.split()) >= LONG_WORDS for t in texts])
    for high_accuracy, rows in ((True, np.flatnonzero(~long)), (False, np.flatnonzero(long))):
        if len(rows) == 0:
            continue
        detector = _detector(high_accuracy)
        results = detector.compute_language_confidence_values_in_parallel([texts[i] for i in rows])
        for row, values in zip(rows, results):
            for cv in values:
                out[row, index[_code(cv.language)]] = cv.value
    return out


def file_prior(conf: np.ndarray, pseudo_count: float = 1.0) -> np.ndarray:
    """Language shares among the confidently detected comments, smoothed."""
    if conf.size == 0:
        return np.full(len(LANGUAGES), 1 / len(LANGUAGES))
    sure = conf.max(axis=1) >= CONFIDENT
    counts = np.bincount(conf[sure].argmax(axis=1), minlength=len(LANGUAGES)).astype(float)
    counts += pseudo_count
    return counts / counts.sum()


def detect(texts, *, use_prior: bool = True, prior: np.ndarray | None = None) -> list[str]:
    """Language codes for `texts` (empty, non-text or too short → "unknown").

    With `use_prior`, unsure comments lean towards the languages of the
    confident comments in the same batch (or towards `prior` if given).
    """
    texts = ["" if not isinstance(t, str) else t for t in texts]
    result = [UNKNOWN] * len(texts)
    todo = [i for i, t in enumerate(texts) if len(_LETTERS.findall(t)) >= MIN_LETTERS]
    if not todo:
        return result
    # Identical comments ("Bra", "Ok") are detected once.
    unique = list(dict.fromkeys(texts[i].strip().lower() for i in todo))
    conf = confidences(unique)
    if use_prior:
        weights = prior if prior is not None else file_prior(conf)
        conf = conf * weights ** PRIOR_WEIGHT
    best = {t: LANGUAGES[int(np.argmax(c))] for t, c in zip(unique, conf)}
    for i in todo:
        result[i] = best[texts[i].strip().lower()]
    return result
