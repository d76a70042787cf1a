"""The first stage: find the item files, decode and parse them, and date each edition."""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import SiteConfig
from .ledger import LEDGER_NAME, parse_ledger
from .model import EditionFile
from .parse import parse_text, split_lines
from .problems import ConfigErrors, Problem, UsageError, error, warning
from .taxonomy import EMPTY, Taxonomy, parse_taxonomy
from .topics import repeated_terms

ITEM_FILE = re.compile(r"(\d+)_.*\.txt", re.IGNORECASE)
TAXONOMY_NAME = "topics.yaml"
KNOWN_FILES = frozenset({LEDGER_NAME, TAXONOMY_NAME})


@dataclass(frozen=True)
class Loaded:
    editions: tuple[EditionFile, ...]  # by edition number
    problems: tuple[Problem, ...]
    ignored: tuple[str, ...]  # "path: why", for -v
    new_dates: dict[str, datetime] = field(default_factory=dict)  # to record in the ledger
    ledger: dict[str, datetime] = field(default_factory=dict)
    content_writable: bool = True
    taxonomy: Taxonomy = EMPTY


def display(path: Path) -> str:
    """A path as the editor would type it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(content_dir: Path, config: SiteConfig) -> Loaded:
    if not content_dir.is_dir():
        what = "is not a folder" if content_dir.exists() else "does not exist"
        raise UsageError(f"content folder '{display(content_dir)}' {what}")
    taxonomy = load_taxonomy(config)
    problems: list[Problem] = []
    ignored: list[str] = []
    ledger_path = content_dir / LEDGER_NAME
    ledger = _read_ledger(ledger_path, problems)

    by_number: dict[int, str] = {}
    editions: list[EditionFile] = []
    new_dates: dict[str, datetime] = {}
    for path in sorted(content_dir.iterdir(), key=lambda p: p.name):
        match = ITEM_FILE.fullmatch(path.name)
        if not match or not path.is_file() or path.name.startswith("."):
            if path.name not in KNOWN_FILES:
                reason = _why_ignored(path, problems)
                ignored.append(f"{display(path)}: ignored ({reason})")
            continue
        number = int(match.group(1))
        shown = display(path)
        if number in by_number:
            problems.append(
                error(shown, None, f"edition number {number} is also used by {by_number[number]}")
            )
        by_number.setdefault(number, path.name)
        edition, when_new = _read_edition(path, shown, number, ledger, config.tz, problems)
        if edition is None:
            continue
        if when_new is not None:
            new_dates[path.name] = when_new
        editions.append(edition)
    editions.sort(key=lambda e: (e.number, e.name))
    return Loaded(
        editions=tuple(editions),
        problems=tuple(problems),
        ignored=tuple(ignored),
        new_dates=new_dates,
        ledger=ledger,
        content_writable=_writable(content_dir),
        taxonomy=taxonomy,
    )


def load_taxonomy(config: SiteConfig) -> Taxonomy:
    """The topics file; without one (and none named in site.yaml) items get no topics."""
    path = config.taxonomy_file
    shown = display(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if config.taxonomy is None:
            return EMPTY
        raise ConfigErrors([error(shown, None, "topics file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigErrors([error(shown, None, f"cannot read: {exc}")]) from None
    taxonomy, problems = parse_taxonomy(text, shown, config.language)
    problems += repeated_terms(taxonomy, shown)
    if problems:
        raise ConfigErrors(problems)
    return taxonomy


def _why_ignored(path: Path, problems: list[Problem]) -> str:
    if path.is_dir():
        return "a folder"
    if path.name.startswith("."):
        return "a hidden file"
    if path.suffix.lower() == ".txt":
        # Most likely an item file whose number was forgotten: never drop it silently.
        problems.append(
            warning(
                display(path),
                None,
                "not read: item files are named NNN_name.txt (e.g. 001_news.txt)",
            )
        )
        return "not named NNN_name.txt"
    return "not an item file"


def _read_ledger(path: Path, problems: list[Problem]) -> dict[str, datetime]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(error(display(path), None, f"cannot read the date ledger: {exc}"))
        return {}
    dates, ledger_problems = parse_ledger(text, display(path))
    problems.extend(ledger_problems)
    return dates


def _read_edition(
    path: Path,
    shown: str,
    number: int,
    ledger: dict[str, datetime],
    tz: ZoneInfo,
    problems: list[Problem],
) -> tuple[EditionFile | None, datetime | None]:
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        problems.append(error(shown, None, f"cannot read: {exc.strerror or exc}"))
        return None, None
    text = decode(data, shown, problems)
    parsed = parse_text(text, shown)
    problems.extend(parsed.problems)
    if not parsed.items and not any(p.severity == "error" for p in parsed.problems):
        problems.append(warning(shown, None, "no items in this file"))
    new_date = None
    if parsed.date is not None:
        when = _as_datetime(parsed.date, tz)
    elif path.name in ledger:
        when = ledger[path.name]
    else:
        # In the form the ledger will give it back (a fixed UTC offset), so that the first
        # build and the next model the same date the same way.
        local = datetime.fromtimestamp(int(mtime), tz)
        when = new_date = datetime.fromisoformat(local.isoformat())
    edition = EditionFile(
        number=number,
        name=path.name,
        path=shown,
        title=parsed.title,
        date=when,
        items=parsed.items,
    )
    return edition, new_date


def _as_datetime(value: date | datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def decode(data: bytes, shown: str, problems: list[Problem]) -> str:
    """UTF-8 (with or without a byte-order mark); anything else is read and reported."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                break
            problems.append(
                warning(shown, None, "saved as UTF-16; read as such (save it as UTF-8)")
            )
            return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(split_lines(data[: exc.start].decode("latin-1") + "x"))
        problems.append(
            warning(
                shown,
                line,
                f"not valid UTF-8 (byte 0x{data[exc.start]:02X}); the file was read as "
                "Windows-1252: check its accented letters and save it as UTF-8",
            )
        )
        return data.decode("cp1252", errors="replace")


def _writable(folder: Path) -> bool:
    # Write bits are checked too: root may write anywhere, but a folder made read-only
    # means "do not touch", and a build must honour that.
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(stat.S_IMODE(mode) & 0o222) and os.access(folder, os.W_OK)
