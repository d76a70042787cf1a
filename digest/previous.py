"""The previous build, as the next one can use it: the incremental layer around the pipeline.

`Previous` alone knows what the last build left: the build store (digest/store.py) and
the live site's manifest (what the output folder holds, as the writer recorded it). The
pipeline asks it, between its stages, for plain data:
- `reads(content)`: what each item file whose bytes are unchanged gave when it was read
  (for load). A file is unchanged when its stat (size, times, inode, mode, and the same
  of a link to it) is the one recorded, or, when its stat changed, when its bytes have
  the recorded digest;
- `known(taxonomy, language)`: the enrich results worked out before (for enrich);
- `plan(site, env)`: which pages and search segments need rendering, which of the
  whole archive's files that can be kept (items.json's chunks, the feeds, the sitemap's
  files) to make, and which files of the live site the writer keeps (path -> digest). A
  page is kept when its fingerprint (digest/fingerprint.py) is the one recorded when it
  was last rendered and the live site still holds the bytes recorded then (a file of the
  archive likewise, by its mark: render.archive_marks); a search segment, named by
  what it holds, when the live site holds the files it gave;
- `record(...)`, once the new site is live: what this build read, worked out and wrote,
  in one transaction.
Nothing it gives changes what a build makes, only how much work it does.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from .config import SiteConfig
from .enrich import Enriched, Grouped, Known
from .export import split
from .fingerprint import Fingerprints, reads_only_site_values, templates_digest
from .load import Loaded, Read, file_digest
from .model import Evidence, Page, Segment, Site
from .render import archive_marks
from .store import Store, key_of
from .taxonomy import Taxonomy
from .urls import path_of
from .write import live_manifest

# A file whose modification time is this close to when its stat was taken may have been
# changed again within the same tick of the file system's clock (FAT's is 2 s): its stat
# alone does not tell.
TICK_NS = 2_000_000_000
Stat = tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """What to render and what to keep, decided before rendering."""

    pages: tuple[Page, ...]  # the pages to render, in the site's order
    segments: tuple[Segment, ...]  # the search segments to index
    kept: dict[str, str]  # files the writer takes from the live site: path -> digest
    # Of the files of the whole archive that a build can keep (items.json's chunks, the
    # feeds, the sitemap's files: render.archive_marks), those to make; None: all.
    made: tuple[str, ...] | None = ()
    marks: dict[str, str] = field(default_factory=dict)  # their fingerprints, by path
    prints: dict[str, str] = field(default_factory=dict)  # every page's fingerprint
    folders: tuple[str, ...] = ()  # every search segment's folder
    skipped: frozenset[str] = frozenset()  # the pages and segment folders not rendered

    def skips(self, path: str) -> bool:
        """Whether the page or search segment (by folder) at `path` is not to be rendered."""
        return path in self.skipped


class Previous:
    """The previous build of `config`'s site; `writable` False (digest check) reads the
    store and never writes it."""

    def __init__(self, config: SiteConfig, version: str, writable: bool = True) -> None:
        self._output = config.output
        self._output_name = hashlib.sha256(str(config.output.absolute()).encode()).hexdigest()[:16]
        # The pages' records are read once, to plan: the store keeps their checks only.
        self._store = Store(config.cache, version, writable, by_check=("pages:",))
        self._stats: dict[str, tuple[Stat, int]] = {}  # file name -> stat, when taken
        self._tagged_key = ""
        self._language = ""
        self._templates: tuple[str, bool | None] = ("", None)  # digest, reads only values

    @property
    def keeps(self) -> bool:
        """Whether there is a store to read and write (site.yaml's `cache` is not false)."""
        return self._store.path is not None

    def reads(self, content: Path) -> dict[str, Read]:
        """What each item file of `content` whose bytes are unchanged gave, by name."""
        recorded = self._store.section("files", "")
        known: dict[str, Read] = {}
        now = time.time_ns()
        try:
            entries = list(os.scandir(content))
        except OSError:
            return {}  # load reports the folder
        for entry in entries:
            stat = _stat(entry.path)
            if stat is None:
                continue
            self._stats[entry.name] = (stat, now)
            before = recorded.get(entry.name)
            if not isinstance(before, tuple) or not isinstance(before[1], Read):
                continue
            (was, checked), read = before
            # stat[1] is the modification time (see _stat)
            if was == stat and stat[1] < checked - TICK_NS:
                known[entry.name] = read
                self._stats[entry.name] = (was, checked)  # as recorded: nothing to write
            elif _digest_of(entry.path) == read.digest:
                known[entry.name] = read
        return known

    def known(self, taxonomy: Taxonomy, language: str) -> Known:
        """The enrich results of earlier builds that hold for this taxonomy and language."""
        self._tagged_key = key_of(taxonomy, language)
        self._language = language
        named = self._store.section("named", language)  # derived titles follow the language
        tagged = self._store.section("tagged", self._tagged_key, _Sharing().tagged)
        grouped = self._store.section("grouped", language).get("finder")
        return Known(
            {bytes.fromhex(key): value for key, value in named.items()},  # type: ignore[misc]
            {bytes.fromhex(key): value for key, value in tagged.items()},  # type: ignore[misc]
            grouped if isinstance(grouped, Grouped) else None,
        )

    def plan(self, site: Site, env: Environment, version: str) -> Plan:
        """What to render of `site` and what the writer keeps of the live site."""
        segments = site.search_segments if site.search else ()
        if not self.keeps:
            return Plan(site.pages, segments, {}, None)
        templates = templates_digest(env)
        # A template that reads more of `site` than fingerprints cover could make any page
        # depend on any item: then nothing is taken again. (Parsing every template to know
        # takes longer than the rest of an unchanged build's plan: it is kept.)
        known = self._store.section("templates", templates).get("reads only site values")
        self._templates = (templates, known if isinstance(known, bool) else None)
        if self._templates[1] is None:
            self._templates = (templates, reads_only_site_values(env))
        if not self._templates[1]:
            return Plan(site.pages, segments, {}, None)
        fingerprints = Fingerprints(site, version, templates)
        prints = {page.path: fingerprints.page(page) for page in site.pages}
        recorded = self._store.section(self._pages, "")
        holds = live_manifest(self._output)
        kept = _unchanged(prints, recorded, holds)
        folders = tuple(path_of(segment) for segment in site.search_segments)
        given = self._store.section(self._segments, "")
        kept_folders = set()
        for folder in folders:
            files = given.get(folder)
            if (
                isinstance(files, dict)
                and files
                and all(holds.get(path) == digest for path, digest in files.items())
            ):
                kept.update(files)
                kept_folders.add(folder)
        # A chunk of items.json is made of its items and the base URL (the section's key);
        # the feeds, feeds.opml and the sitemap's files of what archive_marks says.
        marks: dict[str, str] = {}
        for chunk in split(site)[1]:
            values = "\0".join(fingerprints.value(item) for item in chunk.items)
            marks[chunk.path] = hashlib.sha256(values.encode()).hexdigest()
        marks.update(archive_marks(site, env, fingerprints, templates))
        archived = self._store.section(self._archive, site.base_url)
        kept.update(_unchanged(marks, archived, holds))
        return Plan(
            tuple(page for page in site.pages if page.path not in kept),
            tuple(s for s in segments if path_of(s) not in kept_folders),
            kept,
            tuple(path for path in marks if path not in kept),
            marks,
            prints,
            folders,
            frozenset(kept).union(kept_folders),
        )

    def record(
        self,
        loaded: Loaded | None,
        enriched: Enriched | None,
        plan: Plan | None,
        holds: Mapping[str, str],
        base_url: str,
    ) -> str | None:
        """Keep what this build read, worked out and wrote (`holds`: path -> digest of every
        file the live site now holds) for the next; a note if that cannot be done."""
        if not self.keeps:
            return None
        sections: dict[str, tuple[str, Mapping[str, object]]] = {}
        if loaded is not None:
            files: dict[str, object] = {}
            for name, read in loaded.reads.items():
                # The stat taken before load read the file: if the file changed since, the
                # next build sees another stat and compares the bytes' digest.
                stat = self._stats.get(name)
                files[name] = (stat if stat is not None else ((), 0), read)
            sections["files"] = ("", files)
        if enriched is not None:
            sections["named"] = (
                self._language,
                {key.hex(): v for key, v in enriched.named.items()},
            )
            sections["tagged"] = (
                self._tagged_key,
                {key.hex(): v for key, v in enriched.tagged.items()},
            )
            sections["grouped"] = (self._language, {"finder": enriched.grouped})
        templates, only = self._templates
        if only is not None:
            sections["templates"] = (templates, {"reads only site values": only})
        if plan is not None and plan.prints:
            sections[self._pages] = (
                "",
                {path: (mark, holds[path]) for path, mark in plan.prints.items()},
            )
            given: dict[str, dict[str, str]] = {folder: {} for folder in plan.folders}
            for path, digest in holds.items():
                folder = path.rpartition("/")[0] + "/"  # a segment's files are at its top
                if folder in given:
                    given[folder][path] = digest
            sections[self._segments] = ("", given)
            sections[self._archive] = (
                base_url,
                {path: (mark, holds[path]) for path, mark in plan.marks.items()},
            )
        return self._store.save(sections)

    def close(self) -> None:
        self._store.close()

    @property
    def _pages(self) -> str:
        return f"pages:{self._output_name}"  # each output folder holds its own site

    @property
    def _archive(self) -> str:
        return f"archive:{self._output_name}"  # the whole archive's files that can be kept

    @property
    def _segments(self) -> str:
        return f"segments:{self._output_name}"


def _unchanged(
    marks: Mapping[str, str], recorded: Mapping[str, object], holds: Mapping[str, str]
) -> dict[str, str]:
    """The files to keep (path -> digest): each whose mark is the one recorded when it was
    last made, and whose recorded bytes the live site still holds."""
    kept = {}
    for path, mark in marks.items():
        before = recorded.get(path)
        if isinstance(before, tuple) and before[0] == mark and holds.get(path) == before[1]:
            kept[path] = before[1]
    return kept


class _Sharing:
    """Equal evidence and topic lists made one object, as the tagged section is read: each
    bucket was pickled apart, so an Evidence found in many items (the same terms of the same
    topic) comes back as many copies: at 50,000 items, 35 MB of them, most of it repeats."""

    def __init__(self) -> None:
        self._evidence: dict[Evidence, Evidence] = {}
        self._topics: dict[tuple[str, ...], tuple[str, ...]] = {}

    def tagged(self, value: object) -> object:
        if not (isinstance(value, tuple) and len(value) == 2):
            return value  # not a Tagged: enrich works it out again
        topics, evidence = value
        if not (isinstance(topics, tuple) and isinstance(evidence, tuple)):
            return value
        shared = self._evidence.setdefault
        return (
            self._topics.setdefault(topics, topics),
            tuple([shared(found, found) for found in evidence]),
        )


def _stat(path: str) -> Stat | None:
    """What changes when a file (or the link to it) is written, replaced, moved or has its
    permissions changed; None when it cannot be seen."""
    try:
        real = os.stat(path)
        link = os.lstat(path)
    except OSError:
        return None
    return (
        real.st_size,
        real.st_mtime_ns,
        real.st_ctime_ns,
        real.st_ino,
        real.st_dev,
        real.st_mode,
        link.st_ino,
        link.st_mtime_ns,
        link.st_ctime_ns,
    )


def _digest_of(path: str) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return file_digest(stream.read())
    except OSError:
        return None
