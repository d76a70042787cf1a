"""enrich with results known from an earlier run: the same items as without them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import ROOT, SAMPLE

from digest import enrich as enrich_module
from digest.enrich import Enriched, Known, enrich
from digest.model import EditionFile, RawItem
from digest.parse import parse_text
from digest.taxonomy import EMPTY, Taxonomy, parse_taxonomy

WHEN = datetime(2026, 11, 2, 7, tzinfo=UTC)
TAXONOMY, _ = parse_taxonomy((ROOT / "content" / "topics.yaml").read_text("utf-8"), "topics.yaml")
RAW = parse_text(SAMPLE.read_text(encoding="utf-8"), "s").items


def editions(count: int = 3) -> list[EditionFile]:
    """The sample's items (with the one repeat it has) over `count` editions, then one
    more with another repeat of a story (lines 5 and 17 of the sample are one story), a
    summary already published, an editor's headline and an item marked not a repeat."""
    size = len(RAW) // count
    found = [
        EditionFile(n, f"{n}.txt", f"c/{n}.txt", None, WHEN + timedelta(days=n), RAW[n * size :][:size])
        for n in range(count)
    ]  # fmt: skip
    extra = (
        RawItem(RAW[8].summary.replace("comprehensive", "detailed"), None, 1),
        RawItem(RAW[0].summary, None, 3),  # published once, from its first place
        RawItem("A text of its own, never seen before.", "And its analysis.", 5, 6, "Its headline"),
        RawItem("Another text of its own.", None, 8, distinct=True),
    )
    found.append(EditionFile(count, "x.txt", "c/x.txt", "Last", WHEN + timedelta(days=9), extra))
    return found


def known(run: Enriched, named: bool = True, tagged: bool = True) -> Known:
    return Known(run.named if named else {}, run.tagged if tagged else {}, run.grouped)


@pytest.mark.parametrize("taxonomy", [TAXONOMY, EMPTY], ids=["tagged", "untagged"])
def test_known_results_give_the_items_a_clean_run_gives(taxonomy: Taxonomy) -> None:
    clean = enrich(editions(), taxonomy)
    assert any(item.topics for item in clean.items) == bool(taxonomy.topics)
    repeats = [i.id for i in clean.items if i.duplicate_of]
    assert len(repeats) == 2 and repeats[-1] == clean.items[-3].id  # the sample's, and ours
    assert [p.message for p in clean.problems] == [
        "same summary as c/0.txt:1; the item is published once, from there"
    ]
    for again in (
        enrich(editions(), taxonomy, known=known(clean)),
        enrich(editions(), taxonomy, known=known(clean, named=False)),
        enrich(editions(), taxonomy, known=known(clean, tagged=False)),
    ):
        assert again.items == clean.items
        assert again.problems == clean.problems
        assert again.named == clean.named and again.tagged == clean.tagged


def test_the_topics_not_known_are_worked_out_and_the_known_ones_come_first() -> None:
    first = enrich(editions()[1:], TAXONOMY)  # the first edition is new to the next run
    clean = enrich(editions(), TAXONOMY)
    carried = enrich(editions(), TAXONOMY, known=known(first))
    assert carried.items == clean.items
    new = [key for key in clean.tagged if key not in first.tagged]
    assert new and list(carried.tagged) == [k for k in clean.tagged if k not in new] + new
    assert carried.tagged == clean.tagged


def test_known_topics_are_taken_as_they_are_given() -> None:
    clean = enrich(editions(), TAXONOMY)
    told = {key: (("told",), ()) for key in clean.tagged}
    run = enrich(editions(), TAXONOMY, known=Known(clean.named, told))
    assert {item.topics for item in run.items} == {("told",)}
    assert all(item.evidence == () for item in run.items)


@pytest.mark.parametrize("taxonomy", [TAXONOMY, EMPTY], ids=["tagged", "untagged"])
def test_names_and_stems_worked_out_on_every_core_are_those_worked_out_in_turn(
    taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clean build of a large archive works out names, topics and stems ahead in helper
    # processes; this archive is small, so the threshold is lowered to take that path.
    in_turn = enrich(editions(), taxonomy)
    shared: list[int] = []
    real = enrich_module.map_shared

    def counted(
        function: Callable[[Any], Any], tasks: Sequence[Any], chunk: int, helpers: int | None = None
    ) -> list[Any]:
        shared.append(len(tasks))
        return real(function, tasks, chunk=1, helpers=helpers)

    monkeypatch.setattr(enrich_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(enrich_module, "map_shared", counted)
    ahead = enrich(editions(), taxonomy)
    # names (each text once), topics when there is a taxonomy, and stems (every item)
    texts = {(raw.summary, raw.headline) for edition in editions() for raw in edition.items}
    topics = [len(in_turn.items)] if taxonomy.topics else []
    assert shared == [len(texts), *topics, len(in_turn.items)]
    assert ahead.items == in_turn.items and ahead.problems == in_turn.problems
    assert ahead.named == in_turn.named and ahead.tagged == in_turn.tagged
    assert ahead.repeats() == in_turn.repeats()
    assert [ahead.grouped.finder.stems(i) for i in range(len(ahead.items))] == [
        in_turn.grouped.finder.stems(i) for i in range(len(in_turn.items))
    ]
