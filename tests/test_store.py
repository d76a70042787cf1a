"""The build store: a cache whose every failure counts as absence, never as a wrong answer."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, config_for, tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import pipeline, store
from digest.store import NAME, Store

SECTIONS: dict[str, tuple[str, dict[str, object]]] = {
    "alpha": ("k1", {f"entry {n}": ("value", n, b"x" * n) for n in range(60)}),
    "beta": ("k2", {"only": {"a": 1}}),
}


def saved(folder: Path, version: str = "v1") -> Path:
    assert Store(folder, version).save(SECTIONS) is None
    return folder / NAME


def test_sections_come_back_only_for_their_key_and_version(tmp_path: Path) -> None:
    saved(tmp_path)
    again = Store(tmp_path, "v1")
    assert again.section("alpha", "k1") == SECTIONS["alpha"][1]
    assert again.section("beta", "k2") == {"only": {"a": 1}}
    assert again.section("alpha", "another key") == {}
    assert again.section("absent", "k1") == {}
    assert Store(tmp_path, "v2").section("alpha", "k1") == {}  # another version of digest


def test_a_save_writes_only_what_changed_and_drops_what_is_gone(tmp_path: Path) -> None:
    saved(tmp_path)
    first = Store(tmp_path, "v1")
    entries = first.section("alpha", "k1")
    entries.pop("entry 1")
    entries["entry 2"] = "changed"
    entries["new"] = "added"
    assert first.save({"alpha": ("k1", entries)}) is None
    again = Store(tmp_path, "v1")
    assert again.section("alpha", "k1") == entries
    assert again.section("beta", "k2") == {"only": {"a": 1}}  # a section not saved is kept


def test_each_value_is_read_through_the_readers_function_and_kept_as_it_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved(tmp_path)
    shared = ("value", 0, b"")
    first = Store(tmp_path, "v1")
    entries = first.section("alpha", "k1", lambda v: shared if v == shared else v)
    assert entries == SECTIONS["alpha"][1]
    assert entries["entry 0"] is shared
    # What the store kept is what the reader was given: saving it back unchanged writes no
    # bucket (a value compared with a copy it did not keep would be rewritten, not lost).
    written: list[object] = []
    real = store._rows

    def spy(*args: object) -> object:
        rows = list(real(*args))  # type: ignore[arg-type]
        written.extend(rows)
        return iter(rows)

    monkeypatch.setattr(store, "_rows", spy)
    assert first.save({"alpha": ("k1", entries)}) is None
    assert written == []
    assert Store(tmp_path, "v1").section("alpha", "k1") == SECTIONS["alpha"][1]


def test_a_section_kept_by_its_checks_writes_only_the_buckets_that_changed(
    tmp_path: Path,
) -> None:
    path = saved(tmp_path)

    def rowids() -> dict[str, int]:
        query = "SELECT key, rowid FROM entries WHERE section = 'alpha'"
        with sqlite3.connect(path) as conn:
            return dict(conn.execute(query).fetchall())

    before = rowids()
    first = Store(tmp_path, "v1", by_check=("alp",))
    entries = first.section("alpha", "k1")
    assert entries == SECTIONS["alpha"][1]
    assert all(isinstance(kept, bytes) for kept in first._loaded["alpha"][1].values())
    entries["entry 2"] = "changed"
    assert first.save({"alpha": ("k1", entries)}) is None
    after = rowids()
    (changed,) = store._buckets({"entry 2": None})
    assert after.keys() == before.keys()
    assert [b for b in after if after[b] != before[b]] == [changed]  # a row written anew
    assert Store(tmp_path, "v1").section("alpha", "k1") == entries


def test_a_readers_function_that_fails_counts_as_a_damaged_store(tmp_path: Path) -> None:
    saved(tmp_path)

    def fails(value: object) -> object:
        raise TypeError("unhashable")

    first = Store(tmp_path, "v1")
    assert first.section("alpha", "k1", fails) == {}
    assert first.section("beta", "k2") == {}  # the whole store counts as absent


def test_another_section_key_replaces_the_section(tmp_path: Path) -> None:
    saved(tmp_path)
    first = Store(tmp_path, "v1")
    first.section("alpha", "k1")
    assert first.save({"alpha": ("k3", {"x": 1})}) is None
    assert Store(tmp_path, "v1").section("alpha", "k3") == {"x": 1}
    assert Store(tmp_path, "v1").section("alpha", "k1") == {}


@pytest.mark.parametrize("how", ["deleted", "random", "truncated", "directory", "schema", "empty"])
def test_a_store_that_cannot_be_read_counts_as_absent_and_is_made_again(
    tmp_path: Path, how: str
) -> None:
    path = saved(tmp_path)
    data = path.read_bytes()
    path.unlink()
    if how == "random":
        path.write_bytes(os.urandom(len(data)))
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "directory":
        path.mkdir()
    elif how == "schema":
        path.write_bytes(data)
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET value = '0' WHERE name = 'schema'")
    elif how == "empty":
        path.write_bytes(b"")
    damaged = Store(tmp_path, "v1")
    assert damaged.section("alpha", "k1") == {}
    note = damaged.save(SECTIONS)
    if how == "directory":  # not ours to delete: said, and the build goes on
        assert note is not None and note.startswith("could not save the build cache in")
    else:
        assert note is None
        assert Store(tmp_path, "v1").section("alpha", "k1") == SECTIONS["alpha"][1]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_damaged_store_gives_true_entries_or_none(tmp_path: Path, data: st.DataObject) -> None:
    """Bytes changed anywhere: what comes back is a part of what was saved, never a value
    that was not (SQLite does not check its pages; each entry's check does)."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = saved(folder)
    good = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(good) - 1))
        good[at] ^= 1 << data.draw(st.integers(0, 7))
    path.write_bytes(bytes(good))
    damaged = Store(folder, "v1")
    for name, (key, entries) in SECTIONS.items():
        found = damaged.section(name, key)
        assert all(entries.get(entry) == value for entry, value in found.items())


def test_a_store_read_only_is_never_changed(tmp_path: Path) -> None:
    path = saved(tmp_path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    reader = Store(tmp_path, "v1", writable=False)
    assert reader.section("alpha", "k1") == SECTIONS["alpha"][1]
    assert reader.save({"alpha": ("k9", {})}) is None
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]  # no journal either
    assert Store(tmp_path / "none", "v1", writable=False).save(SECTIONS) is None
    assert not (tmp_path / "none").exists()


def test_a_cache_folder_that_is_a_file_gives_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.write_text("a file")
    note = Store(folder, "v1").save(SECTIONS)
    assert note is not None and note.startswith(f"could not save the build cache in {folder}:")


# --- whole builds ------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    for n in range(3):
        text = SAMPLE_TEXT.replace("French", f"Edition {n} French")
        (content / f"00{n}_e.txt").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    return tmp_path


# The sample edition's first four items: a small site, quick to build.
SAMPLE_TEXT = "".join(
    (ROOT / "content" / "000_e808da6115982e84.txt").read_text(encoding="utf-8").splitlines(True)[:8]
)


def clean(project: Path) -> dict[str, bytes]:
    result = pipeline.build(config_for(project, output=project / "clean", cache=None))
    assert result.written
    return tree(project / "clean")


def add_edition(project: Path) -> None:
    text = SAMPLE_TEXT.replace("French", "Later French")
    (project / "content" / "009_later.txt").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("how", ["deleted", "random", "truncated", "directory", "version", "flip"])
def test_a_build_with_a_damaged_store_equals_a_clean_one(project: Path, how: str) -> None:
    config = config_for(project)
    assert pipeline.build(config).written
    path = project / "cache" / NAME
    data = path.read_bytes()
    add_edition(project)
    if how == "deleted":
        path.unlink()
    elif how == "random":
        path.write_bytes(os.urandom(len(data)))
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "version":
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET value = 'an older digest' WHERE name = 'version'")
    else:  # a byte in every page changed, in its payload
        damaged = bytearray(data)
        for at in range(4096 + 3000, len(damaged), 4096):
            damaged[at] ^= 0x20
        path.write_bytes(bytes(damaged))
    result = pipeline.build(config)
    assert result.written
    assert tree(project / "site") == clean(project)
    notes = [note for note in result.notes if "build cache" in note]
    assert len(notes) == (1 if how == "directory" else 0)


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from digest import pipeline, store
    from digest.config import SiteConfig

    class Killing:
        # The connection, except that a COMMIT kills the process, after the transaction's
        # pages have gone to the file (cache_size 1 spills them): what a kill leaves.
        def __init__(self, conn):
            self.conn = conn
            conn.execute("PRAGMA cache_size = 1")

        def __getattr__(self, name):
            return getattr(self.conn, name)

        def execute(self, sql, *args):
            if sql == "COMMIT":
                os.kill(os.getpid(), signal.SIGKILL)
            return self.conn.execute(sql, *args)

    real = store.Store._update
    store.Store._update = lambda self, conn, sections: real(self, Killing(conn), sections)
    root = Path(sys.argv[1])
    pipeline.build(SiteConfig(content=root / "content", output=root / "site",
                              cache=root / "cache", base_url="https://example.org/digest/"))
    """
)


@pytest.mark.parametrize("journal", ["kept", "lost"])
def test_a_build_killed_while_saving_the_store_leaves_the_next_build_right(
    project: Path, journal: str
) -> None:
    config = config_for(project)
    assert pipeline.build(config).written
    add_edition(project)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(project)], env=env, capture_output=True, check=False
    )
    assert killed.returncode == -9, killed.stderr
    journals = list((project / "cache").glob(f"{NAME}-journal"))
    assert journals  # the kill came mid-transaction
    assert tree(project / "site") == clean(project)  # the site went live before the save
    if journal == "lost":  # the file as the kill left it, pages half new: a damaged store
        for path in journals:
            path.unlink()
    else:  # digest check reads it as it is (it may not roll the journal back): absent
        before = (project / "cache" / NAME).read_bytes()
        without = dataclasses.replace(config, cache=None)
        assert pipeline.check(config).problems == pipeline.check(without).problems
        assert (project / "cache" / NAME).read_bytes() == before
    (project / "content" / "009_later.txt").write_text(
        SAMPLE_TEXT.replace("French", "Edited French"), encoding="utf-8"
    )
    assert pipeline.build(config).written
    assert tree(project / "site") == clean(project)
    assert store.Store(project / "cache", pipeline.code_version()).section("named", "en") != {}
