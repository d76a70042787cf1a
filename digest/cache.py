"""The build cache folder (site.yaml's `cache`, `.digest-cache` by default) that the editor
may delete at any time: a build without it does all the work and gives the same site.

It holds the build store (digest/store.py) and Jinja's compiled templates, kept here as
files. Compiled templates are Python code, run as they are read: so every file starts
with the sha256 of the rest, checked before anything else is done with it, and a file
truncated, with bytes changed, or written by anything other than this module counts as
absent and is made again. Writing is never worth failing a build for: a cache that
cannot be written (a full disk, a read-only folder) gives a note.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2.bccache import Bucket, BytecodeCache

from .atomic import write_file
from .fingerprint import code_version

HEADER = b"digest cache\n"  # then the sha256 of the payload, then the payload


class BuildCache:
    """Files of checked bytes in `folder`; `problems` gathers what could not be saved,
    said once (the next attempts fail for the same reason)."""

    def __init__(
        self, folder: Path | None, problems: list[str] | None = None, shown: Path | None = None
    ) -> None:
        self.folder = folder  # None: no cache, nothing read or written
        self.problems: list[str] = [] if problems is None else problems
        self._shown = shown or folder  # the cache folder the editor named, for the note

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
            self.failed(exc)

    def subfolder(self, name: str) -> BuildCache | None:
        """A cache in a folder of this one (for another kind of entry), sharing its notes;
        None if there is no cache."""
        if self.folder is None:
            return None
        return BuildCache(self.folder / name, self.problems, self._shown)

    def failed(self, exc: object) -> None:
        if not self.problems:  # once: the next attempts fail for the same reason
            self.problems.append(f"could not save the build cache in {self._shown}: {exc}")


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
