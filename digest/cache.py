"""The build cache: what one build worked out that the next can use instead of doing it again.

A folder of files (site.yaml's `cache`, `.digest-cache` by default) that the editor may
delete at any time: a build without it does all the work and gives the same site. Each
entry is stored with the key it is valid for (the code's version and the inputs it
depends on); an entry with another key, or one that cannot be read, counts as absent.

Entries are pickled: the folder is as trusted as the content and the code beside it.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import TypeVar

from .write import write_file

FORMAT = 1
T = TypeVar("T")


class BuildCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder  # None: no cache, nothing read or written
        self.problems: list[str] = []

    def get(self, name: str, key: str, kind: type[T]) -> T | None:
        """The entry `name` if it was stored for `key` and is a `kind`."""
        if self.folder is None:
            return None
        try:
            with open(self.folder / name, "rb") as stream:
                stored = pickle.load(stream)
        except Exception:  # absent, unreadable, or written by another version: start afresh
            return None
        if not isinstance(stored, tuple) or stored[:2] != (FORMAT, key):
            return None
        return stored[2] if isinstance(stored[2], kind) else None

    def subfolder(self, name: str) -> Path | None:
        """A folder inside the cache for another tool's files (made if need be), or None."""
        if self.folder is None:
            return None
        try:
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._failed(exc)
            return None
        return self.folder / name

    def put(self, name: str, key: str, value: object) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            data = pickle.dumps((FORMAT, key, value), protocol=pickle.HIGHEST_PROTOCOL)
            write_file(self.folder / name, data)
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        if not self.problems:  # once: the next attempts fail for the same reason
            self.problems.append(f"could not save the build cache in {self.folder}: {exc}")


def key_of(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()
