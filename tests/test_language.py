from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.text.language import detect

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
    # Measured with scripts/eval_language.py: 0.908 overall, 0.856 on 1-4 words.
    df = pd.read_csv(EVAL, dtype=str, keep_default_na=False)
    right = np.array(detect(df["text"].tolist())) == df["lang"].to_numpy()
    short = (df["text"].str.split().str.len() <= 4).to_numpy()
    assert right.mean() >= 0.89
    assert right[short].mean() >= 0.83


def test_a_comment_seen_before_gets_the_same_language_and_the_cache_stays_bounded(monkeypatch):
    from classifier.text import language

    texts = ["Jag väntade länge i telefonkön", "Jeg ventet lenge i telefonkøen", "Bra service"]
    first = detect(texts)
    monkeypatch.setattr(language, "MAX_CACHED", 2)
    assert detect(texts * 2) == first * 2  # the third comment clears the cache: detected again, the same
    detect(["Helt nytt svar", "Ett annat svar"])
    assert len(language._CACHE) <= 2 + 2
