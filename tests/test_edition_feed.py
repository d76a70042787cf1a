"""The edition feed: one entry per edition with all its items, valid like the other feeds,
announced by every page and in the OPML, and seen by a real reader as one new entry per
new edition."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
from conftest import SAMPLE, find, findtext, require_tool
from test_feeds import (
    ATOM,
    LEDGER,
    NEW_EDITION,
    RFC822,
    RFC3339,
    absolute,
    build,
    check_json_feed,
    newsboat_unread,
)


def site_of(tmp_path: Path, **settings: object) -> Path:
    return build(
        tmp_path, {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER}, **settings
    )


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_one_entry_per_edition_with_every_item_in_three_formats(tmp_path: Path) -> None:
    site = site_of(tmp_path)
    build(tmp_path, {"001_next.txt": NEW_EDITION})
    items = json.loads((site / "items.json").read_text())["items"]
    rss = feedparser.parse((site / "editions" / "feed.xml").read_bytes())
    atom = feedparser.parse((site / "editions" / "atom.xml").read_bytes())
    document = json.loads((site / "editions" / "feed.json").read_text())
    assert rss.bozo == 0 and rss.version == "rss20" and atom.bozo == 0 and atom.version == "atom10"
    check_json_feed(document)
    assert (
        [e.title for e in rss.entries]
        == [e.title for e in atom.entries]
        == ["Edition 1", "Edition 0"]
    )
    assert [e.link for e in rss.entries] == [i["url"] for i in document["items"]] == [
        "https://example.org/digest/editions/1/", "https://example.org/digest/editions/0/",
    ]  # fmt: skip
    for number, r, a, j in zip((1, 0), rss.entries, atom.entries, document["items"], strict=True):
        listed = [i for i in items if i["edition"] == number and not i["duplicate_of"]]
        assert len(listed) == (2 if number else 19)
        for body in (r.content[0].value, a.content[0].value, j["content_html"]):
            shown = text_of(body)
            for item in listed:
                assert item["title"] in shown and item["summary"] in shown
                assert item["analysis"] in shown and f'href="{item["url"]}"' in body
        assert r.id == a.id == j["id"] and r.id.startswith("urn:uuid:")
        assert a.published == j["date_published"]
    assert j["summary"].startswith("19 items: ")


def test_the_feed_follows_the_validator_rules(tmp_path: Path) -> None:
    site = site_of(tmp_path)
    channel = find(ET.parse(site / "editions" / "feed.xml").getroot(), "channel")
    for required in ("title", "link", "description", "language", "lastBuildDate"):
        assert channel.findtext(required), required
    assert (
        find(channel, f"{ATOM}link").get("href") == "https://example.org/digest/editions/feed.xml"
    )
    assert channel.findtext("link") == "https://example.org/digest/archive/"
    for item in channel.iter("item"):
        assert RFC822.fullmatch(findtext(item, "pubDate")) and absolute(findtext(item, "link"))
    feed = ET.parse(site / "editions" / "atom.xml").getroot()
    assert RFC3339.fullmatch(findtext(feed, f"{ATOM}updated"))
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "https://example.org/digest/editions/atom.xml"


def test_feed_size_bounds_the_items_not_the_first_edition(tmp_path: Path) -> None:
    site = site_of(tmp_path, feed_size=5)
    build(tmp_path, {"001_next.txt": NEW_EDITION}, feed_size=5)
    entries = feedparser.parse((site / "editions" / "feed.xml").read_bytes()).entries
    assert [e.title for e in entries] == ["Edition 1"]  # 2 + 19 items would pass 5
    site = site_of(tmp_path, feed_size=1)
    assert len(feedparser.parse((site / "editions" / "feed.xml").read_bytes()).entries) == 1


def test_pages_announce_it_and_the_opml_lists_it(tmp_path: Path) -> None:
    site = site_of(tmp_path)
    for page in ("index.html", "editions/0/index.html", "archive/index.html"):
        text = (site / page).read_text()
        root = "../" * page.count("/")
        for kind, name in (
            ("rss+xml", "feed.xml"),
            ("atom+xml", "atom.xml"),
            ("feed+json", "feed.json"),
        ):
            assert f'type="application/{kind}" title="Digest: editions' in text
            assert f'href="{root}editions/{name}"' in text
    urls = [o.get("xmlUrl") for o in ET.parse(site / "feeds.opml").getroot().iter("outline")]
    assert urls[:2] == [
        "https://example.org/digest/feed.xml",
        "https://example.org/digest/editions/feed.xml",
    ]


def test_a_new_edition_is_one_new_entry_in_a_real_reader(tmp_path: Path, serve) -> None:
    newsboat = require_tool("newsboat")
    site_folder = tmp_path / "site"
    site_folder.mkdir()
    base = serve(site_folder)
    build(tmp_path, {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER}, base_url=base)
    home = tmp_path / "reader"
    home.mkdir()
    (home / "config").write_text("")
    urls = home / "urls"
    urls.write_text(f"{base}editions/feed.xml\n{base}editions/atom.xml\n")
    cache = home / "cache.db"
    first = newsboat_unread(newsboat, urls, cache, home)
    # One edition: its RSS guid and Atom id are one id, which newsboat keeps once.
    assert len(first) == 1
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE rss_item SET unread = 0")
    build(tmp_path, {"001_next.txt": NEW_EDITION}, base_url=base)
    second = newsboat_unread(newsboat, urls, cache, home)
    unread = {key: value for key, value in second.items() if value[-1] == 1}
    assert len(second) == 2 and len(unread) == 1
    assert {title for title, *_ in unread.values()} == {"Edition 1"}
    for key, (title, url, date, _) in first.items():
        assert second[key][:3] == (title, url, date)
