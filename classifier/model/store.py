"""Saving, loading, naming and listing models.

A model is a folder: `model.skops` (the fitted pipeline and codebook), `manifest.json`
(its SHA-256 and library versions) and the model card (`model_card.json`,
`model_card.md`). Named models live in `paths.models_home()`; `--model` takes a name
there or a folder path.

`model.skops` is a skops archive: JSON describing the objects, and NumPy/SciPy arrays
read with `allow_pickle=False`. Loading it never runs code from the file: it refuses a
file that names any type outside TRUSTED_TYPES below (the scikit-learn classes and our
own that the pipelines are made of) and skops' own list of NumPy, SciPy and built-in
types, before importing or building anything. A model saved by an older version
(`model.joblib`, a pickle, which runs code when loaded) is never opened: the user is
told to retrain.

The same model gives the same bytes in every process (`model_bytes`), so its SHA-256
identifies it. The default model is trained from the shipped data the first time it is
needed. Training on your own data never replaces it: `new_model_name` picks a fresh name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import LabelBinarizer
from sklearn.svm import LinearSVC

from .. import paths
from ..errors import InputError
from ..files.writing import new_file_mode
from ..text.embeddings import SentenceEmbedding
from ..text.features import SavedTfidf, WordNgramTfidf, WordwiseCharTfidf
from ..text.preprocess import Preprocessor
from .card import ModelCard, card_markdown, card_problem, library_versions
from .codebook import Codebook
from .model import Model
from .multilabel import CalibratedThresholdClassifier
from .pipeline import AverageOfLinear
from .polarity import PolarityClassifier

DEFAULT_NAME = "default"
MODEL_FILE, MANIFEST_FILE = "model.skops", "manifest.json"
CARD_JSON, CARD_MD = "model_card.json", "model_card.md"
# Format 1 was a joblib pickle in `model.joblib`: it is recognised, never opened.
OLD_MODEL_FILE = "model.joblib"
FORMAT_VERSION = 2
# The fitted state of these libraries' objects may differ between minor versions.
CHECKED_LIBRARIES = ("scikit-learn", "spacy", "numpy")

# The types a model file may name besides those skops trusts by itself (NumPy, SciPy,
# built-in containers). A file naming any other type is refused before anything is
# imported or built. Add a class here when a pipeline gets a new one (tests/test_models.py
# fails, naming it, until you do).
TRUSTED_TYPES: tuple[type, ...] = (
    Pipeline,
    FeatureUnion,
    TfidfTransformer,
    OneVsRestClassifier,
    LabelBinarizer,
    LogisticRegression,
    LinearSVC,
    Preprocessor,
    SavedTfidf,
    WordNgramTfidf,
    WordwiseCharTfidf,
    SentenceEmbedding,
    CalibratedThresholdClassifier,
    AverageOfLinear,
    PolarityClassifier,
)
_NAME = re.compile(r"^[\w][\w.+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


_SKOPS_IMPORT = threading.Lock()


def _skops_io():
    """skops.io, imported without its list of every scikit-learn estimator.

    skops builds that list when imported, with `sklearn.utils.all_estimators()`, which
    imports every scikit-learn module and pytest: 0.3 s of each `classify predict`. The
    list is only skops' default trust, which TRUSTED_TYPES replaces (7 classes, not 250),
    so it is left empty. Had other code in the process imported skops.io first, its list
    is trusted as well.
    """
    with _SKOPS_IMPORT:  # two threads must not save each other's stand-in as the original
        if "skops.io" not in sys.modules:
            import sklearn.utils

            every_estimator = sklearn.utils.all_estimators
            sklearn.utils.all_estimators = lambda *args, **kwargs: []
            try:
                import skops.io
            finally:
                sklearn.utils.all_estimators = every_estimator
    import skops.io

    return skops.io


def trusted_type_names() -> list[str]:
    """TRUSTED_TYPES as skops names them (`module.Class`)."""
    return sorted(f"{t.__module__}.{t.__qualname__}" for t in TRUSTED_TYPES)


def model_dir(model: str | Path | None = None) -> Path:
    """The folder of a model given by name (in the models folder) or by path; None: the default."""
    if model is None:
        return paths.models_home() / DEFAULT_NAME
    text = str(model)
    if isinstance(model, Path) or os.sep in text or "/" in text or text.startswith(".") or Path(text).is_dir():
        return Path(model)
    if not _NAME.match(text):
        raise InputError(f"{text!r} is not a model name or folder; see `classify models`")
    return paths.models_home() / text


def new_model_name(data: str | Path) -> str:
    """A fresh name for a model trained on `data`: its file or folder name, made unique."""
    stem = re.sub(r"[^\w.+-]+", "-", Path(data).stem).strip("-.") or "model"
    if stem == DEFAULT_NAME:
        stem = f"{DEFAULT_NAME}-own"
    name, n = stem, 1
    while (paths.models_home() / name).exists():
        n += 1
        name = f"{stem}-{n}"
    return name


@dataclass(frozen=True)
class ModelInfo:
    """One line of `classify models`."""

    name: str
    path: Path
    labels: int
    training_data: str
    created: str
    micro_f1: float | None


def list_models(home: Path | None = None) -> list[ModelInfo]:
    """The models in the models folder, by name (a broken card or manifest shows as unknown)."""
    home = home or paths.models_home()
    found = []
    for folder in sorted(p for p in home.glob("*") if (p / MANIFEST_FILE).exists()) if home.exists() else []:
        try:
            card = read_card(folder / CARD_JSON).card
        except InputError:
            card = {}
        try:
            labels = len(read_manifest(folder)["labels"])
        except InputError:
            labels = 0
        data = card.get("training_data") or {}
        metrics = ((card.get("metrics") or {}).get("all") or {}).get("micro") or {}
        found.append(
            ModelInfo(
                folder.name,
                folder,
                labels,
                data.get("source") or ", ".join(data.get("files", [])) or "?",
                str(card.get("created", "?")),
                metrics.get("f1"),
            )
        )
    return found


def read_manifest(folder: Path) -> dict:
    """A model folder's manifest.json, checked: InputError (one line) when it is broken or incomplete."""
    path = folder / MANIFEST_FILE
    manifest = _read_json_file(path)
    problem = _manifest_problem(manifest)
    if problem:
        raise InputError(f"is incomplete or damaged: {problem}; {_retrain(folder)}", path=path)
    return manifest


def read_card(path: Path, name: str = "") -> ModelCard:
    """A model folder's model_card.json, checked: InputError (one line) when it is missing, broken or incomplete."""
    card = _read_json_file(path)
    problem = card_problem(card)
    if problem:
        raise InputError(f"is incomplete or damaged: {problem}; {_retrain(path.parent)}", path=path)
    return ModelCard(card, name)


def _read_json_file(path: Path) -> Any:
    """The JSON in a file of a model folder; InputError (one line, with how to retrain) when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except ValueError as exc:
        problem = f"is not valid JSON ({exc})"
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror or type(exc).__name__})"
    raise InputError(f"{problem}; {_retrain(path.parent)}", path=path)


def _manifest_problem(manifest: object) -> str:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    if not isinstance(manifest.get("format_version"), int):
        return "no format_version"
    if not isinstance(manifest.get("sha256"), str) or not _SHA256.match(manifest["sha256"]):
        return "no SHA-256 of the model file"
    versions = manifest.get("versions")
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        return "no library versions"
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not all(isinstance(lab, str) for lab in labels):
        return "no list of labels"
    return ""


def _retrain(folder: Path) -> str:
    """The advice that ends every message about a model folder that cannot be used."""
    if folder == model_dir(None):
        return "retrain it with `classify train`"
    return f"retrain it with `classify train --data YOUR_LABELLED_DATA --out {folder}`"


def check_model_dir(out_dir: str | Path) -> None:
    """InputError now when a model cannot be saved in `out_dir`, so no training is wasted on it.

    Leaves nothing behind: a folder it had to create to find out is removed again.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"cannot write a model here ({exc.strerror or type(exc).__name__})", path=out_dir) from None
    finally:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()


def model_bytes(model: Model) -> bytes:
    """The model file: a skops archive, the same bytes for the same model in every process.

    skops names each node and array file by the `id()` of its object and stamps zip
    entries with the current time. Here the ids are renumbered in the order they first
    appear (objects shared in the model stay shared), array files are named by that
    order, and every entry gets the same date.
    """
    skops_io = _skops_io()
    payload = {
        "format_version": FORMAT_VERSION,
        "pipeline": model.pipeline,
        "codebook": model.codebook.to_dict(),
        "variant": model.variant,
        "seed": model.seed,
        "polarity": model.polarity,  # None for a model trained on bare ids
    }
    raw = zipfile.ZipFile(io.BytesIO(skops_io.dumps(payload)))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def renumber(node):
        if isinstance(node, list):
            return [renumber(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                out[key] = ids.setdefault(value, len(ids) + 1)  # from 1: skops ignores an id of 0
            elif key == "file" and isinstance(value, str):
                out[key] = files.setdefault(value, f"{len(files):05d}{Path(value).suffix}")
            else:
                out[key] = renumber(value)
        return out

    schema = renumber(json.loads(raw.read("schema.json")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        entries = [("schema.json", json.dumps(schema, indent=1).encode())]
        for name, data in entries + [(new, raw.read(old)) for old, new in files.items()]:
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.create_system, entry.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
            archive.writestr(entry, data)
    return out.getvalue()


def save_model(model: Model, out_dir: str | Path) -> Path:
    """Write model.skops, manifest.json (with its SHA-256) and the model card, each whole or not at all."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write a model here ({exc.strerror or type(exc).__name__})", path=out_dir) from None
    data = model_bytes(model)
    name, digest = out_dir.name, hashlib.sha256(data).hexdigest()
    manifest = {
        "format_version": FORMAT_VERSION,
        "model_file": MODEL_FILE,
        "name": name,
        "sha256": digest,
        "versions": library_versions(),
        "labels": model.labels,
        "variant": model.variant,
        "seed": model.seed,
    }
    # The model file first, the manifest that vouches for it last.
    _write_files(
        out_dir,
        {
            MODEL_FILE: data,
            CARD_JSON: (json.dumps(model.card, indent=2, ensure_ascii=False) + "\n").encode(),
            CARD_MD: (card_markdown(model.card) + "\n").encode(),
            MANIFEST_FILE: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        },
    )
    model.name, model.sha256 = name, digest
    (out_dir / OLD_MODEL_FILE).unlink(missing_ok=True)  # a model of format 1 this one replaces
    return out_dir


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write every file to a temporary file first, then rename them all into place.

    A full disk or a read-only folder stops it before any file is replaced, with one
    line naming the folder, and leaves no temporary file behind.
    """
    staged: dict[str, Path] = {}
    try:
        for name, data in files.items():
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            staged[name] = Path(tmp_name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp_name, new_file_mode(folder / name))  # mkstemp makes 0600; a model is shared like any file
        for name, tmp in staged.items():
            os.replace(tmp, folder / name)
    except OSError as exc:
        raise InputError(f"cannot write a model here ({exc.strerror or type(exc).__name__})", path=folder) from None
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)


def load_model(model: str | Path | None = None, *, trust: bool = False) -> Model:
    """Load a model by name or folder (None: the default) written by `save_model`.

    Refused with one line saying how to retrain (InputError): a folder of an older
    format, a file whose SHA-256 does not match its manifest (unless `trust=True`: a
    file you changed yourself), one saved with other minor versions of scikit-learn,
    spaCy or NumPy, a broken manifest or card, and a file naming a type that is not
    trusted. Nothing from the folder is ever run.
    """
    path = _model_folder(model)
    model_path = path / MODEL_FILE
    if not model_path.exists():
        if (path / OLD_MODEL_FILE).exists():
            raise InputError(
                f"was saved by an older version of classify as {OLD_MODEL_FILE}, a format that can run "
                f"code when loaded, so it is not loaded; {_retrain(path)}",
                path=path,
            )
        raise InputError(
            f"no model here; train one with `classify train --out {path}` (or see `classify models`)", path=path
        )
    if not (path / MANIFEST_FILE).exists() and not trust:
        raise InputError(
            f"has no {MANIFEST_FILE}, so the model file cannot be verified; "
            f"{_retrain(path)}, or pass --trust if you wrote it",
            path=path,
        )
    manifest = read_manifest(path) if (path / MANIFEST_FILE).exists() else {}
    digest = sha256_file(model_path)
    if not trust and digest != manifest["sha256"]:
        raise InputError(
            f"{MODEL_FILE} does not match the SHA-256 in {MANIFEST_FILE}: it was changed "
            f"after the tool wrote it; {_retrain(path)}, or pass --trust only "
            "if you changed it yourself",
            path=path,
        )
    if manifest and manifest["format_version"] != FORMAT_VERSION:
        raise InputError(
            f"the model was saved in format {manifest['format_version']} but this "
            f"version of classify reads format {FORMAT_VERSION}; {_retrain(path)}",
            path=path,
        )
    saved, installed = manifest.get("versions", {}), library_versions()
    for lib in CHECKED_LIBRARIES:
        if lib in saved and _minor(saved[lib]) != _minor(installed[lib]):
            raise InputError(
                f"the model was saved with {lib} {saved[lib]} but {installed[lib]} is installed; {_retrain(path)}",
                path=path,
            )
    card = read_card(path / CARD_JSON)
    payload = _read_model_file(model_path, path)
    return Model(
        payload["pipeline"],
        Codebook.from_dict(payload["codebook"]),
        payload["variant"],
        payload["seed"],
        card.card,
        name=path.name,
        sha256=digest,
        polarity=payload.get("polarity"),
    )


def _what_failed(exc: Exception) -> str:
    """`KeyError: 'schema.json'`: the exception and the first line of its message, kept short."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:120]}" if lines else type(exc).__name__


def _read_model_file(model_path: Path, folder: Path) -> dict:
    """The payload of model.skops, built only from trusted types (never by running code from the file)."""
    skops_io = _skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        payload = skops_io.load(model_path, trusted=trusted_type_names())
    except UntrustedTypesFoundException as exc:
        raise InputError(
            f"names types this tool does not trust, so it was not loaded ({str(exc).splitlines()[0]}); "
            f"{_retrain(folder)}",
            path=model_path,
        ) from None
    except Exception as exc:  # not a zip, no schema, a damaged array: any way a file can be broken
        raise InputError(
            f"is not a model file this version can read ({_what_failed(exc)}); {_retrain(folder)}",
            path=model_path,
        ) from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("pipeline"), Pipeline)
        or not isinstance(payload.get("codebook"), dict)
        or not isinstance(payload["codebook"].get("ids"), list)
        or not isinstance(payload.get("variant"), str)
        or not isinstance(payload.get("seed"), int)
        or not (payload.get("polarity") is None or isinstance(payload["polarity"], PolarityClassifier))
    ):
        raise InputError(f"is not a model file this version can read; {_retrain(folder)}", path=model_path)
    return payload


def load_card(model: str | Path | None = None) -> ModelCard | None:
    """A saved model's card (label names, error rates), read as data: the model file is not opened.

    None when no model is named and the default does not exist yet.
    """
    path = _model_folder(model)
    if model is None and not (path / CARD_JSON).exists():
        return None
    if not (path / CARD_JSON).exists() and not (path / MODEL_FILE).exists() and not (path / OLD_MODEL_FILE).exists():
        raise InputError("no model here; see `classify models`", path=path)
    card = read_card(path / CARD_JSON, name=path.name)
    if (path / MANIFEST_FILE).exists():
        card = dataclasses.replace(card, sha256=read_manifest(path)["sha256"])
    return card


def _model_folder(model: str | Path | None) -> Path:
    path = model_dir(model)
    if path.is_file() and path.name in (MODEL_FILE, OLD_MODEL_FILE):
        return path.parent
    return path


def load_or_train_default(on_train: Callable[[str], None] | None = None, *, trust: bool = False) -> Model:
    """The default model, trained from the shipped data and saved the first time it is asked for."""
    from .dataset import load_labelled
    from .training import train

    path = model_dir(None)
    if not (path / MODEL_FILE).exists() and not (path / OLD_MODEL_FILE).exists():  # an old one: load_model says so
        reason = f"No default model in {path} yet"
    elif _trained_on_other_data(path):
        reason = f"The shipped training data changed since the default model in {path} was trained"
    else:
        return load_model(path, trust=trust)
    data = load_labelled(paths.shipped_data())
    if on_train:
        # About 140 s on two cores for the 44,661 comments of v2.13; it grows with the data.
        on_train(
            f"{reason}; training it on the {len(data):,} comments of the shipped data (once, a few minutes; "
            "`classify train` also cross-validates it)..."
        )
    save_model(train(data, evaluate=False), path)
    return load_model(path, trust=trust)


def _trained_on_other_data(path: Path) -> bool:
    """True when the default model's card records other training data than the shipped data (an upgrade)."""
    from .dataset import data_sha256

    try:
        recorded = json.loads((path / CARD_JSON).read_text(encoding="utf-8"))["training_data"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no readable card: load_model says what is wrong
    return recorded != data_sha256(paths.shipped_data())


def get_model(
    model: str | Path | None = None, *, trust: bool = False, on_train: Callable[[str], None] | None = None
) -> Model:
    """The model a command asked for; None means the default, trained on first use."""
    return load_or_train_default(on_train, trust=trust) if model is None else load_model(model, trust=trust)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
