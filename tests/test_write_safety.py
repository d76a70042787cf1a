"""The writer never loses what it should keep and never publishes what it did not make:
symlinked and mounted output folders, outputs that hold the build's own inputs, disks that
fill, and kept sites changed by hand."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import TWO_ITEMS, config_for, tree, write_keeping
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import cache as cache_module
from digest import pipeline, store
from digest import write as writer
from digest.write import MARKER, MARKER_TEXT, WriteError, write

MORE = "Mistral released a new open model. It runs on one chip.\nAnalysis: Europe ships.\n"


def project(tmp_path: Path, **settings: object):
    (tmp_path / "content").mkdir(exist_ok=True)
    (tmp_path / "content" / "001_a.txt").write_text(TWO_ITEMS, encoding="utf-8")
    return config_for(tmp_path, **settings)


def clean_build(tmp_path: Path, content: Path, name: str = "clean") -> dict[str, bytes]:
    """The same content built from scratch elsewhere (with the dates recorded so far)."""
    elsewhere = tmp_path / name
    shutil.rmtree(elsewhere, ignore_errors=True)
    shutil.copytree(content, elsewhere / "content")
    assert pipeline.build(config_for(elsewhere, cache=None)).written
    return tree(elsewhere / "site")


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry below `folder`: files with their bytes, links with their targets."""
    seen: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            seen[key] = ("link", os.readlink(path))
        elif path.is_file():
            seen[key] = path.read_bytes()
        else:
            seen[key] = "folder"
    return seen


# Family 1: an output folder that is a symbolic link.


@pytest.mark.parametrize("target_exists", [True, False])
def test_a_symlinked_output_is_built_through_and_the_link_kept(
    tmp_path: Path, target_exists: bool
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    if target_exists:
        (www / "html").mkdir()  # an empty web root, as a web server's package leaves it
    link = tmp_path / "site"
    link.symlink_to(www / "html")
    config = project(tmp_path)
    for round in range(3):
        if round == 2:
            (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
        assert pipeline.build(config).written
        assert link.is_symlink() and os.readlink(link) == str(www / "html")
        assert tree(www / "html") == clean_build(tmp_path, tmp_path / "content")
    # Staging, spare, lock and records sit beside the link's target, none beside the link.
    assert sorted(p.name for p in www.iterdir()) == [
        ".html.live.record",
        ".html.lock",
        ".html.spare",
        ".html.spare.record",
        "html",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]


def test_a_link_whose_target_folder_cannot_be_written_beside_is_a_clear_error(
    tmp_path: Path,
) -> None:
    www = tmp_path / "www"
    www.mkdir()
    (www / "html").mkdir()
    link = tmp_path / "site"
    link.symlink_to(www / "html")
    if os.geteuid() != 0:
        www.chmod(0o555)
    else:  # root writes through permissions: a read-only file system stops it
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(www)]).returncode:
            pytest.skip("cannot make a read-only folder here (root, and mounting not allowed)")
        (www / "html").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(www)], check=True)
    try:
        with pytest.raises(WriteError) as caught:
            write({"index.html": b"x"}, link)
        message = str(caught.value)
        assert f"'{link}', a link to '{www / 'html'}'" in message
        assert f"in '{www}', which must be writable" in message
        assert link.is_symlink() and os.readlink(link) == str(www / "html")
        assert list((www / "html").iterdir()) == []
    finally:
        if os.geteuid() != 0:
            www.chmod(0o755)
        else:
            subprocess.run(["umount", str(www)], check=True)


# Family 2: an output folder that is or holds what a build reads.

PLACES = ["", "a", "a/b", "c"]  # folders of a project, relative to its root


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.sampled_from(PLACES),
    templates=st.sampled_from(PLACES),
    cache=st.sampled_from(PLACES),
    config=st.sampled_from(PLACES),
    output=st.sampled_from([*PLACES, "a/site", "site", "c/site"]),
    through_link=st.booleans(),
)
def test_an_output_that_holds_what_a_build_reads_is_refused_before_anything_is_touched(
    tmp_path_factory: pytest.TempPathFactory,
    content: str,
    templates: str,
    cache: str,
    config: str,
    output: str,
    through_link: bool,
) -> None:
    root = tmp_path_factory.mktemp("project")
    places = {
        "content": root / content / "news",
        "templates": root / templates / "templates",
        "cache": root / cache / "cache",
        "config": root / config / "site.yaml",
    }
    places["content"].mkdir(parents=True)
    (places["content"] / "001_a.txt").write_text(TWO_ITEMS, encoding="utf-8")
    places["templates"].mkdir(parents=True, exist_ok=True)
    (places["templates"] / "_note.html").write_text("kept", encoding="utf-8")
    places["config"].parent.mkdir(parents=True, exist_ok=True)
    places["config"].write_text("title: Mine\n", encoding="utf-8")
    out = root / output
    if through_link:  # the same folder named through a link: compared by real path
        (root / "link").symlink_to(root)
        out = root / "link" / output
    settings = config_for(
        root,
        content=places["content"],
        output=out,
        cache=places["cache"],
        templates=places["templates"],
    )
    inputs = [places["content"], places["templates"], places["cache"], places["config"]]
    real_out = (root / output).resolve()
    holds = any(real_out == p or real_out in p.parents for p in inputs)
    holds |= real_out == places["content"] or places["content"] in real_out.parents
    before = snapshot(root)
    if holds:
        with pytest.raises(WriteError, match="refusing to build into") as caught:
            pipeline.build(settings, config_file=places["config"])
        assert str(out) in str(caught.value)
        assert snapshot(root) == before  # not a byte written: not the cache, not the ledger
    else:
        assert pipeline.build(settings, config_file=places["config"]).written
        after = snapshot(root)
        assert {k: v for k, v in before.items() if k in after} == before  # nothing lost


# Family 3: an output folder that is a mount point.


def _check_in_place(site: Path, tmp_path: Path, config, notes: list[str]) -> None:
    assert any("is a mount point" in note and "one by one" in note for note in notes)
    assert tree(site) == clean_build(tmp_path, tmp_path / "content")


def test_a_mounted_output_is_updated_in_place(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(site)]).returncode:
        pytest.skip("mounting is not allowed here: see the monkeypatched test below")
    try:
        inode = site.stat().st_ino
        config = project(tmp_path)
        result = pipeline.build(config)
        _check_in_place(site, tmp_path, config, result.notes)
        index = (site / "index.html").stat().st_ino
        (site / "stray.txt").write_text("not digest's")
        (site / ".digest-tmp-left").write_text("from a killed build")
        (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
        result = pipeline.build(config)
        _check_in_place(site, tmp_path, config, result.notes)
        assert (site / "index.html").stat().st_ino != index  # replaced, not written through
        assert site.stat().st_ino == inode and os.path.ismount(site)
        assert not list(tmp_path.glob(".site.spare*"))
    finally:
        subprocess.run(["umount", str(site)], check=True)


def test_a_mounted_output_is_never_renamed(tmp_path: Path, monkeypatch) -> None:
    """Where mounting is not allowed: the mount check says yes, and renaming the folder
    fails as the kernel makes it fail on a mount point."""
    site = tmp_path / "site"
    monkeypatch.setattr(writer, "_is_mount", lambda folder: folder == site)
    rename, exchange = os.rename, writer._exchange

    def busy(fn):
        def call(a, b, *rest):
            if site in (Path(a), Path(b)):
                raise OSError(errno.EBUSY, "Device or resource busy", str(site))
            return fn(a, b, *rest)

        return call

    monkeypatch.setattr(os, "rename", busy(rename))
    monkeypatch.setattr(writer, "_exchange", busy(exchange))
    site.mkdir()
    config = project(tmp_path)
    _check_in_place(site, tmp_path, config, pipeline.build(config).notes)
    (site / "items").rename(site / "moved")  # a folder not as recorded
    (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
    _check_in_place(site, tmp_path, config, pipeline.build(config).notes)


# Family 4: a disk that fills at any write point.


def enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_ledger_that_cannot_be_written_publishes_nothing(tmp_path: Path, monkeypatch) -> None:
    config = project(tmp_path)
    assert pipeline.build(config).written
    before = tree(tmp_path / "site")
    ledger = (tmp_path / "content" / "dates.yaml").read_bytes()
    (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
    monkeypatch.setattr(pipeline, "write_file", enospc)
    with pytest.raises(WriteError, match=r"dates.yaml \(No space left on device\); nothing was"):
        pipeline.build(config)
    assert tree(tmp_path / "site") == before
    assert (tmp_path / "content" / "dates.yaml").read_bytes() == ledger


def test_a_disk_full_while_staging_publishes_nothing(tmp_path: Path, monkeypatch) -> None:
    config = project(tmp_path)
    assert pipeline.build(config).written
    before = tree(tmp_path / "site")
    (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
    monkeypatch.setattr(writer, "_put", enospc)
    with pytest.raises(WriteError, match="No space left on device"):
        pipeline.build(config)
    assert tree(tmp_path / "site") == before


@pytest.mark.parametrize(
    ("record", "note"),
    [
        (
            ".site.live.record",
            "the site was published; could not record what it holds (No space left on "
            "device): the next build renders every page again",
        ),
        (
            ".site.spare.record",
            "the site was published; could not record what '{spare}' holds (No space left "
            "on device): the next build writes every file",
        ),
        ("cache", "could not save the build cache in cache: database or disk is full"),
    ],
)
def test_a_disk_full_after_the_swap_is_a_true_note(
    tmp_path: Path, monkeypatch, cli, record: str, note: str
) -> None:
    config = project(tmp_path)
    assert pipeline.build(config).written
    (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
    real = writer.write_file

    def full(path: Path, data: bytes) -> None:
        if path.name == record or path.parent.name == record:
            enospc()
        real(path, data)

    monkeypatch.setattr(writer, "write_file", full)
    monkeypatch.setattr(cache_module, "write_file", full)
    if record == "cache":  # the build store is written by SQLite, which says so its own way

        def store_full(*args: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(store.Store, "_update", store_full)
        monkeypatch.setattr(store.Store, "_create", store_full)
    (tmp_path / "site.yaml").write_text(
        "base_url: https://example.org/digest/\ncontent: content\noutput: site\ncache: cache\n"
    )
    run = cli("build")  # the settings of config_for, as the command reads them
    assert run.code == 0, run.err
    expected = note.format(spare=tmp_path / ".site.spare")
    assert expected in run.out
    assert "recorded the date of 002_b.txt" in run.out
    assert "002_b.txt" in (tmp_path / "content" / "dates.yaml").read_text()
    clean = clean_build(tmp_path, tmp_path / "content")
    assert tree(tmp_path / "site") == clean
    monkeypatch.setattr(writer, "write_file", real)
    monkeypatch.setattr(cache_module, "write_file", real)
    assert cli("build").code == 0
    assert tree(tmp_path / "site") == clean


# Family 5: the kept previous site and the live site, changed by hand.


def _recorded_mtime(site: Path, page: str) -> int:
    manifest = writer._read_manifest(site.parent / f".{site.name}.live.record")
    assert manifest is not None
    record = manifest.get(page)
    assert record is not None
    return record[2]


@pytest.mark.parametrize("where", ["spare", "live"])
@pytest.mark.parametrize("how", ["delete", "longer", "same size, later time", "link"])
def test_a_kept_site_changed_by_hand_is_not_trusted(tmp_path: Path, where: str, how: str) -> None:
    config = project(tmp_path)
    (tmp_path / "content" / "002_b.txt").write_text(MORE, encoding="utf-8")
    for _ in range(3):  # the spare is known, and unchanged pages are kept from the live site
        assert pipeline.build(config).written
    folder = tmp_path / ("site" if where == "live" else ".site.spare")
    page = next(p for p in tree(folder) if p.startswith("items/"))
    target = folder / page
    if how == "delete":
        target.unlink()
    elif how == "longer":
        target.write_bytes(target.read_bytes() + b"<!-- edited -->")
    elif how == "link":
        secret = tmp_path / "secret.txt"
        secret.write_text("password")
        target.unlink()
        target.symlink_to(secret)
    else:
        recorded = _recorded_mtime(tmp_path / "site", page) if where == "live" else None
        data = target.read_bytes()
        target.write_bytes(data.replace(b"<", b"[", 1))
        if recorded is not None:
            # An edit a moment later. Set back to the very nanosecond recorded (and older
            # than the record), an edit of the same size is not seen: that is the limit of
            # checking by size and time, and why a file timed in whole seconds is read.
            os.utime(target, ns=(recorded + 1_000_000, recorded + 1_000_000))
    clean = clean_build(tmp_path, tmp_path / "content")
    for _ in range(2):  # and once more, when the changed site has become the spare
        assert pipeline.build(config).written
        assert tree(tmp_path / "site") == clean
    if how == "link":
        assert (tmp_path / "secret.txt").read_text() == "password"


def test_a_file_timed_in_whole_seconds_is_checked_by_its_bytes(tmp_path: Path) -> None:
    """As on a coarse file system, or after cp -p: the time cannot tell an edit made
    within the same second, so the writer reads the bytes."""
    site = tmp_path / "site"
    write({"index.html": b"one", "a.html": b"aaa"}, site)
    whole = 1_700_000_000 * 1_000_000_000
    os.utime(site / "a.html", ns=(whole, whole))
    manifest_path = tmp_path / ".site.live.record"
    manifest = writer._read_manifest(manifest_path)
    assert manifest is not None
    manifest.mtimes[manifest.index["a.html"]] = whole  # as a coarse file system records
    manifest_path.write_bytes(writer._encode(manifest, manifest.folders))
    assert writer.live_manifest(site)["a.html"] == hashlib.sha256(b"aaa").hexdigest()
    (site / "a.html").write_bytes(b"bbb")  # same size, time set back to the recorded one
    os.utime(site / "a.html", ns=(whole, whole))
    with writer.writing(site) as staged:  # the writer reads the bytes before keeping it
        staged.put("index.html", b"two")
        assert staged.keep({"a.html": hashlib.sha256(b"aaa").hexdigest()}) == ["a.html"]
        staged.put("a.html", b"aaa")
        written = staged.publish()
    assert tree(site) == {"index.html": b"two", "a.html": b"aaa", MARKER: MARKER_TEXT}
    assert written.holds["a.html"] == hashlib.sha256(b"aaa").hexdigest()


PATHS = ["index.html", "a/index.html", "a/b/index.html", "c/index.html", "c/d/e.xml"]
TAMPER = st.tuples(
    st.sampled_from(["site", ".site.spare"]),
    st.sampled_from(PATHS),
    st.sampled_from(["delete", "edit", "grow", "link", "folder", "stray"]),
)
STEP = st.one_of(
    st.dictionaries(st.sampled_from(PATHS), st.sampled_from([b"1", b"22", b"333"]), min_size=1),
    TAMPER,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, min_size=1, max_size=10), keep=st.randoms(use_true_random=False))
def test_any_writes_and_hand_changes_leave_exactly_the_last_outputs(
    tmp_path_factory: pytest.TempPathFactory, steps: list, keep
) -> None:
    """Writes pass unchanged files as kept, as an incremental build does; between them a
    hand deletes, edits, links or adds files in the live site and in the spare."""
    root = tmp_path_factory.mktemp("tamper")
    site = root / "site"
    secret = root / "secret.txt"
    secret.write_bytes(b"secret")
    last: dict[str, bytes] = {}
    for step in steps:
        if isinstance(step, tuple):
            folder, path, how = step
            target = root / folder / path
            if not target.parent.is_dir() or not (root / folder).is_dir():
                continue
            if how == "stray":
                (target.parent / "stray.txt").write_bytes(b"stray")
            elif how == "folder":
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
                (target / "x").mkdir(parents=True)
            elif target.is_file() and not target.is_symlink():
                if how == "delete":
                    target.unlink()
                elif how == "link":
                    target.unlink()
                    target.symlink_to(secret)
                else:
                    data = target.read_bytes()
                    target.write_bytes(b"9" * len(data) if how == "edit" else data + b"+")
            continue
        outputs = step
        kept = {
            p: hashlib.sha256(data).hexdigest()
            for p, data in outputs.items()
            if last.get(p) == data and keep.random() < 0.7
        }
        written = write_keeping(outputs, site, kept)
        expected = {**outputs, MARKER: MARKER_TEXT}
        assert tree(site) == expected
        assert not any(p.is_symlink() for p in site.rglob("*"))
        assert written.holds == {p: hashlib.sha256(d).hexdigest() for p, d in expected.items()}
        last = outputs
    assert secret.read_bytes() == b"secret"
