"""Model versions: the library version plus a short hash of what defines a fitted model,
including the versions of the libraries that change its results."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from python_utils import __version__

# The libraries whose versions change fitted parameters or predictions (XGBoost builds other
# trees across major versions; scikit-learn's K-Means and the optimizers behind lifetimes and
# lifelines move with numpy and scipy).
RESULT_LIBRARIES = ("lifetimes", "lifelines", "xgboost", "sklearn", "pandas", "numpy", "scipy")


def result_library_versions() -> dict[str, str | None]:
    import importlib

    return {name: getattr(importlib.import_module(name), "__version__", None) for name in RESULT_LIBRARIES}


def model_version(**settings: Any) -> str:
    """``<library version>-<8 hex of the settings and the result libraries' versions>``: equal
    settings on equal libraries give equal versions."""
    defined = {"settings": settings, "libraries": result_library_versions()}
    digest = hashlib.sha1(json.dumps(defined, sort_keys=True, default=str).encode()).hexdigest()
    return f"{__version__}-{digest[:8]}"


def library_versions() -> str:
    """Versions of the modelling libraries, as JSON text, for the run history."""
    return json.dumps({**result_library_versions(), "python_utils": __version__}, sort_keys=True)
