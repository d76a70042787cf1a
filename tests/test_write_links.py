"""Kept files are hard-linked from the live site into the staging folder (a copy where the
file system refuses), so the live site and the spare share files: nothing may ever be
written through one. These tests stage writes and check, before the swap and after, that
the live site's bytes are untouched."""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, tree

from digest import write as writer
from digest.write import MARKER, MARKER_TEXT, write, writing


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stage(site: Path, outputs: dict[str, bytes], kept: dict[str, bytes]) -> dict[str, bytes]:
    """One incremental build: `outputs` written, `kept` taken from the live site; the live
    site is checked unchanged after the writes, before the swap."""
    before = tree(site)
    with writing(site) as staged:
        staged.put_all(outputs.items())
        missing = staged.keep({path: sha(data) for path, data in kept.items()})
        staged.put_all((path, kept[path]) for path in missing)
        assert tree(site) == before  # staged, not yet published: the live site as it was
        staged.publish()
    return before


def test_the_first_write_after_a_clean_one_links_what_it_keeps(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one", "a/index.html": b"a", "a/b/c.xml": b"c"}, site)
    old = {path: (site / path).stat().st_ino for path in ("a/index.html", "a/b/c.xml")}
    stage(site, {"index.html": b"two"}, {"a/index.html": b"a", "a/b/c.xml": b"c"})
    assert tree(site) == {
        "index.html": b"two",
        "a/index.html": b"a",
        "a/b/c.xml": b"c",
        MARKER: MARKER_TEXT,
    }
    for path, inode in old.items():  # not copied: the same files, now in both sites
        assert (site / path).stat().st_ino == inode
        assert (tmp_path / ".site.spare" / path).stat().st_ino == inode


def test_a_file_shared_with_the_live_site_is_replaced_not_written_through(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one", "a/index.html": b"a", "b/index.html": b"b"}, site)
    stage(site, {"index.html": b"two"}, {"a/index.html": b"a", "b/index.html": b"b"})
    live = tree(site)
    shared = (site / "a/index.html").stat().st_ino
    # The spare is the first site; it shares a/index.html with the live one. Writing other
    # bytes there, and deleting b/index.html, must leave the live site's files as they are.
    stage(site, {"index.html": b"three", "a/index.html": b"A, changed"}, {})
    assert tree(site) == {
        "index.html": b"three",
        "a/index.html": b"A, changed",
        MARKER: MARKER_TEXT,
    }
    spare = tmp_path / ".site.spare"
    assert tree(spare) == live  # the site before, kept whole as the spare
    assert (spare / "a/index.html").stat().st_ino == shared


@pytest.mark.parametrize("seed", range(12))
def test_any_sequence_of_linked_builds_never_changes_a_published_file(
    tmp_path: Path, seed: int
) -> None:
    """Random writes and keeps: every site published stays byte for byte as it was until
    it is replaced, and then stays so as the spare until the next build stages in it."""
    rng = random.Random(seed)
    paths = ["index.html", "a/index.html", "a/b/index.html", "c/index.html", "c/d/e.xml", "f"]
    site = tmp_path / "site"
    last: dict[str, bytes] = {}
    for step in range(8):
        outputs = {
            p: rng.choice([b"1", b"22", b"333", p.encode()]) for p in paths if rng.random() < 0.8
        }
        if step and rng.random() < 0.3:  # a clean build: no spare, the next one links
            for name in (".site.spare", ".site.spare.record"):
                target = tmp_path / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
        kept = {
            p: data for p, data in outputs.items() if last.get(p) == data and rng.random() < 0.7
        }
        before = stage(site, {p: d for p, d in outputs.items() if p not in kept}, kept)
        assert tree(site) == {**outputs, MARKER: MARKER_TEXT}
        if last:
            assert tree(tmp_path / ".site.spare") == before
        last = outputs


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EPERM, errno.EMLINK])
def test_a_file_system_that_refuses_links_gets_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    site = tmp_path / "site"
    files = {f"{n}/index.html": str(n).encode() for n in range(5)}
    write({"index.html": b"one", **files}, site)
    tried: list[str] = []

    def refuse(source: str, target: str, **kwargs: object) -> None:
        tried.append(target)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(writer.os, "link", refuse)
    stage(site, {"index.html": b"two"}, files)
    assert tree(site) == {"index.html": b"two", **files, MARKER: MARKER_TEXT}
    for path in files:  # copies: the live site's files are its own
        assert (site / path).stat().st_nlink == 1
    # Too many links to one file says nothing of the next; the others say it of all.
    assert len(tried) == (len(files) if code == errno.EMLINK else 1)


def test_a_live_file_changed_by_hand_after_it_was_recorded_is_not_linked(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one", "a.html": b"aaa", "b.html": b"bbb"}, site)
    (site / "a.html").write_bytes(b"edited by hand")
    with writing(site) as staged:
        staged.put("index.html", b"two")
        missing = staged.keep({"a.html": sha(b"aaa"), "b.html": sha(b"bbb")})
        assert missing == ["a.html"]
        assert not (tmp_path / ".site.spare" / "a.html").exists()  # the link was taken back
        staged.put("a.html", b"aaa")
        staged.publish()
    assert tree(site) == {
        "index.html": b"two",
        "a.html": b"aaa",
        "b.html": b"bbb",
        MARKER: MARKER_TEXT,
    }
    assert (tmp_path / ".site.spare" / "a.html").read_bytes() == b"edited by hand"


def test_what_a_failed_build_left_half_made_is_not_in_the_next_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file half written (the disk full), and a folder made for it, in a folder whose
    time is then as if long past: the spare's record does not vouch for that folder, and the
    next builds find and remove what it holds."""
    site = tmp_path / "site"
    write({"index.html": b"one", "a/index.html": b"a"}, site)
    write({"index.html": b"two", "a/index.html": b"a"}, site)  # the spare is known now
    real = writer._put

    def half(target: Path, data: bytes, digest: str) -> writer.Record:
        if target.name == "new.html":
            target.write_bytes(data[:1])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(target, data, digest)

    monkeypatch.setattr(writer, "_put", half)
    with writing(site) as staged:
        staged.put("index.html", b"three")
        with pytest.raises(writer.WriteError):
            staged.put("a/b/new.html", b"new")
        past = 1_600_000_000_123_456_789  # not in whole seconds: the time alone is trusted
        os.utime(tmp_path / ".site.spare" / "a", ns=(past, past))
    # Not published: the staging folder is kept as the spare, with a record.
    assert (tmp_path / ".site.spare.record").exists()
    monkeypatch.setattr(writer, "_put", real)
    for text in (b"four", b"five"):
        write({"index.html": text, "a/index.html": b"a"}, site)
        assert tree(site) == {"index.html": text, "a/index.html": b"a", MARKER: MARKER_TEXT}
        assert sorted(p.name for p in (site / "a").iterdir()) == ["index.html"]


def test_a_folder_made_for_a_file_not_kept_after_all_is_not_published(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write({"index.html": b"one", "x/y/z.html": b"z"}, site)
    (site / "x/y/z.html").unlink()  # by hand: the build finds it missing, and drops it
    with writing(site) as staged:
        staged.put("index.html", b"two")
        assert staged.keep({"x/y/z.html": sha(b"z")}) == ["x/y/z.html"]
        staged.publish()
    assert not (site / "x").exists()
    write({"index.html": b"three"}, site)
    assert sorted(p.name for p in site.iterdir()) == [MARKER, "index.html"]


KILLED_WHILE_LINKING = """
import hashlib, os, signal, sys
from pathlib import Path
from digest.write import writing

site, after = Path(sys.argv[1]), int(sys.argv[2])
links = 0

def hook(event, args):
    global links
    if event == "os.link":
        links += 1
        if links == after:
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
with writing(site) as staged:
    staged.put("index.html", b"two")
    kept = {f"{n}/index.html": hashlib.sha256(str(n).encode()).hexdigest() for n in range(6)}
    staged.keep(kept)
    staged.publish()
"""


@pytest.mark.parametrize("after", [1, 4, 6])
def test_a_build_killed_while_linking_leaves_the_live_site_and_the_next_build_right(
    tmp_path: Path, after: int
) -> None:
    site = tmp_path / "site"
    files = {f"{n}/index.html": str(n).encode() for n in range(6)}
    write({"index.html": b"one", **files}, site)  # a clean build: no spare
    before = tree(site)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_LINKING, str(site), str(after)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert tree(site) == before
    stage(site, {"index.html": b"three"}, files)
    assert tree(site) == {"index.html": b"three", **files, MARKER: MARKER_TEXT}
    assert tree(tmp_path / ".site.spare") == before
