"""English words' parts of speech and verb forms: lemminflect's answers, from a table of ours.

The English headline rules ask three questions of lemminflect's lexicon: which parts of
speech a word can be, with its lemmas (`getAllLemmas`), a verb's forms
(`getAllInflections(lemma, upos="VERB")`) and its present tense (`getInflection(lemma,
"VBZ"/"VBP")`). Loading lemminflect to ask them costs a third of a second of CPU (numpy
imported, both of its tables parsed whole), which a build with one new item would pay for
a handful of words. These functions give the same answers from lexicon_en.txt, derived
from the installed lemminflect by

    python3 -m digest.lexicon --update

read on first use as one list of lines and searched by bisection (4 ms of CPU).
tests/test_lexicon.py checks the answers against lemminflect's and the file against what
this command writes.

The file: header lines starting with "#" (the source, its version and its licence), then
one line per word, sorted, each `word TAB lemmas TAB verb forms`:
  lemmas      entries "," apart, each a part-of-speech letter (see POS) and its lemmas
              "/" apart, in lemminflect's order;
  verb forms  entries "," apart, each a tag letter (see TAGS) and its spellings "/" apart.
A spelling that is the word itself is left empty; one that is the word with letters added
is written "+" and the letters ("walk" VBD "+ed"), one that drops the word's last N
letters (1 to 9) and adds others "-N" and the others ("companies" NOUN "-3y"); any other
is written whole. Words are in lower case: as in lemminflect, a word is looked up in
lower case and the answers take its capitalization.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

DATA = Path(__file__).resolve().parent / "lexicon_en.txt"
# lemminflect's parts of speech (upos) and verb tags (Penn Treebank), one letter each.
POS = {"N": "NOUN", "V": "VERB", "J": "ADJ", "R": "ADV", "A": "AUX"}
TAGS = {"b": "VB", "d": "VBD", "g": "VBG", "n": "VBN", "p": "VBP", "z": "VBZ", "m": "MD"}
# Characters that the format uses and no word or spelling may hold.
RESERVED = frozenset("\t\n,/")

Forms = dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _lines() -> tuple[list[bytes], int]:
    """The file's lines, and the index of the first word's line (after the header). As
    bytes: splitting them takes two thirds of the time of text, and UTF-8 sorts as the
    text does."""
    lines = DATA.read_bytes().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    start = 0
    while start < len(lines) and lines[start].startswith(b"#"):
        start += 1
    return lines, start


def _fields(word: str) -> list[str] | None:
    """The word's line split into its three fields, or None when the table has no such word."""
    if "\t" in word or "\n" in word or not word:
        return None  # never a word of the table, and would confuse the search
    lines, start = _lines()
    # A tab sorts before any character of a word: "ab\t" < "ab-c\t". (A lone surrogate,
    # which UTF-8 cannot encode, is encoded anyway: no word of the table has one.)
    key = word.encode("utf-8", "surrogatepass") + b"\t"
    index = bisect.bisect_left(lines, key, lo=start)
    if index < len(lines) and lines[index].startswith(key):
        fields = lines[index].decode("utf-8").split("\t")
        return fields if len(fields) == 3 else [*fields, ""]  # no verb forms
    return None


def _style(word: str) -> Callable[[str], str] | None:
    """How lemminflect gives answers the capitalization of the word asked about (None: as
    stored, in lower case)."""
    if word.isupper():
        return str.upper
    if word[:1].isupper():
        return str.capitalize
    return None


def _spelling(word: str, written: str) -> str:
    if not written:
        return word
    if written[0] == "+":
        return word + written[1:]
    if written[0] == "-":
        return word[: -int(written[1])] + written[2:]
    return written


def _decode(
    field: str, codes: dict[str, str], word: str, style: Callable[[str], str] | None
) -> Forms:
    out: Forms = {}
    if not field:
        return out
    for entry in field.split(","):
        spellings = [_spelling(word, written) for written in entry[1:].split("/")]
        out[codes[entry[0]]] = tuple(map(style, spellings) if style else spellings)
    return out


def lemmas(word: str) -> Forms:
    """The parts of speech the word can be, each with the word's lemmas (ran: VERB run),
    as lemminflect.getAllLemmas(word) gives them; {} for a word the lexicon lacks."""
    fields = _fields(word.lower())
    if fields is None:
        return {}
    return _decode(fields[1], POS, fields[0], _style(word))


def verb_forms(lemma: str) -> Forms:
    """A verb's forms by Penn tag (VBD: ran), as lemminflect.getAllInflections(lemma,
    upos="VERB") gives them; {} for a lemma that is no verb of the lexicon."""
    fields = _fields(lemma.lower())
    if fields is None:
        return {}
    return _decode(fields[2], TAGS, fields[0], _style(lemma))


def present(lemma: str, tag: Literal["VBZ", "VBP"]) -> tuple[str, ...]:
    """A verb's present tense, third person singular ("VBZ") or not ("VBP"), as
    lemminflect.getInflection(lemma, tag) gives it. For a lemma the lexicon has no such
    form of, lemminflect applies the SPECIALIST lexicon's rule for a regular verb's
    third person (an "s", or "es" after a sibilant, "ies" for a consonant's "y") and has
    no rule for the other present: so does this. `lemma` is one word, not empty."""
    forms = verb_forms(lemma).get(tag)
    if forms is not None:
        return forms
    if tag == "VBP":
        return ()
    style = _style(lemma)
    third = _regular_third_person(lemma.lower())
    return ((style(third) if style else third),)


def _regular_third_person(verb: str) -> str:
    if verb.endswith(("s", "z", "x", "ch", "sh")):
        return verb + "es"
    if len(verb) >= 2 and verb[-1] == "y" and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


# Generating the file from lemminflect ---------------------------------------------------


def _written(word: str, spelling: str) -> str:
    """The shortest way to write a spelling of the word's entry (the inverse of _spelling)."""
    if spelling == word:
        return ""
    if spelling.startswith(word):
        return "+" + spelling[len(word) :]
    common = next(
        (i for i, (a, b) in enumerate(zip(word, spelling, strict=False)) if a != b),
        min(len(word), len(spelling)),
    )
    dropped, rest = len(word) - common, spelling[common:]
    if common and dropped <= 9 and 2 + len(rest) < len(spelling):
        return f"-{dropped}{rest}"
    return spelling


def _encode(forms: Forms, codes: dict[str, str], word: str) -> str:
    letters = {name: letter for letter, name in codes.items()}
    entries = []
    for name, spellings in forms.items():
        for spelling in spellings:
            if (
                not spelling
                or spelling[0] in "+-"
                or RESERVED & set(spelling)
                or spelling != spelling.lower()
            ):
                raise ValueError(f"{word}: {name} {spelling!r} cannot be written in the table")
        written = "/".join(_written(word, spelling) for spelling in spellings)
        entries.append(letters[name] + written)
    return ",".join(entries)


def generate() -> str:
    """lexicon_en.txt as the installed lemminflect gives it (needs lemminflect installed)."""
    import importlib.metadata

    import lemminflect
    from lemminflect.core.Inflections import Inflections
    from lemminflect.core.Lemmatizer import Lemmatizer

    version = importlib.metadata.version("lemminflect")
    licence = importlib.metadata.distribution("lemminflect").read_text("LICENSE") or ""
    # Every word of its tables and overrides (a private part of lemminflect, asked only for
    # the words: the answers come from its public functions). A word that lower case
    # changes is never found, since lemminflect looks words up in lower case.
    words: Iterable[str] = {
        *Lemmatizer()._getLemmaDict(),
        *Lemmatizer()._getOverridesDict(),
        *Inflections()._getInflDict(),
        *Inflections()._getOverridesDict(),
    }
    lines = []
    for word in sorted(w for w in words if w == w.lower()):
        # (A character before the tab would sort a longer word before a shorter one.)
        if (
            not word
            or word[0] == "#"
            or RESERVED & set(word)
            or min(word) <= "\t"
            or _style(word) is not None
        ):
            raise ValueError(f"{word!r} cannot be written in the table")
        found = _encode(lemminflect.getAllLemmas(word), POS, word)
        verb = _encode(lemminflect.getAllInflections(word, upos="VERB"), TAGS, word)
        if found or verb:
            lines.append(f"{word}\t{found}\t{verb}".rstrip("\t") + "\n")
    header = [
        f"lemminflect {version}'s lexicon, written by `python3 -m digest.lexicon --update`:",
        "for each word in lower case, its parts of speech with its lemmas, and for a verb",
        "its forms (the format is described in digest/lexicon.py).",
        "lemminflect derived these tables from the NIH National Library of Medicine's",
        "SPECIALIST Lexicon, a public lexicon of English, using word counts from the",
        "Gutenberg and Billion Word corpora to choose among spellings.",
        "lemminflect's licence, which covers these derived data:",
        "",
        *licence.strip().splitlines(),
    ]
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + "".join(lines)


def recorded_version() -> str:
    """The lemminflect version the checked-in file was generated from."""
    first = DATA.read_text(encoding="utf-8").split("\n", 1)[0]
    return first.removeprefix("# lemminflect ").split("'", 1)[0]


def main() -> None:
    import argparse  # here: a build never runs this, and need not import it

    parser = argparse.ArgumentParser(description="Write digest/lexicon_en.txt from lemminflect.")
    parser.add_argument("--update", action="store_true", help="write the file (else: compare)")
    args = parser.parse_args()
    text = generate()
    if args.update:
        DATA.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {DATA} ({len(text.encode()):,} bytes)")
    elif DATA.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{DATA} differs from what the installed lemminflect gives: --update")
    else:
        print(f"{DATA} is what the installed lemminflect gives")


if __name__ == "__main__":
    main()
