"""Derived headlines for French sites: present tense, lead-ins, cuts, form and faithfulness."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.evaluate import faithful, right_form
from digest.headline import LIMIT, derive_headline, rules_for
from digest.headline_fr import (
    NEVER_LAST,
    derive_headline_fr,
    present_of,
    verb_lemma_fr,
)
from digest.words import words_of

ROOT = Path(__file__).resolve().parent.parent
TUNE = ROOT / "tests/data/headlines-fr/tune"
TUNED_F1 = 0.849  # the French tune set's mean F1 after tuning, read as French; CI: within 0.02
HOLDOUT = ROOT / "tests/data/headlines-fr/holdout"
# What a French headline never ends on: an article, a preposition, a conjunction, a
# relative pronoun or an elided word.
DANGLING = frozenset(
    "d l qu de à en du des le la les un une pour sur avec et ou que qui dont au aux".split()
)


@pytest.mark.parametrize(
    ("summary", "headline"),
    [
        # passé composé -> present, the number told by the auxiliary
        ("Mistral AI a levé 1,7 milliard d’euros.", "Mistral AI lève 1,7 milliard d’euros"),
        (
            "Bpifrance a annoncé un fonds de 1 milliard d’euros.",
            "Bpifrance annonce un fonds de 1 milliard d’euros",
        ),
        (
            "Des comédiens de doublage ont manifesté à Paris.",
            "Des comédiens de doublage manifestent à Paris",
        ),
        ("La CNIL a mis en demeure une commune.", "La CNIL met en demeure une commune"),
        ("Le Genci a choisi un constructeur.", "Le Genci choisit un constructeur"),
        ("Les fonds ont choisi la prudence.", "Les fonds choisissent la prudence"),
        ("Le laboratoire a rendu public un modèle.", "Le laboratoire rend public un modèle"),
        ("L’État a cédé ses parts.", "L’État cède ses parts"),
        ("La ville a appelé à la prudence.", "La ville appelle à la prudence"),
        ("Le groupe a employé 300 personnes.", "Le groupe emploie 300 personnes"),
        ("Le vLLM est devenu un standard.", "Le vLLM devient un standard"),
        # the passive loses « a été »; « a été » before a noun becomes « est »
        (
            "Des paquets malveillants ont été repérés sur PyPI.",
            "Des paquets malveillants repérés sur PyPI",
        ),
        ("Un hôpital a été victime d’une attaque.", "Un hôpital est victime d’une attaque"),
        # a verb the rules do not know stays as written rather than inflected wrongly
        ("Le club a vaincu son rival.", "Le club a vaincu son rival"),
        # filler adverbs go: the present tense says « désormais »
        ("Météo-France utilise désormais un modèle.", "Météo-France utilise un modèle"),
        # the conditional of unconfirmed news stays
        (
            "Mistral AI serait en discussions pour lever 2 milliards d’euros.",
            "Mistral AI serait en discussions pour lever 2 milliards d’euros",
        ),
    ],
)
def test_present_tense_of_the_french_newsroom(summary: str, headline: str) -> None:
    assert derive_headline_fr(summary) == headline


@pytest.mark.parametrize(
    "summary",
    [
        "Selon une étude de France Travail, la part des offres citant l’IA a progressé de 40 %.",
        "D’après plusieurs sources, la part des offres citant l’IA a progressé de 40 %.",
        "Ce mardi, la part des offres citant l’IA a progressé de 40 %.",
        "Lundi 1er décembre, la part des offres citant l’IA a progressé de 40 %.",
    ],
)
def test_lead_ins_go(summary: str) -> None:
    assert derive_headline_fr(summary) == "La part des offres citant l’IA progresse de 40 %"


@pytest.mark.parametrize(
    "summary",
    [
        "Le 3 décembre, la CNIL a sanctionné un hébergeur.",
        "Interrogée par Le Monde, la CNIL a sanctionné un hébergeur.",
        "Invoquant le RGPD, la CNIL a sanctionné un hébergeur.",
        "En 2025, la CNIL a sanctionné un hébergeur.",
    ],
)
def test_dated_and_participle_lead_ins_go(summary: str) -> None:
    assert derive_headline_fr(summary) == "La CNIL sanctionne un hébergeur"


def test_a_word_that_only_looks_like_a_verb_yields_to_the_passe_compose() -> None:
    # « moyenne des », « source du »: a noun before an article, not the verb
    assert derive_headline_fr("La moyenne des salaires a progressé de 3 %.") == (
        "La moyenne des salaires progresse de 3 %"
    )
    assert derive_headline_fr("L’outil open source du laboratoire a été publié sur GitHub.") == (
        "L’outil open source du laboratoire publié sur GitHub"
    )
    # a present tense verb stays the verb when the passé composé is in a relative clause
    assert derive_headline_fr(
        "Le Centre Pompidou consacre une exposition aux artistes qui ont travaillé avec des "
        "réseaux de neurones depuis les années 2010, mêlant œuvres génératives et archives."
    ) == ("Le Centre Pompidou consacre une exposition aux artistes")


def test_framing_goes_and_a_possessive_keeps_its_owner() -> None:
    study = (
        "Une étude menée par des chercheurs d’Inria conclut que la plupart des modèles ne "
        "publient pas leurs données."
    )
    assert derive_headline_fr(study) == "La plupart des modèles ne publient pas leurs données"
    owner = "Amazon a indiqué que ses entrepôts comptent plus de robots que d’opérateurs."
    assert (
        derive_headline_fr(owner)
        == "Amazon : ses entrepôts comptent plus de robots que d’opérateurs"
    )


def test_appositions_and_relative_clauses_in_the_subject_go_when_room_is_needed() -> None:
    summary = (
        "Wandercraft, qui conçoit des exosquelettes de marche pour les personnes paraplégiques, "
        "a bouclé un tour de table de 75 millions de dollars pour accélérer le développement "
        "d’un robot humanoïde."
    )
    assert (
        derive_headline_fr(summary)
        == "Wandercraft boucle un tour de table de 75 millions de dollars"
    )
    relative = (
        "La start-up lyonnaise Ledgerwise, qui développe des agents d’IA pour automatiser la "
        "clôture comptable des PME, a levé 45 millions d’euros en série B auprès d’Eurazeo."
    )
    assert derive_headline_fr(relative).startswith(
        "La start-up lyonnaise Ledgerwise lève 45 millions d’euros"
    )


def test_cuts_end_on_a_whole_phrase() -> None:
    # the three clumsy English-rule cuts this module was written for
    construction = (
        "Un consortium franco-émirien a confirmé la construction en Seine-et-Marne d’un campus "
        "de centres de données d’une puissance de 1 GW, dont la première tranche doit entrer "
        "en service en 2028."
    )
    headline = derive_headline_fr(construction)
    assert headline == "Un consortium franco-émirien confirme la construction en Seine-et-Marne"
    dubbing = (
        "Plusieurs centaines de comédiennes et comédiens de doublage ont manifesté à Paris à "
        "l’appel du collectif « Touche pas à ma VF » pour réclamer que leur voix ne puisse "
        "plus être clonée."
    )
    assert derive_headline_fr(dubbing) == (
        "Plusieurs centaines de comédiennes et comédiens de doublage manifestent à Paris"
    )
    # « 45 millions | d’euros », « 40 | % » and « 3 | 000 » stay together
    amount = "La start-up francilienne Vsora a levé 40 millions d’euros pour financer la production de son premier processeur chez TSMC."
    assert derive_headline_fr(amount) == "La start-up francilienne Vsora lève 40 millions d’euros"
    # a semicolon ends the statement; « ne … ni » keeps both « ni »
    assert (
        derive_headline_fr(
            "Des dizaines de paquets malveillants ont été repérés sur PyPI ; une fois installés, "
            "ils dérobaient les jetons d’accès des développeurs."
        )
        == "Des dizaines de paquets malveillants repérés sur PyPI"
    )


def test_a_quotation_heads_its_sentence_and_participles_stay_with_their_verb() -> None:
    quote = (
        "« Nous ne laisserons pas les géants américains dicter les règles », a déclaré la "
        "ministre chargée du numérique lors d’un colloque à Bercy."
    )
    assert derive_headline_fr(quote) == (
        "« Nous ne laisserons pas les géants américains dicter les règles »"
    )
    fine = (
        "Doctolib a été condamné à une amende de 500 000 euros par la CNIL pour avoir "
        "conservé trop longtemps les données de santé de ses utilisateurs."
    )
    assert derive_headline_fr(fine) == "Doctolib condamné à une amende de 500 000 euros par la CNIL"


def test_quotation_marks_are_never_left_open() -> None:
    summary = (
        "Le collectif « Touche pas à ma VF, ni à nos voix de doublage, ni à nos métiers du "
        "cinéma et de la télévision » a manifesté à Paris."
    )
    headline = derive_headline_fr(summary)
    assert headline.count("«") == headline.count("»")
    assert right_form(headline)


def test_present_forms_and_the_lemma_the_measure_compares() -> None:
    assert present_of("levé", False) == "lève" and present_of("levées", True) == "lèvent"
    assert present_of("préféré", False) == "préfère"
    assert present_of("jeté", False) == "jette" and present_of("acheté", False) == "achète"
    assert present_of("mise", False) == "met" and present_of("pris", True) == "prennent"
    assert present_of("vaincu", False) == ""  # not listed: left as written
    assert verb_lemma_fr("levé") == verb_lemma_fr("lève") == verb_lemma_fr("lèvent")
    assert verb_lemma_fr("publié") == verb_lemma_fr("publie")
    assert verb_lemma_fr("mis") == verb_lemma_fr("met") != ""
    assert faithful("Mistral lève 2 milliards", "Mistral a levé 2 milliards.", "fr", verb_lemma_fr)
    assert not faithful("Mistral lève 2 milliards", "Mistral a levé 2 milliards.")


def test_the_site_language_picks_the_rules() -> None:
    for language in ("fr", "fr-FR", "fr-CA", "FR"):
        assert rules_for(language).derive is derive_headline_fr
    for language in ("en", "en-GB", "de", ""):
        assert rules_for(language).derive is derive_headline


def test_a_french_site_gets_french_headlines() -> None:
    from datetime import UTC, datetime

    from digest.enrich import enrich
    from digest.model import EditionFile, RawItem

    raw = (RawItem("Mistral AI a levé 1,7 milliard d’euros.", None, 1),)
    when = datetime(2026, 12, 1, tzinfo=UTC)
    editions = [EditionFile(0, "0.txt", "0.txt", None, when, raw)]
    (french,) = enrich(editions, language="fr-FR").items
    assert french.title == "Mistral AI lève 1,7 milliard d’euros"
    (english,) = enrich(editions, language="en").items
    assert english.title == derive_headline("Mistral AI a levé 1,7 milliard d’euros.")


def _headline_eval(cli, *extra: str | Path, data: Path = TUNE):
    run = cli("eval", "--headlines", data / "labels.yaml", "--content", data, *extra)
    numbers = run.out.splitlines()[1].split()
    return run, int(numbers[0]), int(numbers[1]), int(numbers[2]), float(numbers[3])


def test_french_tune_set_headlines_keep_their_tuned_quality(cli, tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("title: Veille IA\nlanguage: fr\n", encoding="utf-8")
    run, items, form, faithful_, f1 = _headline_eval(
        cli, "--config", config, "--min-f1", str(TUNED_F1 - 0.02)
    )
    assert run.code == 0, run.out + run.err
    assert (items, form, faithful_) == (56, 56, 56)
    assert f1 >= TUNED_F1 - 0.02


def test_the_sealed_french_headlines_keep_their_first_contact_quality(cli, tmp_path: Path) -> None:
    """48 further items and labels, sealed until the French rules' tuning ended: first
    contact 48/48 right form, 48/48 faithful, mean F1 0.752."""
    config = tmp_path / "site.yaml"
    config.write_text("title: Veille IA\nlanguage: fr\n", encoding="utf-8")
    run, items, form, faithful_, f1 = _headline_eval(cli, "--config", config, data=HOLDOUT)
    assert run.code == 0, run.out + run.err
    assert (items, form, faithful_) == (48, 48, 48)
    assert f1 >= 0.73


VOCABULARY = (
    "La CNIL a levé , ( ) mis été ont sont est devenu de d’ d’euros l’IA qu’une « » : ; ! ? "
    "… ... Selon D’après Ce mardi, Lundi 1er décembre, qui dont que et ou à en du des le la "
    "les un une pour sur avec 1,7 milliard 3 000 % € Mistral AI start-up lyonnaise "
    "Ledgerwise, ni ne publient se servent chargés mentionnant conçue"
).split()
texts = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.one_of(st.sampled_from(VOCABULARY), st.text(min_size=1, max_size=90)), max_size=60
    ).map(" ".join),
)


def _ends_well(token: str) -> bool:
    """Ends on a word that is none of the brief's list nor any other the module never ends on."""
    words = words_of(token)
    return bool(words) and words[-1].casefold() not in DANGLING | NEVER_LAST


@settings(max_examples=200, deadline=None)
@given(texts)
def test_any_french_text_gets_a_headline_of_the_right_form_made_of_its_own_words(
    text: str,
) -> None:
    headline = derive_headline_fr(text)
    if not any(len(t) <= LIMIT and _ends_well(t) for t in text.split()):
        return  # nothing a headline could end on: enrich falls back to the text itself
    assert headline, text
    assert right_form(headline), headline
    assert _ends_well(headline), headline
    assert headline.count("«") == headline.count("»") and headline.count("(") == headline.count(
        ")"
    ), headline
    # every word is a word of the summary, or a present the rules made of its participle
    summary_words = {w.casefold() for w in words_of(text)}
    lemmas = {verb_lemma_fr(w) for w in words_of(text)} - {""}
    for word in words_of(headline):
        assert word.casefold() in summary_words or verb_lemma_fr(word) in lemmas, (word, headline)
