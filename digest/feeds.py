"""Site -> feed data: what each feed says, as plain values. The XML is the template's job."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime

from .markup import to_html, to_plain
from .model import Item, Site, Topic
from .urls import FEED, absolute, path_of


@dataclass(frozen=True)
class FeedEntry:
    title: str
    link: str
    guid: str
    published: str  # RFC 822
    description: str  # plain text, HTML-escaped
    content_html: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    link: str
    self_url: str
    language: str
    last_build: str | None  # RFC 822, from the newest entry: never the clock
    entries: tuple[FeedEntry, ...]


def rfc822(item: Item) -> str:
    return format_datetime(item.date)


def entry(item: Item, site: Site) -> FeedEntry:
    body = to_html(item.summary)
    description = to_plain(item.summary)
    if item.analysis:
        body += "\n<p><strong>Analysis</strong> — " + to_html(item.analysis).removeprefix("<p>")
        description += "\n\nAnalysis — " + to_plain(item.analysis)
    return FeedEntry(
        title=item.title,
        link=absolute(site.base_url, path_of(item)),
        guid=item.id,
        published=rfc822(item),
        # Readers take a description as HTML: escaped, the plain text shows as typed.
        description=html.escape(description, quote=False),
        content_html=body,
        categories=tuple(site.topic_names.get(slug, slug) for slug in item.topics),
    )


def site_feed(site: Site) -> Feed:
    return rss_feed(site, site.feed_items, site.title, site.description, "", FEED)


def topic_feed(site: Site, topic: Topic) -> Feed:
    folder = path_of(topic)
    title = f"{site.title}: {topic.name}"
    items = topic.items[: site.feed_size]
    return rss_feed(site, items, title, topic.description, folder, folder + FEED)


def rss_feed(
    site: Site, items: Sequence[Item], title: str, description: str, link_path: str, self_path: str
) -> Feed:
    return Feed(
        title=title,
        description=description or title,
        link=absolute(site.base_url, link_path),
        self_url=absolute(site.base_url, self_path),
        language=site.language,
        last_build=format_datetime(max(item.date for item in items)) if items else None,
        entries=tuple(entry(item, site) for item in items),
    )
