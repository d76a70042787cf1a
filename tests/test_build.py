"""Whole builds: the output contract that the rest of the project builds on."""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import ROOT, SAMPLE, TWO_ITEMS, config_for, find, tree

from digest import pipeline

LEDGER = '"000_sample.txt": 2026-11-26T08:00:00+01:00\n'


@pytest.fixture
def sample_site(content, tmp_path: Path) -> Path:
    content({"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})
    result = pipeline.build(config_for(tmp_path, timezone="Europe/Paris"))
    assert result.problems == [] and result.written
    return tmp_path / "site"


def items_of(site: Path) -> list[dict]:
    return json.loads((site / "items.json").read_text(encoding="utf-8"))["items"]


def test_sample_edition_builds_every_page(sample_site: Path) -> None:
    items = items_of(sample_site)
    assert len(items) == 20
    expected = {
        "index.html",
        "editions/0/index.html",
        "topics/index.html",
        "archive/index.html",
        "feed.xml",
        "atom.xml",
        "feed.json",
        "editions/feed.xml",
        "editions/atom.xml",
        "editions/feed.json",
        "feeds.opml",
        "items.json",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "sitemap-latest.xml",
        "search/index.html",
        "search.js",
        "stemmer.js",
        "favicon.svg",
        "style.css",
        ".digest-site",
        *(item["url"].removeprefix("https://example.org/digest/") + "index.html" for item in items),
    }
    files = set(tree(sample_site))
    assert {f for f in files if not f.startswith("search/") or f == "search/index.html"} == expected
    assert "search/index.json" in files
    index = (sample_site / "index.html").read_text()
    assert index.count('<article class="item"') == 19  # one story is reported twice


def test_items_json_has_the_contract_fields(sample_site: Path) -> None:
    first, *_, last = items_of(sample_site)
    assert list(first) == [
        "id", "url", "title", "title_by", "date", "edition", "summary", "analysis", "topics", "topic_evidence", "source", "duplicate_of",
    ]  # fmt: skip
    assert first["date"] == "2026-11-26T08:00:00+01:00"
    assert first["edition"] == 0
    assert first["source"] == {"file": "000_sample.txt", "line": 1}
    assert last["source"] == {"file": "000_sample.txt", "line": 39}
    assert first["topics"] == [] and first["duplicate_of"] is None  # no topics.yaml here
    assert first["url"].startswith("https://example.org/digest/items/a-recent-study-identifies")
    assert first["analysis"].startswith("As France positions itself")
    assert len({item["id"] for item in items_of(sample_site)}) == 20


def test_feed_is_valid_rss_that_feedparser_reads_cleanly(sample_site: Path) -> None:
    feed = feedparser.parse((sample_site / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert len(feed.entries) == 19
    position = {item["id"]: n for n, item in enumerate(items_of(sample_site))}  # one edition
    items = [item for item in items_of(sample_site) if item["duplicate_of"] is None]
    for entry, item in zip(feed.entries, items, strict=True):
        assert entry.id == item["id"]
        assert entry.guidislink is False
        assert entry.link == item["url"]
        assert entry.title == item["title"]
        # The edition's time, a second less for each item above it in the file.
        second = 60 - position[item["id"]]
        assert entry.published == (
            "Thu, 26 Nov 2026 08:00:00 +0100"
            if second == 60
            else f"Thu, 26 Nov 2026 07:59:{second:02d} +0100"
        )
    channel = find(ET.parse(sample_site / "feed.xml").getroot(), "channel")
    assert channel.findtext("lastBuildDate") == "Thu, 26 Nov 2026 08:00:00 +0100"
    self_link = find(channel, "{http://www.w3.org/2005/Atom}link")
    assert self_link.get("href") == "https://example.org/digest/feed.xml"


def test_feed_size_is_configurable(content, tmp_path: Path) -> None:
    content({"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})
    pipeline.build(config_for(tmp_path, feed_size=5))
    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    assert [e.id for e in feed.entries] == [i["id"] for i in items_of(tmp_path / "site")[:5]]


def test_same_input_gives_byte_identical_output(content, tmp_path: Path, monkeypatch) -> None:
    folder = content({"000_sample.txt": SAMPLE.read_bytes(), "1_b.txt": TWO_ITEMS})
    pipeline.build(config_for(tmp_path))  # records the dates
    first = tree(tmp_path / "site")
    os.utime(folder / "1_b.txt", (1, 1))  # touching files changes nothing
    monkeypatch.chdir(folder)  # nor does the folder the build starts from
    pipeline.build(config_for(tmp_path))
    assert tree(tmp_path / "site") == first


def test_identities_survive_a_fresh_clone_and_a_new_edition(content, tmp_path: Path) -> None:
    folder = content({"000_sample.txt": SAMPLE.read_bytes()})
    pipeline.build(config_for(tmp_path))
    before = {item["id"]: item for item in items_of(tmp_path / "site")}
    old_feed = {
        e.id: (e.title, e.link, e.published)
        for e in feedparser.parse(tmp_path / "site" / "feed.xml").entries
    }

    clone = tmp_path / "clone"
    shutil.copytree(folder, clone)  # new modification times, as after git clone
    os.utime(clone / "000_sample.txt", (2_000_000_000, 2_000_000_000))
    (clone / "001_next.txt").write_text(TWO_ITEMS, encoding="utf-8")
    pipeline.build(config_for(tmp_path, content=clone, output=tmp_path / "site2"))
    after = {item["id"]: item for item in items_of(tmp_path / "site2")}

    assert set(before) < set(after) and len(after) == 22
    for id_, item in before.items():
        assert {k: after[id_][k] for k in ("url", "title", "date", "edition")} == {
            k: item[k] for k in ("url", "title", "date", "edition")
        }
    new_feed = {
        e.id: (e.title, e.link, e.published)
        for e in feedparser.parse(tmp_path / "site2" / "feed.xml").entries
    }
    assert all(new_feed[id_] == old for id_, old in old_feed.items())


NASTY = (
    "Acme & Sons <script>alert('x')</script> say \"5 < 6\" ]]> and 'quotes' — café 🤖 "
    '[click](javascript:alert(1)) <img src=x onerror=alert(2)> <a href="javascript:alert(3)">a</a>.\n'
    "Analysis — R&D ]]> <iframe src=//evil></iframe> **bold** <b onclick=alert(4)>b</b>\n"
)


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_item_text_is_escaped_everywhere(content, tmp_path: Path) -> None:
    content({"1_a.txt": NASTY})
    result = pipeline.build(config_for(tmp_path))
    assert result.problems == []
    site = tmp_path / "site"
    for path in site.rglob("*.html"):
        collector = TagCollector()
        collector.feed(path.read_text(encoding="utf-8"))
        for tag, attrs in collector.tags:
            assert tag not in {"img", "iframe"}, path
            if tag == "script":  # only the search page's own scripts, never inline
                assert (attrs.get("src") or "").endswith(("search.js", "stemmer.js")), path
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
            for name in {"href", "src", "action"} & set(attrs):
                assert not (attrs[name] or "").strip().lower().startswith("javascript:"), (
                    path,
                    tag,
                )
    page = next((site / "items").glob("*/index.html")).read_text()
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
        or "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    )
    assert "<strong>bold</strong>" in page

    ET.parse(site / "feed.xml")  # well-formed
    entry = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    summary = NASTY.splitlines()[0]
    # The headline keeps the signs that stand for words (&, <) and drops a lone "]]>".
    assert entry.title.startswith("Acme & Sons <script>alert('x')</script> say \"5 < 6\"")
    # RSS readers take a description as HTML, so the plain text is sent HTML-escaped.
    description = html.unescape(entry.description)
    for fragment in ("Acme & Sons", '"5 < 6" ]]>', "café 🤖", "<script>alert('x')</script>"):
        assert fragment in description
    assert "R&D ]]>" in description
    [item] = items_of(site)
    assert item["summary"] == summary and item["analysis"] == NASTY.splitlines()[1].removeprefix(
        "Analysis — "
    )


def test_the_same_summary_twice_is_published_once_and_reported(
    content, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    content({"1_a.txt": TWO_ITEMS, "2_b.txt": TWO_ITEMS.upper().replace("ANALYSIS", "Analysis")})
    result = pipeline.build(config_for(tmp_path))
    assert [str(p) for p in result.problems] == [
        "content/2_b.txt:1: warning: same summary as content/1_a.txt:1; the item is published once, from there",
        "content/2_b.txt:3: warning: same summary as content/1_a.txt:3; the item is published once, from there",
    ]
    assert len(items_of(tmp_path / "site")) == 2


def test_read_only_content_still_builds_and_records_nothing(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    folder.chmod(0o555)
    try:
        result = pipeline.build(config_for(tmp_path))
    finally:
        folder.chmod(0o755)
    assert result.written
    assert [p.message for p in result.problems] == [
        "the content folder is read-only: the dates of 1 new edition(s) come from the files' "
        "modification times and are not recorded",
        "the content folder is read-only: the addresses of 2 new item(s) are not recorded, "
        "and may move when their headlines change",
    ]
    assert not (folder / "dates.yaml").exists()
    assert not (folder / "urls.yaml").exists()


def test_pages_link_to_neighbours_and_earlier_editions(content, tmp_path: Path) -> None:
    content({"1_a.txt": TWO_ITEMS, "2_b.txt": "Three.\nAnalysis — C.\n"})
    pipeline.build(config_for(tmp_path))
    site = tmp_path / "site"
    index = (site / "index.html").read_text()
    assert 'href="editions/1/"' in index and "Edition 2" in index
    three, one, two = (item["url"].split("/")[-2] for item in items_of(site))
    page = (site / "items" / one / "index.html").read_text()
    # In the lists' order: above it, the newer edition's last item; below, the next in its own.
    assert (
        f'rel="prev" href="../../items/{three}/"><span class="direction">'
        "Newer edition · Edition 2</span>"
    ) in page
    assert (
        f'rel="next" href="../../items/{two}/"><span class="direction">Next in Edition 1</span>'
    ) in page
    page = (site / "items" / two / "index.html").read_text()
    assert (
        f'rel="prev" href="../../items/{one}/"><span class="direction">Previous in Edition 1</span>'
    ) in page
    assert 'rel="next"' not in page  # the oldest item
    assert 'href="../../editions/1/"' in page
    assert '<link rel="canonical" href="https://example.org/digest/items/' in page


def test_a_failed_build_leaves_the_previous_site_untouched(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    pipeline.build(config_for(tmp_path))
    before = tree(tmp_path / "site")
    (folder / "2_b.txt").write_text("Analysis — no summary\n")
    result = pipeline.build(config_for(tmp_path))
    assert not result.written
    assert tree(tmp_path / "site") == before


KILLER = """
import os, signal, sys
from pathlib import Path
import digest.write as w
from digest import pipeline
from digest.config import SiteConfig

where, after = sys.argv[1], int(sys.argv[2])
written = 0
real_write_bytes = Path.write_bytes

def write_then_die(self, data):
    global written
    if where == "files" and written == after:
        os.kill(os.getpid(), signal.SIGKILL)
    written += 1
    return real_write_bytes(self, data)

def swap_then_die(staging, out_dir):
    if where == "swap":
        os.kill(os.getpid(), signal.SIGKILL)

Path.write_bytes = write_then_die
w._swap = swap_then_die
pipeline.build(SiteConfig(content=Path(sys.argv[3]), output=Path(sys.argv[4]), cache=None))
"""


@pytest.mark.parametrize(
    ("where", "after"), [("files", 0), ("files", 3), ("files", 7), ("swap", 0)]
)
def test_a_killed_build_leaves_the_previous_site_byte_for_byte(
    content, tmp_path: Path, where: str, after: int
) -> None:
    folder = content({"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})
    pipeline.build(config_for(tmp_path))
    pipeline.build(config_for(tmp_path))  # now the spare is known: the killed build updates it
    assert (tmp_path / ".site.spare.record").exists()
    before = tree(tmp_path / "site")
    (folder / "001_more.txt").write_text(TWO_ITEMS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", KILLER, where, str(after), str(folder), str(tmp_path / "site")],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert tree(tmp_path / "site") == before
    # The killed build staged in the spare folder and left it unmarked: never reused as is.
    assert (tmp_path / ".site.spare").is_dir() and not (tmp_path / ".site.spare.record").exists()
    pipeline.build(config_for(tmp_path))  # the next build starts that folder afresh and succeeds
    assert len(items_of(tmp_path / "site")) == 22
    # Killed at the swap, the site's own record was already gone: one more build to rebuild both.
    pipeline.build(config_for(tmp_path))
    assert (tmp_path / ".site.spare.record").exists()


def test_concurrent_builds_never_mix(content, tmp_path: Path) -> None:
    a = content({"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER}, folder="a")
    b = content(
        {"1_b.txt": TWO_ITEMS, "dates.yaml": '"1_b.txt": 2026-01-01T00:00:00+00:00\n'}, folder="b"
    )

    def start(folder: Path, out: Path) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            str(ROOT / "build.py"),
            "-q",
            "--content",
            str(folder),
            "--output",
            str(out),
        ]
        return subprocess.Popen(command, cwd=tmp_path)

    expected = []
    for folder in (a, b):
        assert start(folder, tmp_path / f"only-{folder.name}").wait() == 0
        expected.append(tree(tmp_path / f"only-{folder.name}"))
    assert expected[0] != expected[1]
    out = tmp_path / "shared"
    for _ in range(3):
        runs = [start(folder, out) for folder in (a, b, a, b)]
        assert [run.wait() for run in runs] == [0, 0, 0, 0]
        assert tree(out) in expected
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".shared")) == [
        ".shared.live.record",
        ".shared.lock",
        ".shared.spare",
        ".shared.spare.record",
    ]


def test_the_sample_with_its_taxonomy_gets_topics_and_one_duplicate_pair(
    content, tmp_path: Path
) -> None:
    content({"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER})
    shutil.copy(ROOT / "content" / "topics.yaml", tmp_path / "content" / "topics.yaml")
    assert pipeline.build(config_for(tmp_path)).problems == []
    site = tmp_path / "site"
    items = {item["source"]["line"]: item for item in items_of(site)}
    original, repeat = items[5], items[17]
    assert repeat["duplicate_of"] == original["id"]
    assert [line for line, item in items.items() if item["duplicate_of"]] == [17]
    assert original["topics"] == ["regulation", "security"]
    assert original["topic_evidence"]["regulation"]["summary"][:3] == ["AI Act", "GDPR", "CNIL"]

    page = (
        site / original["url"].removeprefix("https://example.org/digest/") / "index.html"
    ).read_text()
    assert "Also reported" in page
    assert repeat["analysis"] in html.unescape(page)
    repeat_page = (
        site / repeat["url"].removeprefix("https://example.org/digest/") / "index.html"
    ).read_text()
    assert f'<link rel="canonical" href="{original["url"]}">' in repeat_page

    ids_in_feeds = [
        e.id for f in site.rglob("feed.xml") for e in feedparser.parse(f.read_bytes()).entries
    ]
    assert repeat["id"] not in ids_in_feeds
    regulation = feedparser.parse((site / "topics" / "regulation" / "feed.xml").read_bytes())
    assert regulation.bozo == 0 and len(regulation.entries) == 7  # 8 items, one a repeat
    assert all("Regulation" in [t.term for t in e.tags] for e in regulation.entries)
    topics_page = (site / "topics" / "index.html").read_text()
    assert 'href="regulation/"' in topics_page or 'href="../topics/regulation/"' in topics_page


def test_an_edition_whose_items_all_repeat_earlier_reports_keeps_its_page(
    content, tmp_path: Path, cli
) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    first = "\n".join(lines[:16] + lines[18:]) + "\n"  # with the CNIL deepfake guidance
    again = "\n".join(lines[16:18]) + "\n"  # the same story in other words
    folder = content(
        {
            "001_first.txt": first,
            "002_again.txt": again,
            "dates.yaml": '"001_first.txt": 2026-11-20T08:00:00+01:00\n'
            '"002_again.txt": 2026-11-27T08:00:00+01:00\n',
        }
    )
    run = cli("build", "--content", folder, "--output", tmp_path / "site")
    assert run.code == 0, run.err
    assert "in 2 editions" in run.out
    site = tmp_path / "site"
    items = items_of(site)
    [repeat] = [item for item in items if item["source"]["file"] == "002_again.txt"]
    [original] = [item for item in items if item["id"] == repeat["duplicate_of"]]
    assert original["source"] == {"file": "001_first.txt", "line": 5}
    page = (site / "editions" / "2" / "index.html").read_text(encoding="utf-8")
    assert "Reported earlier" in page and "1 item<" in page
    first_path = original["url"].removeprefix("http://localhost:8000/")
    assert f'href="../../{first_path}"' in page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="editions/2/"' in home and f'href="{first_path}"' in home
    # The repeat's own page links to its edition, which exists.
    repeat_page = site / repeat["url"].removeprefix("http://localhost:8000/") / "index.html"
    assert 'href="../../editions/2/"' in repeat_page.read_text(encoding="utf-8")


def test_reports_of_one_story_are_named_by_headline_and_edition_title(
    content, tmp_path: Path
) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    # The sample's CNIL story (line 5) is told again on line 17: here in the next edition.
    content(
        {
            "000_a.txt": "---\ntitle: Semaine 49\n---\n" + "".join(lines[:12]),
            "001_b.txt": "---\ntitle: Semaine 50\n---\n" + "".join(lines[12:]),
            "topics.yaml": (ROOT / "content" / "topics.yaml").read_bytes(),
        }
    )
    pipeline.build(config_for(tmp_path))
    site = tmp_path / "site"
    items = items_of(site)
    [repeat] = [item for item in items if item["duplicate_of"]]
    [first] = [item for item in items if item["id"] == repeat["duplicate_of"]]
    assert (first["edition"], repeat["edition"]) == (0, 1)
    path = {item["id"]: item["url"].removeprefix("https://example.org/digest/") for item in items}

    page = (site / path[first["id"]] / "index.html").read_text(encoding="utf-8")
    also = page[page.index('<section class="also-reported"') :]
    title = html.escape(repeat["title"], quote=False)
    assert f'<a href="../../{path[repeat["id"]]}">{title}</a></h3>' in also
    assert '<a href="../../editions/1/">Semaine 50</a>' in also
    assert "Edition 1" not in page

    page = (site / path[repeat["id"]] / "index.html").read_text(encoding="utf-8")
    first_title = html.escape(first["title"], quote=False)
    assert (
        f'This story was first reported in Semaine 49 as <a href="../../{path[first["id"]]}">'
        f"{first_title}</a>"
    ) in page
    edition = (site / "editions" / "1" / "index.html").read_text(encoding="utf-8")
    assert "first reported in Semaine 49, <time" in edition


def test_topic_lists_give_the_headline_as_a_link_then_the_summary(content, tmp_path: Path) -> None:
    content(
        {
            "000_sample.txt": SAMPLE.read_bytes(),
            "topics.yaml": (ROOT / "content" / "topics.yaml").read_bytes(),
        }
    )
    pipeline.build(config_for(tmp_path))
    site = tmp_path / "site"
    page = (site / "topics" / "funding" / "index.html").read_text(encoding="utf-8")
    funded = [item for item in items_of(site) if "funding" in item["topics"]]
    entries = page.split('<h2 class="item-title">')[1:]
    assert len(entries) == len(funded) > 0
    for item, entry in zip(funded, entries, strict=True):
        path = item["url"].removeprefix("https://example.org/digest/")
        title = html.escape(item["title"], quote=False)
        assert entry.startswith(f'<a href="../../{path}">{title}</a></h2>')
        assert '<div class="summary">' in entry
