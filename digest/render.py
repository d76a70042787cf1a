"""The fourth stage: site model -> {output path: bytes}, through Jinja templates.

Autoescaping is on for every .html and .xml template and undefined names are errors,
so a template can neither leak unescaped item text nor silently print nothing.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from email.utils import format_datetime
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from . import markup, search
from .dates import long_date
from .export import Lines, items_json
from .feeds import FILES, all_feeds, json_feed
from .model import Page, Segment, Site
from .urls import (
    FAVICON,
    ITEMS_JSON,
    OPML,
    ROBOTS,
    SEARCH_SCRIPT,
    SITEMAP,
    STYLESHEET,
    absolute,
    page_file,
    path_of,
)

STATIC_FILES = (STYLESHEET, SEARCH_SCRIPT, FAVICON)


def builtin_templates() -> Path:
    """The templates shipped with digest: the checkout's folder, or the installed copy."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "templates"
    # pyproject.toml installs templates/ as digest/templates/ in a non-editable install.
    return checkout if checkout.is_dir() else package / "templates"


def make_env(overrides: Sequence[Path] = (), compiled: Path | None = None) -> Environment:
    """A Jinja environment that looks in `overrides` first, then in the built-in templates;
    compiled templates are kept in the folder `compiled`, if given, for the next build."""
    bytecode = FileSystemBytecodeCache(str(compiled)) if compiled is not None else None
    env = Environment(
        loader=FileSystemLoader([*map(str, overrides), str(builtin_templates())]),
        bytecode_cache=bytecode,
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["html"] = lambda text: Markup(markup.to_html(text))
    env.filters["plain"] = markup.to_plain
    env.filters["long_date"] = long_date
    env.filters["iso"] = lambda when: when.isoformat()
    env.filters["rfc822"] = format_datetime
    env.filters["rfc3339"] = lambda when: when.isoformat()
    # A plain str, not Markup: autoescaping then escapes the result once more, for XML.
    env.filters["escape_html"] = lambda text: html.escape(text, quote=False)
    env.globals["path_of"] = path_of
    env.globals["absolute"] = absolute
    return env


def render(
    site: Site,
    env: Environment,
    skip: Callable[[str], bool] = lambda path: False,
    lines: Lines | None = None,
) -> dict[str, bytes]:
    """Every output file of the site, except the pages and search segments whose path
    `skip` names; `lines` keeps items.json's lines between builds."""
    outputs: dict[str, bytes] = {}

    def add(path: str, data: bytes) -> None:
        if path in outputs:
            raise ValueError(f"two outputs for one path: {path}")
        outputs[path] = data

    pages = [page for page in site.pages if not skip(page.path)]
    segments = [s for s in site.search_segments if not skip(path_of(s))] if site.search else []
    shared: tuple[list[Page], list[Segment]] = ([], [])
    if _worth_a_helper(pages):
        # The helper indexes the search segments too: about the time of a third of the pages.
        every = 3 if segments else 2
        shared = (pages[every - 1 :: every], segments)
        pages = [page for n, page in enumerate(pages) if n % every != every - 1]
        segments = []
    with _Helper(site, env, *shared) as helper:
        for path, data in _render_pages(site, env, pages):
            add(path, data)
        rss, atom = env.get_template("rss.xml"), env.get_template("atom.xml")
        feeds = all_feeds(site)
        for feed in feeds:
            add(feed.folder + FILES["rss"], rss.render(feed=feed).encode("utf-8"))
            add(feed.folder + FILES["atom"], atom.render(feed=feed).encode("utf-8"))
            add(feed.folder + FILES["json"], json_feed(feed))
        add(OPML, env.get_template("feeds.opml").render(site=site, feeds=feeds).encode("utf-8"))
        entries = [
            (absolute(site.base_url, page.path.removesuffix(page_file(""))), page.updated)
            for page in sorted(site.pages, key=lambda page: page.path)
            if page.in_sitemap
        ]
        add(SITEMAP, env.get_template("sitemap.xml").render(entries=entries).encode("utf-8"))
        robots = env.get_template("robots.txt").render(sitemap=absolute(site.base_url, SITEMAP))
        add(ROBOTS, robots.encode("utf-8"))
        add(ITEMS_JSON, items_json(site, lines))
        if site.search:
            add(search.INDEX, search.index_file(site.search_segments, site.topic_names))
        for path, data in _segment_files(segments):
            add(path, data)
        for path, data in helper.results():
            add(path, data)
    for name in STATIC_FILES:
        if name == SEARCH_SCRIPT and not site.search:
            continue
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        add(name, source.encode("utf-8"))
    return outputs


PARALLEL_FROM = 2000  # pages; below this, a second process costs more than it saves


def _render_pages(
    site: Site, env: Environment, pages: Sequence[Page]
) -> Iterator[tuple[str, bytes]]:
    for page in pages:
        template = env.get_template(page.template)
        yield page.path, template.render(site=site, page=page, **page.context).encode("utf-8")


def _segment_files(segments: Sequence[Segment]) -> Iterator[tuple[str, bytes]]:
    for segment in segments:
        yield from search.segment_files(segment)


def _worth_a_helper(pages: Sequence[Page]) -> bool:
    # A forked process starts with the site already in memory, at no cost; but forking
    # while another thread runs (digest serve's server, a terminal's progress display)
    # could leave the child holding a lock that no thread will release.
    return (
        len(pages) >= PARALLEL_FROM
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


_share: tuple[Site, Environment, Sequence[Page], Sequence[Segment]] | None = None


class _Helper:
    """A second process that renders a share of the pages and search segments while this
    one renders the rest: rendering is pure, so the shares add up to the same outputs.
    With nothing to share, there is no second process."""

    def __init__(
        self, site: Site, env: Environment, pages: Sequence[Page], segments: Sequence[Segment]
    ) -> None:
        global _share
        self._pool = None
        if not pages and not segments:
            return
        _share = (site, env, pages, segments)  # what the forked child finds in its memory
        try:
            self._pool = multiprocessing.get_context("fork").Pool(1)
        finally:
            _share = None
        self._result = self._pool.apply_async(_render_share)

    def results(self) -> list[tuple[str, bytes]]:
        return self._result.get() if self._pool is not None else []

    def __enter__(self) -> _Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:  # also when this process failed first: stop the child
            self._pool.terminate()
            self._pool.join()


def _render_share() -> list[tuple[str, bytes]]:
    assert _share is not None
    site, env, pages, segments = _share
    return [*_render_pages(site, env, pages), *_segment_files(segments)]
