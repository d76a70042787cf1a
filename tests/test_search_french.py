"""Search on a French site: elision, French punctuation and accents read the same way by
the index (digest/search.py) and by the browser (search.js with the French stemmer.js),
checked on the words themselves, on a French dictionary, and in Chromium on a small
French site (tests/data/search_fr: eight items)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import snowballstemmer
from conftest import ROOT, config_for, require_tool
from test_search import item as an_item
from test_site import browser, module_serve, new_page  # noqa: F401 - fixtures

from digest import pipeline, search
from digest.words import stem

FIXTURE = ROOT / "tests" / "data" / "search_fr"
FRENCH_WORDS = Path("/usr/share/dict/french")  # Debian's wfrench
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "text, expected",
    [
        # Elision, with either apostrophe (and U+02BC): the article is dropped.
        ("l’intelligence", ["intelligent"]),
        ("l'intelligence", ["intelligent"]),
        ("Lʼintelligence", ["intelligent"]),
        ("d’euros", ["euros"]),
        ("qu’il, jusqu’à lorsqu’on puisqu’elle", []),  # elided words and stop words only
        ("l’IA", ["ia"]),
        ("aujourd’hui", ["aujourd", "hui"]),  # an apostrophe inside a word is no elision
        # French punctuation: « », a no-break space (U+00A0) or a narrow one (U+202F).
        (f"«{NBSP}Souveraineté{NBSP}»", ["souverainet"]),
        (f"IA{NNBSP}; IA{NBSP}!", ["ia", "ia"]),
        # Accents folded after stemming: either spelling meets the same stem.
        ("régulation", ["regul"]),
        ("regulation", ["regul"]),
        ("RÉGULATION", ["regul"]),
        ("re\u0301gulation", ["regul"]),  # decomposed, as some keyboards send it
        ("réglementation", ["reglement"]),
        ("reglementation", ["reglement"]),
        ("cœur", ["coeur"]),
        ("coeur", ["coeur"]),
        # An accented word that stems otherwise without its accents is indexed under both.
        ("données", ["don", "donne"]),
        ("donnees", ["donne"]),
    ],
)
def test_french_text_is_read_as_a_french_reader_types_it(text: str, expected: list[str]) -> None:
    assert search.terms(text, "fr") == expected


def test_english_keeps_its_reading() -> None:
    """No elision and no French stop words in English: "qu'" is a word there."""
    assert search.terms("Qu'est the régulation", "en") == ["qu", "est", "regul"]
    assert search.terms("Qu'est the régulation", "fr") == ["the", "regul"]


def test_the_french_index_tells_the_browser_how_to_read_a_query() -> None:
    index = json.loads(search.index_file(search.segments([an_item(0, "L’IA.")], "fr-CA"), {}))
    assert index["language"] == "fr"
    assert "jusqu" in index["elided"] and index["stem_accents"] is True
    assert {"le", "la", "les", "des", "et", "a", "ou"} <= set(index["stop"])
    english = json.loads(search.index_file(search.segments([], "en"), {}))
    assert list(english) == ["format", "language", "stop", "topics", "segments"]
    assert search.stemmer_source("fr-CA") == "stemmer-fr.js"
    assert search.stemmer_source("en-GB") == search.stemmer_source("de") == "stemmer.js"


def build(folder: Path, language: str, base_url: str = "https://example.org/digest/") -> Path:
    shutil.copytree(FIXTURE, folder / "content")
    result = pipeline.build(config_for(folder, language=language, base_url=base_url))
    assert result.written and not result.problems, result.problems
    return folder / "site"


def test_a_site_carries_only_its_own_languages_stemmer(tmp_path: Path) -> None:
    french = build(tmp_path / "fr", "fr").joinpath("stemmer.js").read_bytes()
    english = build(tmp_path / "en", "en").joinpath("stemmer.js").read_bytes()
    assert french == (ROOT / "templates" / "stemmer-fr.js").read_bytes()
    assert english == (ROOT / "templates" / "stemmer.js").read_bytes()
    assert b"FrenchStemmer" not in english and b"EnglishStemmer" not in french


# -- the browser's French stemmer ----------------------------------------------------------


def word_list() -> str:
    """Debian's French word list (wfrench: 346,000 entries), or a skip without it."""
    if not FRENCH_WORDS.is_file():
        message = f"{FRENCH_WORDS} is missing: apt-get install wfrench (.ci/run installs it)"
        if os.environ.get("DIGEST_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return FRENCH_WORDS.read_text(encoding="utf-8")


def french_words() -> list[str]:
    """Every word of the French word list as the index stems it (in lower case, with its
    accents), and as a reader types it without them."""
    read = search._read(word_list(), "fr")
    return sorted({form for pair in read for form in pair})


def test_the_browser_stems_french_as_python_does() -> None:
    """templates/stemmer-fr.js (Snowball's JavaScript) and PyStemmer agree on every word."""
    node = require_tool("node")
    listed = french_words()
    assert len(listed) > 400_000
    script = (
        'require(process.argv[1]); const s = DigestStemmers.stemmerFor("fr");'
        "const words = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(words.map(w => s.stemWord(w))));"
    )
    done = subprocess.run(
        [node, "-e", script, str(ROOT / "templates" / "stemmer-fr.js")],
        input=json.dumps(listed),
        capture_output=True,
        text=True,
        check=True,
    )
    in_js = json.loads(done.stdout)
    # The index's stemmer (digest.words.stem is it, cached), in one call: 467,000 words
    # would only churn that cache.
    in_python = snowballstemmer.stemmer("french").stemWords(listed)
    assert [stem(word, "fr") for word in listed[::1000]] == in_python[::1000]
    different = [(w, p, j) for w, p, j in zip(listed, in_python, in_js, strict=True) if p != j]
    assert different == []


def phrases(seed: int, count: int) -> list[str]:
    """French phrases as readers and editors write them: words of the French word list
    in any case, with or without their accents (or with them decomposed), elided or not
    with either apostrophe, between French punctuation and spaces."""
    import random
    import unicodedata

    draw = random.Random(seed)
    listed = [w for w in word_list().split() if w.isalpha()]
    listed += ["IA", "cœur", "Œuvre", "ex æquo", "ﬁnance", "Straße", "aujourd’hui", "2026"]
    before = ["", "", "", "l’", "l'", "d’", "D'", "qu’", "jusqu’", "lorsqu'", "s’", "n’", "c'"]
    between = [
        " ",
        " ",
        ", ",
        f"{NBSP}: ",
        f"{NNBSP}; ",
        f"{NBSP}! ",
        " « ",
        " » ",
        "-",
        "’",
        "'",
        "_",
    ]
    found = []
    for _ in range(count):
        parts = []
        for _ in range(draw.randint(1, 6)):
            word = draw.choice(before) + draw.choice(listed)
            word = draw.choice([word, word, word.upper(), word.capitalize(), search.fold(word)])
            if draw.random() < 0.1:
                word = unicodedata.normalize("NFD", word)
            parts.append(word + draw.choice(between))
        found.append("".join(parts))
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_search_js_reads_text_as_python_does(language: str) -> None:
    """search.js's reading of a text (its fold, lower, words and stem functions, run in
    node with the site's stemmer.js) gives the index terms that digest/search.py gives,
    on 3,000 French phrases: on a French site, and on an English one (unchanged)."""
    node = require_tool("node")
    source = (ROOT / "templates" / "search.js").read_text(encoding="utf-8")
    start = source.index("  // As digest/search.py's fold")
    end = source.index("  function fileName(")
    index = json.loads(search.index_file(search.segments([an_item(0)], language), {}))
    texts = phrases(15, 3000)
    script = (
        "require(process.argv[1]);"
        "var index = JSON.parse(process.argv[2]), stop = new Set(index.stop);"
        "var stemmer = DigestStemmers.stemmerFor(index.language), elision = null;"
        "eval(process.argv[3]);"
        "elision = elisionFor(index.elided);"
        "var texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(texts.map(function (text) {"
        "  return [].concat.apply([], words(text).filter(function (r) { return !stop.has(r.word); })"
        "    .map(function (r) { return r.plain === r.stem ? [r.stem] : [r.stem, r.plain]; }));"
        "})));"
    )
    stemmer_js = ROOT / "templates" / search.stemmer_source(language)
    done = subprocess.run(
        [node, "-e", script, str(stemmer_js), json.dumps(index), source[start:end]],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    in_js = json.loads(done.stdout)
    different = [
        (text, terms, js)
        for text, js in zip(texts, in_js, strict=True)
        if (terms := search.terms(text, language)) != js
    ]
    assert different == []


# -- in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_french(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """The French fixture site, served under /digest/; and its items, oldest first."""
    serve = request.getfixturevalue("module_serve")
    root = tmp_path_factory.mktemp("served-fr")
    host = serve(root)
    site = build(root / "build", "fr", host + "digest/")
    (root / "digest").symlink_to(site)
    items = json.loads((site / "items.json").read_text(encoding="utf-8"))["items"]
    items.sort(key=lambda item: item["source"]["line"])
    return host + "digest/", items


def search_for(page, base: str, query: str) -> tuple[list[str], str]:
    """The result links (paths under the site) and the status, for a query typed into
    the search page (opened once: the page keeps the index files it fetched)."""
    if not page.url.startswith(base + "search/"):
        page.goto(base + "search/")
    page.evaluate("document.getElementById('search-status').textContent = ''")
    page.fill("#search-query", query)
    page.press("#search-query", "Enter")
    page.wait_for_function("() => document.getElementById('search-status').textContent !== ''")
    links = page.locator(".search-results h2 a").evaluate_all("links => links.map(a => a.href)")
    return [link.removeprefix(base) for link in links], page.inner_text("#search-status")


def paths(items: list[dict], numbers: set[int], base: str) -> set[str]:
    return {items[n]["url"].removeprefix(base) for n in numbers}


# Queries and the items (by their order in the fixture) they find.
QUERIES = [
    ("régulation", {0}),
    ("regulation", {0}),
    ("REGULATION", {0}),
    ("reglementation", {2}),
    ("réglementation", {2}),
    ("l'IA", {1, 2, 3, 6}),
    ("l’IA", {1, 2, 3, 6}),
    (f"IA{NBSP}?", {1, 2, 3, 6}),
    ("d’euros", {1}),
    ("d'euros", {1}),
    ("« souveraineté »", {4}),
    ("souverainete", {4}),
    ("coeur", {3}),
    ("cœur", {3}),
    ("entrainement", {0, 5}),
    ("donnees", {0, 5}),
    ("l’intelligence artificielle", {0}),
]


def test_french_queries_find_what_python_says_they_find(browser, served_french) -> None:  # noqa: F811
    """Accented or not, elided or not, with French punctuation or not: each query finds
    exactly the items whose index terms (as Python reads them) hold its words."""
    base, items = served_french
    page, watch = new_page(browser)
    for query, numbers in QUERIES:
        wanted = [{*search.terms(word, "fr")} for word in query.split() if search.terms(word, "fr")]
        by_python = {
            n
            for n, item in enumerate(items)
            if all(
                stems
                & set(search.terms(f"{item['title']} {item['summary']} {item['analysis']}", "fr"))
                for stems in wanted
            )
        }
        assert by_python == numbers, query
        found, status = search_for(page, base, query)
        assert set(found) == paths(items, numbers, base), (query, status)
    assert page.evaluate("DigestStemmers.languages") == ["fr"]  # the French stemmer only
    assert watch.problems == []
    page.context.close()


def test_every_french_item_is_found_by_its_words_as_a_reader_types_them(
    browser,  # noqa: F811
    served_french,
) -> None:
    """Each item's whole summary, as written and then without accents, typographic
    apostrophes, no-break spaces or capitals, finds that item: every word of it is read
    by the browser as the index read it."""
    base, items = served_french
    page, watch = new_page(browser)
    for n, item in enumerate(items):
        written = item["summary"]
        plain = search.fold(written).replace("’", "'").replace(NBSP, " ")  # no accents
        for query in (written, plain, written.upper()):
            found, status = search_for(page, base, query)
            assert found[:1] == [items[n]["url"].removeprefix(base)], (query, status)
    assert watch.problems == []
    page.context.close()


def test_a_french_typo_is_corrected_to_a_french_word(browser, served_french) -> None:  # noqa: F811
    base, items = served_french
    page, watch = new_page(browser)
    found, status = search_for(page, base, "reglementaton")  # a letter left out
    assert found == [items[2]["url"].removeprefix(base)]
    # In French quotation marks, with their no-break spaces (the catalog's), or in English ones.
    assert re.search("«\\s?réglementation\\s?»|“réglementation”", status), status
    found, _ = search_for(page, base, "l'IA")
    marked = page.locator(".search-results mark").all_inner_texts()
    assert "l’IA" in marked, marked  # the word is marked as written
    assert watch.problems == []
    page.context.close()
