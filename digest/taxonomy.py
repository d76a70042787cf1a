"""The taxonomy: the topics items are tagged with, read from content/topics.yaml and checked.

Each topic has a name, a one-line description, terms that signal it and terms that
argue against it, each with a weight. How terms are matched is topics.py's business;
this module only reads and checks what the editor wrote, reporting FILE:LINE problems.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .problems import Problem, error
from .words import words_of
from .yamlfile import Entry, load_mapping, shorten

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A term is a word or a name, not a passage: the longest in the shipped taxonomy has 4
# words and 21 characters, and official names ("United Nations Educational, Scientific
# and Cultural Organization") fit in 8 words and 100 characters. The bound keeps tagging
# linear in the text: each word of an item is compared with at most MAX_TERM_WORDS words
# of each term that can start there.
MAX_TERM_WORDS = 8
MAX_TERM_CHARACTERS = 100


@dataclass(frozen=True)
class Term:
    text: str  # as the editor wrote it
    weight: float
    line: int = 0


@dataclass(frozen=True)
class TopicRule:
    slug: str
    name: str
    description: str
    terms: tuple[Term, ...]
    against: tuple[Term, ...]


# Compared and hashed by identity: tagging caches its index per taxonomy, and hashing
# every term on each look-up cost more than the tagging itself.
@dataclass(frozen=True, eq=False)
class Taxonomy:
    topics: tuple[TopicRule, ...]
    threshold: float = 2.0
    analysis_weight: float = 0.25
    max_topics: int = 3
    language: str = "en"  # the site's: the stemmer that reads items and terms
    # The language the file says it is written in (its `language:` key), or "" when it
    # does not say.
    written_in: str = ""

    @property
    def own_language(self) -> str:
        """A file that does not say is English: digest's own taxonomy is, and so is every
        copy `digest init` wrote before files said their language; a taxonomy in another
        language says so (the French one digest ships does)."""
        return self.written_in or "en"


EMPTY = Taxonomy(topics=())


SETTINGS = {
    "threshold": "the score an item needs to get a topic",
    "analysis_weight": "how much a term in the analysis counts, next to one in the summary",
    "max_topics": "the most topics one item gets",
}
TOPIC_KEYS = ("name", "description", "terms", "against")
TOP_KEYS = ("language", "settings", "topics")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # as site.yaml's language


def parse_taxonomy(text: str, file: str, language: str = "en") -> tuple[Taxonomy, list[Problem]]:
    entries, problems = load_mapping(text, file, nested=True)
    settings: dict[str, float] = {}
    rules: list[TopicRule] = []
    written_in = ""
    for key, entry in entries.items():
        if key == "language":
            if isinstance(entry.value, str) and LANGUAGE_TAG.fullmatch(entry.value.strip()):
                written_in = entry.value.strip()
            else:
                problems.append(
                    error(
                        file,
                        entry.line,
                        "language: expected the language tag of the file's terms, such as "
                        f"'en' or 'fr', got {shorten(entry.value)}",
                    )
                )
        elif key == "settings":
            settings = _settings(entry, file, problems)
        elif key == "topics":
            if not isinstance(entry.value, dict):
                problems.append(error(file, entry.line, "topics: expected one entry per topic"))
                continue
            for slug, topic in entry.value.items():
                rule = _topic(slug, topic, file, problems, language)
                if rule is not None:
                    rules.append(rule)
        else:
            problems.append(
                error(
                    file, entry.line, f"unknown key {shorten(key)} (known: {', '.join(TOP_KEYS)})"
                )
            )
    taxonomy = Taxonomy(
        topics=tuple(rules),
        threshold=settings.get("threshold", Taxonomy.threshold),
        analysis_weight=settings.get("analysis_weight", Taxonomy.analysis_weight),
        max_topics=int(settings.get("max_topics", Taxonomy.max_topics)),
        language=language,
        written_in=written_in,
    )
    return taxonomy, problems


def _settings(entry: Entry, file: str, problems: list[Problem]) -> dict[str, float]:
    if not isinstance(entry.value, dict):
        problems.append(error(file, entry.line, "settings: expected 'name: value' lines"))
        return {}
    values: dict[str, float] = {}
    for key, item in entry.value.items():
        if key not in SETTINGS:
            known = ", ".join(SETTINGS)
            problems.append(
                error(file, item.line, f"settings: unknown setting {shorten(key)} (known: {known})")
            )
        elif key == "max_topics" and not (_is_whole(item.value) and item.value >= 1):
            problems.append(
                error(
                    file,
                    item.line,
                    "settings.max_topics: expected a whole number of at least 1, "
                    f"got {shorten(item.value)}",
                )
            )
        elif (number := _number(item.value)) is None or number < 0:
            problems.append(
                error(
                    file,
                    item.line,
                    f"settings.{key}: expected a number of at least 0, got {shorten(item.value)}",
                )
            )
        else:
            values[key] = number
    return values


def _topic(
    slug: str, entry: Entry, file: str, problems: list[Problem], language: str
) -> TopicRule | None:
    if not SLUG.fullmatch(slug) or len(slug) > MAX_TERM_CHARACTERS:
        problems.append(
            error(
                file,
                entry.line,
                f"topic {shorten(slug)}: a topic's key is its URL slug: "
                "lowercase letters, digits and hyphens"
                + (f", at most {MAX_TERM_CHARACTERS}" if len(slug) > MAX_TERM_CHARACTERS else ""),
            )
        )
        return None
    if not isinstance(entry.value, dict):
        problems.append(
            error(file, entry.line, f"{slug}: expected name, description, terms and against")
        )
        return None
    fields = entry.value
    for key, item in fields.items():
        if key not in TOPIC_KEYS:
            problems.append(
                error(
                    file,
                    item.line,
                    f"{slug}: unknown key {shorten(key)} (known: {', '.join(TOPIC_KEYS)})",
                )
            )
    name = _text(fields.get("name"), f"{slug}.name", file, problems, default=slug)
    description = _text(
        fields.get("description"), f"{slug}.description", file, problems, default=""
    )
    terms = _terms(fields.get("terms"), f"{slug}.terms", file, problems, language)
    against = _terms(fields.get("against"), f"{slug}.against", file, problems, language)
    if "terms" not in fields:
        problems.append(
            error(file, entry.line, f"{slug}: no terms: nothing could ever signal this topic")
        )
    return TopicRule(slug, name, description, terms, against)


def _text(entry: Entry | None, where: str, file: str, problems: list[Problem], default: str) -> str:
    if entry is None:
        return default
    if not isinstance(entry.value, str) or not entry.value.strip():
        problems.append(error(file, entry.line, f"{where}: expected some text"))
        return default
    text = entry.value.strip()
    if not text.isprintable():  # names and descriptions are one line, shown in feeds too
        problems.append(
            error(file, entry.line, f"{where}: expected one line of text, got {shorten(text)}")
        )
        return default
    return text


def _terms(
    entry: Entry | None, where: str, file: str, problems: list[Problem], language: str
) -> tuple[Term, ...]:
    if entry is None:
        return ()
    if not isinstance(entry.value, dict):
        problems.append(error(file, entry.line, f"{where}: expected 'term: weight' lines"))
        return ()
    terms = []
    for text, item in entry.value.items():
        shown = shorten(text)
        weight = _number(item.value)
        if weight is None or weight <= 0:
            problems.append(
                error(
                    file,
                    item.line,
                    f"{where}: {shown} needs a weight above 0, got {shorten(item.value)}",
                )
            )
            continue
        words = words_of(text, language)
        if not words:
            problems.append(error(file, item.line, f"{where}: {shown} has no words to match"))
            continue
        if len(words) > MAX_TERM_WORDS or len(text) > MAX_TERM_CHARACTERS:
            problems.append(
                error(
                    file,
                    item.line,
                    f"{where}: {shown} is too long for a term ({len(words)} word(s), "
                    f"{len(text)} characters; at most {MAX_TERM_WORDS} and {MAX_TERM_CHARACTERS})",
                )
            )
            continue
        terms.append(Term(text, weight, item.line))
    return tuple(terms)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    """`value` as a finite float, or None: YAML reads .nan, .inf and 1e999 as floats, and
    an integer of 400 digits is too large for one."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
