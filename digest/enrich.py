"""The second stage: raw items -> items with ids, titles, slugs, dates, topics and
near-duplicates. Pure."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from dataclasses import replace

from .dedupe import find_duplicates
from .markup import to_plain
from .model import EditionFile, Evidence, Item, Source
from .problems import Problem, error, warning
from .taxonomy import EMPTY, Taxonomy
from .text import SLUG_ID_LENGTH, item_id, make_slug, make_title, normalize
from .topics import choose, score


def enrich(
    editions: Iterable[EditionFile], taxonomy: Taxonomy = EMPTY, language: str = "en"
) -> tuple[tuple[Item, ...], list[Problem]]:
    items, problems = identify(editions)
    tagged = tag_all(items, taxonomy)
    duplicates = find_duplicates(tagged, language)
    return tuple(replace(i, duplicate_of=duplicates.get(i.id)) for i in tagged), problems


PARALLEL_FROM = 4000  # items; below this, starting worker processes costs more than it saves


def tag_all(items: list[Item], taxonomy: Taxonomy) -> list[Item]:
    """Tag every item; a large archive is shared out over the machine's cores, in order."""
    workers = min(os.cpu_count() or 1, 8)
    if not taxonomy.topics or workers < 2 or len(items) < PARALLEL_FROM:
        return [tag(item, taxonomy) for item in items]
    texts = [(item.summary, item.analysis) for item in items]
    # spawn, not fork: `digest serve` builds while its server threads run.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_remember, initargs=(taxonomy,)) as pool:
        scored = pool.map(_score, texts, chunksize=max(1, len(texts) // (workers * 4)))
    return [
        replace(item, topics=choose(evidence, taxonomy), evidence=tuple(evidence))
        for item, evidence in zip(items, scored, strict=True)
    ]


_worker_taxonomy: Taxonomy = EMPTY


def _remember(taxonomy: Taxonomy) -> None:
    global _worker_taxonomy
    _worker_taxonomy = taxonomy


def _score(text: tuple[str, str | None]) -> list[Evidence]:
    return score(text[0], text[1], _worker_taxonomy)


def tag(item: Item, taxonomy: Taxonomy) -> Item:
    if not taxonomy.topics:
        return item
    evidence = score(item.summary, item.analysis, taxonomy)
    return replace(item, topics=choose(evidence, taxonomy), evidence=tuple(evidence))


def identify(editions: Iterable[EditionFile]) -> tuple[list[Item], list[Problem]]:
    """Every raw item becomes an Item, in edition order, unless it repeats an earlier summary."""
    items: list[Item] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[Item, str]] = {}  # id -> item, where it was shown
    slugs: set[str] = set()
    for edition in editions:
        for position, raw in enumerate(edition.items):
            id_ = item_id(raw.summary)
            here = (edition.path, raw.line)
            if id_ in first_seen:
                earlier, earlier_path = first_seen[id_]
                where = f"{earlier_path}:{earlier.source.line}"
                if normalize(earlier.summary) == normalize(raw.summary):
                    message = f"same summary as {where}; the item is published once, from there"
                    problems.append(warning(*here, message))
                else:  # two different texts with one hash: vanishingly rare, but never merge them
                    problems.append(error(*here, f"item id {id_} collides with {where}"))
                continue
            title = make_title(to_plain(raw.summary))
            slug = make_slug(title, id_)
            if slug in slugs:  # same words and same 6 id digits: fall back to the whole id
                slug = f"{slug[:-SLUG_ID_LENGTH]}{id_}"
            item = Item(
                id=id_,
                title=title,
                slug=slug,
                summary=raw.summary,
                analysis=raw.analysis,
                date=edition.date,
                edition=edition.number,
                position=position,
                # The name inside the content folder, not the path typed: items.json must not
                # depend on the folder the build was started from.
                source=Source(edition.name, raw.line),
            )
            first_seen[id_] = (item, edition.path)
            slugs.add(slug)
            items.append(item)
    return items, problems
