"""The last stage: put the rendered outputs on disk, all at once or not at all.

The site is written into a staging folder beside the output and then exchanged with
the old one in a single rename, so a build that fails or is killed leaves the previous
site exactly as it was, and readers never see half a site. A lock file serializes
concurrent builds of one output folder.

An output that is a symbolic link is built through: the staging, the spare, the lock and
the records sit beside the folder it points to, and the link itself is never touched. A
folder that is a mount point cannot be swapped (the kernel refuses to rename it), so its
files are replaced one by one instead, each atomically.

What a folder holds is recorded with each file's size and modification time, so that a
file changed or deleted by hand since is seen with one stat and never trusted.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import umask, write_file

MARKER = ".digest-site"
MARKER_TEXT = b"This folder is written by digest: every build replaces all of it.\n"
AT_FDCWD = -100
RENAME_EXCHANGE = 2
IN_PLACE_TEMP = ".digest-tmp-"

# What a folder holds, per file: the sha256 of its bytes, its size and its mtime_ns.
Record = tuple[str, int, int]


class WriteError(Exception):
    """The output cannot be written where asked; the message says why."""


@dataclass(frozen=True)
class Written:
    holds: dict[str, str]  # path -> sha256 of the bytes, of every file the site now holds
    notes: list[str] = field(default_factory=list)  # what the editor should know, all true


def check_output(out_dir: Path, protect: Mapping[str, Path | None], content: Path) -> None:
    """Refuse, before anything is touched, an output folder whose replacement would take
    away something a build reads: one that is or holds a path of `protect` (label -> path),
    or lies inside the `content` folder. Real paths are compared, links resolved."""
    real = _real(out_dir)
    for label, path in protect.items():
        if path is None:
            continue
        there = Path(os.path.realpath(path))
        if there == real or real in there.parents:
            verb = "is" if there == real else "holds"
            raise WriteError(
                f"refusing to build into '{out_dir}': it {verb} {label} '{path}', which "
                "every build replaces or deletes; choose another output folder"
            )
    inside = Path(os.path.realpath(content))
    if real == inside or inside in real.parents:
        raise WriteError(
            f"refusing to build into '{out_dir}': it is inside the content folder "
            f"'{content}'; choose an output folder outside it"
        )


def write(
    outputs: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    out_dir: Path,
    keep: Mapping[str, str] | None = None,
) -> Written:
    """Write `outputs` ({path: bytes}, or (path, bytes) pairs as they are made) as the new
    content of `out_dir`, keeping the live site's files named in `keep` (path -> sha256);
    return what it now holds and notes. Raises WriteError if a kept file is not in the
    live site as recorded: `writing` lets the caller make those instead."""
    with writing(out_dir) as staged:
        staged.put_all(outputs.items() if isinstance(outputs, Mapping) else outputs)
        missing = staged.keep(keep or {})
        if missing:
            raise WriteError(f"the live site no longer holds {', '.join(missing)} as recorded")
        return staged.publish()


@contextmanager
def writing(out_dir: Path) -> Iterator[Staged]:
    """The new site of `out_dir`, staged file by file (`Staged`); the live site is not
    touched until `publish()`, and stays as it was if the block ends without it. Builds of
    one output folder take turns here."""
    shown = out_dir
    out_dir = _real(out_dir)
    _check_replaceable(out_dir, shown)
    with ExitStack() as stack:
        with _explained(shown, out_dir):
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(_locked(out_dir))
            staged = Staged(out_dir, shown)
        try:
            yield staged
        finally:
            staged.abandon()


@contextmanager
def _explained(shown: Path, out_dir: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise WriteError(_explain(exc, shown, out_dir)) from exc


class Staged:
    """A new site being written: into the spare (the site replaced last time, brought up
    to date) or, for a mount point, into the live folder itself, one file at a time.
    Files the spare already holds with the same bytes are not written again."""

    def __init__(self, out_dir: Path, shown: Path) -> None:
        self.out_dir, self.shown = out_dir, shown
        self.published = self.swapping = False
        _clean_leftovers(out_dir)
        self.in_place = _is_mount(out_dir)
        self.live_record = _manifest(out_dir, "live")
        recorded = _read_manifest(self.live_record) if out_dir.is_dir() else None
        self.live = recorded.records if recorded is not None else None
        self.live_since = recorded.since if recorded is not None else 0
        self.wanted: dict[str, str] = {}
        self.records: dict[str, Record] = {}
        if self.in_place:
            out_dir.mkdir(exist_ok=True)
            self.live_record.unlink(missing_ok=True)  # wrong from the first file replaced
            _manifest(out_dir, "spare").unlink(missing_ok=True)  # no spare can be swapped in
            shutil.rmtree(_spare(out_dir), ignore_errors=True)
            self.root, known = out_dir, recorded
            self._put: Callable[[Path, bytes], Record] = _put_atomically
        else:
            self.root, known = _take_spare(out_dir)
            self._put = _put
        self.good, others = _survey(self.root, known)
        self.others = set(others)
        self._others_order = others  # deepest first, for the deletions at the end
        self.put(MARKER, MARKER_TEXT)

    def put(self, path: str, data: bytes) -> None:
        """Stage one file of the new site."""
        if path in self.wanted:
            raise ValueError(f"two outputs for one path: {path}")
        digest = hashlib.sha256(data).hexdigest()
        self.wanted[path] = digest
        have = self.good.get(path)
        if have is not None and have[0] == digest:
            self.records[path] = have
            return
        with _explained(self.shown, self.out_dir):
            target = self.root / path
            _make_room(self.root, target, path in self.others)
            self.records[path] = self._put(target, data)

    def put_all(self, outputs: Iterable[tuple[str, bytes]]) -> None:
        """Stage every (path, bytes) as it comes; none is held after it is written."""
        for path, data in outputs:
            self.put(path, data)

    def keep(self, kept: Mapping[str, str]) -> list[str]:
        """Stage the live site's files named in `kept` (path -> sha256 they must have),
        copied from it; return those it does not hold as recorded (changed or deleted by
        hand, or by another build in between), for the caller to make and `put`."""
        missing = []
        for path, digest in sorted(kept.items()):
            if path in self.wanted:
                raise ValueError(f"two outputs for one path: {path}")
            have = self.good.get(path)
            if have is not None and have[0] == digest:
                self.wanted[path] = digest
                self.records[path] = have
                continue
            with _explained(self.shown, self.out_dir):
                record = None if self.in_place else self._copy(path, digest)
            if record is None:
                missing.append(path)
            else:
                self.wanted[path] = digest
                self.records[path] = record
        return missing

    def _copy(self, path: str, digest: str) -> Record | None:
        record = (self.live or {}).get(path)
        source = self.out_dir / path
        if (
            record is None
            or record[0] != digest
            or not _matches(str(source), record, self.live_since)
        ):
            return None
        target = self.root / path
        _make_room(self.root, target, path in self.others)
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:  # gone since it was checked
            target.unlink(missing_ok=True)
            return None
        stat = os.stat(target)
        return (record[0], stat.st_size, stat.st_mtime_ns)

    def paths(self) -> set[str]:
        """Every file staged so far."""
        return set(self.wanted)

    def publish(self) -> Written:
        """Make the staged site the live one; what it holds (path -> sha256), and notes."""
        notes: list[str] = []
        with _explained(self.shown, self.out_dir):
            self._remove_unwanted()
            if self.in_place:
                notes.append(
                    f"'{self.shown}' is a mount point, which cannot be swapped whole: its "
                    "files were replaced one by one, each atomically (a build killed midway "
                    "can leave a mix of old and new files)"
                )
            else:
                # From the swap until the new record is written, the record would be wrong.
                self.live_record.unlink(missing_ok=True)
                self.swapping = True
                _swap(self.root, self.out_dir)
                self.published = True
                notes += self._keep_spare()
            self.published = True
            # The site is published: from here on a failure only loses what the next
            # build could have saved, and is said as such.
            notes += _record(self.live_record, self.records, "it holds", "renders every page again")
        return Written({path: record[0] for path, record in self.records.items()}, notes)

    def _keep_spare(self) -> list[str]:
        # The staging name now holds the previous site: keep it, with what it holds, to
        # bring it up to date next time instead of writing every file again.
        staging = self.root
        if self.live is None or not staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            return []
        notes = _record(
            _manifest(self.out_dir, "spare"), self.live, f"'{staging}' holds", "writes every file"
        )
        if notes:
            shutil.rmtree(staging, ignore_errors=True)  # unrecorded, it is never reused
        return notes

    def abandon(self) -> None:
        """Not published (a problem, an error, an exception): the live site stays as it
        was; the staging folder stays as the spare, recorded as it now is."""
        if self.published or self.in_place:
            return
        if self.swapping:  # it may have half happened: the staging folder is not known
            shutil.rmtree(self.root, ignore_errors=True)
            return
        known = {**self.good, **self.records}
        if _record(_manifest(self.out_dir, "spare"), known, "", ""):
            shutil.rmtree(self.root, ignore_errors=True)

    def _remove_unwanted(self) -> None:
        """Whatever the staged folder holds besides the new site goes, deepest first."""
        root = self.root
        for path in [*self._others_order, *self.good]:
            if path in self.wanted:
                continue
            target = root / path
            try:
                if target.is_dir() and not target.is_symlink():
                    target.rmdir()  # a folder found empty: it may hold wanted files by now
                else:
                    target.unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass  # went with a folder, or made room for a wanted file
            except OSError as exc:
                if exc.errno != errno.ENOTEMPTY:
                    raise
                continue
            folder = target.parent
            while folder != root:  # take away the folders this leaves empty
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent


def live_manifest(out_dir: Path) -> dict[str, str]:
    """What the site in `out_dir` holds, as the build that wrote it recorded it, less any
    file changed or deleted since (path -> sha256; {} if unknown)."""
    out_dir = _real(out_dir)
    recorded = _read_manifest(_manifest(out_dir, "live")) if out_dir.is_dir() else None
    return {path: record[0] for path, record in _verified(out_dir, recorded).items()}


def _record(path: Path, records: Mapping[str, Record], what: str, next_time: str) -> list[str]:
    """Write a manifest; if that fails, a note saying what was not recorded and what it costs."""
    try:
        data = {p: list(record) for p, record in records.items()}
        write_file(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    except OSError as exc:
        path.unlink(missing_ok=True)
        return [
            f"the site was published; could not record what {what} "
            f"({exc.strerror or exc}): the next build {next_time}"
        ]
    return []


def _digest(records: Mapping[str, Record], path: str) -> str | None:
    record = records.get(path)
    return record[0] if record is not None else None


def _manifest(out_dir: Path, which: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{which}.json"


def _spare(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.spare"


@dataclass(frozen=True)
class _Manifest:
    records: dict[str, Record]
    # When it was written: a file whose time is not older may have been changed within the
    # same tick of the file system's clock (a few milliseconds), unseen by its time alone.
    since: int


def _read_manifest(path: Path) -> _Manifest | None:
    try:
        with open(path, "rb") as stream:
            since = os.fstat(stream.fileno()).st_mtime_ns
            data = json.loads(stream.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    records: dict[str, Record] = {}
    for name, record in data.items():
        # Anything else, such as an older version's digests alone, is not known exactly.
        if not (
            isinstance(record, list)
            and len(record) == 3
            and isinstance(record[0], str)
            and all(type(number) is int for number in record[1:])
        ):
            return None
        records[name] = (record[0], record[1], record[2])
    return _Manifest(records, since)


def _verified(root: Path, manifest: _Manifest | None) -> dict[str, Record]:
    """The records that `root` still matches: files changed or deleted since are left out."""
    if manifest is None:
        return {}
    return {
        path: record
        for path, record in manifest.records.items()
        if _matches(os.path.join(root, path), record, manifest.since)
    }


def _matches(path: str, record: Record, since: int, stat: os.stat_result | None = None) -> bool:
    try:
        stat = stat or os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    if not _is_plain_file(stat) or (stat.st_size, stat.st_mtime_ns) != record[1:]:
        return False
    if stat.st_mtime_ns >= since or stat.st_mtime_ns % 1_000_000_000 == 0:
        # Written in the record's last clock tick, or timed in whole seconds (a coarse file
        # system, or a tool that set the time: cp -p, rsync, tar): an edit within that tick
        # or second would not show in the time. Read the bytes.
        try:
            with open(path, "rb") as stream:
                return hashlib.file_digest(stream, "sha256").hexdigest() == record[0]
        except OSError:
            return False
    # An edit that keeps the size and sets the time back to the very nanosecond is not seen.
    return True


def _is_plain_file(stat: os.stat_result) -> bool:
    return (stat.st_mode & 0o170000) == 0o100000


def _take_spare(out_dir: Path) -> tuple[Path, _Manifest | None]:
    """The folder to stage in, and what it holds: the previous site when it is known,
    else a new empty folder."""
    spare = _spare(out_dir)
    recorded = _manifest(out_dir, "spare")
    known = _read_manifest(recorded) if spare.is_dir() else None
    recorded.unlink(missing_ok=True)  # from here on the spare is being changed: never trust it
    if known is None:
        shutil.rmtree(spare, ignore_errors=True)
        spare.mkdir()
        os.chmod(spare, 0o777 & ~umask())  # a site is meant to be read
    return spare, known


def _survey(root: Path, manifest: _Manifest | None) -> tuple[dict[str, Record], list[str]]:
    """What `root` holds as recorded in `known`, and every other entry in it (files it
    holds otherwise, files and links no record names, empty folders), deepest first."""
    known = manifest.records if manifest is not None else {}
    since = manifest.since if manifest is not None else 0
    good: dict[str, Record] = {}
    others: list[str] = []

    def walk(folder: str, prefix: str) -> bool:
        empty = True
        with os.scandir(folder) as entries:
            for entry in entries:
                empty = False
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if walk(entry.path, relative + "/"):
                        others.append(relative)
                    continue
                record = known.get(relative)
                stat = entry.stat(follow_symlinks=False)
                if record is not None and _matches(entry.path, record, since, stat):
                    good[relative] = record
                else:
                    others.append(relative)
        return empty

    walk(str(root), "")
    return good, others


def _make_room(root: Path, target: Path, untrusted: bool) -> None:
    """Take away what stands where the file `target` and its folders must go. A file not
    known to be digest's own is removed, not written through: it may be a link, or share
    its bytes with another file."""
    folder = root
    for part in target.relative_to(root).parts[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif untrusted:
        target.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)


def _put(target: Path, data: bytes) -> Record:
    target.write_bytes(data)
    return _record_of(target, data)


def _put_atomically(target: Path, data: bytes) -> Record:
    # IN_PLACE_TEMP: a build killed midway leaves temporaries the next one knows to remove.
    write_file(target, data, IN_PLACE_TEMP)
    return _record_of(target, data)


def _record_of(target: Path, data: bytes) -> Record:
    stat = os.stat(target)
    return (hashlib.sha256(data).hexdigest(), stat.st_size, stat.st_mtime_ns)


def _real(out_dir: Path) -> Path:
    """The folder a build writes: links (to it or its parents) resolved."""
    try:
        real = Path(os.path.realpath(out_dir, strict=True))
    except FileNotFoundError:
        real = Path(os.path.realpath(out_dir))  # not made yet, or a link to a missing folder
    except OSError as exc:
        raise WriteError(f"cannot write the site to '{out_dir}': {exc.strerror or exc}") from exc
    if real.is_symlink() or real == real.parent:
        raise WriteError(f"cannot write the site to '{out_dir}': it is a loop of links or '/'")
    return real


def _explain(exc: OSError, shown: Path, real: Path) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EBUSY:
        reason += " (a mount point that digest did not recognise as one?)"
    if Path(os.path.abspath(shown)) != real:
        return (
            f"cannot write the site to '{shown}', a link to '{real}': {reason}; digest stages "
            f"the new site, its lock and its records beside that folder, in '{real.parent}', "
            "which must be writable"
        )
    return f"cannot write '{shown}': {reason}"


def _check_replaceable(out_dir: Path, shown: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise WriteError(f"cannot write the site to '{shown}': it is a file")
    if (out_dir / MARKER).exists() or not any(out_dir.iterdir()):
        return
    raise WriteError(
        f"refusing to replace '{shown}': it holds files that digest did not write "
        f"(no {MARKER} file in it); choose another --output or empty that folder"
    )


def _is_mount(folder: Path) -> bool:
    """Whether `folder` is a mount point, including a bind mount within one file system."""
    if not folder.is_dir():
        return False
    if os.path.ismount(folder):
        return True
    try:
        with open("/proc/self/mountinfo", "rb") as stream:
            table = stream.read()
    except OSError:
        return False
    wanted = os.fsencode(folder)
    for line in table.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4 and _unescape(fields[4]) == wanted:
            return True
    return False


def _unescape(field: bytes) -> bytes:
    return re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), field)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _clean_leftovers(out_dir: Path) -> None:
    """Remove what killed builds left; put back a site a killed fallback swap had moved aside."""
    parent, name = out_dir.parent, out_dir.name
    backups = sorted(parent.glob(f".{name}.old-*"))
    if backups and not out_dir.exists():
        os.rename(backups.pop(), out_dir)
    for leftover in [*backups, *parent.glob(f".{name}.tmp-*")]:  # from older versions
        shutil.rmtree(leftover, ignore_errors=True)


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if _exchange(staging, out_dir):
        return
    # No atomic exchange on this system: move the old site aside first. A build killed
    # between the two renames leaves it in .NAME.old-*, and the next build puts it back.
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(backup)
    os.rename(out_dir, backup)
    os.rename(staging, out_dir)
    try:
        os.rename(backup, staging)
    except OSError:  # the new site is live: the old one is only not kept as the spare
        shutil.rmtree(backup, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step with Linux's renameat2; False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
