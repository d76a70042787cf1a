"""The previous build as the next one uses it: which files are read and parsed again, what
digest check may touch, and that none of it changes the site."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, TWO_ITEMS, config_for, tree

from digest import load, pipeline, previous
from digest.store import NAME

HOUR_NS = 3600 * 10**9


def items(mark: str) -> str:
    """Two items of their own (no repeats of another file's)."""
    return TWO_ITEMS.replace("AMI", mark).replace("The CNIL", f"The {mark} office")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    for n in range(3):
        path = content / f"00{n}_e.txt"
        path.write_text(items(f"AMI{n}"), encoding="utf-8")
        old = path.stat().st_mtime_ns - HOUR_NS  # long settled: its stat alone tells
        os.utime(path, ns=(old, old))
    return tmp_path


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The item files parsed, by name, as the builds go."""
    names: list[str] = []
    real = load.parse_text

    def spy(text: str, shown: str) -> object:
        names.append(Path(shown).name)
        return real(text, shown)

    monkeypatch.setattr(load, "parse_text", spy)
    return names


@pytest.fixture
def digested(monkeypatch) -> list[str]:
    """The files whose bytes the layer read to compare their digest."""
    names: list[str] = []
    real = previous._digest_of

    def spy(path: str) -> bytes | None:
        names.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(previous, "_digest_of", spy)
    return names


def clean(project: Path) -> dict[str, bytes]:
    assert pipeline.build(config_for(project, output=project / "clean", cache=None)).written
    return tree(project / "clean")


def test_files_unchanged_are_neither_read_nor_parsed_again(
    project: Path, parsed: list[str], digested: list[str]
) -> None:
    config = config_for(project)
    assert pipeline.build(config).written
    assert sorted(parsed) == ["000_e.txt", "001_e.txt", "002_e.txt"]
    parsed.clear()
    assert pipeline.build(config).written
    assert parsed == [] and digested == []  # the stat was enough
    assert tree(project / "site") == clean(project)


def test_a_file_touched_is_read_but_not_parsed_and_one_edited_is_parsed(
    project: Path, parsed: list[str], digested: list[str]
) -> None:
    config = config_for(project)
    pipeline.build(config)
    touched, edited = project / "content" / "000_e.txt", project / "content" / "001_e.txt"
    touched.write_bytes(touched.read_bytes())
    stat = edited.stat()
    edited.write_text(items("IMA1"), encoding="utf-8")  # the same size
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    parsed.clear()
    pipeline.build(config)
    assert sorted(digested) == ["000_e.txt", "001_e.txt"]  # a change of ctime is seen
    assert parsed == ["001_e.txt"]
    assert tree(project / "site") == clean(project)


def test_a_file_changed_within_the_clock_tick_of_its_read_is_compared_by_its_bytes(
    project: Path, parsed: list[str], digested: list[str]
) -> None:
    config = config_for(project)
    fresh = project / "content" / "005_new.txt"
    fresh.write_text(items("Fresh"), encoding="utf-8")
    pipeline.build(config)
    parsed.clear()
    pipeline.build(config)
    assert digested == ["005_new.txt"]  # written in the last tick: its stat is not trusted
    assert parsed == []


def test_the_same_file_shown_from_another_folder_is_parsed_again(
    project: Path, parsed: list[str], monkeypatch
) -> None:
    """Problems name files as the command line shows them: a known parse holds its names."""
    (project / "content" / "002_e.txt").write_text("A summary alone.\n", encoding="utf-8")
    monkeypatch.chdir(project)
    config = config_for(Path("."))
    first = pipeline.build(config).problems
    parsed.clear()
    monkeypatch.chdir(project / "content")
    second = pipeline.build(config_for(Path(".."))).problems
    assert "002_e.txt" in parsed
    assert "content/002_e.txt" in {p.file for p in first}
    assert {p.file for p in second} == {"../" + p.file for p in first}


def test_check_reads_the_store_and_writes_nothing(project: Path, parsed: list[str]) -> None:
    config = config_for(project)
    assert pipeline.check(config).problems == []
    assert not (project / "cache").exists()
    pipeline.build(config)
    store = project / "cache" / NAME
    before = store.read_bytes(), store.stat().st_mtime_ns
    listing = sorted(p.name for p in (project / "cache").iterdir())
    (project / "content" / "009_new.txt").write_text(items("Z"), "utf-8")
    parsed.clear()
    assert pipeline.check(config).problems == []
    assert parsed == ["009_new.txt"]  # the others' parses came from the store
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    assert sorted(p.name for p in (project / "cache").iterdir()) == listing


def test_an_unchanged_rebuild_keeps_every_page_and_renders_none(project: Path) -> None:
    config = config_for(project)
    first = pipeline.build(config)
    assert first.rendered == len(first.site.pages)
    again = pipeline.build(config)
    assert again.rendered == 0
    assert tree(project / "site") == clean(project)


def test_equal_evidence_read_from_the_store_is_one_object(project: Path) -> None:
    """Each bucket of the store is pickled apart: equal evidence of items in two buckets
    would come back as two copies, which a large archive holds by the hundred thousand."""
    content = project / "content"
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    # The same topic found by the same terms in many items: buckets are by key, so some
    # of them are in different buckets.
    lines = [f"The CNIL fined firm {n} over AI data.\nAnalysis — Privacy.\n" for n in range(40)]
    (content / "005_same.txt").write_text("".join(lines), encoding="utf-8")
    config = config_for(project)
    pipeline.build(config)
    layer = previous.Previous(config, pipeline._version(config), writable=False)
    try:
        loaded = load.load(config.content, config)
        known = layer.known(loaded.taxonomy, config.language)
    finally:
        layer.close()
    found: dict[object, list[object]] = {}
    for _, evidence in known.tagged.values():
        for one in evidence:
            found.setdefault(one, []).append(one)
    repeated = [copies for copies in found.values() if len(copies) > 1]
    assert repeated  # the test means something: some evidence is in several items
    assert all(all(copy is copies[0] for copy in copies) for copies in repeated)
    topics = [names for names, _ in known.tagged.values() if names]
    assert all(names is topics[0] for names in topics if names == topics[0])
