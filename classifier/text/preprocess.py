"""Turn raw comments into normalised token strings: a scikit-learn transformer.

    "Ventet 45 min, ringte 912 34 567 - fikk IKKJE svar!"
    -> "vent <num> min ringt <phone> fikk ikke svar"

Steps, in order:
1. personal identifiers are masked (`privacy.mask`), then dates, times, amounts
   and other numbers become `<date>`, `<time>`, `<amount>`, `<num>`, so they are
   features without becoming vocabulary;
2. spaCy's blank Norwegian or Swedish tokenizer splits the text, in `nlp.pipe`
   batches per language family;
3. tokens are lower-cased, punctuation dropped, dialect and spelling variants of
   negations and pronouns folded ("ikkje", "itj" -> "ikke"; "int", "ej" -> "inte"),
   and a small stop-word list of our own removed. spaCy's lists are NOT used: they
   drop "ikke", "ingen", "tid", "saken", "igjen", "tilbake", "fikk", "inte", "bra";
4. each token is stemmed with the Snowball stemmer of its language (PyStemmer),
   or lemmatised with the Swedish lookup table of spacy-lookups-data
   (`lemmatize_sv=True`), or left as is (`stem=False`); the README's comparison
   says which measured best.
"""

from __future__ import annotations

import itertools
import re
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from . import language as lang_mod
from .privacy import PLACEHOLDERS, mask

# "45 min", "40 minuter", "3 ggr", "2 uker": the unit says more than the number, and
# one placeholder per unit makes "ventet 45 min" and "väntade 40 minuter" share a feature.
DURATION_UNITS = {
    "<minutes>": r"min(?:utt(?:er|ene)?|ut(?:er|erna)?|s)?",
    "<hours>": r"(?:timer?|timmar|timme|tim|t|h|hrs?|hours?)",
    "<days>": r"(?:dager|dagar|dag(?:en|ar)?|døgn|dygn|days?|dgr)",
    "<weeks>": r"(?:uker?|ukene|veckor|vecka|veckan|weeks?|mnd|måneder|månader|månad|måned)",
    "<times>": r"(?:ganger|gånger|gang|gång|ggr|gg|times)",
}
NUMBER_PLACEHOLDERS = ("<date>", "<time>", "<amount>", *DURATION_UNITS, "<num>")

# Folded before stop words and stemming, so a dialect spelling and the standard
# one share a feature. Negations are folded, never dropped.
# fmt: off
NORMALISE = {
    "no": {
        "ikkje": "ikke",
        "itj": "ikke",
        "ikk": "ikke",
        "ikek": "ikke",
        "ike": "ikke",
        "ikkeno": "ingenting",
        "inkje": "ingenting",
        "ingenteing": "ingenting",
        "aldrig": "aldri",
        "ingon": "ingen",
        "eg": "jeg",
        "æ": "jeg",
        "je": "jeg",
        "mæ": "meg",
        "dokker": "dere",
        "dykk": "dere",
        "dokk": "dere",
        "kva": "hva",
        "ka": "hva",
        "kor": "hvor",
        "korleis": "hvordan",
        "fekk": "fikk",
        "vart": "ble",
        "vert": "blir",
        "saka": "saken",
        "berre": "bare",
        "mykje": "mye",
        "noko": "noe",
        "nokon": "noen",
        "heilt": "helt",
        "svart": "svar",
        "kjempebra": "kjempe bra",
        "superbra": "super bra",
    },
    "sv": {
        "int": "inte",
        "ej": "inte",
        "inge": "inget",
        "aldrig": "aldrig",
        "nåt": "något",
        "nån": "någon",
        "mkt": "mycket",
        "dom": "de",
        "ba": "bara",
        "sen": "sedan",
        "iaf": "i alla fall",
        "jättebra": "jätte bra",
        "superbra": "super bra",
        "asså": "alltså",
        "ngn": "någon",
    },
    "en": {"dont": "don't", "didnt": "didn't", "cant": "can't", "wasnt": "wasn't", "isnt": "isn't"},
}
# fmt: on

# Function words only. Every word that can carry a cause or its polarity stays:
# negations (ikke, ingen, aldri, inte, inga, aldrig, not, no, never), time and
# repetition (tid, igjen, tilbake, gang, igen, tillbaka), degree (for, för, too).
# fmt: off
STOP_WORDS = {
    "no": set(
        [
            "og",
            "i",
            "på",
            "det",
            "den",
            "de",
            "en",
            "et",
            "ei",
            "å",
            "som",
            "til",
            "av",
            "at",
            "er",
            "var",
            "jeg",
            "meg",
            "min",
            "mitt",
            "mine",
            "du",
            "deg",
            "han",
            "hun",
            "vi",
            "oss",
            "seg",
            "sin",
            "sitt",
            "sine",
            "har",
            "hadde",
            "ha",
            "så",
            "om",
            "fra",
            "men",
            "da",
            "nå",
            "der",
            "her",
            "også",
            "eller",
            "dette",
            "denne",
            "disse",
            "med",
            "hos",
            "ved",
            "sånn",
            "the",
        ]
    ),
    "sv": set(
        [
            "och",
            "i",
            "på",
            "det",
            "den",
            "de",
            "en",
            "ett",
            "att",
            "som",
            "till",
            "av",
            "är",
            "var",
            "jag",
            "mig",
            "min",
            "mitt",
            "mina",
            "du",
            "dig",
            "han",
            "hon",
            "vi",
            "oss",
            "sig",
            "sin",
            "sitt",
            "sina",
            "har",
            "hade",
            "ha",
            "så",
            "om",
            "från",
            "men",
            "då",
            "nu",
            "där",
            "här",
            "också",
            "eller",
            "detta",
            "denna",
            "dessa",
            "med",
            "hos",
            "vid",
            "the",
        ]
    ),
    "en": set(
        [
            "the",
            "a",
            "an",
            "and",
            "of",
            "to",
            "in",
            "on",
            "at",
            "is",
            "was",
            "i",
            "me",
            "my",
            "you",
            "it",
            "this",
            "that",
            "for",
            "with",
            "as",
            "be",
            "are",
            "were",
            "have",
            "had",
        ]
    ),
}

# Negations are never stemmed ("ingen" would become "ing"): they stay whole words.
# fmt: on

# fmt: off
NEGATIONS = frozenset(
    [
        "ikke",
        "ingen",
        "ingenting",
        "intet",
        "aldri",
        "verken",
        "inte",
        "inget",
        "inga",
        "aldrig",
        "varken",
        "not",
        "no",
        "never",
        "nothing",
        "none",
    ]
)
# fmt: on

STEMMER_NAMES = {"no": "norwegian", "sv": "swedish", "en": "english"}
_SPACY_CODES = {"no": "nb", "sv": "sv", "en": "en"}

_DATE = re.compile(
    r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}\.\s?(?:jan|feb|mar|apr|mai|maj|jun|jul|aug|sep|okt|nov|des|dec)\w*)\b",
    re.I,
)
_TIME = re.compile(
    r"\b(?:kl\.?\s*\d{1,2}(?:[:.]\d{2})?|\d{1,2}:\d{2}|\d{1,2}\.\d{2}(?=\s*(?:i dag|idag|på|og|och|,|$)))", re.I
)
_AMOUNT = re.compile(
    r"(?:\b(?:kr|nok|sek)\.?\s*\d[\d .]*(?:,\d+)?(?:,-)?|\b\d[\d .]*(?:,\d+)?\s*(?:kr\b|kroner|kronor|nok\b|sek\b|,-|:-|€|euro))",
    re.I,
)
_DURATIONS = [
    (re.compile(r"\b\d+(?:[.,]\d+)?(?:\s*-\s*\d+)?\s*" + unit + r"\b", re.I), f" {ph} ")
    for ph, unit in DURATION_UNITS.items()
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_HAS_DIGIT = re.compile(r"\d")


def mask_numbers(text: str) -> str:
    """Dates, times, amounts and other numbers as placeholder tokens (identifiers first)."""
    if not _HAS_DIGIT.search(text):
        return text
    text = _DATE.sub(" <date> ", text)
    text = _TIME.sub(" <time> ", text)
    text = _AMOUNT.sub(" <amount> ", text)
    for pattern, placeholder in _DURATIONS:
        text = pattern.sub(placeholder, text)
    return _NUMBER.sub(" <num> ", text)


def mask_identifiers_as_words(text: str) -> str:
    """Identifiers masked (`privacy.mask`), each placeholder a word of its own."""
    text = mask(text)
    if "<" in text:  # most comments have no placeholder to space out
        for p in PLACEHOLDERS:
            text = text.replace(p, f" {p} ")
    return text


def mask_text(text: str) -> str:
    """Identifiers and numbers masked, with spaces around every placeholder."""
    return mask_numbers(mask_identifiers_as_words(text))


# What each whitespace-separated piece of masked text becomes (spaCy tokens, folded,
# reduced), per family and options: comments repeat words, so most pieces are
# tokenised once per process. Cleared past MAX_CACHED_SPANS, so memory stays flat.
_SPAN_CACHE: dict[tuple, dict[str, str]] = {}
MAX_CACHED_SPANS = 50_000

# spaCy keeps every string it has seen in its vocabulary, so a worker that reads
# millions of comments with fresh words (typos, names) grows without end. Past this
# many strings the blank tokenizer is rebuilt (about 50 ms): memory stays flat.
MAX_VOCAB_STRINGS = 50_000


def _fresh_tokenizer(family: str):
    nlp = _tokenizer(family)
    if len(nlp.vocab.strings) > MAX_VOCAB_STRINGS:
        _tokenizer.cache_clear()
        nlp = _tokenizer(family)
    return nlp


@cache
def _tokenizer(family: str):
    import spacy
    from spacy.symbols import ORTH

    nlp = spacy.blank(_SPACY_CODES[family])
    for p in PLACEHOLDERS + NUMBER_PLACEHOLDERS:
        nlp.tokenizer.add_special_case(p, [{ORTH: p}])  # type: ignore[union-attr]
    return nlp


@cache
def _special_cases(family: str) -> frozenset[str]:
    """The pieces spaCy's tokenizer has its own rule for (it may split them though they are letters only)."""
    return frozenset(_tokenizer(family).tokenizer.rules)


@cache
def _stemmer(family: str):
    import Stemmer

    return Stemmer.Stemmer(STEMMER_NAMES[family])


@lru_cache(maxsize=1)
def _swedish_lemmas():
    from spacy.lookups import load_lookups

    # A spaCy Table: keys are hashes, so look words up with .get(word, default).
    return load_lookups("sv", ["lemma_lookup"]).get_table("lemma_lookup")


class Preprocessor(BaseEstimator, TransformerMixin):
    """Raw comments in, one normalised token string per comment out.

    X is a sequence of strings, or a DataFrame with a `text` column and
    optionally a `language` column (as `Model.predict` passes it, so languages
    are detected once); without it the language is detected here.

    Parameters
    ----------
    stem : bool
        Snowball-stem every token (per language family).
    lemmatize_sv : bool
        Use spacy-lookups-data's Swedish lemma table instead of the stemmer for
        Swedish (falls back to the token itself when the table has no entry).
    per_language : bool
        Tokenise and stem each comment by its detected language family. False:
        one combined Scandinavian path (the Norwegian tokenizer and stemmer for all).
    mask_identifiers : bool
        Mask personal identifiers before anything else (keep True outside tests).
    numbers : bool
        Dates, times, amounts, durations and other numbers become placeholder tokens.
    fold : bool
        Fold dialect and spelling variants ("ikkje", "itj" -> "ikke").
    stop_words : bool
        Drop our own short list of function words.
    batch_size : int
        Batch size for spaCy's `nlp.pipe`.
    """

    def __init__(
        self,
        stem: bool = True,
        lemmatize_sv: bool = False,
        per_language: bool = True,
        mask_identifiers: bool = True,
        numbers: bool = True,
        fold: bool = True,
        stop_words: bool = True,
        batch_size: int = 1000,
    ):
        self.stem = stem
        self.lemmatize_sv = lemmatize_sv
        self.per_language = per_language
        self.mask_identifiers = mask_identifiers
        self.numbers = numbers
        self.fold = fold
        self.stop_words = stop_words
        self.batch_size = batch_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless: it learns nothing
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def fit(self, X, y=None):
        """Nothing to learn; returns self."""
        return self

    def get_feature_names_out(self, input_features=None):
        """One output: the normalised comment."""
        return np.array(["text"], dtype=object)

    def transform(self, X) -> np.ndarray:
        texts, languages = _texts_and_languages(X)
        families = [lang_mod.FAMILY.get(l, "no") for l in languages] if self.per_language else ["no"] * len(texts)
        out = np.empty(len(texts), dtype=object)
        masked: dict[str, str] = {}  # identical comments are masked once
        for family in ("no", "sv", "en"):
            rows = [i for i, f in enumerate(families) if f == family]
            if not rows:
                continue
            words = self._word_cache(family)
            pieces = []
            for i in rows:
                text = texts[i][:MAX_TEXT_CHARS]
                if text not in masked:
                    masked[text] = self._mask(text)
                pieces.append(masked[text].split())
            missing = [s for s in dict.fromkeys(itertools.chain.from_iterable(pieces)) if s not in words]
            if missing:
                self._add_spans(family, missing, words)
            for i, spans in zip(rows, pieces):
                out[i] = " ".join(filter(None, map(words.__getitem__, spans)))
        return out

    def _word_cache(self, family: str) -> dict[str, str]:
        """What each whitespace-separated piece of text becomes, for this family and these options."""
        key = (family, self.fold, self.stop_words, self.stem, self.lemmatize_sv)
        cache = _SPAN_CACHE.setdefault(key, {})
        if len(cache) > MAX_CACHED_SPANS:  # fresh words (typos, names) never stop coming
            cache.clear()
        return cache

    def _add_spans(self, family: str, spans: list[str], cache: dict[str, str]) -> None:
        # spaCy's tokenizer splits on whitespace first and tokenises each piece on its own,
        # so a piece comes out the same wherever it stands: it is tokenised once. A piece of
        # letters only is one token, its lower case, unless it is one of spaCy's special
        # cases ("hörru" -> "hörr", "u"); most pieces are, so spaCy sees only the rest.
        normalise = self._normaliser(family)
        special = _special_cases(family)
        words = [s for s in spans if s.isalpha() and s not in special]
        for word in words:
            cache[word] = normalise([word.lower()])
        rest = [s for s in spans if s not in cache]
        docs = _fresh_tokenizer(family).pipe(rest, batch_size=self.batch_size)
        for span, doc in zip(rest, docs):
            cache[span] = normalise([t.lower_ for t in doc if not (t.is_punct or t.is_space)])

    def _mask(self, text: str) -> str:
        if self.mask_identifiers:
            text = mask_identifiers_as_words(text)
        return mask_numbers(text) if self.numbers else text

    def _normaliser(self, family: str):
        folds = NORMALISE[family] if self.fold else {}
        stops = STOP_WORDS[family] if self.stop_words else set()
        placeholders = set(PLACEHOLDERS + NUMBER_PLACEHOLDERS)
        if self.lemmatize_sv and family == "sv":
            lemmas = _swedish_lemmas()
            reduce = lambda words: [lemmas.get(w, w) for w in words]
        elif self.stem:
            reduce = _stemmer(family).stemWords
        else:
            reduce = list

        def normalise(tokens: list[str]) -> str:
            words = []
            for tok in tokens:
                if tok in placeholders:
                    words.append(tok)
                    continue
                tok = tok.strip("'’`´\"")
                for w in folds.get(tok, tok).split():
                    if w and w not in stops:
                        words.append(w)
            # Placeholders and negations are kept whole; the other words are reduced.
            whole = [w in placeholders or w in NEGATIONS for w in words]
            reduced = iter(reduce([w for w, keep in zip(words, whole) if not keep]))
            return " ".join(w if keep else next(reduced) for w, keep in zip(words, whole))

        return normalise


# The model reads the first 20,000 characters of a comment (a survey answer is rarely 2,000):
# spaCy refuses texts over 1,000,000 and the masking regexes slow down on huge cells.
# The output keeps the comment whole.
MAX_TEXT_CHARS = 20_000


def _texts_and_languages(X) -> tuple[list[str], list[str]]:
    if isinstance(X, pd.DataFrame):
        texts = [t if isinstance(t, str) else "" for t in X["text"].tolist()]
        if "language" in X:
            return texts, X["language"].tolist()
        return texts, lang_mod.detect(texts)
    texts = [t if isinstance(t, str) else "" for t in X]
    return texts, lang_mod.detect(texts)
