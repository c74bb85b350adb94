"""Preprocessing: what the model sees of a comment."""

import pickle

import pandas as pd
import pytest
from sklearn.base import clone

from classifier.text.preprocess import Preprocessor, mask_numbers, mask_text


def tokens(text, **options):
    return Preprocessor(**options).transform([text])[0].split()


@pytest.mark.parametrize(
    "text, negation",
    [
        ("Fikk ikke svar", "ikke"),
        ("eg fekk ikkje hjelp", "ikke"),  # Nynorsk/dialect folded onto "ikke"
        ("itj no svar", "ikke"),
        ("Ingen ringte tilbake", "ingen"),  # never stemmed (Snowball would give "ing")
        ("De ringde aldrig tillbaka", "aldrig"),
        ("Jag fick inte hjälp", "inte"),
        ("fick ej svar", "inte"),
    ],
)
def test_negations_are_kept_whole_and_folded(text, negation):
    assert negation in tokens(text)


@pytest.mark.parametrize("word", ["tid", "igjen", "tilbake", "fikk", "saken", "kontakt", "første"])
def test_words_spacy_calls_stop_words_are_kept(word):
    # spaCy's Norwegian stop-word list drops these; they carry causes here.
    out = tokens(f"det tok {word}", stem=False)
    assert word in out


def test_function_words_are_dropped():
    assert tokens("jeg og du i det", stem=False) == []


def test_compounds_share_character_ngrams_through_stemming():
    assert tokens("ventetiden")[0] == tokens("ventetid")[0] == "ventetid"
    assert tokens("Väntetiden var lång", stem=True)[0] == "väntetid"


def test_numbers_times_amounts_and_units_become_placeholders():
    assert mask_numbers("betalte 1 250 kr").split()[-1] == "<amount>"
    out = tokens("Ventet 45 min, ringte kl 14:22 den 03.10.2024, 3 ggr, betalte 450 kr")
    for placeholder in ["<minutes>", "<time>", "<date>", "<times>", "<amount>"]:
        assert placeholder in out
    assert not any(ch.isdigit() for tok in out for ch in tok if not tok.startswith("<"))


def test_identifiers_are_masked_before_tokenising():
    text = "ring 912 34 567 eller mail kari.nordmann@example.no, saksnr 2024-118822"
    out = tokens(text)
    assert {"<phone>", "<email>", "<case>"} <= set(out)
    assert "kari.nordmann@example.no" not in " ".join(out)
    assert "<phone>" in mask_text(text)


def test_language_decides_the_stemmer():
    import pandas as pd

    X = pd.DataFrame({"text": ["handläggaren", "handläggaren"], "language": ["sv", "nb"]})
    sv, nb = Preprocessor().transform(X)
    assert sv == "handlägg" and nb != sv


def test_swedish_lemma_table_variant():
    import pandas as pd

    X = pd.DataFrame({"text": ["väntetiden"], "language": ["sv"]})
    assert Preprocessor(lemmatize_sv=True).transform(X)[0] == "väntetid"


def test_empty_and_missing_comments_give_empty_strings():
    assert list(Preprocessor().transform(["", None, "   "])) == ["", "", ""]


def test_is_a_clonable_picklable_transformer():
    prep = Preprocessor(stem=False, batch_size=10)
    assert clone(prep).get_params() == prep.get_params()
    again = pickle.loads(pickle.dumps(prep))
    assert list(again.transform(["Bra service"])) == list(prep.transform(["Bra service"]))


def test_spacy_vocabulary_stays_bounded_on_endless_fresh_words(monkeypatch):
    # Long runs see millions of new words; the tokenizer is rebuilt past a bound.
    from classifier.text import preprocess

    monkeypatch.setattr(preprocess, "MAX_VOCAB_STRINGS", 500)
    prep = Preprocessor()

    def word(i):  # letters only: digits would become <num>
        return "ord" + "".join("abcdefghij"[int(d)] for d in str(i))

    def batch(start):
        return [f"ventet {word(i)} lenge" for i in range(start, start + 2000)]

    first = prep.transform(batch(0))
    for start in (2000, 4000, 6000):  # 6,000 fresh words after the first batch
        prep.transform(batch(start))
    assert len(preprocess._tokenizer("no").vocab.strings) < 4000  # without rebuilding: > 8,000
    assert list(prep.transform(batch(0))) == list(first)  # rebuilding changes nothing seen


@pytest.mark.parametrize("family", ["no", "sv", "en"])
def test_piece_by_piece_tokenising_gives_what_spacy_gives_on_the_whole_comment(family):
    # The transform tokenises each distinct whitespace-separated piece once and caches it;
    # the result must be spaCy's tokens of the whole masked comment, normalised.
    import pandas as pd

    from classifier.text import preprocess

    texts = [
        "Ventet 45 min, ringte kl 14:22 - fikk IKKJE svar!!!",
        "«Bra» service... men (ikke) løst; e-post: kari@example.no,takk",
        "U.S.A. osv. bl.a. t.ex. f.eks. it's fine, dont",
        "\u00a0ikke\u2009svar\n\nbra “ja”—nei",
    ]
    for options in ({"stem": False, "stop_words": False}, {}):
        prep = Preprocessor(**options)
        normalise = prep._normaliser(family)
        expected = [
            normalise(
                [t.lower_ for t in preprocess._tokenizer(family)(prep._mask(text)) if not (t.is_punct or t.is_space)]
            )
            for text in texts
        ]
        X = pd.DataFrame({"text": texts, "language": [{"no": "nb"}.get(family, family)] * len(texts)})
        assert list(prep.transform(X)) == expected
        assert list(prep.transform(X)) == expected  # again, from the cache


def test_words_of_letters_skip_spacy_and_come_out_as_spacy_would_make_them(monkeypatch):
    # Pieces of letters only are not sent to spaCy (most words of a survey are); spaCy's
    # own special cases ("hörru" is "hörr" + "u", English "cant" is "ca" + "nt") still are.
    import classifier.text.preprocess as pp

    texts = ["Hörru, ventetiden var LANG!", "cant reach anyone, id like help", "naïve café Straße ΑΒΓ", "Fixaru det?"]
    X = pd.DataFrame({"text": texts, "language": ["sv", "en", "nb", "sv"]})
    fast = Preprocessor(stem=False, stop_words=False).transform(X)

    def through_spacy(self, family, spans, cache):
        normalise = self._normaliser(family)
        for span, doc in zip(spans, pp._fresh_tokenizer(family).pipe(spans)):
            cache[span] = normalise([t.lower_ for t in doc if not (t.is_punct or t.is_space)])

    monkeypatch.setattr(pp, "_SPAN_CACHE", {})
    monkeypatch.setattr(pp.Preprocessor, "_add_spans", through_spacy)
    assert list(fast) == list(Preprocessor(stem=False, stop_words=False).transform(X))
    assert fast[0].split()[:2] == ["hörr", "u"]
