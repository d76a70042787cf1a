"""The search index: how items are cut into segments, how words are folded, what the
files hold, and that a new edition leaves the older segments alone. The queries
themselves run in search.js and are tested in a browser (test_site.py)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from digest import pipeline, search
from digest.model import Item, Source
from digest.urls import path_of


def item(number: int, summary: str = "", topics: tuple[str, ...] = ()) -> Item:
    return Item(
        id=f"id{number}",
        title=f"Title {number}",
        slug=f"item-{number}",
        summary=summary or f"Story number {number} about chips.",
        analysis=f"Analysis of story {number}.",
        date=datetime(2026, 1, 1 + number % 28),
        edition=number // 20,
        position=number % 20,
        source=Source("a.txt", number + 1),
        topics=topics,
    )


def newest_first(count: int) -> list[Item]:
    return [item(n) for n in reversed(range(count))]


@pytest.fixture
def small(monkeypatch) -> None:
    monkeypatch.setattr(search, "BLOCK", 2)
    monkeypatch.setattr(search, "LARGEST", 4)


def sizes(count: int) -> list[int]:
    return [len(s.items) for s in search.segments(newest_first(count))]


def test_segments_follow_the_binary_digits_of_the_block_count(small) -> None:
    assert sizes(0) == []
    assert sizes(1) == [1]
    assert sizes(2) == [2]
    assert sizes(7) == [4, 2, 1]  # 3 blocks of 2 (2 + 1 blocks), and one item more
    assert sizes(16) == [8, 8]  # the largest segment is LARGEST blocks: no more merging
    assert sizes(21) == [8, 8, 4, 1]


def test_segments_cover_every_item_oldest_first_once(small) -> None:
    items = newest_first(23)
    parts = search.segments(items)
    assert [i for s in parts for i in s.items] == items[::-1]
    assert [s.first for s in parts] == [0, 8, 16, 20, 22]


def test_adding_items_keeps_the_earlier_whole_segments(small) -> None:
    for count in range(1, 40):
        before = {path_of(s) for s in search.segments(newest_first(count))}
        after = [path_of(s) for s in search.segments(newest_first(count + 1))]
        # At most the segments that merge (a carry) change; a whole segment that does not
        # merge keeps its name, hence its files.
        changed = [p for p in after if p not in before]
        assert len(changed) == 1, (count, changed)


def test_a_changed_item_renames_only_its_segment(small) -> None:
    items = newest_first(12)
    edited = list(items)
    edited[-1] = item(0, summary="A correction to the oldest story.")
    old = [path_of(s) for s in search.segments(items)]
    new = [path_of(s) for s in search.segments(edited)]
    assert old[0] != new[0] and old[1:] == new[1:]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("France Télévisions", {"france", "televisions"}),
        ("Hugging Face's open-source", {"hugging", "face", "s", "open", "source"}),
        ("€1.5 billion — 2026", {"1", "5", "billion", "2026"}),
        ("ﬁnance ÉCOLE Ørsted", {"finance", "ecole", "ørsted"}),  # ligature, capitals
        ("snake_case", {"snake", "case"}),  # as search.js, which splits on "_" too
    ],
)
def test_words_are_folded_as_search_js_folds_them(text: str, expected: set[str]) -> None:
    assert search.words(text) == expected


def test_a_segment_files_its_words_items_and_topics() -> None:
    items = [
        item(2, "Mistral raises funds.", ("funding",)),
        item(1, "The CNIL fines a startup.", ("regulation",)),
        item(0, "Mistral ships a model.", ("open-source", "funding")),
    ]
    (segment,) = search.segments(items)
    files = {path: json.loads(data) for path, data in search.segment_files(segment)}
    folder = path_of(segment)
    meta = files[folder + "meta.json"]
    assert meta["count"] == 3 and meta["width"] == 1
    assert meta["topics"] == {"funding": [0, 2], "open-source": [0], "regulation": [1]}
    shard = files[folder + "m.json"]
    assert shard["mistral"] == [0, 2]  # the oldest item is 0; gaps: 0, then +2
    assert "the" not in files[folder + "t.json"]  # a stop word
    assert set(meta["prefixes"]) == {p.removeprefix(folder)[:-5] for p in files} - {
        "meta",
        "docs-0",
    }
    docs = files[folder + "docs-0.json"]
    assert docs[2][:4] == ["items/item-2/", "Title 2", "3 January 2026", ["funding"]]
    assert docs[2][4] == "Mistral raises funds."


def test_shard_names_are_safe_file_names() -> None:
    assert search.shard_name("re") == "re"
    assert search.shard_name("ø") == "uf8"
    assert search.shard_name("中文") == "u4e2d-6587"


def test_a_new_edition_indexes_only_the_segments_it_changes(tmp_path, monkeypatch, small) -> None:
    import random

    from test_incremental import Project

    project = Project(tmp_path / "project", random.Random(7))
    for _ in range(6):
        project.add()
    project.built()
    made: list[str] = []
    real = search.segment_files

    def counting(segment):
        made.append(path_of(segment))
        return real(segment)

    monkeypatch.setattr(search, "segment_files", counting)
    config = project.config(project.root)
    pipeline.build(config)
    assert made == []  # nothing changed: every segment is taken from the site on disk
    project.add()
    result = pipeline.build(config)
    assert 0 < len(made) < len(result.site.search_segments)
