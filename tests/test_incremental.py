"""Incremental builds: after any sequence of changes, the site a build makes with its cache
and its previous output is byte-identical to a clean build's of the same inputs."""

from __future__ import annotations

import calendar
import hashlib
import io
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE, tree

from digest import export, fingerprint, pipeline, render, search
from digest.cli import main
from digest.config import SiteConfig

TAXONOMY = (ROOT / "content" / "topics.yaml").read_text(encoding="utf-8")
MONTHS = [calendar.month_name[number] for number in range(1, 13)]
LINES = [line.strip() for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
SAMPLE_PAIRS = [
    (summary, analysis)
    for summary, analysis in itertools.pairwise(LINES)
    if analysis.startswith("Analysis") and not summary.startswith("Analysis")
]
WORDS = "regulation funding open-source model chips Mistral CNIL Paris startup union".split()


def edition_text(rng: random.Random) -> str:
    """A few items: sample items, some with a made-up sentence so that stories differ, some
    repeated word for word (published once) or nearly (grouped as duplicates)."""
    lines = []
    for _ in range(rng.randint(1, 5)):
        summary, analysis = rng.choice(SAMPLE_PAIRS)
        if rng.random() < 0.7:
            summary += " " + " ".join(rng.choices(WORDS, k=4)).capitalize() + "."
        lines += [summary, analysis]
    if rng.random() < 0.2:
        lines.insert(0, f"---\ntitle: Special {rng.randint(1, 9)}\n---")
    return "\n".join(lines) + "\n"


# Templates an editor may change, and where a change goes in each.
TEMPLATE_ENDS = [
    ("_item.html", "</article>"),
    ("sitemap.xml", "</urlset>"),
    ("rss.xml", "</channel>"),
    ("feeds.opml", "</body>"),
]


class Project:
    """A content folder, a site.yaml's worth of settings and a templates folder, changed
    at random; `built()` builds incrementally, `clean()` from scratch in another place."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.content = root / "content"
        self.templates = root / "templates"
        self.content.mkdir(parents=True)
        self.templates.mkdir()
        (self.content / "topics.yaml").write_text(TAXONOMY, encoding="utf-8")
        (self.templates / "logo.png").write_bytes(
            b"\x89PNG\r\n\x1a\n\xff"
        )  # not every file is text
        self.settings: dict[str, object] = {}
        self.numbers = 0
        for _ in range(3):
            self.add()

    def files(self) -> list[Path]:
        return sorted(self.content.glob("*.txt"))

    def add(self) -> None:
        self.numbers += 1
        name = f"{self.numbers:03d}_edition.txt"
        (self.content / name).write_text(edition_text(self.rng), encoding="utf-8")

    def change(self) -> str:
        files = self.files()
        what = self.rng.choice(
            ["add", "add", "edit", "delete", "rename", "template", "setting", "taxonomy", "touch"]
        )
        if what == "add" or not files:
            self.add()
        elif what == "edit":
            path = self.rng.choice(files)
            lines = path.read_text(encoding="utf-8").splitlines()
            spot = self.rng.randrange(len(lines))
            if lines[spot] and lines[spot] != "---":
                lines[spot] += " Updated."
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        elif what == "delete" and len(files) > 1:
            self.rng.choice(files).unlink()
        elif what == "rename":
            path = self.rng.choice(files)
            self.numbers += 1
            path.rename(self.content / f"{self.numbers:03d}_renamed.txt")
        elif what == "template":
            # A page's, or one of the whole archive's files' (each of which may be kept).
            name, end = self.rng.choice(TEMPLATE_ENDS)
            source = (render.builtin_templates() / name).read_text(encoding="utf-8")
            mark = self.rng.randint(1, 3)
            (self.templates / name).write_text(
                source.replace(end, f"<!-- variant {mark} -->{end}", 1), encoding="utf-8"
            )
        elif what == "setting":
            key, value = self.rng.choice(
                [
                    ("items_per_page", self.rng.randint(1, 4)),
                    ("feed_size", self.rng.randint(1, 6)),
                    ("title", f"Digest {self.rng.randint(1, 3)}"),
                    ("base_url", f"https://example.org/{self.rng.choice(['', 'a/', 'b/'])}"),
                ]
            )
            self.settings[key] = value
        elif what == "taxonomy":
            text = (self.content / "topics.yaml").read_text(encoding="utf-8")
            threshold = self.rng.choice(["1.5", "2", "3"])
            text = re.sub(r"(?m)^  threshold: .*$", f"  threshold: {threshold}", text)
            (self.content / "topics.yaml").write_text(text, encoding="utf-8")
        else:  # touched, not changed: nothing may differ
            path = self.rng.choice(files)
            path.write_bytes(path.read_bytes())
        return what

    def config(self, root: Path, **more: object) -> SiteConfig:
        values: dict[str, object] = {
            "content": root / "content",
            "output": root / "site",
            "cache": root / "cache",
            "templates": root / "templates",
            "search": True,
        }
        return SiteConfig(**{**values, **self.settings, **more})  # type: ignore[arg-type]

    def command(self, root: Path, cache: str | bool = "cache") -> tuple[int, str]:
        """`digest build` with a site.yaml of these settings in `root`: its exit code and
        what it printed."""
        settings = {
            "content": "content",
            "output": "site",
            "cache": cache,
            "templates": "templates",
            "search": True,
            **self.settings,
        }
        config = root / "site.yaml"
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        said = io.StringIO()
        with redirect_stdout(said), redirect_stderr(said):
            code = main(["build", "--config", str(config)])
        return code, said.getvalue()

    def built(self) -> dict[str, bytes]:
        code, said = self.command(self.root)
        assert code == 0, said
        return tree(self.root / "site")

    def clean(self, elsewhere: Path) -> dict[str, bytes]:
        shutil.rmtree(elsewhere, ignore_errors=True)
        shutil.copytree(self.content, elsewhere / "content")  # with the dates recorded so far
        shutil.copytree(self.templates, elsewhere / "templates")
        code, said = self.command(elsewhere, cache=False)
        assert code == 0, said
        return tree(elsewhere / "site")


@pytest.fixture
def small_segments(monkeypatch) -> None:
    """Search segments of a few items, so that a handful of editions merges them."""
    monkeypatch.setattr(search, "BLOCK", 2)
    monkeypatch.setattr(search, "LARGEST", 4)
    monkeypatch.setattr(search, "SHARD", 64)  # many term files


@pytest.fixture
def small_blocks(monkeypatch) -> None:
    """items.json's chunks and the sitemap's files of 2 editions each, so that a handful
    of editions closes blocks that a build can keep."""
    monkeypatch.setattr(export, "ITEMS_BLOCK", 2)
    monkeypatch.setattr(render, "SITEMAP_BLOCK", 2)


# What can happen to the build cache between two builds. Each is generic over the files the
# cache holds, whatever their format: the cache is never the source of truth, so each must
# leave the next build exactly as a clean one, exit 0.
UPSETS = ("deleted", "damaged", "unwritable", "left by an older version")
DAMAGE = ("random bytes", "truncated", "one byte flipped", "a folder", "a link")
SQLITE = b"SQLite format 3\0"


def cache_files(cache: Path) -> list[Path]:
    """Every file (or link) below the cache folder, SQLite's side files included."""
    if not cache.is_dir():
        return []
    return sorted(p for p in cache.rglob("*") if p.is_symlink() or not p.is_dir())


def damage(path: Path, how: str, rng: random.Random, outside: Path) -> None:
    """Replace the cache file `path` by a damaged version of itself (`how`: one of DAMAGE).
    A link points to a file in `outside`, which the build must not write through."""
    data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
    path.unlink()
    if how == "random bytes":
        size = len(data) if data and rng.random() < 0.5 else rng.randint(1, 2 * len(data) + 8)
        path.write_bytes(rng.randbytes(size))
    elif how == "truncated":
        path.write_bytes(data[: rng.randrange(len(data))] if data else b"")
    elif how == "one byte flipped":
        spot = rng.randrange(len(data)) if data else 0
        flipped = bytes([(data[spot] if data else 0) ^ (1 << rng.randrange(8))])
        path.write_bytes(data[:spot] + flipped + data[spot + 1 :])
    elif how == "a folder":
        path.mkdir()
        (path / "inside").write_bytes(data[:100])
    else:
        # Named by the digest of its bytes, so that untouched_outside can tell it was not changed.
        outside.mkdir(parents=True, exist_ok=True)
        bytes_ = rng.randbytes(64) + data[:4096]
        target = outside / hashlib.sha256(bytes_).hexdigest()
        target.write_bytes(bytes_)
        path.symlink_to(target)


def untouched_outside(outside: Path) -> bool:
    """Whether every file that a link in the cache pointed to still holds its bytes."""
    files = sorted(outside.iterdir()) if outside.is_dir() else []
    return all(hashlib.sha256(f.read_bytes()).hexdigest() == f.name for f in files)


def damage_all(cache: Path, rng: random.Random, outside: Path, how: str | None = None) -> None:
    """Damage every file in the cache (each its own way, unless `how` is given); next to an
    SQLite database, a journal and a write-ahead log of random bytes too."""
    for path in cache_files(cache):
        if path.is_file() and not path.is_symlink() and path.read_bytes().startswith(SQLITE):
            for side in ("-wal", "-journal"):
                companion = path.with_name(path.name + side)
                if not companion.exists():
                    companion.write_bytes(rng.randbytes(rng.randint(1, 4096)))
    for path in cache_files(cache):
        damage(path, how or rng.choice(DAMAGE), rng, outside)


@contextmanager
def unwritable(cache: Path, replaced: bool) -> Iterator[str]:
    """The cache folder, as it is, made unwritable for the builds in the block: `replaced`
    by a file, else read-only (its modes; for root, who writes through them, a read-only
    mount where mounting is allowed, else a file after all). Says how."""
    cache.mkdir(parents=True, exist_ok=True)
    if not replaced and os.geteuid() != 0:
        folders = [cache, *(p for p in cache.rglob("*") if p.is_dir() and not p.is_symlink())]
        for folder in folders:
            folder.chmod(0o555)
        try:
            yield "read-only modes"
        finally:
            for folder in folders:
                folder.chmod(0o755)
        return
    if not replaced and _read_only_bind(cache):
        try:
            yield "a read-only mount"
        finally:
            subprocess.run(["umount", str(cache)], check=True)
        return
    aside = cache.with_name(cache.name + ".aside")
    cache.rename(aside)
    cache.write_text("a file where the cache folder should be", encoding="utf-8")
    try:
        yield "a file in its place"
    finally:
        cache.unlink()
        aside.rename(cache)


def _read_only_bind(folder: Path) -> bool:
    """Mount `folder` over itself read-only (root only; False where mounting is not allowed)."""

    def mount(*args: str) -> bool:
        return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0

    if shutil.which("mount") is None or not mount("--bind", str(folder), str(folder)):
        return False
    if not mount("-o", "remount,ro,bind", str(folder)):
        subprocess.run(["umount", str(folder)], check=True)
        return False
    return True


@contextmanager
def older_digest() -> Iterator[None]:
    """In the block, digest is another version: its code says another version and writes
    months in capitals, as an older release might have."""
    current = fingerprint.code_version
    with pytest.MonkeyPatch.context() as patch:
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] == "digest" and getattr(module, "code_version", None) is current:
                patch.setattr(module, "code_version", lambda: "an older version")
        long_date = render.long_date
        capitals = lambda when, language="en": long_date(when, language).upper()  # noqa: E731
        patch.setattr(render, "long_date", capitals)
        yield


@contextmanager
def upset(project: Project, what: str) -> Iterator[str]:
    """Do `what` (one of UPSETS) to the project's build cache for the build in the block."""
    cache, rng = project.root / "cache", project.rng
    if what == "deleted":
        shutil.rmtree(cache, ignore_errors=True)
        yield what
    elif what == "damaged":
        damage_all(cache, rng, project.root.parent / "outside")
        yield what
    elif what == "unwritable":
        with unwritable(cache, replaced=rng.random() < 0.3) as how:
            yield f"unwritable ({how})"
    else:
        with older_digest():
            project.built()  # the site and cache as the older version left them
        yield what


@pytest.mark.parametrize("seed", range(12))
def test_incremental_builds_equal_clean_builds(
    tmp_path: Path, seed: int, small_segments, small_blocks
) -> None:
    rng = random.Random(seed)
    project = Project(tmp_path / "project", rng)
    assert project.built() == project.clean(tmp_path / "clean")
    done = []
    # Each seed meets every upset of the cache once, at a random step, after that step's
    # change to the inputs.
    upsets = dict(zip(rng.sample(range(8), len(UPSETS)), UPSETS, strict=True))
    for step in range(8):
        done.append(project.change())
        with upset(project, upsets[step]) if step in upsets else nullcontext("") as what:
            if what:
                done.append(f"cache {what}")
            site = project.built()
        assert site == project.clean(tmp_path / "clean"), done
        assert untouched_outside(tmp_path / "outside"), done  # links replaced, not written through


def test_an_upgrade_of_digest_renders_every_page_again(tmp_path: Path, monkeypatch) -> None:
    project = Project(tmp_path / "project", random.Random(1))
    project.built()
    long_date = render.long_date
    capitals = lambda when, language="en": long_date(when, language).upper()  # noqa: E731
    monkeypatch.setattr(render, "long_date", capitals)  # new code...
    record = export.item_record
    monkeypatch.setattr(export, "item_record", lambda *a: {**record(*a), "new": True})
    monkeypatch.setattr(pipeline, "code_version", lambda: "the next version")  # ...new version
    site = project.built()
    assert site == project.clean(tmp_path / "clean")
    months = "JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER"
    assert any(month.encode() in site["index.html"] for month in months.split())  # in capitals
    records = json.loads(site["items.json"])["items"]
    assert records and all(record["new"] for record in records)  # no line kept from before


def test_an_unchanged_rebuild_renders_no_page_and_a_new_edition_few(tmp_path: Path) -> None:
    project = Project(tmp_path / "project", random.Random(2))
    for _ in range(6):
        project.add()
    project.built()
    config = project.config(project.root)
    again = pipeline.build(config)
    assert again.rendered == 0
    project.add()
    after = pipeline.build(config)
    # The new edition's page and items, the neighbours that now link to them, the front
    # pages of lists; not the older editions, items and topic pages.
    assert 0 < after.rendered < len(after.site.pages) / 2


def test_the_cache_can_be_deleted_or_damaged_at_any_time(tmp_path: Path) -> None:
    project = Project(tmp_path / "project", random.Random(3))
    first = project.built()
    cache = tmp_path / "project" / "cache"
    for entry in cache.iterdir():
        if entry.is_file():
            entry.write_bytes(b"not a pickle")
    assert project.built() == first
    shutil.rmtree(cache)
    assert project.built() == first
    assert replace(project.config(tmp_path), cache=None).cache is None


def test_a_template_that_reads_all_of_site_turns_page_skipping_off(tmp_path: Path) -> None:
    from digest.fingerprint import reads_only_site_values
    from digest.render import make_env

    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")  # not text: skipped
    assert reads_only_site_values(make_env([custom]))
    (custom / "_dateline.html").write_text("{{ site.title }}", encoding="utf-8")
    assert reads_only_site_values(make_env([custom]))
    (custom / "_dateline.html").write_text("{{ site.items|length }}", encoding="utf-8")
    assert not reads_only_site_values(make_env([custom]))
    (custom / "_dateline.html").write_text("{% set s = site %}{{ s.title }}", encoding="utf-8")
    assert not reads_only_site_values(make_env([custom]))


def test_a_page_deleted_by_hand_from_the_site_comes_back(tmp_path: Path) -> None:
    project = Project(tmp_path / "project", random.Random(4))
    first = project.built()
    page = next(path for path in first if path.startswith("items/"))
    (tmp_path / "project" / "site" / page).unlink()
    # The next build stages in a new folder and copies the unchanged pages from the site:
    # the one missing there is rendered instead.
    assert project.built() == first


def test_turning_search_on_and_off_changes_every_page_as_a_clean_build_would(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path / "project", random.Random(5))
    project.built()
    for searchable in (True, False, True):
        project.settings["search"] = searchable
        site = project.built()
        clean = project.clean(tmp_path / "clean")
        assert site == clean
        assert ("search/index.html" in site) == searchable
        assert ("search/index.json" in site) == searchable


def test_a_cache_that_cannot_be_written_is_a_note_not_a_failure(tmp_path: Path) -> None:
    project = Project(tmp_path / "project", random.Random(6))
    (tmp_path / "project" / "cache").write_text("a file where the folder should be")
    result = pipeline.build(project.config(project.root))
    notes = [note for note in result.notes if "build cache" in note]
    assert result.written and len(notes) == 1  # said once, not once per entry
    assert notes[0].startswith(
        f"could not save the build cache in {tmp_path / 'project' / 'cache'}:"
    )
    assert tree(tmp_path / "project" / "site") == project.clean(tmp_path / "clean")


@pytest.mark.parametrize("how", DAMAGE)
def test_every_cache_file_damaged_the_same_way_gives_a_clean_build(
    tmp_path: Path, how: str
) -> None:
    project = Project(tmp_path / "project", random.Random(7))
    project.built()
    cache = project.root / "cache"
    assert cache_files(cache), "the build left nothing in its cache folder"
    damage_all(cache, project.rng, tmp_path / "outside", how)
    project.add()
    code, said = project.command(project.root)
    assert code == 0, said
    assert tree(project.root / "site") == project.clean(tmp_path / "clean"), how
    assert untouched_outside(tmp_path / "outside")
    project.change()  # and the cache that build made in its place serves the next one
    assert project.built() == project.clean(tmp_path / "clean")


@pytest.mark.parametrize("replaced", [False, True])
def test_an_unwritable_cache_gives_a_clean_build_and_exit_0(tmp_path: Path, replaced: bool) -> None:
    project = Project(tmp_path / "project", random.Random(8))
    project.built()
    with unwritable(project.root / "cache", replaced) as how:
        for _ in range(2):  # the second with a cache older than the site
            project.add()
            project.change()
            code, said = project.command(project.root)
            assert code == 0, said
            assert tree(project.root / "site") == project.clean(tmp_path / "clean"), how
    assert project.built() == project.clean(tmp_path / "clean")


def test_a_cache_left_by_an_older_version_gives_a_clean_build(tmp_path: Path) -> None:
    project = Project(tmp_path / "project", random.Random(9))
    with older_digest():
        older = project.built()
    assert any(month.upper().encode() in older["index.html"] for month in MONTHS)
    site = project.built()
    assert site == project.clean(tmp_path / "clean")
    assert not any(month.upper().encode() in site["index.html"] for month in MONTHS)
    project.add()  # and the cache this version wrote in its place serves the next build
    assert project.built() == project.clean(tmp_path / "clean")


def test_a_new_edition_makes_again_only_the_archive_files_it_changes(
    tmp_path: Path, monkeypatch, small_blocks
) -> None:
    """The closed sitemap files, the feeds of topics without a new item and feeds.opml are
    kept; a new base URL or a changed template makes each again; each build equals a clean
    one."""
    made: list[set[str] | None] = []
    real = pipeline.render

    def recorded(*args, **kwargs):  # render's `made`: the keepable files it makes
        made.append(None if args[4] is None else set(args[4]))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render", recorded)
    project = Project(tmp_path / "project", random.Random(10))
    for _ in range(4):
        project.add()
    before = project.built()
    # Edition 8, after which editions 6 and 7 are a closed block: one new story, tagged.
    (project.content / "008_edition.txt").write_text(
        "The CNIL fined a Paris startup over its chips, a first in Europe.\n"
        "Analysis — Regulation reaches the hardware makers.\n",
        encoding="utf-8",
    )
    site = project.built()
    latest = made[-1]
    assert latest is not None and site == project.clean(tmp_path / "clean")
    changed = {path for path in site if site[path] != before.get(path)}
    # Made: what changed; kept: every other file that could be.
    kept = {p for p in site if p.startswith("sitemap-editions-") or p.endswith(FEED_FILES)}
    kept |= {"feeds.opml"}
    assert changed & kept <= latest
    assert "sitemap-editions-0-1.xml" in site and "sitemap-editions-0-1.xml" not in latest
    closed = {p for p in site if p.startswith("sitemap-editions-") and p not in before}
    assert closed == {"sitemap-editions-6-7.xml"} and closed <= latest  # by this edition
    assert "feed.xml" in latest and "feeds.opml" not in latest
    topics = {p.rpartition("/")[0] for p in site if p.startswith("topics/") and "feed" in p}
    assert any(topic + "/feed.xml" not in latest for topic in topics)  # a topic left alone
    for change in ("base_url", "sitemap.xml", "rss.xml", "feeds.opml"):
        if change == "base_url":
            project.settings["base_url"] = "https://example.net/elsewhere/"
        else:
            end = dict(TEMPLATE_ENDS)[change]
            source = (render.builtin_templates() / change).read_text(encoding="utf-8")
            (project.templates / change).write_text(
                source.replace(end, f"<!-- changed -->{end}", 1), encoding="utf-8"
            )
        site = project.built()
        latest = made[-1]
        assert latest is not None and site == project.clean(tmp_path / "clean"), change
        if change in ("base_url", "sitemap.xml"):
            assert {p for p in site if p.startswith("sitemap-editions-")} <= latest, change
        if change in ("base_url", "rss.xml"):
            assert {p for p in site if p.endswith(FEED_FILES)} <= latest, change
        if change in ("base_url", "feeds.opml"):
            assert "feeds.opml" in latest, change
    # An editor's feeds.opml that reads the entries is made again when an entry changes.
    (project.templates / "feeds.opml").write_text(
        "{% for feed in feeds %}{{ feed.title }}: {{ feed.entries|length }}\n{% endfor %}",
        encoding="utf-8",
    )
    project.built()
    project.add()
    site = project.built()
    assert made[-1] is not None and "feeds.opml" in made[-1]
    assert site == project.clean(tmp_path / "clean")


FEED_FILES = ("feed.xml", "atom.xml", "feed.json")
