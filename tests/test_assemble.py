"""assemble's item pages and editions: what each page's context holds, whatever order
the items come in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import config_for

from digest.assemble import assemble
from digest.model import EditionFile, Item, Page, Source
from digest.taxonomy import EMPTY

WHEN = datetime(2026, 11, 2, 7, tzinfo=UTC)


def item(edition: int, position: int, duplicate_of: str | None = None) -> Item:
    return Item(
        id=f"id{edition}-{position}",
        title=f"Story {edition}.{position}",
        slug=f"story-{edition}-{position}",
        summary=f"Summary {edition}.{position}.",
        analysis=None,
        date=WHEN + timedelta(days=edition),
        edition=edition,
        position=position,
        source=Source(f"{edition}.txt", position + 1),
        duplicate_of=duplicate_of,
    )


def files(*sizes: int) -> list[EditionFile]:
    titles = ["The first", None, "The third"]
    return [
        EditionFile(n, f"{n}.txt", f"{n}.txt", titles[n], WHEN + timedelta(days=n), ())
        for n in range(len(sizes))
    ]


@pytest.fixture
def pages(tmp_path: Path) -> dict[str, Page]:
    # Editions 0, 1, 2 of 2, 3, 2 items; 2.1 repeats 0.0, and 1.2 repeats 0.1.
    items = [
        item(0, 0), item(0, 1),
        item(1, 0), item(1, 1), item(1, 2, duplicate_of="id0-1"),
        item(2, 0), item(2, 1, duplicate_of="id0-0"),
    ]  # fmt: skip
    random.Random(4).shuffle(items)  # assemble puts them in order
    site = assemble(items, files(2, 3, 2), EMPTY, config_for(tmp_path, search=False))
    assert [[i.id for i in e.items] for e in site.editions] == [
        ["id2-0"],
        ["id1-0", "id1-1"],
        ["id0-0", "id0-1"],
    ]
    assert [[r.item.id for r in e.repeats] for e in site.editions] == [["id2-1"], ["id1-2"], []]
    return {page.path: page for page in site.pages if page.template == "item.html"}


def test_an_item_page_names_the_editions_it_crosses_into(pages: dict[str, Page]) -> None:
    page = pages["items/story-1-0/index.html"]
    assert (page.title, page.updated, page.in_sitemap) == ("Story 1.0", WHEN + timedelta(1), True)
    context: dict[str, Any] = page.context
    assert list(context) == [
        "root", "folder", "item", "edition_title", "before", "after", "before_edition",
        "after_edition", "original", "original_edition", "also_reported",
    ]  # fmt: skip
    assert context["root"] == "../../" and context["folder"] == "items/story-1-0/"
    assert context["edition_title"] == "Edition 1"
    assert context["before"].id == "id2-0" and context["before_edition"] == "The third"
    assert context["after"].id == "id1-1" and context["after_edition"] is None
    assert context["original"] is None and context["original_edition"] is None
    assert context["also_reported"] == ()


def test_a_first_report_lists_its_repeats_and_a_repeat_leads_to_it(
    pages: dict[str, Page],
) -> None:
    first: dict[str, Any] = pages["items/story-0-0/index.html"].context
    assert [(other.id, title) for other, title in first["also_reported"]] == [
        ("id2-1", "The third")
    ]
    assert first["after"] is not None and first["after"].id == "id0-1"
    assert first["after_edition"] is None and first["before_edition"] == "Edition 1"
    repeat = pages["items/story-2-1/index.html"]
    assert not repeat.in_sitemap  # the first report's page is the canonical one
    shown: dict[str, Any] = repeat.context
    assert shown["original"].id == "id0-0" and shown["original_edition"] == "The first"
    assert shown["before"] is None and shown["after"] is None and shown["also_reported"] == ()
