"""The one place that maps model objects to output paths and links.

Paths are folders relative to the site root ("items/foo-1a2b3c/"); each page is the
folder's index.html. Pages link to each other with relative URLs, so the site works
from any host, under any sub-path, and straight from the disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatch

from .model import Edition, Item, Segment, Topic

HOME = ""
ARCHIVE = "archive/"
TOPICS = "topics/"
SEARCH = "search/"
NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"  # the index of the sitemap files below
LATEST_SITEMAP = "sitemap-latest.xml"  # the pages of no closed block of editions
ROBOTS = "robots.txt"
OPML = "feeds.opml"
ITEMS_JSON = "items.json"
STYLESHEET = "style.css"
SEARCH_SCRIPT = "search.js"
STEMMER_SCRIPT = "stemmer.js"  # the search page's stemmer, beside search.js
FAVICON = "favicon.svg"
EDITIONS = "editions/"
ITEMS = "items/"
# A feed's files, in the folder of what it follows (the site, editions/, a topic's).
RSS = "feed.xml"
ATOM = "atom.xml"
JSON_FEED = "feed.json"
FEED_FILES = {"rss": RSS, "atom": ATOM, "json": JSON_FEED}
SEARCH_INDEX = SEARCH + "index.json"  # the search index's list of segments
# The files at the site's root that every build makes (besides the pages' folders).
GENERATED_FILES = frozenset(
    {
        NOT_FOUND,
        SITEMAP,
        LATEST_SITEMAP,
        ROBOTS,
        OPML,
        ITEMS_JSON,
        STYLESHEET,
        SEARCH_SCRIPT,
        STEMMER_SCRIPT,
        FAVICON,
        RSS,
        ATOM,
        JSON_FEED,
        "index.html",
    }
)
# The first part of the paths the build's own pages and feeds live under: no standalone
# page may take one as its slug.
RESERVED = frozenset({"items", "editions", "topics", "archive", "search", "feeds"})
# The fixed paths, as templates name them: the Jinja global `paths` (paths.archive, …).
PATHS = {
    "archive": ARCHIVE,
    "topics": TOPICS,
    "search": SEARCH,
    "opml": OPML,
    "stylesheet": STYLESHEET,
    "search_script": SEARCH_SCRIPT,
    "stemmer_script": STEMMER_SCRIPT,
    "favicon": FAVICON,
    "editions": EDITIONS,
    "rss": RSS,
    "atom": ATOM,
    "json_feed": JSON_FEED,
    "search_index": SEARCH_INDEX,
}


@singledispatch
def path_of(thing: object) -> str:
    raise TypeError(f"no URL for {type(thing).__name__}")


@path_of.register
def _(item: Item) -> str:
    return f"{ITEMS}{item.slug}/"


@path_of.register
def _(edition: Edition) -> str:
    return edition_path(edition.number)


@path_of.register
def _(topic: Topic) -> str:
    return topic_path(topic.slug)


@path_of.register
def _(segment: Segment) -> str:
    # Named by what it holds, so that a browser never mixes a segment's old files with new.
    return f"{SEARCH}{segment.first}-{segment.key[:16]}/"


# Whole-archive files are cut by blocks of editions (by number), so that a block's file
# stays the same once a later edition exists.
ITEMS_BLOCK = 50  # editions in an items.json chunk (about 1,000 items, 1.3 MB)
SITEMAP_BLOCK = 200  # editions in a sitemap file (about 4,200 URLs; at most 50,000)


def items_chunk_path(first: int, last: int) -> str:
    """The file of items.json's chunk for editions `first` to `last`."""
    return f"{ITEMS}editions-{first}-{last}.json"


def sitemap_path(first: int, last: int) -> str:
    """The sitemap file for the pages of editions `first` to `last` (at the site's root: a
    sitemap may only list addresses under its own folder)."""
    return f"sitemap-editions-{first}-{last}.xml"


def standalone_path(slug: str) -> str:
    """The path of the standalone page (pages/about.md) whose slug is `slug`."""
    return f"{slug}/"


def edition_path(number: int) -> str:
    """The path of the edition numbered `number` (an item knows only its edition's number)."""
    return f"{EDITIONS}{number}/"


def topic_path(slug: str) -> str:
    """The path of the topic whose slug is `slug`."""
    return f"{TOPICS}{slug}/"


def page_file(folder: str) -> str:
    """The file that serves a folder URL."""
    return folder + "index.html"


def root_from(folder: str) -> str:
    """The relative prefix that leads from a page in `folder` back to the site root."""
    return "../" * folder.count("/")


def absolute(base_url: str, path: str) -> str:
    return base_url + path


def folders_above(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths` (relative to the site root), at any depth,
    without its final '/' and without the root."""
    folders: set[str] = set()
    for path in paths:
        # Climbed until a folder already seen: the files of one folder cost one step each.
        folder = path.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders
