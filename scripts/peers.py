"""The peers `scripts/bench.py` measures `classify predict` against, doing the same job.

    python scripts/peers.py train fasttext MODEL.bin        # trained on the shipped data
    python scripts/peers.py train sklearn MODEL.joblib
    python scripts/peers.py predict fasttext MODEL.bin SURVEY.csv OUT.csv --text-col Kommentar --jobs 2
    python scripts/peers.py score fasttext MODEL.bin        # micro-F1 on the held-apart test set

The job is `classify predict`'s: read the survey CSV in chunks, give every comment
every category's probability, write every input column and the probabilities to a
CSV, with worker processes. The peers:

- fastText: supervised, one-vs-all loss, word bigrams and character 2-5-grams, 30
  epochs (as `scripts/compare_variants.py --fasttext`), comments lower-cased;
  `predict(k=-1)` gives every label's probability.
- plain scikit-learn: TfidfVectorizer word 1-2-grams and char_wb 2-5-grams (lower-cased,
  no spaCy, no masking, no language detection), one-vs-rest logistic regression,
  whose probabilities are calibrated by construction.

Both are trained on the same shipped training data as the default model, never on
`evaluation/`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pandas as pd

# Twice `classify predict`'s 10,000 rows: fewer round trips to the workers, if anything in the peers' favour.
CHUNK_ROWS = 20_000
_PEER = None  # the model a worker process holds


def _clean(text: str) -> str:
    return " ".join(text.lower().split())


def _training_data():
    from classifier import load_labelled
    from classifier.paths import shipped_data

    return load_labelled(shipped_data())


def train_fasttext(out: Path, seed: int = 0) -> None:
    import tempfile

    import fasttext

    data = _training_data()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        for text, labels in zip(data.texts, data.labels):
            tags = " ".join(f"__label__{lab}" for lab in labels) or "__label__none"
            fh.write(f"{tags} {_clean(text)}\n")
    model = fasttext.train_supervised(
        input=fh.name, loss="ova", epoch=30, lr=0.5, wordNgrams=2, minn=2, maxn=5, dim=100, thread=1, seed=seed
    )
    Path(fh.name).unlink()
    model.save_model(str(out))
    Path(f"{out}.labels").write_text("\n".join(data.codebook.ids) + "\n", encoding="utf-8")


def sklearn_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32),
        ),
        OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced")),
    )


def train_sklearn(out: Path, seed: int = 0) -> None:
    import joblib

    data = _training_data()
    pipe = sklearn_pipeline().fit(data.texts, data.indicator(data.codebook.ids))
    joblib.dump({"pipeline": pipe, "labels": data.codebook.ids}, out)


class FastTextPeer:
    def __init__(self, path: str):
        import fasttext

        self.model = fasttext.load_model(path)
        self.labels = Path(f"{path}.labels").read_text(encoding="utf-8").split()

    def probabilities(self, texts: list[str]) -> np.ndarray:
        column = {f"__label__{lab}": j for j, lab in enumerate(self.labels)}
        found, probs = self.model.predict([_clean(t) for t in texts], k=-1)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, (labs, ps) in enumerate(zip(found, probs)):
            for lab, p in zip(labs, ps):
                if lab in column:
                    out[i, column[lab]] = p
        return out


class SklearnPeer:
    def __init__(self, path: str):
        import joblib

        saved = joblib.load(path)
        self.pipeline, self.labels = saved["pipeline"], saved["labels"]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba(texts).astype(np.float32)


PEERS = {"fasttext": FastTextPeer, "sklearn": SklearnPeer}


def _init(kind: str, path: str) -> None:
    global _PEER
    _PEER = PEERS[kind](path)


def _tag(texts: list[str]) -> np.ndarray:
    assert _PEER is not None
    return _PEER.probabilities(texts)


def predict(kind: str, model: str, survey: Path, out: Path, text_col: str, jobs: int, sep: str = ";") -> None:
    labels = _labels(kind, model)
    chunks = pd.read_csv(survey, sep=sep, encoding="utf-8-sig", dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS)
    # Loaded once before the workers fork (as `classify predict` does): they share its memory.
    _init(kind, model)
    with mp.get_context("fork").Pool(max(jobs, 1)) as pool:
        frames = []

        def texts_of():
            for frame in chunks:
                frames.append(frame)
                yield frame[text_col].tolist()

        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            for n, proba in enumerate(pool.imap(_tag, texts_of())):
                frame = frames.pop(0)
                probs = pd.DataFrame(np.round(proba, 4), columns=[f"prob_{lab}" for lab in labels], index=frame.index)
                pd.concat([frame, probs], axis=1).to_csv(fh, sep=";", index=False, header=n == 0)


def _labels(kind: str, model: str) -> list[str]:
    if kind == "fasttext":
        return Path(f"{model}.labels").read_text(encoding="utf-8").split()
    import joblib

    return joblib.load(model)["labels"]


def score(kind: str, model: str) -> None:
    """Micro-F1 on the held-apart test set, a label given at probability 0.5."""
    from classifier import load_labelled
    from classifier.model.metrics import metrics

    evaluation = Path(__file__).resolve().parent.parent / "evaluation"
    peer = PEERS[kind](model)
    codebook = _training_data().codebook
    for family in ("nb", "sv"):
        test = load_labelled(evaluation / f"test_{family}.csv", codebook=codebook)
        decided = (peer.probabilities(test.texts) >= 0.5).astype(int)
        result = metrics(test.indicator(peer.labels), decided, peer.labels, [family] * len(decided))["all"]
        print(f"{kind} {family}: micro-F1 {result['micro']['f1']:.3f}, macro-F1 {result['macro']['f1']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("kind", choices=PEERS)
    t.add_argument("model", type=Path)
    p = sub.add_parser("predict")
    p.add_argument("kind", choices=PEERS)
    p.add_argument("model")
    p.add_argument("survey", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--text-col", required=True)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--sep", default=";")
    s = sub.add_parser("score")
    s.add_argument("kind", choices=PEERS)
    s.add_argument("model")
    args = ap.parse_args()
    if args.command == "train":
        {"fasttext": train_fasttext, "sklearn": train_sklearn}[args.kind](args.model)
    elif args.command == "predict":
        predict(args.kind, args.model, args.survey, args.out, args.text_col, args.jobs, args.sep)
    else:
        score(args.kind, args.model)


if __name__ == "__main__":
    main()
