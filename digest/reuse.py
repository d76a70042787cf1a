"""What a build takes from the last one's output: the pages, search segments and chunks
of items.json it need not render again.

A page is kept when its fingerprint (digest/fingerprint.py) is the one recorded when it
was last rendered and the site on disk still holds the bytes recorded then; the writer
then copies it instead of the renderer making it. A search segment is named by what it
holds, so it is kept whole when the site on disk still holds the files it gave when the
same code made it. The records are kept in the build cache per output folder, since each
folder holds its own site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment

from .cache import BuildCache, key_of
from .export import split
from .fingerprint import Fingerprints, reads_only_site_values, templates_digest
from .model import Site
from .urls import path_of
from .write import live_manifest


class Reuse:
    """For one build into `output`: `kept` (path -> digest of the bytes) names the files
    to take from the site on disk, `skips(path)` the pages, search segments (by folder)
    and items.json chunks not to render; `save` records this build's for the next."""

    def __init__(
        self, cache: BuildCache, site: Site, env: Environment, version: str, output: Path
    ) -> None:
        self._cache = cache
        self._name = hashlib.sha256(str(output.absolute()).encode()).hexdigest()[:16]
        self._prints: dict[str, str] = {}
        self._recorded: dict[str, tuple[str, str]] = {}
        self._version = version
        self._folders = [path_of(segment) for segment in site.search_segments]
        self._recorded_segments: dict[str, dict[str, str]] = {}
        self.kept: dict[str, str] = {}
        self._kept_segments: set[str] = set()
        self._chunk_key = ""
        self._chunks: dict[str, str] = {}
        self._recorded_chunks: dict[str, tuple[str, str]] = {}
        # A template that reads more of `site` than fingerprints cover could make any page
        # depend on any item: then nothing is taken again.
        if cache.folder is None or not reads_only_site_values(env):
            return
        fingerprints = Fingerprints(site, version, templates_digest(env))
        self._prints = {page.path: fingerprints.page(page) for page in site.pages}
        self._recorded = cache.get(f"pages-{self._name}", "", dict) or {}
        holds = live_manifest(output)
        self.kept = _unchanged(self._prints, self._recorded, holds)
        self._recorded_segments = cache.get(f"search-{self._name}", version, dict) or {}
        for folder in self._folders:
            files = self._recorded_segments.get(folder)
            if files and all(holds.get(path) == digest for path, digest in files.items()):
                self.kept.update(files)
                self._kept_segments.add(folder)
        # A chunk of items.json is made of its items and the base URL, by this version.
        self._chunk_key = key_of(version, site.base_url)
        self._recorded_chunks = cache.get(f"chunks-{self._name}", self._chunk_key, dict) or {}
        for chunk in split(site)[1]:
            values = "\0".join(fingerprints.value(item) for item in chunk.items)
            mark = self._chunks[chunk.path] = hashlib.sha256(values.encode()).hexdigest()
            before = self._recorded_chunks.get(chunk.path)
            if before is not None and before[0] == mark and holds.get(chunk.path) == before[1]:
                self.kept[chunk.path] = before[1]

    def skips(self, path: str) -> bool:
        return path in self.kept or path in self._kept_segments

    def save(self, holds: Mapping[str, str]) -> None:
        """Record what this build's pages were made of and gave (`holds`: path -> digest)."""
        if self._prints:
            marks = {path: (mark, holds[path]) for path, mark in self._prints.items()}
            if marks != self._recorded:
                self._cache.put(f"pages-{self._name}", "", marks)
        if self._prints and self._folders:
            segments: dict[str, dict[str, str]] = {folder: {} for folder in self._folders}
            for path, digest in holds.items():
                folder = path.rpartition("/")[0] + "/"  # a segment's files are at its top
                if folder in segments:
                    segments[folder][path] = digest
            if segments != self._recorded_segments:
                self._cache.put(f"search-{self._name}", self._version, segments)
        if self._chunks:
            chunks = {path: (mark, holds[path]) for path, mark in self._chunks.items()}
            if chunks != self._recorded_chunks:
                self._cache.put(f"chunks-{self._name}", self._chunk_key, chunks)


def _unchanged(
    prints: dict[str, str], recorded: dict[str, tuple[str, str]], holds: Mapping[str, str]
) -> dict[str, str]:
    """The pages made of the same as when the last build rendered them, which the site on
    disk (`holds`) still holds: path -> digest of the bytes."""
    if not prints or not recorded:
        return {}
    kept = {}
    for path, mark in prints.items():
        before = recorded.get(path)
        if before is not None and before[0] == mark and holds.get(path) == before[1]:
            kept[path] = before[1]
    return kept
