"""digest/lexicon.py answers as lemminflect does, for every word of lemminflect's tables, and
its table is what `python3 -m digest.lexicon --update` writes from the installed lemminflect."""

from __future__ import annotations

import random
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import lexicon

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lemminflect() -> Iterator[ModuleType]:
    """lemminflect, as the table was written from (pyproject.toml's test extra pins it)."""
    import lemminflect

    recorded, installed = lexicon.recorded_version(), version("lemminflect")
    if installed != recorded:
        pytest.skip(
            f"lexicon_en.txt comes from lemminflect {recorded}, {installed} is installed: "
            "regenerate it with `python3 -m digest.lexicon --update`, review the diff and "
            "pin the new version in pyproject.toml"
        )
    yield lemminflect


@pytest.fixture(scope="module")
def words(lemminflect: ModuleType) -> list[str]:
    """Every word of lemminflect's tables and overrides, as written there (capitals too)."""
    from lemminflect.core.Inflections import Inflections
    from lemminflect.core.Lemmatizer import Lemmatizer

    found = sorted(
        {
            *Lemmatizer()._getLemmaDict(),
            *Lemmatizer()._getOverridesDict(),
            *Inflections()._getInflDict(),
            *Inflections()._getOverridesDict(),
        }
    )
    assert len(found) > 50_000  # the tables were read, not an empty stand-in
    return found


def ours(word: str) -> tuple[list[object], list[object]]:
    return list(lexicon.lemmas(word).items()), list(lexicon.verb_forms(word).items())


def theirs(lemminflect: ModuleType, word: str) -> tuple[list[object], list[object]]:
    # Lists of items: the order of the parts of speech, the tags and the spellings counts
    # (headline.py takes a verb's first lemma).
    return (
        list(lemminflect.getAllLemmas(word).items()),
        list(lemminflect.getAllInflections(word, upos="VERB").items()),
    )


def test_every_word_of_the_tables(lemminflect: ModuleType, words: list[str]) -> None:
    assert [w for w in words if ours(w) != theirs(lemminflect, w)] == []


def test_capitalized_words(lemminflect: ModuleType, words: list[str]) -> None:
    """A word is looked up in lower case and the answers take its capitalization."""
    variants = [
        change(word)
        for word in random.Random(13).sample(words, 3000)
        for change in (str.upper, str.capitalize, str.lower, str.swapcase)
    ]
    assert [w for w in variants if ours(w) != theirs(lemminflect, w)] == []


def test_present_of_every_verb(lemminflect: ModuleType, words: list[str]) -> None:
    """Every lemma a word of the tables has as a verb (what headline.py inflects), and a
    sample of other words, which lemminflect inflects by its rule for a regular verb."""
    # (The lexicon's lemmas are lemminflect's: test_every_word_of_the_tables.)
    verbs = {lemma for word in words for lemma in lexicon.lemmas(word).get("VERB", ())}
    assert len(verbs) > 5000
    others = random.Random(13).sample(sorted(set(words) - verbs), 300)
    lemmas = sorted(verbs) + others + [w.capitalize() for w in others[:100]]
    assert [
        (lemma, tag)
        for lemma in lemmas
        for tag in ("VBZ", "VBP")
        if lexicon.present(lemma, tag) != lemminflect.getInflection(lemma, tag)
    ] == []


# Any text a token of a sentence can be: split on white space, so never holding a line break
# (where lemminflect's rule for a regular verb, a regular expression ending in "$", would
# take "pass\n" for a word ending in "s").
TOKENS = st.text(
    st.characters(
        exclude_categories=["Cs"],
        exclude_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    min_size=1,
    max_size=12,
)
# Words near the table's: inflected, capitalized, with punctuation or an ending added.
NEAR = st.builds(
    lambda word, change, suffix: change(word) + suffix,
    st.sampled_from(["run", "companies", "be", "can", "walk", "'d", "buzz", "fly", "ran", "a"]),
    st.sampled_from([str, str.upper, str.capitalize, str.title]),
    st.sampled_from(["", "s", "es", "ed", "y", "-", "'", "\t", "\tN", "ing", "ß", "İ"]),
)


@settings(max_examples=200, deadline=None)
@given(word=st.one_of(TOKENS, NEAR))
def test_any_word(lemminflect: ModuleType, word: str) -> None:
    assert ours(word) == theirs(lemminflect, word)
    for tag in ("VBZ", "VBP"):
        assert lexicon.present(word, tag) == lemminflect.getInflection(word, tag)


def test_words_that_the_table_cannot_hold(lemminflect: ModuleType) -> None:
    for word in ("", "\ud800", "run\t", "run\tN,V", "'d\n", "#", "\x00"):
        assert ours(word) == theirs(lemminflect, word) == ([], []), repr(word)


def test_the_table_is_what_lemminflect_gives(lemminflect: ModuleType) -> None:
    assert lexicon.DATA.read_text(encoding="utf-8") == lexicon.generate()


def test_the_table_records_its_source_and_licence() -> None:
    header = [
        line for line in lexicon.DATA.read_text(encoding="utf-8").splitlines() if line[:1] == "#"
    ]
    text = "\n".join(header)
    assert header[0].startswith(f"# lemminflect {lexicon.recorded_version()}'s lexicon")
    assert "MIT License" in text and "Copyright (C) 2019 Brad Jascob" in text
    assert "SPECIALIST Lexicon" in text


def test_the_table_is_in_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert lexicon.DATA.name in setuptools["package-data"]["digest"]
    assert lexicon.DATA.parent == ROOT / "digest"


def test_headlines_need_neither_lemminflect_nor_numpy() -> None:
    """The point of the table: deriving a headline imports neither (a third of a second)."""
    code = (
        "import sys\n"
        "from digest.headline import derive_headline\n"
        "assert derive_headline('The court has fined Acme for scraping data.') == "
        "'Court fines Acme for scraping data'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'lemminflect', 'numpy'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
