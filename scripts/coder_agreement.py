"""How far two coders agree on the held-apart test set: the ceiling for any model.

    python scripts/coder_agreement.py

`evaluation/second_coder_{nb,sv}.csv` hold the same comments as `test_{nb,sv}.csv`,
labelled a second time by a coder who saw only the codebook and the comments (not the
first coder's labels, the training data or any brief of theirs). The first coder's
labels are the reference, as in `classify evaluate`, so the table reads like a model's:
a model whose test micro-F1 approaches the coders' agreement is as good as a second coder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from compare_variants import EVALUATION, test_sets

from classifier import load_labelled
from classifier.model.codebook import load_codebook
from classifier.model.dataset import POLARITIES
from classifier.model.metrics import add_polarity_scores, format_report, metrics
from classifier.model.polarity import NO_POLARITY, polarity_codes
from classifier.paths import shipped_data


def main() -> None:
    codebook = load_codebook(shipped_data() / "codebook.csv")
    labels = codebook.ids
    for family, first in test_sets(codebook).items():
        second = load_labelled(EVALUATION / f"second_coder_{family}.csv", codebook=codebook)
        if second.texts != first.texts:
            sys.exit(f"second_coder_{family}.csv: its comments differ from test_{family}.csv")
        codes = polarity_codes(second.polarities or [], labels)
        if codes is None:
            sys.exit(f"second_coder_{family}.csv: no mention has a polarity")
        names = np.where(codes == NO_POLARITY, "", np.asarray(POLARITIES, dtype=object)[codes])
        report = metrics(first.indicator(labels), second.indicator(labels), labels, first.languages or [])
        add_polarity_scores(report, first.polarities or [], names, labels, first.languages or [])
        title = f"Second coder against the first, test_{family}.csv ({len(first)} comments):"
        print(format_report(report, labels, title))
        print()


if __name__ == "__main__":
    main()
