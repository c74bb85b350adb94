"""Code Norwegian and Swedish customer-service survey comments into root causes.

The library API (what the `classify` command calls). Names are imported on first
use, so `import classifier` and `classify --help` stay instant:

    from classifier import load_labelled, train, save_model, load_model, shipped_data
    data = load_labelled(shipped_data())
    model = train(data, seed=0)
    save_model(model, "models/mine")
    model = load_model("models/mine")
    model.predict(["Ventet i 45 min og fikk ikke svar"])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# public name -> module that defines it
_API = {
    "Model": "classifier.model.model",
    "load_labelled": "classifier.model.dataset",
    "train": "classifier.model.training",
    "cross_validated_metrics": "classifier.model.training",
    "save_model": "classifier.model.store",
    "load_model": "classifier.model.store",
    "get_model": "classifier.model.store",
    "list_models": "classifier.model.store",
    "predict_file": "classifier.tagging",
    "analyze": "classifier.analysis.drivers",
    "analyze_file": "classifier.analysis.survey",
    "render_html": "classifier.analysis.report",
    "shipped_data": "classifier.paths",
    "models_home": "classifier.paths",
    "InputError": "classifier.errors",
}
__all__ = [*_API, "__version__"]

if TYPE_CHECKING:
    from .analysis.drivers import analyze
    from .analysis.report import render_html
    from .analysis.survey import analyze_file
    from .errors import InputError
    from .model.dataset import load_labelled
    from .model.model import Model
    from .model.store import get_model, list_models, load_model, save_model
    from .model.training import cross_validated_metrics, train
    from .paths import models_home, shipped_data
    from .tagging import predict_file


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
