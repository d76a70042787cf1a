"""A summary's headline, as a news editor would write it from its first sentence.

The first sentence is read as words with a crude part of speech each (lemminflect's
lexicon, as digest/lexicon.py gives it, says whether a word can be a verb, a noun or an
adjective), in this order:

1. Framing goes: "A study found that X …" and "Y said (that) X …" keep X (a study's
   finding is the news); "Y said it X" and "Y said its Z X" keep Y as the subject;
   so does a lead-in such as "In a landmark ruling, …". A leading article goes.
2. The main verb is found: the first auxiliary, past-tense verb or present-tense verb
   that is not inside a relative clause, an apposition or a parenthesis, and that a
   determiner or preposition does not precede (those make it an adjective or a noun).
3. Newsroom tense: filler adverbs go ("successfully"); "has raised", "raised" and "is
   raising" become "raises" (the subject's number decides "raise"); "will build" and
   "would build" become "to build"; a passive drops its auxiliary ("were fined" ->
   "fined").
4. When the headline still needs room: a parenthesis goes, or names the subject when it
   is an acronym ("The French data protection authority (CNIL)" -> "CNIL"); an apposition
   goes, or becomes the subject when it is the name ("France's regulator, CNIL, …");
   a relative clause in the subject goes; an apposition after the verb goes ("Klarvik, a
   Swedish company, for …"); of two listed modifiers the nearer stays; articles after the
   verb go when that lets a longer phrase fit; then the sentence is cut at its first comma
   after the verb, then at the latest phrase boundary that fits (before a preposition,
   a conjunction, "to", a participle or a relative pronoun), never inside a phrase,
   never after a function word; then a prepositional phrase inside the subject goes.

Nothing is ever added but inflections: every word of the headline is a word of the
summary, so a headline can be shorter than an editor's, never wrong. Pure and
deterministic; the lexicon is read on first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

from . import lexicon
from .text import first_sentence

LIMIT = 80  # characters: the most a headline may have
AIM = 75  # a cut inside the sentence aims at this, leaving the last few for a long word
OF_PENALTY = 15  # characters a cut before "of" counts as losing
OVER_AIM_PENALTY = 10  # characters a cut beyond AIM counts as losing
SLACK = 8  # characters that tidying a cut (brackets, final punctuation) may remove
LEAD_IN_WORDS = 12  # "According to a report by the U.S. Government Accountability Office, …"
SHORT = 45  # a headline shorter than this may take in the apposition after a comma

ARTICLES = frozenset({"a", "an", "the"})
# "A quarter of jobs …": the article belongs to the quantity.
QUANTITY_WORDS = frozenset(
    "quarter third half fifth tenth few dozen number majority minority lot record".split()
)
DETERMINERS = ARTICLES | frozenset(
    "its their his her our your my this that these those each every some any no another".split()
)
PREPOSITIONS = frozenset(
    """of in for to with on at from by into over under through across against near among
    between within without during about like than via per onto toward towards upon amid
    amongst beyond behind below above around""".split()
)
CONJUNCTIONS = frozenset("and or but nor".split())
SUBORDINATORS = frozenset(
    """after while though although as because before since until unless whereas despite
    following including according ahead""".split()
)
RELATIVES = frozenset({"that", "which", "who", "whose", "whom", "where", "when"})
AUXILIARIES = frozenset(
    "has have had is are was were will would can could may might must should shall".split()
)
BE = frozenset({"is", "are", "was", "were"})
HAVE = frozenset({"has", "have", "had"})
PRONOUNS = frozenset({"it", "they", "he", "she", "we"})
VERB_ADVERBS = frozenset("now also still already often increasingly jointly".split())
DEGREE = frozenset("most more less least very so too".split())
# Nouns whose "of" phrase is their content: never cut before it ("millions of manuscripts").
PARTITIVES = frozenset(
    """millions thousands billions hundreds dozens tens number numbers part parts half
    quarter third fifth share series range set group variety lot lots kind kinds type
    types version versions family one some all none each many most any""".split()
)
TIME_NOUNS = frozenset("minutes hours days weeks months years decades".split())
# Reporting verbs that introduce what was said without "that": "Amazon said it …".
SAYING = frozenset({"said", "says", "say"})
# Adverbs that tell the reader nothing a headline needs.
FILLERS = frozenset(
    """successfully officially increasingly actively currently recently finally effectively
    formally reportedly""".split()
) - {"reportedly"}  # "reportedly" hedges a claim: dropping it would overstate the story
# Verbs whose object clause is the news: "A survey found that …", "X said …".
REPORTING = frozenset(
    """found finds find identified identifies identify estimated estimates estimate reports
    reported report shows showed show said says say concluded concludes conclude revealed
    reveals suggests suggested suggest warned warns indicates indicated""".split()
)
# Words after which a comma-delimited stretch is a lead-in, not the subject: "In 2024, …".
LEAD_INS = PREPOSITIONS | SUBORDINATORS | frozenset({"last", "this", "earlier", "yesterday"})
FUNCTION_WORDS = (
    DETERMINERS
    | PREPOSITIONS
    | CONJUNCTIONS
    | SUBORDINATORS
    | RELATIVES
    | AUXILIARIES
    | PRONOUNS
    | frozenset("be been being not also both either neither such so very more most".split())
)
OPENING = "\"'“‘([{"
CLOSING = "\"'”’)]}"
TRAILING = ",;:.!?" + CLOSING
ELLIPSES = ("…", "...")
LETTERS = re.compile(r"[^\W\d]")
# Signs that stand for words ("Acme & Sons", "5 < 6", "R + D"): kept, unlike dashes and
# other lone punctuation, but never the last word of a headline.
SIGNS = frozenset("&+<>=/%$€£¥#@")
BRACKETS = re.compile(r"[()\[\]{}“”\"]")


@lru_cache(maxsize=65536)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    return lexicon.lemmas(word)


@lru_cache(maxsize=65536)
def _verb_forms(word: str) -> tuple[str, frozenset[str]]:
    """The verb `word` is a form of, and which forms it is (VBD, VBN, VBZ, …); '' if none."""
    lemmas = _lemmas(word).get("VERB")
    if not lemmas:
        return "", frozenset()
    lemma = lemmas[0]
    inflections = lexicon.verb_forms(lemma)
    # The lexicon lists a regular verb's participle only as its past: raised is both.
    inflections.setdefault("VBN", inflections.get("VBD", ()))
    return lemma, frozenset(tag for tag, forms in inflections.items() if word in forms)


@lru_cache(maxsize=65536)
def verb_lemma(word: str) -> str:
    """The verb a word is a form of (began -> begin), or '' when it is none."""
    return _verb_forms(word.casefold())[0]


@lru_cache(maxsize=65536)
def _present(lemma: str, plural: bool) -> str:
    if lemma == "be":
        return "are" if plural else "is"
    forms = lexicon.present(lemma, "VBP" if plural else "VBZ")
    return forms[0] if forms else lemma


@lru_cache(maxsize=65536)
def _core(token: str) -> str:
    """A token without the punctuation around it, case-folded: '(CNIL),' -> 'cnil'."""
    return token.strip(OPENING + TRAILING).casefold()


@lru_cache(maxsize=65536)
def _bare(token: str) -> str:
    return token.strip(OPENING + TRAILING)


@lru_cache(maxsize=65536)
def _is_lower_word(token: str) -> bool:
    bare = _bare(token)
    return bool(bare) and bare.isalpha() and bare == bare.lower()


def _can_be(word: str, pos: str) -> bool:
    return pos in _lemmas(word)


def _past_or_participle(word: str) -> set[str]:
    lemma, tags = _verb_forms(word)
    return set(tags & {"VBD", "VBN"}) if lemma else set()


def derive_headline(summary: str) -> str:
    """The headline of a summary given as plain text (Markdown already removed)."""
    tokens = _tokens(first_sentence(summary))
    if not tokens:
        return _fallback(summary)
    tokens[-1] = tokens[-1].rstrip(".")
    if not tokens[-1]:
        tokens.pop()
    # A headline of signs alone ("officially <": the adverb dropped) finishes empty.
    headline = _finish(_headline_of(tokens))
    return headline or _fallback(summary)


def _tokens(text: str) -> list[str]:
    """The text's words with their punctuation, ellipses and lone punctuation left out."""
    for ellipsis in ELLIPSES:
        text = text.replace(ellipsis, " ")
    return [t for t in text.split() if _is_word(t) or set(t) <= SIGNS]


def _is_word(token: str) -> bool:
    return bool(LETTERS.search(token)) or any(c.isdigit() for c in token)


def _headline_of(tokens: list[str], depth: int = 0) -> list[str]:
    tokens = _drop_lead_in(tokens)
    tokens = _drop_framing(tokens)
    tokens = _drop_article(tokens)
    tokens = [t for t in tokens if _core(t) not in FILLERS or t[-1] in ",;:"] or tokens
    verb = _main_verb(tokens)
    if verb is None:
        return _fit(tokens, verb)
    tokens, verb = _newsroom_tense(tokens, verb)
    if _length(tokens) > LIMIT and depth < 2:
        # "A judge rules that X …", too long whole: X is the news, told whole.
        that = verb + 1 if verb + 1 < len(tokens) and tokens[verb + 1] == "that" else None
        if that is not None and (_main_verb(tokens[that + 1 :]) or 0) > 0:
            clause = _headline_of(tokens[that + 1 :], depth + 1)
            if clause and _content(clause) >= 4:
                return clause
    return _fit(tokens, verb)


def _finish(tokens: Sequence[str]) -> str:
    tokens = list(tokens)
    while tokens and not _is_word(tokens[-1]):
        tokens.pop()
    text = " ".join(tokens).rstrip(" ,;:-–—")
    while text.endswith(".") or text.endswith(","):
        text = text[:-1].rstrip()
    text = _balance(text)
    if text and text[0].islower() and _is_lower_word(text.split()[0]):
        text = text[0].upper() + text[1:]
    return text


PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("“", "”"))


def _balance(text: str, pairs: tuple[tuple[str, str], ...] = PAIRS) -> str:
    """Drop a bracket or quotation mark that the cut left without its partner (as a space,
    so that the words on either side stay apart)."""
    for left, right in pairs:
        if text.count(left) != text.count(right):
            text = text.replace(left, " ").replace(right, " ")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    return " ".join(text.split())


def _fallback(summary: str) -> str:
    """For text with no usable sentence: its longest run of leading words that fits."""
    words = [w for w in _tokens(summary) if len(w) <= LIMIT]
    out: list[str] = []
    for word in words:
        if len(" ".join([*out, word])) > LIMIT:
            break
        out.append(word)
    return _finish(out) if out else ""


def _drop_lead_in(tokens: list[str]) -> list[str]:
    """'In a landmark ruling, the court …' -> 'the court …'."""
    if len(tokens) < 4 or _core(tokens[0]) not in LEAD_INS:
        return tokens
    for index, token in enumerate(tokens[:LEAD_IN_WORDS]):
        if token.endswith(","):
            rest = tokens[index + 1 :]
            return rest if len(rest) >= 3 else tokens
    return tokens


def _drop_framing(tokens: list[str]) -> list[str]:
    """'A survey found that X …' -> 'X …'; 'Amazon said it X' -> 'Amazon X'; 'This update
    examines … as X …' -> 'X …' (a text that describes itself is not the news)."""
    if tokens[0].casefold() == "this":
        for index in range(2, min(len(tokens) - 3, 16)):
            if tokens[index] in {"as", "that", "where", "while"} and not tokens[index - 1].endswith(
                ","
            ):
                rest = _drop_article(tokens[index + 1 :])
                if _main_verb(rest) is not None:
                    return rest
    for index in range(1, min(len(tokens) - 2, 9)):
        token = tokens[index]
        if token != _bare(token) or not _is_lower_word(token):
            if token.endswith(","):
                return tokens  # the subject has an apposition: the verb is further on
            continue
        word = token.casefold()
        if word not in REPORTING:
            if _verb_candidate(tokens, index, strict=True):
                return tokens  # the first verb is not a reporting one
            continue
        rest = tokens[index + 1 :]
        if _core(rest[0]) == "that":
            rest = rest[1:]
        elif word not in SAYING:
            return tokens  # "researchers identified a repository": an object, not a finding
        if len(rest) < 3 or _main_verb(rest) is None:
            return tokens
        first = rest[0]
        if first.casefold() in PRONOUNS and not word.startswith(("found", "find", "show")):
            return tokens[:index] + rest[1:]
        if first.casefold() == "its":
            subject = tokens[:index]
            return [*subject[:-1], subject[-1] + "'s", *rest[1:]]
        return rest
    return tokens


def _drop_article(tokens: list[str]) -> list[str]:
    if (
        len(tokens) > 2
        and tokens[0].casefold() in ARTICLES
        and _core(tokens[1]) not in QUANTITY_WORDS
    ):
        return tokens[1:]
    return tokens


def _verb_candidate(tokens: Sequence[str], index: int, strict: bool = False) -> bool:
    """Whether tokens[index] reads as a finite verb where it stands."""
    token = tokens[index]
    if not _is_lower_word(token) or index == 0:
        return False
    word = _bare(token)
    previous = _core(tokens[index - 1])
    if previous in DETERMINERS or previous in PREPOSITIONS or previous in {"be", "been", "being"}:
        return False
    if previous in AUXILIARIES and _lemmas(word).get("VERB"):
        return False  # "has unveiled": the auxiliary is the verb's start
    if previous in RELATIVES or previous in DEGREE:
        return False  # "which makes …": a relative clause; "most advanced": an adjective
    if word in AUXILIARIES:
        return not strict or word in BE | HAVE
    lemma, tags = _verb_forms(word)
    if not lemma:
        return False
    following = _core(tokens[index + 1]) if index + 1 < len(tokens) else ""
    if "VBD" in tags:
        return following != "by"  # "a consortium led by …" is a participle
    if tags & {"VBZ", "VBP"}:
        if set(_lemmas(word)) == {"VERB"}:
            return True
        if previous in VERB_ADVERBS:
            return True  # "businesses now use …"
        return following in DETERMINERS or following in {"that", "to"} or following[:1].isdigit()
    return False


def _main_verb(tokens: Sequence[str]) -> int | None:
    """The index of the main clause's verb (its auxiliary, if any), or None."""
    depth = 0  # inside parentheses
    apposition = False  # between the commas of "X, which …, did"
    closed_at = -1  # where the last apposition ended
    for index, token in enumerate(tokens):
        if token.startswith("("):
            depth += 1
        if token.rstrip(",;:").endswith(")"):
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        if apposition:
            if token.endswith(","):
                apposition = False
                closed_at = index
            continue
        if token.endswith(",") and index + 1 < len(tokens) and index < 12:
            # an apposition or a relative clause if a comma closes it before a verb
            closing = next(
                (
                    j
                    for j in range(index + 1, min(len(tokens) - 1, index + 14))
                    if tokens[j].endswith(",")
                ),
                None,
            )
            if closing is not None and (
                _core(tokens[closing + 1]) in AUXILIARIES or _verb_candidate(tokens, closing + 1)
            ):
                apposition = True
                continue
        if index and tokens[index - 1].endswith(",") and closed_at != index - 1:
            continue  # ", integrating …": a participle, not the main clause
        if _verb_candidate(tokens, index):
            return index
    return None


def _plural_subject(subject: Sequence[str]) -> bool:
    words = [_core(t) for t in subject]
    top = next((i for i, w in enumerate(words) if w in PREPOSITIONS), len(words))
    if "and" in words[:top]:
        return True
    head = ""
    for position, (token, word) in enumerate(zip(subject, words, strict=True)):
        if word in PREPOSITIONS or word in RELATIVES or (position and token[:1] == "("):
            break
        head, head_token, head_position = word, token, position
        if token.endswith(","):
            break
    if not head:
        return False
    if head_token[:1].isupper() and head_position > 0:
        return False  # a name: "Hugging Face", "Les Echos"
    if head in {"they", "we", "people", "police"}:
        return True
    nouns = _lemmas(head).get("NOUN", ())
    return head.endswith("s") and not head.endswith("ss") and bool(nouns) and head not in nouns


def _newsroom_tense(tokens: list[str], verb: int) -> tuple[list[str], int]:
    """'has raised' -> 'raises', 'raised' -> 'raises', 'will build' -> 'to build'."""
    word = _bare(tokens[verb]).casefold()
    tail = "" if tokens[verb] == _bare(tokens[verb]) else "punctuated"
    plural = (
        word in {"have", "are", "were"}
        if word in HAVE | BE - {"had"}
        else _plural_subject(tokens[:verb])
    )
    out = list(tokens)

    def next_word(start: int) -> int | None:
        """The first word after `start` that is not an adverb ("has temporarily blocked")."""
        for index in range(start + 1, min(len(out), start + 4)):
            core = _core(out[index])
            if core.endswith("ly") and _can_be(core, "ADV"):
                continue
            return index
        return None

    if word in AUXILIARIES:
        participle = next_word(verb)
        if participle is None:
            return out, verb
        nxt = _core(out[participle])
        if word in {"will", "would"} and "VB" in _verb_forms(nxt)[1] and tail == "":
            out[verb] = "to"
            return out, verb
        if word in HAVE and nxt == "been":
            after = next_word(participle)
            if after is not None and _past_or_participle(_core(out[after])):
                del out[verb : participle + 1]
                return out, verb
            out[verb : participle + 1] = [_present("be", plural)]
            return out, verb
        if word in HAVE and "VBN" in _past_or_participle(nxt) and tail == "":
            out[participle] = _swap(out[participle], _present(_verb_forms(nxt)[0], plural))
            del out[verb]
            return out, verb
        if word in BE and tail == "":
            lemma, tags = _verb_forms(nxt)
            if "VBG" in tags and not _can_be(nxt, "NOUN"):
                out[participle] = _swap(out[participle], _present(lemma, plural))
                del out[verb]
                return out, verb
            if "VBN" in tags and (not _can_be(nxt, "ADJ") or nxt.endswith("ed")):
                del out[verb]
                return out, verb
            if word in {"was", "were"}:
                out[verb] = _present("be", plural)
        return out, verb
    lemma, tags = _verb_forms(word)
    if "VBD" in tags:
        out[verb] = _swap(tokens[verb], _keep_case(_bare(tokens[verb]), _present(lemma, plural)))
        # "… and paused new connections": a second verb of the same subject follows suit
        for index in range(verb + 1, len(out) - 1):
            if _core(out[index]) == "and" and _is_lower_word(out[index + 1]):
                following = _core(out[index + 1])
                lemma2, tags2 = _verb_forms(following)
                if "VBD" in tags2 and not _can_be(following, "ADJ"):
                    out[index + 1] = _swap(out[index + 1], _present(lemma2, plural))
    return out, verb


def _swap(token: str, word: str) -> str:
    """The token with its word replaced, the punctuation around it kept: "'raised," -> "'raises,"."""
    bare = _bare(token)
    if not bare:
        return word
    start = token.index(bare)
    return token[:start] + word + token[start + len(bare) :]


def _keep_case(original: str, word: str) -> str:
    return word[0].upper() + word[1:] if original[:1].isupper() else word


def _length(tokens: Sequence[str]) -> int:
    text = " ".join(tokens)
    if BRACKETS.search(text):
        return len(_finish(tokens))
    return len(text.rstrip(" ,;:-–—.").rstrip())  # what _finish would leave


def _fit(tokens: list[str], verb: int | None) -> list[str]:
    """The sentence, shortened as little as it needs to fit (see the module's steps)."""
    if _length(tokens) <= LIMIT:
        return tokens
    tokens, verb = _tighten_subject(tokens, verb)
    if _length(tokens) <= LIMIT:
        return tokens
    start = (verb + 1) if verb is not None else 1
    tokens = _drop_listed_modifiers(tokens, start)
    tokens = _drop_object_appositions(tokens, start)
    comma = next((i for i in range(start, len(tokens)) if tokens[i].endswith(",")), None)
    if comma is not None and comma > start and _complete(tokens[: comma + 1]):
        clause = tokens[: comma + 1]
        if _length(clause) <= LIMIT and (_length(clause) >= SHORT or not _crossable(tokens, comma)):
            return clause
        if not _crossable(tokens, comma):
            tokens = clause
    attempts: list[tuple[list[str], int]] = [(tokens, start)]
    if verb is not None:
        # The subject itself is long: its prepositional phrase goes ("documents from …").
        for of in (False, True):
            reduced, verb2 = _drop_subject_phrase(tokens, verb, of)
            if reduced is not None:
                attempts.append((reduced, verb2 + 1))
    for strict in (True, False):
        for candidate, first in attempts:
            cut = _best_cut(candidate, first, strict)
            if cut is not None:
                return cut
    return _words_that_fit(tokens)


def _best_cut(tokens: list[str], start: int, strict: bool) -> list[str] | None:
    """The phrase cut that keeps the most content words: articles after the verb go when
    that lets a longer phrase fit, as headlines drop them."""
    cut = _phrase_cut(tokens, start, strict)
    bare = tokens[:start] + [t for t in tokens[start:] if t.casefold() not in ARTICLES]
    if len(bare) == len(tokens):
        return cut
    terse = _phrase_cut(bare, start, strict)
    if terse is not None and (cut is None or _content(terse) > _content(cut)):
        return terse
    return cut


def _content(tokens: Sequence[str]) -> int:
    return sum(_core(t) not in FUNCTION_WORDS for t in tokens)


def _crossable(tokens: Sequence[str], comma: int) -> bool:
    """Whether what follows the comma still tells the story: an apposition naming the
    object ("ml-intern, an open-source agent") or a participle ("…, valuing it at …")."""
    if comma + 1 >= len(tokens):
        return False
    word = _core(tokens[comma + 1])
    if word in ARTICLES:
        return True
    return word.endswith("ing") and "VBG" in _verb_forms(word)[1] and not _can_be(word, "NOUN")


def _drop_object_appositions(tokens: list[str], start: int) -> list[str]:
    """'fined Klarvik, a Swedish company, for scraping …' -> 'fined Klarvik for scraping …':
    a short phrase between commas that opens with an article and is followed by the rest of
    the clause (a preposition, "to") describes the noun before it."""
    out = list(tokens)
    index = start
    while index < len(out) - 1:
        if out[index].endswith(",") and _core(out[index + 1]) in ARTICLES:
            closing = next(
                (j for j in range(index + 1, min(len(out) - 1, index + 8)) if out[j].endswith(",")),
                None,
            )
            if closing is not None and (
                _core(out[closing + 1]) in PREPOSITIONS
                and not any(_verb_candidate(out, j) for j in range(index + 2, closing + 1))
            ):
                out[index] = out[index][:-1]
                del out[index + 1 : closing + 1]
                continue
        index += 1
    return out


def _drop_listed_modifiers(tokens: list[str], start: int) -> list[str]:
    """'high-earning, educated professionals' -> 'educated professionals' (the nearest stays)."""
    out = list(tokens)
    index = start
    while index + 2 < len(out):
        token, following = out[index], out[index + 1]
        if (
            token.endswith(",")
            and _modifier(token.rstrip(","))
            and _modifier(following)
            and _is_lower_word(out[index + 2].rstrip(","))
        ):
            del out[index]
            continue
        index += 1
    return out


def _modifier(token: str) -> bool:
    word = _core(token)
    if not word or word in FUNCTION_WORDS or not token.replace("-", "").isalpha():
        return False
    if "-" in word:
        word = word.rsplit("-", 1)[1]
        if word.endswith(("ing", "ed")):
            return True
    lemmas = _lemmas(word)
    return ("ADJ" in lemmas and "NOUN" not in lemmas) or "VBN" in _verb_forms(word)[1]


def _complete(tokens: Sequence[str]) -> bool:
    """Whether a cut there leaves a phrase that ends as a phrase can (not on 'the', 'of' …)."""
    last = tokens[-1]
    word = _core(last)
    if not word or word in FUNCTION_WORDS:
        return False
    if last.rstrip(",").endswith(("-", "–", "—")):
        return False
    if "-" in word:  # "high-earning", "AI-driven": a modifier waiting for its noun
        part = word.rsplit("-", 1)[1]
        return not (part.endswith(("ing", "ed", "en")) or set(_lemmas(part)) == {"ADJ"})
    if not _is_lower_word(last):
        return True
    lemmas = _lemmas(word)
    if set(lemmas) <= {"ADJ", "ADV"} and lemmas:
        return False  # "a fully open", "together"
    _, tags = _verb_forms(word)
    # "poised", "led", "discovering", "utilize": the phrase goes on
    return "NOUN" in lemmas or not tags


def _boundary(tokens: Sequence[str], index: int) -> int | None:
    """How good a cut before tokens[index] is: 0 best; None when it is inside a phrase."""
    if tokens[index - 1].endswith((",", ";", ":")):
        return 0
    word = _core(tokens[index])
    if not _is_lower_word(tokens[index]):
        return None
    if word in SUBORDINATORS or word in RELATIVES:
        if _core(tokens[index - 1]) in TIME_NOUNS and word in {"after", "before"}:
            return None  # "months | after …": the time belongs to "after"
        return 1
    following = _core(tokens[index + 1]) if index + 1 < len(tokens) else ""
    if word in TIME_NOUNS and following in {"after", "before"}:
        return 1
    if set(_lemmas(word)) == {"ADV"} and following in PREPOSITIONS:
        return 2  # "| together with its data"
    if word == "so" and index + 1 < len(tokens) and _core(tokens[index + 1]) == "that":
        return 1
    if word == "to" or word in CONJUNCTIONS:
        return 1
    if word.endswith("ing") and _verb_forms(word)[0] and not _can_be(word, "NOUN"):
        return 1  # "guidance targeting …"
    if word in PREPOSITIONS:
        return 3 if word == "of" else 2
    if "VBN" in _past_or_participle(word) and word.endswith("ed"):
        return 2  # "an agent designed to …"
    return None


def _phrase_cut(tokens: Sequence[str], start: int, strict: bool = True) -> list[str] | None:
    """The best complete start of `tokens` that fits, cut at a phrase boundary: the
    longest, a cut before "of" counting as shorter (it often parts a noun from its
    content) and one over AIM counting as shorter still. Not strict: a cut may also
    follow a partitive ("parts | of") or a possessive ("the AI Act's | obligations")."""
    best, best_score = None, -1
    raw = len(" ".join(tokens[:start]))  # the head's length before _finish tidies it
    for index in range(start, len(tokens) + 1):
        if index > start:
            raw += 1 + len(tokens[index - 1])
        if raw > LIMIT + SLACK:
            break
        quality = 0 if index == len(tokens) else _boundary(tokens, index)
        head = list(tokens[:index])
        possessive = head and head[-1].endswith(("'s", "’s"))
        if quality is None and not strict and possessive and _is_lower_word(tokens[index]):
            quality = 3
            head[-1] = head[-1][:-2]
        if quality is None:
            continue
        length = _length(head)
        if length > LIMIT:
            break
        if strict and ((quality == 3 and _core(head[-1]) in PARTITIVES) or index == start):
            continue
        if not _complete(head):
            continue
        score = length - OF_PENALTY * (quality == 3) - OVER_AIM_PENALTY * (length > AIM)
        if score > best_score:
            best, best_score = head, score
    return best


def _tighten_subject(tokens: list[str], verb: int | None) -> tuple[list[str], int | None]:
    """Parentheses go (an acronym in them names the subject); appositions and relative
    clauses before the verb go (an apposition that is the name becomes the subject)."""
    if verb is None:
        return _drop_parentheses(tokens), None
    subject, rest = tokens[:verb], tokens[verb:]
    acronym = _acronym(subject)
    if acronym is not None:
        subject = [acronym]
    subject = _drop_parentheses(subject)
    rest = _drop_parentheses(rest)
    commas = [i for i, t in enumerate(subject) if t.endswith(",")]
    if len(commas) >= 2 and commas[-1] == len(subject) - 1:
        first = commas[0]
        before, inside = subject[: first + 1], subject[first + 1 : commas[-1] + 1]
        named = inside and inside[0][:1].isupper() and _core(inside[0]) not in DETERMINERS
        if named and _is_lower_word(before[-1].rstrip(",")):
            subject = [*inside[:-1], inside[-1].rstrip(",")]  # "France's regulator, CNIL,"
        else:
            subject = [*before[:-1], before[-1].rstrip(",")]
    elif len(commas) == 1 and commas[0] == len(subject) - 1:
        subject = [*subject[:-1], subject[-1].rstrip(",")]
    relative = next(
        (i for i, t in enumerate(subject) if i and _core(t) in {"that", "which", "who"}), None
    )
    if relative is not None:
        subject = subject[:relative]
        subject[-1] = subject[-1].rstrip(",")
    subject = _drop_article(subject) if len(subject) > 1 else subject
    return [*subject, *rest], len(subject)


def _acronym(subject: Sequence[str]) -> str | None:
    """'French data protection authority (CNIL)' -> the acronym, if the subject has one."""
    for index, token in enumerate(subject):
        if token.startswith("(") and token.rstrip(",").endswith(")") and index:
            name = _bare(token)
            if name.isupper() and name.isalpha() and len(name) >= 2:
                return name
    return None


def _drop_parentheses(tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    depth = 0
    for token in tokens:
        opened = token.startswith("(")
        if opened:
            depth += 1
        if depth:
            if token.rstrip(",;:").endswith(")"):
                depth -= 1
                if token.endswith(",") and out:
                    out[-1] = out[-1] + ","
            continue
        out.append(token)
    return out if depth == 0 else list(tokens)


def _drop_subject_phrase(
    tokens: Sequence[str], verb: int, of: bool
) -> tuple[list[str] | None, int]:
    """'Internal documents from the US Department … reveal' -> 'Internal documents reveal';
    with `of`, also 'Analysis of the 100 … configurations identifies' -> 'Analysis identifies'."""
    for index in range(1, verb):
        word = _core(tokens[index])
        if word in PREPOSITIONS and (word != "of" or of) and _complete(tokens[:index]):
            reduced = [*tokens[:index], *tokens[verb:]]
            return reduced, index
    return None, verb


def _words_that_fit(tokens: Sequence[str]) -> list[str]:
    """The last resort: the longest start that fits and ends on a content word."""
    out: list[str] = []
    best: list[str] = []
    for token in tokens:
        if len(token) > LIMIT:
            break
        if _length([*out, token]) > LIMIT:
            break
        out.append(token)
        if _complete(out):
            best = list(out)
    return best or out


class Rules(NamedTuple):
    """A language's headline rules: how a headline is derived, and which verb a word is a
    form of (for the faithfulness measure), '' for a word that is no verb form."""

    derive: Callable[[str], str]
    verb_lemma: Callable[[str], str]


def rules_for(language: str) -> Rules:
    """French rules for French (fr, fr-FR, fr-CA …), these English ones for anything else."""
    if language.split("-")[0].casefold() == "fr":
        # Imported here: headline_fr builds on this module, and an English site never
        # needs it.
        from .headline_fr import derive_headline_fr, verb_lemma_fr

        return Rules(derive_headline_fr, verb_lemma_fr)
    return Rules(derive_headline, verb_lemma)
