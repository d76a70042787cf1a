"""A French summary's headline, as a French news editor would write it from its first sentence.

The English rules (digest/headline.py) lean on an English lexicon; these lean on French
grammar's own signposts, in this order:

1. A sentence that opens with a quotation (« « … », a déclaré X ») is headed by the
   quotation when it fits. A lead-in goes: « Selon une étude de X, … », « D'après … »,
   « Ce mardi, … », « Lundi 1er décembre, … »; so does framing whose clause is the news:
   « Une étude conclut que X … » keeps X; « Amazon a indiqué que ses entrepôts … »
   becomes « Amazon : ses entrepôts … » (the possessive needs its owner). Filler adverbs
   go (« officiellement », « désormais »: the present already says so).
2. The main verb is found: the first auxiliary (a, ont, est, sont …) or finite verb that
   is not inside a relative clause or an apposition between commas.
3. Present tense: a passé composé with a regular verb (-er, -ir) or a listed irregular one
   becomes the present, its number told by the auxiliary (« a levé » -> « lève », « ont
   manifesté » -> « manifestent », « a mis » -> « met »); « a été » before a participle
   goes (« ont été repérés » -> « repérés »), before anything else becomes « est »/« sont ».
   A verb it does not know is left as written rather than inflected wrongly.
4. When the headline needs room: parentheses go; an apposition or a relative clause
   between commas in the subject goes (« Wandercraft, qui conçoit …, a bouclé » ->
   « Wandercraft boucle »); a trailing « , selon … » goes; an incise after the verb goes
   (« rend public, avec son code, un modèle »); a semicolon or colon ends the statement;
   then the sentence is cut at its first comma after the verb, or at the latest phrase
   boundary that fits (before a preposition, a conjunction, a relative pronoun or a
   participle; a relative clause is kept whole or not at all where it can be), never
   after an article, a preposition, an elided word (d', l'), a number waiting for its
   noun, a participle or infinitive waiting for its complement, or inside « … » or
   « ne … ni … ni ». A subject too long for any of that loses the phrase (a participle
   or relative clause, a prepositional phrase, a « de » phrase) whose loss leaves the
   most words, or is named alone (« La start-up Pleias » -> « Pleias ») when that tells
   as much.

Nothing is added but inflections and the colon of step 1: every word of the headline is
a word of the summary. Pure and deterministic, no lexicon to load.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType

from .headline import (
    AIM,
    ELLIPSES,
    LIMIT,
    OF_PENALTY,
    OVER_AIM_PENALTY,
    PAIRS,
    SIGNS,
    SLACK,
    _balance,
    _drop_parentheses,
    _keep_case,
)
from .headline import _is_word as is_word
from .text import first_sentence
from .words import words_of

# A cut can leave « without its », as it can a bracket without its partner.
FRENCH_PAIRS = (*PAIRS, ("«", "»"))

SHORT = 45  # a main clause at least this long is a headline: the relative clause after it goes
LEAD_IN_WORDS = 14  # « Selon une étude commandée par la Sacem, … »
RELATIVE_BONUS = 12  # characters a cut before « qui », « dont », « où » counts as gaining

APOSTROPHE = "'’"
# Elided words: « d’euros » is « de » + « euros », « l’IA » is « la » + « IA ».
ELIDED = frozenset("d l qu s n j c m t jusqu lorsqu puisqu quoiqu presqu".split())
ARTICLES = frozenset("le la les l un une des du au aux d".split())
DETERMINERS = ARTICLES | frozenset(
    """ce cet cette ces son sa ses leur leurs notre nos votre vos mon ma mes chaque plusieurs
    quelques certains certaines tout toute tous toutes aucun aucune quel quelle""".split()
)
PREPOSITIONS = frozenset(
    """de à en pour sur avec dans par chez sans sous vers contre entre depuis pendant après
    avant selon lors auprès afin malgré parmi envers hors dès jusqu jusque via outre près
    durant concernant grâce""".split()
)
CONJUNCTIONS = frozenset("et ou mais ni car donc".split())
RELATIVES = frozenset("qui que dont où lequel laquelle lesquels lesquelles auquel".split())
PRONOUNS = frozenset("il elle ils elles on se y ne pas plus moins très environ avoir être".split())
# Auxiliaries and modal verbs, with the number they tell.
SINGULAR_AUX = frozenset(
    "a est avait était sera serait aurait va doit peut pourrait veut devrait".split()
)
PLURAL_AUX = frozenset(
    """ont sont avaient étaient seront seraient auraient vont doivent peuvent pourraient
    veulent devraient""".split()
)
# Endings of adjectives that look like a verb in the present (« interministérielle du »).
ADJECTIVE_ENDINGS = tuple(
    "aire elle ienne aise oise ale ble euse ine iste ile ique ive ère ente ante ée ie eure".split()
)
# Verbs in the present that end like an adjective.
PRESENT_VERBS = frozenset(
    """indique indiquent explique expliquent applique appliquent revendique revendiquent
    communique communiquent fabrique fabriquent implique impliquent publie publient
    arrive arrivent suive suivent""".split()
)
AUXILIARIES = SINGULAR_AUX | PLURAL_AUX
HAVE = frozenset({"a", "ont"})
BE = frozenset({"est", "sont"})
# Words that come before the noun they qualify: a cut never ends on one.
BEFORE_NOUN = frozenset(
    """nouveau nouvel nouvelle nouveaux nouvelles premier première premiers premières
    dernier dernière derniers dernières grand grande grands grandes petit petite petits
    petites jeune jeunes ancien ancienne anciens anciennes seul seule seuls seules même
    mêmes autre autres deuxième troisième second seconde principal principale principaux
    principales""".split()
)
NUMBER_WORDS = frozenset(
    """un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente
    quarante cinquante soixante cent cents mille""".split()
)
# Participles and adjectives that wait for their complement: « chargés d’… », « destiné à ».
WAITING = frozenset(
    """chargé chargée chargés chargées destiné destinée destinés destinées conçu conçue conçus
    conçues réservé réservée réservés réservées prévu prévue prévus prévues spécialisé
    spécialisée spécialisés spécialisées dédié dédiée dédiés dédiées doté dotée dotés dotées
    basé basée basés basées lié liée liés liées consacré consacrée consacrés consacrées
    capable capables susceptible susceptibles prêt prête prêts prêtes apte aptes proche
    proches soumis soumise soumises tirés tiré tirée tirées issu issue issus issues
    appliqué appliquée appliqués appliquées censé censée censés censées""".split()
)
# Nouns whose « de » phrase is their content: never cut before it (« 45 millions | d’euros »).
PARTITIVES = frozenset(
    """millions million milliards milliard milliers millier centaines centaine dizaines
    dizaine part parts partie plupart nombre majorité minorité série tour moitié quart tiers
    ensemble poignée plusieurs quelques centaines""".split()
)
# Adverbs that tell the reader nothing a headline needs.
# « désormais »: the present tense already says that it is so now.
FILLERS = frozenset(
    "officiellement également finalement récemment notamment ainsi désormais".split()
)
ADVERBS = FILLERS | frozenset("déjà aussi enfin encore bien toujours".split())
# Lead-ins that end at the first comma: « Selon …, », « Ce mardi, », « En 2024, ».
LEAD_INS = PREPOSITIONS | frozenset(
    """ce cette cet hier aujourd’hui aujourd'hui lundi mardi mercredi jeudi vendredi samedi
    dimanche d’après d'après alors fin début mi face""".split()
)
# Verbs whose object clause is the news: « Une étude conclut que … ».
REPORTING = frozenset(
    """conclut concluent montre montrent indique indiquent révèle révèlent estime estiment
    affirme affirment souligne soulignent constate constatent observe observent rapporte
    rapportent assure assurent explique expliquent prévoit prévoient annonce annoncent
    confirme confirment""".split()
)
POSSESSIVES = frozenset("son sa ses leur leurs".split())
FUNCTION_WORDS = (
    DETERMINERS | PREPOSITIONS | CONJUNCTIONS | RELATIVES | PRONOUNS | AUXILIARIES | ELIDED
)
QUOTES = re.compile(r"[()\[\]{}“”\"«»]")
# What no headline ends on, whatever else fails: « … en Seine-et-Marne d’un ».
NEVER_LAST = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | RELATIVES | ELIDED
OPENING = "\"'“‘([{«"
CLOSING = "\"'”’)]}»"
TRAILING = ",;:.!?" + CLOSING
SPACES = " \u00a0\u202f"
# Punctuation French sets apart with a space: it belongs with the word before it.
AFTER_SPACE = frozenset(":;!?»")
UNITS = frozenset("% € $ £".split())
DIGITS = re.compile(r"^\d+([.,]\d+)?$")
THOUSANDS = re.compile(r"^\d{3}$")
VOWELS = "aeiouyéèêëàâîïôûùœ"

# Irregular past participles -> (present singular, present plural). Feminine and plural
# agreement (mise, mises) is read off before looking up.
IRREGULAR: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "mis": ("met", "mettent"),
        "permis": ("permet", "permettent"),
        "promis": ("promet", "promettent"),
        "soumis": ("soumet", "soumettent"),
        "admis": ("admet", "admettent"),
        "transmis": ("transmet", "transmettent"),
        "remis": ("remet", "remettent"),
        "pris": ("prend", "prennent"),
        "compris": ("comprend", "comprennent"),
        "repris": ("reprend", "reprennent"),
        "entrepris": ("entreprend", "entreprennent"),
        "appris": ("apprend", "apprennent"),
        "surpris": ("surprend", "surprennent"),
        "acquis": ("acquiert", "acquièrent"),
        "conquis": ("conquiert", "conquièrent"),
        "fait": ("fait", "font"),
        "refait": ("refait", "refont"),
        "dit": ("dit", "disent"),
        "interdit": ("interdit", "interdisent"),
        "prédit": ("prédit", "prédisent"),
        "écrit": ("écrit", "écrivent"),
        "décrit": ("décrit", "décrivent"),
        "inscrit": ("inscrit", "inscrivent"),
        "prescrit": ("prescrit", "prescrivent"),
        "produit": ("produit", "produisent"),
        "construit": ("construit", "construisent"),
        "introduit": ("introduit", "introduisent"),
        "réduit": ("réduit", "réduisent"),
        "traduit": ("traduit", "traduisent"),
        "conduit": ("conduit", "conduisent"),
        "séduit": ("séduit", "séduisent"),
        "détruit": ("détruit", "détruisent"),
        "ouvert": ("ouvre", "ouvrent"),
        "rouvert": ("rouvre", "rouvrent"),
        "couvert": ("couvre", "couvrent"),
        "découvert": ("découvre", "découvrent"),
        "offert": ("offre", "offrent"),
        "souffert": ("souffre", "souffrent"),
        "rendu": ("rend", "rendent"),
        "vendu": ("vend", "vendent"),
        "perdu": ("perd", "perdent"),
        "attendu": ("attend", "attendent"),
        "entendu": ("entend", "entendent"),
        "étendu": ("étend", "étendent"),
        "suspendu": ("suspend", "suspendent"),
        "défendu": ("défend", "défendent"),
        "répondu": ("répond", "répondent"),
        "descendu": ("descend", "descendent"),
        "tendu": ("tend", "tendent"),
        "prétendu": ("prétend", "prétendent"),
        "obtenu": ("obtient", "obtiennent"),
        "tenu": ("tient", "tiennent"),
        "retenu": ("retient", "retiennent"),
        "maintenu": ("maintient", "maintiennent"),
        "soutenu": ("soutient", "soutiennent"),
        "détenu": ("détient", "détiennent"),
        "contenu": ("contient", "contiennent"),
        "venu": ("vient", "viennent"),
        "devenu": ("devient", "deviennent"),
        "revenu": ("revient", "reviennent"),
        "parvenu": ("parvient", "parviennent"),
        "intervenu": ("intervient", "interviennent"),
        "prévenu": ("prévient", "préviennent"),
        "conçu": ("conçoit", "conçoivent"),
        "reçu": ("reçoit", "reçoivent"),
        "perçu": ("perçoit", "perçoivent"),
        "déçu": ("déçoit", "déçoivent"),
        "atteint": ("atteint", "atteignent"),
        "rejoint": ("rejoint", "rejoignent"),
        "joint": ("joint", "joignent"),
        "craint": ("craint", "craignent"),
        "contraint": ("contraint", "contraignent"),
        "éteint": ("éteint", "éteignent"),
        "peint": ("peint", "peignent"),
        "lu": ("lit", "lisent"),
        "élu": ("élit", "élisent"),
        "réélu": ("réélit", "réélisent"),
        "vu": ("voit", "voient"),
        "revu": ("revoit", "revoient"),
        "prévu": ("prévoit", "prévoient"),
        "pu": ("peut", "peuvent"),
        "voulu": ("veut", "veulent"),
        "dû": ("doit", "doivent"),
        "su": ("sait", "savent"),
        "eu": ("a", "ont"),
        "cru": ("croit", "croient"),
        "connu": ("connaît", "connaissent"),
        "reconnu": ("reconnaît", "reconnaissent"),
        "paru": ("paraît", "paraissent"),
        "apparu": ("apparaît", "apparaissent"),
        "disparu": ("disparaît", "disparaissent"),
        "conclu": ("conclut", "concluent"),
        "exclu": ("exclut", "excluent"),
        "inclus": ("inclut", "incluent"),
        "battu": ("bat", "battent"),
        "abattu": ("abat", "abattent"),
        "combattu": ("combat", "combattent"),
        "débattu": ("débat", "débattent"),
        "vécu": ("vit", "vivent"),
        "survécu": ("survit", "survivent"),
        "résolu": ("résout", "résolvent"),
        "valu": ("vaut", "valent"),
        "couru": ("court", "courent"),
        "recouru": ("recourt", "recourent"),
        "parcouru": ("parcourt", "parcourent"),
        "accru": ("accroît", "accroissent"),
        "suivi": ("suit", "suivent"),
        "poursuivi": ("poursuit", "poursuivent"),
        "servi": ("sert", "servent"),
        "parti": ("part", "partent"),
        "reparti": ("repart", "repartent"),
        "sorti": ("sort", "sortent"),
        "senti": ("sent", "sentent"),
        "ressenti": ("ressent", "ressentent"),
        "menti": ("ment", "mentent"),
        "dormi": ("dort", "dorment"),
        "accueilli": ("accueille", "accueillent"),
        "recueilli": ("recueille", "recueillent"),
        "cueilli": ("cueille", "cueillent"),
        "fui": ("fuit", "fuient"),
        "ri": ("rit", "rient"),
        "souri": ("sourit", "sourient"),
        "été": ("est", "sont"),
        "né": ("naît", "naissent"),
        "mort": ("meurt", "meurent"),
    }
)
# Verbs whose passé composé takes « être »: « est devenu » -> « devient ». With any other
# participle « est » + participle is a passive in the present and stays.
WITH_BE = frozenset(
    """allé arrivé entré rentré sorti parti reparti venu devenu revenu parvenu intervenu
    resté retourné tombé passé monté descendu né mort""".split()
)
# Nouns that are spelt as an agreed irregular participle.
AGREED_NOUNS = frozenset(
    """entreprise entreprises prise prises mise mises surprise surprises reprise reprises
    produits faits écrits contenus revenus détenus conduite venue vue vues tenue tenues
    crue crues recrue recrues battue issue issues""".split()
)
# -eler and -eter verbs that double the consonant (« appelle », « jette ») rather than
# take a grave accent (« achète », « gèle »).
DOUBLING = frozenset("appel rappel interpel renouvel épel jet rejet projet".split())


# Words -------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _bare(token: str) -> str:
    return token.strip(OPENING + TRAILING + SPACES)


@lru_cache(maxsize=65536)
def _core(token: str) -> str:
    """The word a token is, case-folded, an elision's article left off: « d’euros, » ->
    « euros »; a lone elided word (« d’ ») is the word it stands for (« d »)."""
    word = _bare(token).casefold()
    for mark in APOSTROPHE:
        head, sep, tail = word.partition(mark)
        if sep and head in ELIDED:
            return tail or head
    return word


@lru_cache(maxsize=65536)
def _elision(token: str) -> str:
    """The elided word a token opens with (« d’euros » -> « d »), or ''."""
    word = _bare(token).casefold()
    for mark in APOSTROPHE:
        head, sep, _ = word.partition(mark)
        if sep and head in ELIDED:
            return head
    return ""


def _is_lower_word(token: str) -> bool:
    core = _core(token)
    return (
        bool(core)
        and core[0].isalpha()
        and _bare(token).split("’")[-1].split("'")[-1][:1].islower()
    )


def _is_number(token: str) -> bool:
    core = _core(token)
    return bool(DIGITS.match(core.replace(" ", ""))) or core in NUMBER_WORDS


# Verbs -------------------------------------------------------------------------------


def _stem_present(stem: str, plural: bool) -> str:
    """The present of an -er verb from its stem: lev -> lève/lèvent, céd -> cède,
    appel -> appelle, employ -> emploie, annonc -> annonce."""
    ending = "ent" if plural else "e"
    if stem.endswith("y") and stem[-2:-1] in {"o", "u", "a"}:
        return stem[:-1] + "i" + ending
    if stem in DOUBLING or any(stem.endswith(d) and len(d) > 3 for d in DOUBLING):
        return stem + stem[-1] + ending
    match = re.search(r"é([^" + VOWELS + r"]+)$", stem)
    if match and len(match.group(1)) <= 2:
        return stem[: match.start()] + "è" + match.group(1) + ending
    match = re.search(r"(?<=[^" + VOWELS + r"])e([^" + VOWELS + r"])$", stem)
    if match:
        return stem[: match.start()] + "è" + match.group(1) + ending
    return stem + ending


def _unagreed(word: str) -> list[str]:
    """A participle and the forms it may have had before agreement: levées -> levé."""
    forms = [word]
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith(("e", "s")):
        forms.append(word[:-1])
    return forms


@lru_cache(maxsize=65536)
def present_of(participle: str, plural: bool) -> str:
    """The present of the verb a past participle belongs to (levé -> lève, mis -> met),
    or '' when the verb is not one these rules conjugate safely."""
    word = participle.casefold()
    if not word.isalpha():
        return ""
    for form in _unagreed(word):
        if form in IRREGULAR:
            return IRREGULAR[form][plural]
    for form in _unagreed(word):
        if form.endswith("é") and len(form) > 2:
            return _stem_present(form[:-1], plural)
    # choisi -> choisit, investis -> investissent; not « -ie », which is also the present
    # of an -ier verb (« publie »)
    form = word[:-1] if word.endswith("is") else word
    if form.endswith("i") and len(form) > 3:
        return form[:-1] + ("issent" if plural else "it")
    return ""


def _irregular_participle(word: str) -> bool:
    """Whether a word is an agreed irregular participle (« produite », « conçus »), which
    an adjective phrase has after a noun; the nouns among those forms are not."""
    return word not in AGREED_NOUNS and any(form in IRREGULAR for form in _unagreed(word)[1:])


def _is_participle(word: str) -> bool:
    return bool(present_of(word, False))


def _fold(word: str) -> str:
    """Without accents: lève -> leve."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def _key(stem: str) -> str:
    """A stem with y/i and doubled letters made alike: appell = appel, employ = emploi."""
    return re.sub(r"(.)\1+", r"\1", stem.replace("y", "i"))


# Endings a participle and the present these rules make of it differ by, longest first.
VERB_ENDINGS = ("issent", "ees", "ent", "ee", "es", "it", "e", "s", "i", "t")


@lru_cache(maxsize=65536)
def verb_lemma_fr(word: str) -> str:
    """A name for the verb a word may be a form of, alike for the participle and the
    present these rules make of it (levé, lève, lèvent -> 'lev'; mis, met -> 'mis-irr');
    '' for none. Loose by design: it only lets the faithfulness measure see a verb the
    rules inflected as the summary's word."""
    word = word.casefold()
    for form in _unagreed(word):
        if form in IRREGULAR:
            return form + "-irr"
    for participle, forms in IRREGULAR.items():
        if word in forms:
            return participle + "-irr"
    folded = _fold(present_of(word, False) or word)
    for ending in VERB_ENDINGS:
        if folded.endswith(ending) and len(folded) - len(ending) >= 3:
            return _key(folded[: -len(ending)])
    return ""


# The headline --------------------------------------------------------------------------


def derive_headline_fr(summary: str) -> str:
    """The headline of a French summary given as plain text (Markdown already removed)."""
    tokens = _tokens(first_sentence(summary))
    if tokens:
        tokens[-1] = tokens[-1].rstrip(".").rstrip(SPACES)
        if not tokens[-1] or not is_word(tokens[-1]):
            tokens.pop()
    headline = _finish(_trim(_headline_of(tokens))) if tokens else ""
    return headline or _fallback(summary)


def _trim(tokens: Sequence[str]) -> list[str]:
    """Without the function words a whole sentence may end on (« … CNIL La »)."""
    out = list(tokens)
    while out and not _ends_well(out):
        out.pop()
    return out


def _ends_well(tokens: Sequence[str]) -> bool:
    last = tokens[-1]
    words = words_of(last)
    return (
        bool(words)
        and words[-1].casefold() not in NEVER_LAST
        and not _bare(last).endswith(tuple(APOSTROPHE))
    )


def _tokens(text: str) -> list[str]:
    """The text's words. French sets « », : ; ! ? and % apart with a space: each joins the
    word it belongs with, as do the groups of a number (« 3 000 »); other lone
    punctuation (dashes) goes."""
    for ellipsis in ELLIPSES:
        text = text.replace(ellipsis, " ")
    out: list[str] = []
    pending = ""  # an opening « waiting for its word
    for token in text.split():
        if token in {"«", "“"}:
            pending += token + " "
            continue
        if out and not pending:
            last = out[-1]
            if set(token.rstrip(".,")) <= AFTER_SPACE or (
                token.rstrip(".,;") in UNITS and _is_number(last)
            ):
                out[-1] = f"{last} {token}"
                continue
            if THOUSANDS.match(token) and re.fullmatch(r"\d{1,3}( \d{3})*", last):
                out[-1] = f"{last} {token}"
                continue
        if is_word(token) or set(token) <= SIGNS:
            out.append(pending + token)
            pending = ""
    return out


def _headline_of(tokens: list[str]) -> list[str]:
    quote = _opening_quote(tokens)
    if quote:
        return quote
    tokens = _drop_lead_in(tokens)
    tokens = _drop_framing(tokens)
    tokens = [t for t in tokens if _core(t) not in FILLERS or t[-1] in ",;:"] or tokens
    verb = _main_verb(tokens)
    if verb is not None:
        tokens, verb = _present_tense(tokens, verb)
    return _fit(tokens, verb)


def _opening_quote(tokens: Sequence[str]) -> list[str]:
    """« « Nous ne laisserons pas … », a déclaré la ministre » -> the quotation, whole, when
    it fits: what was said is the headline, as newsrooms write it."""
    if not tokens[0].startswith("«"):
        return []
    for index, token in enumerate(tokens):
        if "»" in token:
            quote = [*tokens[:index], token.rstrip(",")]
            if token.endswith("»,") or token.endswith("» ,"):
                return quote if _length(quote) <= LIMIT else []
            return []
    return []


def _finish(tokens: Sequence[str]) -> str:
    tokens = list(tokens)
    while tokens and not is_word(tokens[-1]):
        tokens.pop()
    text = _balance(" ".join(tokens), FRENCH_PAIRS)
    while text.endswith((".", ",", ";", ":", "-", "–", "—")):
        text = text[:-1].rstrip(SPACES)
    if text and text[0].islower() and len(text[0].upper()) == 1:  # not « ᾶ » -> two letters
        text = text[0].upper() + text[1:]
    return text


def _fallback(summary: str) -> str:
    """For text with no usable sentence: its longest run of leading words that fits and
    ends as a phrase can, else on a word that is not a function word, else that word."""
    words = [w for w in _tokens(summary) if len(w) <= LIMIT]
    out: list[str] = []
    best: list[str] = []
    for word in words:
        if len(_finish([*out, word])) > LIMIT:
            break
        out.append(word)
        if _complete(out) or (not best and _ends_well(out)):
            best = list(out)
    if not best:
        best = next(([w] for w in words if _ends_well([w]) and _finish([w])), [])
    return _finish(best)


def _drop_lead_in(tokens: list[str]) -> list[str]:
    """« Selon une étude de France Travail, la part … » -> « la part … »; so too « Le 3
    décembre, … », « Interrogé par Le Monde, … », « Invoquant le RGPD, … »."""
    if len(tokens) < 4:
        return tokens
    first = _bare(tokens[0]).casefold().replace("'", "’")
    second = _core(tokens[1])
    dated = first in {"le", "début", "fin", "mi"} and (_is_number(tokens[1]) or second == "1er")
    participle = (
        first.endswith(("é", "ée", "és", "ées", "ant"))
        and second in {"par", "en", "à", "dans", "pour", "avec", "sur", "le", "la", "les", "l"}
    ) or (first.endswith("ant") and bool(_elision(tokens[1])))
    led = first in LEAD_INS or _core(tokens[0]) in LEAD_INS
    if not (led or dated or participle):
        return tokens
    for index, token in enumerate(tokens[:LEAD_IN_WORDS]):
        if token.endswith(","):
            rest = tokens[index + 1 :]
            return rest if len(rest) >= 3 and _main_verb(rest) is not None else tokens
    return tokens


def _drop_framing(tokens: list[str]) -> list[str]:
    """« Une étude … conclut que X » -> « X »; « Amazon a indiqué que ses entrepôts … »
    -> « Amazon : ses entrepôts … »."""
    for index in range(1, min(len(tokens) - 3, 16)):
        token = tokens[index]
        if token.endswith(","):
            return tokens  # an apposition: the framing verb, if any, is further on
        word = _core(token)
        verb = index
        if word in HAVE and index + 1 < len(tokens):
            participle = _core(tokens[index + 1])
            present = present_of(participle, word == "ont")
            if present not in REPORTING:
                if _is_participle(participle):
                    return tokens  # the first verb is not a reporting one
                continue
            verb = index + 1
        elif word not in REPORTING:
            if word in AUXILIARIES:
                return tokens
            continue
        if _main_verb(tokens[: index + 1]) not in {None, index}:
            return tokens
        that = next(
            (j for j in range(verb + 1, min(len(tokens) - 2, verb + 10)) if _is_that(tokens[j])),
            None,
        )
        if that is None or any(t.endswith(",") for t in tokens[verb:that]):
            return tokens
        rest = list(tokens[that + 1 :])
        if _elision(tokens[that]):  # « qu’une poignée » -> « une poignée »
            rest.insert(0, _bare(tokens[that]).split(_apostrophe(tokens[that]), 1)[1])
        if len(rest) < 3 or _main_verb(rest) is None:
            return tokens
        if _core(rest[0]) in POSSESSIVES and tokens[0][:1].isupper() and index <= 3:
            subject = tokens[:index]
            return [*subject[:-1], subject[-1] + " :", *rest]
        return rest
    return tokens


def _is_that(token: str) -> bool:
    word = _bare(token).casefold()
    return word == "que" or (_elision(token) == "qu" and len(word) > 3)


def _apostrophe(token: str) -> str:
    return "’" if "’" in token else "'"


def _main_verb(tokens: Sequence[str]) -> int | None:
    """The index of the main clause's verb (its auxiliary, if any), or None: the first
    auxiliary or finite-looking verb outside parentheses, « « », relative clauses and
    appositions between commas."""
    depth = 0
    skip_to = -1
    relative = False
    for index, token in enumerate(tokens):
        if index <= skip_to:
            continue
        if token.startswith(("(", "«")):
            depth += 1
        if depth:
            if token.rstrip(",;:").endswith((")", "»")):
                depth -= 1
            continue
        word = _core(token)
        if relative:
            if token.endswith(","):
                relative = False
            continue
        if token.endswith(",") and index < 12:
            closing = next(
                (
                    j
                    for j in range(index + 1, min(len(tokens) - 1, index + 20))
                    if tokens[j].endswith(",")
                ),
                None,
            )
            if closing is not None and _verb_like(tokens, closing + 1):
                skip_to = closing
                continue
        if index and word in RELATIVES and word != "que":
            relative = True
            continue
        if _verb_like(tokens, index):
            if word not in AUXILIARIES:
                later = _passe_compose_after(tokens, index)
                if later is not None:
                    return later  # « L’outil open source du laboratoire a été publié »
            # « ne publient », « se servent »: the clitic opens the verb and goes with it
            return index - 1 if _core(tokens[index - 1]) in {"ne", "se"} else index
    return None


def _passe_compose_after(tokens: Sequence[str], index: int) -> int | None:
    """An auxiliary and participle later in the same clause, which a word that only looked
    like a verb (« source », « moyenne ») stood before."""
    for later in range(index + 1, min(len(tokens) - 1, index + 12)):
        word = _core(tokens[later - 1])
        if tokens[later - 1].endswith(",") or word in RELATIVES or word in CONJUNCTIONS:
            return None
        if (
            _core(tokens[later]) in HAVE | BE
            and tokens[later] == _bare(tokens[later])
            and _is_lower_word(tokens[later + 1])
            and _is_participle(_core(tokens[later + 1]))
        ):
            return later
    return None


def _verb_like(tokens: Sequence[str], index: int) -> bool:
    """Whether tokens[index] reads as the finite verb of a clause where it stands."""
    if index == 0 or index >= len(tokens):
        return False
    token = tokens[index]
    word = _core(token)
    if _elision(token) or not _is_lower_word(token):
        return False
    previous = _core(tokens[index - 1])
    if previous in DETERMINERS or previous in PREPOSITIONS:
        return False
    if word in AUXILIARIES:
        return True
    if previous in {"se", "ne"} and word not in FUNCTION_WORDS:
        return True  # « se servent », « ne publient »
    if word in FUNCTION_WORDS or word in BEFORE_NOUN or word in ADVERBS:
        return False
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    after = _core(following)
    if after in {"plus", "moins", "pas"} and word.endswith("ent"):
        return True  # « comptent plus de robots »
    if after in ADVERBS and index + 2 < len(tokens):
        after = _core(tokens[index + 2])
        following = tokens[index + 2]
    # A present-tense verb is followed by its object.
    looks_finite = word.endswith(("e", "ent", "it", "t", "d")) and (
        word in PRESENT_VERBS or not word.endswith(ADJECTIVE_ENDINGS)
    )
    return (
        looks_finite
        and (after in DETERMINERS or _elision(following) == "l")
        and not _is_participle_after_noun(word)
    )


def _is_participle_after_noun(word: str) -> bool:
    return word in WAITING or word.endswith(("ant", "ants", "ante", "antes"))


def _present_tense(tokens: list[str], verb: int) -> tuple[list[str], int]:
    """« a levé » -> « lève », « ont été repérés » -> « repérés », « a été victime » ->
    « est victime », « est devenu » -> « devient »; anything unsure stays as written."""
    word = _core(tokens[verb])
    if tokens[verb] != _bare(tokens[verb]) or word not in HAVE | BE:
        return tokens, verb
    plural = word in {"ont", "sont"}
    out = list(tokens)
    nxt = verb + 1
    adverbs: list[str] = []
    while nxt < len(out) and _core(out[nxt]) in ADVERBS | {"pas"} and nxt < verb + 3:
        adverbs.append(out[nxt])
        nxt += 1
    if nxt >= len(out) or _core(out[nxt]) in {"pas"} or "pas" in map(_core, adverbs):
        return tokens, verb
    participle = out[nxt]
    core = _core(participle)
    if (participle != _bare(participle) and not participle.endswith(",")) or not (
        _is_lower_word(participle)
    ):
        return tokens, verb
    if word in HAVE and core == "été":
        after = nxt + 1
        if after < len(out) and _is_participle(_core(out[after])) and _is_lower_word(out[after]):
            del out[verb:after]  # the passive: « ont été repérés » -> « repérés »
            return out, verb
        out[verb : nxt + 1] = ["sont" if plural else "est"]
        return out, verb
    if word in BE and not any(core == f or core in _unagreed_forms(f) for f in WITH_BE):
        return tokens, verb
    present = present_of(core, plural)
    if not present:
        return tokens, verb
    present = _keep_case(_bare(participle), present)
    out[verb : nxt + 1] = [participle.replace(_bare(participle), present), *adverbs]
    return out, verb


def _unagreed_forms(participle: str) -> set[str]:
    return {participle + "e", participle + "s", participle + "es"}


# Fitting -------------------------------------------------------------------------------


def _length(tokens: Sequence[str]) -> int:
    """The headline's length once finished; without brackets or quotation marks to balance,
    the joined text's (never less than the finished one's)."""
    text = " ".join(tokens)
    if QUOTES.search(text):
        return len(_finish(tokens))
    return len(text.rstrip(" ,;:.-–—" + SPACES))


def _fit(tokens: list[str], verb: int | None) -> list[str]:
    """The sentence, shortened as little as it needs to fit (see the module's steps)."""
    if _length(tokens) <= LIMIT:
        return tokens
    tokens, verb = _tighten_subject(tokens, verb)
    if _length(tokens) <= LIMIT:
        return tokens
    start = _after_verb(tokens, verb) if verb is not None else 1
    tokens = _drop_attribution(tokens, start)
    tokens = _drop_incises(tokens, start)
    if _length(tokens) <= LIMIT:
        return tokens
    # A semicolon or colon ends the statement: what follows is another.
    stop = next((i for i in range(start, len(tokens)) if tokens[i].endswith((";", ":"))), None)
    if stop is not None and _complete(tokens[: stop + 1]):
        tokens = tokens[: stop + 1]
        if _length(tokens) <= LIMIT:
            return tokens
    comma = next((i for i in range(start, len(tokens)) if tokens[i].endswith(",")), None)
    if comma is not None and comma > start and _complete(tokens[: comma + 1]):
        clause = tokens[: comma + 1]
        if _length(clause) <= LIMIT and _length(clause) >= SHORT:
            return clause
    named = _name_after_descriptor(tokens, verb)
    if named is not None and verb is not None:
        # « La start-up Pleias et la BnF mettent en ligne | un corpus ouvert »: the name
        # alone names the subject, when that leaves room for as much of the news
        full = _phrase_cut(tokens, start, True)
        short = _phrase_cut(tokens[named:], start - named, True)
        if short is not None and (full is None or _content(short) >= _content(full)):
            return short
    reductions = []
    if verb is not None:
        # The subject itself is long: one of its phrases goes (« La part des offres
        # d’emploi de cadres | mentionnant … | a progressé »), whichever leaves the most
        # words; on a tie a participle or relative clause goes first, then a
        # prepositional phrase, « de » last. A coordinated subject stays whole.
        ranks = {index: _subject_boundary(tokens, index) for index in range(1, verb)}
        # never inside a participle or relative clause: the whole clause goes, or none of it
        opening = min((i for i, rank in ranks.items() if rank == 0), default=verb)
        cuts = sorted(
            (rank, -index)
            for index, rank in ranks.items()
            if rank is not None and index <= opening and _complete(tokens[:index])
        )
        for _, index in cuts:
            reduced = [*tokens[:-index], *tokens[verb:]]
            reductions.append((reduced, _after_verb(reduced, -index)))
    for strict in (True, False):
        cut = _phrase_cut(tokens, start, strict)
        if cut is not None:
            return cut
        found = [c for r, first in reductions if (c := _phrase_cut(r, first, strict)) is not None]
        if found:
            return max(found, key=_content)  # max keeps the first of equals
    return _words_that_fit(tokens)


def _content(tokens: Sequence[str]) -> int:
    """How many words a headline tells, function words aside."""
    return sum(1 for t in tokens for w in words_of(t) if w.casefold() not in FUNCTION_WORDS)


def _name_after_descriptor(tokens: Sequence[str], verb: int | None) -> int | None:
    """Where the name begins in a subject that opens with what it is: « La start-up
    lyonnaise | Ledgerwise », « Le laboratoire parisien | Kyutai »; None otherwise."""
    if verb is None or _core(tokens[0]) not in ARTICLES or _elision(tokens[0]):
        return None
    for index in range(1, min(verb, 5)):
        token = tokens[index]
        if token != _bare(token) or _elision(token):
            return None
        if token[:1].isupper():
            return index if index >= 2 else None
        if _core(token) in FUNCTION_WORDS:
            return None
    return None


def _after_verb(tokens: Sequence[str], verb: int) -> int:
    """Where the words after the verb begin (« ne publient | ni … »)."""
    return verb + (2 if _core(tokens[verb]) in {"ne", "se"} and verb + 1 < len(tokens) else 1)


def _tighten_subject(tokens: list[str], verb: int | None) -> tuple[list[str], int | None]:
    """Parentheses go (an acronym in them names the subject); an apposition or relative
    clause between commas before the verb goes."""
    if verb is None:
        return _drop_parentheses(tokens), None
    subject, rest = tokens[:verb], tokens[verb:]
    subject = _drop_parentheses(subject)
    rest = _drop_parentheses(rest)
    commas = [i for i, t in enumerate(subject) if t.endswith(",")]
    if len(commas) >= 2 and commas[-1] == len(subject) - 1:
        first = commas[0]
        subject = [*subject[:first], subject[first].rstrip(",")]
    elif len(commas) == 1 and commas[0] == len(subject) - 1:
        subject = [*subject[:-1], subject[-1].rstrip(",")]
    return [*subject, *rest], len(subject)


def _drop_attribution(tokens: list[str], start: int) -> list[str]:
    """« …, selon son rapport annuel » at the end goes when room is needed: the source is
    the summary's to give, the headline's room the news's."""
    for index in range(start, len(tokens) - 1):
        following = _bare(tokens[index + 1]).casefold().replace("'", "’")
        if tokens[index].endswith(",") and following in {"selon", "d’après"}:
            return tokens[: index + 1]
    return tokens


def _drop_incises(tokens: list[str], start: int) -> list[str]:
    """« rend public, avec son code d’entraînement, un modèle » -> « rend public un
    modèle »; « le code source d’Albert, l’assistant …, sous licence MIT » -> « le code
    source d’Albert sous licence MIT »: a stretch between commas after the verb that opens
    with an article or a preposition and holds no verb is an aside."""
    out = list(tokens)
    index = start
    while index < len(out) - 1:
        if out[index].endswith(",") and (
            _core(out[index + 1]) in DETERMINERS
            or _elision(out[index + 1]) in {"l", "d"}
            or _core(out[index + 1]) in PREPOSITIONS
        ):
            closing = next(
                (
                    j
                    for j in range(index + 1, min(len(out) - 1, index + 16))
                    if out[j].endswith(",")
                ),
                None,
            )
            if closing is not None and not any(
                _core(out[j]) in AUXILIARIES or _core(out[j]) in RELATIVES
                for j in range(index + 1, closing + 1)
            ):
                out[index] = out[index][:-1]
                del out[index + 1 : closing + 1]
                continue
        index += 1
    return out


def _complete(tokens: Sequence[str]) -> bool:
    """Whether a cut there leaves a phrase that ends as a phrase can: not on an article, a
    preposition, an elided word, a number waiting for its noun or a participle waiting
    for its complement."""
    if not tokens or not _ends_well(tokens):
        return False
    last = tokens[-1]
    word = _core(last)
    if not word or word in FUNCTION_WORDS or word in BEFORE_NOUN or word in WAITING:
        return False
    if (
        _irregular_participle(word)
        and len(tokens) >= 2
        and _core(tokens[-2]) not in (DETERMINERS | AUXILIARIES)
    ):
        return False  # « un roman américain produite | par IA »: the agent is waited for
    if (
        len(tokens) >= 2
        and word.endswith("er")
        and not word.endswith("ier")
        and (_elision(last) or _core(tokens[-2])) in {"à", "de", "d", "pour", "afin"}
    ):
        return False  # « appelant la Commission à reporter »: the infinitive waits for its object
    if sum(_core(t) == "ni" for t in tokens) == 1:
        return False  # « ne publient ni leurs données »: the second « ni » is waited for
    if _bare(last).endswith(tuple(APOSTROPHE)) or last.rstrip(",").endswith(("-", "–", "—")):
        return False
    if _is_number(last) and not _core(last).endswith(("%", "€", "$")):
        return len(tokens) >= 2 and _core(tokens[-2]) in {"en", "depuis", "dès"}  # « en 2028 »
    if _takes_object([*tokens, "des"], len(tokens) - 1):
        return False  # « mentionnant »: the participle waits for its object
    return _core(last) not in {"'", "’"}


def _boundary(tokens: Sequence[str], index: int) -> int | None:
    """How good a cut before tokens[index] is: 0 best; None when it is inside a phrase."""
    previous = tokens[index - 1]
    if previous.endswith((",", ";", ":")):
        return 0
    token = tokens[index]
    if token.startswith(("«", "(")):
        return 2
    if not _is_lower_word(token) and not _elision(token):
        return None
    elided = _elision(token)
    word = elided or _core(token)
    if word in {"qui", "dont", "où"} or (word in {"que", "qu"} and index > 1):
        return 1
    if word in CONJUNCTIONS:
        return 1
    if word in {"pour", "afin"}:
        return 1
    if word in {"de", "d", "du", "des"}:
        return 3
    if word in PREPOSITIONS or word in {"au", "aux"}:
        return 2
    core = _core(token)
    if _core(previous) in AUXILIARIES | {"avoir", "être", "été"}:
        return None  # « pour avoir | conservé »: the participle completes the verb
    if _takes_object(tokens, index):
        return 1  # « des offres | mentionnant des compétences »
    if core in WAITING or (
        (core.endswith(("é", "és", "ée", "ées")) or _irregular_participle(core))
        and _core(previous) not in DETERMINERS
    ):
        return 2  # « des robots humanoïdes | chargés d’… »
    return None


def _takes_object(tokens: Sequence[str], index: int) -> bool:
    """Whether tokens[index] is a present participle with its object: « mentionnant des »,
    « encadrant l’usage » (an adjective in -ant, « malveillants », takes none)."""
    if not _core(tokens[index]).endswith("ant") or index + 1 >= len(tokens):
        return False
    following = tokens[index + 1]
    return _core(tokens[index - 1]) not in DETERMINERS and (
        _core(following) in DETERMINERS or _elision(following) in {"l", "d"}
    )


def _subject_boundary(tokens: Sequence[str], index: int) -> int | None:
    """How good it is to end the subject before tokens[index] (0 best), or None."""
    quality = _boundary(tokens, index)
    if quality in {None, 0} or _core(tokens[index]) in CONJUNCTIONS:
        return None
    word = _elision(tokens[index]) or _core(tokens[index])
    if word in {"de", "d", "du", "des"}:
        return 2
    return 1 if word in PREPOSITIONS or word in {"au", "aux"} else 0


def _phrase_cut(tokens: Sequence[str], start: int, strict: bool = True) -> list[str] | None:
    """The best complete start of `tokens` that fits, cut at a phrase boundary: the
    longest, a cut before « de » counting as shorter (it often parts a noun from its
    content), one over AIM shorter still, one before a relative pronoun longer."""
    best, best_score = None, -1
    for index in range(start + 1, len(tokens) + 1):
        head = list(tokens[:index])
        if len(" ".join(head)) > LIMIT + SLACK:
            break
        quality = 0 if index == len(tokens) else _boundary(tokens, index)
        if quality is None:
            continue
        if _unclosed(head):
            continue
        length = _length(head)
        if length > LIMIT:
            continue
        if strict and quality == 3 and (_core(head[-1]) in PARTITIVES or _is_number(head[-1])):
            continue
        if not _complete(head):
            continue
        relative = index < len(tokens) and _core(tokens[index]) in {"qui", "dont", "où"}
        inside = any(_core(t) in {"qui", "dont", "où"} for t in head[start:])
        score = (
            length
            - OF_PENALTY * (quality == 3)
            - OVER_AIM_PENALTY * (length > AIM)
            + RELATIVE_BONUS * (relative and length >= SHORT)
            - RELATIVE_BONUS * inside
        )
        if score > best_score:
            best, best_score = head, score
    return best


def _unclosed(tokens: Sequence[str]) -> bool:
    """Whether a « or ( is open at the end: a cut inside a quotation or parenthesis."""
    text = " ".join(tokens)
    return text.count("«") > text.count("»") or text.count("(") > text.count(")")


def _words_that_fit(tokens: Sequence[str]) -> list[str]:
    """The last resort: the longest start that fits and ends on a content word."""
    out: list[str] = []
    best: list[str] = []
    for token in tokens:
        if _length([*out, token]) > LIMIT:
            break
        out.append(token)
        if _complete(out) and not _unclosed(out):
            best = list(out)
    return best or out
