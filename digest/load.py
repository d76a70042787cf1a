"""The first stage: find the item files, decode and parse them, and date each edition.

Parsing is most of what this stage costs; a file's parse depends only on its bytes and
on the name it is shown by. So `load` may be given what files gave when read before
(`Read`, by file name), and takes a file's from there instead of reading it again; it
returns every file's (`Loaded.reads`), known or new.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import SiteConfig
from .ledger import LEDGER_NAME, parse_ledger
from .model import EditionFile
from .parse import (
    FIRST_YEAR,
    LAST_YEAR,
    ParsedFile,
    date_out_of_range,
    parse_text,
    split_lines,
)
from .problems import ConfigErrors, Problem, UsageError, display, error, warning
from .reading import NotRead, read_file, system_root
from .sendledger import SENT_NAME
from .taxonomy import EMPTY, Taxonomy, parse_taxonomy
from .topics import merge_repeated
from .urlledger import URLS_NAME, parse_urls

ITEM_FILE = re.compile(r"(\d+)_.*\.txt", re.IGNORECASE | re.DOTALL)
TAXONOMY_NAME = "topics.yaml"
KNOWN_FILES = frozenset({LEDGER_NAME, TAXONOMY_NAME, URLS_NAME, SENT_NAME})


@dataclass(frozen=True)
class Read:
    """What an item file gave when it was read: the digest of its bytes, its text parsed,
    and the problems decoding them found, all as shown by `shown`."""

    digest: bytes
    shown: str
    parsed: ParsedFile
    problems: tuple[Problem, ...]  # decoding's (parsing's are in `parsed`)


def file_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class Loaded:
    editions: tuple[EditionFile, ...]  # by edition number
    problems: tuple[Problem, ...]
    ignored: tuple[str, ...]  # "path: why", for -v
    new_dates: dict[str, datetime] = field(default_factory=dict)  # to record in the ledger
    ledger: dict[str, datetime] = field(default_factory=dict)
    content_writable: bool = True
    taxonomy: Taxonomy = EMPTY
    urls: dict[str, str] = field(default_factory=dict)  # the URL ledger: item id -> path
    # No URL ledger yet, but a date ledger: an earlier digest published this site, and
    # its items keep the addresses it gave them (see digest/urlledger.py).
    legacy_urls: bool = False
    notes: tuple[str, ...] = ()  # said once per build, not problems
    held: tuple[HeldBack, ...] = ()  # left out of this build (see hold_back)
    reads: dict[str, Read] = field(default_factory=dict)  # by file name, every item file's


def load(
    content_dir: Path,
    config: SiteConfig,
    now: datetime | None = None,
    known: Mapping[str, Read] | None = None,
) -> Loaded:
    """`now` (aware) caps the dates taken from files' modification times: a file stamped
    in the future (a skewed clock, an archive) is dated now, never scheduled by accident.
    `known` holds what files whose bytes are unchanged gave, by name."""
    if not content_dir.is_dir():
        what = "is not a folder" if content_dir.exists() else "does not exist"
        raise UsageError(f"content folder '{display(content_dir)}' {what}")
    root = system_root(content_dir)
    if root is not None:
        raise UsageError(
            f"content folder '{display(content_dir)}' is under {root}, which holds the "
            "system's state, not content: digest does not read there"
        )
    taxonomy, taxonomy_warnings = _load_taxonomy(config)
    problems: list[Problem] = list(taxonomy_warnings)
    ignored: list[str] = []
    ledger_path = content_dir / LEDGER_NAME
    ledger, dated = _read_ledger(ledger_path, content_dir, problems)
    urls, recorded = _read_urls(content_dir / URLS_NAME, content_dir, problems)

    by_number: dict[int, str] = {}
    editions: list[EditionFile] = []
    new_dates: dict[str, datetime] = {}
    reads: dict[str, Read] = {}
    for path in sorted(content_dir.iterdir(), key=lambda p: p.name):
        if path.name in KNOWN_FILES:
            continue
        match = ITEM_FILE.fullmatch(path.name)
        if not match or not path.name.isprintable() or path.name.startswith("."):
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
        read = (known or {}).get(path.name)
        edition, when_new, read = _read_edition(
            path, content_dir, shown, number, ledger, config.tz, problems, now, read
        )
        if read is not None:
            reads[path.name] = read
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
        urls=urls,
        legacy_urls=dated and not recorded,
        notes=_taxonomy_notes(config, taxonomy),
        reads=reads,
    )


def _taxonomy_notes(config: SiteConfig, taxonomy: Taxonomy) -> tuple[str, ...]:
    # Only a missing default file: one named in site.yaml is an error when missing.
    if taxonomy is not EMPTY or config.taxonomy is not None:
        return ()
    return (
        f"no {TAXONOMY_NAME} in {display(config.content)}/: items are not tagged; "
        "`digest init` writes one",
    )


@dataclass(frozen=True)
class HeldBack:
    """An edition left out of this build: a draft, or one dated after the build's time."""

    edition: EditionFile
    scheduled: bool  # False: a draft

    def describe(self) -> str:
        """Its line for -v."""
        if self.scheduled:
            when = self.edition.date.isoformat(" ", "minutes")
            return (
                f"{self.edition.path}: held back (scheduled for {when}: published by the "
                "first build from then on, or now with --future)"
            )
        return f"{self.edition.path}: held back (a draft: shown by --drafts and digest serve)"


def hold_back(loaded: Loaded, now: datetime, drafts: bool = False, future: bool = False) -> Loaded:
    """The content as this build publishes it, and in `held` the editions it leaves out
    (--drafts shows every draft, whatever its date; --future every dated edition). A draft,
    even shown, records no date: it is dated when it is published, not when previewed."""
    held = tuple(
        HeldBack(e, scheduled=not e.draft)
        for e in loaded.editions
        if (e.draft and not drafts) or (not e.draft and e.date > now and not future)
    )
    left_out = {h.edition.name for h in held}
    unrecorded = left_out | {e.name for e in loaded.editions if e.draft}
    return replace(
        loaded,
        editions=tuple(e for e in loaded.editions if e.name not in left_out),
        new_dates={name: when for name, when in loaded.new_dates.items() if name not in unrecorded},
        held=held,
    )


def load_taxonomy(config: SiteConfig) -> Taxonomy:
    """The topics file; without one (and none named in site.yaml) items get no topics."""
    return _load_taxonomy(config)[0]


def _load_taxonomy(config: SiteConfig) -> tuple[Taxonomy, list[Problem]]:
    """The topics file and its warnings; its errors are raised (the build cannot tag)."""
    path = config.taxonomy_file
    shown = display(path)
    # In the content folder, the folder's policy (its links stay inside it); a topics file
    # named by the editor elsewhere may be anywhere, but is still only ever a regular file.
    inside = _within(path.parent, config.content)
    try:
        text = read_file(path, config.content if inside else None).decode("utf-8-sig")
    except FileNotFoundError:
        if config.taxonomy is None:
            return EMPTY, []
        raise ConfigErrors([error(shown, None, "topics file not found")]) from None
    except NotRead as exc:
        raise ConfigErrors([error(shown, None, f"not read: {exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigErrors([error(shown, None, f"cannot read: {exc}")]) from None
    taxonomy, problems = parse_taxonomy(text, shown, config.language)
    taxonomy, repeated = merge_repeated(taxonomy, shown)
    problems += repeated
    if any(problem.severity == "error" for problem in problems):
        raise ConfigErrors(problems)
    return taxonomy, problems


def _within(path: Path, folder: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip("/") + "/")


def _why_ignored(path: Path, problems: list[Problem]) -> str:
    name = path.name
    if name.startswith("."):
        return "a hidden file"
    # What the name would be without its invisible parts: if that is an item file's name,
    # the editor meant one, and it must not be lost unnoticed.
    visible = "".join(char for char in name if char.isprintable() and not char.isspace())
    if ITEM_FILE.fullmatch(visible):
        if not name.isprintable():
            problems.append(
                error(
                    display(path),
                    None,
                    "not read: its name holds a line break, a control or invisible "
                    "character, or bytes that are not UTF-8: rename it",
                )
            )
            return "a name that cannot be recorded"
        tidy = _tidy(name)
        rename = f" (to '{tidy}')" if ITEM_FILE.fullmatch(tidy) and tidy.isprintable() else ""
        problems.append(
            error(
                display(path),
                None,
                f"not read: the name '{name}' has white space around its number or "
                f"its '.txt': rename it{rename}",
            )
        )
        return "white space in its name"
    if path.is_dir():
        return "a folder"
    if visible.lower().endswith(".txt"):
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


def _tidy(name: str) -> str:
    name = re.sub(r"^(\d+)\s+_", r"\1_", name.strip())
    return re.sub(r"\s*\.\s*(txt)$", r".\1", name, flags=re.IGNORECASE)


def _read_ledger(
    path: Path, folder: Path, problems: list[Problem]
) -> tuple[dict[str, datetime], bool]:
    """The date ledger's dates, and whether the file is there (even if it is not read)."""
    try:
        text = read_file(path, folder).decode("utf-8-sig")
    except FileNotFoundError:
        return {}, False
    except NotRead as exc:
        problems.append(error(display(path), None, f"date ledger not read: {exc}"))
        return {}, True
    except UnicodeDecodeError as exc:
        problems.append(error(display(path), None, f"cannot read the date ledger: {exc}"))
        return {}, True
    dates, ledger_problems = parse_ledger(text, display(path))
    problems.extend(ledger_problems)
    return dates, True


def _read_urls(path: Path, folder: Path, problems: list[Problem]) -> tuple[dict[str, str], bool]:
    """The URL ledger's paths, and whether the file is there (even if it is not read)."""
    try:
        text = read_file(path, folder).decode("utf-8-sig")
    except FileNotFoundError:
        return {}, False
    except NotRead as exc:
        problems.append(error(display(path), None, f"URL ledger not read: {exc}"))
        return {}, True
    except UnicodeDecodeError as exc:
        problems.append(error(display(path), None, f"cannot read the URL ledger: {exc}"))
        return {}, True
    urls, url_problems = parse_urls(text, display(path))
    problems.extend(url_problems)
    return urls, True


def _read_edition(
    path: Path,
    folder: Path,
    shown: str,
    number: int,
    ledger: dict[str, datetime],
    tz: ZoneInfo,
    problems: list[Problem],
    now: datetime | None = None,
    read: Read | None = None,
) -> tuple[EditionFile | None, datetime | None, Read | None]:
    try:
        if read is None or read.shown != shown:
            data = read_file(path, folder)
            read = None
        mtime = path.stat().st_mtime  # the file's, or the in-folder file its link leads to
    except (NotRead, OSError) as exc:
        # Named like an item file but not readable as one: an error, so that no item is
        # ever lost without the editor hearing of it.
        reason = exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else exc
        problems.append(error(shown, None, f"not read: {reason}"))
        return None, None, None
    if read is None:
        decoding: list[Problem] = []
        text = decode(data, shown, decoding)
        read = Read(file_digest(data), shown, parse_text(text, shown), tuple(decoding))
    parsed = read.parsed
    problems.extend(read.problems)
    problems.extend(parsed.problems)
    if not parsed.items and not any(p.severity == "error" for p in parsed.problems):
        problems.append(warning(shown, None, "no items in this file"))
    new_date = None
    if parsed.date is not None:
        when = _as_datetime(parsed.date, tz)
    elif path.name in ledger:
        when = ledger[path.name]
    else:
        local = _file_time(mtime, tz)
        if local is None:
            problems.append(
                error(
                    shown,
                    None,
                    f"its modification time ({mtime:.0f} s after 1970) is not a date between "
                    f"the years {FIRST_YEAR} and {LAST_YEAR}: give the edition a 'date:' in its front matter "
                    "or in dates.yaml, or touch the file",
                )
            )
            return None, None, read
        if now is not None and local > now:
            local = now.astimezone(tz)
        # In the form the ledger will give it back (a fixed UTC offset), so that the first
        # build and the next model the same date the same way.
        when = new_date = datetime.fromisoformat(local.isoformat())
    edition = EditionFile(
        number=number,
        name=path.name,
        path=shown,
        title=parsed.title,
        date=when,
        items=parsed.items,
        draft=parsed.draft,
    )
    return edition, new_date, read


def _file_time(mtime: float, tz: ZoneInfo) -> datetime | None:
    """A modification time as a date in the site's zone, or None when it is not a sane one."""
    try:
        local = datetime.fromtimestamp(int(mtime), tz)
    except (OverflowError, OSError, ValueError):  # beyond what the platform's time can hold
        return None
    return None if date_out_of_range(local) else local


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
