"""The words of a text and their stems: what tagging and duplicate detection compare.

Each language reads its own way: English drops a possessive 's (France's -> France);
French drops an elided article or pronoun (l'IA -> IA, qu'il -> il, jusqu'à -> à), so
that "droit d'auteur" and "l'autorité" compare as "droit auteur" and "autorité".
Punctuation, guillemets (« »), hyphens and the non-breaking spaces French sets before
: ; ! ? are all read as spaces.

Accents are folded after stemming, never before: the French stemmer reads them
(sécurité -> sécur, but securite -> securit). A word written with accents therefore has
two keys, its stem folded and the stem of its folded form, so that "régulation",
"regulation", "sécurité" and "securite" all meet, whichever way each side was typed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

# A word, and its possessive 's (matched, not kept): France's -> France.
WORD = re.compile(r"(\w+)(?:['’]s\b)?")
# A word, after an elided particle (matched, not kept): l'IA -> IA, jusqu'à -> à.
FRENCH_WORD = re.compile(
    r"(?:(?<!\w)(?:jusqu|lorsqu|puisqu|quoiqu|presqu|qu|[cdjlmnst])['’](?=\w))?(\w+)",
    re.IGNORECASE,
)
# site.yaml's language picks the stemmer; anything else is read as English.
STEMMERS = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian"}
# Letters that NFD does not take apart but a reader typing without accents writes so.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})

STOPWORDS_EN = frozenset(
    """a about above across after again against all also am an and any are as at be been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    more most my new no nor not now of off on once only or other our out over own same she
    should so some such than that the their them then there these they this those through to
    too under until up very via was we were what when where which while who whom why will with
    would you your""".split()
)
# Articles, pronouns, prepositions, conjunctions, and the forms of être and avoir (as
# Snowball's French list has them), with the few adverbs news copy fills sentences with.
STOPWORDS_FR = frozenset(
    """à au aux avec ce ces cet cette celui celle ceux celles ceci cela ça dans de des du elle
    elles en et eux il ils je la le les leur leurs lui ma mais me même mêmes mes moi mon ne ni
    nos notre nous on ou où par pas pour qu que quel quelle quels quelles qui quoi sa se ses
    son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y dont lors jusqu
    lorsqu puisqu quoiqu presqu si non oui car donc or puis quand comme ainsi aussi alors
    après avant chez contre depuis dès entre envers malgré pendant sans selon sous vers via
    très plus moins peu tout tous toute toutes autre autres déjà encore afin lequel laquelle
    lesquels lesquelles auquel auxquels duquel desquels nouveau nouvelle nouveaux nouvelles
    ici va vont environ hauteur notamment
    été étée étées étés étant suis es est sommes êtes sont serai seras sera serons serez
    seront serais serait serions seriez seraient étais était étions étiez étaient fus fut
    fûmes fûtes furent sois soit soyons soyez soient ayant eu eue eues eus ai as avons avez
    ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait
    avions aviez avaient eut eurent aie aies ait ayons ayez aient""".split()
)


def primary(language: str) -> str:
    """A language tag's language: fr-CA -> fr."""
    return language.split("-")[0].lower()


def words_of(text: str, language: str = "en") -> list[str]:
    """Hyphens and punctuation read as spaces (open-source = open source); an English
    possessive, or a French elided particle, dropped."""
    if primary(language) == "fr":
        if "ʼ" in text:  # the modifier letter apostrophe is a letter to \w
            text = text.replace("ʼ", "’")
        return FRENCH_WORD.findall(text)
    return WORD.findall(text)


@lru_cache(maxsize=8)
def stopwords(language: str) -> frozenset[str]:
    """The words too common to tell one text from another, case-folded, each also without
    its accents (a stop word typed without them is still one)."""
    words = STOPWORDS_FR if primary(language) == "fr" else STOPWORDS_EN
    return words | frozenset(fold(word) for word in words)


class Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # the libraries' name


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer:
    algorithm = STEMMERS.get(primary(language), "english")
    # Imported on first use: a build whose items are all known stems nothing. PyStemmer's
    # C stemmer is what snowballstemmer hands out when it is installed; imported alone, it
    # spares snowballstemmer's import of its 32 pure-Python stemmers (10 ms).
    try:
        import Stemmer as pystemmer  # type: ignore[import-not-found]  # PyStemmer: no types
    except ImportError:
        import snowballstemmer

        return snowballstemmer.stemmer(algorithm)
    return pystemmer.Stemmer(algorithm)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = "en") -> str:
    """regulator, regulators, regulate -> regul (accents kept: the stemmer reads them)."""
    return _stemmer(language).stemWord(word.casefold())


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Case and accents folded: Régulation -> regulation, cœur -> coeur."""
    folded = word.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded.translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def compared_stem(word: str, language: str = "en") -> str:
    """A word's stem as tagging and duplicate detection compare it: accents folded after
    stemming, and in French a plural in -ers stemmed as its singular. The French stemmer
    takes -er for a verb's ending but not -ers, which splits the loanwords of tech news
    (hyperscaler and hyperscalers, data center and data centers) and French nouns alike
    (danger, dangers). Search keeps stem() as it is: the browser's stemmer must match it.
    """
    folded = word.casefold()
    if len(folded) > 4 and folded.endswith("ers") and primary(language) == "fr":
        word = word[:-1]
    return fold(stem(word, language))


@lru_cache(maxsize=200_000)
def stem_keys(word: str, language: str = "en") -> tuple[str, ...]:
    """What a word is compared as: its compared_stem, and, for a word written with
    accents, the stem of the word without them (the form an editor typing without accents
    gets), when that differs."""
    first = compared_stem(word, language)
    if word.isascii():
        return (first,)
    second = compared_stem(fold(word), language)
    return (first,) if second == first else (first, second)
