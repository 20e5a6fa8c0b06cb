"""Zip python_utils (without its tests) for a Snowflake stage: Snowpark adds the zip to
sys.path, so the package must sit at the zip's root."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def build_zip(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PACKAGE.glob("*.py")):
            archive.write(path, f"python_utils/{path.name}")
    return target


if __name__ == "__main__":
    print(build_zip(Path(sys.argv[1] if len(sys.argv) > 1 else "build/python_utils.zip")))
