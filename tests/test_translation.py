"""The interface speaks the site's language: every message a reader sees is in the
catalogs, and a French site shows none of the English interface's words.

The catalogs are checked against what Babel extracts (babel.cfg: the templates, search.html
and the Python sources that mark messages), and the templates and search.js are read for
reader-facing text that no message holds, so that a new string cannot ship in English only.
"""

from __future__ import annotations

import configparser
import fnmatch
import gettext
import html
import json
import re
import tomllib
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import ROOT, config_for
from test_french_site import FIXTURE, build_french

from digest import pipeline, translation
from digest.config import parse_config
from digest.dates import long_date, month_name
from digest.newsletter import render_email
from digest.render import make_env
from digest.translation import babel_locale, catalog, interface_language, number

LOCALES = ROOT / "digest" / "locale"
LANGUAGES = tuple(translation.supported())  # a new catalog is checked as soon as it is there
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
NNBSP = "\u202f"


def extracted() -> dict[tuple[str, str | None], tuple[str, ...]]:
    """What Babel extracts with babel.cfg, as the catalogs are made: (msgid, context) ->
    its forms (one, or singular and plural)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg", encoding="utf-8")
    method_map = []
    options_map = {}
    for section in config.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        method_map.append((pattern, method))
        options_map[pattern] = dict(config.items(section))
    found: dict[tuple[str, str | None], tuple[str, ...]] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found[(forms[0], context)] = forms
    return found


def po(language: str):
    with (LOCALES / language / "LC_MESSAGES" / "digest.po").open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def messages() -> dict[tuple[str, str | None], tuple[str, ...]]:
    return extracted()


def test_babel_finds_the_messages_of_templates_python_and_search_page(messages) -> None:
    ids = {msgid for msgid, _ in messages}
    assert len(messages) > 80
    assert {"Latest", "Archive", "Analysis", "Edition %(number)s"} <= ids  # templates, Python
    assert "{results} for “{query}”" in ids  # what search.js says, from search.html
    assert ("1", "the first day of a month, in a date") in messages  # dates.py


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_in_the_catalog_and_translated(messages, language: str) -> None:
    catalog = po(language)
    held = {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalog if m.id}
    missing = sorted(str(key) for key in messages.keys() - held.keys())
    assert missing == [], f"not in {language}/digest.po (pybabel extract, then update): {missing}"
    stale = sorted(str(key) for key in held.keys() - messages.keys())
    assert stale == [], f"{language}/digest.po has messages nothing uses: {stale}"
    for key, message in held.items():
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        assert forms and all(forms), f"{language}: untranslated {key}"
        assert not message.fuzzy, f"{language}: fuzzy {key}"
        # A translation fills in what the message does: the same placeholders.
        wanted = set(PLACEHOLDER.findall(" ".join(messages[key])))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) <= wanted, f"{language}: {key} -> {form}"
        if len(forms) == 1:
            assert set(PLACEHOLDER.findall(forms[0])) == wanted, f"{language}: {key}"


def test_the_template_catalog_lists_every_message(messages) -> None:
    with (LOCALES / "digest.pot").open("rb") as file:
        template = read_po(file)
    held = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    assert held == set(messages), "digest/locale/digest.pot is stale: pybabel extract again"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po(language: str) -> None:
    """The .mo read at run time holds what the .po says (pybabel compile after each edit)."""
    folder = LOCALES / language / "LC_MESSAGES"
    with (folder / "digest.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for message in po(language):
        if not message.id:
            continue
        if isinstance(message.id, str):
            key = f"{message.context}\x04{message.id}" if message.context else message.id
            expected[key] = message.string
        else:
            msgid = f"{message.context}\x04{message.id[0]}" if message.context else message.id[0]
            for n, form in enumerate(message.string):
                expected[(msgid, n)] = form
    compiled = {key: value for key, value in compiled.items() if key != ""}
    assert compiled == expected, f"{folder}/digest.mo is stale: pybabel compile -d digest/locale"


def test_the_catalogs_are_in_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "digest.locale" in setuptools["packages"]
    globs = setuptools["package-data"]["digest.locale"]
    files = [p.relative_to(LOCALES).as_posix() for p in LOCALES.rglob("*") if p.is_file()]
    assert {"en/LC_MESSAGES/digest.mo", "fr/LC_MESSAGES/digest.mo"} <= set(files)
    assert [f for f in files if not any(fnmatch.fnmatch(f, glob) for glob in globs)] == []


# -- reader-facing text that no message holds ----------------------------------------------

# Names, not words: the same in every language; and og:type's values.
NOT_WORDS = {"RSS", "Atom", "JSON", "Feed", "OPML", "article", "website"}
# Files for machines, not readers.
NOT_READ = {"robots.txt", "sitemap.xml"}
# Attributes whose values a reader sees or hears.
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "label"}


class Visible(HTMLParser):
    """The text and the read attributes of an HTML page (not its scripts and styles)."""

    def __init__(self, messages: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._messages = messages  # whether to read search.js's messages (data-messages)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (name == "content" and _described(attrs))):
                self.parts.append(value)
            if value and name == "data-messages" and self._messages:  # what search.js says
                # Its {placeholders} are for the script to fill in, not words.
                self.parts += [re.sub(r"\{\w+\}", " ", m) for m in _strings(json.loads(value))]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _described(attrs: list[tuple[str, str | None]]) -> bool:
    """Whether a <meta> holds words: a description or a title (not twitter:card's kind)."""
    named = dict(attrs).get("name") or dict(attrs).get("property") or ""
    return named.endswith(("description", "title", "site_name"))


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def untranslated_text(name: str, source: str) -> list[str]:
    """The words a template shows outside its messages: its literal text, with every tag,
    expression and {% trans %} block taken out."""
    env = make_env()
    kept, depth = [], 0
    tokens = list(env.lex(source, name))
    tokens = [token for token in tokens if token[1] != "whitespace"]
    for n, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and value in ("trans", "endtrans") and tokens[n - 1][1] == "block_begin":
            depth += 1 if value == "trans" else -1
        if kind == "data" and depth == 0:
            kept.append(value)
        elif kind in ("variable_begin", "block_begin"):
            kept.append("0")  # what the tag puts there: no word, and a tag name stays one
    text = "".join(kept)
    if name.endswith(".txt"):
        parts = [text]
    else:
        parser = Visible(messages=False)  # its messages are _() calls: checked above
        parser.feed(text)
        parts = parser.parts
    words = re.findall(r"[^\W\d_]{2,}", " ".join(parts))
    return [word for word in words if word not in NOT_WORDS]


def test_no_template_shows_text_outside_the_catalogs() -> None:
    templates = ROOT / "templates"
    found = {}
    for path in sorted(templates.iterdir()):
        if path.suffix in (".html", ".xml", ".opml", ".txt") and path.name not in NOT_READ:
            words = untranslated_text(path.name, path.read_text(encoding="utf-8"))
            if words:
                found[path.name] = words
    assert found == {}, f"text to wrap in {{% trans %}} or _(): {found}"


def test_the_check_finds_a_new_string_in_a_template() -> None:
    assert untranslated_text("x.html", '<p class="a">Read more</p>') == ["Read", "more"]
    assert untranslated_text("x.html", '<nav aria-label="Pages">{{ x }}</nav>') == ["Pages"]
    assert untranslated_text("x.html", "<p>{{ _('Read more') }} {{ n }}</p>") == []
    assert untranslated_text("x.html", "<p>{% trans %}Read more{% endtrans %}</p>") == []
    assert untranslated_text("x.txt", "{{ x }}\nUnsubscribe: {{ y }}\n") == ["Unsubscribe"]


def js_strings(source: str) -> list[str]:
    """The string literals of a script, its comments skipped. (search.js's regular
    expressions hold no quote, so they need no reading of their own.)"""
    found, i = [], 0
    while i < len(source):
        if source.startswith("//", i):
            i = source.find("\n", i) % (len(source) + 1)
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif source[i] in "\"'`":
            quote, j = source[i], i + 1
            while source[j] != quote:
                j += 2 if source[j] == "\\" else 1
            found.append(source[i + 1 : j])
            i = j + 1
        else:
            i += 1
    return found


# Strings of search.js that are code, not words for the reader.
SCRIPT_STRINGS = {"use strict", ": HTTP "}  # an HTTP status, inside the "failed" message


def test_search_js_says_nothing_of_its_own() -> None:
    """What the search page says comes from the page, in the site's language: a string of
    words in search.js (one with a space in it) is a message it should take from there."""
    source = (ROOT / "templates" / "search.js").read_text(encoding="utf-8")
    words = [s for s in js_strings(source) if re.search(r"\s", s) and re.search(r"[^\W\d_]", s)]
    assert set(words) <= SCRIPT_STRINGS, set(words) - SCRIPT_STRINGS
    assert js_strings('a("x y"); // "not this"\nb(\'z\')') == ["x y", "z"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_search_js_asks_for_is_on_the_page(tmp_path: Path, language: str) -> None:
    site = build_french(tmp_path, language=language)
    parser = Visible()
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    given = json.loads(html.unescape(re.search(r"data-messages='([^']*)'", page)[1]))  # type: ignore[index]
    source = (ROOT / "templates" / "search.js").read_text(encoding="utf-8")
    asked = set(re.findall(r'say\("(\w+)"', source))
    asked |= {
        name for pair in re.findall(r'say\([^()"]*\? "(\w+)" : "(\w+)"', source) for name in pair
    }
    assert {"newest", "best"} <= asked
    assert asked and asked <= set(given), asked - set(given)
    for name, value in given.items():
        if isinstance(value, dict):
            assert set(value) == {"one", "many", "other"}, name
    parser.feed(page)


# -- a French site, through and through ----------------------------------------------------


def english_words() -> set[str]:
    """The English interface's words: those of the English catalog, less those that French
    uses too (names such as RSS, words such as "page" and "site")."""

    def words(language: str) -> set[str]:
        found = set()
        for message in po(language):
            forms = [message.string] if isinstance(message.string, str) else message.string
            for form in forms:
                text = re.sub(r"<[^>]+>|%\(\w+\)s|\{\w+\}", " ", form)
                found |= {w.lower() for w in re.findall(r"[^\W\d_]{2,}", text)}
        return found

    # The dates' words are the interface's too, from CLDR rather than the catalogs.
    months = {month_name(2026, month, "en").split()[0].lower() for month in range(1, 13)}
    return (words("en") | months) - words("fr")


def test_the_english_words_are_the_interfaces(tmp_path: Path) -> None:
    words = english_words()
    assert {"latest", "archive", "topics", "search", "analysis", "edition", "follow"} <= words
    assert {"november", "december"} <= words
    assert {"rss", "page", "site"}.isdisjoint(words)


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("french")
    site = build_french(folder)
    config = replace(config_for(folder, language="fr"), content=folder / "content")
    result = pipeline.check(config)
    return site, result.site


def shown_words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]{2,}", text)}


def test_no_english_interface_word_on_the_french_site(french) -> None:
    site_folder, site = french
    english = english_words()
    # The items' own words are the editor's: only the interface's are looked for.
    content = set()
    for item in site.all_items:
        content |= shown_words(f"{item.title} {item.summary} {item.analysis or ''}")
    content |= shown_words(f"{site.title} {site.description}")
    content |= shown_words(" ".join(site.topic_names.values()))
    content |= shown_words(" ".join(t.description or "" for t in site.topics))
    looked_at = 0
    for path in sorted(site_folder.rglob("*")):
        if path.suffix == ".html":
            parser = Visible()
            parser.feed(path.read_text(encoding="utf-8"))
            text = " ".join(parser.parts)
        elif path.suffix in (".xml", ".opml") and path.name != "sitemap.xml":
            text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
            text += " ".join(re.findall(r'(?:title|text|label|description)="([^"]*)"', text))
            text = re.sub(r"https?://\S+", " ", text)
        elif path.parent.parent.name == "search" and re.fullmatch(r"d\d+\.json", path.name):
            record = json.loads(path.read_text(encoding="utf-8"))  # a search result's text
            text = " ".join(part for part in record[1:] if isinstance(part, str))
        elif path.name == "feed.json":
            document = json.loads(path.read_text(encoding="utf-8"))
            text = " ".join(
                [document["title"], document["description"]]
                + [f"{i['title']} {i['summary']} {i['content_html']}" for i in document["items"]]
            )
            text = re.sub(r"<[^>]+>|https?://\S+", " ", text)
        else:
            continue
        looked_at += 1
        english_here = (shown_words(text) & english) - content
        assert not english_here, f"{path.relative_to(site_folder)}: {sorted(english_here)}"
    assert looked_at > 40


def test_no_english_interface_word_in_the_french_email(french) -> None:
    _folder, site = french
    email = render_email(site, site.editions[0], make_env())
    parser = Visible()
    parser.feed(email.html)
    content = set()
    for item in site.all_items:
        content |= shown_words(f"{item.title} {item.summary} {item.analysis or ''}")
    content |= shown_words(f"{site.title} {site.description}")
    content |= shown_words(" ".join(site.topic_names.values()))
    text = re.sub(r"https?://\S+", " ", email.text)
    for shown in (" ".join(parser.parts), text):
        assert not (shown_words(shown) & english_words()) - content
    assert "Voir dans le navigateur" in email.text and "5 articles" in email.text
    assert "1er décembre 2026" in email.text


def test_french_dates_in_the_archive_and_on_the_pages(french) -> None:
    site_folder, _site = french
    archive = (site_folder / "archive" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<h2[^>]*>décembre 2026</h2>", archive)
    assert re.search(r"<h2[^>]*>novembre 2026</h2>", archive)
    assert ">1er décembre 2026</time>" in archive and ">24 novembre 2026</time>" in archive
    assert ">Édition 1</a>" in archive and ">Édition 0</a>" in archive
    index = (site_folder / "index.html").read_text(encoding="utf-8")
    assert "1er décembre 2026</time> · 5 articles" in index
    assert "<title>Archives · L’IA vue de France</title>" in archive


def test_dates_and_numbers_as_each_language_writes_them() -> None:
    paris = ZoneInfo("Europe/Paris")
    first = datetime(2026, 12, 1, 8, tzinfo=paris)
    assert long_date(first, "fr") == "1er décembre 2026"
    assert long_date(first.replace(day=2), "fr-CA") == "2 décembre 2026"
    assert long_date(first, "en") == "1 December 2026"  # as English sites always had it
    assert long_date(first, "eo") == "1 December 2026"  # no Esperanto catalog: English
    assert month_name(2026, 12, "fr") == "décembre 2026"
    assert month_name(2026, 12, "en") == "December 2026"
    assert number(1234, "fr") == f"1{NNBSP}234" and number(1234, "en") == "1,234"
    assert catalog("fr").ngettext("%(n)s item", "%(n)s items", 0) == "%(n)s article"
    assert catalog("fr").ngettext("%(n)s item", "%(n)s items", 2) == "%(n)s articles"


def test_a_number_is_written_as_babel_writes_it_each_time() -> None:
    from babel.numbers import format_decimal

    values = [*range(-3, 1200), 9999, 10_000, 123_456, 1_234_567, 10**12]
    for tag in ("en", "fr", "fr-CA", "en-US", "eo", "de"):
        wanted = [format_decimal(v, locale=babel_locale(tag)) for v in values]
        for _ in range(2):  # written, then remembered
            assert [number(v, tag) for v in values] == wanted, tag
    assert number(1234, "fr") != number(1234, "en")


def test_a_regional_tag_takes_its_languages_interface(tmp_path: Path) -> None:
    assert interface_language("fr-FR") == interface_language("fr-CA") == "fr"
    assert interface_language("FR") == "fr" and interface_language("eo") is None
    assert {"en", "fr"} <= set(translation.supported())
    site = build_french(tmp_path, language="fr-CA")
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr-CA">' in page and '<meta property="og:locale" content="fr_CA">' in page
    assert ">À la une</a>" in page and "1er décembre 2026" in page


def test_an_unsupported_language_warns_and_speaks_english(tmp_path: Path) -> None:
    text = "title: La AI\nlanguage: eo-XX\n"
    config, problems = parse_config(text, "site.yaml", tmp_path, check_folders=False)
    assert config.language == "eo-XX"  # the editor's tag, kept for lang and the feeds
    known = ", ".join(translation.supported())
    assert [str(p) for p in problems] == [
        "site.yaml:2: warning: language: digest's interface has no 'eo-XX' catalog "
        f"(it has: {known}); the pages' words, dates and numbers will be in English"
    ]
    quiet = parse_config("title: T\nlanguage: fr-FR\n", "site.yaml", tmp_path, False)[1]
    assert quiet == []
    site = build_french(tmp_path, language="eo-XX")
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="eo-XX">' in page
    assert ">Latest</a>" in page and "1 December 2026</time> · 5 items" in page
    assert ">Edition 1</a>" in page
    assert "<language>eo-XX</language>" in (site / "feed.xml").read_text(encoding="utf-8")
    assert FIXTURE.is_dir()


def test_the_commands_summary_speaks_the_sites_language(tmp_path: Path, cli) -> None:
    build_french(tmp_path / "fr")
    run = cli("check", "--config", tmp_path / "fr" / "site.yaml")
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == (
        f"Vérification terminée{NNBSP}: 10 articles en 2 éditions, 5 thèmes — 0 erreur, "
        "0 avertissement"
    )
    run = cli("build", "--config", tmp_path / "fr" / "site.yaml")
    assert run.code == 0 and re.fullmatch(
        rf"Site construit dans (.*/)?fr/site/{NNBSP}: 10 articles en 2 éditions "
        r"\(\d+ fichiers, \d+,\d\d\u00a0s\)",
        run.out.splitlines()[-1],
    ), run.out


def test_a_date_is_the_day_in_the_zone_it_carries_even_for_equal_instants() -> None:
    # Equal datetimes (one instant) in two zones fall on two days: a date formatted once
    # must not be taken for the other.
    paris = datetime(2026, 12, 2, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    utc = paris.astimezone(ZoneInfo("UTC"))
    assert paris == utc
    assert long_date(paris) == "2 December 2026"
    assert long_date(utc) == "1 December 2026"
    assert long_date(utc.date(), "fr") == "1er décembre 2026"
