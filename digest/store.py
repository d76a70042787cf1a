"""The build store: what the last build worked out, kept for the next in one SQLite file.

It is a cache, never the source of truth (`content/` is): every entry is a true statement
about an input ("this file's bytes parse to this", "this text's headline is this", "a
page made of this fingerprint rendered to bytes with this digest"), so an entry left by
any build, or none at all, gives the same site. A store that is missing, not a database,
damaged (sqlite3.DatabaseError at any point, or an entry whose check fails), of another
schema, or written by another version of digest counts as absent: reading it gives
nothing, and the next save writes a new one in its place.

The store is made of sections (the parsed item files, the enrich results, the page
records of an output folder…), each valid for a key (what its entries depend on beyond
their own key: the taxonomy, the language). A section's entries are kept in buckets (by
a hash of the entry's key): one row per bucket, its entries pickled together, so that
reading 10,000 entries costs 256 rows rather than 10,000 (a row costs more in Python than
the entries in it), while a build that changes a few entries rewrites only their buckets.
Each row is kept with a check, a digest of the section, its key, the bucket and its
value: a bit changed anywhere SQLite does not look, or a row written under another section
key, is seen. Values are pickled, and unpickling runs code: only rows whose check passes
are unpickled.

Why SQLite: one file, in the standard library, read by rows (a build takes the sections
it needs, and writes only the buckets that changed, in one transaction, instead of
rewriting whole pickle files), and its journal makes a build killed during the update
leave the previous store whole.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

SCHEMA = "3"  # 3: entries in buckets
BUCKETS = 256
NAME = "store.sqlite"
Entries = dict[str, object]


class Store:
    """A store opened for one build; `writable` False (digest check) never changes it."""

    def __init__(
        self,
        folder: Path | None,
        version: str,
        writable: bool = True,
        by_check: tuple[str, ...] = (),
    ) -> None:
        """`by_check`: the sections (by the start of their names) whose values the store
        does not keep once read, only each bucket's check: a save pickles their buckets
        again to compare. For a section whose values its reader drops (the pages'
        records, read once to plan), at the cost of a pickle at each save."""
        self.folder, self.version, self.writable = folder, version, writable
        self.path = folder / NAME if folder is not None else None
        self._by_check = by_check
        # section -> (key, buckets) as read: a save writes only the buckets that differ.
        # A bucket is its entries, or its check for a section `by_check`.
        self._loaded: dict[str, tuple[str, dict[str, Entries | bytes]]] = {}
        self._conn: sqlite3.Connection | None = None
        self._absent = True  # until a store of this schema and version is found
        if self.path is not None:
            self._conn = self._open()

    def _open(self) -> sqlite3.Connection | None:
        assert self.path is not None
        if not self.path.is_file():
            return None
        try:
            if self.writable:
                conn = sqlite3.connect(self.path, isolation_level=None)
            else:  # not even a journal rolled back: check touches nothing
                conn = sqlite3.connect(self.path.absolute().as_uri() + "?mode=ro", uri=True)
            meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
        except (sqlite3.Error, OSError, ValueError):
            return None
        if meta.get("schema") != SCHEMA or meta.get("version") != self.version:
            conn.close()
            return None
        self._absent = False
        return conn

    def section(
        self, name: str, key: str, each: Callable[[object], object] | None = None
    ) -> Entries:
        """The entries of section `name` if they were stored for `key` ({} otherwise).
        `each` (a value -> an equal value) is applied to each value as it is read, and the
        store keeps what it gives: a reader that shares equal parts between entries makes
        the store's copy share them too, rather than keep the unshared one alive."""
        if self._conn is None or self._absent:
            return {}
        try:
            row = self._conn.execute("SELECT key FROM sections WHERE name = ?", (name,)).fetchone()
            if row is None or row[0] != key:
                return {}
            # Row by row, not fetchall(): only one bucket's pickle is held at a time (at
            # 50,000 items the files section's are tens of MB, all at once).
            rows = self._conn.execute(
                "SELECT key, value, checked FROM entries WHERE section = ?", (name,)
            )
            entries: Entries = {}
            buckets: dict[str, Entries | bytes] = {}
            base = _base(self.version, name, key)
            by_check = self._kept_by_check(name)
            for bucket, value, checked in rows:
                if _check(base, bucket, value) != checked:
                    raise sqlite3.DatabaseError("a bucket does not match its check")
                held = pickle.loads(value)
                del value  # before the next row is fetched
                if not isinstance(held, dict):
                    raise sqlite3.DatabaseError("a bucket holds no entries")
                if each is not None:
                    held = {entry: each(value) for entry, value in held.items()}
                buckets[bucket] = checked if by_check else held
                entries.update(held)
        except Exception:  # damaged: sqlite3.DatabaseError, or a value that cannot be read
            self._forget()
            return {}
        self._loaded[name] = (key, buckets)
        return entries

    def _kept_by_check(self, name: str) -> bool:
        return bool(self._by_check) and name.startswith(self._by_check)

    def _forget(self) -> None:
        """Count the whole store as absent: the next save writes a new one."""
        self._absent = True
        self._loaded.clear()

    def save(self, sections: Mapping[str, tuple[str, Mapping[str, object]]]) -> str | None:
        """Make each section (name -> (key, entries)) hold exactly those entries, in one
        transaction: only the entries that differ from what was read are written. Returns
        a note when the store cannot be written (never worth failing a build for)."""
        if self.path is None or not self.writable:
            return None
        try:
            if self._absent or self._conn is None:
                self._create(sections)
            else:
                try:
                    self._update(self._conn, sections)
                except sqlite3.DatabaseError:  # damaged where no read went: made anew
                    self._create(sections)
        except (sqlite3.Error, OSError, pickle.PicklingError) as exc:
            return f"could not save the build cache in {self.folder}: {exc}"
        finally:
            self.close()
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _create(self, sections: Mapping[str, tuple[str, Mapping[str, object]]]) -> None:
        """A new store beside the old one's place, renamed over it once whole."""
        assert self.path is not None and self.folder is not None
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{NAME}.{os.getpid()}")
        temp.unlink(missing_ok=True)
        try:
            conn = sqlite3.connect(temp, isolation_level=None)
            try:
                conn.executescript(
                    """
                    PRAGMA journal_mode = OFF;
                    PRAGMA synchronous = OFF;
                    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE sections (name TEXT PRIMARY KEY, key TEXT NOT NULL);
                    CREATE TABLE entries (
                        section TEXT NOT NULL, key TEXT NOT NULL,
                        value BLOB NOT NULL, checked BLOB NOT NULL
                    );
                    -- Not a WITHOUT ROWID table: its rows hold large values (the finder,
                    -- a parsed file), which made the file twice as large and slower to read.
                    CREATE UNIQUE INDEX entry ON entries (section, key);
                    """
                )
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", SCHEMA), ("version", self.version)],
                )
                for name, (key, entries) in sections.items():
                    conn.execute("INSERT INTO sections VALUES (?, ?)", (name, key))
                    conn.executemany(
                        "INSERT INTO entries VALUES (?, ?, ?, ?)",
                        _rows(self.version, name, key, _buckets(entries).items()),
                    )
                conn.execute("COMMIT")
            finally:
                conn.close()
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _update(
        self, conn: sqlite3.Connection, sections: Mapping[str, tuple[str, Mapping[str, object]]]
    ) -> None:
        # A process killed during the commit leaves SQLite's journal, which the next
        # connection rolls back: the store is then the previous build's, whole.
        conn.execute("PRAGMA synchronous = OFF")  # a cache: a power cut may lose it
        conn.execute("BEGIN IMMEDIATE")
        try:
            for name, (key, entries) in sections.items():
                old_key, old = self._loaded.get(name, (None, None))
                buckets = _buckets(entries)
                if old is None or old_key != key:
                    conn.execute("DELETE FROM entries WHERE section = ?", (name,))
                    conn.execute("INSERT OR REPLACE INTO sections VALUES (?, ?)", (name, key))
                    rows = _rows(self.version, name, key, buckets.items())
                else:
                    gone = [(name, bucket) for bucket in old if bucket not in buckets]
                    conn.executemany("DELETE FROM entries WHERE section = ? AND key = ?", gone)
                    if self._kept_by_check(name):
                        # Equal pickles are equal values; unequal pickles of equal values
                        # (shared parts pickled once) only cost a row written again.
                        every = _rows(self.version, name, key, buckets.items())
                        rows = (row for row in every if old.get(row[1]) != row[3])
                    else:
                        # Values are compared, not their pickles: a value that mutates in
                        # place must come back as a new value unequal to the one read.
                        changed = [
                            (b, v) for b, v in buckets.items() if b not in old or old[b] != v
                        ]
                        rows = _rows(self.version, name, key, changed)
                conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def key_of(*parts: object) -> str:
    """A key for a section: a digest of what its entries depend on."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _base(version: str, section: str, key: str) -> bytes:
    return "\0".join((SCHEMA, version, section, key)).encode("utf-8", "surrogatepass") + b"\0"


def _check(base: bytes, entry: str, value: bytes) -> bytes:
    digest = hashlib.blake2b(base, digest_size=16)
    digest.update(entry.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(value)
    return digest.digest()


def _buckets(entries: Mapping[str, object]) -> dict[str, Entries]:
    """The entries by bucket, each bucket in the entries' order."""
    # Every entry of every section is bucketed at each save: the loop is kept lean.
    buckets: dict[str, Entries] = {}
    names, crc32 = _BUCKET_NAMES, zlib.crc32
    for entry, value in entries.items():
        name = names[crc32(entry.encode("utf-8", "surrogatepass")) % BUCKETS]
        bucket = buckets.get(name)
        if bucket is None:
            bucket = buckets[name] = {}
        bucket[entry] = value
    return buckets


_BUCKET_NAMES = tuple(format(n, "02x") for n in range(BUCKETS))


def _rows(
    version: str, section: str, key: str, buckets: Iterable[tuple[str, Entries]]
) -> Iterator[tuple[str, str, bytes, bytes]]:
    """Each bucket's row, pickled as executemany takes it: one pickle alive at a time, not
    every bucket's at once."""
    base = _base(version, section, key)
    for bucket, entries in buckets:
        data = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
        yield section, bucket, data, _check(base, bucket, data)
