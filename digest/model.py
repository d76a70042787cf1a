"""The plain data that flows through the pipeline. Imports nothing from digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    """Where a piece of content came from, for messages and for items.json."""

    file: str
    line: int


@dataclass(frozen=True)
class RawItem:
    """An item as the parser found it: text and line numbers, nothing derived."""

    summary: str
    analysis: str | None
    line: int
    analysis_line: int | None = None
    headline: str | None = None  # the editor's own, from a headline line before the summary
    headline_line: int | None = None
    distinct: bool = False  # marked "not a repeat" by the editor: never grouped as one


@dataclass(frozen=True)
class EditionFile:
    """One item file, read and parsed, with the date that the ledger or front matter gives."""

    number: int
    name: str  # the file's name inside the content folder, the ledger's key
    path: str  # the file as shown in messages
    title: str | None
    date: datetime
    items: tuple[RawItem, ...]
    draft: bool = False  # `draft: true` in its front matter: not published unless asked


@dataclass(frozen=True)
class Evidence:
    """Why an item got, or nearly got, a topic."""

    topic: str
    score: float
    summary: tuple[str, ...]  # matched terms
    analysis: tuple[str, ...]
    against: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    id: str
    title: str  # the headline: the editor's, or derived from the summary
    slug: str
    summary: str
    analysis: str | None
    date: datetime
    edition: int
    position: int  # 0-based place in its edition file
    source: Source
    topics: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()  # every topic that scored, best first
    duplicate_of: str | None = None
    editor_headline: bool = False  # whether `title` is the editor's own headline
    distinct: bool = False  # marked "not a repeat": never grouped under an earlier report


@dataclass(frozen=True)
class Repeat:
    """An item of an edition that was grouped under an earlier report of the same story."""

    item: Item
    first: Item  # the first report, whose page shows both


@dataclass(frozen=True)
class Edition:
    number: int
    title: str
    date: datetime
    source: str
    items: tuple[Item, ...]  # listed items, in the editor's order
    repeats: tuple[Repeat, ...] = ()  # its items reported earlier, in the editor's order

    @property
    def size(self) -> int:
        """How many items the edition's file holds (repeats of one summary aside)."""
        return len(self.items) + len(self.repeats)


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str
    description: str
    items: tuple[Item, ...]  # newest first


@dataclass(frozen=True)
class Segment:
    """A part of the search index (see digest/search.py)."""

    first: int  # the number of its first item, counting from the oldest
    items: tuple[Item, ...]  # oldest first
    key: str  # a digest of everything its files are made of


@dataclass(frozen=True)
class Page:
    """One HTML page to render: where it goes, which template, and what it shows."""

    path: str  # relative to the output folder, e.g. "items/foo-1a2b3c/index.html"
    template: str
    title: str
    context: dict[str, object] = field(default_factory=dict)
    updated: datetime | None = None  # for the sitemap
    in_sitemap: bool = True


@dataclass(frozen=True)
class Standalone:
    """A page of the pages folder (about.md), its Markdown made safe HTML."""

    slug: str  # its folder: about -> about/
    title: str
    description: str
    nav: bool  # whether every page's navigation links to it
    body: str  # sanitized HTML, its images' paths taken from the page's folder
    source: str  # the file, as shown in messages


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    base_url: str
    language: str
    editions: tuple[Edition, ...]  # newest first
    items: tuple[Item, ...]  # listed items (no duplicates), newest first
    all_items: tuple[Item, ...]  # every item, duplicates included, newest first
    topics: tuple[Topic, ...]  # those with items, in the taxonomy's order
    topic_names: dict[str, str]  # slug -> name, for every topic of the taxonomy
    pages: tuple[Page, ...]
    feed_items: tuple[Item, ...]
    feed_size: int
    author: str  # named in the feeds
    icon: str | None  # the feeds' image: a URL, or a path inside the site
    search: bool = True  # whether the site has its search page (and index)
    search_segments: tuple[Segment, ...] = ()  # the search index's parts, oldest first
    signup: str | None = None  # where readers sign up for the newsletter
    nav: tuple[tuple[str, str], ...] = ()  # (title, folder) of the pages in the navigation
    share_image: str | None = None  # og:image, an absolute URL
    locale: str | None = None  # og:locale, from the language
    static: frozenset[str] = frozenset()  # the static folder's files, as paths in the site
