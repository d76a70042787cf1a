"""The second stage: raw items -> items with ids, titles, slugs, dates, topics and
near-duplicates. Pure; what it worked out is also returned as a Memo for the next build.

A Memo holds what earlier builds worked out about the texts they saw, keyed by a digest
of each text: a build that sees the same text again takes the result from there instead
of working it out again. The results are the same either way; only the time differs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .dedupe import DuplicateFinder, Grouping
from .headline import LIMIT as TITLE_LIMIT
from .headline_fr import rules_for
from .markup import to_plain
from .model import EditionFile, Evidence, Item, Source
from .problems import Problem, error, warning
from .taxonomy import EMPTY, Taxonomy
from .text import SLUG_ID_LENGTH, item_id, make_slug, normalize
from .topics import choose, score

Named = tuple[str, str, str]  # id, title, slug
Tagged = tuple[tuple[str, ...], tuple[Evidence, ...]]  # topics, evidence


@dataclass
class Memo:
    """Results of earlier builds. Valid for one taxonomy, language and version of digest
    only: whoever keeps it between builds must start a new one when any of them changes."""

    named: dict[bytes, Named] = field(default_factory=dict)  # by summary
    tagged: dict[bytes, Tagged] = field(default_factory=dict)  # by summary and analysis
    order: list[bytes] = field(
        default_factory=list
    )  # summaries (and marks), as the finder saw them
    finder: DuplicateFinder | None = None  # as it was after the last of them

    def features(self) -> dict[bytes, frozenset[str]]:
        """Each summary's stems, as the finder keeps them."""
        finder = self.finder
        return {key: finder.stems(i) for i, key in enumerate(self.order)} if finder else {}

    def repeats(self) -> dict[str, Grouping]:
        """Why each item grouped as a repeat was grouped, by the item's id."""
        return {g.item: g for g in self.finder.groupings()} if self.finder else {}

    def learned_since(self, old: Memo) -> bool:
        """Whether this holds anything `old` did not (or lacks anything it held)."""
        return (self.order, self.named.keys(), self.tagged.keys()) != (
            old.order,
            old.named.keys(),
            old.tagged.keys(),
        )


def text_key(*texts: str | None) -> bytes:
    joined = "\0".join("\1" if text is None else text for text in texts)
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def enrich(
    editions: Iterable[EditionFile],
    taxonomy: Taxonomy = EMPTY,
    language: str = "en",
    memo: Memo | None = None,
) -> tuple[tuple[Item, ...], list[Problem], Memo]:
    """Every item enriched, the problems found, and the Memo of this build's results;
    what `memo` already knows is taken from it."""
    old = memo or Memo()
    new = Memo()
    keys: list[bytes] = []
    items, problems = identify(editions, old.named, new.named, keys, language)
    tagged = tag_all(items, taxonomy, old.tagged, new.tagged)
    duplicates = _group(tagged, keys, language, old, new)
    marked = (replace(i, duplicate_of=d) if (d := duplicates.get(i.id)) else i for i in tagged)
    return tuple(marked), problems, new


def _group(
    items: Sequence[Item], keys: list[bytes], language: str, old: Memo, new: Memo
) -> dict[str, str]:
    """Near-duplicates, as dedupe.find_duplicates finds them. An item is only compared
    with earlier ones, so when the items begin with those of the last build, in the same
    order, the finder as that build left it carries on from there."""
    # The editor's "not a repeat" is part of what the finder saw: marking or unmarking an
    # item must start the finder again from there, as a clean build would.
    order = [key + b"!" if item.distinct else key for key, item in zip(keys, items, strict=True)]
    new.order = order
    done = len(old.order)
    finder = old.finder
    if finder is None or finder.language != language or order[:done] != old.order:
        finder, done = DuplicateFinder(language), 0
    found = {
        finder.ids[index]: finder.ids[first]
        for index, first in enumerate(finder.first_of[:done])
        if first != index
    }
    known = old.features() if done == 0 else {}  # the stems, when starting over
    for key, item in zip(order[done:], items[done:], strict=True):
        grouped = finder.add(item, known.get(key))
        if grouped is not None:
            found[item.id] = grouped.first
    new.finder = finder
    return found


PARALLEL_FROM = 4000  # items; below this, starting worker processes costs more than it saves


def tag_all(
    items: list[Item],
    taxonomy: Taxonomy,
    known: dict[bytes, Tagged] | None = None,
    noted: dict[bytes, Tagged] | None = None,
) -> list[Item]:
    """Tag every item (or take its tags from `known`, and note them in `noted`); a large
    archive is shared out over the machine's cores, in order."""
    if not taxonomy.topics:
        return items
    known = known if known is not None else {}
    noted = noted if noted is not None else {}
    keys = [text_key(item.summary, item.analysis) for item in items]
    missing = sorted(
        {key: item for key, item in zip(keys, items, strict=True) if key not in known}.items()
    )
    texts = [(item.summary, item.analysis) for _, item in missing]
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(texts) < PARALLEL_FROM:
        scored = [score(summary, analysis, taxonomy) for summary, analysis in texts]
    else:
        # spawn, not fork: `digest serve` builds while its server threads run.
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers, initializer=_remember, initargs=(taxonomy,)) as pool:
            scored = pool.map(_score, texts, chunksize=max(1, len(texts) // (workers * 4)))
    worked_out = {
        key: (choose(evidence, taxonomy), tuple(evidence))
        for (key, _), evidence in zip(missing, scored, strict=True)
    }
    tagged = []
    for key, item in zip(keys, items, strict=True):
        topics, evidence = noted[key] = known.get(key) or worked_out[key]
        tagged.append(_tagged(item, topics, evidence))
    return tagged


def _tagged(item: Item, topics: tuple[str, ...], evidence: tuple[Evidence, ...]) -> Item:
    # dataclasses.replace's result at two thirds of its cost: it runs once per item.
    return Item(**{**item.__dict__, "topics": topics, "evidence": evidence})


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


def _derived_headline(plain: str, language: str = "en") -> str:
    """digest's headline for a summary (as plain text), for an item the editor gave none;
    a summary with no word short enough for one (a single 200-letter token) gets its
    first 80 characters."""
    return (
        rules_for(language).derive(plain)
        or " ".join(plain.split())[:TITLE_LIMIT].rstrip()
        or "Untitled"
    )


def identify(
    editions: Iterable[EditionFile],
    known: dict[bytes, Named] | None = None,
    noted: dict[bytes, Named] | None = None,
    keys: list[bytes] | None = None,
    language: str = "en",
) -> tuple[list[Item], list[Problem]]:
    """Every raw item becomes an Item, in edition order, unless it repeats an earlier summary.
    Ids, titles and slugs are taken from `known` where it has them, and noted in `noted`;
    `keys` gets the text_key of each Item's summary.

    The title is the editor's headline when the item file gives one, else the one derived
    from the summary; the slug is made from the title (the URL ledger may keep an earlier
    one: digest/urlledger.py)."""
    known = known if known is not None else {}
    noted = noted if noted is not None else {}
    items: list[Item] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[Item, str]] = {}  # id -> item, where it was shown
    slugs: set[str] = set()
    for edition in editions:
        for position, raw in enumerate(edition.items):
            key = text_key(raw.summary)
            # The editor's headline is part of what names the item: a slug is made from it.
            name_key = key if raw.headline is None else text_key(raw.summary, raw.headline)
            named = known.get(name_key)
            if named is None:
                id_ = item_id(raw.summary)
                title = raw.headline or _derived_headline(to_plain(raw.summary), language)
                named = (id_, title, make_slug(title, id_))
            noted[name_key] = named
            id_, title, slug = named
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
                editor_headline=raw.headline is not None,
                distinct=raw.distinct,
            )
            first_seen[id_] = (item, edition.path)
            slugs.add(slug)
            items.append(item)
            if keys is not None:
                keys.append(key)
    return items, problems
