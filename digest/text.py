"""What an item's identity and name are made of: its id, title and slug.

Slugs are made from the headline (make_slug). legacy_slug is the rule of the digest
releases before headlines, kept exactly as it was: the items those releases published
keep their URLs (see digest/urlledger.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from slugify import slugify

ID_LENGTH = 12
TITLE_LENGTH = 90
SLUG_WORDS_LENGTH = 60
SLUG_ID_LENGTH = 6
ELLIPSIS = "…"

# Words after which a period does not end a sentence (compared case-folded, without the dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft inc ltd co corp plc llc bros dept univ gov gen sen rep
    vs etc al approx est no nos vol fig ca cf jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue wed thu fri sat sun""".split()
)
# ".", "!" or "?", any closing quotes or brackets, then white space: a candidate sentence end.
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
WORD_BEFORE = re.compile(r"(\S+)$")
# A decimal or thousands separator between digits: "1,7 milliard" is 1-7-milliard, not 17.
NUMBER_SEPARATOR = re.compile(r"(?<=\d)[.,\u00a0\u202f'’](?=\d)")
APOSTROPHES = re.compile(r"['’ʼ]")  # "Europe's" is europes, however the apostrophe is typed
# Words a cut slug does not end on: "…-raises-1-billion-for" reads as broken.
DANGLING = frozenset(
    """a an the and or but of to for in on at by with from as into over under about than
    de du des la le les et en au aux pour sur par""".split()
)


def normalize(summary: str) -> str:
    """The form of a summary that its id is made from: the same story twice is one item."""
    return " ".join(unicodedata.normalize("NFKC", summary).casefold().split())


def item_id(summary: str) -> str:
    return hashlib.sha256(normalize(summary).encode("utf-8")).hexdigest()[:ID_LENGTH]


def _ends_sentence(text: str, end: int) -> bool:
    """Whether the period at text[end] closes a sentence rather than an abbreviation."""
    if text[end] != ".":
        return True
    word = WORD_BEFORE.search(text, 0, end)
    if word is None:
        return True
    token = word.group(1).lstrip("\"'“‘([")
    if "." in token:  # U.S., e.g., i.e., a.m.
        return False
    if len(token) == 1 and token.isalpha():  # an initial: "J. Smith"
        return False
    return token.casefold() not in ABBREVIATIONS


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for match in SENTENCE_END.finditer(text):
        if _ends_sentence(text, match.start()):
            return text[: match.end()]
    return text


def make_title(summary_plain: str, limit: int = TITLE_LENGTH) -> str:
    """The first sentence, cut at a word boundary to at most `limit` characters."""
    sentence = first_sentence(summary_plain)
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    if len(sentence) <= limit:
        return sentence
    room = limit - len(ELLIPSIS)
    cut = sentence[: room + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else sentence[:room]
    return cut.rstrip(" ,;:—–-([{\"'“‘") + ELLIPSIS


def make_slug(headline: str, id_: str) -> str:
    """The headline's words in order, cut after the last whole word that fits in
    SLUG_WORDS_LENGTH characters, plus a piece of the id: unique and stable without
    looking at other items. Numbers stay whole; currency signs go ("€105 billion" is
    105-billion, "$1.5 billion" 1-5-billion)."""
    return f"{_cut(slug_words(headline)) or 'item'}-{id_[:SLUG_ID_LENGTH]}"


def slug_words(headline: str) -> list[str]:
    """Every word of the headline as a slug spells it (ASCII, lower case), in order."""
    text = unicodedata.normalize("NFKC", headline.removesuffix(ELLIPSIS))
    text = "".join(" " if unicodedata.category(c) == "Sc" else c for c in text)
    text = APOSTROPHES.sub("", NUMBER_SEPARATOR.sub("-", text))
    return [word for word in slugify(text).split("-") if word]


def _cut(words: list[str]) -> str:
    kept: list[str] = []
    length = -1  # no hyphen before the first word
    for word in words:
        if length + 1 + len(word) > SLUG_WORDS_LENGTH:
            break
        kept.append(word)
        length += 1 + len(word)
    if not kept:  # one enormous word: cut inside it, the only way to stay short
        return words[0][:SLUG_WORDS_LENGTH] if words else ""
    if len(kept) < len(words):
        while len(kept) > 1 and kept[-1] in DANGLING:
            kept.pop()
    return "-".join(kept)


def legacy_slug(summary_plain: str, id_: str) -> str:
    """The slug digest gave before headlines existed: the title (the first sentence cut at
    90 characters) through python-slugify's own cut, which may drop words in the middle.
    Never change this: it must give again the URLs those releases published."""
    title = make_title(summary_plain)
    words = slugify(title.removesuffix(ELLIPSIS), max_length=SLUG_WORDS_LENGTH, word_boundary=True)
    return f"{words or 'item'}-{id_[:SLUG_ID_LENGTH]}"
