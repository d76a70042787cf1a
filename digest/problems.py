"""Problems found in content or configuration, and how they are shown to the editor."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    severity: Severity
    message: str

    def __str__(self) -> str:
        # Escaped here, whatever the file name or the message holds: one problem, one line.
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(f"{where}: {self.severity}: {self.message}")


def printable(text: str) -> str:
    """`text` with every character that is not printable escaped (\\n, \\x01, \\u2028 …).

    A byte that was not UTF-8 in a file name (os.listdir gives it as a lone surrogate,
    U+DC80 to U+DCFF) is shown as that byte, \\xNN. Backslashes are left as they are, so
    that escaping twice changes nothing.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    short = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if short is not None:
        return short
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def error(file: str, line: int | None, message: str) -> Problem:
    return Problem(file, line, "error", message)


def warning(file: str, line: int | None, message: str) -> Problem:
    return Problem(file, line, "warning", message)


def _natural(text: str) -> tuple[object, ...]:
    # "9_x.txt" before "10_x.txt", as the editor numbers them.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems by file (in natural order) then line; file-level ones first in their file."""
    return sorted(
        problems,
        key=lambda p: (_natural(p.file), p.line if p.line is not None else 0),
    )


def count_line(problems: Iterable[Problem]) -> str:
    problems = list(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def has_errors(problems: Iterable[Problem], strict: bool = False) -> bool:
    return any(p.severity == "error" or strict for p in problems)


class UsageError(Exception):
    """A problem with how digest was called (missing folder, bad config): exit code 2."""


class ConfigErrors(UsageError):
    """A configuration file (site.yaml, topics.yaml) has errors, each a Problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the configuration")
        self.problems = problems


def display(path: Path) -> str:
    """A path as the editor would type it: relative to the working folder when inside it.

    Characters that are not printable (a line break, a control character, a byte that was
    not UTF-8) are shown escaped, so that a message about the file stays on one line.
    """
    try:
        return printable(str(path.relative_to(Path.cwd())))
    except ValueError:
        return printable(str(path))
