"""Does `classify discover` surface a planted new cause, and how much does k matter?

    python scripts/eval_discover.py [--model NAME] [--seed 0]

Mixes the 40 SMS-fraud comments of tests/fixtures/sms_fraud_wave.csv (Norwegian and
Swedish, scores 1-6) into examples/kundeservice_nps_2026.csv, tags the file with the
model, and finds themes with k chosen by stability and with every k from 2 to 10.
For each run: the themes (size, planted members, top terms), the theme holding most
planted comments with its precision and recall, and whether `--since` the survey
without the wave flags it as emerging. The numbers in docs/discover.md come from here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.analysis import discover
from classifier.model.store import get_model
from classifier.text.privacy import mask

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kundeservice_nps_2026.csv"
WAVE = ROOT / "tests" / "fixtures" / "sms_fraud_wave.csv"
TEXT = "Hva er hovedgrunnen til at du ga denne scoren?"
SCORE = "Hvor sannsynlig er det at du vil anbefale vår kundeservice til en venn eller kollega?"


def planted_survey() -> tuple[pd.DataFrame, np.ndarray]:
    """The example survey with the wave mixed in, and which rows are planted."""
    survey = pd.read_csv(EXAMPLE, sep=";", encoding="utf-8-sig", dtype=str)
    wave = pd.read_csv(WAVE, sep=";", dtype=str)
    planted = pd.DataFrame({c: "" for c in survey.columns}, index=wave.index)
    planted["Respons-ID"] = [f"P-{i:04d}" for i in range(len(wave))]
    planted[TEXT], planted[SCORE] = wave["text"], wave["score"]
    mixed = pd.concat([survey, planted], ignore_index=True).sample(frac=1, random_state=1)
    return mixed.reset_index(drop=True), mixed["Respons-ID"].str.startswith("P-").to_numpy()


def coded(frame: pd.DataFrame, model) -> discover.Coded:
    texts = frame[TEXT].fillna("").tolist()
    _, proba, decided = model.predict_arrays(texts)
    scores = pd.to_numeric(frame[SCORE].str.extract(r"^(\d+)", expand=False), errors="coerce")
    return discover.Coded(
        [mask(t) for t in texts],
        pd.DataFrame(decided, columns=model.labels),
        pd.DataFrame(proba, columns=model.labels),
        scores,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model name or folder (default: the default model)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = get_model(args.model)
    frame, planted = planted_survey()
    june = coded(frame, model)
    may = coded(pd.read_csv(EXAMPLE, sep=";", encoding="utf-8-sig", dtype=str), model)
    texts, source = discover.training_texts(model)
    known = discover.training_words(texts)
    print(f"model {model.model_id}; words of {source}; {planted.sum()} planted comments in {len(frame)} rows\n")

    for k in [None, *range(2, 11)]:
        found = discover.find_themes(june, known, k=k, seed=args.seed)
        themes = discover.compare_since(found, may, known)
        assigned = np.array(found.assignment)
        title = f"k = {found.k}" + (" (chosen by stability)" if k is None else "")
        print(title, f"- {found.n_uncovered} uncovered, {found.n_new_word_comments} more with new words")
        if k is None:
            print("  stability:", ", ".join(f"{c}: {v:.2f}" for c, v in found.stability.items()))
        for row in themes.itertuples():
            members = assigned == row.theme
            print(
                f"  {row.theme}: {row.size} comments, {int((members & planted).sum())} planted, "
                f"{'emerging' if row.emerging else 'not emerging'} ({row.size_since} before); {row.top_terms}"
            )
        if len(themes):
            best = max(themes["theme"], key=lambda t: ((assigned == t) & planted).sum())
            hits = int(((assigned == best) & planted).sum())
            print(
                f"  planted theme {best}: precision {hits / (assigned == best).sum():.2f}, "
                f"recall {hits / planted.sum():.2f}"
            )
        print()


if __name__ == "__main__":
    main()
