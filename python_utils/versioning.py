"""Model versions: the library version plus a short hash of what defines a fitted model."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from python_utils import __version__


def model_version(**settings: Any) -> str:
    """``<library version>-<8 hex of the settings>``: equal settings give equal versions."""
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    return f"{__version__}-{digest[:8]}"


def library_versions() -> str:
    """Versions of the modelling libraries, as JSON text, for the run history."""
    import importlib

    modules = ("lifetimes", "lifelines", "xgboost", "sklearn", "pandas", "numpy", "scipy")
    found = {name: getattr(importlib.import_module(name), "__version__", None) for name in modules}
    found["python_utils"] = __version__
    return json.dumps(found, sort_keys=True)
