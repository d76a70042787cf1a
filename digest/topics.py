"""Tagging items with topics. All matching rules live here.

Text and terms are compared word by word after stemming (regulator, regulators and
regulate meet), with hyphens read as spaces (open-source = open source), a term in
capitals (CNIL) matched only in capitals (and in the plural: GPUs), and a term ending
in `*` matched as a prefix. The summary (the news) counts in full; the analysis
(commentary) at the taxonomy's `analysis_weight`, so that its recurring themes do not
drag items into topics. Terms that argue against a topic subtract their weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .model import Evidence
from .problems import Problem, error
from .taxonomy import Taxonomy, Term
from .words import stem, words_of


def compile_term(text: str, language: str = "en") -> tuple[tuple[str, str], ...]:
    """A term as (kind, key) per word.

    kind is "stem" (any inflection), "acronym" (a word in capitals: only in capitals),
    "word" (a term written with a leading "=": that word exactly, or its plural in -s)
    or "prefix" (the last word of a term ending in "*").
    """
    words = words_of(text)
    prefix = text.rstrip().endswith("*")
    whole_words = text.lstrip().startswith("=")
    compiled = []
    for index, word in enumerate(words):
        if prefix and index == len(words) - 1:
            compiled.append(("prefix", word.casefold()))
        elif whole_words:
            compiled.append(("word", word.casefold()))
        elif len(word) >= 2 and word.isupper() and word.isalpha():
            compiled.append(("acronym", word))
        else:
            compiled.append(("stem", stem(word, language)))
    return tuple(compiled)


def _fits(kind: str, key: str, word: str, language: str) -> bool:
    if kind == "stem":
        return stem(word, language) == key
    if kind == "acronym":  # also in the plural: GPU, GPUs
        return word == key or word == key + "s"
    folded = word.casefold()
    if kind == "word":
        return folded == key or folded == key + "s"
    return folded.startswith(key)


Slot = tuple[int, bool, Term, tuple[tuple[str, str], ...]]  # topic, against?, term, its words


@dataclass(frozen=True)
class _Index:
    """The taxonomy's terms by their first word, so that a text is read once, not once a term.

    `starting` remembers, for every word met so far, the terms that can start at it:
    most words start none, and after the first few hundred items nearly every word of
    a text is found there with one dictionary look-up.
    """

    language: str
    by_key: dict[tuple[str, str], tuple[Slot, ...]]  # (kind, key) of the first word
    by_prefix: tuple[tuple[str, Slot], ...]
    starting: dict[str, tuple[Slot, ...]]
    order: dict[int, int]  # id of a term -> its place in the taxonomy

    def slots_starting_at(self, word: str) -> tuple[Slot, ...]:
        slots = self.starting.get(word)
        if slots is None:
            folded = word.casefold()
            keys = [("stem", stem(word, self.language)), ("acronym", word), ("word", folded)]
            if folded.endswith("s"):  # plurals of acronyms and of whole words
                keys += [("acronym", word[:-1]), ("word", folded[:-1])]
            found = [slot for key in keys for slot in self.by_key.get(key, ())]
            found += [slot for prefix, slot in self.by_prefix if folded.startswith(prefix)]
            slots = self.starting[word] = tuple(found)
        return slots


@lru_cache(maxsize=4)
def _index(taxonomy: Taxonomy) -> _Index:
    by_key: dict[tuple[str, str], list[Slot]] = {}
    by_prefix: list[tuple[str, Slot]] = []
    for number, rule in enumerate(taxonomy.topics):
        for against, terms in ((False, rule.terms), (True, rule.against)):
            for term in terms:
                words = compile_term(term.text, taxonomy.language)
                slot = (number, against, term, words)
                if words[0][0] == "prefix":
                    by_prefix.append((words[0][1], slot))
                else:
                    by_key.setdefault(words[0], []).append(slot)
    order = {
        id(term): place for place, term in enumerate(t for r in taxonomy.topics for t in r.terms)
    }
    return _Index(
        taxonomy.language, {k: tuple(v) for k, v in by_key.items()}, tuple(by_prefix), {}, order
    )


def _matches(text: str, taxonomy: Taxonomy) -> dict[tuple[int, bool], list[Term]]:
    """The terms found in `text`, each once, by (topic index, against)."""
    index = _index(taxonomy)
    language = taxonomy.language
    words = words_of(text)
    found: dict[tuple[int, bool], list[Term]] = {}
    seen: set[int] = set()  # ids of the terms found: every slot's term lives in the index
    starting = index.starting
    for start, word in enumerate(words):
        slots = starting.get(word)
        if slots is None:
            slots = index.slots_starting_at(word)
        if not slots:
            continue
        for number, against, term, term_words in slots:
            if id(term) in seen or start + len(term_words) > len(words):
                continue
            rest = enumerate(term_words[1:], start=start + 1)
            if all(_fits(kind, key, words[at], language) for at, (kind, key) in rest):
                seen.add(id(term))
                found.setdefault((number, against), []).append(term)
    return found


def score(summary: str, analysis: str | None, taxonomy: Taxonomy) -> list[Evidence]:
    """Every topic with a positive score, best first."""
    index = _index(taxonomy)
    in_summary = _matches(summary, taxonomy)
    in_analysis = _matches(analysis or "", taxonomy)
    weight = taxonomy.analysis_weight
    results = []
    for number in sorted({n for n, against in (*in_summary, *in_analysis) if not against}):
        rule = taxonomy.topics[number]
        for_s, for_a = in_summary.get((number, False), []), in_analysis.get((number, False), [])
        vs_s, vs_a = in_summary.get((number, True), []), in_analysis.get((number, True), [])
        total = (
            sum(t.weight for t in for_s)
            + weight * sum(t.weight for t in for_a)
            - sum(t.weight for t in vs_s)
            - weight * sum(t.weight for t in vs_a)
        )
        if total > 0:
            results.append(
                Evidence(
                    topic=rule.slug,
                    score=round(total, 3),
                    summary=_in_order(for_s, index.order),
                    analysis=_in_order(for_a, index.order),
                    against=tuple(dict.fromkeys(t.text for t in (*vs_s, *vs_a))),
                )
            )
    results.sort(key=lambda e: (-e.score, e.topic))
    return results


def _in_order(found: list[Term], order: dict[int, int]) -> tuple[str, ...]:
    """The terms found, in the taxonomy's order (the index holds the taxonomy's own Terms)."""
    return tuple(t.text for t in sorted(found, key=lambda t: order[id(t)]))


def choose(evidence: list[Evidence], taxonomy: Taxonomy) -> tuple[str, ...]:
    """The topics an item gets: those over the threshold, best first, at most max_topics."""
    return tuple(e.topic for e in evidence if e.score >= taxonomy.threshold)[: taxonomy.max_topics]


def repeated_terms(taxonomy: Taxonomy, file: str) -> list[Problem]:
    """Terms of one topic that match the same words (legislator, legislation): each would
    count twice, which is never what the editor meant."""
    problems = []
    for rule in taxonomy.topics:
        seen: dict[tuple[tuple[str, str], ...], Term] = {}
        for term in (*rule.terms, *rule.against):
            words = compile_term(term.text, taxonomy.language)
            if words in seen:
                first = seen[words]
                message = f"{rule.slug}: '{term.text}' matches the same words as '{first.text}' (line {first.line}); keep one"
                problems.append(error(file, term.line, message))
            seen.setdefault(words, term)
    return problems
