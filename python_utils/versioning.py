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
