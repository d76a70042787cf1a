"""items.json: every item, duplicates included, newest first, for machines and other tools.

items.json holds the newest items and the addresses of chunk files that hold the others,
each the items of a closed block of ITEMS_BLOCK editions: a new edition changes items.json
(a block's worth at most) and never an older chunk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .model import Item, Site
from .urls import ITEMS_BLOCK, absolute, items_chunk_path, path_of


def item_record(item: Item, base_url: str) -> dict[str, object]:
    return {
        "id": item.id,
        "url": absolute(base_url, path_of(item)),
        "title": item.title,  # the headline
        "title_by": "editor" if item.editor_headline else "derived",
        "date": item.date.isoformat(),
        "edition": item.edition,
        "summary": item.summary,
        "analysis": item.analysis,
        "topics": list(item.topics),
        # Why: per topic given, its score and the terms found (see `digest check --explain`).
        "topic_evidence": {
            e.topic: {
                "score": e.score,
                "summary": list(e.summary),
                "analysis": list(e.analysis),
                "against": list(e.against),
            }
            for e in item.evidence
            if e.topic in item.topics
        },
        "source": {"file": item.source.file, "line": item.source.line},
        "duplicate_of": item.duplicate_of,
    }


@dataclass(frozen=True)
class Chunk:
    """The items of a closed block of editions, in a file of its own (newest first)."""

    path: str
    items: tuple[Item, ...]


def split(site: Site) -> tuple[list[Item], list[Chunk]]:
    """The items that items.json holds itself (those of the editions after the last
    closed block), and the chunks, newest first. A block (ITEMS_BLOCK editions, by
    number) is closed once a later edition exists: its file then never changes when
    another edition is added, so a build can keep it as it is."""
    newest = max((edition.number for edition in site.editions), default=0)
    closed = newest // ITEMS_BLOCK * ITEMS_BLOCK  # editions below this are in chunks
    latest: list[Item] = []
    blocks: dict[int, list[Item]] = {}
    for item in site.all_items:
        if item.edition >= closed:
            latest.append(item)
        else:
            blocks.setdefault(item.edition // ITEMS_BLOCK, []).append(item)
    chunks = [
        Chunk(items_chunk_path(block * ITEMS_BLOCK, (block + 1) * ITEMS_BLOCK - 1), tuple(items))
        for block, items in sorted(blocks.items(), reverse=True)
    ]
    return latest, chunks


def chunk_file(chunk: Chunk, base_url: str) -> bytes:
    return _document([item_line(item, base_url) for item in chunk.items])


def item_line(item: Item, base_url: str) -> bytes:
    return json.dumps(item_record(item, base_url), ensure_ascii=False).encode("utf-8")


def items_json(site: Site, latest: list[Item], chunks: list[Chunk]) -> bytes:
    """items.json: the newest items, and the addresses of the chunks holding the others
    (`latest` and `chunks` as split(site) gives them)."""
    older = json.dumps([absolute(site.base_url, chunk.path) for chunk in chunks])
    lines = [item_line(item, site.base_url) for item in latest]
    return _document(lines, b',\n"older": ' + older.encode("utf-8"))


def _document(lines: list[bytes], more: bytes = b"") -> bytes:
    # One item a line: readable, diffable between builds, and far smaller than indented JSON.
    # Joined as bytes: a str of many items would take up to four bytes a character.
    head = b'{"items": [\n'
    return b"".join([head, b",\n".join(lines), b"\n" if lines else b"", b"]", more, b"}\n"])
