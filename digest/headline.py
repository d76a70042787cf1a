"""A summary's headline, as a news editor would write it from its first sentence.

The first sentence is read as words with a crude part of speech each (lemminflect's
lexicon says whether a word can be a verb, a noun or an adjective), in this order:

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
   a relative clause in the subject goes; then the sentence is cut at its first comma
   after the verb, then at the latest phrase boundary that fits (before a preposition,
   a conjunction, "to", a participle or a relative pronoun), never inside a phrase,
   never after a function word; then a prepositional phrase inside the subject goes.

Nothing is ever added but inflections: every word of the headline is a word of the
summary, so a headline can be shorter than an editor's, never wrong. Pure and
deterministic; the lexicon is loaded on first use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .text import first_sentence

LIMIT = 80  # characters: the most a headline may have
AIM = 75  # a cut inside the sentence aims at this, leaving the last few for a long word

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
LETTERS = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _lexicon():  # type: ignore[no-untyped-def]
    """lemminflect, imported on first use: its data take a fifth of a second to load."""
    import lemminflect

    return lemminflect


@lru_cache(maxsize=65536)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    return dict(_lexicon().getAllLemmas(word))


@lru_cache(maxsize=65536)
def _verb_forms(word: str) -> tuple[str, frozenset[str]]:
    """The verb `word` is a form of, and which forms it is (VBD, VBN, VBZ, …); '' if none."""
    lemmas = _lemmas(word).get("VERB")
    if not lemmas:
        return "", frozenset()
    lemma = lemmas[0]
    inflections = _lexicon().getAllInflections(lemma, upos="VERB")
    return lemma, frozenset(tag for tag, forms in inflections.items() if word in forms)


@lru_cache(maxsize=65536)
def verb_lemma(word: str) -> str:
    """The verb a word is a form of (began -> begin), or '' when it is none."""
    return _verb_forms(word.casefold())[0]


@lru_cache(maxsize=65536)
def _present(lemma: str, plural: bool) -> str:
    if lemma == "be":
        return "are" if plural else "is"
    forms = _lexicon().getInflection(lemma, "VBP" if plural else "VBZ")
    return forms[0] if forms else lemma


def _core(token: str) -> str:
    """A token without the punctuation around it, case-folded: '(CNIL),' -> 'cnil'."""
    return token.strip(OPENING + TRAILING).casefold()


def _bare(token: str) -> str:
    return token.strip(OPENING + TRAILING)


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
    sentence = first_sentence(summary)
    for ellipsis in ELLIPSES:
        sentence = sentence.replace(ellipsis, " ")
    tokens = [t for t in sentence.split() if LETTERS.search(t) or any(c.isdigit() for c in t)]
    if not tokens:
        return _fallback(summary)
    tokens[-1] = tokens[-1].rstrip(".")
    if not tokens[-1]:
        tokens.pop()
    tokens = _drop_lead_in(tokens)
    tokens = _drop_framing(tokens)
    tokens = _drop_article(tokens)
    tokens = [t for t in tokens if _core(t) not in FILLERS or t != _bare(t) and t[-1] in ",;:"]
    verb = _main_verb(tokens)
    if verb is not None:
        tokens, verb = _newsroom_tense(tokens, verb)
    headline = _fit(tokens, verb)
    if not headline:
        return _fallback(summary)
    return _finish(headline)


def _finish(tokens: Sequence[str]) -> str:
    text = " ".join(tokens).rstrip(" ,;:-–—")
    while text.endswith(".") or text.endswith(","):
        text = text[:-1].rstrip()
    text = _balance(text)
    if text and text[0].islower() and _is_lower_word(text.split()[0]):
        text = text[0].upper() + text[1:]
    return text


def _balance(text: str) -> str:
    """Drop a bracket or quotation mark that the cut left without its partner."""
    for left, right in (("(", ")"), ("[", "]"), ("“", "”")):
        if text.count(left) != text.count(right):
            text = text.replace(left, "").replace(right, "")
    if text.count('"') % 2:
        text = text.replace('"', "")
    return text.strip()


def _fallback(summary: str) -> str:
    """For text with no usable sentence: its longest run of leading words that fits."""
    words = [w for w in summary.replace("…", " ").split() if len(w) <= LIMIT]
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
    for index, token in enumerate(tokens[:8]):
        if token.endswith(","):
            rest = tokens[index + 1 :]
            return rest if len(rest) >= 3 else tokens
    return tokens


def _drop_framing(tokens: list[str]) -> list[str]:
    """'A survey found that X …' -> 'X …'; 'Amazon said it X' -> 'Amazon X'."""
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
    if previous in DETERMINERS or previous in PREPOSITIONS or previous in {"been", "being"}:
        return False
    if previous in RELATIVES or tokens[index - 1].endswith(","):
        return False  # "which makes …", ", integrating …": not the main clause
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
        return following in DETERMINERS or following in {"that", "to"} or following[:1].isdigit()
    return False


def _main_verb(tokens: Sequence[str]) -> int | None:
    """The index of the main clause's verb (its auxiliary, if any), or None."""
    depth = 0  # inside parentheses
    apposition = False  # between the commas of "X, which …, did"
    for index, token in enumerate(tokens):
        if token.startswith("("):
            depth += 1
        if token.endswith(")") or token.endswith("),"):
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        if apposition:
            if token.endswith(","):
                apposition = False
            continue
        if token.endswith(",") and index + 1 < len(tokens) and index < 12:
            following = _core(tokens[index + 1])
            if following in RELATIVES or following in DETERMINERS or not _is_lower_word(
                tokens[index + 1]
            ):
                # an apposition or a relative clause if a comma closes it before a verb
                if any(t.endswith(",") for t in tokens[index + 1 : index + 14]):
                    apposition = True
                continue
        if _verb_candidate(tokens, index):
            return index
    return None


def _plural_subject(subject: Sequence[str]) -> bool:
    words = [_core(t) for t in subject]
    if "and" in words:
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
    tail = tokens[verb][len(_bare(tokens[verb])) :]
    plural = _plural_subject(_subject(tokens, verb))
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
            out[participle] = _present(_verb_forms(nxt)[0], plural) + _trail(out[participle])
            del out[verb]
            return out, verb
        if word in BE and tail == "":
            lemma, tags = _verb_forms(nxt)
            if "VBG" in tags and not _can_be(nxt, "NOUN"):
                out[participle] = _present(lemma, plural) + _trail(out[participle])
                del out[verb]
                return out, verb
            if "VBN" in tags and not _can_be(nxt, "ADJ") or "VBN" in tags and nxt.endswith("ed"):
                del out[verb]
                return out, verb
            if word in {"was", "were"}:
                out[verb] = _present("be", plural)
        return out, verb
    lemma, tags = _verb_forms(word)
    if "VBD" in tags:
        out[verb] = _keep_case(tokens[verb], _present(lemma, plural)) + tail
        # "… and paused new connections": a second verb of the same subject follows suit
        for index in range(verb + 1, len(out) - 1):
            if _core(out[index]) == "and" and _is_lower_word(out[index + 1]):
                following = _core(out[index + 1])
                lemma2, tags2 = _verb_forms(following)
                if "VBD" in tags2 and not _can_be(following, "ADJ"):
                    out[index + 1] = _present(lemma2, plural) + _trail(out[index + 1])
    return out, verb


def _trail(token: str) -> str:
    bare = _bare(token)
    return token[token.index(bare) + len(bare) :] if bare else ""


def _keep_case(original: str, word: str) -> str:
    return word[0].upper() + word[1:] if original[:1].isupper() else word


def _subject(tokens: Sequence[str], verb: int) -> list[str]:
    return list(tokens[:verb])


def _length(tokens: Sequence[str]) -> int:
    return len(_finish(tokens))


def _fit(tokens: list[str], verb: int | None) -> list[str]:
    """The sentence, shortened as little as it needs to fit (see the module's steps)."""
    if _length(tokens) <= LIMIT:
        return tokens
    tokens, verb = _tighten_subject(tokens, verb)
    if _length(tokens) <= LIMIT:
        return tokens
    start = (verb + 1) if verb is not None else 1
    comma = next((i for i in range(start, len(tokens)) if tokens[i].endswith(",")), None)
    if comma is not None and comma > start and _length(tokens[: comma + 1]) <= LIMIT:
        if _complete(tokens[: comma + 1]):
            return tokens[: comma + 1]
    if comma is not None:
        tokens = tokens[: comma + 1]
    cut = _phrase_cut(tokens, start)
    if cut is not None:
        return cut
    # The subject itself is long: drop the prepositional phrase inside it, then cut again.
    if verb is not None:
        reduced, verb2 = _drop_subject_phrase(tokens, verb)
        if reduced is not None:
            cut = _phrase_cut(reduced, verb2 + 1)
            if cut is not None:
                return cut
    return _words_that_fit(tokens)


def _complete(tokens: Sequence[str]) -> bool:
    """Whether a cut there leaves a phrase that ends as a phrase can (not on 'the', 'of' …)."""
    last = tokens[-1]
    word = _core(last)
    if not word or word in FUNCTION_WORDS:
        return False
    if last.rstrip(",").endswith(("-", "–", "—")):
        return False
    lemmas = _lemmas(word)
    return not (_is_lower_word(last) and set(lemmas) == {"ADJ"})


def _boundary(tokens: Sequence[str], index: int) -> int | None:
    """How good a cut before tokens[index] is: 0 best; None when it is inside a phrase."""
    if tokens[index - 1].endswith((",", ";", ":")):
        return 0
    word = _core(tokens[index])
    if not _is_lower_word(tokens[index]):
        return None
    if word in SUBORDINATORS or word in RELATIVES:
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


def _phrase_cut(tokens: Sequence[str], start: int) -> list[str] | None:
    """The longest complete start of `tokens` that fits, cut at a phrase boundary."""
    for limit in (AIM, LIMIT):
        for worst in (2, 3):
            best = None
            for index in range(start + 1, len(tokens)):
                quality = _boundary(tokens, index)
                if quality is None or quality > worst:
                    continue
                head = list(tokens[:index])
                if _length(head) > limit:
                    break
                if _complete(head):
                    best = head
            if best is not None:
                return best
    return None


def _tighten_subject(tokens: list[str], verb: int | None) -> tuple[list[str], int | None]:
    """Parentheses go (an acronym in them names the subject); appositions and relative
    clauses before the verb go (an apposition that is the name becomes the subject)."""
    if verb is None:
        return _drop_parentheses(tokens), None
    subject, rest = tokens[:verb], tokens[verb:]
    acronym = _acronym(subject)
    if acronym is not None:
        opening, name = acronym
        subject = [name]
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


def _acronym(subject: Sequence[str]) -> tuple[int, str] | None:
    """'French data protection authority (CNIL)' -> the acronym, if the subject has one."""
    for index, token in enumerate(subject):
        if token.startswith("(") and token.rstrip(",").endswith(")") and index:
            name = _bare(token)
            if name.isupper() and name.isalpha() and len(name) >= 2:
                return index, name
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


def _drop_subject_phrase(tokens: Sequence[str], verb: int) -> tuple[list[str] | None, int]:
    """'Internal documents from the US Department … reveal' -> 'Internal documents reveal'."""
    for index in range(1, verb):
        word = _core(tokens[index])
        if word in PREPOSITIONS and word != "of" and _complete(tokens[:index]):
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
