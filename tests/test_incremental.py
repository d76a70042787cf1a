"""Incremental builds: after any sequence of changes, the site a build makes with its cache
and its previous output is byte-identical to a clean build's of the same inputs."""

from __future__ import annotations

import itertools
import json
import random
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, tree

from digest import export, pipeline, render, search
from digest.config import SiteConfig

TAXONOMY = (ROOT / "content" / "topics.yaml").read_text(encoding="utf-8")
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
            source = (render.builtin_templates() / "_item.html").read_text(encoding="utf-8")
            mark = self.rng.randint(1, 3)
            (self.templates / "_item.html").write_text(
                source.replace("</article>", f"<!-- variant {mark} --></article>", 1),
                encoding="utf-8",
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

    def built(self) -> dict[str, bytes]:
        result = pipeline.build(self.config(self.root))
        assert result.written, result.problems
        return tree(self.root / "site")

    def clean(self, elsewhere: Path) -> dict[str, bytes]:
        shutil.rmtree(elsewhere, ignore_errors=True)
        shutil.copytree(self.content, elsewhere / "content")  # with the dates recorded so far
        shutil.copytree(self.templates, elsewhere / "templates")
        result = pipeline.build(self.config(elsewhere, cache=None))
        assert result.written, result.problems
        return tree(elsewhere / "site")


@pytest.fixture
def small_segments(monkeypatch) -> None:
    """Search segments of a few items, so that a handful of editions merges them."""
    monkeypatch.setattr(search, "BLOCK", 2)
    monkeypatch.setattr(search, "LARGEST", 4)
    monkeypatch.setattr(search, "SHARD", 64)  # many term files


@pytest.mark.parametrize("seed", range(12))
def test_incremental_builds_equal_clean_builds(tmp_path: Path, seed: int, small_segments) -> None:
    rng = random.Random(seed)
    project = Project(tmp_path / "project", rng)
    assert project.built() == project.clean(tmp_path / "clean")
    done = []
    for _ in range(8):
        done.append(project.change())
        assert project.built() == project.clean(tmp_path / "clean"), done


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
