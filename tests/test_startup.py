"""Start-up: a build imports only what it uses (the Markdown parser, the newsletter's email
and CSS inlining, `digest init` are imported where they are needed; PyStemmer's stemmer
without snowballstemmer's pure-Python ones), and still uses them when it does. Each case
runs in a fresh interpreter, where nothing is imported yet."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, TWO_ITEMS

from digest import cli, init, words

# Modules that a build of plain item text, without pages or a newsletter, does not need.
LAZY = ("markdown_it", "nh3", "css_inline", "digest.newsletter", "digest.init", "digest.serve")

BUILD = """
import json, sys
from digest import cli
code = cli.main(["build", "-q", "--config", sys.argv[1]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _build(tmp_path: Path, items: str, pages: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Build a site of one edition (and `pages`, if any) in a fresh interpreter: its exit
    code, and the modules imported by the end."""
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "000_week.txt").write_text(items, encoding="utf-8")
    if pages is not None:
        (tmp_path / "pages").mkdir()
        for name, text in pages.items():
            (tmp_path / "pages" / name).write_text(text, encoding="utf-8")
    site_yaml = tmp_path / "site.yaml"
    site_yaml.write_text(
        "base_url: https://example.org/\ncontent: content\noutput: site\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(site_yaml)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return found["code"], set(found["modules"])


def test_a_plain_build_imports_no_parser_newsletter_or_init(tmp_path: Path) -> None:
    code, modules = _build(tmp_path, TWO_ITEMS)
    assert code == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert "jinja2" in modules  # the build did render: the check below means something
    assert sorted(modules.intersection(LAZY)) == []


def test_markdown_in_items_and_pages_is_parsed_when_there(tmp_path: Path) -> None:
    items = "Prices rose, says *the* [report](https://example.org/r). Rents fell too.\n"
    about = "---\ntitle: About\n---\n# Who we are\n\nA *small* team.\n"
    code, modules = _build(tmp_path, items, {"about.md": about})
    assert code == 0
    assert {"markdown_it", "nh3"} <= modules
    assert "digest.newsletter" not in modules and "digest.init" not in modules
    edition = (tmp_path / "site" / "editions" / "0" / "index.html").read_text(encoding="utf-8")
    assert "<em>the</em>" in edition
    assert '<a href="https://example.org/r" rel="noopener noreferrer">report</a>' in edition
    page = (tmp_path / "site" / "about" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Who we are</h1>" in page and "<em>small</em>" in page


def test_the_init_command_offers_what_init_knows() -> None:
    # cli.py spells the choices out so as not to import init for every command.
    assert cli.PUBLISHERS == init.PUBLISHERS
    assert set(init.PUBLISHERS) == {*init.WORKFLOWS, "none"}


def test_a_build_stems_with_pystemmer_alone_when_it_is_installed(tmp_path: Path) -> None:
    code, modules = _build(tmp_path, TWO_ITEMS)
    assert code == 0
    if importlib.util.find_spec("Stemmer") is None:  # snowballstemmer's own, then
        assert "snowballstemmer" in modules
        return
    assert "Stemmer" in modules  # the taxonomy's terms were stemmed
    assert "snowballstemmer" not in modules


def test_the_stemmer_gives_snowballstemmers_stems() -> None:
    import snowballstemmer

    some = "regulators regulation running écoles sécurité hyperscalers Mistral".split()
    for language, algorithm in words.STEMMERS.items():
        expected = snowballstemmer.stemmer(algorithm)
        for word in some:
            assert words.stem(word, language) == expected.stemWord(word.casefold()), word
