"""Compiled templates in the build cache: damaged ones count as absent; a cache that cannot be\nwritten gives a note (the build store's own failures: tests/test_store.py)."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT, config_for, tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import cache as cache_module
from digest import pipeline, store
from digest.cache import BuildCache


def test_an_entry_comes_back_only_as_written(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    cache.write("entry", b"compiled code")
    assert cache.read("entry") == b"compiled code"
    assert cache.read("absent") is None
    (tmp_path / "folder").mkdir()
    assert cache.read("folder") is None
    assert BuildCache(None).read("entry") is None


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_an_entry_changed_in_any_way_counts_as_absent(tmp_path: Path, data: st.DataObject) -> None:
    cache = BuildCache(tmp_path)
    cache.write("entry", b"x" * 50 + bytes(range(20)))
    path = tmp_path / "entry"
    good = path.read_bytes()
    how = data.draw(st.sampled_from(["truncate", "flip", "random", "append"]))
    if how == "truncate":
        damaged = good[: data.draw(st.integers(0, len(good) - 1))]
    elif how == "flip":
        at = data.draw(st.integers(0, len(good) - 1))
        bit = data.draw(st.integers(0, 7))
        damaged = good[:at] + bytes([good[at] ^ (1 << bit)]) + good[at + 1 :]
    elif how == "append":
        damaged = good + data.draw(st.binary(min_size=1, max_size=20))
    else:
        damaged = data.draw(st.binary(max_size=300))
    path.write_bytes(damaged)
    assert cache.read("entry") is None


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(ROOT / "content" / "000_e808da6115982e84.txt", content / "001_first.txt")
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    return tmp_path


def _clean_build(sample: Path) -> dict[str, bytes]:
    result = pipeline.build(config_for(sample, output=sample / "clean", cache=None))
    assert result.written
    return tree(sample / "clean")


def test_compiled_templates_are_kept_and_used(sample: Path, monkeypatch) -> None:
    config = config_for(sample)
    pipeline.build(config)
    compiled = list((sample / "cache" / "templates").iterdir())
    assert len(compiled) >= 15
    loaded: list[bool] = []
    real = cache_module.CompiledTemplates.load_bytecode

    def spy(self, bucket) -> None:
        real(self, bucket)
        loaded.append(bucket.code is not None)

    monkeypatch.setattr(cache_module.CompiledTemplates, "load_bytecode", spy)
    pipeline.build(config)
    assert loaded and all(loaded)


@pytest.mark.parametrize("damage", ["truncate", "flip", "text", "swap"])
def test_damaged_compiled_templates_are_compiled_again(sample: Path, damage: str) -> None:
    clean = _clean_build(sample)
    config = config_for(sample)
    pipeline.build(config)
    files = sorted((sample / "cache" / "templates").iterdir())
    for n, path in enumerate(files):
        data = path.read_bytes()
        if damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "flip":  # in the code: a segmentation fault if it were run
            data = data[:-40] + bytes(b ^ 0xFF for b in data[-40:-30]) + data[-30:]
        elif damage == "text":  # in a string constant: a page with the wrong text
            data = data.replace(b"<!DOCTYPE", b"<!DOCTYPX").replace(b"<?xml", b"<?xmX")
        else:  # another template's entry, whole and verified, under this one's name
            data = files[(n + 1) % len(files)].read_bytes()
        path.write_bytes(data)
    shutil.rmtree(sample / "site")  # every page rendered again, with the cached templates
    result = pipeline.build(config)
    assert result.written and not result.notes
    assert tree(sample / "site") == clean


@pytest.mark.parametrize("failing", ["templates", "store", "both"])
def test_a_full_disk_gives_one_note_for_every_cache_write(
    sample: Path, monkeypatch, failing: str
) -> None:
    clean = _clean_build(sample)
    writes: list[Path] = []

    def full(path: Path, data: bytes) -> None:
        writes.append(path)
        raise OSError(errno.ENOSPC, "No space left on device")

    def store_full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    if failing != "store":
        monkeypatch.setattr(cache_module, "write_file", full)
    if failing != "templates":
        monkeypatch.setattr(store.Store, "_create", store_full)
    result = pipeline.build(config_for(sample))
    assert result.written
    assert bool(writes) == (failing != "store")  # compiled templates, each tried
    assert all(p.parent.name == "templates" for p in writes)
    assert len(result.notes) == 1 and "could not save the build cache" in result.notes[0]
    assert tree(sample / "site") == clean


def test_a_cache_folder_that_cannot_be_made_gives_a_note(sample: Path) -> None:
    _clean_build(sample)  # records the edition's date: no note for that below
    (sample / "cache").write_text("a file where the folder should be")
    result = pipeline.build(config_for(sample))
    assert result.written
    assert len(result.notes) == 1 and "could not save the build cache" in result.notes[0]
