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


@dataclass(frozen=True)
class _Token:
    word: str
    folded: str
    stem: str


def _fits(kind: str, key: str, token: _Token) -> bool:
    if kind == "stem":
        return token.stem == key
    if kind == "acronym":  # also in the plural: GPU, GPUs
        return token.word == key or token.word == key + "s"
    if kind == "word":
        return token.folded == key or token.folded == key + "s"
    return token.folded.startswith(key)


Slot = tuple[int, bool, Term, tuple[tuple[str, str], ...]]  # topic, against?, term, its words


@dataclass(frozen=True)
class _Index:
    """The taxonomy's terms by their first word, so that a text is read once, not once a term."""

    by_key: dict[tuple[str, str], tuple[Slot, ...]]  # (kind, key) of the first word
    by_prefix: tuple[tuple[str, Slot], ...]


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
    return _Index({k: tuple(v) for k, v in by_key.items()}, tuple(by_prefix))


def _first_word_keys(token: _Token) -> list[tuple[str, str]]:
    keys = [("stem", token.stem), ("acronym", token.word), ("word", token.folded)]
    if token.folded.endswith("s"):  # plurals of acronyms and of whole words
        keys += [("acronym", token.word[:-1]), ("word", token.folded[:-1])]
    return keys


def _matches(text: str, taxonomy: Taxonomy) -> dict[tuple[int, bool], list[Term]]:
    """The terms found in `text`, each once, by (topic index, against)."""
    language = taxonomy.language
    tokens = [_Token(w, w.casefold(), stem(w, language)) for w in words_of(text)]
    index = _index(taxonomy)
    found: dict[tuple[int, bool], list[Term]] = {}
    seen: set[tuple[int, bool, Term]] = set()
    for start, token in enumerate(tokens):
        candidates = [slot for key in _first_word_keys(token) for slot in index.by_key.get(key, ())]
        candidates += [slot for prefix, slot in index.by_prefix if token.folded.startswith(prefix)]
        for number, against, term, words in candidates:
            if (number, against, term) in seen or start + len(words) > len(tokens):
                continue
            rest = enumerate(words[1:], start=start + 1)
            if all(_fits(kind, key, tokens[at]) for at, (kind, key) in rest):
                seen.add((number, against, term))
                found.setdefault((number, against), []).append(term)
    return found


def score(summary: str, analysis: str | None, taxonomy: Taxonomy) -> list[Evidence]:
    """Every topic with a positive score, best first."""
    in_summary = _matches(summary, taxonomy)
    in_analysis = _matches(analysis or "", taxonomy)
    weight = taxonomy.analysis_weight
    results = []
    for number, rule in enumerate(taxonomy.topics):
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
                    summary=_in_order(for_s, rule.terms),
                    analysis=_in_order(for_a, rule.terms),
                    against=tuple(dict.fromkeys(t.text for t in (*vs_s, *vs_a))),
                )
            )
    results.sort(key=lambda e: (-e.score, e.topic))
    return results


def _in_order(found: list[Term], terms: tuple[Term, ...]) -> tuple[str, ...]:
    # Terms compare by value: the index may have been built from an equal taxonomy.
    return tuple(t.text for t in terms if t in found)


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
