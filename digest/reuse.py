"""What a build takes from the last one's output: the pages it need not render again,
and the lines of items.json it need not encode again.

A page is kept when its fingerprint (digest/fingerprint.py) is the one recorded when it
was last rendered and the site on disk still holds the bytes recorded then; the writer
then copies it instead of the renderer making it. The records are kept in the build
cache per output folder, since each folder holds its own site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment

from .cache import BuildCache
from .export import Lines
from .fingerprint import Fingerprints, reads_only_site_values, templates_digest
from .model import Site
from .write import live_manifest


class Reuse:
    """For one build into `output`: `kept` (path -> digest of the bytes) names the pages
    to take from the site on disk, `lines` the items.json lines known; `save` records this
    build's for the next."""

    def __init__(
        self, cache: BuildCache, site: Site, env: Environment, version: str, output: Path
    ) -> None:
        self._cache = cache
        self._name = hashlib.sha256(str(output.absolute()).encode()).hexdigest()[:16]
        self._base_url = site.base_url
        self._prints: dict[str, str] = {}
        self._recorded: dict[str, tuple[str, str]] = {}
        self.kept: dict[str, str] = {}
        self.lines: Lines | None = None
        # A template that reads more of `site` than fingerprints cover could make any page
        # depend on any item: then nothing is taken again.
        if cache.folder is None or not reads_only_site_values(env):
            return
        fingerprints = Fingerprints(site, version, templates_digest(env))
        self._prints = {page.path: fingerprints.page(page) for page in site.pages}
        self._recorded = cache.get(f"pages-{self._name}", "", dict) or {}
        self.kept = _unchanged(self._prints, self._recorded, output)
        known = cache.get(f"items-{self._name}", self._base_url, dict) or {}
        self.lines = Lines(fingerprints.value, known)

    def save(self, holds: Mapping[str, str]) -> None:
        """Record what this build's pages were made of and gave (`holds`: path -> digest)."""
        if self._prints:
            marks = {path: (mark, holds[path]) for path, mark in self._prints.items()}
            if marks != self._recorded:
                self._cache.put(f"pages-{self._name}", "", marks)
        if self.lines is not None and self.lines.seen != self.lines.known:
            self._cache.put(f"items-{self._name}", self._base_url, self.lines.seen)


def _unchanged(
    prints: dict[str, str], recorded: dict[str, tuple[str, str]], output: Path
) -> dict[str, str]:
    """The pages made of the same as when the last build rendered them, which the site on
    disk still holds: path -> digest of the bytes."""
    if not prints or not recorded:
        return {}
    holds = live_manifest(output)
    kept = {}
    for path, mark in prints.items():
        before = recorded.get(path)
        if before is not None and before[0] == mark and holds.get(path) == before[1]:
            kept[path] = before[1]
    return kept
