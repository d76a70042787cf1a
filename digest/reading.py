"""Reading a file that the editor names, without ever reading what is not theirs to publish.

The policy, for a file in the content folder (`folder` given):
- a regular file is read;
- a symbolic link is followed only when it resolves to a regular file inside the content
  folder; a link that points outside it (to /etc/passwd, /proc/self/environ), that points
  nowhere or that loops is reported with that reason, and nothing is read;
- folders, named pipes (FIFOs), sockets and devices are never opened: opening a FIFO can
  block for ever, opening a device can have effects, and neither is content.
For any other file (site.yaml, a topics file named in it) links are followed, but the file
must still be a regular file. Nothing under /proc, /sys or /dev is ever read: those are the
machine's state (its environment, its secrets), not anybody's content.

Race safety: the kind of file is checked on the open descriptor (fstat), and a file in the
content folder is opened one path component at a time below the folder with O_NOFOLLOW, so
that a link swapped in between the check and the open is refused rather than followed.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
# O_PATH opens a folder only to walk below it (no read permission needed); Linux has it.
_OPEN_DIR = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class NotRead(Exception):
    """A file that exists but was not read; str() is why, in the editor's words."""


def read_file(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of the regular file `path`, read under the policy above.

    With `folder`, `path` is taken as an entry of that folder (or of a folder below it)
    and the content-folder policy applies. Raises FileNotFoundError when nothing at all
    has that name (a missing optional file), NotRead for everything else that is not read.
    """
    try:
        entry = os.lstat(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise NotRead(_reason(exc)) from None
    if folder is None:
        return _read_anywhere(path, entry)
    return _read_inside(path, entry, os.path.realpath(folder))


def system_root(path: Path) -> str | None:
    """The system folder (/proc, /sys, /dev) that `path` resolves into, if any."""
    real = os.path.realpath(path)
    return next((root for root in SYSTEM_ROOTS if _within(real, root)), None)


def _read_inside(path: Path, entry: os.stat_result, folder: str) -> bytes:
    root = system_root(Path(folder))
    if root is not None:
        raise NotRead(f"the folder is under {root}")
    place = os.path.join(os.path.realpath(path.parent), path.name)
    if not _within(place, folder):
        raise NotRead("a path outside the content folder")
    if stat.S_ISLNK(entry.st_mode):
        place = _link_target(path, folder)
    elif not stat.S_ISREG(entry.st_mode):
        raise NotRead(f"{_kind(entry)}, not a regular file")
    parts = Path(os.path.relpath(place, folder)).parts
    fd = _open_below(folder, parts)
    return _read_fd(fd)


def _link_target(path: Path, folder: str) -> str:
    """Where an in-folder link leads, when it leads to a regular file inside the folder."""
    shown = _link_text(path)
    try:
        target = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise NotRead(f"a symbolic link to '{shown}', which does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRead("a symbolic link that loops (it leads back to itself)") from None
        raise NotRead(f"a symbolic link to '{shown}': {_reason(exc)}") from None
    if not _within(target, folder):
        raise NotRead(f"a symbolic link to '{shown}', outside the content folder")
    try:
        kind = os.stat(target)
    except OSError as exc:
        raise NotRead(f"a symbolic link to '{shown}': {_reason(exc)}") from None
    if not stat.S_ISREG(kind.st_mode):
        raise NotRead(f"a symbolic link to {_kind(kind)}, not to a regular file")
    return target


def _open_below(folder: str, parts: tuple[str, ...]) -> int:
    """Open folder/parts... refusing any link met on the way (one swapped in since the check)."""
    try:
        fd = os.open(folder, _OPEN_DIR)
    except OSError as exc:
        raise NotRead(f"its folder cannot be opened: {_reason(exc)}") from None
    try:
        for part in parts[:-1]:
            inner = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
        found = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISREG(found.st_mode):  # never open a FIFO or a device, even briefly
            raise NotRead(f"{_kind(found)}, not a regular file")
        return os.open(parts[-1], _OPEN_FILE, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
            raise NotRead("it changed while it was being read; run digest again") from None
        raise NotRead(_reason(exc)) from None
    finally:
        os.close(fd)


def _read_anywhere(path: Path, entry: os.stat_result) -> bytes:
    if stat.S_ISLNK(entry.st_mode):
        try:
            entry = os.stat(path)
        except FileNotFoundError:
            raise NotRead(
                f"a symbolic link to '{_link_text(path)}', which does not exist"
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotRead("a symbolic link that loops (it leads back to itself)") from None
            raise NotRead(_reason(exc)) from None
    if not stat.S_ISREG(entry.st_mode):
        raise NotRead(f"{_kind(entry)}, not a regular file")
    root = system_root(path)
    if root is not None:
        raise NotRead(f"it is under {root}, which holds the system's state, not content")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise NotRead(_reason(exc)) from None
    return _read_fd(fd)


def _read_fd(fd: int) -> bytes:
    """Check what was opened (not what was looked at before opening), then read it."""
    with open(fd, "rb", closefd=True) as stream:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise NotRead(f"{_kind(opened)}, not a regular file")
        if opened.st_dev in _system_devices():
            raise NotRead("a file of /proc or /sys, which hold the system's state, not content")
        try:
            return stream.read()
        except OSError as exc:
            raise NotRead(_reason(exc)) from None


def _system_devices() -> set[int]:
    # /proc and /sys are virtual file systems whose "regular files" are the machine's state;
    # comparing devices also catches them mounted (or bind-mounted) somewhere else.
    devices = set()
    for root in ("/proc", "/sys"):
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            continue
    return devices


def _kind(found: os.stat_result) -> str:
    mode = found.st_mode
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _link_text(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
