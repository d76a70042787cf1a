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
    finish: Callable[[Path, Path | None], None] | None = None,
) -> None:
    """Write `outputs` as the new content of `out_dir`.

    `finish(staging, previous)` may add to the staged tree before it is swapped in;
    `previous` is the site being replaced, if there is one.
    """
    out_dir = out_dir.absolute()
    _check_replaceable(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            _clean_leftovers(out_dir)
            staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
            try:
                _write_tree(staging, outputs)
                if finish is not None:
                    finish(staging, out_dir if out_dir.is_dir() else None)
                _swap(staging, out_dir)
            finally:
                # After the swap the staging name holds the previous site.
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise WriteError(f"cannot write '{out_dir}': {exc.strerror or exc}") from exc


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
    for leftover in [*backups, *parent.glob(f".{name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _write_tree(root: Path, outputs: Mapping[str, bytes]) -> None:
    os.chmod(root, 0o777 & ~_umask())  # mkdtemp makes it private; a site is meant to be read
    made: set[Path] = {root}
    for relative in sorted(outputs):
        target = root / relative
        folder = target.parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        target.write_bytes(outputs[relative])
    (root / MARKER).write_bytes(MARKER_TEXT)


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
