"""Full-text search: an index of static JSON files under `search/`, which search.js
queries in the reader's browser. Pure: items in, {path: bytes} out.

Why not a ready-made indexer: Pagefind (used until this module) indexes the whole site
again on every build, which at 10,000 items was most of the build's time and memory,
and its indexes cannot be updated. This index is made of segments that a new edition
leaves alone, so a build re-indexes a few hundred items at most, and the writer, which
writes only changed files, leaves the rest of the index untouched on disk.

The listed items, oldest first, are cut into blocks of BLOCK items; whole blocks are
grouped as the binary digits of their count (1, 2, 4 … LARGEST blocks), and the items
after the last whole block make one more segment. The cut depends only on the items,
so an incremental build and a clean one give the same files; adding an edition changes
the last segment, and now and then merges a few small ones (like a binary counter).

Each segment is a folder named by a digest of what it holds:
- `meta.json`: how many items, the first letters of its words, its topics' items;
- `<prefix>.json`: for the words that start with that letter (in large segments, those
  two letters), the items that have them (numbers within the segment, as gaps);
- `docs-<n>.json`: what a result shows (link, title, date, topics, text), DOCS items a file.
`search/index.json` lists the segments, the topic names and the stop words.

A query's words must all match (as prefixes, so "regul" finds regulation and
regulators), and results come newest first: for a news digest, recency is the order a
reader expects, and it is the same for every reader and every build.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise

from . import markup
from .dates import long_date
from .model import Item, Segment
from .urls import SEARCH, path_of

FORMAT = "1"  # part of every segment's name: a new format never reuses an old segment
BLOCK = 256  # items
LARGEST = 32  # blocks: the largest segment, so that a merge re-indexes 8,192 items at most
DOCS = 64  # items per docs file: a page of results fetches one or two of them
NARROW = 1024  # items: a segment up to this size files its words by one letter, not two
INDEX = SEARCH + "index.json"
# Words too common to narrow a search: left out of the index and of queries.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was "
    "were will with au aux d de des du en et l la le les un une".split()
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as search.js's [\p{L}\p{N}]+


def segments(items: Sequence[Item]) -> tuple[Segment, ...]:
    """The segments of the index of `items` (newest first, as the site lists them)."""
    oldest_first = items[::-1]
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
        found.append(Segment(first, part, _key(part)))
        first += size
    return tuple(found)


def _key(items: Iterable[Item]) -> str:
    digest = hashlib.sha256(FORMAT.encode())
    for item in items:
        record = (path_of(item), item.title, item.date, item.topics, item.summary, item.analysis)
        digest.update(repr(record).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def index_file(parts: Sequence[Segment], topic_names: dict[str, str]) -> bytes:
    """search/index.json: the segments (oldest first) and what queries need to know."""
    return _json(
        {
            "format": int(FORMAT),
            "docs": DOCS,
            "stop": sorted(STOP_WORDS),
            "topics": topic_names,
            "segments": [
                {"folder": path_of(s).removeprefix(SEARCH), "first": s.first, "count": len(s.items)}
                for s in parts
            ],
        }
    )


def segment_files(segment: Segment) -> Iterator[tuple[str, bytes]]:
    """The files of one segment's folder: (path in the site, bytes)."""
    postings: dict[str, list[int]] = defaultdict(list)
    by_topic: dict[str, list[int]] = defaultdict(list)
    docs = []
    for number, item in enumerate(segment.items):
        summary = markup.to_plain(item.summary)
        analysis = markup.to_plain(item.analysis) if item.analysis else ""
        for word in sorted(words(f"{item.title} {summary} {analysis}") - STOP_WORDS):
            postings[word].append(number)
        for topic in item.topics:
            by_topic[topic].append(number)
        docs.append(
            [path_of(item), item.title, long_date(item.date), list(item.topics), summary, analysis]
        )
    # Small segments in fewer, larger files: a file costs more to write than its bytes.
    width = 1 if len(segment.items) <= NARROW else 2
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for word in sorted(postings):
        shards[word[:width]][word] = _gaps(postings[word])
    folder = path_of(segment)
    yield (
        folder + "meta.json",
        _json(
            {
                "count": len(segment.items),
                "width": width,
                "prefixes": sorted(shards),
                "topics": {topic: _gaps(numbers) for topic, numbers in sorted(by_topic.items())},
            }
        ),
    )
    for prefix, entries in sorted(shards.items()):
        yield folder + shard_name(prefix) + ".json", _json(entries)
    for start in range(0, len(docs), DOCS):
        yield f"{folder}docs-{start // DOCS}.json", _json(docs[start : start + DOCS])


def shard_name(prefix: str) -> str:
    """A file name for a prefix: itself when plain ASCII, else its code points (as search.js)."""
    if prefix.isascii() and prefix.isalnum():
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


def words(text: str) -> set[str]:
    """The distinct words of `text` as the index keeps them: lower case, without accents
    (NFKD, marks dropped), split into runs of letters and digits."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_UNMARKED)
    return set(_WORD.findall(text.lower()))


def _gaps(numbers: list[int]) -> list[int]:
    return [numbers[0], *(b - a for a, b in pairwise(numbers))]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
