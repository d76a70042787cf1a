"""The date ledger: the publication date of each edition, recorded by the first build that saw it.

A file's modification time changes with every clone or copy; the ledger, committed
with the content, does not. So an item's date, once published, never moves.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from .parse import date_out_of_range
from .problems import Problem, error
from .yamlfile import load_mapping, shorten

LEDGER_NAME = "dates.yaml"
HEADER = """\
# Publication dates of the editions in this folder, recorded by digest the first
# time a build saw each file. Commit this file with the content: it keeps every
# item's date (and so the feeds) stable across rebuilds and fresh clones.
# A date may be corrected by hand; keep the form YYYY-MM-DDTHH:MM:SS+HH:MM.
"""


def parse_ledger(text: str, file: str) -> tuple[dict[str, datetime], list[Problem]]:
    entries, problems = load_mapping(text, file)
    dates: dict[str, datetime] = {}
    for name, entry in entries.items():
        if not recordable(name):
            problems.append(error(file, entry.line, f"{name}: not a file name (not valid text)"))
            continue
        value = entry.value
        if isinstance(value, str):
            with suppress(ValueError):
                value = datetime.fromisoformat(value)
        if not isinstance(value, datetime) or value.tzinfo is None:
            problems.append(
                error(
                    file,
                    entry.line,
                    f"{name}: expected a date and time with its offset, "
                    f"such as 2026-11-26T08:00:00+01:00, got {shorten(entry.value)}",
                )
            )
            continue
        why = date_out_of_range(value)
        if why is not None:
            problems.append(error(file, entry.line, f"{name}: {why}"))
            continue
        dates[name] = value
    return dates, problems


def recordable(name: str) -> bool:
    """Whether `name` can be written in the ledger: text, not bytes that were not UTF-8.

    os.listdir gives such bytes as lone surrogates, which no UTF-8 file can hold (and
    libyaml refuses even as escapes); load refuses those names before they get here.
    """
    return not any(0xD800 <= ord(char) <= 0xDFFF for char in name)


def format_ledger(dates: dict[str, datetime]) -> str:
    """The ledger's text; parse_ledger reads it back to the same mapping, whatever the names."""
    lines = [_entry(name, when) for name, when in sorted(dates.items())]
    return HEADER + "\n".join(lines) + "\n"


# YAML reads an implicit key of at most 1024 characters; longer ones need the explicit form.
_SIMPLE_KEY_LENGTH = 1000


def _entry(name: str, when: datetime) -> str:
    key = _quote(name)
    if len(key) > _SIMPLE_KEY_LENGTH:
        return f"? {key}\n: {when.isoformat()}"
    return f"{key}: {when.isoformat()}"


def _quote(name: str) -> str:
    """A YAML double-quoted scalar that reads back as `name`, on one line, whatever it holds.

    Every character that is not printable (controls, line and paragraph separators, U+0085,
    U+FEFF, noncharacters) is written as an escape, so that no reader sees a line break,
    a byte-order mark or a character that YAML's reader rejects.
    """
    if not recordable(name):
        raise ValueError(f"not a name the ledger can record: {name!r}")
    return '"' + "".join(_escape(char) for char in name) + '"'


def _escape(char: str) -> str:
    if char in '\\"':
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02X}"
    if code < 0x10000:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"
