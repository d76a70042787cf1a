from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from conftest import tree, write_keeping

from digest import write as writer
from digest.write import MARKER, WriteError, write, write_file

OLD = {"index.html": b"old", "items/a/index.html": b"a"}
NEW = {"index.html": b"new", "items/b/index.html": b"b"}


def test_first_write_creates_the_folder_readable_by_all(tmp_path: Path) -> None:
    write(NEW, tmp_path / "site")
    assert tree(tmp_path / "site") == {**NEW, MARKER: writer.MARKER_TEXT}
    mode = stat.S_IMODE((tmp_path / "site").stat().st_mode)
    assert mode & 0o055 == 0o055  # mkdtemp's private 0700 would hide the site from a web server


BESIDE = [".site.live.json", ".site.lock", ".site.spare", ".site.spare.json", "site"]


def test_a_rewrite_replaces_everything(tmp_path: Path) -> None:
    write(OLD, tmp_path / "site")
    write(NEW, tmp_path / "site")
    assert tree(tmp_path / "site") == {**NEW, MARKER: writer.MARKER_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == BESIDE


def test_the_previous_site_is_brought_up_to_date_not_rewritten(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(OLD, site)
    first = (site / "items/a/index.html").stat().st_ino
    write(NEW, site)
    changed = {**OLD, "index.html": b"newer", "extra/deep/file.txt": b"e"}
    write(changed, site)  # staged in the first build's tree, kept as the spare
    assert tree(site) == {**changed, MARKER: writer.MARKER_TEXT}
    assert (site / "items/a/index.html").stat().st_ino == first  # unchanged: not written again
    write({"index.html": b"only"}, site)
    write({"index.html": b"only"}, site)
    assert tree(site) == {"index.html": b"only", MARKER: writer.MARKER_TEXT}
    assert not (site / "extra").exists()  # emptied folders go too


@pytest.mark.parametrize("seed", range(20))
def test_any_sequence_of_writes_leaves_exactly_the_last_outputs(tmp_path: Path, seed: int) -> None:
    """Each write passes some unchanged files as kept (by digest, not bytes), as an
    incremental build does; now and then a kept digest is stale and that file is written."""
    import random

    rng = random.Random(seed)
    paths = ["index.html", "a/index.html", "a/b/index.html", "c/index.html", "c/d/e.xml", "f.json"]
    site = tmp_path / "site"
    last: dict[str, bytes] = {}
    for _ in range(8):
        outputs = {
            p: rng.choice([b"1", b"2", b"3"]) for p in rng.sample(paths, rng.randint(1, len(paths)))
        }
        kept = {
            p: hashlib.sha256(data).hexdigest()
            for p, data in outputs.items()
            if last.get(p) == data and rng.random() < 0.7
        }
        stale = bool(kept) and rng.random() < 0.2
        if stale:
            kept[next(iter(kept))] = "0" * 64
        holds = write_keeping(outputs, site, kept).holds
        expected = {**outputs, MARKER: writer.MARKER_TEXT}
        assert holds == {p: hashlib.sha256(data).hexdigest() for p, data in expected.items()}
        assert tree(site) == expected
        last = outputs


def test_without_an_atomic_exchange_the_two_rename_fallback_works(
    tmp_path: Path, monkeypatch
) -> None:
    write(OLD, tmp_path / "site")
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    write(NEW, tmp_path / "site")
    assert tree(tmp_path / "site") == {**NEW, MARKER: writer.MARKER_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == BESIDE


def test_a_site_moved_aside_by_a_killed_fallback_swap_is_restored_first(tmp_path: Path) -> None:
    write(OLD, tmp_path / "site")
    (tmp_path / "site").rename(tmp_path / ".site.old-x1")
    (tmp_path / ".site.tmp-x2").mkdir()

    class Boom(Exception):
        pass

    def fail(staging: Path, out_dir: Path) -> None:
        raise Boom

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "_swap", fail)
        with pytest.raises(Boom):
            write(NEW, tmp_path / "site")
    assert tree(tmp_path / "site") == {**OLD, MARKER: writer.MARKER_TEXT}
    # The site's record went just before the swap (which might have half happened): the next
    # build takes nothing on trust and writes every file.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "site"]


def test_refuses_a_file_or_a_foreign_folder_but_takes_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="it is a file"):
        write(NEW, tmp_path / "file")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(WriteError, match="refusing to replace"):
        write(NEW, tmp_path / "foreign")
    (tmp_path / "empty").mkdir()
    write(NEW, tmp_path / "empty")
    assert (tmp_path / "empty" / "index.html").read_bytes() == b"new"


def test_an_unwritable_parent_is_a_write_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(WriteError, match="cannot write"):
        write(NEW, tmp_path / "blocker" / "site")


def test_write_file_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "dates.yaml"
    target.write_text("old")
    write_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["dates.yaml"]
