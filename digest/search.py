"""Full-text search: an index of static JSON files under `search/`, which search.js
queries in the reader's browser. Pure: items in, {path: bytes} out.

Why not a ready-made indexer: Pagefind (used until this module) indexes the whole site
again on every build, which at 10,000 items was most of the build's time and memory,
and its indexes cannot be updated. This index is made of segments that a new edition
leaves alone, so a build re-indexes a few hundred items at most, and the writer, which
writes only changed files, leaves the rest of the index untouched on disk.

Every item is indexed, repeats included: a story reported twice is found by the words
of either report, and a repeat's result leads to the first report's page (search.js
shows each story once). The items, oldest first, are cut into blocks of BLOCK items;
whole blocks are grouped as the binary digits of their count (1, 2, 4 … LARGEST
blocks), and the items after the last whole block make one more segment. The cut
depends only on the items, so an incremental build and a clean one give the same
files; adding an edition changes the last segment, and now and then merges a few small
ones (like a binary counter).

Words are folded (no accents, case folded) and stemmed with the site language's
Snowball stemmer, the tagger's (digest/words.py); the site's stemmer.js is the same
stemmer generated for the browser (templates/stemmer.js for English, stemmer-fr.js for
French: a page carries only its own language's), so a query's "automated" meets an
item's "automation" (both "autom"). A language without a stemmer for the browser is
indexed unstemmed, so that the browser and the index always agree. English is folded
before it is stemmed (its stemmer knows only unaccented letters); French is stemmed
first, as its stemmer reads accents ("créée" -> "cré"), and its stems folded after, so
that "regulation" and "régulation" meet at "regul"; its elided articles and pronouns
(l', d', qu', jusqu' … with either apostrophe) are dropped, so "l'IA" is "ia". The
index's index.json says which of these its language needs, for search.js to read a
query the same way.

Ranking is BM25F (Robertson & Zaragoza): each field's term count is normalised by the
field's length against its average in the segment and weighted (headline and summary
above the analysis, so that a passing mention in an analysis does not outrank the
story), the weighted sum saturates as tf / (K1 + tf), and that is stored quantised to
1..63 with each posting. The browser multiplies it by the term's IDF, computed from the
document frequencies of every segment it fetched, so no global statistic is written
into a segment and old segments stay valid.

Each segment is a folder named by a digest of what it holds:
- `meta.json`: its item count, the first stem of each term file, the topics and first
  letters it has files for, and for each repeat the number of its first report;
- `t<k>.json`: stems in sorted order, cut into files of about SHARD bytes, each stem
  with its postings: (gap from the previous item, weight) pairs in a base-64 varint
  string, about two characters a posting;
- `topic-<slug>.json`: the items of a topic, as gaps in the same code;
- `v-<letter>.json`: the stems that start with a letter, for the typo fallback;
- `d<n>.json`: what one result shows (link, title, date, topics, text), so that ten
  results fetch ten small files rather than whole blocks of items.
`search/index.json` lists the segments, the topic names, the stop words and the
language.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import pairwise

from . import markup
from .dates import long_date
from .model import Item, Segment
from .urls import SEARCH, path_of
from .words import STEMMERS, stem

FORMAT = "2"  # part of every segment's name: a new format never reuses an old segment
BLOCK = 256  # items
LARGEST = 32  # blocks: the largest segment, so that a merge re-indexes 8,192 items at most
SHARD = 2048  # bytes: a term file holds sorted stems up to about this size
# Words too common to narrow a search: left out of the index and of queries.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was "
    "were will with au aux d de des du en et l la le les un une".split()
)


@dataclass(frozen=True)
class Reading:
    """How the index reads a language's text (and search.js a query, from index.json)."""

    stemmer: str  # the template the site's stemmer.js is copied from
    stop_words: frozenset[str]  # folded
    elided: tuple[str, ...] = ()  # words that lose their vowel before another: l' -> l
    # Whether the stemmer reads accents: then words are stemmed before they are folded.
    stem_accents: bool = False


# French words too common to search for (folded: "a" is also "à", "ou" also "où").
FRENCH_STOP_WORDS = frozenset(
    "a au aux avec c ca car ce ces cet cette chez d dans de des donc dont du elle elles en est "
    "et il ils j je l la le les leur leurs lui m ma mais me mes moi mon n ne ni nos notre nous "
    "on ont ou par pas pour qu que qui s sa se ses si son sont sur t ta te tes toi ton tu un "
    "une vos votre vous y".split()
)
# The languages whose stemmer the browser has: only those are stemmed. A segment's name
# holds FORMAT and its language, not its reading: a change here that changes what an
# index holds must change FORMAT, or a build would keep the segments on disk.
READINGS = {
    "en": Reading("stemmer.js", STOP_WORDS),
    "fr": Reading(
        "stemmer-fr.js",
        FRENCH_STOP_WORDS,
        # As Lucene's French elision filter: l'IA, d'euros, qu'il, jusqu'à, lorsqu'on.
        ("c", "d", "j", "l", "m", "n", "qu", "s", "t", "jusqu", "lorsqu", "puisqu", "quoiqu"),
        stem_accents=True,
    ),
}
# A language indexed unstemmed reads its text as English does, without stemming.
UNSTEMMED = Reading("stemmer.js", STOP_WORDS)
APOSTROPHES = "'’ʼ"  # typewriter, typographic (U+2019) and modifier letter (U+02BC)
# BM25F: field weights (title, summary, analysis), length normalisation, saturation.
WEIGHTS = (2.0, 1.0, 0.3)
B = 0.75
K1 = 1.2
LEVELS = 63  # a posting's weight is stored as 1..LEVELS
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"  # as search.js
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as search.js's [\p{L}\p{N}]+


@dataclass(frozen=True)
class IndexSegment(Segment):
    """A segment with what its files need beyond its items."""

    language: str = "en"
    # For each repeat in the segment: its number in the segment, the number of its first
    # report (counted from the oldest item), and that first report.
    first_reports: tuple[tuple[int, int, Item], ...] = ()
    dates: str = "en"  # the site's language tag: its records' dates are written in it


def segments(items: Sequence[Item], language: str = "en") -> tuple[IndexSegment, ...]:
    """The segments of the index of `items` (every item, repeats included, newest first
    as the site lists them), stemmed for the site's `language`."""
    oldest_first = items[::-1]
    # Only repeats need it (and a site may have none): a dict of every item.
    repeats = any(item.duplicate_of is not None for item in oldest_first)
    number = {item.id: n for n, item in enumerate(oldest_first)} if repeats else {}
    code = _language(language)
    sizes = [LARGEST * BLOCK] * (len(oldest_first) // (LARGEST * BLOCK))
    blocks = len(oldest_first) // BLOCK % LARGEST
    sizes += [
        (1 << bit) * BLOCK for bit in reversed(range(LARGEST.bit_length())) if blocks >> bit & 1
    ]
    if len(oldest_first) % BLOCK:
        sizes.append(len(oldest_first) % BLOCK)
    found, first = [], 0
    for size in sizes:
        part = tuple(oldest_first[first : first + size])
        firsts = tuple(
            (n, number[item.duplicate_of], oldest_first[number[item.duplicate_of]])
            for n, item in enumerate(part if repeats else ())
            if item.duplicate_of is not None and item.duplicate_of in number
        )
        # The key covers what the files hold: the stemming, and the dates' language when
        # it is not the stemmer's (a language whose words are indexed unstemmed).
        keyed = code if code == language else f"{code}\0{language}"
        found.append(IndexSegment(first, part, _key(part, firsts, keyed), code, firsts, language))
        first += size
    return tuple(found)


def _language(language: str) -> str:
    code = language.split("-")[0].lower()
    return code if code in READINGS and code in STEMMERS else ""


def stemmer_source(language: str) -> str:
    """The template that a site in `language` gets as its stemmer.js."""
    return READINGS.get(_language(language), UNSTEMMED).stemmer


def _key(items: Iterable[Item], firsts: Iterable[tuple[int, int, Item]], language: str) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{language}".encode())
    # Every item of the archive is keyed at each build, so each is hashed as its pieces,
    # its texts not copied into a record first, and reprs are made once for the dates and
    # topics that items share. The bytes are those of one record an item:
    #   {len}:{path}{len}:{title}{date!r}{topics!r}{len}:{summary}, then for the analysis
    #   +{len}:{analysis} or -, then \0
    # each text with its length before it (no text runs into the next), not repr().
    update = digest.update
    item_path = path_of.dispatch(Item)
    # By the date, its zone and its fold: aware datetimes in one zone compare equal
    # whatever their fold, which repr() shows.
    dates: dict[tuple[datetime, object, int], str] = {}
    topic_lists: dict[tuple[str, ...], str] = {}
    for item in items:
        path, title, summary, analysis, when = (
            item_path(item),
            item.title,
            item.summary,
            item.analysis,
            item.date,
        )
        date = dates.get((when, when.tzinfo, when.fold))
        if date is None:
            date = dates[(when, when.tzinfo, when.fold)] = repr(when)
        topics = topic_lists.get(item.topics)
        if topics is None:
            topics = topic_lists[item.topics] = repr(item.topics)
        head = f"{len(path)}:{path}{len(title)}:{title}{date}{topics}{len(summary)}:"
        update(head.encode("utf-8", "surrogatepass"))
        update(summary.encode("utf-8", "surrogatepass"))
        if analysis is None:
            update(b"-\0")
        else:
            update(f"+{len(analysis)}:".encode())
            update(analysis.encode("utf-8", "surrogatepass"))
            update(b"\0")
    for n, number, original in firsts:
        first = (n, number, path_of(original), original.title, original.date, original.topics)
        digest.update(repr(first).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def index_file(parts: Sequence[Segment], topic_names: dict[str, str]) -> bytes:
    """search/index.json: the segments (oldest first) and what queries need to know."""
    language = parts[0].language if parts and isinstance(parts[0], IndexSegment) else ""
    reading = READINGS.get(language, UNSTEMMED)
    found: dict[str, object] = {
        "format": int(FORMAT),
        "language": language,
        "stop": sorted(reading.stop_words),
    }
    # Said only when the language has them, so that an English index is as it was.
    if reading.elided:
        found["elided"] = list(reading.elided)
    if reading.stem_accents:
        found["stem_accents"] = True
    found["topics"] = topic_names
    found["segments"] = [
        {"folder": path_of(s).removeprefix(SEARCH), "first": s.first, "count": len(s.items)}
        for s in parts
    ]
    return _json(found)


def segment_files(segment: Segment) -> Iterator[tuple[str, bytes]]:
    """The files of one segment's folder: (path in the site, bytes)."""
    language = segment.language if isinstance(segment, IndexSegment) else ""
    firsts = {n: (number, original) for n, number, original in _firsts(segment)}
    folder = path_of(segment)
    fields: list[tuple[Counter[str], ...]] = []
    by_topic: dict[str, list[int]] = defaultdict(list)
    for n, item in enumerate(segment.items):
        # A repeat is shown as its first report: that report's link, title and topics.
        shown = firsts[n][1] if n in firsts else item
        summary = markup.to_plain(item.summary)
        analysis = markup.to_plain(item.analysis) if item.analysis else ""
        fields.append(
            tuple(Counter(terms(text, language)) for text in (shown.title, summary, analysis))
        )
        for topic in shown.topics:
            by_topic[topic].append(n)
        record = [
            path_of(shown),
            shown.title,
            long_date(shown.date, segment.dates if isinstance(segment, IndexSegment) else "en"),
            list(shown.topics),
            summary,
            analysis,
        ]
        yield f"{folder}d{n}.json", _json(record)
    postings = _postings(fields)
    bounds: list[str] = []
    shard: dict[str, str] = {}
    size = 0
    for term in sorted(postings):
        if shard and size + len(term) + len(postings[term]) > SHARD:
            yield f"{folder}t{len(bounds) - 1}.json", _json(shard)
            shard, size = {}, 0
        if not shard:
            bounds.append(term)
        shard[term] = postings[term]
        size += len(term) + len(postings[term]) + 6
    if shard:
        yield f"{folder}t{len(bounds) - 1}.json", _json(shard)
    # The stems by first letter: what the typo fallback compares a word with, when nothing
    # matched (fetched for that only).
    by_letter: dict[str, list[str]] = defaultdict(list)
    for term in sorted(postings):
        by_letter[term[0]].append(term)
    for letter, stems in sorted(by_letter.items()):
        yield f"{folder}v-{shard_name(letter)}.json", _json(stems)
    for topic, numbers in sorted(by_topic.items()):
        yield f"{folder}topic-{shard_name(topic)}.json", _json(_code(_gaps(numbers)))
    yield (
        folder + "meta.json",
        _json(
            {
                "count": len(segment.items),
                "bounds": bounds,
                "topics": sorted(by_topic),
                "letters": sorted(by_letter),
                "same": {str(n): number for n, (number, _) in sorted(firsts.items())},
            }
        ),
    )


def _firsts(segment: Segment) -> tuple[tuple[int, int, Item], ...]:
    return segment.first_reports if isinstance(segment, IndexSegment) else ()


def _postings(fields: Sequence[tuple[Counter[str], ...]]) -> dict[str, str]:
    """Every term's postings, coded: BM25F's saturated, weighted term frequency per item."""
    count = max(len(fields), 1)
    lengths = [[sum(c.values()) for c in counts] for counts in fields]
    averages = [max(sum(length[i] for length in lengths) / count, 1.0) for i in range(3)]
    found: dict[str, list[str]] = defaultdict(list)
    previous: dict[str, int] = defaultdict(int)  # each term's last item number
    for n, counts in enumerate(fields):
        # tf is the weighted sum over the fields, in the fields' order: a field without the
        # term adds 0.0, which changes no sum, so it is left out (a build's index is the
        # same byte for byte as with every field added).
        tf: dict[str, float] = {}
        for c, weight, length, average in zip(counts, WEIGHTS, lengths[n], averages, strict=True):
            norm = 1 - B + B * length / average
            for term, times in c.items():
                tf[term] = tf.get(term, 0) + times * weight / norm
        for term, value in tf.items():
            level = max(1, min(LEVELS, round(LEVELS * value / (K1 + value))))
            gap = n - previous[term]
            previous[term] = n
            found[term].append((DIGITS[gap] if gap < 32 else _varint(gap)) + DIGITS[level])
    return {term: "".join(parts) for term, parts in found.items()}


def _varint(value: int) -> str:
    """5 bits a digit, high digits first; a digit of 32 or more means another follows."""
    digits = [DIGITS[value & 31]]
    value >>= 5
    while value:
        digits.append(DIGITS[32 | (value & 31)])
        value >>= 5
    return "".join(reversed(digits))


def _code(numbers: Iterable[int]) -> str:
    return "".join(_varint(n) for n in numbers)


def shard_name(prefix: str) -> str:
    """A file name for a name: itself when plain ASCII, else its code points (as search.js)."""
    if re.fullmatch(r"[a-z0-9-]+", prefix):
        return prefix
    return "u" + "-".join(f"{ord(c):x}" for c in prefix)


class _Unmarked(dict[int, str | None]):
    """For str.translate: deletes combining marks (categories Mn, Mc, Me, as search.js's
    \\p{M}), keeps every other character; each character's category is looked up once."""

    def __missing__(self, code: int) -> str | None:
        kept = None if unicodedata.category(chr(code)).startswith("M") else chr(code)
        self[code] = kept
        return kept


_UNMARKED = _Unmarked()


def fold(text: str) -> str:
    """Text as the index reads it: NFKD, marks dropped, case folded (as search.js's
    fold: lower case, then ß -> ss and final ς -> σ, the folds JavaScript lacks)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_UNMARKED)
        return text.lower().replace("ß", "ss").replace("ς", "σ")
    return text.lower()


def lower(text: str) -> str:
    """Text in lower case with its accents, as a stemmer that reads accents wants it:
    NFKC (ligatures written out, accents composed: e and U+0301 are "é", as typed), the
    folds of `fold`, and the ligatures œ and æ that NFKC keeps written out, so that "cœur"
    and "coeur" are one word. (English keeps its reading: the index of an English site
    with "manœuvre" is as it was.)"""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).lower().replace("ß", "ss").replace("ς", "σ")
        return text.replace("œ", "oe").replace("æ", "ae")
    return text.lower()


@lru_cache(maxsize=8)
def _elision(elided: tuple[str, ...]) -> re.Pattern[str]:
    """An elided word and its apostrophe at the start of a word (not inside one, as in
    "aujourd'hui"), before a letter or digit: what is dropped from "l'IA"."""
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(elided)})[{APOSTROPHES}](?=[^\W_])")


def words(text: str, language: str = "en") -> set[str]:
    """The distinct words of `text` as the index keeps them before stemming: folded
    (after elided words are dropped, for French), then split into runs of letters and
    digits."""
    return {word for word, _ in _read(text, _language(language))}


def _read(text: str, language: str) -> list[tuple[str, str]]:
    """(folded word, the text it stems) for each word of `text`: the word itself, or for
    a stemmer that reads accents, the word before folding."""
    reading = READINGS.get(language, UNSTEMMED)
    if not reading.stem_accents:
        return [(word, word) for word in _WORD.findall(fold(text))]
    text = lower(text)
    if reading.elided:
        text = _elision(reading.elided).sub("", text)
    return [(fold(word), word) for word in _WORD.findall(text)]


def terms(text: str, language: str) -> list[str]:
    """The index terms of `text`, one per word (stop words left out): its stems when
    the language has a stemmer in the browser, else its words; folded either way.

    A stemmer that reads accents stems a word typed without them otherwise
    ("dessinées" -> "dessin", "dessinees" -> "dessine": a third of the accented words of
    a French dictionary): such a word is also indexed under the stem of its folded
    spelling, so that a query typed without accents meets it exactly."""
    reading = READINGS.get(language, UNSTEMMED)
    found = [
        (word, spelt) for word, spelt in _read(text, language) if word not in reading.stop_words
    ]
    if not language:
        return [word for word, _ in found]
    if not reading.stem_accents:
        return [stem(word, language) for word, _ in found]
    stems = []
    for word, spelt in found:
        stemmed = fold(stem(spelt, language))
        stems.append(stemmed)
        if word != spelt:
            plain = fold(stem(word, language))
            if plain != stemmed:
                stems.append(plain)
    return stems


def _gaps(numbers: list[int]) -> list[int]:
    return [numbers[0], *(b - a for a, b in pairwise(numbers))]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
