"""Fingerprints: equal digests must mean equal pages, so every field of an item counts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from digest.fingerprint import EVIDENCE_FIELDS, ITEM_FIELDS, SOURCE_FIELDS, Fingerprints
from digest.model import Evidence, Item, Site, Source

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


def fingerprint(item: Item) -> str:
    site = Site("t", "d", "https://example.org/", "en", (), (), (), (), {}, (), (), 10, "a", None)
    return Fingerprints(site, "v").value(item)


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


def test_equal_items_have_equal_fingerprints() -> None:
    assert fingerprint(dataclasses.replace(ITEM)) == fingerprint(ITEM)
