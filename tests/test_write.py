from __future__ import annotations

import hashlib
import json
import os
import stat
from array import array
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


BESIDE = [".site.live.record", ".site.lock", ".site.spare", ".site.spare.record", "site"]


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


# The manifests: what the live site and the spare hold, as the writer recorded them.


def _old_manifest(folder: Path, files: dict[str, bytes]) -> bytes:
    """A manifest as an older version wrote it (JSON, path -> [sha256, size, mtime_ns]),
    vouching for `files` at their present stat."""
    records = {}
    for path, data in files.items():
        stat = (folder / path).stat()
        records[path] = [hashlib.sha256(data).hexdigest(), stat.st_size, stat.st_mtime_ns]
    return json.dumps({**records, "/": {}}).encode()


def test_an_older_versions_live_manifest_counts_as_absent(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one", "a.html": b"aaa"}, site)
    (site / "a.html").write_bytes(b"bbb")  # changed by hand; the old record vouches for "aaa"
    (tmp_path / ".site.live.record").write_bytes(
        _old_manifest(site, {MARKER: writer.MARKER_TEXT, "index.html": b"one", "a.html": b"aaa"})
    )
    assert writer.live_manifest(site) == {}
    aaa = hashlib.sha256(b"aaa").hexdigest()
    write_keeping({"index.html": b"two", "a.html": b"aaa"}, site, {"a.html": aaa})
    assert tree(site) == {"index.html": b"two", "a.html": b"aaa", MARKER: writer.MARKER_TEXT}


def test_an_older_versions_spare_manifest_counts_as_absent(tmp_path: Path) -> None:
    site, spare = tmp_path / "site", tmp_path / ".site.spare"
    write({"index.html": b"one", "a.html": b"aaa"}, site)
    write({"index.html": b"two", "a.html": b"aaa"}, site)
    (spare / "a.html").write_bytes(b"bbb")  # changed by hand, and a stray added
    (spare / "stray.html").write_bytes(b"not the site's")
    (tmp_path / ".site.spare.record").write_bytes(
        _old_manifest(spare, {MARKER: writer.MARKER_TEXT, "index.html": b"one", "a.html": b"aaa"})
    )
    write({"index.html": b"three", "a.html": b"aaa"}, site)
    assert tree(site) == {"index.html": b"three", "a.html": b"aaa", MARKER: writer.MARKER_TEXT}


def test_an_older_versions_json_records_beside_the_site_are_removed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one"}, site)
    for which in ("live", "spare"):  # their names before records were binary
        (tmp_path / f".site.{which}.json").write_bytes(_old_manifest(site, {}))
    write({"index.html": b"two"}, site)
    assert not list(tmp_path.glob("*.json"))
    assert (tmp_path / ".site.live.record").is_file()


def test_a_manifest_reads_back_as_written(tmp_path: Path) -> None:
    odd = "é/\udcff x.html"  # a name that is not UTF-8 on disk reads as a surrogate
    records = writer._Columns(
        ["a.html", odd, "b/c.xml"],
        "".join(
            hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest() for name in "abc"
        ),
        array("q", [3, 0, 2**40]),
        array("q", [1, -1, 2**62]),
    )
    folders = {"b": 7, "é": 2**60}
    path = tmp_path / "manifest"
    path.write_bytes(writer._encode(records, folders))
    read = writer._read_manifest(path)
    assert read is not None
    assert (read.paths, read.digests, read.sizes, read.mtimes) == (
        records.paths,
        records.digests,
        records.sizes,
        records.mtimes,
    )
    assert read.folders == folders
    assert read.get(odd) == (records.digest(1), 0, -1)
    files_only = writer._read_manifest(path, folders_too=False)
    assert files_only is not None and files_only.folders == {}
    assert files_only.get("b/c.xml") == (records.digest(2), 2**40, 2**62)
    assert read.get("missing.html") is None
    path.write_bytes(writer._encode(writer._Columns([], "", array("q"), array("q")), {}))
    empty = writer._read_manifest(path)
    assert empty is not None and empty.paths == [] and empty.folders == {}


def test_a_damaged_manifest_is_not_trusted(tmp_path: Path) -> None:
    """Cut short, grown, or with a wrong count: nothing in it is trusted."""
    site = tmp_path / "site"
    write({"index.html": b"one", "a/b.html": b"b", "a/c.html": b"c"}, site)
    path = tmp_path / ".site.live.record"
    whole = path.read_bytes()
    assert writer._read_manifest(path) is not None
    damaged = [whole[:cut] for cut in range(len(whole))] + [whole + b"\0", whole + b"x" * 8]
    at = len(writer.MANIFEST_MAGIC)  # the number of files (the marker's too), one more or less
    assert int.from_bytes(whole[at : at + 8], "little") == 4
    for files in (3, 5):
        damaged.append(whole[:at] + files.to_bytes(8, "little") + whole[at + 8 :])
    for data in damaged:
        path.write_bytes(data)
        assert writer._read_manifest(path) is None, data
        assert writer.live_manifest(site) == {}


@pytest.mark.parametrize("when", ["whole seconds", "as new as the record"])
def test_a_spare_file_whose_time_may_hide_an_edit_is_checked_by_its_bytes(
    tmp_path: Path, when: str
) -> None:
    """Edited by hand with its size and its recorded time kept: a time in whole seconds, or
    in the record's last tick, cannot tell, so the bytes are read before it is reused."""
    site, spare = tmp_path / "site", tmp_path / ".site.spare"
    write({"index.html": b"one", "a.html": b"aaa"}, site)
    write({"index.html": b"two", "a.html": b"aaa"}, site)  # the first site is the spare
    record = tmp_path / ".site.spare.record"
    manifest = writer._read_manifest(record)
    assert manifest is not None
    moment = 1_700_000_000 * 1_000_000_000 + (0 if when == "whole seconds" else 123_456)
    manifest.mtimes[manifest.index["a.html"]] = moment
    record.write_bytes(writer._encode(manifest, manifest.folders))
    written = moment if when == "as new as the record" else moment + 5_000_000_000
    os.utime(record, ns=(written, written))
    (spare / "a.html").write_bytes(b"bbb")
    os.utime(spare / "a.html", ns=(moment, moment))
    write({"index.html": b"three", "a.html": b"aaa"}, site)
    assert tree(site) == {"index.html": b"three", "a.html": b"aaa", MARKER: writer.MARKER_TEXT}
