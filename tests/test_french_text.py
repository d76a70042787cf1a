"""French text: words (elision, guillemets, non-breaking spaces), accents folded after
stemming, the French taxonomy, the English one under other languages, and the French
duplicate pairs held at their tuned figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, config_for
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.dedupe import features, find_duplicates, score_pairs
from digest.init import shipped_taxonomy
from digest.load import load
from digest.model import Item, Source
from digest.parse import parse_text
from digest.problems import ConfigErrors
from digest.taxonomy import Taxonomy, Term, TopicRule, parse_taxonomy
from digest.topics import merge_repeated, score
from digest.words import fold, stem, stem_keys, stopwords, words_of

FRENCH_TAXONOMY = ROOT / "taxonomies" / "fr.yaml"
ENGLISH_TAXONOMY = ROOT / "content" / "topics.yaml"
EIGHT = ["regulation", "funding", "open-source", "labor", "security", "infrastructure", "robotics", "culture"]  # fmt: skip


# --- words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("l'IA", ["IA"]),
        ("l’autorité", ["autorité"]),
        ("lʼautorité", ["autorité"]),  # the modifier letter apostrophe
        ("d'euros", ["euros"]),
        ("qu'il", ["il"]),
        ("jusqu’à", ["à"]),
        ("lorsqu'elle puisqu’on", ["elle", "on"]),
        ("j'ai n'est s'est c'est", ["ai", "est", "est", "est"]),
        ("main-d’œuvre", ["main", "œuvre"]),
        ("aujourd’hui", ["aujourd", "hui"]),  # not an elision: both halves kept
        ("«\u00a0open source\u00a0»", ["open", "source"]),
        (
            "Pourquoi\u202f? Parce que\u00a0: la CNIL\u202f!",
            ["Pourquoi", "Parce", "que", "la", "CNIL"],
        ),
    ],
)
def test_french_words_drop_elision_and_read_french_punctuation_as_spaces(
    text: str, words: list[str]
) -> None:
    assert words_of(text, "fr") == words
    assert words_of(text, "fr-CA") == words


def test_english_words_are_read_as_before() -> None:
    assert words_of("France's l'IA", "en") == ["France", "l", "IA"]


def test_french_stop_words_hold_articles_pronouns_and_the_forms_of_etre_and_avoir() -> None:
    fr = stopwords("fr")
    assert {"le", "la", "les", "des", "du", "à", "a", "été", "ete", "sont", "qu", "l"} <= fr
    assert not {"régulation", "amende", "cnil"} & fr
    assert "the" in stopwords("en") and "le" not in stopwords("en")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("regulation", "régulation"),
        ("régulation", "regulation"),
        ("securite", "sécurité"),
        ("sécurité", "securite"),
        ("coeur", "cœur"),
        ("Régulateur", "régulation"),
    ],
)
def test_a_word_typed_without_accents_meets_the_word_with_them(typed: str, written: str) -> None:
    assert set(stem_keys(typed, "fr")) & set(stem_keys(written, "fr"))


def test_accents_are_folded_after_stemming_not_before() -> None:
    # The French stemmer reads the accents: folding first would give another stem.
    assert stem("sécurité", "fr") == "sécur" and stem("securite", "fr") == "securit"
    assert stem_keys("sécurité", "fr") == ("secur", "securit")
    assert fold("Élision, cœur, Æ") == "elision, coeur, ae"


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_folding_is_stable_and_keys_never_raise(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    for word in words_of(text, "fr"):
        assert stem_keys(word, "fr")


# --- tagging ----------------------------------------------------------------------------


def one_topic(*terms: str) -> Taxonomy:
    rule = TopicRule("t", "T", "", tuple(Term(t, 2.0) for t in terms), ())
    return Taxonomy((rule,), language="fr")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("La régulation de l’IA avance.", "regulation"),
        ("La regulation de l’IA avance.", "régulation"),
        ("Le régulateur a tranché.", "régulation"),
        ("La sécurité des modèles.", "securite"),
        ("Les droits d’auteur des écrivains.", "droit d'auteur"),
        ("Le droit d'auteur.", "droit d’auteur"),
        ("L’Arcom a saisi la justice.", "Arcom"),
        ("une levée de fonds de 10 millions d’euros", "levée de fonds"),
        ("la main-d’œuvre qualifiée", "main-d'oeuvre"),
        ("la réglementation européenne", "réglement*"),
        ("le règlement européen", "reglement*"),
        ("les lois", "=loi"),
        ("la Loi", "=loi"),
        ("des puces\u202f; des GPU", "puce"),
        ("des GPU", "GPU"),
    ],
)
def test_french_terms_match_across_accents_elision_and_inflections(text: str, term: str) -> None:
    [evidence] = score(text, None, one_topic(term))
    assert evidence.summary == (term,)  # the term as the editor wrote it


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Elle est loin.", "=loi"),
        ("Le gouvernement a décidé.", "=gouvernance"),
        ("la cnil", "CNIL"),
    ],
)
def test_french_terms_do_not_match_other_words(text: str, term: str) -> None:
    assert score(text, None, one_topic(term)) == []


def test_the_french_taxonomy_is_valid_has_the_eight_topics_and_says_its_language() -> None:
    text = FRENCH_TAXONOMY.read_text(encoding="utf-8")
    for language in ("fr", "fr-CA"):
        taxonomy, problems = parse_taxonomy(text, "fr.yaml", language)
        taxonomy, repeated = merge_repeated(taxonomy, "fr.yaml")
        assert problems == [] and repeated == []
        assert taxonomy.written_in == "fr"
        assert [t.slug for t in taxonomy.topics] == EIGHT
        assert all(t.name and t.description and t.terms for t in taxonomy.topics)


def test_init_finds_the_french_taxonomy_for_every_french_site() -> None:
    assert shipped_taxonomy("fr") == shipped_taxonomy("fr-CA") == FRENCH_TAXONOMY
    assert shipped_taxonomy("en") == shipped_taxonomy("de") == ENGLISH_TAXONOMY


# --- the English taxonomy under other languages ------------------------------------------


@pytest.mark.parametrize("language", ["fr", "fr-FR", "de", "es", "it", "nl"])
def test_the_english_taxonomy_loads_under_every_language(tmp_path: Path, language: str) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "topics.yaml").write_bytes(ENGLISH_TAXONOMY.read_bytes())
    loaded = load(folder, config_for(tmp_path, language=language))
    assert [t.slug for t in loaded.taxonomy.topics] == EIGHT
    assert all(p.severity == "warning" for p in loaded.problems)
    assert bool(loaded.problems) == (language.split("-")[0] in ("fr", "de", "es"))
    for problem in loaded.problems:
        assert f"when read as {language.split('-')[0]}, the site's language" in problem.message
        assert "(this file is written in en)" in problem.message


def test_a_collision_the_editor_did_not_choose_is_a_warning_and_the_later_term_goes() -> None:
    text = ENGLISH_TAXONOMY.read_text(encoding="utf-8")
    taxonomy, problems = parse_taxonomy(text, "topics.yaml", "fr")
    merged, repeated = merge_repeated(taxonomy, "topics.yaml")
    line = text.splitlines().index("      hack: 2") + 1
    assert problems == [] and [str(p) for p in repeated] == [
        f"topics.yaml:{line}: warning: security: 'hack' matches the same words as 'hacker' "
        f"(line {line - 1}) when read as fr, the site's language (this file is written in en); "
        "'hack' is left out (a file written in fr says so with a top-level 'language: fr', "
        "and this is then an error to fix)"
    ]
    security = {t.slug: t for t in merged.topics}["security"]
    assert "hacker" in [t.text for t in security.terms]
    assert "hack" not in [t.text for t in security.terms]
    [evidence] = [
        e for e in score("Un hacker a piraté le site.", None, merged) if e.topic == "security"
    ]
    assert evidence.summary == ("hacker",)  # counted once, at hacker's weight
    assert evidence.score == 3.0


def test_the_editors_own_repetition_stays_an_error_in_the_files_language(tmp_path: Path) -> None:
    # A file that does not say its language is English (as digest's own, and every copy
    # `digest init` wrote before files said their language): an English collision is an
    # error under every site language ...
    own = "topics:\n  t:\n    terms:\n      regulator: 2\n      regulators: 1\n"
    for language in ("en", "fr", "de"):
        _, problems = merge_repeated(parse_taxonomy(own, "t.yaml", language)[0], "t.yaml")
        assert [p.severity for p in problems] == ["error"]
    # ... and a French file's own French collision is an error once it says it is French.
    french = "topics:\n  t:\n    terms:\n      régulateur: 2\n      régulation: 1\n"
    _, problems = merge_repeated(parse_taxonomy(french, "t.yaml", "fr")[0], "t.yaml")
    assert [p.severity for p in problems] == ["warning"]
    said = "language: fr\n" + french
    _, problems = merge_repeated(parse_taxonomy(said, "t.yaml", "fr")[0], "t.yaml")
    assert [p.severity for p in problems] == ["error"]
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "topics.yaml").write_text(said)
    with pytest.raises(ConfigErrors):
        load(folder, config_for(tmp_path, language="fr"))


@pytest.mark.parametrize("value", ["'fr_FR'", "3", "[fr]", "''"])
def test_a_bad_taxonomy_language_is_an_error_on_its_line(value: str) -> None:
    _, problems = parse_taxonomy(f"language: {value}\ntopics: {{}}\n", "topics.yaml")
    assert [(p.line, p.severity) for p in problems] == [(1, "error")]
    assert "language: expected the language tag of the file's terms" in problems[0].message


# --- duplicates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ["1,7 milliard d’euros", "1,7 Md€", "1,7 milliard d'euros", "1,7 Mds €"],
        ["600 000 euros", "600\u202f000 €", "600\u00a0000 euros"],
        ["170 millions d’euros", "170 M€", "170 millions d'euros"],
        ["10 millions de dollars", "10 M$"],
        ["40 %", "40\u202f%", "40 pour cent"],
        ["1 GW", "1 000 MW"],
    ],
)
def test_a_figure_in_its_french_forms_is_one_token(forms: list[str]) -> None:
    amounts = [{f for f in features(text, "fr") if f.startswith("#")} for text in forms]
    assert all(found == amounts[0] and len(found) == 1 for found in amounts), amounts


def test_french_demonyms_synonyms_and_events_are_read_as_one() -> None:
    a = features("Le régulateur allemand a infligé une amende à une start-up américaine.", "fr")
    b = features("L’autorité d’Allemagne sanctionne une jeune pousse des États-Unis.", "fr")
    assert {"allemagn", "amer", "autor", "startup", "^amende"} <= a & b
    assert not {"le", "a", "une", "l", "d"} & a


FR_PAIRS = ROOT / "tests" / "data" / "dedupe" / "fr-tune.yaml"
FR_ITEMS = ROOT / "tests" / "data" / "eval-fr" / "001_eval_fr.txt"


def test_the_french_pairs_hold_their_tuned_precision_and_recall() -> None:
    """labels15's 24 pairs, indexed after the 56 French evaluation items. First contact
    (English-only reading): precision 1/8 = 0.125, recall 1/12 = 0.083. Tuned: precision
    6/7 = 0.857, recall 6/12 = 0.500. Held with a margin of one pair each way."""
    pairs = [(p["kind"], p["a"], p["b"]) for p in yaml.safe_load(FR_PAIRS.read_text())]
    background = [raw.summary for raw in parse_text(FR_ITEMS.read_text(), "f").items]
    found = score_pairs(pairs, background, "fr")
    assert found.precision >= 0.75 and found.recall >= 0.41, found.wrong


def test_the_sealed_french_pairs_keep_their_first_contact_figures() -> None:
    """labels15's 20 further pairs (10 same, 10 different), sealed until tuning ended.
    First contact: precision 1/3, recall 1/10: the same stories told with other names
    ("le groupe de Mark Zuckerberg", "le quotidien du soir") are not found. Held so that
    they do not get worse."""
    holdout = ROOT / "tests" / "data" / "dedupe" / "fr-holdout.yaml"
    pairs = [(p["kind"], p["a"], p["b"]) for p in yaml.safe_load(holdout.read_text())]
    background = [raw.summary for raw in parse_text(FR_ITEMS.read_text(), "f").items]
    found = score_pairs(pairs, background, "fr")
    assert found.true_positives >= 1 and found.false_positives <= 2, found.wrong


def test_a_french_paraphrase_is_grouped_in_french() -> None:
    a = (
        "La start-up Ledgerwise a levé 45 millions d’euros auprès de fonds français et "
        "américains pour ses agents comptables."
    )
    b = (
        "Ledgerwise, jeune pousse de la comptabilité automatisée, boucle un tour de table de "
        "45 M€ avec des investisseurs français et des États-Unis."
    )
    when = datetime(2026, 1, 1, tzinfo=UTC)
    items = [Item(n, "", n, s, None, when, 0, i, Source("f", i)) for i, (n, s) in enumerate([("a", a), ("b", b)])]  # fmt: skip
    assert find_duplicates(items, "fr") == {"b": "a"}


def test_the_same_event_in_two_places_is_two_stories() -> None:
    told = "Le centre hospitalier {} a été paralysé par une cyberattaque au rançongiciel ; les pirates exigent 10 millions de dollars."  # fmt: skip
    when = datetime(2026, 1, 1, tzinfo=UTC)

    def items(*places: str) -> list[Item]:
        return [Item(f"i{n}", "", f"i{n}", told.format(p), None, when, 0, n, Source("f", n)) for n, p in enumerate(places)]  # fmt: skip

    assert find_duplicates(items("de Cannes", "d’Armentières"), "fr") == {}
    assert find_duplicates(items("de Cannes", "de Cannes (Alpes-Maritimes)"), "fr") == {"i1": "i0"}
    assert find_duplicates(items("de Cannes", "régional"), "fr") == {"i1": "i0"}  # one names none
