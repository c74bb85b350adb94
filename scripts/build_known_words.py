"""Write classifier/text/known_words.npz: lingua's scores of the words of the shipped training data.

    python scripts/build_known_words.py            # after the training data or lingua changed
    python scripts/build_known_words.py --check    # exit 1 if the shipped file is out of date

Language detection scores each distinct word once (classifier/text/language.py).
With this table a process starts out knowing the words survey answers use most,
so lingua (about 70 microseconds a word) is asked only about the others. The
table holds lingua's own numbers: detection gives the same languages with or
without it (tests/test_language.py checks both). It is used only with the lingua
version recorded in it; `tests/test_language.py` fails when the installed lingua
differs, so the file is rebuilt rather than silently ignored.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from classifier.model.dataset import load_labelled
from classifier.paths import shipped_data
from classifier.text import language


def known_words() -> list[str]:
    """The distinct words (as language detection cuts them) of the shipped training comments, sorted."""
    data = load_labelled(shipped_data(), check=False)
    return sorted({word for text in data.texts for word in language.comment_words(text)})


def build() -> dict[str, np.ndarray]:
    words = known_words()
    return {
        "words": np.array(words, dtype=str),
        "scores": language.word_scores(words),
        "languages": np.array(language.LANGUAGES, dtype=str),
        "lingua": np.array(language.lingua_version()),
        "floor": np.array(language.FLOOR),
    }


def up_to_date(table: dict[str, np.ndarray]) -> bool:
    """The same words, languages and lingua, and the same scores but for float noise.

    lingua's confidences differ in the 14th digit from one process to the next (the
    order it adds numbers in is not fixed), so the scores are compared with a tolerance.
    """
    if not language.KNOWN_WORDS.exists():
        return False
    with np.load(language.KNOWN_WORDS, allow_pickle=False) as saved:
        if set(saved.files) != set(table):
            return False
        same = [np.array_equal(saved[k], v) for k, v in table.items() if k != "scores"]
        return all(same) and np.allclose(saved["scores"], table["scores"], rtol=0, atol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether the shipped file is up to date")
    args = parser.parse_args()
    table = build()
    if args.check:
        ok = up_to_date(table)
        print(f"{language.KNOWN_WORDS.name}: {'up to date' if ok else 'out of date'} ({len(table['words']):,} words)")
        sys.exit(0 if ok else 1)
    np.savez_compressed(language.KNOWN_WORDS, **table)
    size_mb = language.KNOWN_WORDS.stat().st_size / 1e6
    print(f"wrote {language.KNOWN_WORDS} ({len(table['words']):,} words, lingua {table['lingua']}, {size_mb:.1f} MB)")


if __name__ == "__main__":
    main()
