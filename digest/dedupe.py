"""Near-duplicate stories: the same news reported twice in other words.

Items are compared by the stems of their summaries, each weighted by its rarity (IDF),
so that boilerplate shared by different stories ("The French data protection authority
(CNIL) has issued new guidance …") weighs little and the words that make a story its
own weigh a lot. Candidates are found through an index of rare stems, never by
comparing all pairs.

Before stemming, a summary's words are read as an editor would compare them: figures
in any of their forms become one token (40 million euros = €40m = 40-million-euro,
1,7 milliard = 1.7 billion), demonyms become their country (German = Germany), and a
few words that tell the same fact in news style become one (fine = penalty, authority
= office = regulator = watchdog, acquire = buy …). Three signs of another story lower
the similarity so far that only identical wording would still be grouped: both give
amounts and none is the same (a 24-billion-parameter model is not the 7-billion one),
both name countries and none is the same, or the later summary's first event (an
appeal, an approval, proceedings opened) is not one the earlier tells.

French copy is read the same way with French tables (l'autorité allemande = the German
authority, amende = sanction, 1,7 Md€ = 1,7 milliard d'euros = 1.7 billion euros, 600 000 €
with its thousands set apart by non-breaking spaces), accents folded after stemming, and
one more sign of another story: both name places (à Lyon, d'Armentières) and none is the
same. The labelled pairs in tests/data/dedupe (fr-tune.yaml for French) measure what this
gains and what it still misses.

Each item is compared only with the items before it (in edition order), and word
rarity is counted over those items only: so a new edition never changes what was
decided for older ones, and a published item's place never moves. An item the editor
marked "not a repeat" (Item.distinct) is never grouped, but later items may be grouped
under it.
"""

from __future__ import annotations

import copy
import heapq
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from .model import Item, Source
from .words import compared_stem, fold, primary, stem, stopwords, words_of

SIMILARITY = 0.40  # weighted cosine from which two summaries tell the same story
MIN_SHARED = 3  # rare stems two summaries must share before they are compared at all
CANDIDATES = 8  # at most this many earlier items, those sharing the most rare stems, are compared
RARE_SHARE = 0.002  # a stem in more than this share of earlier items is too common to index
RARE_FLOOR = 50  # ... but every stem seen fewer times than this is indexed
# Both summaries give amounts and share none: the similarity is multiplied by this.
OTHER_FIGURES = 0.4
OTHER_EVENT = 0.4  # ... by this when the later one tells an event the earlier does not
OTHER_COUNTRY = 0.4  # ... and by this when both name countries and none is the same
OTHER_PLACE = 0.4  # ... and (French) when both name places and none is the same
AMOUNT_WEIGHT = 3.0  # an amount (`#` figure) weighs this many times a word of its rarity
SAME_FIGURE = 0.03  # relative difference under which two amounts are one ("about $6 billion")
NARROW = 0xFFFF  # the largest number the finder's arrays keep in two bytes (then four)

STOPWORDS = stopwords("en")

# Country <- the words for its people and things. Folded before stemming, English only.
DEMONYMS = {
    "france": "french",
    "germany": "german germans",
    "italy": "italian italians",
    "spain": "spanish",
    "portugal": "portuguese",
    "britain": "british uk",
    "ireland": "irish",
    "europe": "european europeans eu",
    "netherlands": "dutch",
    "belgium": "belgian",
    "luxembourg": "luxembourgish",
    "switzerland": "swiss",
    "austria": "austrian",
    "denmark": "danish",
    "sweden": "swedish",
    "norway": "norwegian",
    "finland": "finnish",
    "iceland": "icelandic",
    "poland": "polish",
    "czechia": "czech",
    "slovakia": "slovak",
    "hungary": "hungarian",
    "romania": "romanian",
    "bulgaria": "bulgarian",
    "greece": "greek",
    "croatia": "croatian",
    "slovenia": "slovenian",
    "estonia": "estonian",
    "latvia": "latvian",
    "lithuania": "lithuanian",
    "ukraine": "ukrainian",
    "russia": "russian",
    "turkey": "turkish",
    "israel": "israeli israelis",
    "america": "american americans us usa",
    "canada": "canadian",
    "mexico": "mexican",
    "brazil": "brazilian",
    "china": "chinese",
    "japan": "japanese",
    "korea": "korean",
    "india": "indian indians",
    "australia": "australian",
}
# Words an editor reads as telling the same fact, with the forms stemming does not join.
SYNONYMS = (
    "fine fines fined fining penalty penalties penalise penalised penalize penalized",
    "authority authorities office offices regulator regulators watchdog watchdogs agency",
    "acquire acquires acquired acquiring acquisition buy buys bought buying purchase purchased takeover",
    "raise raises raised raising secure secures secured securing",
    "launch launches launched launching unveil unveils unveiled unveiling release releases released releasing introduce introduces introduced",
    "company companies firm firms group",
    "competition antitrust cartel",
    "startup startups",
    "investment investments funding spend spends spending",
    "say says said",
    "commission brussels",
    "ai intelligence",
    "staff employees employee workers",
    "illegal unlawful illicit",
    "children child minors minor",
    "hackers hacker attackers attacker",
    "experts expert specialists specialist",
    "defence defense military",
    "court judge judges courts",
    "hub hubs cluster clusters",
    "gigawatt gw gigawatts",
    "megawatt mw megawatts",
)
# Words that say what happened. The first such word of the later summary is its event:
# when the earlier summary names none of its kind, the later one tells another story
# (an appeal after a fine, an approval after a proposal, proceedings after a fine).
EVENTS = (
    "fine fines fined penalty penalties penalised penalized sanctioned",
    "appeal appeals appealed challenged contested",
    "sue sues sued lawsuit suing",
    "dismissed dismisses rejected rejects ruled ruling overturned upheld",
    "ordered orders banned bans blocked blocks barred bars suspended suspends",
    "opened opens investigation investigating probe",
    "consultation consults consulted",
    "proposed proposes proposal drafted",
    "approved approves approval adopted adopts endorsed cleared clears",
    "published publishes released releases launched launches unveiled unveils issued issues",
    "acquire acquires acquired acquisition buy buys bought purchase purchased takeover",
    "raise raises raised secured fund funds funded invest invests invested pledged pledges",
    "cut cuts layoffs slashed",
    "closed closes",
    "dropped drops scrapped scraps abandoned abandons withdrew withdraws shelved",
    "signed signs awarded awards contract partnership",
)

# The same tables for French copy. Country <- the words for its people and things (a
# name of two words, États-Unis, is read as one before the words are split).
DEMONYMS_FR = {
    "france": "français française françaises hexagone hexagonal hexagonale",
    "allemagne": "allemand allemande allemands allemandes",
    "italie": "italien italienne italiens italiennes",
    "espagne": "espagnol espagnole espagnols espagnoles",
    "portugal": "portugais portugaise portugaises",
    "royaumeuni": "britannique britanniques",
    "irlande": "irlandais irlandaise irlandaises",
    "europe": "européen européenne européens européennes ue",
    "paysbas": "néerlandais néerlandaise néerlandaises hollandais",
    "belgique": "belge belges",
    "suisse": "suisses helvétique helvétiques",
    "autriche": "autrichien autrichienne autrichiens",
    "danemark": "danois danoise danoises",
    "suède": "suédois suédoise suédoises",
    "norvège": "norvégien norvégienne norvégiens",
    "finlande": "finlandais finlandaise finlandaises",
    "pologne": "polonais polonaise polonaises",
    "tchéquie": "tchèque tchèques",
    "hongrie": "hongrois hongroise hongroises",
    "roumanie": "roumain roumaine roumains roumaines",
    "grèce": "grec grecque grecs grecques",
    "ukraine": "ukrainien ukrainienne ukrainiens",
    "russie": "russe russes",
    "turquie": "turc turque turcs turques",
    "israël": "israélien israélienne israéliens",
    "amérique": "américain américaine américains américaines étatsunis usa",
    "canada": "canadien canadienne canadiens canadiennes québécois québécoise",
    "mexique": "mexicain mexicaine mexicains",
    "brésil": "brésilien brésilienne brésiliens",
    "chine": "chinois chinoise chinoises",
    "japon": "japonais japonaise japonaises",
    "corée": "coréen coréenne coréens",
    "inde": "indien indienne indiens indiennes",
    "australie": "australien australienne australiens",
}
# Names of two or more words, and set phrases, read as the one word they stand for.
PHRASES_FR = (
    (re.compile(r"\b[ée]tats[\s-]unis\b", re.IGNORECASE), "étatsunis"),
    (re.compile(r"\broyaume[\s-]uni\b", re.IGNORECASE), "royaumeuni"),
    (re.compile(r"\bpays[\s-]bas\b", re.IGNORECASE), "paysbas"),
    (re.compile(r"\bstart[\s-]ups?\b|\bjeunes?\s+pousses?\b", re.IGNORECASE), "startup"),
    (re.compile(r"\bintelligence\s+artificielle\b", re.IGNORECASE), "IA"),
    (re.compile(r"\bdata\s?cent(?:er|re)s?\b", re.IGNORECASE), "centre de données"),
    (re.compile(r"\bcentres?\s+hospitaliers?\b", re.IGNORECASE), "hôpital"),
    (re.compile(r"\blevées?\s+de\s+fonds\b|\btours?\s+de\s+table\b", re.IGNORECASE), "levée"),
)
SYNONYMS_FR = (
    "amende amendes sanction sanctions sanctionne sanctionné sanctionnée pénalité pénalités",
    "autorité autorités régulateur régulateurs gendarme gendarmes agence",
    "racheter rachète rachètent racheté rachat acquérir acquiert acquis acquisition reprend",
    "lever lève lèvent levé levée levées boucle bouclé obtient obtenu",
    "lancer lance lancé lancement dévoile dévoilé présenté publie publié",
    "entreprise entreprises société sociétés groupe firme",
    "investissement investissements investit investi financement",
    "indique déclare affirme annonce",
    "ia intelligence",
    "salariés salarié employés employé collaborateurs effectifs",
    "illégal illégale illicite illicites",
    "enfants enfant mineurs mineur",
    "pirates pirate hackers hacker attaquants assaillants cybercriminels",
    "experts expert spécialistes spécialiste",
    "défense militaire militaires armée armées",
    "tribunal tribunaux juge juges justice cour",
    "pôle pôles hub cluster clusters",
    "exiger exige exigent réclame réclament",
    "laboratoire laboratoires labo labos",
    "hôpital hôpitaux hospitalier hospitalière",
    "électricité électrique électriques",
)
EVENTS_FR = (
    "amende amendes sanctionne sanctionné sanctionnée infligé infligée inflige",
    "appel recours conteste contesté contestent",
    "assigne assigné assignée plainte",
    "rejette rejeté annule annulé déboute débouté",
    "ordonne ordonné interdit interdite bloque bloqué suspend suspendu",
    "ouvre enquête",
    "consultation consulte",
    "propose proposé proposition",
    "adopte adopté adoptée approuve approuvé valide validé autorise autorisé",
    "publie publié publiée lance lancé lancée dévoile dévoilé présenté",
    "rachète racheté rachat acquiert acquis acquisition",
    "lève levé levée investit investi injecte",
    "supprime supprimer suppression suppressions licencie licenciement",
    "ferme fermé fermeture",
    "abandonne abandonné renonce renoncé",
    "signe signé accord partenariat contrat",
)
# A place as French copy names it: a capitalised name after à, de, d' or près de (à Lyon,
# d'Armentières, près de Cambrai, de Fos-sur-Mer). The same event in two places is two
# stories (a ransomware attack on two hospitals, two data centres of one developer).
PLACE_FR = re.compile(r"(?:(?<!\w)(?:à|de)\s+|(?<!\w)d['’])([^\W\d_a-zà-ÿ][\w-]*)")
# French forms of a figure: 600 000 € (thousands grouped by spaces, the non-breaking ones
# included), 1,7 milliard d'euros, 1,7 Md€, 10 M$, 300 M€, 40 %, 12 pour cent.
FIGURE_FR = re.compile(
    r"(?P<number>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)*)(?![\w,.]\d)"
    r"(?:[\s-](?P<magnitude>milliers?|millions?|milliards?)\b"
    r"|\s?(?P<short>Mds?|Mrds?|M|k|G)(?=\s?[€$£W]\b|\s?[€$£]))?"
    r"(?:\s?(?P<percent>%)|\s?(?P<sign>[€$£]|W\b)|(?:\s+d['’]\s?|\s+de\s|\s)(?P<unit>euros?|dollars?|livres?|"
    r"pour cent)\b)?",
    re.IGNORECASE,
)
_UNITS_WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
_TEENS_WORDS = "fifteen sixteen seventeen eighteen nineteen"
NUMBER_WORDS = {
    **{word: n for n, word in enumerate(f"{_UNITS_WORDS} {_TEENS_WORDS}".split(), 1)},
    **{
        word: 10 * n
        for n, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
    },
    "hundred": 100,
}
MAGNITUDES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "mrd": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "millier": 1e3,
    "milliers": 1e3,
    "md": 1e9,
    "g": 1e9,
    "mds": 1e9,
    "mrds": 1e9,
}
UNITS = {
    "€": "euro",
    "eur": "euro",
    "euro": "euro",
    "euros": "euro",
    "$": "dollar",
    "usd": "dollar",
    "dollar": "dollar",
    "dollars": "dollar",
    "£": "pound",
    "gbp": "pound",
    "pound": "pound",
    "pounds": "pound",
    "¥": "yen",
    "yen": "yen",
    "%": "percent",
    "percent": "percent",
    "per cent": "percent",
    "pour cent": "percent",
    "w": "watt",
    "livre": "pound",
    "livres": "pound",
}
_LONG_MAGNITUDE = "thousand|millions?|billions?|milliards?|trillion|mln|mrd"
_UNIT = "per cent|percent|euros?|dollars?|pounds?|eur|usd|gbp|yen"
# A figure in digits, in any of the forms news copy gives it: €40m, $1.5bn, 40 million
# euros, 40-million-euro, 1,7 milliard, 12%, 100,000. It starts with its first digit, so
# that the search skips ahead to digits: a currency sign before it is looked for apart.
FIGURE = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)*)(?![\w,.]\d)"
    rf"(?:(?P<short>k|m|mn|bn|b|tn)\b|[\s-](?P<magnitude>{_LONG_MAGNITUDE})\b)?"
    rf"(?:\s?(?P<percent>%)|[\s-]?(?P<unit>{_UNIT})\b)?",
    re.IGNORECASE,
)
CURRENCY_BEFORE = re.compile(r"([€$£¥])\s?$")
WORD = re.compile(r"(\w+)(?:['’]s\b)?")  # as words.words_of reads them
YEARS = range(1900, 2101)
DIGIT = re.compile(r"\d")
LONG_MAGNITUDES = frozenset(m for m in MAGNITUDES if len(m) > 3 or m in ("mln", "mrd"))
FINE_TUNE = re.compile(r"\bfine[\s-]tun", re.IGNORECASE)  # not a fine


def _value(number: str) -> float:
    word = NUMBER_WORDS.get(number.casefold())
    if word is not None:
        return float(word)
    if not number.isdigit() and not number.replace(",", "").replace(".", "").isdigit():
        return float("".join(number.split()))  # 600 000, grouped by (non-breaking) spaces
    # A comma before exactly three digits groups thousands (100,000); any other is a
    # decimal comma, as French copy writes it (1,7 milliard).
    groups = number.replace(",", ".").split(".")
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and "," in number:
        return float("".join(groups))
    if len(groups) > 2:  # 1.000.000
        return float("".join(groups))
    return float(".".join(groups[:2]))


@lru_cache(maxsize=200_000)
def _read(word: str, language: str) -> tuple[str | None, str | None]:
    """A word's stem as compared (None for a stopword; `=n` for a number in words), and
    the kind of event it tells."""
    folded = word.casefold()
    if folded in stopwords(language):
        return None, None
    if folded in NUMBER_WORDS and primary(language) == "en":
        return f"={NUMBER_WORDS[folded]}", None
    if primary(language) == "en":
        return stem(_folds(language).get(folded, folded), language), _events(language).get(folded)
    plain = fold(folded)  # the tables are looked up without accents: typed either way
    read = _folds(language).get(plain, folded)
    return compared_stem(read, language), _events(language).get(plain)


def _figure(value: float, scale: str | None, named: str | None, grouped: bool = False) -> list[str]:
    """A figure's `#`/`=` token, and its currency or percent as a word. A number written
    with its thousands grouped (2,000) is never a year."""
    if scale:
        value *= MAGNITUDES[scale.casefold()]
    amount = bool(scale or named or grouped) or (value >= 1000 and value not in YEARS)
    shown = str(int(value)) if value.is_integer() and value < 1e15 else f"{value:.4g}"
    token = f"{'#' if amount else '='}{shown}"
    return [token, UNITS[" ".join(named.casefold().split())]] if named else [token]


def _tables(language: str) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]] | None:
    """The demonyms, synonyms and events of a language, or None when it has none."""
    return {"en": (DEMONYMS, SYNONYMS, EVENTS), "fr": (DEMONYMS_FR, SYNONYMS_FR, EVENTS_FR)}.get(
        primary(language)
    )


@lru_cache(maxsize=8)
def _countries(language: str) -> frozenset[str]:
    """The stems countries are compared as."""
    tables = _tables(language)
    if tables is None:
        return frozenset()
    # Europe holds the others: a European story may be a French one.
    countries = (c for c in tables[0] if c != "europe")
    if primary(language) == "en":
        return frozenset(stem(country, language) for country in countries)
    return frozenset(compared_stem(country, language) for country in countries)


@lru_cache(maxsize=8)
def _events(language: str) -> dict[str, str]:
    """word (case-folded; for French, accents folded too) -> the kind of event it tells."""
    tables = _tables(language)
    if tables is None:
        return {}
    key = (lambda word: word) if primary(language) == "en" else fold
    return {key(word): group.split()[0] for group in tables[2] for word in group.split()}


@lru_cache(maxsize=8)
def _folds(language: str) -> dict[str, str]:
    """word (case-folded; for French, accents folded too) -> the word it is compared as."""
    tables = _tables(language)
    if tables is None:
        return {}
    key = (lambda word: word) if primary(language) == "en" else fold
    folds = {}
    for country, words in tables[0].items():
        for word in words.split():
            folds[key(word)] = country
    for group in tables[1]:
        first, *others = group.split()
        for word in others:
            folds[key(word)] = first
    return folds


def features(summary: str, language: str = "en") -> frozenset[str]:
    """The stems of a summary's words, its figures as `#value` (amounts: with a magnitude,
    a currency or a percent, or 1,000 and over and not a year) or `=value` (other numbers),
    the currency or percent named as a word, and the kinds of event it tells as `!kind`,
    the first as `^kind` (these two are not compared as words)."""
    found: set[str] = set()

    def figure(match: re.Match[str]) -> str:
        start = match.start()
        if start and (summary[start - 1].isalnum() or summary[start - 1] in "_.,"):
            return match.group(0)  # inside a word or a number: GPT4, v2.1.3
        sign = CURRENCY_BEFORE.search(summary, max(0, start - 2), start)
        short, magnitude, unit, percent = match.group("short", "magnitude", "unit", "percent")
        after = match.group("sign") if french else None  # 600 000 €, 1,7 Md€
        named = (sign.group(1) if sign else None) or unit or percent or after
        number = match.group("number")
        grouped = not number.isdigit() and _value(number) >= 1000
        found.update(_figure(_value(number), short or magnitude, named, grouped))
        return " "

    french = primary(language) == "fr"
    if "ine-tun" in summary or "ine tun" in summary:
        summary = FINE_TUNE.sub("finetun", summary)
    if DIGIT.search(summary):
        summary = (FIGURE_FR if french else FIGURE).sub(figure, summary)
    if french:
        for phrase, word in PHRASES_FR:
            summary = phrase.sub(word, summary)
        found.update(f"@{fold(place)}" for place in PLACE_FR.findall(summary))
        words = words_of(summary, language)
    else:
        words = WORD.findall(summary)
    main = None
    i, end = 0, len(words)
    while i < end:
        word = words[i]
        i += 1
        read, event = _read(word, language)
        if read is None:
            continue
        if read[0] == "=":  # a number in words: six billion dollars, four per cent
            after = words[i].casefold() if i < end else ""
            scale = after if after in LONG_MAGNITUDES else None
            i += scale is not None
            after = words[i].casefold() if i < end else ""
            if after == "per" and i + 1 < end and words[i + 1].casefold() == "cent":
                after, i = "percent", i + 1
            named = after if after in UNITS else None
            i += named is not None
            found.update(_figure(float(read[1:]), scale, named))
            continue
        found.add(read)
        if event is not None:
            found.add(f"!{event}")
            main = main or event
    if main is not None:
        found.add(f"^{main}")
    return frozenset(found)


@dataclass(frozen=True)
class Grouping:
    """Why an item was grouped as a repeat: the first report of its story, the earlier
    item it was found to repeat (the first report or one of its repeats), and how alike."""

    item: str  # ids
    first: str
    match: str
    similarity: float


class DuplicateFinder:
    """Items fed in edition order; each is checked against those fed before it.

    Stems are kept as numbers in flat arrays rather than as sets of strings: the finder
    is kept between builds, and at 50,000 items the sets took ten times the memory and
    most of the time it took to load. The stem numbers, and the item numbers of the
    postings, take two bytes each until one of them passes NARROW (then four): at
    50,000 items that halves the finder's arrays, in memory and in the store."""

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self.vocabulary: dict[str, int] = {}  # stem -> number
        self.words: list[str] = []  # number -> stem
        self.postings: list[array[int]] = []  # per stem number, the items that have it
        self.amounts: dict[int, float] = {}  # stem number -> value, for the `#` figures
        self.events: dict[int, str] = {}  # stem number -> event kind, for `!` and `^` tokens
        self.countries: set[int] = set()  # the stem numbers of countries
        self._stems = array("H")  # every item's stem numbers, one item after another
        self._ends = array("I")  # where each item's stem numbers end in _stems
        self.ids: list[str] = []
        self.first_of = array("I")  # index of the story's first item, per item
        self.match_of = array("I")  # index of the item it repeats (itself when none)
        self.similarity_of = array("d")  # the similarity that decided it (0 when none)

    def stems(self, index: int) -> frozenset[str]:
        """The stems of the `index`th item fed."""
        return frozenset(self.words[n] for n in self._numbers(index))

    def add(self, item: Item, mine: frozenset[str] | None = None) -> Grouping | None:
        """Record `item`; return why it repeats an earlier story, if it does.

        `mine` is the item's `features`, when they are already known."""
        if mine is None:
            mine = features(item.summary, self.language)
        numbers = set()
        for word in mine:
            number = self.vocabulary.get(word)
            if number is None:
                number = self.vocabulary[word] = len(self.words)
                self.words.append(word)
                self.postings.append(array(self._item_code))
                if word.startswith("#"):
                    self.amounts[number] = float(word[1:])
                elif word[0] in "!^@":
                    self.events[number] = word
                elif word in _countries(self.language):
                    self.countries.add(number)
            numbers.add(number)
        best, score = (None, 0.0) if item.distinct else self._best_match(numbers)
        index = len(self.ids)
        self._widen(len(self.words) - 1, index)
        self.first_of.append(self.first_of[best] if best is not None else index)
        self.match_of.append(best if best is not None else index)
        self.similarity_of.append(score if best is not None else 0.0)
        self._stems.extend(sorted(numbers))
        self._ends.append(len(self._stems))
        self.ids.append(item.id)
        for number in numbers:
            self.postings[number].append(index)
        return self.grouping(index)

    @property
    def _item_code(self) -> str:
        """The typecode of the postings' arrays (item numbers)."""
        return "I" if len(self.ids) > NARROW else "H"

    def _widen(self, stem: int, item: int) -> None:
        """Make room for stem number `stem` and item number `item`, once they need four bytes."""
        if stem > NARROW and self._stems.typecode == "H":
            self._stems = array("I", self._stems)
        if item > NARROW and self.postings and self.postings[0].typecode == "H":
            self.postings = [array("I", posting) for posting in self.postings]

    def grouping(self, index: int) -> Grouping | None:
        """Why the `index`th item fed was grouped, or None when it was not."""
        first, match = self.first_of[index], self.match_of[index]
        if match == index:
            return None
        ids = self.ids
        return Grouping(ids[index], ids[first], ids[match], self.similarity_of[index])

    def groupings(self) -> Iterator[Grouping]:
        """Every grouping, in the order the items were fed."""
        for index in range(len(self.ids)):
            found = self.grouping(index)
            if found is not None:
                yield found

    def _numbers(self, index: int) -> array[int]:
        return self._stems[self._ends[index - 1] if index else 0 : self._ends[index]]

    def _best_match(self, mine: set[int]) -> tuple[int | None, float]:
        count = len(self.ids)
        rare_limit = max(RARE_FLOOR, int(count * RARE_SHARE))
        shared: Counter[int] = Counter()
        words = mine.difference(self.events)
        for number in words:
            earlier = self.postings[number]
            if 0 < len(earlier) <= rare_limit:
                shared.update(earlier)
        enough = [(-count, other) for other, count in shared.items() if count >= MIN_SHARED]
        best, best_score = None, SIMILARITY
        if not enough:
            return best, best_score
        later = self._side(mine)
        # A stem's weight, and so the later's norm, is the same in every comparison of one
        # add: worked out once (fsum is exact: the same sum whatever the grouping).
        weights: dict[int, float] = {}
        later_sum = self._weighed(later.words, count, weights)
        for other in sorted(other for _, other in heapq.nsmallest(CANDIDATES, enough)):
            side = self._side(set(self._numbers(other)))
            score = self._similarity(later, side, count, weights, later_sum)
            if score > best_score or (best is None and score >= best_score):
                best, best_score = other, score
        return best, best_score

    def _weighed(self, numbers: set[int], count: int, weights: dict[int, float]) -> float:
        """The sum of the stems' weights, each added to `weights` if not there yet."""
        amounts, postings = self.amounts, self.postings
        for n in numbers.difference(weights):
            weights[n] = (math.log((count + 1) / (len(postings[n]) + 1)) + 1) ** 2 * (
                AMOUNT_WEIGHT if n in amounts else 1.0
            )
        return math.fsum([weights[n] for n in numbers])

    def _side(self, numbers: set[int]) -> _Side:
        events, amounts = self.events, self.amounts
        told = {events[n] for n in numbers.intersection(events)}
        main = next((kind[1:] for kind in told if kind[0] == "^"), None)
        words = numbers.difference(events)
        return _Side(
            words,
            [amounts[n] for n in words if n in amounts],
            words & self.countries,
            main,
            {kind[1:] for kind in told if kind[0] == "!"},
            {kind[1:] for kind in told if kind[0] == "@"},
        )

    def _similarity(
        self,
        later: _Side,
        earlier: _Side,
        count: int,
        weights: dict[int, float] | None = None,
        later_sum: float | None = None,
    ) -> float:
        """Cosine of the two stem sets, each stem weighted by its IDF over the earlier items
        (amounts more); lowered when both give amounts and none of them agree, when both
        name countries and none is the same, and when the later tells an event the earlier
        does not. `weights` and `later_sum` are those of earlier comparisons of `later`
        with the same `count`, if any."""
        a, b = later.words, earlier.words
        weights = {} if weights is None else weights
        if later_sum is None:
            later_sum = self._weighed(a, count, weights)
        earlier_sum = self._weighed(b, count, weights)
        # fsum: exact, so the score does not depend on the order the sets are walked in.
        common = math.fsum([weights[n] for n in a & b])
        norm = math.sqrt(later_sum * earlier_sum)
        score = common / norm if norm else 0.0
        if later.amounts and earlier.amounts:
            pairs = ((x, y) for x in later.amounts for y in earlier.amounts)
            if not any(_same_amount(x, y) for x, y in pairs):
                score *= OTHER_FIGURES
        if later.countries and earlier.countries and not later.countries & earlier.countries:
            score *= OTHER_COUNTRY
        if later.places and earlier.places and not later.places & earlier.places:
            score *= OTHER_PLACE
        if later.event is not None and later.event not in earlier.told:
            score *= OTHER_EVENT
        return score


@dataclass(frozen=True)
class _Side:
    """What one summary brings to a comparison."""

    words: set[int]  # its stem numbers, events aside
    amounts: list[float]
    countries: set[int]
    event: str | None  # the first event it tells
    told: set[str]  # every event it tells
    places: set[str] = field(default_factory=set)  # the places it names (French copy)


def _same_amount(x: float, y: float) -> bool:
    return abs(x - y) <= SAME_FIGURE * max(abs(x), abs(y))


def find_duplicates(items: Sequence[Item], language: str = "en") -> dict[str, str]:
    """{id of a later item: id of the first item of its story}, for items in edition order."""
    finder = DuplicateFinder(language)
    found = (finder.add(item) for item in items)
    return {g.item: g.first for g in found if g is not None}


@dataclass(frozen=True)
class PairScore:
    """How the finder did on labelled pairs: `same` pairs grouped, `different` ones kept apart."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    wrong: tuple[tuple[str, str, str], ...]  # (kind, a, b) of each pair it got wrong

    @property
    def precision(self) -> float:
        grouped = self.true_positives + self.false_positives
        return self.true_positives / grouped if grouped else 1.0

    @property
    def recall(self) -> float:
        same = self.true_positives + self.false_negatives
        return self.true_positives / same if same else 1.0


def score_pairs(
    pairs: Sequence[tuple[str, str, str]], background: Sequence[str], language: str = "en"
) -> PairScore:
    """For each (kind, a, b), kind "same" or "different": index `background` then `a`, add
    `b`, and count it as grouped when it lands on `a`'s story."""
    base = DuplicateFinder(language)
    for n, summary in enumerate(background):
        base.add(_bare(summary, f"background{n}"))
    counts = Counter[str]()
    wrong = []
    for kind, a, b in pairs:
        finder = copy.deepcopy(base)
        finder.add(_bare(a, "a"))
        found = finder.add(_bare(b, "b"))
        first_of_a = finder.ids[finder.first_of[len(finder.ids) - 2]]
        grouped = found is not None and found.first == first_of_a
        counts[f"{'t' if grouped == (kind == 'same') else 'f'}{'p' if grouped else 'n'}"] += 1
        if grouped != (kind == "same"):
            wrong.append((kind, a, b))
    return PairScore(counts["tp"], counts["fp"], counts["fn"], counts["tn"], tuple(wrong))


def _bare(summary: str, id_: str) -> Item:
    when = datetime(2000, 1, 1, tzinfo=UTC)
    return Item(id_, "", id_, summary, None, when, 0, 0, Source("", 0))
