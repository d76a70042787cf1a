from __future__ import annotations

import pytest
from conftest import ROOT

from digest.taxonomy import Taxonomy, Term, TopicRule, parse_taxonomy
from digest.topics import choose, compile_term, repeated_terms, score


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
        "topics.yaml:15: error: unknown key 'extra' (known: settings, topics)",
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
