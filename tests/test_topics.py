from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.taxonomy import Taxonomy, Term, TopicRule, parse_taxonomy
from digest.topics import choose, compile_term, repeated_terms, score
from digest.words import stem, words_of


def taxonomy(
    *terms: tuple[str, float], against: tuple[tuple[str, float], ...] = (), **settings: float
) -> Taxonomy:
    rule = TopicRule(
        "t",
        "T",
        "",
        tuple(Term(text, weight) for text, weight in terms),
        tuple(Term(t, w) for t, w in against),
    )
    return Taxonomy((rule,), **settings)  # type: ignore[arg-type]


def found(text: str, *terms: str) -> list[str]:
    evidence = score(text, None, taxonomy(*((t, 1.0) for t in terms)))
    return list(evidence[0].summary) if evidence else []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Regulators met on Monday.", "regulator"),
        ("A new regulation passed.", "regulations"),
        ("The regulatory sandbox opened.", "regulat*"),
        ("An open-source model.", "open source"),
        ("An open source model.", "open-source"),
        ("Open-Source models.", "open source"),
        ("The CNIL fined them.", "CNIL"),
        ("Demand for GPUs soared.", "GPU"),
        ("France's data protection authority acted.", "data protection authority"),
        ("France’s data protection authority acted.", "France data protection"),
        ("The authors sued.", "=author"),
        ("Scaleway's data centers", "data center"),
    ],
)
def test_terms_match_inflections_hyphens_phrases_and_acronyms(text: str, term: str) -> None:
    assert found(text, term) == [term]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Cognitive skills matter.", "CNIL"),  # not inside other words
        ("The cnil said.", "CNIL"),  # an acronym only in capitals
        ("A data protection authority acted.", "data authority"),  # a phrase is consecutive
        ("The authority acted.", "=author"),
        ("They will accelerate.", "=accelerator"),
        ("Unrelated text.", "law"),
        ("The lawn is green.", "law"),
        ("Open the door, source of light.", "open source"),
    ],
)
def test_terms_do_not_match_elsewhere(text: str, term: str) -> None:
    assert found(text, term) == []


def test_compiled_forms() -> None:
    assert compile_term("Regulators") == (("stem", "regul"),)
    assert compile_term("AI Act") == (("acronym", "AI"), ("stem", "act"))
    assert compile_term("regulat*") == (("prefix", "regulat"),)
    assert compile_term("=author") == (("word", "author"),)


def test_summary_weighs_more_than_analysis_and_against_terms_subtract() -> None:
    tax = taxonomy(
        ("jobs", 2.0), against=(("European Union", 2.0),), analysis_weight=0.25, threshold=2.0
    )
    [only_analysis] = score("A new model was released.", "It will cost jobs.", tax)
    assert only_analysis.score == 0.5 and choose([only_analysis], tax) == ()
    [in_summary] = score("It will cost jobs.", None, tax)
    assert in_summary.score == 2.0 and choose([in_summary], tax) == ("t",)
    assert score("The European Union will create jobs.", None, tax) == []


def test_at_most_max_topics_best_first() -> None:
    rules = tuple(
        TopicRule(slug, slug, "", (Term(slug, weight),), ())
        for slug, weight in (("a", 2), ("b", 5), ("c", 3), ("d", 4))
    )
    tax = Taxonomy(rules, threshold=2, max_topics=3)
    evidence = score("a b c d", None, tax)
    assert [e.topic for e in evidence] == ["b", "d", "c", "a"]
    assert choose(evidence, tax) == ("b", "d", "c")


def test_taxonomy_problems_are_reported_with_file_and_line() -> None:
    text = """settings:
  threshold: high
  colour: red
topics:
  Bad Slug:
    name: X
  ok:
    name: OK
    descripton: typo
    terms:
      law: 0
      "!!": 2
      regulator: 2
      regulators: 1
extra: 1
"""
    taxonomy, problems = parse_taxonomy(text, "topics.yaml")
    problems += repeated_terms(taxonomy, "topics.yaml")
    assert [str(p) for p in problems] == [
        "topics.yaml:2: error: settings.threshold: expected a number of at least 0, got 'high'",
        "topics.yaml:3: error: settings: unknown setting 'colour' (known: threshold, analysis_weight, max_topics)",
        "topics.yaml:5: error: topic 'Bad Slug': a topic's key is its URL slug: lowercase letters, digits and hyphens",
        "topics.yaml:9: error: ok: unknown key 'descripton' (known: name, description, terms, against)",
        "topics.yaml:11: error: ok.terms: 'law' needs a weight above 0, got 0",
        "topics.yaml:12: error: ok.terms: '!!' has no words to match",
        "topics.yaml:15: error: unknown key 'extra' (known: language, settings, topics)",
        "topics.yaml:14: error: ok: 'regulators' matches the same words as 'regulator' (line 13); keep one",
    ]


def test_the_shipped_taxonomy_is_valid_and_has_the_eight_topics() -> None:
    path = ROOT / "content" / "topics.yaml"
    taxonomy, problems = parse_taxonomy(path.read_text(encoding="utf-8"), str(path))
    assert problems == [] and repeated_terms(taxonomy, str(path)) == []
    assert [t.slug for t in taxonomy.topics] == [
        "regulation", "funding", "open-source", "labor", "security", "infrastructure", "robotics", "culture",
    ]  # fmt: skip
    assert all(t.name and t.description and t.terms for t in taxonomy.topics)


def test_a_term_longer_than_eight_words_or_100_characters_is_reported_on_its_line() -> None:
    long_name = "x" * 101
    text = (
        "topics:\n  t:\n    terms:\n"
        "      United Nations Educational Scientific and Cultural Organization: 3\n"
        "      one two three four five six seven eight nine: 1\n"
        f"      {long_name}: 1\n"
    )
    taxonomy, problems = parse_taxonomy(text, "topics.yaml")
    assert [str(p) for p in problems] == [
        "topics.yaml:5: error: t.terms: 'one two three four five six seven eight nine' is too "
        "long for a term (9 word(s), 44 characters; at most 8 and 100)",
        f"topics.yaml:6: error: t.terms: '{'x' * 58}… is too long for a term "
        "(1 word(s), 101 characters; at most 8 and 100)",
    ]
    assert [t.text for t in taxonomy.topics[0].terms] == [
        "United Nations Educational Scientific and Cultural Organization"
    ]


@pytest.mark.parametrize("weight", [".nan", ".inf", "-.inf", "1" * 400, "1e999", "true", "[1]"])
def test_weights_and_settings_are_finite_numbers(weight: str) -> None:
    text = f"settings:\n  threshold: {weight}\ntopics:\n  t:\n    terms:\n      law: {weight}\n"
    taxonomy, problems = parse_taxonomy(text, "topics.yaml")
    assert [p.line for p in problems] == [2, 6]
    assert taxonomy.threshold == 2.0 and taxonomy.topics[0].terms == ()


def test_terms_that_begin_alike_are_each_found_only_where_they_end() -> None:
    terms = [("data " * 7 + f"x{i}", 1.0) for i in range(20)]
    tax = taxonomy(*terms)
    [evidence] = score("data " * 3000 + "x7 then " + "data " * 7 + "x19", None, tax)
    assert evidence.summary == (
        "data data data data data data data x7",
        "data data data data data data data x19",
    )


# Terms and texts from a few words in their forms (inflected, capitals, plurals, prefixes),
# so that terms share beginnings, overlap and repeat across topics.
FORMS = [
    "data",
    "DATA",
    "Datas",
    "GPU",
    "GPUs",
    "author",
    "authors",
    "authority",
    "open",
    "law",
    "laws",
]
TERM = st.lists(
    st.sampled_from(["data", "DATA", "GPU", "=author", "auth*", "open", "law*", "Law", "s"]),
    min_size=1,
    max_size=4,
).map(" ".join)


def fits(kind: str, key: str, word: str) -> bool:
    """The matching rules of README.md, read one word at a time."""
    folded = word.casefold()
    if kind == "stem":
        return stem(word) == key
    if kind == "acronym":
        return word in (key, key + "s")
    if kind == "word":
        return folded in (key, key + "s")
    return folded.startswith(key)


def naive_matches(text: str, terms: list[str]) -> set[str]:
    words = words_of(text)
    found = set()
    for term in terms:
        keys = compile_term(term)
        for start in range(len(words) - len(keys) + 1):
            if all(fits(kind, key, words[start + i]) for i, (kind, key) in enumerate(keys)):
                found.add(term)
    return found


@settings(max_examples=200, deadline=None)
@given(
    st.lists(TERM, min_size=1, max_size=8, unique=True),
    st.lists(st.sampled_from(FORMS), max_size=30).map(" ".join),
)
def test_matching_finds_exactly_the_terms_a_word_by_word_reading_finds(
    terms: list[str], text: str
) -> None:
    evidence = score(text, None, taxonomy(*((t, 1.0) for t in terms)))
    assert set(evidence[0].summary if evidence else ()) == naive_matches(text, terms)


TOPICS_TEXT = st.lists(
    st.tuples(
        st.sampled_from(["t", "a-b", "Bad", "x" * 120, "settings"]),
        st.lists(
            st.tuples(
                st.one_of(TERM, st.text(max_size=20), st.integers(1, 30).map(lambda n: "w " * n)),
                st.sampled_from(
                    ["1", "0", "-1", ".nan", "1e999", "9" * 400, "x", "[1]", "{a: 1}", ""]
                ),
            ),
            max_size=5,
        ),
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(TOPICS_TEXT)
def test_any_topics_yaml_gives_a_taxonomy_and_problems_inside_it(topics: list) -> None:
    lines = ["settings:", "  max_topics: 2", "topics:"]
    for slug, terms in topics:
        lines += [f"  {slug}:", "    name: N", "    terms:"]
        lines += [f"      {json.dumps(term)}: {weight}" for term, weight in terms]
    text = "\n".join(lines) + "\n"
    taxonomy_found, problems = parse_taxonomy(text, "topics.yaml")
    problems += repeated_terms(taxonomy_found, "topics.yaml")
    assert all(p.line is not None and 1 <= p.line <= len(lines) for p in problems)
    for rule in taxonomy_found.topics:
        for term in rule.terms:
            assert len(term.text) <= 100 and len(term.text.split()) <= 8 and term.weight > 0
    score("w " * 50 + "data GPU open law", None, taxonomy_found)


def test_tagging_shared_with_helper_processes_gives_what_one_process_gives(monkeypatch) -> None:
    """A large archive's tagging is shared out through digest/workers.py (forked helpers
    that hold the taxonomy): the same topics and evidence, in the same order."""
    from datetime import UTC, datetime

    from digest import enrich
    from digest.config import SiteConfig
    from digest.load import load_taxonomy
    from digest.model import Item, Source
    from digest.parse import parse_text

    taxonomy = load_taxonomy(SiteConfig(content=ROOT / "content"))
    text = (ROOT / "content" / "000_e808da6115982e84.txt").read_text(encoding="utf-8")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        Item(f"i{n}", "", f"i{n}", raw.summary, raw.analysis, when, 0, n, Source("f", n))
        for n, raw in enumerate(parse_text(text, "f").items * 3)
    ]
    monkeypatch.setattr(enrich, "PARALLEL_FROM", 10**9)
    alone = enrich.tag_texts(items, taxonomy)
    monkeypatch.setattr(enrich, "PARALLEL_FROM", 1)
    calls: list[object] = []
    monkeypatch.setattr(enrich, "map_shared", _counting(enrich.map_shared, calls))
    shared = enrich.tag_texts(items, taxonomy)
    assert calls and shared == alone and any(topics for topics, _ in alone)


def _counting(function: Any, calls: list[object]) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return function(*args, **kwargs)

    return counted
