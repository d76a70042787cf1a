"""The words of a text and their stems: what tagging and duplicate detection compare."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# A word, and its possessive 's (matched, not kept): France's -> France.
WORD = re.compile(r"(\w+)(?:['’]s\b)?")
# site.yaml's language picks the stemmer; anything else is read as English.
STEMMERS = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian"}


def words_of(text: str) -> list[str]:
    """Possessives dropped, hyphens and punctuation read as spaces: open-source = open source."""
    return WORD.findall(text)


@lru_cache(maxsize=8)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS.get(language.split("-")[0].lower(), "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = "en") -> str:
    """regulator, regulators, regulate -> regul."""
    return _stemmer(language).stemWord(word.casefold())
