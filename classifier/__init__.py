"""Code Norwegian and Swedish customer-service survey comments into root causes.

Library API (what the `classify` command calls):

    from classifier import load_labelled, train, save_model, load_model
    data = load_labelled("training_data")
    model = train(data, seed=0)
    save_model(model, "models/default")
    model = load_model("models/default")
    model.predict(["Ventet i 45 min og fikk ikke svar"])
"""
__version__ = "0.1.0"

from .dataset import load_labelled  # noqa: E402
from .model import Model, load_model, save_model, train  # noqa: E402

__all__ = ["Model", "load_labelled", "load_model", "save_model", "train", "__version__"]
