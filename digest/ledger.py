"""The date ledger: the publication date of each edition, recorded by the first build that saw it.

A file's modification time changes with every clone or copy; the ledger, committed
with the content, does not. So an item's date, once published, never moves.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from .problems import Problem, error
from .yamlfile import load_mapping

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
                    f"such as 2026-11-26T08:00:00+01:00, got {entry.value!r}",
                )
            )
            continue
        dates[name] = value
    return dates, problems


def format_ledger(dates: dict[str, datetime]) -> str:
    lines = [f"{_quote(name)}: {when.isoformat()}" for name, when in sorted(dates.items())]
    return HEADER + "\n".join(lines) + "\n"


def _quote(name: str) -> str:
    # File names are quoted so that YAML reads them back as the same strings whatever they hold.
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
