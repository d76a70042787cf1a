"""What an item's identity and name are made of: its id, title and slug."""

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


def make_slug(title: str, id_: str) -> str:
    """Readable words plus a piece of the id: unique and stable without looking at other items."""
    words = slugify(title.removesuffix(ELLIPSIS), max_length=SLUG_WORDS_LENGTH, word_boundary=True)
    return f"{words or 'item'}-{id_[:SLUG_ID_LENGTH]}"
