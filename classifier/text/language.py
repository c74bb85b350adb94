"""Language of each comment: nb, nn, sv, da, en, or unknown.

lingua, restricted to the five languages a Nordic survey meets, decides each
comment on its own. Three-word comments are hard ("Bra service" is Norwegian,
Swedish and Danish alike): `scripts/eval_language.py` measures 86% right on
comments of 1-4 words and 96% on longer ones. We tried leaning unsure comments
towards the languages of the rest of the file (a Bayes prior from its confident
comments); it measured worse, so it is not used. The language mostly decides
which stemmer a comment gets, and the classifier is trained on all languages
together, so a Norwegian "Bra" read as Swedish costs little.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

import numpy as np

LANGUAGES = ("nb", "nn", "sv", "da", "en")
UNKNOWN = "unknown"
# Which stemmer and tokenizer a language uses: Danish and Nynorsk are close enough
# to Bokmål for the Norwegian Snowball stemmer.
FAMILY = {"nb": "no", "nn": "no", "da": "no", "sv": "sv", "en": "en", UNKNOWN: "no"}

MIN_LETTERS = 2  # "-", "?", "10" → unknown below this
# Stops at the MIN_LETTERS-th letter instead of listing every letter of a long comment.
_ENOUGH_LETTERS = re.compile(r"[^\W\d_]" + r".*?[^\W\d_]" * (MIN_LETTERS - 1), re.DOTALL)
# Written Bokmål and Danish are close, and Danish is rare in Norwegian and Swedish
# surveys: Danish wins only when lingua prefers it to Bokmål by this margin.
# Chosen on tests/data/language_eval.csv (0.1: 90.0% → 90.8% right, Danish recall kept).
DANISH_MARGIN = 0.1
MAX_CHARS = 1000


LONG_WORDS = 8  # from this many words on, lingua's fast low-accuracy mode is used


@lru_cache(maxsize=2)
def _detector(high_accuracy: bool = True):
    from lingua import Language, LanguageDetectorBuilder

    global _BUILT_IN
    langs = [Language.BOKMAL, Language.NYNORSK, Language.SWEDISH, Language.DANISH, Language.ENGLISH]
    # Preloaded: the models (about 150 MB, shared by both modes) are read once, here,
    # so worker processes forked after `preload()` share them instead of each reading its own.
    builder = LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models()
    if not high_accuracy:
        # Trigram models only: about 5x faster, and as good once a text has several words.
        builder = builder.with_low_accuracy_mode()
    _BUILT_IN = os.getpid()
    return builder.build()


def preload() -> None:
    """Read lingua's models now, before forking workers that will share them."""
    _detector(True)
    _detector(False)


# The process that built the detectors. lingua's parallel calls use a thread pool that a
# forked child inherits without its threads (a call there never returns), so a forked
# worker detects text by text on its own single thread, which is what a worker should do anyway.
_BUILT_IN: int | None = None


def _confidence_values(detector, texts: list[str]):
    if os.getpid() == _BUILT_IN:
        return detector.compute_language_confidence_values_in_parallel(texts)
    return [detector.compute_language_confidence_values(text) for text in texts]


def _code(language) -> str:
    return {"BOKMAL": "nb", "NYNORSK": "nn", "SWEDISH": "sv", "DANISH": "da", "ENGLISH": "en"}[language.name]


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
        results = _confidence_values(detector, [texts[i] for i in rows])
        for row, values in zip(rows, results):
            for cv in values:
                out[row, index[_code(cv.language)]] = cv.value
    return out


def _decide(conf: np.ndarray) -> str:
    lang = LANGUAGES[int(np.argmax(conf))]
    nb, da = LANGUAGES.index("nb"), LANGUAGES.index("da")
    if lang == "da" and conf[da] - conf[nb] < DANISH_MARGIN:
        return "nb"
    return lang


def _key(text: str) -> str:
    return text.strip().lower()[:MAX_CHARS]


def too_short(text: str) -> bool:
    """Fewer than MIN_LETTERS letters: "-", "10", "?" carry no language and no cause."""
    return _ENOUGH_LETTERS.search(text) is None


def detect(texts) -> list[str]:
    """Language codes for `texts` (empty, non-text or too short → "unknown")."""
    texts = ["" if not isinstance(t, str) else t for t in texts]
    result = [UNKNOWN] * len(texts)
    todo = [i for i, t in enumerate(texts) if not too_short(t)]
    if not todo:
        return result
    # Identical comments ("Bra", "Ok") are detected once per process; the first MAX_CHARS
    # say enough (lingua takes seconds on a 150,000-character "word").
    if len(_CACHE) > MAX_CACHED:
        _CACHE.clear()
    keys = [_key(texts[i]) for i in todo]
    new = [k for k in dict.fromkeys(keys) if k not in _CACHE]
    if new:
        _CACHE.update((t, _decide(c)) for t, c in zip(new, confidences(new)))
    for i, key in zip(todo, keys):
        result[i] = _CACHE[key]
    return result


# The language of each comment seen in this process (survey answers repeat: "Bra", "Ok",
# "Lang ventetid"); cleared past MAX_CACHED, so memory stays flat on endless fresh text.
_CACHE: dict[str, str] = {}
MAX_CACHED = 20_000
