"""The wheel holds everything a site needs: every shipped file is matched by package-data.

Building the wheel and running it from a fresh virtual environment is .ci/run's job (it
needs the registry and a minute); this checks the declaration it relies on, in no time.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_shipped_file_is_in_package_data() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {name: ROOT / path for name, path in setuptools["package-dir"].items()}
    missing = []
    for package in ("digest.templates", "digest.skeleton", "digest.taxonomies"):
        folder = folders.get(package, ROOT / package.replace(".", "/"))
        globs = setuptools["package-data"][package]
        for path in folder.rglob("*"):
            shipped = path.is_file() and "__pycache__" not in path.parts
            if shipped and not any(fnmatch.fnmatch(path.name, glob) for glob in globs):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
    assert setuptools["package-data"]["digest.shipped"] == ["topics.yaml"]
    assert (folders["digest.shipped"] / "topics.yaml").is_file()
    # The French taxonomy ships in its own folder: in content/ it would be a file of the
    # sample site, said to be ignored by every build.
    assert (folders["digest.taxonomies"] / "fr.yaml").is_file()
