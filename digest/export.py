"""items.json: every item, duplicates included, newest first, for machines and other tools."""

from __future__ import annotations

import json
from collections.abc import Callable

from .model import Item, Site
from .urls import absolute, path_of


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


class Lines:
    """items.json lines kept between builds, by a digest of the item (`key`): a line is a
    function of its item and the base URL only. `seen` holds this build's, to keep."""

    def __init__(self, key: Callable[[Item], str], known: dict[str, bytes]) -> None:
        self.key, self.known = key, known
        self.seen: dict[str, bytes] = {}

    def line(self, item: Item, base_url: str) -> bytes:
        key = self.key(item)
        line = self.known.get(key) or item_line(item, base_url)
        self.seen[key] = line
        return line


def item_line(item: Item, base_url: str) -> bytes:
    return json.dumps(item_record(item, base_url), ensure_ascii=False).encode("utf-8")


def items_json(site: Site, lines: Lines | None = None) -> bytes:
    # One item a line: readable, diffable between builds, and far smaller than indented JSON.
    # Joined as bytes: a str of the whole archive would take up to four bytes a character.
    line = lines.line if lines is not None else item_line
    records = [line(item, site.base_url) for item in site.all_items]
    return b"".join([b'{"items": [\n', b",\n".join(records), b"\n" if records else b"", b"]}\n"])
