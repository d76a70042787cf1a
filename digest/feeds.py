"""Site -> feeds as plain data: the site-wide feed and one per topic, each in RSS 2.0,
Atom 1.0 and JSON Feed 1.1. The XML is the templates' job; JSON is made here.

Identities never move: an entry's RSS guid and JSON Feed id are the item id, and its
Atom id is a UUID derived from the item id alone, so neither a rebuild, a new edition
nor a change of domain makes a feed reader show an old item again.

Each entry has a time of its own (published_at): its edition's, less a second for each
item above it in the file. Readers then list an edition in the editor's order, and no
two entries share an atom:updated.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .markup import to_html, to_plain
from .model import Edition, Item, Site, Topic
from .translation import catalog, number
from .urls import ARCHIVE, EDITIONS, FEED_FILES, absolute, path_of

# Never change: every Atom id ever published is derived from it.
ID_NAMESPACE = uuid.UUID("6f1d2c7e-4b0a-5e39-9a3c-2d8f0b7c1e55")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedEntry:
    id: str  # the item id: RSS guid, JSON Feed id
    atom_id: str  # urn:uuid:…
    title: str
    link: str
    published: datetime
    text: str  # plain text: summary, then analysis
    html: str  # the same as HTML
    categories: tuple[tuple[str, str], ...]  # (slug, name)


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    home: str  # the page the feed is about
    folder: str  # where its files go: "" or "topics/<slug>/"
    urls: dict[str, str]  # format -> absolute URL of the feed file
    atom_id: str
    language: str
    author: str
    icon: str | None
    updated: datetime  # the newest entry's date: never the clock
    entries: tuple[FeedEntry, ...]


def atom_id(key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, key)}"


def published_at(item: Item) -> datetime:
    """The item's time in the feeds: derived from its place in its file alone, so that it
    never moves on a rebuild (it moves, and the guid does not, when the file is reordered)."""
    return item.date - timedelta(seconds=item.position)


def _analysis(item: Item, site: Site) -> tuple[str, str]:
    """An item's analysis after its summary, as HTML and as text, labelled as analysis."""
    assert item.analysis is not None
    label = catalog(site.language).gettext("Analysis")
    html_part = to_html(item.analysis, site.static, site.base_url).removeprefix("<p>")
    return (
        f"\n<p><strong>{html.escape(label)}</strong> — {html_part}",
        f"\n\n{label} — {to_plain(item.analysis)}",
    )


def entry(item: Item, site: Site) -> FeedEntry:
    html = to_html(item.summary, site.static, site.base_url)
    text = to_plain(item.summary)
    if item.analysis:
        more_html, more_text = _analysis(item, site)
        html += more_html
        text += more_text
    return FeedEntry(
        id=item.id,
        atom_id=atom_id(f"item:{item.id}"),
        title=item.title,
        link=absolute(site.base_url, path_of(item)),
        published=published_at(item),
        text=text,
        html=html,
        categories=tuple((slug, site.topic_names.get(slug, slug)) for slug in item.topics),
    )


@dataclass(frozen=True)
class FeedSource:
    """What one feed is made of besides the site-wide values it reads (those that page
    fingerprints cover, digest/fingerprint.py's SITE_VALUES): equal sources, equal feed
    files, which lets a build keep a feed whose source it recorded."""

    folder: str  # where its files go: "", "editions/" or "topics/<slug>/"
    title: str
    description: str
    home: str  # the page the feed is about, as a path in the site
    items: tuple[Item, ...] = ()  # an entry each
    editions: tuple[Edition, ...] = ()  # an entry each, holding its items (the edition feed)


def feed_sources(site: Site) -> list[FeedSource]:
    """The site-wide feed's, the edition feed's and each topic's, in this order."""
    messages = catalog(site.language)
    title = messages.gettext("%(site)s: editions") % {"site": site.title}
    return [
        FeedSource("", site.title, site.description, "", items=site.feed_items),
        FeedSource(
            # One entry per edition, holding all its items: for readers who want one entry
            # a week, and for RSS-to-email services.
            EDITIONS,
            title,
            messages.gettext("Each edition of %(site)s whole, in one entry.")
            % {"site": site.title},
            ARCHIVE,  # the page that lists every edition
            editions=_newest_editions(site),
        ),
        *(_topic_source(site, topic) for topic in site.topics),
    ]


def _topic_source(site: Site, topic: Topic) -> FeedSource:
    folder = path_of(topic)
    return FeedSource(
        folder,
        catalog(site.language).gettext("%(site)s: %(topic)s")
        % {"site": site.title, "topic": topic.name},
        topic.description,
        folder,
        items=topic.items[: site.feed_size],
    )


def make_feed(site: Site, source: FeedSource) -> Feed:
    """The feed of `source`, reading of `site` only values that fingerprints cover."""
    urls = {
        kind: absolute(site.base_url, source.folder + name) for kind, name in FEED_FILES.items()
    }
    entries = (
        *(entry(item, site) for item in source.items),
        *(edition_entry(edition, site) for edition in source.editions),
    )
    return Feed(
        title=source.title,
        description=source.description or source.title,
        home=absolute(site.base_url, source.home),
        folder=source.folder,
        urls=urls,
        atom_id=atom_id(f"feed:{urls['atom']}"),
        language=site.language,
        author=site.author,
        icon=_feed_icon(site),
        # An edition's entry is published at the edition's date.
        updated=max((e.published for e in entries), default=EPOCH),
        entries=entries,
    )


def all_feeds(site: Site) -> list[Feed]:
    return [make_feed(site, source) for source in feed_sources(site)]


def edition_entry(edition: Edition, site: Site) -> FeedEntry:
    """An edition as one entry. Its id comes from its number and date, which never move (the
    date ledger keeps the date), so that a rebuild or a new edition never shows it again."""
    key = atom_id(f"edition:{edition.number}:{edition.date.isoformat()}")
    messages = catalog(site.language)
    blocks, texts = [], []
    for item in edition.items:
        link = absolute(site.base_url, path_of(item))
        block = f'<h2><a href="{html.escape(link)}">{html.escape(item.title)}</a></h2>\n'
        block += to_html(item.summary, site.static, site.base_url)
        text = f"{item.title}\n{link}\n\n{to_plain(item.summary)}"
        if item.analysis:
            more_html, more_text = _analysis(item, site)
            block += more_html
            text += more_text
        names = [site.topic_names.get(slug, slug) for slug in item.topics]
        if names:
            topics = messages.gettext("Topics:")
            block += f"\n<p>{html.escape(topics)} {html.escape(', '.join(names))}</p>"
        blocks.append(block)
        texts.append(text)
    size = len(edition.items)
    overview = messages.ngettext("%(n)s item: %(titles)s", "%(n)s items: %(titles)s", size) % {
        "n": number(size, site.language),
        "titles": "; ".join(item.title for item in edition.items),
    }
    categories: dict[str, str] = {}
    for item in edition.items:
        for slug in item.topics:
            categories.setdefault(slug, site.topic_names.get(slug, slug))
    return FeedEntry(
        id=key,
        atom_id=key,
        title=edition.title,
        link=absolute(site.base_url, path_of(edition)),
        published=edition.date,
        text="\n\n".join([overview, *texts]),
        html="\n".join(blocks),
        categories=tuple(categories.items()),
    )


def _feed_icon(site: Site) -> str | None:
    return absolute(site.base_url, site.icon) if site.icon and "://" not in site.icon else site.icon


def _newest_editions(site: Site) -> tuple[Edition, ...]:
    """The newest editions, as many as hold `feed_size` items in all, and at least one."""
    editions: list[Edition] = []
    total = 0
    for edition in site.editions:
        total += len(edition.items)
        if editions and total > site.feed_size:
            break
        editions.append(edition)
    return tuple(editions)


def json_feed(feed: Feed) -> bytes:
    """JSON Feed 1.1."""
    document: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": feed.urls["json"],
        "description": feed.description,
        "language": feed.language,
        "authors": [{"name": feed.author}],
    }
    if feed.icon:
        document["icon"] = feed.icon
    document["items"] = [
        {
            "id": e.id,
            "url": e.link,
            "title": e.title,
            "content_html": e.html,
            "summary": e.text.split("\n\n")[0],
            "date_published": e.published.isoformat(),
            "tags": [name for _, name in e.categories],
        }
        for e in feed.entries
    ]
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
