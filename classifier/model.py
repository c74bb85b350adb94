"""Building, training, saving and loading the comment classifier.

The whole model is one scikit-learn `Pipeline`:

    Preprocessor  ->  FeatureUnion(word n-grams, character n-grams)  ->  CalibratedThresholdClassifier

so `clone`, `GridSearchCV` and `joblib` handle it. `Model` wraps the pipeline with
its codebook and offers `predict` on texts or DataFrames; `train`, `save_model` and
`load_model` are the library API the CLI calls.
"""
from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from . import __version__
from . import language as lang_mod
from .codebook import Codebook
from .dataset import LabelledData
from .errors import InputError
from .features import WordwiseCharTfidf
from .tables import write_text_atomic
from .multilabel import CalibratedThresholdClassifier
from .preprocess import Preprocessor

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "training_data"
DEFAULT_MODEL = REPO_ROOT / "models" / "default"
MODEL_FILE, MANIFEST_FILE = "model.joblib", "manifest.json"
CARD_JSON, CARD_MD = "model_card.json", "model_card.md"
FORMAT_VERSION = 1

# name -> (features, classifier, preprocessor options). The README's comparison
# (`scripts/compare_variants.py`) chose DEFAULT_VARIANT.
VARIANTS = {
    "word": ("word", "lr", {}),
    "char": ("char", "lr", {}),
    "word+char": ("word+char", "lr", {}),
    "word+char-svm": ("word+char", "svm", {}),
    "word+char-nostem": ("word+char", "lr", {"stem": False}),
    "word+char-lemma-sv": ("word+char", "lr", {"lemmatize_sv": True}),
    "word+char-scandi": ("word+char", "lr", {"per_language": False}),
}
DEFAULT_VARIANT = "word+char"


def _word_features() -> TfidfVectorizer:
    # Tokens are already normalised and separated by spaces; bigrams keep "ikke løst".
    return TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False,
                           ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32)


def _char_features() -> TfidfVectorizer:
    # Character n-grams inside word boundaries see the parts of compounds:
    # "ventetiden", "telefonkø", "väntetiden" share "vent"/"tid"/"kø".
    return WordwiseCharTfidf(analyzer="char_wb", ngram_range=(2, 5), lowercase=False,
                           min_df=2, sublinear_tf=True, dtype=np.float32)


def build_pipeline(variant: str = DEFAULT_VARIANT, seed: int = 0) -> Pipeline:
    """The untrained pipeline of a named variant (see VARIANTS)."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    features, classifier, prep_options = VARIANTS[variant]
    parts = []
    if "word" in features:
        parts.append(("word", _word_features()))
    if "char" in features:
        parts.append(("char", _char_features()))
    if classifier == "svm":
        base = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    else:
        base = LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced",
                                  random_state=seed)
    return Pipeline([
        ("preprocess", Preprocessor(**prep_options)),
        ("features", FeatureUnion(parts)),
        ("classify", CalibratedThresholdClassifier(base, cv=5, random_state=seed)),
    ])


@dataclass
class Model:
    """A trained classifier: the pipeline, its label ids and codebook, and its card."""

    pipeline: Pipeline
    codebook: Codebook
    variant: str = DEFAULT_VARIANT
    seed: int = 0
    card: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return self.codebook.ids

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(self.labels, map(float, self.pipeline[-1].thresholds_)))

    def predict_arrays(self, texts, languages=None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Languages, probabilities (n, k) and 0/1 labels (n, k) for a list of texts.

        Empty comments get language "unknown", probability 0 and no label.
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        if languages is None:
            languages = lang_mod.detect(texts)
        X = pd.DataFrame({"text": texts, "language": languages})
        proba = self.pipeline.predict_proba(X) if len(texts) else np.zeros((0, len(self.labels)))
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        proba[empty] = 0.0
        decided = self.pipeline[-1].decide(proba)
        decided[empty] = 0
        return list(languages), proba, decided

    def predict(self, data, text_col: str = "text") -> pd.DataFrame:
        """Predictions for a list of texts or a DataFrame (the original columns are kept).

        Adds `language`, `labels` (`;`-joined ids) and one `prob_<id>` column per label.
        """
        frame = pd.DataFrame({text_col: list(data)}) if not isinstance(data, pd.DataFrame) else data
        languages, proba, decided = self.predict_arrays(frame[text_col].tolist())
        return add_prediction_columns(frame, languages, proba, decided, self.labels)


def label_strings(decided: np.ndarray, labels: list[str]) -> list[str]:
    return [";".join(labels[j] for j in np.flatnonzero(row)) for row in decided]


def add_prediction_columns(frame: pd.DataFrame, languages, proba, decided, labels) -> pd.DataFrame:
    """`frame` plus language, labels and prob_* columns (renamed `*_pred` if the input has them)."""
    out = frame.copy()
    added = {"language": list(languages), "labels": label_strings(decided, labels)}
    for j, lab in enumerate(labels):
        added[f"prob_{lab}"] = np.round(proba[:, j], 4)
    for name, values in added.items():
        out[prediction_column(name, frame.columns)] = values
    return out


def prediction_column(name: str, existing) -> str:
    return name if name not in existing else f"{name}_pred"


# --------------------------------------------------------------------------- training

def _prepared(data: LabelledData, variant: str, seed: int):
    """The untrained pipeline, the detected languages and the preprocessed texts.

    The Preprocessor learns nothing, so it runs once for cross-validation and the fit.
    """
    pipeline = build_pipeline(variant, seed)
    languages = lang_mod.detect(data.texts)
    Xp = pipeline[0].transform(pd.DataFrame({"text": data.texts, "language": languages}))
    return pipeline, languages, Xp


def cross_validated_metrics(data: LabelledData, *, variant: str = DEFAULT_VARIANT, seed: int = 0,
                            folds: int = 5) -> dict:
    """Out-of-fold metrics of a variant on labelled data, without fitting a final model."""
    from .evaluate import cross_validate

    pipeline, languages, Xp = _prepared(data, variant, seed)
    return cross_validate(pipeline, Xp, data.indicator(), data, languages, folds=folds, seed=seed)


def train(data: LabelledData, *, variant: str = DEFAULT_VARIANT, seed: int = 0,
          evaluate: bool = True, folds: int = 5) -> Model:
    """Fit a model on labelled data; with `evaluate`, cross-validate it first for the card."""
    from .evaluate import cross_validate, model_card

    pipeline, languages, Xp = _prepared(data, variant, seed)
    Y = data.indicator()
    report = cross_validate(pipeline, Xp, Y, data, languages, folds=folds, seed=seed) if evaluate else None
    pipeline[1:].fit(Xp, Y)
    model = Model(pipeline, data.codebook, variant, seed)
    model.card = model_card(model, data, languages, report)
    return model


# --------------------------------------------------------------------------- saving

def library_versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn
    import spacy

    return {"classifier": __version__, "python": platform.python_version(),
            "scikit-learn": sklearn.__version__, "spacy": spacy.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__,
            "pandas": pd.__version__}


# A pickle from another minor version of these may fail to load or predict differently.
CHECKED_LIBRARIES = ("scikit-learn", "spacy", "numpy")


def save_model(model: Model, out_dir: str | Path) -> Path:
    """Write model.joblib, manifest.json (with its SHA-256) and the model card."""
    import joblib

    from .evaluate import card_markdown

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"format_version": FORMAT_VERSION, "pipeline": model.pipeline,
               "codebook": model.codebook.to_dict(), "variant": model.variant, "seed": model.seed}
    tmp = out_dir / f".{MODEL_FILE}.tmp"
    joblib.dump(payload, tmp, compress=3)
    tmp.replace(out_dir / MODEL_FILE)
    manifest = {"format_version": FORMAT_VERSION, "model_file": MODEL_FILE,
                "sha256": sha256_file(out_dir / MODEL_FILE), "versions": library_versions(),
                "labels": model.labels, "variant": model.variant, "seed": model.seed}
    write_text_atomic(out_dir / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / CARD_JSON, json.dumps(model.card, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / CARD_MD, card_markdown(model.card) + "\n")
    return out_dir


def load_model(path: str | Path = DEFAULT_MODEL, *, trust: bool = False) -> Model:
    """Load a model folder written by `save_model`.

    A joblib file runs code when it is loaded, so it is loaded only when its
    SHA-256 matches the manifest the tool wrote beside it (or with `trust=True`),
    and only when it was saved by the same minor versions of scikit-learn, spaCy
    and NumPy; otherwise InputError says how to retrain.
    """
    import joblib

    path = Path(path)
    if path.is_file() and path.name == MODEL_FILE:
        path = path.parent
    manifest_path, model_path = path / MANIFEST_FILE, path / MODEL_FILE
    if not model_path.exists():
        raise InputError("no model here; train one with `classify train --out "
                         f"{path}`", path=path)
    if not manifest_path.exists():
        if not trust:
            raise InputError(f"has no {MANIFEST_FILE}, so the model file cannot be verified; "
                             "retrain with `classify train`, or pass --trust if you wrote it", path=path)
        manifest = {}
    else:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if not trust and sha256_file(model_path) != manifest.get("sha256"):
        raise InputError(f"{MODEL_FILE} does not match the SHA-256 in {MANIFEST_FILE}: it was changed "
                         "after the tool wrote it. Retrain with `classify train`, or pass --trust only "
                         "if you know where the file came from", path=path)
    saved, installed = manifest.get("versions", {}), library_versions()
    for lib in CHECKED_LIBRARIES:
        if lib in saved and _minor(saved[lib]) != _minor(installed[lib]):
            raise InputError(f"the model was saved with {lib} {saved[lib]} but {installed[lib]} is "
                             f"installed; retrain it with `classify train --out {path}`", path=path)
    if manifest and manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"the model was saved in format {manifest.get('format_version')} but this "
                         f"version of classify reads format {FORMAT_VERSION}; retrain it with "
                         f"`classify train --out {path}`", path=path)
    try:
        payload = joblib.load(model_path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means: retrain
        raise InputError(f"the model file cannot be loaded ({type(exc).__name__}); retrain it with "
                         f"`classify train --out {path}`", path=path) from None
    card_path = path / CARD_JSON
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    return Model(payload["pipeline"], Codebook.from_dict(payload["codebook"]),
                 payload.get("variant", DEFAULT_VARIANT), payload.get("seed", 0), card)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])

