"""Fingerprints: equal digests must mean equal pages, so every field of an item counts, and
every value of a page's context, of whatever kind assemble gives it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, TWO_ITEMS, config_for
from markupsafe import Markup

from digest import pipeline
from digest.fingerprint import (
    EVIDENCE_FIELDS,
    ITEM_FIELDS,
    ITEM_PAGE_KEYS,
    SOURCE_FIELDS,
    Fingerprints,
)
from digest.model import Edition, Evidence, Item, Page, Repeat, Site, Source, Standalone, Topic
from digest.paginate import Pagination

ITEM = Item(
    id="abc123",
    title="A title",
    slug="a-title-abc123",
    summary="A summary.",
    analysis="An analysis.",
    date=datetime(2026, 1, 2, 8, tzinfo=UTC),
    edition=3,
    position=1,
    source=Source("001.txt", 4),
    topics=("funding",),
    evidence=(Evidence("funding", 2.5, ("raises",), ("round",), ()),),
)
# One other value for each field: each must change the item's fingerprint.
OTHER: dict[str, Any] = {
    "id": "abc124",
    "title": "A title.",
    "slug": "a-title-abc124",
    "summary": "A summary!",
    "analysis": None,
    "date": datetime(2026, 1, 2, 8, tzinfo=timezone(timedelta(hours=1))),
    "edition": 4,
    "position": 2,
    "source": Source("001.txt", 5),
    "topics": ("funding", "labor"),
    "evidence": (Evidence("funding", 2.25, ("raises",), ("round",), ()),),
    "duplicate_of": "def456",
    "editor_headline": True,
    "distinct": True,
}


def test_the_fingerprinted_fields_are_the_models() -> None:
    """A field added to Item, Source or Evidence must be added to the item's fingerprint."""
    assert tuple(f.name for f in dataclasses.fields(Item)) == ITEM_FIELDS
    assert tuple(f.name for f in dataclasses.fields(Source)) == SOURCE_FIELDS
    assert tuple(f.name for f in dataclasses.fields(Evidence)) == EVIDENCE_FIELDS
    assert set(OTHER) == set(ITEM_FIELDS)


SITE = Site("t", "d", "https://example.org/", "en", (), (), (), (), {}, (), (), 10, "a", None)


def fingerprint(item: Item) -> str:
    return Fingerprints(SITE, "v").value(item)


@pytest.mark.parametrize("name", ITEM_FIELDS)
def test_every_field_changes_an_items_fingerprint(name: str) -> None:
    assert fingerprint(dataclasses.replace(ITEM, **{name: OTHER[name]})) != fingerprint(ITEM)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("ab", "c"), ("a", "bc")),  # where the summary ends and the analysis begins
        (("a\0", None), ("a", "")),
        (("a", None), ("a", "")),
    ],
)
def test_texts_never_run_into_each_other(
    first: tuple[str, str | None], second: tuple[str, str | None]
) -> None:
    one = dataclasses.replace(ITEM, summary=first[0], analysis=first[1])
    two = dataclasses.replace(ITEM, summary=second[0], analysis=second[1])
    assert fingerprint(one) != fingerprint(two)


def test_the_same_instant_in_another_zone_is_another_date() -> None:
    """A page may show the time of day, or the zone's name."""
    paris = dataclasses.replace(ITEM, date=ITEM.date.astimezone(ZoneInfo("Europe/Paris")))
    fixed = dataclasses.replace(ITEM, date=ITEM.date.astimezone(timezone(timedelta(hours=1))))
    assert len({fingerprint(ITEM), fingerprint(paris), fingerprint(fixed)}) == 3


def test_equal_items_have_equal_fingerprints() -> None:
    assert fingerprint(dataclasses.replace(ITEM)) == fingerprint(ITEM)


# An item's page as assemble makes it, and another value for each of its context's values.
ITEM_PAGE = Page(
    "items/a-title-abc123/index.html",
    "item.html",
    "A title",
    {
        "root": "../../",
        "folder": "items/a-title-abc123/",
        "item": ITEM,
        "edition_title": "Edition 3",
        "before": dataclasses.replace(ITEM, id="b"),
        "after": None,
        "before_edition": None,
        "after_edition": None,
        "original": None,
        "original_edition": None,
        "also_reported": ((dataclasses.replace(ITEM, id="c"), "Edition 4"),),
    },
    updated=ITEM.date,
)
OTHER_CONTEXT: dict[str, Any] = {
    "root": "../",
    "folder": "items/a-title-abc124/",
    "item": dataclasses.replace(ITEM, summary="A summary, changed."),
    "edition_title": "Edition 3.",
    "before": dataclasses.replace(ITEM, id="b", title="Another"),
    "after": dataclasses.replace(ITEM, id="d"),
    "before_edition": "Edition 2",
    "after_edition": "",
    "original": ITEM,
    "original_edition": "Edition 1",
    "also_reported": ((dataclasses.replace(ITEM, id="c"), "Edition 5"),),
}
OTHER_PAGE: dict[str, Any] = {
    "path": "items/other/index.html",
    "template": "page.html",
    "title": "A title.",
    "updated": ITEM.date + timedelta(seconds=1),
    "in_sitemap": False,
}


def page_print(page: Page, site: Site = SITE) -> str:
    return Fingerprints(site, "v").page(page)


def with_context(page: Page, **values: object) -> Page:
    return dataclasses.replace(page, context={**page.context, **values})


def test_the_other_values_are_one_for_each_of_an_item_pages() -> None:
    assert set(OTHER_CONTEXT) == ITEM_PAGE_KEYS == set(ITEM_PAGE.context)
    assert set(OTHER_PAGE) == {f.name for f in dataclasses.fields(Page)} - {"context"}


@pytest.mark.parametrize("name", sorted(ITEM_PAGE_KEYS))
def test_every_value_of_an_item_pages_context_changes_its_fingerprint(name: str) -> None:
    other = with_context(ITEM_PAGE, **{name: OTHER_CONTEXT[name]})
    assert page_print(other) != page_print(ITEM_PAGE)


@pytest.mark.parametrize("name", sorted(OTHER_PAGE))
def test_every_field_of_a_page_changes_its_fingerprint(name: str) -> None:
    for page in (ITEM_PAGE, dataclasses.replace(ITEM_PAGE, context={"item": ITEM})):
        other = dataclasses.replace(page, **{name: OTHER_PAGE[name]})
        assert page_print(other) != page_print(page)


def test_assembles_item_pages_are_the_ones_fingerprints_know_by_heart(tmp_path: Path) -> None:
    """page() has a quicker way for an item's page, taken by its context's names: a name
    added to the page must be added there (or every page takes the longer way)."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "000_a.txt").write_text(TWO_ITEMS, encoding="utf-8")
    (content / "001_b.txt").write_text(TWO_ITEMS.replace("AMI", "Mistral"), encoding="utf-8")
    site = pipeline.model(config_for(tmp_path)).site
    pages = [page for page in site.pages if page.template == "item.html"]
    assert len(pages) == 3
    assert any(page.context["original"] is not None for page in pages)  # a repeat's page too
    assert all(page.context.keys() == ITEM_PAGE_KEYS for page in pages)


def test_a_text_of_another_kind_on_an_item_page_is_told_apart() -> None:
    """An item page's texts are str or None; any other value takes page()'s longer way."""
    prints = {
        page_print(with_context(ITEM_PAGE, edition_title=value))
        for value in ("3", 3, 3.0, True, None, ("3",), ["3"])
    }
    assert len(prints) == 7


# A page of every kind of value assemble puts in a context (and site.nav and site.static).
EDITION = Edition(3, "Edition 3", ITEM.date, "003.txt", (ITEM,), (Repeat(ITEM, ITEM),))
TOPIC = Topic("funding", "Funding", "Money.", (ITEM,))
KINDS: dict[str, object] = {
    "edition": EDITION,
    "earlier": [EDITION],
    "months": [("January 2026", [EDITION])],
    "first_editions": {2: "Edition 2", 1: "Edition 1"},
    "topics": (TOPIC,),
    "topic": TOPIC,
    "choices": (("funding", "Funding"),),
    "pagination": Pagination("topics/funding/", None, (ITEM,), None, "topics/funding/page/1/"),
    "standalone": Standalone("about", "About", "Us.", True, "<p>Hi</p>", "about.md"),
    "count": 1,
    "more": True,
    "nothing": None,
    "static": frozenset({"a.png", "b/c.png"}),
    "when": ITEM.date,
}
CHANGED: dict[str, object] = {
    "edition": dataclasses.replace(EDITION, items=(dataclasses.replace(ITEM, position=2),)),
    "earlier": [dataclasses.replace(EDITION, repeats=(Repeat(ITEM, OTHER_CONTEXT["item"]),))],
    "months": [("January 2026", [EDITION, EDITION])],
    "first_editions": {2: "Edition 2", 1: "Edition one"},
    "topics": (dataclasses.replace(TOPIC, items=(OTHER_CONTEXT["before"],)),),
    "topic": dataclasses.replace(TOPIC, description="Money!"),
    "choices": (("funding", "Funding"), ("labor", "Labor")),
    "pagination": Pagination("topics/funding/", 1, (ITEM,), None, "topics/funding/page/1/"),
    "standalone": Standalone("about", "About", "Us.", True, "<p>Hi!</p>", "about.md"),
    "count": 2,
    "more": False,
    "nothing": "",
    "static": frozenset({"a.png", "b/d.png"}),
    "when": ITEM.date.astimezone(ZoneInfo("Europe/Paris")),  # the same instant
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_change_in_a_value_of_any_kind_changes_the_fingerprint(name: str) -> None:
    page = Page("p/index.html", "page.html", "P", dict(KINDS))
    assert page_print(with_context(page, **{name: CHANGED[name]})) != page_print(page)
    assert page_print(with_context(page, **{name: KINDS[name]})) == page_print(page)


@pytest.mark.parametrize(
    "values",
    [
        (1, 1.0, True, "1", (1,), [1], b"1".decode(), None),
        ((), [], "", None, 0, False, 0.0, -0.0, frozenset(), {}),
        ((ITEM,), [ITEM], ITEM, (ITEM, ITEM), ((ITEM,),)),
    ],
)
def test_values_of_other_kinds_are_told_apart(values: tuple[object, ...]) -> None:
    prints = {page_print(Page("p/index.html", "page.html", "P", {"v": v})) for v in values}
    assert len(prints) == len({(type(v), repr(v)) for v in values})


def test_equal_values_give_equal_fingerprints_whatever_their_order_or_identity() -> None:
    one = Page("p/index.html", "page.html", "P", {"a": 1, "b": {1: "x", 2: "y"}, "c": ITEM})
    two = Page("p/index.html", "page.html", "P", {"c": ITEM, "b": {2: "y", 1: "x"}, "a": 1})
    copy = with_context(one, c=dataclasses.replace(ITEM))
    assert page_print(one) == page_print(two) == page_print(copy)
    # A text held twice, or two equal texts: the same.
    text, same = "a text", "".join(["a ", "text"])
    assert text is not same
    twice = Page("p/index.html", "page.html", "P", {"a": text, "b": text})
    assert page_print(twice) == page_print(with_context(twice, b=same))
    shared = dataclasses.replace(ITEM, title=text, summary=text)
    assert fingerprint(shared) == fingerprint(dataclasses.replace(shared, summary=same))
    # The same value on two pages of one build, digested once, reads the same on both.
    prints = Fingerprints(SITE, "v")
    assert prints.page(one) == prints.page(copy) == page_print(one)


def test_the_site_values_and_the_environment_change_every_fingerprint() -> None:
    other = dataclasses.replace(SITE, static=frozenset({"a.png"}))
    assert page_print(ITEM_PAGE, other) != page_print(ITEM_PAGE)
    assert Fingerprints(SITE, "w").page(ITEM_PAGE) != page_print(ITEM_PAGE)


UNKNOWN = [b"bytes", {"a", "set"}, object(), Markup("<b>markup</b>"), ["x", b"y"], {"k": {1, 2}}]


@pytest.mark.parametrize("value", UNKNOWN)
def test_a_value_of_an_unknown_kind_cannot_be_fingerprinted(value: object) -> None:
    with pytest.raises(TypeError, match="cannot fingerprint"):
        page_print(Page("p/index.html", "page.html", "P", {"v": value}))
    with pytest.raises(TypeError, match="cannot fingerprint"):
        page_print(with_context(ITEM_PAGE, edition_title=value))


@pytest.mark.parametrize("value", [object(), Markup("<b>markup</b>")])
def test_an_item_with_a_value_of_an_unknown_kind_cannot_be_fingerprinted(value: object) -> None:
    """(An item's fields are written as they are when marshal can: exactly, type and all.)"""
    with pytest.raises(TypeError, match="cannot fingerprint"):
        fingerprint(dataclasses.replace(ITEM, title=value))  # type: ignore[arg-type]


def test_an_item_field_marshal_does_not_write_is_still_digested() -> None:
    """An item with a value that is not of a plain kind, but one fingerprints know."""
    odd = dataclasses.replace(ITEM, topics=(ITEM.date,))  # type: ignore[arg-type]
    assert fingerprint(odd) != fingerprint(ITEM)
    assert fingerprint(odd) == fingerprint(dataclasses.replace(odd))


FOR_A_SEED = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from test_fingerprint import KINDS, ITEM_PAGE, page_print
from digest.model import Page
print(page_print(Page("p/index.html", "page.html", "P", dict(KINDS))), page_print(ITEM_PAGE))
"""


def test_fingerprints_do_not_depend_on_the_hash_seed() -> None:
    """Two builds run with other seeds for str hashes: sets and dicts iterate otherwise."""
    script = FOR_A_SEED.format(root=str(ROOT), tests=str(ROOT / "tests"))
    found = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(found) == 1
