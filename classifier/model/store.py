"""Saving, loading, naming and listing models.

A model is a folder: `model.joblib`, `manifest.json` (its SHA-256 and library
versions) and the model card (`model_card.json`, `model_card.md`). Named models
live in `paths.models_home()`; `--model` takes a name there or a folder path.

The default model is trained from the shipped data the first time it is needed.
Training on your own data never replaces it: `new_model_name` picks a fresh name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import InputError
from ..files.writing import new_file_mode, write_text_atomic
from .card import card_markdown, library_versions
from .codebook import Codebook
from .model import Model
from .pipeline import DEFAULT_VARIANT

DEFAULT_NAME = "default"
MODEL_FILE, MANIFEST_FILE = "model.joblib", "manifest.json"
CARD_JSON, CARD_MD = "model_card.json", "model_card.md"
FORMAT_VERSION = 1
# A pickle from another minor version of these may fail to load or predict differently.
CHECKED_LIBRARIES = ("scikit-learn", "spacy", "numpy")
_NAME = re.compile(r"^[\w][\w.+-]*$")


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
    """The models in the models folder, by name (unreadable cards show as unknown)."""
    home = home or paths.models_home()
    found = []
    for folder in sorted(p for p in home.glob("*") if (p / MANIFEST_FILE).exists()) if home.exists() else []:
        card = _read_json(folder / CARD_JSON)
        manifest = _read_json(folder / MANIFEST_FILE)
        data = card.get("training_data", {})
        metrics = ((card.get("metrics") or {}).get("all") or {}).get("micro", {})
        found.append(
            ModelInfo(
                folder.name,
                folder,
                len(manifest.get("labels", [])),
                data.get("source") or ", ".join(data.get("files", [])) or "?",
                str(card.get("created", "?")),
                metrics.get("f1"),
            )
        )
    return found


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save_model(model: Model, out_dir: str | Path) -> Path:
    """Write model.joblib, manifest.json (with its SHA-256) and the model card."""
    import joblib

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{MODEL_FILE}.", suffix=".tmp", dir=out_dir)
    except OSError as exc:
        raise InputError(f"cannot write a model here ({exc.strerror or type(exc).__name__})", path=out_dir) from None
    os.close(fd)
    tmp = Path(tmp_name)
    payload = {
        "format_version": FORMAT_VERSION,
        "pipeline": model.pipeline,
        "codebook": model.codebook.to_dict(),
        "variant": model.variant,
        "seed": model.seed,
        "polarity": model.polarity,  # None for a model trained on bare ids
    }
    try:
        joblib.dump(payload, tmp, compress=3)
        os.chmod(tmp, new_file_mode(out_dir / MODEL_FILE))  # mkstemp makes 0600; a model is shared like any file
        os.replace(tmp, out_dir / MODEL_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    model.name, model.sha256 = out_dir.name, sha256_file(out_dir / MODEL_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model_file": MODEL_FILE,
        "name": model.name,
        "sha256": model.sha256,
        "versions": library_versions(),
        "labels": model.labels,
        "variant": model.variant,
        "seed": model.seed,
    }
    write_text_atomic(out_dir / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / CARD_JSON, json.dumps(model.card, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(out_dir / CARD_MD, card_markdown(model.card) + "\n")
    return out_dir


def load_model(model: str | Path | None = None, *, trust: bool = False) -> Model:
    """Load a model by name or folder (None: the default) written by `save_model`.

    A joblib file runs code when it is loaded, so it is loaded only when its
    SHA-256 matches the manifest the tool wrote beside it (or with `trust=True`),
    and only when it was saved by the same minor versions of scikit-learn, spaCy
    and NumPy; otherwise InputError says how to retrain.
    """
    import joblib

    path = model_dir(model)
    if path.is_file() and path.name == MODEL_FILE:
        path = path.parent
    manifest_path, model_path = path / MANIFEST_FILE, path / MODEL_FILE
    if not model_path.exists():
        raise InputError(
            f"no model here; train one with `classify train --out {path}` (or see `classify models`)", path=path
        )
    manifest = _read_json(manifest_path) if manifest_path.exists() else None
    if manifest is None and not trust:
        raise InputError(
            f"has no {MANIFEST_FILE}, so the model file cannot be verified; "
            "retrain with `classify train`, or pass --trust if you wrote it",
            path=path,
        )
    manifest = manifest or {}
    digest = sha256_file(model_path)
    if not trust and digest != manifest.get("sha256"):
        raise InputError(
            f"{MODEL_FILE} does not match the SHA-256 in {MANIFEST_FILE}: it was changed "
            "after the tool wrote it. Retrain with `classify train`, or pass --trust only "
            "if you know where the file came from",
            path=path,
        )
    saved, installed = manifest.get("versions") or {}, library_versions()
    for lib in CHECKED_LIBRARIES:
        if isinstance(saved, dict) and lib in saved and _minor(str(saved[lib])) != _minor(installed[lib]):
            raise InputError(
                f"the model was saved with {lib} {saved[lib]} but {installed[lib]} is "
                f"installed; retrain it with `classify train --out {path}`",
                path=path,
            )
    if manifest and manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"the model was saved in format {manifest.get('format_version')} but this "
            f"version of classify reads format {FORMAT_VERSION}; retrain it with "
            f"`classify train --out {path}`",
            path=path,
        )
    try:
        payload = joblib.load(model_path)
        codebook = Codebook.from_dict(payload["codebook"])
        pipeline = payload["pipeline"]
    except Exception as exc:
        raise InputError(
            f"the model file cannot be loaded ({type(exc).__name__}); retrain it with `classify train --out {path}`",
            path=path,
        ) from None
    return Model(
        pipeline,
        codebook,
        payload.get("variant", DEFAULT_VARIANT),
        payload.get("seed", 0),
        _read_json(path / CARD_JSON),
        name=path.name,
        sha256=digest,
        polarity=payload.get("polarity"),
    )


def load_or_train_default(on_train: Callable[[str], None] | None = None, *, trust: bool = False) -> Model:
    """The default model, trained from the shipped data and saved the first time it is asked for."""
    from .dataset import load_labelled
    from .training import train

    path = model_dir(None)
    if not (path / MODEL_FILE).exists():
        if on_train:
            on_train(
                f"No default model in {path} yet; training it on the shipped data (once, about 20 s; "
                "`classify train` also cross-validates it)..."
            )
        save_model(train(load_labelled(paths.shipped_data()), evaluate=False), path)
    return load_model(path, trust=trust)


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
