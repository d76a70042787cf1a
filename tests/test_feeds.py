"""Feeds subscribers can trust: valid, complete, and stable across regenerations."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import ROOT, SAMPLE, attr, config_for, find, findtext, require_tool, tree

from digest import pipeline

ATOM = "{http://www.w3.org/2005/Atom}"
LEDGER = '"000_sample.txt": 2026-11-26T08:00:00+01:00\n'
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")
NEW_EDITION = """---
date: 2026-11-30
---
Kyutai has released an open speech model that translates French into English in real time.
Analysis — A Paris lab shows again that openness and quality can go together.

The Louvre is testing an AI guide that answers visitors' questions about artworks in twenty languages.
Analysis — Museums can widen access without giving up curatorial authority.
"""
NASTY = "Acme & Sons say \"5 < 6\" ]]> and 'quotes' — café, Télévisions, 🤖 <b>not bold</b>."


def build(tmp_path: Path, files: dict[str, str | bytes], **settings: object) -> Path:
    folder = tmp_path / "content"
    folder.mkdir(exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    if not (folder / "topics.yaml").exists():
        shutil.copy(ROOT / "content" / "topics.yaml", folder / "topics.yaml")
    result = pipeline.build(config_for(tmp_path, **settings))
    assert result.written and not [p for p in result.problems if p.severity == "error"], (
        result.problems
    )
    return tmp_path / "site"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return build(tmp_path, {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})


def feed_folders(site: Path) -> list[Path]:
    return [site, *sorted(p.parent for p in (site / "topics").glob("*/feed.xml"))]


def absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def test_every_feed_exists_in_three_formats(site: Path) -> None:
    folders = feed_folders(site)
    assert len(folders) == 9  # the site and its eight topics
    for folder in folders:
        for name in ("feed.xml", "atom.xml", "feed.json"):
            assert (folder / name).is_file(), folder / name


def test_rss_follows_the_validator_rules(site: Path) -> None:
    for folder in feed_folders(site):
        data = (folder / "feed.xml").read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0 and parsed.version == "rss20"
        channel = find(ET.fromstring(data), "channel")
        for required in ("title", "link", "description", "language", "lastBuildDate"):
            assert channel.findtext(required), required
        assert RFC822.fullmatch(findtext(channel, "lastBuildDate"))
        self_link = find(channel, f"{ATOM}link")
        assert self_link.get("rel") == "self" and attr(self_link, "href").endswith(
            f"{folder.relative_to(site).as_posix().strip('.')}/feed.xml".lstrip("/")
        )
        guids = [item.findtext("guid") for item in channel.iter("item")]
        assert len(guids) == len(set(guids)) > 0
        for item in channel.iter("item"):
            assert find(item, "guid").get("isPermaLink") == "false"
            assert RFC822.fullmatch(findtext(item, "pubDate"))
            assert absolute(findtext(item, "link"))
            assert item.findtext("description") and item.findtext(
                "{http://purl.org/rss/1.0/modules/content/}encoded"
            )


def test_atom_follows_the_validator_rules(site: Path) -> None:
    for folder in feed_folders(site):
        data = (folder / "atom.xml").read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0 and parsed.version == "atom10"
        feed = ET.fromstring(data)
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        for required in ("id", "title", "updated"):
            assert feed.findtext(f"{ATOM}{required}"), required
        assert find(feed, f"{ATOM}author/{ATOM}name").text
        assert RFC3339.fullmatch(findtext(feed, f"{ATOM}updated"))
        links = {link.get("rel"): attr(link, "href") for link in feed.findall(f"{ATOM}link")}
        assert (
            links["self"].endswith("atom.xml")
            and absolute(links["self"])
            and absolute(links["alternate"])
        )
        ids = [findtext(e, f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
        assert len(ids) == len(set(ids)) > 0
        assert all(
            re.fullmatch(
                r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i
            )
            for i in ids
        )
        for entry in feed.findall(f"{ATOM}entry"):
            for required in ("title", "published", "updated", "summary", "content"):
                assert entry.findtext(f"{ATOM}{required}"), required
            assert RFC3339.fullmatch(findtext(entry, f"{ATOM}published"))
            assert find(entry, f"{ATOM}content").get("type") == "html"
            assert absolute(attr(find(entry, f"{ATOM}link"), "href"))


def check_json_feed(document: dict) -> None:
    """The JSON Feed 1.1 specification's required and typed fields."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    for key in ("home_page_url", "feed_url"):
        assert absolute(document[key])
    assert all(isinstance(a["name"], str) for a in document["authors"])
    ids = [item["id"] for item in document["items"]]
    assert all(isinstance(i, str) and i for i in ids) and len(ids) == len(set(ids))
    for item in document["items"]:
        assert item.get("content_html") or item.get("content_text")
        assert absolute(item["url"])
        assert RFC3339.fullmatch(item["date_published"])
        assert isinstance(item["tags"], list) and all(isinstance(t, str) for t in item["tags"])


def test_json_feed_follows_the_specification(site: Path) -> None:
    for folder in feed_folders(site):
        document = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
        check_json_feed(document)
        assert document["feed_url"].endswith("feed.json")


def test_entries_agree_across_formats_and_carry_everything(site: Path) -> None:
    rss = feedparser.parse((site / "feed.xml").read_bytes()).entries
    atom = feedparser.parse((site / "atom.xml").read_bytes()).entries
    items = json.loads((site / "feed.json").read_text())["items"]
    archive = [
        i for i in json.loads((site / "items.json").read_text())["items"] if not i["duplicate_of"]
    ]
    assert len(rss) == len(atom) == len(items) == len(archive) == 19
    for r, a, j, item in zip(rss, atom, items, archive, strict=True):
        assert r.id == j["id"] == item["id"]
        assert r.link == a.link == j["url"] == item["url"]
        assert r.title == a.title == j["title"] == item["title"]
        assert item["title_by"] == "derived"
        published = parsedate_to_datetime(r.published)
        assert published.isoformat() == a.published == a.updated == j["date_published"]
        # The edition's time, less a second for each item above it in the file.
        assert (
            timedelta(0) <= datetime.fromisoformat(item["date"]) - published < timedelta(seconds=20)
        )
        names = [t.term for t in r.get("tags", [])]
        assert names == [t.label for t in a.get("tags", [])] == j["tags"]
        assert [t.term for t in a.get("tags", [])] == item["topics"]
        for text in (item["summary"], item["analysis"]):
            assert text in html.unescape(r.content[0].value)
            assert text in html.unescape(a.content[0].value)
            assert text in html.unescape(j["content_html"])
            assert text in html.unescape(r.summary)


def test_hard_text_survives_intact_in_every_format(tmp_path: Path) -> None:
    site = build(tmp_path, {"1_a.txt": f"{NASTY}\nAnalysis — R&D ]]> <i>x</i> «guillemets» 🇫🇷\n"})
    summary = html.unescape
    rss = feedparser.parse((site / "feed.xml").read_bytes())
    atom = feedparser.parse((site / "atom.xml").read_bytes())
    assert rss.bozo == 0 and atom.bozo == 0
    document = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    for body in (
        rss.entries[0].content[0].value,
        atom.entries[0].content[0].value,
        document["items"][0]["content_html"],
    ):
        text = summary(re.sub(r"<[^>]+>", "", body))
        assert NASTY in text
        assert "R&D ]]> <i>x</i> «guillemets» 🇫🇷" in text
    assert atom.entries[0].summary.startswith(NASTY)  # Atom summary is plain text
    assert summary(rss.entries[0].summary).startswith(NASTY)
    assert rss.entries[0].title == atom.entries[0].title == document["items"][0]["title"]
    assert rss.entries[0].title.startswith("Acme & Sons say \"5 < 6\" and 'quotes' café")


def test_opml_lists_every_feed(site: Path) -> None:
    opml = ET.parse(site / "feeds.opml").getroot()
    urls = [o.get("xmlUrl") for o in opml.iter("outline")]
    expected = {
        f"https://example.org/digest/{folder.relative_to(site).as_posix()}/feed.xml".replace(
            "/./", "/"
        )
        for folder in feed_folders(site)
    } | {"https://example.org/digest/editions/feed.xml"}  # the edition feed (test_edition_feed.py)
    assert (
        urls[0] == "https://example.org/digest/feed.xml"
        and set(urls) == expected
        and len(urls) == 10
    )
    assert all(o.get("type") == "rss" and o.get("text") for o in opml.iter("outline"))
    assert 'href="../feeds.opml"' in (site / "topics" / "index.html").read_text()


def test_pages_announce_their_feeds(site: Path) -> None:
    page = (site / "topics" / "funding" / "index.html").read_text()
    for kind, name in (
        ("rss+xml", "feed.xml"),
        ("atom+xml", "atom.xml"),
        ("feed+json", "feed.json"),
    ):
        assert f'type="application/{kind}"' in page
        assert f'href="../../{name}"' in page and f'href="../../topics/funding/{name}"' in page


def test_feed_size_and_icon_come_from_site_yaml(tmp_path: Path) -> None:
    site = build(
        tmp_path,
        {"000_sample.txt": SAMPLE.read_bytes()},
        feed_size=3,
        feed_icon="icon.png",
        author="La rédaction",
    )
    rss = find(ET.parse(site / "feed.xml").getroot(), "channel")
    assert len(rss.findall("item")) == 3
    assert rss.findtext("image/url") == "https://example.org/digest/icon.png"
    atom = ET.parse(site / "atom.xml").getroot()
    assert atom.findtext(f"{ATOM}icon") == "https://example.org/digest/icon.png"
    assert atom.findtext(f"{ATOM}author/{ATOM}name") == "La rédaction"
    document = json.loads((site / "feed.json").read_text())
    assert len(document["items"]) == 3 and document["icon"] == "https://example.org/digest/icon.png"


def test_an_unchanged_rebuild_gives_byte_identical_feeds(tmp_path: Path) -> None:
    site = build(tmp_path, {"000_sample.txt": SAMPLE.read_bytes()})
    before = {
        k: v
        for k, v in tree(site).items()
        if k.endswith(("feed.xml", "atom.xml", "feed.json", "feeds.opml"))
    }
    os.utime(tmp_path / "content" / "000_sample.txt", (0, 0))
    pipeline.build(config_for(tmp_path))
    after = {k: v for k, v in tree(site).items() if k in before}
    assert after == before and len(before) == 31  # 10 feeds in 3 formats, and the OPML


def test_a_new_edition_adds_entries_and_changes_no_old_one(tmp_path: Path) -> None:
    site = build(tmp_path, {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})

    def entries(name: str) -> dict[str, tuple[str, str, str]]:
        parsed = feedparser.parse((site / name).read_bytes())
        return {e.id: (e.title, e.link, e.published) for e in parsed.entries}

    def json_entries() -> dict[str, tuple[str, str, str]]:
        document = json.loads((site / "feed.json").read_text())
        return {i["id"]: (i["title"], i["url"], i["date_published"]) for i in document["items"]}

    before = {"rss": entries("feed.xml"), "atom": entries("atom.xml"), "json": json_entries()}
    build(tmp_path, {"001_next.txt": NEW_EDITION})
    after = {"rss": entries("feed.xml"), "atom": entries("atom.xml"), "json": json_entries()}
    for kind in before:
        assert len(after[kind]) == len(before[kind]) + 2
        assert {k: after[kind][k] for k in before[kind]} == before[kind], kind


def newsboat_unread(
    newsboat: str, urls: Path, cache: Path, home: Path
) -> dict[tuple[str, str], tuple]:
    """Reload every feed in newsboat; {(feed URL, guid): (title, link, date, unread)} from its cache."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "XDG_DATA_HOME": str(home),
    }
    done = subprocess.run(
        [newsboat, "-u", str(urls), "-c", str(cache), "-C", str(home / "config"), "-x", "reload"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(cache) as db:
        query = "SELECT feedurl, guid, title, url, pubDate, unread FROM rss_item WHERE deleted = 0"
        rows = db.execute(query).fetchall()
    return {
        (feed, guid): (title, url, date, unread) for feed, guid, title, url, date, unread in rows
    }


def test_a_real_feed_reader_shows_exactly_the_new_items(tmp_path: Path, serve) -> None:
    newsboat = require_tool("newsboat")
    site_folder = tmp_path / "site"
    site_folder.mkdir()  # served before the first build: the URL must be known to build with
    base = serve(site_folder)
    build(tmp_path, {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER}, base_url=base)
    home = tmp_path / "reader"
    home.mkdir()
    (home / "config").write_text("")
    urls = home / "urls"
    urls.write_text(f"{base}feed.xml\n{base}atom.xml\n{base}topics/regulation/feed.xml\n")
    cache = home / "cache.db"

    first = newsboat_unread(newsboat, urls, cache, home)
    # newsboat keeps one copy of a guid that two feeds share: the regulation feed's 7 items
    # are the site feed's too, so 19 RSS guids and 19 Atom ids in all.
    assert len(first) == 19 + 19 and all(unread == 1 for *_, unread in first.values())
    assert sum(feed.endswith("regulation/feed.xml") for feed, _ in first) == 7
    with sqlite3.connect(cache) as db:  # the reader marks everything read
        db.execute("UPDATE rss_item SET unread = 0")

    build(tmp_path, {"001_next.txt": NEW_EDITION}, base_url=base)
    second = newsboat_unread(newsboat, urls, cache, home)
    unread = {key for key, (*_, flag) in second.items() if flag == 1}
    items = json.loads((site_folder / "items.json").read_text())["items"]
    new_urls = {item["url"] for item in items if item["edition"] == 1}
    expected = {key for key, (_, url, *_) in second.items() if url in new_urls}
    assert len(new_urls) == 2 and len(second) == len(first) + 4
    assert {feed for feed, _ in expected} == {
        f"{base}feed.xml",
        f"{base}atom.xml",
    }  # not regulation
    assert unread == expected  # the new items, in RSS and in Atom, and nothing else
    for key, (title, url, date, _) in first.items():
        assert second[key][:3] == (title, url, date)  # old items: same title, link and date


def feed_dates(folder: Path) -> dict[str, list[tuple[str, datetime]]]:
    """Each format's (id, date) of every entry, in the feed's order."""
    rss = find(ET.parse(folder / "feed.xml").getroot(), "channel")
    atom = ET.parse(folder / "atom.xml").getroot()
    document = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
    return {
        "rss": [
            (findtext(i, "guid"), parsedate_to_datetime(findtext(i, "pubDate")))
            for i in rss.iter("item")
        ],
        "atom published": [
            (findtext(e, f"{ATOM}id"), datetime.fromisoformat(findtext(e, f"{ATOM}published")))
            for e in atom.findall(f"{ATOM}entry")
        ],
        "atom updated": [
            (findtext(e, f"{ATOM}id"), datetime.fromisoformat(findtext(e, f"{ATOM}updated")))
            for e in atom.findall(f"{ATOM}entry")
        ],
        "json": [(i["id"], datetime.fromisoformat(i["date_published"])) for i in document["items"]],
    }


def test_no_two_entries_of_a_feed_share_a_date_and_readers_keep_the_editors_order(
    tmp_path: Path,
) -> None:
    # The W3C validator warns of two entries with one atom:updated; a reader sorting by
    # date would shuffle an edition whose items all had its time.
    site = build(
        tmp_path,
        {"000_sample.txt": SAMPLE.read_bytes(), "001_next.txt": NEW_EDITION, "dates.yaml": LEDGER},
    )
    records = json.loads((site / "items.json").read_text(encoding="utf-8"))["items"]
    listed = [r for r in records if not r["duplicate_of"]]
    checked = 0
    for folder in feed_folders(site):
        for kind, entries in feed_dates(folder).items():
            dates = [when for _, when in entries]
            assert len(set(dates)) == len(dates), (folder, kind)
            # Newest first, as the site lists them: a reader sorting by date keeps the order.
            assert dates == sorted(dates, reverse=True), (folder, kind)
            checked += len(dates)
    assert checked > 4 * len(listed)
    # The edition keeps its own date: on the items, and as the feed's newest time.
    assert {r["date"] for r in records if r["edition"] == 0} == {"2026-11-26T08:00:00+01:00"}
    assert {r["date"] for r in records if r["edition"] == 1} == {"2026-11-30T00:00:00+00:00"}
    atom = ET.parse(site / "atom.xml").getroot()
    assert atom.findtext(f"{ATOM}updated") == "2026-11-30T00:00:00+00:00"


def test_a_reordered_file_moves_its_times_and_keeps_its_guids(tmp_path: Path) -> None:
    site = build(tmp_path, {"001_next.txt": NEW_EDITION})
    before = dict(feed_dates(site)["rss"])
    head, first, second = NEW_EDITION.rsplit("\n---\n")[0], *NEW_EDITION.split("\n\n")
    first = first.removeprefix(head + "\n---\n")
    build(tmp_path, {"001_next.txt": f"{head}\n---\n{second}\n{first}\n"})
    after = dict(feed_dates(site)["rss"])
    assert set(after) == set(before)  # the same guids
    [(top, newest)] = [
        (guid, when) for guid, when in before.items() if when == max(before.values())
    ]
    assert after[top] == newest - timedelta(seconds=1)  # the first item is now second
