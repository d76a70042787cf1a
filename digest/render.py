"""The fourth stage: site model -> {output path: bytes}, through Jinja templates.

Autoescaping is on for every .html and .xml template and undefined names are errors,
so a template can neither leak unescaped item text nor silently print nothing.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
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
from .model import Site
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

    for page in site.pages:
        if skip(page.path):
            continue
        template = env.get_template(page.template)
        add(page.path, template.render(site=site, page=page, **page.context).encode("utf-8"))
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
        for segment in site.search_segments:
            if not skip(path_of(segment)):  # a segment is skipped whole, by its folder
                for path, data in search.segment_files(segment):
                    add(path, data)
    for name in STATIC_FILES:
        if name == SEARCH_SCRIPT and not site.search:
            continue
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        add(name, source.encode("utf-8"))
    return outputs
