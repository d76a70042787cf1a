"""The build cache: what one build worked out that the next can use instead of doing it again.

A folder of files (site.yaml's `cache`, `.digest-cache` by default) that the editor may
delete at any time: a build without it does all the work and gives the same site. Each
entry is stored with the key it is valid for (the code's version and the inputs it
depends on); an entry with another key, or one that cannot be read, counts as absent.

Entries are pickled, and compiled templates are Python code: both are run as they are
read. So every file starts with the sha256 of the rest, checked before anything else is
done with it: a file truncated, with bytes changed, or written by anything other than
this module counts as absent and is made again. Writing is never worth failing a build
for: a cache that cannot be written (a full disk, a read-only folder) gives a note.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import TypeVar

from jinja2.bccache import Bucket, BytecodeCache

from .fingerprint import code_version
from .write import write_file

FORMAT = 2
HEADER = b"digest cache\n"  # then the sha256 of the payload, then the payload
T = TypeVar("T")


class BuildCache:
    def __init__(self, folder: Path | None, problems: list[str] | None = None) -> None:
        self.folder = folder  # None: no cache, nothing read or written
        self.problems: list[str] = [] if problems is None else problems

    def get(self, name: str, key: str, kind: type[T]) -> T | None:
        """The entry `name` if it was stored for `key` and is a `kind`."""
        data = self.read(name)
        if data is None:
            return None
        try:
            stored = pickle.loads(data)
        except Exception:  # written by another version of a library: start afresh
            return None
        if not isinstance(stored, tuple) or len(stored) != 3 or stored[:2] != (FORMAT, key):
            return None
        return stored[2] if isinstance(stored[2], kind) else None

    def put(self, name: str, key: str, value: object) -> None:
        if self.folder is not None:
            self.write(name, pickle.dumps((FORMAT, key, value), protocol=pickle.HIGHEST_PROTOCOL))

    def read(self, name: str) -> bytes | None:
        """The bytes stored as `name`, if they are exactly those that were written."""
        if self.folder is None:
            return None
        try:
            with open(self.folder / name, "rb") as stream:
                data = stream.read()
        except (OSError, ValueError):  # absent, unreadable, or not a file: start afresh
            return None
        start = len(HEADER) + hashlib.sha256().digest_size
        if (
            not data.startswith(HEADER)
            or hashlib.sha256(data[start:]).digest() != data[len(HEADER) : start]
        ):
            return None
        return data[start:]

    def write(self, name: str, data: bytes) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_file(self.folder / name, HEADER + hashlib.sha256(data).digest() + data)
        except OSError as exc:
            self._failed(exc)

    def subfolder(self, name: str) -> BuildCache | None:
        """A cache in a folder of this one (for another kind of entry), sharing its notes;
        None if there is no cache."""
        if self.folder is None:
            return None
        return BuildCache(self.folder / name, self.problems)

    def _failed(self, exc: OSError) -> None:
        if not self.problems:  # once: the next attempts fail for the same reason
            self.problems.append(f"could not save the build cache in {self.folder}: {exc}")


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in a build cache: compiling the built-in templates
    takes about 40 ms a build, loading them 3 ms."""

    def __init__(self, cache: BuildCache) -> None:
        self._cache = cache
        # Compiled code depends on digest's filters too (whether one takes the context),
        # not only on the template's source: another version of digest compiles anew.
        self._version = code_version()[:16]

    def _key(self, bucket: Bucket) -> str:
        return f"{self._version}-{bucket.key}"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self._cache.read(self._key(bucket))
        if data is not None:
            # Jinja checks the rest itself: its own format, the Python version, the source.
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._cache.write(self._key(bucket), bucket.bytecode_to_string())


def key_of(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()
