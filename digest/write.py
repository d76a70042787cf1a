"""The last stage: put the rendered outputs on disk, all at once or not at all.

The site is written into a staging folder beside the output and then exchanged with
the old one in a single rename, so a build that fails or is killed leaves the previous
site exactly as it was, and readers never see half a site. A lock file serializes
concurrent builds of one output folder.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

MARKER = ".digest-site"
MARKER_TEXT = b"This folder is written by digest: every build replaces all of it.\n"
AT_FDCWD = -100
RENAME_EXCHANGE = 2


class WriteError(Exception):
    """The output cannot be written where asked; the message says why."""


def write(
    outputs: Mapping[str, bytes],
    out_dir: Path,
    kept: Mapping[str, str] | None = None,
    fallback: Callable[[], Mapping[str, bytes]] | None = None,
) -> dict[str, str]:
    """Write `outputs` as the new content of `out_dir`; return what it now holds
    (path -> sha256 of the bytes).

    `kept` names files of the new site that the site being replaced already holds, with
    the digests they must have (the caller did not render them again). If the site on
    disk turns out not to hold them (another build came in between), `fallback()` must
    give every output instead.
    """
    out_dir = out_dir.absolute()
    _check_replaceable(out_dir)
    files = {**outputs, MARKER: MARKER_TEXT}
    kept = dict(kept or {})
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            _clean_leftovers(out_dir)
            live_record = _manifest(out_dir, "live")
            live = _read_manifest(live_record) if out_dir.is_dir() else None
            if kept and (live is None or any(live.get(p) != kept[p] for p in kept)):
                if fallback is None:
                    raise ValueError("kept files are not in the site, and there is no fallback")
                files, kept = {**fallback(), MARKER: MARKER_TEXT}, {}
            wanted = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
            wanted.update(kept)
            copier = _Copier(out_dir, fallback, wanted)
            staging, known = _take_spare(out_dir)
            try:
                if known is None:
                    _write_tree(staging, files, kept, copier)
                else:
                    _update_tree(staging, files, wanted, known, copier)
                # From the swap until the new record is written, the record would be wrong.
                live_record.unlink(missing_ok=True)
                _swap(staging, out_dir)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)  # half-updated: never reuse it
                raise
            # The staging name now holds the previous site: keep it, with what it holds,
            # to bring it up to date next time instead of writing every file again.
            if live is not None and staging.is_dir():
                _write_manifest(_manifest(out_dir, "spare"), live)
            else:
                shutil.rmtree(staging, ignore_errors=True)
            _write_manifest(live_record, wanted)
    except OSError as exc:
        raise WriteError(f"cannot write '{out_dir}': {exc.strerror or exc}") from exc
    return wanted


def live_manifest(out_dir: Path) -> dict[str, str]:
    """What the site in `out_dir` holds, as the build that wrote it recorded it ({} if unknown)."""
    out_dir = out_dir.absolute()
    return (_read_manifest(_manifest(out_dir, "live")) or {}) if out_dir.is_dir() else {}


def _manifest(out_dir: Path, which: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.{which}.json"


def _read_manifest(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_manifest(path: Path, manifest: dict[str, str]) -> None:
    write_file(path, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())


def _take_spare(out_dir: Path) -> tuple[Path, dict[str, str] | None]:
    """The folder to stage in, and what it holds: the previous site when it is known
    exactly, else a new empty folder (and None)."""
    spare = out_dir.parent / f".{out_dir.name}.spare"
    recorded = _manifest(out_dir, "spare")
    known = _read_manifest(recorded) if spare.is_dir() else None
    recorded.unlink(missing_ok=True)  # from here on the spare is being changed: never trust it
    if known is None:
        shutil.rmtree(spare, ignore_errors=True)
        spare.mkdir()
    return spare, known


def _update_tree(
    root: Path,
    files: Mapping[str, bytes],
    wanted: dict[str, str],
    known: dict[str, str],
    copier: _Copier,
) -> None:
    """Make `root`, which holds `known`, hold `wanted`: only what differs is written, from
    `files` or, for the files kept from the live site, copied from there."""
    tops = {path.split("/", 1)[0] for path in wanted}
    # Anything stray, such as the pagefind/ folder that earlier versions added unrecorded.
    for entry in root.iterdir():
        if entry.name not in tops:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for path in sorted(set(known) - set(wanted)):
        target = root / path
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != root:  # take away the folders this leaves empty
            if folder.is_dir():
                if any(folder.iterdir()):
                    break
                folder.rmdir()
            folder = folder.parent
    for path in sorted(wanted):
        if known.get(path) != wanted[path]:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in files:
                target.write_bytes(files[path])
            else:
                copier.copy(path, target)


def write_file(path: Path, data: bytes) -> None:
    """Replace one file atomically (used for the date ledger)."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_replaceable(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise WriteError(f"cannot write the site to '{out_dir}': it is a file")
    if (out_dir / MARKER).exists() or not any(out_dir.iterdir()):
        return
    raise WriteError(
        f"refusing to replace '{out_dir}': it holds files that digest did not write "
        f"(no {MARKER} file in it); choose another --output or empty that folder"
    )


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


def _write_tree(
    root: Path, files: Mapping[str, bytes], kept: Mapping[str, str], copier: _Copier
) -> None:
    os.chmod(root, 0o777 & ~_umask())  # a site is meant to be read
    made: set[Path] = {root}
    for relative in sorted([*files, *kept]):
        target = root / relative
        folder = target.parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        if relative in files:
            target.write_bytes(files[relative])
        else:
            copier.copy(relative, target)


class _Copier:
    """Copies kept files from the live site. One it lacks after all (deleted by hand) is
    taken from `fallback()`'s outputs instead, and its digest noted in `wanted`."""

    def __init__(
        self,
        source: Path,
        fallback: Callable[[], Mapping[str, bytes]] | None,
        wanted: dict[str, str],
    ) -> None:
        self.source, self.fallback, self.wanted = source, fallback, wanted
        self._rendered: Mapping[str, bytes] | None = None

    def copy(self, path: str, target: Path) -> None:
        try:
            shutil.copyfile(self.source / path, target)
        except FileNotFoundError:
            if self.fallback is None:
                raise
            if self._rendered is None:
                self._rendered = self.fallback()
            data = self._rendered[path]
            self.wanted[path] = hashlib.sha256(data).hexdigest()
            target.write_bytes(data)


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
    os.rename(backup, staging)


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
