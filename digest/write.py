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
file changed or deleted by hand since is seen with one stat and never trusted, and with
each folder's modification time, which any change to its entries sets: only the folders
changed since are listed to find what else they hold. One such pass per build, over the
folder staged in (the spare), under the lock. The records are columns in a binary file
(`_encode`), read with a few whole-buffer operations: for 100,000 files, JSON took ~50 MB
and longer to parse than the pass takes; one an older version wrote is not trusted.

Files kept from the live site are hard-linked into the staging folder where the file
system allows (copied where not), so the live site and the spare share files: nothing is
ever written through a file in the staging folder; it is replaced.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import re
import shutil
import stat as stat_module
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .atomic import umask, write_file
from .urls import folders_above

MARKER = ".digest-site"
MARKER_TEXT = b"This folder is written by digest: every build replaces all of it.\n"
AT_FDCWD = -100
RENAME_EXCHANGE = 2
IN_PLACE_TEMP = ".digest-tmp-"
# A manifest's first bytes: any other (an older version's JSON) is not known, so nothing
# in it is trusted.
MANIFEST_MAGIC = b"digest manifest 2\n"
# Then: how many files, the length of their paths, how many folders, that of their names;
# then in columns, each read whole: the paths (UTF-8, NUL between), the sha256s (32 bytes
# each), the sizes, the mtime_ns (8 bytes each, little-endian), the folders' names and
# their mtime_ns.
MANIFEST_HEADER = struct.Struct("<4Q")
DIGEST_LENGTH = 64  # a sha256 in hex

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
            staged.let_go()


@contextmanager
def _explained(shown: Path, out_dir: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise WriteError(_explain(exc, shown, out_dir)) from exc


class Staged:
    """A new site being written: into the spare (the site replaced last time, brought up
    to date) or, for a mount point, into the live folder itself, one file at a time.
    Files the spare already holds with the same bytes are not written again.

    The spare may share files with the live site (a kept file is linked, not copied): so
    nothing is ever written through a file that is there, it is replaced."""

    def __init__(self, out_dir: Path, shown: Path) -> None:
        self.out_dir, self.shown = out_dir, shown
        self.published = self.swapping = False
        _clean_leftovers(out_dir)
        self.in_place = _is_mount(out_dir)
        self.live_record = _manifest(out_dir, "live")
        self._live: _Manifest | None = None
        self._live_read = False
        self.wanted: dict[str, str] = {}  # path -> sha256, of every file staged
        # The record of each file staged that is not the spare's (`good`) as it was.
        self.records: dict[str, Record] = {}
        self.linking = True  # until the file system refuses a hard link
        if self.in_place:
            out_dir.mkdir(exist_ok=True)
            known = _read_manifest(self.live_record)
            self.live_record.unlink(missing_ok=True)  # wrong from the first file replaced
            _manifest(out_dir, "spare").unlink(missing_ok=True)  # no spare can be swapped in
            shutil.rmtree(_spare(out_dir), ignore_errors=True)
            self.root = out_dir
            self._put: Callable[[Path, bytes, str], Record] = _put_atomically
        else:
            self.root, known = _take_spare(out_dir)
            self._put = _put
        self.prefix = str(self.root) + "/"
        self.live_prefix = str(out_dir) + "/"
        survey = _survey(self.root, known)
        self.known = known
        # Files of the staged folder as recorded in `known` (path -> their place in it) and
        # untouched since: one the build replaces or removes leaves it.
        self.good, self._others = survey.good, survey.others
        # Folders known to be real folders now, with the time each was seen to have.
        self.seen = survey.folders
        self.ready = set(survey.folders)
        self.ready.add("")
        self.touched: set[str] = set()  # folders whose entries this build changed
        # Folders this build made, empty but for what it put there since.
        self.made: set[str] = {""} if known is None and not self.in_place else set()
        self.put(MARKER, MARKER_TEXT)

    def live(self) -> _Manifest | None:
        """The live site's record, read once, when first needed."""
        if not self._live_read:
            self._live_read = True
            if not self.in_place and self.out_dir.is_dir():
                self._live = _read_manifest(self.live_record, folders_too=False)
        return self._live

    def put(self, path: str, data: bytes) -> None:
        """Stage one file of the new site."""
        if path in self.wanted:
            raise ValueError(f"two outputs for one path: {path}")
        digest = hashlib.sha256(data).hexdigest()
        self.wanted[path] = digest
        if self._held(path, digest):
            return
        with _explained(self.shown, self.out_dir):
            self._clear(path)
            self.records[path] = self._put(self.root / path, data, digest)

    def put_all(self, outputs: Iterable[tuple[str, bytes]]) -> None:
        """Stage every (path, bytes) as it comes; none is held after it is written."""
        for path, data in outputs:
            self.put(path, data)

    def keep(self, kept: Mapping[str, str]) -> list[str]:
        """Stage the live site's files named in `kept` (path -> sha256 they must have),
        linked (or copied) from it; return those it does not hold as recorded (changed or
        deleted by hand, or by another build in between), for the caller to make and `put`."""
        missing = []
        wanted, records, good = self.wanted, self.records, self.good
        digests = self.known.digests if self.known is not None else ""
        for path, digest in sorted(kept.items()):
            if path in wanted:
                raise ValueError(f"two outputs for one path: {path}")
            at = good.get(path)  # as Staged._held, inline: this runs for every file kept
            if at is not None and digests[at * DIGEST_LENGTH : (at + 1) * DIGEST_LENGTH] == digest:
                wanted[path] = digest
                continue
            with _explained(self.shown, self.out_dir):
                record = None if self.in_place else self._take(path, digest)
            if record is None:
                missing.append(path)
            else:
                wanted[path] = digest
                records[path] = record
        return missing

    def _held(self, path: str, digest: str) -> bool:
        """Whether the staged folder holds the file at `path` with `digest`, as recorded."""
        at = self.good.get(path)
        if at is None or self.known is None:
            return False
        return self.known.digests[at * DIGEST_LENGTH : (at + 1) * DIGEST_LENGTH] == digest

    def _take(self, path: str, digest: str) -> Record | None:
        """The live site's file at `path`, staged if it is as recorded with `digest`."""
        live = self._live if self._live_read else self.live()
        at = live.index.get(path) if live is not None else None
        if live is None or at is None or live.digest(at) != digest:
            return None
        record = (digest, live.sizes[at], live.mtimes[at])
        source = self.live_prefix + path
        target = self.prefix + path
        self._clear(path)
        if self.linking:
            try:
                os.link(source, target, follow_symlinks=False)
            except FileNotFoundError:  # gone since it was recorded
                return None
            except OSError as exc:
                if exc.errno != errno.EMLINK:  # this file has too many names; others may not
                    self.linking = False  # not on this file system, or not allowed
            else:
                # The very file linked is checked: one changed by hand in the live site
                # since it was recorded is not kept.
                if _matches(target, record, live.since):
                    return record
                os.unlink(target)
                return None
        if not _matches(source, record, live.since):
            return None
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:  # gone since it was checked
            Path(target).unlink(missing_ok=True)
            return None
        stat = os.stat(target)
        return (record[0], stat.st_size, stat.st_mtime_ns)

    def _clear(self, path: str) -> None:
        """Make way for a new file at `path`: its folders made (what stands in their way
        removed), and whatever is at `path` itself removed, never written through: it may
        be a link, or a file the live site shares."""
        folder = path.rpartition("/")[0]
        if folder not in self.ready:  # (checked here too: this runs for every file staged)
            self._ready(folder)
        self.touched.add(folder)  # a file is about to be made in it
        self.good.pop(path, None)  # whatever it was, it is not as recorded from here on
        if folder in self.made:
            return  # made by this build, empty but for the new site's files
        target = self.prefix + path
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        except OSError:
            if not os.path.isdir(target) or os.path.islink(target):
                raise
            shutil.rmtree(target)
            inside = path + "/"
            self.ready = {f for f in self.ready if f != path and not f.startswith(inside)}

    def _ready(self, folder: str) -> None:
        """Make `folder` (relative to the root) a real folder, with its parents."""
        if folder in self.ready:
            return
        parent = folder.rpartition("/")[0]
        self._ready(parent)
        path = self.prefix + folder
        try:
            os.mkdir(path)
            self.made.add(folder)
        except FileExistsError:
            if not stat_module.S_ISDIR(os.lstat(path).st_mode):
                os.unlink(path)  # a file or a link where a folder must be
                os.mkdir(path)
                self.made.add(folder)
        self.touched.add(parent)
        self.touched.add(folder)
        self.ready.add(folder)

    def paths(self) -> set[str]:
        """Every file staged so far."""
        return set(self.wanted)

    def publish(self) -> Written:
        """Make the staged site the live one; what it holds (path -> sha256), and notes."""
        notes: list[str] = []
        with _explained(self.shown, self.out_dir):
            self._remove_unwanted()
            held = folders_above(self.wanted)
            # Folders that hold no file of the site go: made for a file not kept after all,
            # or emptied by hand (the others went with _remove_unwanted).
            empty = (self.touched | self.seen.keys()) - held - {""}
            for folder in sorted(empty, key=_depth, reverse=True):
                with suppress(OSError):
                    os.rmdir(self.prefix + folder)
                    self.touched.add(folder.rpartition("/")[0])
            folders = self._times(held)
            if self.in_place:
                notes.append(
                    f"'{self.shown}' is a mount point, which cannot be swapped whole: its "
                    "files were replaced one by one, each atomically (a build killed midway "
                    "can leave a mix of old and new files)"
                )
            else:
                notes += self._swap_in()
            self.published = True
            # The site is published: from here on a failure only loses what the next
            # build could have saved, and is said as such.
            notes += _record(
                self.live_record,
                self._columns(self.wanted, "".join(self.wanted.values())),
                folders,
                "it holds",
                "renders every page again",
            )
        return Written(self.wanted, notes)

    def _columns(self, paths: Iterable[str], digests: str | None = None) -> _Columns:
        """The records of `paths`, each staged (`records`) or in the staged folder as
        recorded (`good`: the two never share a path); `digests` theirs, if known."""
        records, good = self.records, self.good
        known = self.known or _Manifest([], "", array("q"), array("q"), {}, 0)
        names = list(paths)
        pieces: list[str] = []
        sizes: array[int] = array("q")
        mtimes: array[int] = array("q")
        # Run for every file of the site at each build: names bound once.
        get, add_size, add_mtime, add_piece = good.get, sizes.append, mtimes.append, pieces.append
        known_sizes, known_mtimes, known_digest = known.sizes, known.mtimes, known.digest
        for path in names:
            at = get(path)
            if at is None:
                record = records[path]
                add_size(record[1])
                add_mtime(record[2])
                if digests is None:
                    add_piece(record[0])
            else:
                add_size(known_sizes[at])
                add_mtime(known_mtimes[at])
                if digests is None:
                    add_piece(known_digest(at))
        return _Columns(names, "".join(pieces) if digests is None else digests, sizes, mtimes)

    def _swap_in(self) -> list[str]:
        """Exchange the staged site with the live one; the live one is kept as the spare.
        (A method of its own: the old record's bytes are let go before the new is made.)"""
        previous = _read_bytes(self.live_record)
        # From the swap until the new record is written, the record would be wrong.
        self.live_record.unlink(missing_ok=True)
        self.swapping = True
        _swap(self.root, self.out_dir)
        self.published = True
        return self._keep_spare(previous)

    def _keep_spare(self, previous: tuple[bytes, int] | None) -> list[str]:
        # The staging name now holds the previous site: keep it, with the record of what it
        # holds (the live site's, as written then: the next build checks it file by file),
        # to bring it up to date next time instead of writing every file again.
        staging = self.root
        if previous is None or not staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            return []
        data, since = previous
        spare = _manifest(self.out_dir, "spare")
        notes = _write_record(spare, data, since, f"'{staging}' holds", "writes every file")
        if notes:
            shutil.rmtree(staging, ignore_errors=True)  # unrecorded, it is never reused
        return notes

    def let_go(self) -> None:
        """Drop what the staging needed (the records read, the folders seen): the caller
        may keep this object while it saves what it made, when memory is at its peak."""
        self.known = self._live = None
        self.good, self.records, self.seen = {}, {}, {}
        self.ready, self.touched, self.made = set(), set(), set()
        self._others = []

    def abandon(self) -> None:
        """Not published (a problem, an error, an exception): the live site stays as it
        was; the staging folder stays as the spare, recorded as it now is."""
        if self.published or self.in_place:
            return
        if self.swapping:  # it may have half happened: the staging folder is not known
            shutil.rmtree(self.root, ignore_errors=True)
            return
        known = [*self.good, *self.records]  # the two never share a path
        # A folder that may hold something unknown (a stray found in it, a file half
        # written, a folder made for nothing) is not recorded: the next build lists it.
        unknown = self.touched.union(path.rpartition("/")[0] for path in self._others)
        seen = self.seen
        folders = {
            folder: seen[folder]
            for folder in folders_above(known)
            if folder in seen and folder not in unknown
        }
        if _record(_manifest(self.out_dir, "spare"), self._columns(known), folders, "", ""):
            shutil.rmtree(self.root, ignore_errors=True)

    def _times(self, folders: Iterable[str]) -> dict[str, int]:
        """Each of `folders` with its time: as seen before if this build did not change
        its entries, else as it is now. A folder found with its recorded time holds what it
        held then (every change to its entries sets its time)."""
        seen, touched, prefix = self.seen, self.touched, self.prefix
        times: dict[str, int] = {}
        for folder in folders:
            mtime = seen.get(folder) if folder not in touched else None
            times[folder] = mtime if mtime is not None else os.lstat(prefix + folder).st_mtime_ns
        return times

    def _remove_unwanted(self) -> None:
        """Whatever the staged folder holds besides the new site goes, deepest first."""
        root, wanted = self.root, self.wanted
        for path in [*self._others, *(path for path in self.good if path not in wanted)]:
            if path in wanted:
                continue
            target = root / path
            try:
                if target.is_dir() and not target.is_symlink():
                    target.rmdir()  # a folder found empty: it may hold wanted files by now
                else:
                    target.unlink()
            except (FileNotFoundError, NotADirectoryError):
                continue  # went with a folder, or made room for a wanted file
            except OSError as exc:
                if exc.errno != errno.ENOTEMPTY:
                    raise
                continue
            relative = path.rpartition("/")[0]
            self.touched.add(relative)
            folder = target.parent
            while folder != root:  # take away the folders this leaves empty
                try:
                    folder.rmdir()
                except OSError:
                    break
                relative = relative.rpartition("/")[0]
                self.touched.add(relative)
                folder = folder.parent


def live_manifest(out_dir: Path) -> dict[str, str]:
    """What the site in `out_dir` holds, as the build that wrote it recorded it (path ->
    sha256; {} if unknown). Not checked against the files: the writer checks each file it
    keeps (`Staged.keep`), and returns those changed or deleted since as missing."""
    out_dir = _real(out_dir)
    recorded = (
        _read_manifest(_manifest(out_dir, "live"), folders_too=False) if out_dir.is_dir() else None
    )
    if recorded is None:
        return {}
    return dict(zip(recorded.paths, recorded.digest_list(), strict=True))


def _record(
    path: Path, records: _Columns, folders: Mapping[str, int], what: str, next_time: str
) -> list[str]:
    """Write a manifest; if that fails, a note saying what was not recorded and what it costs."""
    return _write_record(path, _encode(records, folders), None, what, next_time)


def _write_record(
    path: Path, data: bytes, since: int | None, what: str, next_time: str
) -> list[str]:
    try:
        write_file(path, data)
        if since is not None:  # written again: the time it was first written is its own
            os.utime(path, ns=(since, since))
    except OSError as exc:
        path.unlink(missing_ok=True)
        return [
            f"the site was published; could not record what {what} "
            f"({exc.strerror or exc}): the next build {next_time}"
        ]
    return []


def _read_bytes(path: Path) -> tuple[bytes, int] | None:
    """A file's bytes and modification time, or None if it cannot be read."""
    try:
        with open(path, "rb") as stream:
            return stream.read(), os.fstat(stream.fileno()).st_mtime_ns
    except OSError:
        return None


def _depth(path: str) -> int:
    return path.count("/")


def _manifest(out_dir: Path, which: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{which}.record"


def _spare(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.spare"


@dataclass(frozen=True)
class _Columns:
    """Records as columns: the i-th file is paths[i], with the i-th digest, size and time.
    For 100,000 files, a dict of tuples took ~50 MB and longer to read than to stat them."""

    paths: list[str]
    digests: str  # DIGEST_LENGTH characters a file
    sizes: array[int]
    mtimes: array[int]

    def digest(self, at: int) -> str:
        return self.digests[at * DIGEST_LENGTH : (at + 1) * DIGEST_LENGTH]

    def digest_list(self) -> list[str]:
        digests = self.digests
        ends = range(DIGEST_LENGTH, len(digests) + 1, DIGEST_LENGTH)
        return list(
            map(digests.__getitem__, map(slice, range(0, len(digests), DIGEST_LENGTH), ends))
        )


@dataclass(frozen=True)
class _Manifest(_Columns):
    # Each folder's mtime_ns (its entries last changed), as seen once all was written: one
    # found with that time still holds just what it held then, and need not be listed.
    folders: dict[str, int]
    # When it was written: a file whose time is not older may have been changed within the
    # same tick of the file system's clock (a few milliseconds), unseen by its time alone.
    since: int

    @cached_property
    def index(self) -> dict[str, int]:
        """Each path's place in the columns (made when first looked up)."""
        return dict(zip(self.paths, range(len(self.paths)), strict=True))

    def get(self, path: str) -> Record | None:
        at = self.index.get(path)
        if at is None:
            return None
        return (self.digest(at), self.sizes[at], self.mtimes[at])


def _encode(records: _Columns, folders: Mapping[str, int]) -> bytes:
    names = "\0".join(records.paths).encode("utf-8", "surrogatepass")  # no path holds a NUL
    folder_names = "\0".join(folders).encode("utf-8", "surrogatepass")
    header = MANIFEST_HEADER.pack(len(records.paths), len(names), len(folders), len(folder_names))
    return b"".join(
        [
            MANIFEST_MAGIC,
            header,
            names,
            # Raw, half the bytes of hex: this is written when memory is at its peak.
            bytes.fromhex(records.digests),
            _little_endian(records.sizes),
            _little_endian(records.mtimes),
            folder_names,
            _little_endian(array("q", folders.values())),
        ]
    )


def _little_endian(numbers: array[int]) -> bytes:
    if sys.byteorder == "big":
        numbers = array("q", numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _read_manifest(path: Path, folders_too: bool = True) -> _Manifest | None:
    """The manifest at `path` (its folders left out unless `folders_too`: only a survey
    reads them, and a site has half as many folders as files); None if it cannot be read
    or is not one this version wrote whole (an older version's, or one damaged: then
    nothing in it is trusted)."""
    read = _read_bytes(path)
    if read is None:
        return None
    data, since = read
    magic = len(MANIFEST_MAGIC)
    if not data.startswith(MANIFEST_MAGIC) or len(data) < magic + MANIFEST_HEADER.size:
        return None
    files, names, folders, folder_names = MANIFEST_HEADER.unpack_from(data, magic)
    at = magic + MANIFEST_HEADER.size
    ends = []
    for length in (names, files * 32, files * 8, files * 8, folder_names, folders * 8):
        at += length
        ends.append(at)
    if at != len(data):
        return None
    view = memoryview(data)  # parts read in place, not copied first
    try:
        paths = _split(view[ends[0] - names : ends[0]], files)
        digests = view[ends[0] : ends[1]].hex()
        folder_list = _split(view[ends[4] - folder_names : ends[4]], folders if folders_too else 0)
    except ValueError:  # UnicodeDecodeError included
        return None
    if paths is None or folder_list is None:
        return None
    return _Manifest(
        paths,
        digests,
        _numbers(view[ends[1] : ends[2]]),
        _numbers(view[ends[2] : ends[3]]),
        dict(
            zip(folder_list, _numbers(view[ends[4] : ends[5]] if folders_too else b""), strict=True)
        ),
        since,
    )


def _split(data: memoryview, count: int) -> list[str] | None:
    """`count` paths joined by NULs; None if there are not that many."""
    found = str(data, "utf-8", "surrogatepass").split("\0") if count else []
    return found if len(found) == count else None


def _numbers(data: memoryview | bytes) -> array[int]:
    numbers = array("q")
    numbers.frombytes(data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def _matches(path: str, record: Record, since: int, stat: os.stat_result | None = None) -> bool:
    try:
        stat = stat or os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    if not _is_plain_file(stat) or (stat.st_size, stat.st_mtime_ns) != record[1:]:
        return False
    if _coarse(stat.st_mtime_ns, since):
        try:
            with open(path, "rb") as stream:
                return hashlib.file_digest(stream, "sha256").hexdigest() == record[0]
        except OSError:
            return False
    # An edit that keeps the size and sets the time back to the very nanosecond is not seen.
    return True


def _coarse(mtime: int, since: int) -> bool:
    """Whether a time may hide a change: one in the record's last clock tick, or in whole
    seconds (a coarse file system, or a tool that set the time: cp -p, rsync, tar), as a
    change within that tick or second would not show in it."""
    return mtime >= since or mtime % 1_000_000_000 == 0


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


@dataclass(frozen=True)
class _Survey:
    good: dict[str, int]  # the files as recorded: path -> its place in the record
    others: list[str]  # every other entry: files held otherwise, strays, folders; deepest first
    folders: dict[str, int]  # each recorded folder that is a folder, with its time now


def _survey(root: Path, manifest: _Manifest | None) -> _Survey:
    """What `root` holds as recorded in `manifest`, and everything else in it: one stat
    per recorded file and folder; only the folders changed since (and the root) listed."""
    if manifest is None:
        manifest = _Manifest([], "", array("q"), array("q"), {}, 0)
    recorded, since = manifest.folders, manifest.since
    prefix = str(root) + "/"
    good: dict[str, int] = {}
    others: list[str] = []
    lstat = os.lstat
    files = zip(manifest.paths, manifest.sizes, manifest.mtimes, strict=True)
    # Run for every file of the site at each build: kept to the stat and a few comparisons
    # (_coarse written out).
    for at, (path, size, mtime) in enumerate(files):
        try:
            stat = lstat(prefix + path)
        except OSError:
            continue
        if (
            stat.st_size == size
            and stat.st_mtime_ns == mtime
            and (stat.st_mode & 0o170000) == 0o100000
            and (
                (mtime < since and mtime % 1_000_000_000)
                or _matches(prefix + path, (manifest.digest(at), size, mtime), since, stat)
            )
        ):
            good[path] = at
        elif (stat.st_mode & 0o170000) != 0o040000:  # a folder is found by its parent's listing
            others.append(path)
    folders: dict[str, int] = {}
    listed = [""]
    for folder, mtime in recorded.items():
        try:
            stat = lstat(prefix + folder)
        except OSError:
            continue
        if (stat.st_mode & 0o170000) != 0o040000:
            continue  # a file or a link now: found by its parent's listing
        folders[folder] = stat.st_mtime_ns
        if stat.st_mtime_ns != mtime or _coarse(mtime, since):
            listed.append(folder)
    stray = set(others)

    def list_folder(folder: str) -> None:
        with os.scandir(prefix + folder if folder else root) as entries:
            for entry in entries:
                relative = folder + "/" + entry.name if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if relative not in folders:  # not recorded: all of it is listed
                        list_folder(relative)
                        others.append(relative)  # removed if it ends up empty
                elif relative not in good and relative not in stray:
                    others.append(relative)

    for folder in listed:
        list_folder(folder)
    others.sort(key=_depth, reverse=True)  # deepest first
    return _Survey(good, others, folders)


def _put(target: Path, data: bytes, digest: str) -> Record:
    target.write_bytes(data)  # a new file: Staged._clear took away whatever was there
    return _record_of(target, digest)


def _put_atomically(target: Path, data: bytes, digest: str) -> Record:
    # IN_PLACE_TEMP: a build killed midway leaves temporaries the next one knows to remove.
    write_file(target, data, IN_PLACE_TEMP)
    return _record_of(target, digest)


def _record_of(target: Path, digest: str) -> Record:
    stat = os.stat(target)
    return (digest, stat.st_size, stat.st_mtime_ns)


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
    for record in ("live", "spare"):  # older versions' records, in JSON
        (parent / f".{name}.{record}.json").unlink(missing_ok=True)


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
