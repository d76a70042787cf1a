"""The search index: how items are cut into segments, how words are folded, what the
files hold, and that a new edition leaves the older segments alone. The queries
themselves run in search.js and are tested in a browser (test_site.py)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import pipeline, search
from digest.model import Item, Source
from digest.urls import path_of
from digest.words import stem


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


def _key_as_written(items: list[Item], firsts: tuple[Any, ...], language: str) -> str:
    """A segment's key as search.py wrote it when segments were first named so: a build
    must keep the names, hence the files, of the segments already on a site."""
    digest = hashlib.sha256(f"{search.FORMAT}\0{language}".encode())
    for one in items:
        analysis = "-" if one.analysis is None else f"+{len(one.analysis)}:{one.analysis}"
        path, title, summary = path_of(one), one.title, one.summary
        record = (
            f"{len(path)}:{path}{len(title)}:{title}{one.date!r}{one.topics!r}"
            f"{len(summary)}:{summary}{analysis}\0"
        )
        digest.update(record.encode("utf-8", "surrogatepass"))
    for n, number, original in firsts:
        first = (n, number, path_of(original), original.title, original.date, original.topics)
        digest.update(repr(first).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _odd_items() -> list[Item]:
    """Items whose records are easy to get wrong: texts that are not ASCII or not even
    valid Unicode, empty or absent analyses, and dates that are equal but written
    differently (one instant in two zones; a wall time that a zone's clock goes back
    over, before and after)."""
    paris = ZoneInfo("Europe/Paris")
    back = datetime(2026, 10, 25, 2, 30, tzinfo=paris)  # the clocks go back at 3:00
    dates = [
        back,
        back.replace(fold=1),
        back.astimezone(UTC),
        back,
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # = back, in another zone
        datetime(2026, 1, 1),
        datetime(2026, 1, 1, tzinfo=UTC),
    ]
    texts = ["Plain.", "Télévisions et IA — 1,7 Md€ « ici »", "\ud800 lone", "中文 😀", "", "a\0b"]
    found = []
    for n, (when, text) in enumerate(zip(dates * 3, texts * 4, strict=False)):
        found.append(
            Item(
                **{
                    **item(n, summary=text or "Some text.").__dict__,
                    "title": texts[(n + 1) % len(texts)] or "T",
                    "analysis": [None, "", text, "Analysis."][n % 4],
                    "date": when,
                    "topics": [(), ("a",), ("a", "b"), ("b",)][n % 4],
                    "duplicate_of": "id0" if n == 5 else None,
                }
            )
        )
    return found


def test_segment_keys_are_the_digests_they_were() -> None:
    items = _odd_items()
    assert len(items) == 21
    for language in ("en", "fr", "", "de\0de"):
        for count in range(len(items) + 1):
            part = items[:count]
            firsts = tuple((n, 0, items[0]) for n, one in enumerate(part) if one.duplicate_of)
            wanted = _key_as_written(part, firsts, language)
            assert search._key(part, firsts, language) == wanted, (language, count)


def test_segments_keep_the_names_they_had(small) -> None:
    items = newest_first(20)
    items[-6] = Item(**{**items[-6].__dict__, "duplicate_of": "id0"})  # item 5 repeats item 0
    names = {
        language: [path_of(s).split("/")[1] for s in search.segments(items, language)]
        for language in ("en", "fr-CA")
    }
    assert names == {  # as the code of issue 13's second round named them
        "en": ["0-ae7ac64770986496", "8-5a22df7d8dd81102", "16-08c3497cecb0c01a"],
        "fr-CA": ["0-efa39e7aa9147683", "8-4816bd13fcb6f5e0", "16-55421690913682f9"],
    }


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


def decode(code: str, weighted: bool = True) -> list[tuple[int, int]]:
    """A posting string -> [(number, weight)], as search.js reads it."""
    out, n, value, i = [], 0, 0, 0
    while i < len(code):
        digit = search.DIGITS.index(code[i])
        value = value * 32 + (digit & 31)
        i += 1
        if digit >= 32:
            continue
        n += value
        value = 0
        weight = search.DIGITS.index(code[i]) if weighted else 0
        i += 1 if weighted else 0
        out.append((n, weight))
    return out


def segment_json(items: list[Item]) -> tuple[str, dict[str, Any]]:
    (segment,) = search.segments(items)
    folder = path_of(segment)
    files = {
        path.removeprefix(folder): json.loads(data) for path, data in search.segment_files(segment)
    }
    return folder, files


def postings_of(files: dict[str, Any], term: str) -> list[tuple[int, int]]:
    for name, shard in files.items():
        if name.startswith("t") and isinstance(shard, dict) and term in shard:
            return decode(shard[term])
    return []


def test_a_segment_files_its_stems_items_and_topics() -> None:
    items = [
        item(2, "Mistral raises funds.", ("funding",)),
        item(1, "The CNIL fines a startup.", ("regulation",)),
        item(0, "Mistral ships a model.", ("open-source", "funding")),
    ]
    _, files = segment_json(items)
    meta = files["meta.json"]
    assert meta["count"] == 3 and meta["topics"] == ["funding", "open-source", "regulation"]
    assert decode(files["topic-funding.json"], weighted=False) == [(0, 0), (2, 0)]
    assert [n for n, _ in postings_of(files, "mistral")] == [0, 2]  # the oldest item is 0
    assert [n for n, _ in postings_of(files, "fine")] == [1]  # "fines", stemmed
    assert postings_of(files, "the") == []  # a stop word
    assert files["d2.json"][:4] == ["items/item-2/", "Title 2", "3 January 2026", ["funding"]]
    assert files["d2.json"][4] == "Mistral raises funds."
    assert "mistral" in files["v-m.json"]  # the typo fallback's word list


def test_term_files_are_sorted_runs_named_by_their_first_stem(monkeypatch) -> None:
    monkeypatch.setattr(search, "SHARD", 40)  # many small files
    items = [
        item(n, f"Story {n} about {w} and chips.")
        for n, w in enumerate("apples bananas cherries dates elderberries figs grapes".split())
    ]
    _, files = segment_json(items[::-1])
    bounds = files["meta.json"]["bounds"]
    assert len(bounds) > 3 and bounds == sorted(bounds)
    for k, first in enumerate(bounds):
        terms = list(files[f"t{k}.json"])
        assert terms == sorted(terms) and terms[0] == first
        if k + 1 < len(bounds):
            assert terms[-1] < bounds[k + 1]


def test_the_story_outranks_a_passing_mention_in_an_analysis() -> None:
    about = item(1, "Mistral released a new open model.")
    mention = Item(
        **{**item(0).__dict__, "analysis": "Unlike Mistral, this firm keeps its weights closed."}
    )
    _, files = segment_json([about, mention])
    weights = dict(postings_of(files, "mistral"))
    assert weights[1] > 2 * weights[0] > 0


def test_a_repeat_is_indexed_under_its_first_report() -> None:
    first = item(0, "Mistral released a model.")
    repeat = Item(
        **{
            **item(1, "The Apache licence covers the new weights.").__dict__,
            "duplicate_of": first.id,
        }
    )
    _, files = segment_json([repeat, first])
    assert files["meta.json"]["same"] == {"1": 0}  # item 1 is a repeat of item 0
    assert [n for n, _ in postings_of(files, "apach")] == [1]  # the repeat's own words...
    assert files["d1.json"][0] == path_of(first)  # ...lead to the first report's page


def test_shard_names_are_safe_file_names() -> None:
    assert search.shard_name("re") == "re"
    assert search.shard_name("open-source") == "open-source"
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


# -- the browser's stemmer ------------------------------------------------------------

SUFFIXES = (
    "", "s", "es", "ed", "ing", "er", "ers", "ly", "ion", "ions", "ation", "ations", "ment",
    "ments", "ness", "ic", "ics", "ical", "ity", "ive", "ize", "ized", "ise", "ised", "al",
    "ally", "ful", "able", "ism", "ist", "ists", "ies", "ied", "y", "e", "ent", "ence",
)  # fmt: skip


def stemmer_words() -> list[str]:
    """The corpus's words, and each of their stems with the usual English endings: the
    forms a reader types ("automated" for "automation", "economics" for "economy")."""
    from conftest import ROOT

    texts = [ROOT / "content", ROOT / "tests" / "data"]
    found: set[str] = set()
    for folder in texts:
        for path in folder.rglob("*.txt"):
            found |= search.words(path.read_text(encoding="utf-8"))
    stems = {stem(word) for word in found if word.isalpha()}
    found |= {s + suffix for s in stems for suffix in SUFFIXES}
    # Snowball's special cases and the characters where folding and stemming meet.
    found |= {"generously", "skies", "dying", "news", "proceed", "exceed", "succeeding",
              "communism", "universal", "arsenal", "'s", "yelled", "crying", "sky", "ß", "naïve"}  # fmt: skip
    return sorted({search.fold(word) for word in found})  # the index stems folded words


def test_the_browser_stems_as_python_does() -> None:
    """templates/stemmer.js (Snowball's JavaScript) and PyStemmer agree on every word."""
    from conftest import ROOT, require_tool

    node = require_tool("node")
    import subprocess

    listed = stemmer_words()
    assert len(listed) > 3000
    script = (
        'require(process.argv[1]); const s = DigestStemmers.stemmerFor("en");'
        "const words = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(words.map(w => s.stemWord(w))));"
    )
    done = subprocess.run(
        [node, "-e", script, str(ROOT / "templates" / "stemmer.js")],
        input=json.dumps(listed),
        capture_output=True,
        text=True,
        check=True,
    )
    in_js = json.loads(done.stdout)
    different = [
        (w, p, j) for w, p, j in zip(listed, map(stem, listed), in_js, strict=True) if p != j
    ]
    assert different == []


def test_the_comparison_with_pagefind_runs(tmp_path) -> None:
    """bench/search.py, two queries: both engines answer, and the table is printed."""
    import subprocess
    import sys

    from conftest import ROOT, require_tool

    pytest.importorskip("pagefind")
    pytest.importorskip("playwright")
    require_tool("chromium")
    queries = tmp_path / "queries.yaml"
    queries.write_text(
        '- {query: "CNIL", kind: name, note: "", relevant: {}}\n'
        '- {query: "blockchain", kind: none, note: "", relevant: {}}\n'
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), str(queries)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "| digest |" in done.stdout and "| pagefind |" in done.stdout


def _postings_as_specified(fields: Sequence[tuple[Counter[str], ...]]) -> dict[str, str]:
    """BM25F's postings written as the index's format describes them, with every field
    summed for every term: what the faster _postings must give, code for code."""
    count = max(len(fields), 1)
    averages = [max(sum(sum(f[i].values()) for f in fields) / count, 1.0) for i in range(3)]
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for n, counts in enumerate(fields):
        norms = [
            1 - search.B + search.B * sum(c.values()) / a
            for c, a in zip(counts, averages, strict=True)
        ]
        for term in sorted(set().union(*counts)):
            weights = [
                w * c[term] / norm for c, w, norm in zip(counts, search.WEIGHTS, norms, strict=True)
            ]
            tf = weights[0] + weights[1] + weights[2]
            level = round(search.LEVELS * tf / (search.K1 + tf))
            found[term].append((n, max(1, min(search.LEVELS, level))))
    coded = {}
    for term, pairs in found.items():
        before = 0
        coded[term] = ""
        for n, level in pairs:
            coded[term] += search._varint(n - before) + search.DIGITS[level]
            before = n
    return coded


FIELD = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 40), max_size=6).map(Counter)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELD, FIELD, FIELD), max_size=80))
def test_postings_are_bm25f_as_specified(fields: list[tuple[Counter[str], ...]]) -> None:
    assert search._postings(fields) == _postings_as_specified(fields)


def test_postings_far_apart_are_coded_as_specified() -> None:
    # Gaps of 31, 32 and more: one digit, then two.
    fields: list[tuple[Counter[str], ...]] = [
        (Counter({"rare": 1} if n in (0, 31, 63, 64, 1100) else {"b": 2}), Counter(), Counter())
        for n in range(1200)
    ]
    assert search._postings(fields) == _postings_as_specified(fields)
