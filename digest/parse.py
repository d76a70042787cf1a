"""Item-file text -> front matter and raw items, with line numbers. Pure: no I/O.

An item is a summary line followed by an analysis line (`Analysis — …`). Before its
summary, an item may have a headline line (`Headline — …`, the editor's own headline)
and a `Not a repeat` line (never group it under an earlier report), in either order.
Every non-blank line of the text ends up in an item or in a reported problem.

The markers are also read in French (`Analyse — …`, `Titre — …`, `Pas un doublon`),
whatever the site's language: a file reads the same on every site, and no English
summary begins with these words followed by a dash or a colon. The non-breaking spaces
French sets before a colon (U+00A0, U+202F) are spaces here like any other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime

from .model import RawItem
from .problems import Problem, error, warning
from .yamlfile import load_mapping, shorten

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The word, optional spaces, then a dash or colon. A hyphen glued to a following word
# ("Analysis-driven tools …") is a compound word in a summary, not a marker.
ANALYSIS_MARKER = re.compile(r"analys(?:is|e)(?:\s*[—–:]|\s+-|-(?=\s|$))\s*", re.IGNORECASE)
# The word, optional spaces, then a dash, a colon or a spaced hyphen: "Headline-grabbing
# results …", "Headlines were …" and "Headline inflation: …" are summaries.
HEADLINE_MARKER = re.compile(r"(?:headline|titre)(?:\s*[—–:]|\s+-(?=\s|$))\s*", re.IGNORECASE)
# The whole line: "Not a repeat" ("Pas un doublon"), an optional full stop, then optionally a dash or colon
# and the editor's reason (for the next reader of the file; not published).
NOT_A_REPEAT = re.compile(
    r"(?:not\s+a\s+repeat|pas\s+un\s+doublon)\s*\.?(?:\s*(?:[—–:]|-(?=\s|$)).*)?",
    re.IGNORECASE,
)
HEADLINE_LENGTH = 80  # longer is published as written, with a warning
FRONT_MATTER_FENCE = "---"
FRONT_MATTER_KEYS = ("date", "draft", "title")


@dataclass(frozen=True)
class ParsedFile:
    items: tuple[RawItem, ...]
    problems: tuple[Problem, ...]
    title: str | None = None
    date: date | datetime | None = None
    draft: bool = False


# Dates a digest can publish. A year before 1900 is a typo (0226 for 2026), not news, and
# C's struct tm, which feed readers still use, counts years from 1900. The last year keeps
# a whole year below datetime's limit (9999), so that no UTC offset (always under 24 hours)
# can overflow when a date is moved to another zone, sorted against dates in other zones,
# or written in RFC 822 and RFC 3339 for the feeds.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def date_out_of_range(value: date) -> str | None:
    """Why `value` (a date or a datetime) cannot be an edition's date, or None if it can."""
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    return f"{value.isoformat()} is not between the years {FIRST_YEAR} and {LAST_YEAR}"


def _is_control(char: str) -> bool:
    return char != "\t" and unicodedata.category(char) == "Cc"


def _is_noncharacter(char: str) -> bool:
    # What XML 1.0 forbids beyond the controls (lone surrogates, U+FFFE, U+FFFF), and the
    # other noncharacters (U+FDD0 to U+FDEF, U+nFFFE, U+nFFFF), which no text may exchange:
    # one of them makes feed.xml and atom.xml ill-formed.
    code = ord(char)
    return 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def clean_line(text: str) -> tuple[str, list[str]]:
    """Drop control characters (tab excepted) and noncharacters; return the text and what went."""
    if text.isprintable():
        return text, []
    removed = [c for c in text if _is_control(c) or _is_noncharacter(c)]
    if not removed:
        return text, []
    gone = set(removed)
    return "".join(c for c in text if c not in gone), removed


def _removed_message(removed: list[str]) -> str:
    def codes(chars: set[str]) -> str:
        return ", ".join(f"U+{ord(c):04X}" for c in sorted(chars))

    controls = {c for c in removed if _is_control(c)}
    others = set(removed) - controls
    parts = [f"control character(s) {codes(controls)}"] if controls else []
    parts += [f"noncharacter(s) {codes(others)}"] if others else []
    return "removed " + " and ".join(parts)


def split_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_text(text: str, file: str) -> ParsedFile:
    lines = split_lines(text)
    problems: list[Problem] = []
    cleaned: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line, removed = clean_line(raw)
        if removed:
            problems.append(warning(file, number, _removed_message(removed)))
        cleaned.append(line)

    start, front = _front_matter(cleaned, file, problems)
    items = _items(cleaned, start, file, problems)
    return ParsedFile(
        items=tuple(items),
        problems=tuple(problems),
        title=front.get("title"),  # type: ignore[arg-type]
        date=front.get("date"),  # type: ignore[arg-type]
        draft=front.get("draft") is True,
    )


def _front_matter(
    lines: list[str], file: str, problems: list[Problem]
) -> tuple[int, dict[str, object]]:
    """Return the index of the first item line and the checked front-matter values."""
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        return 0, {}
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE), None)
    if end is None:
        problems.append(
            error(file, 1, "front matter opened with '---' is never closed by a '---' line")
        )
        return 1, {}
    # The title is kept as written: `title: 1.10` or `title: 2026-02-30` is a title.
    entries, yaml_problems = load_mapping(
        "\n".join(lines[1:end]), file, first_line=2, as_text=("title", "draft")
    )
    problems.extend(yaml_problems)
    values: dict[str, object] = {}
    for key, entry in entries.items():
        if key == "title":
            title = _title_text(entry.value)
            if title:
                values["title"] = title
            else:
                problems.append(error(file, entry.line, "title: expected some text"))
        elif key == "draft":
            # Read as written: YAML 1.1 would take `yes`, `on` and `y` for true.
            flag = str(entry.value).strip().lower() if isinstance(entry.value, str) else None
            if flag in ("true", "false"):
                values["draft"] = flag == "true"
            else:
                problems.append(
                    error(
                        file,
                        entry.line,
                        f"draft: expected true or false, got {shorten(entry.value)}",
                    )
                )
        elif key == "date":
            parsed = _front_matter_date(entry.value)
            why = None if parsed is None else date_out_of_range(parsed)
            if parsed is None:
                problems.append(
                    error(
                        file,
                        entry.line,
                        "date: expected a date such as 2026-11-26 or "
                        f"2026-11-26T08:00:00+01:00, got {shorten(entry.value)}",
                    )
                )
            elif why is not None:
                problems.append(error(file, entry.line, f"date: {why}"))
            else:
                values["date"] = parsed
        else:
            known = ", ".join(FRONT_MATTER_KEYS)
            problems.append(
                warning(
                    file,
                    entry.line,
                    f"unknown front-matter key '{key}' is ignored (known: {known})",
                )
            )
    return end + 1, values


def _title_text(value: object) -> str | None:
    """The title as the editor wrote it: `title: 1984` or `title: 2026-01-01` is text too."""
    if isinstance(value, date):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, str | int | float):  # bool is an int
        return str(value).strip() or None
    return None


def _front_matter_date(value: object) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class _Before:
    """The lines that come before a summary: its headline and its 'Not a repeat' mark."""

    headline: tuple[str, int] | None = None
    distinct: int | None = None  # the mark's line


def _items(lines: list[str], start: int, file: str, problems: list[Problem]) -> list[RawItem]:
    items: list[RawItem] = []
    pending: RawItem | None = None  # a summary waiting for its analysis
    before = _Before()

    def publish_without_analysis() -> None:
        assert pending is not None
        problems.append(
            warning(
                file,
                pending.line,
                "summary has no analysis line after it; published without analysis",
            )
        )
        items.append(pending)

    def orphans(why: str) -> None:
        """The headline and mark waiting for a summary that does not come."""
        nonlocal before
        if before.headline is not None:
            problems.append(
                error(file, before.headline[1], f"headline with no summary after it {why}")
            )
        if before.distinct is not None:
            problems.append(error(file, before.distinct, f"'Not a repeat' with no summary {why}"))
        before = _Before()

    for index in range(start, len(lines)):
        number = index + 1
        text = lines[index].strip()
        if not text:
            continue
        headline = HEADLINE_MARKER.match(text)
        if headline is not None or NOT_A_REPEAT.fullmatch(text):
            if pending is not None:  # these lines open the next item
                publish_without_analysis()
                pending = None
            if headline is None:
                if before.distinct is not None:
                    problems.append(warning(file, number, "'Not a repeat' given twice"))
                else:
                    before.distinct = number
                continue
            if before.headline is not None:
                orphans("(another headline line follows it)")
            words = text[headline.end() :].strip()
            if not words:
                problems.append(error(file, number, "headline line is empty"))
                continue
            if len(words) > HEADLINE_LENGTH:
                message = (
                    f"headline is {len(words)} characters long (more than {HEADLINE_LENGTH}); "
                    "published as written"
                )
                problems.append(warning(file, number, message))
            before.headline = (words, number)
            continue
        marker = ANALYSIS_MARKER.match(text)
        if marker is None:
            if pending is not None:
                publish_without_analysis()
            pending = RawItem(
                summary=text,
                analysis=None,
                line=number,
                headline=before.headline[0] if before.headline else None,
                headline_line=before.headline[1] if before.headline else None,
                distinct=before.distinct is not None,
            )
            before = _Before()
            continue
        analysis = text[marker.end() :].strip()
        if pending is None:
            orphans("(an analysis line follows it; these lines go before the summary)")
            problems.append(
                error(file, number, f"analysis with no summary before it: {_preview(analysis)}")
            )
            continue
        if not analysis:
            problems.append(
                warning(file, number, "analysis line is empty; published without analysis")
            )
        items.append(replace(pending, analysis=analysis or None, analysis_line=number))
        pending = None
    if pending is not None:
        publish_without_analysis()
    orphans("(the file ends)")
    return items


def _preview(text: str, width: int = 60) -> str:
    if not text:
        return "(empty)"
    return repr(text if len(text) <= width else text[: width - 1] + "…")
