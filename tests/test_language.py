from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.text.language import detect
from classifier.text.wordtable import WordTable

EVAL = Path(__file__).parent / "data" / "language_eval.csv"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Jeg ventet i over en time i telefonkøen før noen svarte meg", "nb"),
        ("Eg fekk ikkje svar på spørsmålet mitt, og ingen ringde tilbake", "nn"),
        ("Jag väntade länge i telefonkön men personalen var trevlig", "sv"),
        ("Jeg har ventet længe og ingen har ringet mig tilbage endnu", "da"),
        ("The agent was very helpful and solved my problem quickly", "en"),
    ],
)
def test_clear_comments(text, lang):
    assert detect([text]) == [lang]


@pytest.mark.parametrize("text", ["", "   ", "-", "10", "?", None, 5])
def test_empty_or_too_short_is_unknown(text):
    assert detect([text]) == ["unknown"]


def test_accuracy_on_the_labelled_short_and_long_set_does_not_regress():
    # Measured with scripts/eval_language.py: 0.917 overall, 0.850 on 1-4 words.
    df = pd.read_csv(EVAL, dtype=str, keep_default_na=False)
    right = np.array(detect(df["text"].tolist())) == df["lang"].to_numpy()
    short = (df["text"].str.split().str.len() <= 4).to_numpy()
    assert right.mean() >= 0.90
    assert right[short].mean() >= 0.83


def test_a_comment_gets_the_same_language_alone_or_in_a_batch():
    texts = ["Jag väntade länge i telefonkön", "Jeg ventet lenge i telefonkøen", "Bra service", "-"]
    assert detect(texts) == [detect([t])[0] for t in texts]


def test_one_word_that_lingua_rules_out_for_a_language_does_not_veto_it():
    # "kø" is never Swedish to lingua; the rest of the comment still decides.
    assert detect(["Jag väntade länge i telefonkön och fick aldrig något svar, usch vilken kø"]) == ["sv"]


def test_the_word_scores_stay_bounded_and_a_cleared_cache_gives_the_same_languages(monkeypatch):
    from classifier.text import language

    texts = ["Jag väntade länge i telefonkön", "Jeg ventet lenge i telefonkøen", "Bra service"]
    first = detect(texts)
    monkeypatch.setattr(language, "_WORDS", WordTable(language.word_scores, max_words=3))
    assert detect(texts) == first  # more than 3 new words: cleared at the next call
    detect(["Helt nytt svar", "Ett annat svar"])
    assert len(language._WORDS.index) - language._WORDS.known_words <= 3 + 6  # the shipped words stay
    assert detect(texts) == first


def test_a_huge_one_word_cell_is_detected_quickly_and_as_unknown_or_a_language():
    assert detect(["a" * 150_000])[0] in {"unknown", "nb", "nn", "sv", "da", "en"}


def test_the_shipped_word_scores_are_linguas_own_for_the_installed_lingua():
    # If this fails after a lingua upgrade: python scripts/build_known_words.py
    from classifier.text import language

    with np.load(language.KNOWN_WORDS, allow_pickle=False) as saved:
        assert str(saved["lingua"]) == language.lingua_version()
        words, scores = saved["words"].tolist(), saved["scores"]
    sample = list(range(0, len(words), max(1, len(words) // 300)))
    fresh = language.word_scores([words[i] for i in sample])
    np.testing.assert_allclose(fresh, scores[sample], rtol=0, atol=1e-9)
    assert language._word_table().known_words == len(words)


def test_languages_are_the_same_with_or_without_the_shipped_word_scores(monkeypatch):
    from classifier.text import language

    eval_set = pd.read_csv(EVAL)
    with_table = detect(eval_set["text"].tolist())
    monkeypatch.setattr(language, "_known_words", lambda: None)
    monkeypatch.setattr(language, "_WORDS", WordTable(language.word_scores, max_words=50_000))
    assert language._word_table().known_words == 0
    assert detect(eval_set["text"].tolist()) == with_table


def test_the_shipped_word_scores_cover_exactly_the_words_of_the_shipped_training_data():
    # If this fails after the training data changed: python scripts/build_known_words.py
    from classifier.model.dataset import load_labelled
    from classifier.paths import shipped_data
    from classifier.text import language

    data = load_labelled(shipped_data(), check=False)
    words = {word for text in data.texts for word in language.comment_words(text)}
    with np.load(language.KNOWN_WORDS, allow_pickle=False) as saved:
        assert set(saved["words"].tolist()) == words
