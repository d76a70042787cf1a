"""Tagging items with topics. All matching rules live here.

Text and terms are compared word by word after stemming (regulator, regulators and
regulate meet), in the site's language, with accents folded after stemming (régulation =
regulation), hyphens read as spaces (open-source = open source), French elision dropped
(l'autorité = autorité), a term in capitals (CNIL) matched only in capitals (and in the
plural: GPUs), and a term ending in `*` matched as a prefix. The summary (the news) counts in full; the analysis
(commentary) at the taxonomy's `analysis_weight`, so that its recurring themes do not
drag items into topics. Terms that argue against a topic subtract their weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from .model import Evidence
from .problems import Problem, error, warning
from .taxonomy import Taxonomy, Term
from .words import fold, primary, stem_keys, words_of


def compile_term(text: str, language: str = "en") -> tuple[tuple[str, str], ...]:
    """A term as (kind, key) per word.

    kind is "stem" (any inflection), "acronym" (a word in capitals: only in capitals),
    "word" (a term written with a leading "=": that word exactly, or its plural in -s)
    or "prefix" (the last word of a term ending in "*"). Keys other than acronyms have
    their accents folded.
    """
    return _variants(text, language)[0]


def _variants(text: str, language: str) -> list[tuple[tuple[str, str], ...]]:
    """The term as compile_term gives it and, when one of its words is written with
    accents, as the same term typed without them: a text's word is looked up by both its
    keys (words.stem_keys), and these two paths let either side be typed either way."""
    words = words_of(text, language)
    prefix = text.rstrip().endswith("*")
    whole_words = text.lstrip().startswith("=")
    compiled: list[tuple[str, str]] = []
    plain: list[tuple[str, str]] = []
    for index, word in enumerate(words):
        if prefix and index == len(words) - 1:
            compiled.append(("prefix", fold(word)))
        elif whole_words:
            compiled.append(("word", fold(word)))
        elif len(word) >= 2 and word.isupper() and word.isalpha():
            compiled.append(("acronym", word))
        else:
            keys = stem_keys(word, language)
            compiled.append(("stem", keys[0]))
            plain.append(("stem", keys[-1]))
            continue
        plain.append(compiled[-1])
    first, second = tuple(compiled), tuple(plain)
    return [first] if first == second else [first, second]


# A term's place in the taxonomy (topics in order, each one's terms then its against
# terms), the topic it belongs to, whether it argues against it, and the term.
Slot = tuple[int, int, bool, Term]


@dataclass
class _Node:
    """The terms that begin with the same words share a path here, so that an item's word
    is compared once with what may follow it, however many terms begin the same way."""

    next: dict[tuple[str, str], _Node] = field(default_factory=dict)  # by (kind, key)
    prefixes: dict[str, _Node] = field(default_factory=dict)  # last words ending in *
    prefix_lengths: tuple[int, ...] = ()
    ends: list[Slot] = field(default_factory=list)  # the terms whose words end here


def _keys(word: str, language: str) -> list[tuple[str, str]]:
    """The (kind, key) pairs a word of the text fits, in the order matches are reported."""
    folded = fold(word)
    keys = [("stem", key) for key in stem_keys(word, language)]
    keys += [("acronym", word), ("word", folded)]
    if word.endswith("s"):  # the plural of an acronym: GPUs
        keys.append(("acronym", word[:-1]))
    if folded.endswith("s"):  # the plural of a whole word: =author, authors
        keys.append(("word", folded[:-1]))
    return keys


@dataclass(frozen=True)
class _Index:
    """The taxonomy's terms as a tree of their words, so that a text is read once, not once
    a term, and each of its words is compared with as many levels as a term has words
    (at most taxonomy.MAX_TERM_WORDS).

    `starting` remembers, for every word met so far, the branches that start at it: most
    words start none, and after the first few hundred items nearly every word of a text
    is found there with one dictionary look-up.
    """

    language: str
    root: _Node
    starting: dict[str, tuple[tuple[int, _Node], ...]]  # word -> (rank of its key, branch)
    order: dict[int, int]  # id of a term -> its place in the taxonomy

    def first_steps(self, word: str) -> tuple[tuple[int, _Node], ...]:
        steps = self.starting.get(word)
        if steps is None:
            found = list(enumerate(self.root.next.get(key) for key in _keys(word, self.language)))
            prefixed = _prefixed(self.root, fold(word))
            steps = tuple((rank, node) for rank, node in found if node is not None)
            steps += tuple((len(found), node) for node in prefixed)
            self.starting[word] = steps
        return steps

    def steps(self, level: list[_Node], word: str) -> list[_Node]:
        """The nodes one word further down from those of `level`."""
        keys = _keys(word, self.language)
        folded = fold(word)
        found = []
        for node in level:
            if node.next:
                found += [child for key in keys if (child := node.next.get(key)) is not None]
            if node.prefix_lengths:
                found += _prefixed(node, folded)
        return found


def _prefixed(node: _Node, folded: str) -> list[_Node]:
    found = (node.prefixes.get(folded[:length]) for length in node.prefix_lengths)
    return [n for n in found if n is not None]


@lru_cache(maxsize=4)
def _index(taxonomy: Taxonomy) -> _Index:
    root = _Node()
    place = 0
    for number, rule in enumerate(taxonomy.topics):
        for against, terms in ((False, rule.terms), (True, rule.against)):
            for term in terms:
                for compiled in _variants(term.text, taxonomy.language):
                    node = root
                    for kind, key in compiled:
                        if kind == "prefix":  # only ever the last word
                            node = node.prefixes.setdefault(key, _Node())
                        else:
                            node = node.next.setdefault((kind, key), _Node())
                    node.ends.append((place, number, against, term))
                place += 1
    nodes = [root]
    while nodes:  # the prefix lengths each node tries, once the tree is complete
        node = nodes.pop()
        node.prefix_lengths = tuple(sorted({len(key) for key in node.prefixes}))
        nodes.extend(node.next.values())
    order = {
        id(term): place for place, term in enumerate(t for r in taxonomy.topics for t in r.terms)
    }
    return _Index(taxonomy.language, root, {}, order)


def _matches(text: str, taxonomy: Taxonomy) -> dict[tuple[int, bool], list[Term]]:
    """The terms found in `text`, each once, by (topic index, against)."""
    index = _index(taxonomy)
    words = words_of(text, taxonomy.language)
    found: dict[tuple[int, bool], list[Term]] = {}
    seen: set[int] = set()  # ids of the terms found: every slot's term lives in the index
    starting = index.starting
    for start, word in enumerate(words):
        branches = starting.get(word)
        if branches is None:
            branches = index.first_steps(word)
        if not branches:
            continue
        hits: list[tuple[int, Slot]] = []  # (rank of the first word's key, slot)
        for rank, branch in branches:
            hits += [(rank, slot) for slot in branch.ends]
            level = [branch] if branch.next or branch.prefix_lengths else []
            at = start + 1
            while level and at < len(words):  # as many levels as the longest term has words
                level = index.steps(level, words[at])
                hits += [(rank, slot) for node in level for slot in node.ends]
                at += 1
        if len(hits) > 1:
            # As a term-by-term reading would find them: by the first word's key, then in
            # the taxonomy's order (the order the against terms are listed in).
            hits.sort(key=lambda hit: (hit[0], hit[1][0]))
        for _, (_, number, against, term) in hits:
            if id(term) not in seen:
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
    count twice, which is never what the editor meant. See merge_repeated."""
    return merge_repeated(taxonomy, file)[1]


def merge_repeated(taxonomy: Taxonomy, file: str) -> tuple[Taxonomy, list[Problem]]:
    """The taxonomy with each topic's terms matching one set of words once, and the problems.

    Two terms that match the same words in the language the file is written in (English
    unless it says otherwise) are the editor's own repetition: an error, as the editor
    must choose. Two that only meet
    under the site's stemmer (the English file's 'hacker' and 'hack' are one French
    stem) are a collision the editor did not choose: a warning, and the later term is
    left out, so that the words count once, at the first term's weight.
    """
    own, site = taxonomy.own_language, taxonomy.language
    foreign = primary(own) != primary(site)
    problems: list[Problem] = []
    rules = []
    for rule in taxonomy.topics:
        kept: dict[bool, list[Term]] = {False: [], True: []}
        mine: dict[tuple[tuple[str, str], ...], Term] = {}
        theirs: dict[tuple[tuple[str, str], ...], Term] = {}
        for against, term in [(False, t) for t in rule.terms] + [(True, t) for t in rule.against]:
            words = compile_term(term.text, own)
            if words in mine:
                first = mine[words]
                message = (
                    f"{rule.slug}: '{term.text}' matches the same words as '{first.text}' "
                    f"(line {first.line}); keep one"
                )
                problems.append(error(file, term.line, message))
                continue
            mine[words] = term
            if foreign:
                words = compile_term(term.text, site)
                first = theirs.setdefault(words, term)
                if first is not term:
                    message = (
                        f"{rule.slug}: '{term.text}' matches the same words as '{first.text}' "
                        f"(line {first.line}) when read as {primary(site)}, the site's "
                        f"language (this file is written in {own}); '{term.text}' is left out"
                    )
                    if not taxonomy.written_in:
                        message += (
                            f" (a file written in {primary(site)} says so with a top-level "
                            f"'language: {primary(site)}', and this is then an error to fix)"
                        )
                    problems.append(warning(file, term.line, message))
                    continue
            kept[against].append(term)
        rules.append(replace(rule, terms=tuple(kept[False]), against=tuple(kept[True])))
    if not foreign or not any(p.severity == "warning" for p in problems):
        return taxonomy, problems
    return replace(taxonomy, topics=tuple(rules)), problems
