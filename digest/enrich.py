"""The second stage: raw items -> items with ids, titles, slugs, dates, topics and
near-duplicates. Pure.

Working out a headline, a summary's topics or its near-duplicates takes time, and their
results depend only on the texts (and the taxonomy and language). So `enrich` may be
given `Known` results, by a digest of each text, and takes them instead of working them
out again; it returns every result this run used, known or new (`Enriched`), which is
all its caller needs to give them to the next run. The items are the same either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .dedupe import DuplicateFinder, Grouping, features
from .headline import LIMIT as TITLE_LIMIT
from .headline import rules_for
from .markup import to_plain
from .model import EditionFile, Evidence, Item, Source
from .problems import Problem, error, warning
from .taxonomy import EMPTY, Taxonomy
from .text import SLUG_ID_LENGTH, item_id, make_slug, normalize
from .topics import choose, score
from .workers import cores, map_shared

Named = tuple[str, str, str]  # id, title, slug
Tagged = tuple[tuple[str, ...], tuple[Evidence, ...]]  # topics, evidence
NO_TAGS: Tagged = ((), ())


@dataclass(frozen=True)
class Grouped:
    """The near-duplicate finder after a run's items, and the key of each item it was fed
    (its summary's, marked when the editor said "not a repeat"), in order."""

    order: tuple[bytes, ...]
    finder: DuplicateFinder

    def features(self) -> dict[bytes, frozenset[str]]:
        """Each summary's stems, as the finder keeps them."""
        return {key: self.finder.stems(i) for i, key in enumerate(self.order)}


@dataclass(frozen=True)
class Known:
    """Results worked out before, valid for the taxonomy and language given to `enrich`
    (whoever keeps them must not give them for another)."""

    named: Mapping[bytes, Named] = field(default_factory=dict)  # by summary (and headline)
    tagged: Mapping[bytes, Tagged] = field(default_factory=dict)  # by summary and analysis
    # A run's finder: carried on (not copied) when this run's items begin with its items.
    grouped: Grouped | None = None


@dataclass(frozen=True)
class Enriched:
    items: tuple[Item, ...]
    problems: list[Problem]
    named: dict[bytes, Named]  # every result this run used, by the same keys as Known
    tagged: dict[bytes, Tagged]
    grouped: Grouped

    def repeats(self) -> dict[str, Grouping]:
        """Why each item grouped as a repeat was grouped, by the item's id."""
        return {g.item: g for g in self.grouped.finder.groupings()}


def text_key(*texts: str | None) -> bytes:
    joined = "\0".join("\1" if text is None else text for text in texts)
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def enrich(
    editions: Iterable[EditionFile],
    taxonomy: Taxonomy = EMPTY,
    language: str = "en",
    known: Known = Known(),
) -> Enriched:
    """Every item enriched, with the problems found and the results used."""
    named: dict[bytes, Named] = {}
    tagged: dict[bytes, Tagged] = {}
    tagging = bool(taxonomy.topics)
    editions = list(editions)
    items, problems, keys, untagged = _identify(
        editions,
        known.named,
        named,
        known.tagged if tagging else None,
        tagged,
        language,
        _names_ahead(editions, known.named, language),
    )
    if untagged:
        # Worked out together, after the known ones: a large archive's go to the cores.
        texts = [items[index] for indexes in untagged.values() for index in indexes[:1]]
        fresh = tag_texts(texts, taxonomy)
        for (key, indexes), tags in zip(untagged.items(), fresh, strict=True):
            tagged[key] = tags
            for index in indexes:
                items[index] = _tagged(items[index], *tags)
    duplicates, grouped = _group(items, keys, language, known.grouped)
    for index, first in duplicates.items():
        items[index] = replace(items[index], duplicate_of=first)
    return Enriched(tuple(items), problems, named, tagged, grouped)


def _group(
    items: Sequence[Item], keys: Sequence[bytes], language: str, earlier: Grouped | None
) -> tuple[dict[int, str], Grouped]:
    """Near-duplicates, as dedupe.find_duplicates finds them: the id of the first report,
    by the place in `items` of each item grouped under one. An item is only compared
    with earlier ones, so when the items begin with those `earlier` saw, in the same
    order, its finder carries on from there."""
    # The editor's "not a repeat" is part of what the finder saw: marking or unmarking an
    # item must start the finder again from there, as a clean build would.
    order = tuple(
        key + b"!" if item.distinct else key for key, item in zip(keys, items, strict=True)
    )
    done = len(earlier.order) if earlier is not None else 0
    if earlier is None or earlier.finder.language != language or order[:done] != earlier.order:
        finder, done = DuplicateFinder(language), 0
    else:
        finder = earlier.finder
    found = {
        index: finder.ids[first]
        for index, first in enumerate(finder.first_of[:done])
        if first != index
    }
    # The stems, when starting over: working them out is most of what adding costs (a
    # large archive's new ones are worked out on every core first).
    stems = earlier.features() if earlier is not None and done == 0 else {}
    fresh = [
        (key, item)
        for key, item in zip(order[done:], items[done:], strict=True)
        if key not in stems
    ]
    if len(fresh) >= PARALLEL_FROM:
        found_stems = map_shared(
            lambda pair: features(pair[1].summary, language), fresh, chunk=_chunk(len(fresh))
        )
        stems = {**stems, **dict(zip((key for key, _ in fresh), found_stems, strict=True))}
    for index, (key, item) in enumerate(zip(order[done:], items[done:], strict=True), done):
        grouping = finder.add(item, stems.get(key))
        if grouping is not None:
            found[index] = grouping.first
    return found, Grouped(order, finder)


PARALLEL_FROM = 4000  # items; below this, starting worker processes costs more than it saves


def _chunk(count: int) -> int:
    return max(1, count // (cores() * 4))


def _names_ahead(
    editions: Sequence[EditionFile], known: Mapping[bytes, Named], language: str
) -> dict[bytes, Named]:
    """The id, title and slug of each raw item `known` does not name, by the same key, worked
    out on every core when there are many (a clean build's); else none (_identify works
    out the few it needs)."""
    raws = [raw for edition in editions for raw in edition.items]
    if len(raws) - len(known) < PARALLEL_FROM:  # cannot be many: not worth the keys
        return {}
    keyed = {_name_key(raw.summary, raw.headline): raw for raw in raws}
    missing = [(key, raw) for key, raw in keyed.items() if key not in known]
    if len(missing) < PARALLEL_FROM:
        return {}
    names = map_shared(
        lambda pair: _names(pair[1].summary, pair[1].headline, language),
        missing,
        chunk=_chunk(len(missing)),
    )
    return dict(zip((key for key, _ in missing), names, strict=True))


def _name_key(summary: str, headline: str | None) -> bytes:
    # As _identify keys a name (which has the summary's digest at hand already).
    return text_key(summary) if headline is None else text_key(summary, headline)


def _names(summary: str, headline: str | None, language: str) -> Named:
    id_ = item_id(summary)
    title = headline or _derived_headline(to_plain(summary), language)
    return id_, title, make_slug(title, id_)


def tag_all(items: list[Item], taxonomy: Taxonomy) -> list[Item]:
    """Every item tagged."""
    if not taxonomy.topics:
        return items
    tags = tag_texts(items, taxonomy)
    return [_tagged(item, *tagged) for item, tagged in zip(items, tags, strict=True)]


def tag_texts(items: Sequence[Item], taxonomy: Taxonomy) -> list[Tagged]:
    """The topics and evidence of each item, in order; a large archive is shared out over
    the machine's cores (helpers forked with the taxonomy: nothing but results pickled)."""
    texts = [(item.summary, item.analysis) for item in items]

    def scored(text: tuple[str, str | None]) -> list[Evidence]:
        return score(text[0], text[1], taxonomy)

    if len(texts) < PARALLEL_FROM:
        evidences = [scored(text) for text in texts]
    else:
        evidences = map_shared(scored, texts, chunk=_chunk(len(texts)))
    return [(choose(evidence, taxonomy), tuple(evidence)) for evidence in evidences]


def _tagged(item: Item, topics: tuple[str, ...], evidence: tuple[Evidence, ...]) -> Item:
    # dataclasses.replace's result at two thirds of its cost: it runs once per item.
    return Item(**{**item.__dict__, "topics": topics, "evidence": evidence})


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
    editions: Iterable[EditionFile], language: str = "en"
) -> tuple[list[Item], list[Problem]]:
    """Every raw item becomes an Item, in edition order, unless it repeats an earlier summary.

    The title is the editor's headline when the item file gives one, else the one derived
    from the summary; the slug is made from the title (the URL ledger may keep an earlier
    one: digest/urlledger.py)."""
    items, problems, _, _ = _identify(editions, {}, {}, None, {}, language, {})
    return items, problems


def _identify(
    editions: Iterable[EditionFile],
    known: Mapping[bytes, Named],
    named: dict[bytes, Named],
    known_tags: Mapping[bytes, Tagged] | None,
    tagged: dict[bytes, Tagged],
    language: str,
    ahead: Mapping[bytes, Named],
) -> tuple[list[Item], list[Problem], list[bytes], dict[bytes, list[int]]]:
    """identify(), taking ids, titles and slugs from `known`, or from `ahead` (worked out
    for it), where they have them and putting every one used in `named`; also the
    text_key of each Item's summary. With `known_tags`
    (a taxonomy's), each Item whose text_key(summary, analysis) it holds gets those topics
    and evidence, put in `tagged`; the others, by that key, are the places of the Items
    still to tag."""
    keys: list[bytes] = []
    untagged: dict[bytes, list[int]] = {}
    items: list[Item] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[Item, str]] = {}  # id -> item, where it was shown
    slugs: set[str] = set()
    for edition in editions:
        for position, raw in enumerate(edition.items):
            # text_key(summary), then text_key(summary, analysis) from the same start: the
            # summary is hashed once (every item is keyed at each build).
            summary = hashlib.blake2b(raw.summary.encode("utf-8", "surrogatepass"), digest_size=16)
            key = summary.digest()
            # The editor's headline is part of what names the item: a slug is made from it.
            name_key = key if raw.headline is None else text_key(raw.summary, raw.headline)
            names = known.get(name_key) or ahead.get(name_key)
            if names is None:
                names = _names(raw.summary, raw.headline, language)
            named[name_key] = names
            id_, title, slug = names
            if id_ in first_seen:
                here = (edition.path, raw.line)
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
            # An Item is made once, with its topics when they are known (most are, at each
            # build): replacing it afterwards would make every Item twice.
            topics, evidence = NO_TAGS
            if known_tags is not None:
                summary.update(b"\0")
                analysis = "\1" if raw.analysis is None else raw.analysis
                summary.update(analysis.encode("utf-8", "surrogatepass"))
                tag_key = summary.digest()
                tags = known_tags.get(tag_key)
                if tags is None:
                    untagged.setdefault(tag_key, []).append(len(items))
                else:
                    tagged[tag_key] = tags
                    topics, evidence = tags
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
                topics=topics,
                evidence=evidence,
                editor_headline=raw.headline is not None,
                distinct=raw.distinct,
            )
            first_seen[id_] = (item, edition.path)
            slugs.add(slug)
            items.append(item)
            keys.append(key)
    return items, problems, keys, untagged
