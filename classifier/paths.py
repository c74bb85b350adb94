"""Where things live: the shipped training data (package data) and the user's models.

The default training data and codebook ship inside the package, so a wheel
installed anywhere finds them. Trained models live in a per-user data folder
(`platformdirs`), one sub-folder per named model; `CLASSIFY_MODELS` overrides it.

>>> shipped_data().name
'training_data'
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

MODELS_ENV = "CLASSIFY_MODELS"


def shipped_data() -> Path:
    """The folder of labelled comments the default model is trained on."""
    return Path(str(resources.files("classifier") / "training_data"))


def models_home() -> Path:
    """The folder that holds the named models: $CLASSIFY_MODELS, else the user data folder."""
    override = os.environ.get(MODELS_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("classify", appauthor=False) / "models"
