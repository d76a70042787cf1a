"""Full-text search: Pagefind indexes the written site, in the staging folder, before the swap.

Only item pages are indexed (they carry `data-pagefind-body`), with each item's topics
as a filter. The index is a folder of static files (`pagefind/`) that the search page
loads; nothing runs on a server.

Pagefind writes its filter index in hash-map order, which changes from run to run
(Pagefind issue #638 made the fragments stable, not the filters). So that rebuilding
unchanged content still gives a byte-identical site, the previous index is kept when
the pages it was made from have not changed: `pagefind/source.sha256` records them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

OUTPUT = "pagefind"
SOURCE_DIGEST = "source.sha256"


class SearchIndexError(Exception):
    """Pagefind failed; the message has what it said."""


def source_digest(holds: Mapping[str, str]) -> str:
    """What the index is made of: every HTML page (path and digest) and Pagefind's version."""
    digest = hashlib.sha256(metadata.version("pagefind").encode())
    for path in sorted(p for p in holds if p.endswith(".html")):
        digest.update(f"{path}\0{holds[path]}\0".encode())
    return digest.hexdigest()


def index_site(folder: Path, previous: Path | None, holds: Mapping[str, str]) -> None:
    """The writer's `finish` step: make `folder/pagefind/` for the staged site, which
    holds `holds` (path -> digest), reusing `previous/pagefind/` when its source is the same."""
    wanted = source_digest(holds)  # from the digests: the pages need not be read back
    if previous is not None:
        old = previous / OUTPUT
        recorded = old / SOURCE_DIGEST
        if recorded.is_file() and recorded.read_text().strip() == wanted:
            shutil.copytree(old, folder / OUTPUT)
            return
    _run_pagefind(folder)
    (folder / OUTPUT / SOURCE_DIGEST).write_text(wanted + "\n")


def _run_pagefind(folder: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(folder),
        "--output-subdir",
        OUTPUT,
        "--silent",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"could not run Pagefind: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise SearchIndexError(
            f"Pagefind failed: {said[-1] if said else f'exit code {done.returncode}'}"
        )
