"""Zip python_utils' runtime for a Snowflake stage: the modules the Python models import, the
package's top level. Its rooms python_utils.reference (the tests' oracle), python_utils.tools
(generator, loaders, report, publish, this packaging) and its tests stay home. Snowpark adds the
zip to sys.path, so the package must sit at the zip's root.

Each release goes to its own folder on the stage, named by a hash of the package's files
(``release_id``): a deploy never changes what a running build imports, and an earlier release
stays there to go back to. The Python models' ``+imports`` in dbt_project.yml name the release
(CLV_PYTHON_UTILS_RELEASE's default); a test keeps it equal to the working tree's (``make
python-utils-release`` rewrites it).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
RELEASE_VAR = re.compile(r"(env_var\('CLV_PYTHON_UTILS_RELEASE', ')([0-9a-f]*)(')")


def package_files() -> list[Path]:
    """The runtime: python_utils/*.py, never a subpackage."""
    return sorted(PACKAGE.glob("*.py"))


def release_id() -> str:
    """12 hex digits of the SHA-256 of the package's file names and contents."""
    digest = hashlib.sha256()
    for path in package_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def build_zip(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in package_files():
            archive.write(path, f"python_utils/{path.name}")
    return target


def project_release(project: Path) -> str:
    """The release dbt_project.yml's Python models import."""
    match = RELEASE_VAR.search(project.read_text())
    if not match:
        raise SystemExit(f"{project}: no CLV_PYTHON_UTILS_RELEASE default in +imports")
    return match.group(2)


def write_release(project: Path) -> str:
    release = release_id()
    text = RELEASE_VAR.sub(lambda m: m.group(1) + release + m.group(3), project.read_text(), count=1)
    project.write_text(text)
    return release


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zip", nargs="?", type=Path, help="write the zip here")
    parser.add_argument("--release", action="store_true", help="print the working tree's release id")
    parser.add_argument("--write-release", type=Path, metavar="DBT_PROJECT_YML")
    parser.add_argument("--check-release", type=Path, metavar="DBT_PROJECT_YML")
    args = parser.parse_args()
    if args.write_release:
        print(write_release(args.write_release))
    if args.check_release and project_release(args.check_release) != release_id():
        raise SystemExit(
            f"python_utils changed: {args.check_release} imports release "
            f"{project_release(args.check_release)}, the working tree is {release_id()}. "
            "Run `make python-utils-release`, test, and commit before deploying."
        )
    if args.release:
        print(release_id())
    if args.zip:
        print(build_zip(args.zip))
