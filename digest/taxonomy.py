"""The taxonomy: the topics items are tagged with, read from content/topics.yaml and checked.

Each topic has a name, a one-line description, terms that signal it and terms that
argue against it, each with a weight. How terms are matched is topics.py's business;
this module only reads and checks what the editor wrote, reporting FILE:LINE problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .problems import Problem, error
from .words import words_of
from .yamlfile import Entry, load_mapping

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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
    language: str = "en"


EMPTY = Taxonomy(topics=())


SETTINGS = {
    "threshold": "the score an item needs to get a topic",
    "analysis_weight": "how much a term in the analysis counts, next to one in the summary",
    "max_topics": "the most topics one item gets",
}
TOPIC_KEYS = ("name", "description", "terms", "against")


def parse_taxonomy(text: str, file: str, language: str = "en") -> tuple[Taxonomy, list[Problem]]:
    entries, problems = load_mapping(text, file, nested=True)
    settings: dict[str, float] = {}
    rules: list[TopicRule] = []
    for key, entry in entries.items():
        if key == "settings":
            settings = _settings(entry, file, problems)
        elif key == "topics":
            if not isinstance(entry.value, dict):
                problems.append(error(file, entry.line, "topics: expected one entry per topic"))
                continue
            for slug, topic in entry.value.items():
                rule = _topic(slug, topic, file, problems)
                if rule is not None:
                    rules.append(rule)
        else:
            problems.append(
                error(file, entry.line, f"unknown key '{key}' (known: settings, topics)")
            )
    taxonomy = Taxonomy(
        topics=tuple(rules),
        threshold=settings.get("threshold", Taxonomy.threshold),
        analysis_weight=settings.get("analysis_weight", Taxonomy.analysis_weight),
        max_topics=int(settings.get("max_topics", Taxonomy.max_topics)),
        language=language,
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
                error(file, item.line, f"settings: unknown setting '{key}' (known: {known})")
            )
        elif key == "max_topics" and not (isinstance(item.value, int) and item.value >= 1):
            problems.append(
                error(
                    file,
                    item.line,
                    f"settings.max_topics: expected a whole number of at least 1, got {item.value!r}",
                )
            )
        elif not _is_number(item.value) or item.value < 0:
            problems.append(
                error(
                    file,
                    item.line,
                    f"settings.{key}: expected a number of at least 0, got {item.value!r}",
                )
            )
        else:
            values[key] = float(item.value)  # type: ignore[arg-type]
    return values


def _topic(slug: str, entry: Entry, file: str, problems: list[Problem]) -> TopicRule | None:
    if not SLUG.fullmatch(slug):
        problems.append(
            error(
                file,
                entry.line,
                f"topic '{slug}': a topic's key is its URL slug: lowercase letters, digits and hyphens",
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
                    file, item.line, f"{slug}: unknown key '{key}' (known: {', '.join(TOPIC_KEYS)})"
                )
            )
    name = _text(fields.get("name"), f"{slug}.name", file, problems, default=slug)
    description = _text(
        fields.get("description"), f"{slug}.description", file, problems, default=""
    )
    terms = _terms(fields.get("terms"), f"{slug}.terms", file, problems)
    against = _terms(fields.get("against"), f"{slug}.against", file, problems)
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
    return entry.value.strip()


def _terms(entry: Entry | None, where: str, file: str, problems: list[Problem]) -> tuple[Term, ...]:
    if entry is None:
        return ()
    if not isinstance(entry.value, dict):
        problems.append(error(file, entry.line, f"{where}: expected 'term: weight' lines"))
        return ()
    terms = []
    for text, item in entry.value.items():
        if not _is_number(item.value) or item.value <= 0:
            problems.append(
                error(
                    file, item.line, f"{where}: '{text}' needs a weight above 0, got {item.value!r}"
                )
            )
            continue
        if not words_of(text):
            problems.append(error(file, item.line, f"{where}: '{text}' has no words to match"))
            continue
        terms.append(Term(text, float(item.value), item.line))  # type: ignore[arg-type]
    return tuple(terms)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
