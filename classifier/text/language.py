"""Language of each comment: nb, nn, sv, da, en, or unknown.

lingua, restricted to the five languages a Nordic survey meets, scores each
distinct *word* once; a comment's language is the one its words together make
most likely (the sum of the words' log-confidences: naive Bayes over words).
lingua itself scores character n-grams inside words, so a comment's score is
close to the sum of its words' scores, and survey answers repeat words: a
worker meets a few thousand new words per 50,000 comments, where lingua per
comment had to read every comment whole (about 4x faster on 50,000 realistic
comments). It is as often right as lingua reading each comment whole: 0.917
both on tests/data/language_eval.csv (`python scripts/eval_language.py` prints
them side by side), 0.954 vs 0.953 on the held-apart test comments; lingua's
fast mode for long comments, used before, measured 0.908 on the labelled set.

lingua takes about 70 microseconds a word, and every worker process met the
same common words afresh. So the package ships lingua's scores for the words of
its training data (`known_words.npz`, about 24,000 words, written by
`python scripts/build_known_words.py`): only words outside it are sent to
lingua. They are lingua's own numbers, so the languages are the same with or
without them; they are used only with the lingua version that computed them.

Three-word comments are hard ("Bra service" is Norwegian, Swedish and Danish
alike). We tried leaning unsure comments towards the languages of the rest of
the file (a Bayes prior from its confident comments); it measured worse, so it
is not used. The language mostly decides how a comment is tokenised and which
dialect spellings are folded, and the classifier is trained on all languages
together, so a Norwegian "Bra" read as Swedish costs little.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from .wordtable import WordTable

LANGUAGES = ("nb", "nn", "sv", "da", "en")
UNKNOWN = "unknown"
# Which stemmer and tokenizer a language uses: Danish and Nynorsk are close enough
# to Bokmål for the Norwegian Snowball stemmer.
FAMILY = {"nb": "no", "nn": "no", "da": "no", "sv": "sv", "en": "en", UNKNOWN: "no"}

MIN_LETTERS = 2  # "-", "?", "10" → unknown below this
# Stops at the MIN_LETTERS-th letter instead of listing every letter of a long comment.
_ENOUGH_LETTERS = re.compile(r"[^\W\d_]" + r".*?[^\W\d_]" * (MIN_LETTERS - 1), re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+")  # letters only: lingua ignores digits and punctuation too
# Written Bokmål and Danish are close, and Danish is rare in Norwegian and Swedish
# surveys: Danish wins only when the words prefer it to Bokmål by this margin.
# Chosen on tests/data/language_eval.csv (0.1: 90.0% → 90.8% right, Danish recall kept).
DANISH_MARGIN = 0.1
MAX_CHARS = 1000  # the first 1,000 characters of a comment say enough
MAX_WORD_CHARS = 40  # a 150,000-character "word" is cut: lingua takes seconds on it
# lingua gives some words a confidence of 0 for a language ("ø" is never Swedish); one
# such word must weigh heavily, not veto the language outright against all other words.
FLOOR = 1e-3


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    global _BUILT_IN
    langs = [Language.BOKMAL, Language.NYNORSK, Language.SWEDISH, Language.DANISH, Language.ENGLISH]
    # Preloaded: the models (about 150 MB) are read once, here, so worker processes
    # forked after `preload()` share them instead of each reading its own.
    detector = LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()
    _BUILT_IN = os.getpid()
    return detector


def preload() -> None:
    """Read lingua's models and the known words now, before forking workers that will share them."""
    _detector()
    _word_table()


# The process that built the detector. lingua's parallel calls use a thread pool that a
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
    """An (n, 5) array of lingua's confidence values for whole texts, in the order of LANGUAGES."""
    out = np.zeros((len(texts), len(LANGUAGES)))
    if not texts:
        return out
    index = {code: i for i, code in enumerate(LANGUAGES)}
    for row, values in enumerate(_confidence_values(_detector(), texts)):
        for cv in values:
            out[row, index[_code(cv.language)]] = cv.value
    return out


def too_short(text: str) -> bool:
    """Fewer than MIN_LETTERS letters: "-", "10", "?" carry no language and no cause."""
    return _ENOUGH_LETTERS.search(text) is None


def word_scores(words: list[str]) -> np.ndarray:
    """Each word's log-confidence per language (n, 5), floored so that no word vetoes a language."""
    return np.log(np.maximum(confidences(words), FLOOR))


_WORDS = WordTable(word_scores, max_words=50_000)
KNOWN_WORDS = Path(__file__).with_name("known_words.npz")


def lingua_version() -> str:
    return metadata.version("lingua-language-detector")


@lru_cache(maxsize=1)
def _known_words() -> tuple[list[str], np.ndarray] | None:
    """The shipped words and their scores, if the installed lingua computed them for these languages."""
    if not KNOWN_WORDS.exists():
        return None
    with np.load(KNOWN_WORDS, allow_pickle=False) as saved:
        same_setup = (
            str(saved["lingua"]) == lingua_version()
            and tuple(saved["languages"].tolist()) == LANGUAGES
            and float(saved["floor"]) == FLOOR
        )
        # Another lingua may score words differently: then it is asked about every word.
        return (saved["words"].tolist(), saved["scores"]) if same_setup else None


def _word_table() -> WordTable:
    """The process's word table, knowing the shipped words from the start."""
    known = _known_words()
    if known is not None and not _WORDS.known_words:
        _WORDS.remember(*known)
    return _WORDS


def comment_words(text: str) -> list[str]:
    """The words lingua judges: letters only, lower-cased, each cut at MAX_WORD_CHARS."""
    words = _WORD.findall(text[:MAX_CHARS].lower())
    if words and max(map(len, words)) > MAX_WORD_CHARS:  # rare: cut only then, not word by word always
        words = [w[:MAX_WORD_CHARS] for w in words]
    return words


def detect(texts) -> list[str]:
    """Language codes for `texts` (empty, non-text or too short → "unknown")."""
    texts = ["" if not isinstance(t, str) else t for t in texts]
    if not texts:
        return []
    counts, rows = _word_table().count(list(map(comment_words, texts)))
    if rows is None:  # not a word in any comment
        return [UNKNOWN] * len(texts)
    scores = counts @ rows
    # The words' summed log-confidences, back as confidences that sum to 1 per comment.
    conf = np.exp(scores - scores.max(axis=1, keepdims=True))
    conf /= conf.sum(axis=1, keepdims=True)
    known = [counts.indptr[i + 1] > counts.indptr[i] and not too_short(t) for i, t in enumerate(texts)]
    return np.where(known, choose(conf), UNKNOWN).tolist()


def choose(conf: np.ndarray) -> np.ndarray:
    """The language of each row of (n, 5) confidences: the most confident, unless a narrow Danish win."""
    best = conf.argmax(axis=1)
    nb, da = LANGUAGES.index("nb"), LANGUAGES.index("da")
    best[(best == da) & (conf[:, da] - conf[:, nb] < DANISH_MARGIN)] = nb
    return np.array(LANGUAGES)[best]
