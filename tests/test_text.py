from __future__ import annotations

import pytest

from digest.text import item_id, make_slug, make_title, normalize


def test_id_ignores_case_and_whitespace_but_not_words() -> None:
    assert item_id("The CNIL  issued\tguidance.") == item_id("the cnil issued guidance. ")
    assert item_id("The CNIL issued guidance.") != item_id("The CNIL issued new guidance.")
    assert len(item_id("x")) == 12


def test_normalize_folds_compatibility_forms() -> None:
    assert normalize("ﬁnance\u00a0AI") == normalize("finance AI")


@pytest.mark.parametrize(
    ("summary", "title"),
    [
        (
            "French startup AMI raised $1 billion. It will hire.",
            "French startup AMI raised $1 billion",
        ),
        ("The U.S. Department of Commerce acts. More.", "The U.S. Department of Commerce acts"),
        (
            "Mistral released version 1.5 of its model. More.",
            "Mistral released version 1.5 of its model",
        ),
        ("Dr. Smith and J. K. Rowling spoke. More.", "Dr. Smith and J. K. Rowling spoke"),
        ("Is AI overhyped? Some say so.", "Is AI overhyped?"),
        ("No full stop at all", "No full stop at all"),
        ('He said "enough." Then left.', 'He said "enough."'),
    ],
)
def test_title_is_the_first_sentence(summary: str, title: str) -> None:
    assert make_title(summary) == title


def test_long_title_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    summary = (
        "A recent study identifies that artificial intelligence is disproportionately affecting "
        "high-earning, educated professionals in sectors such as finance. More."
    )
    title = make_title(summary)
    assert (
        title
        == "A recent study identifies that artificial intelligence is disproportionately affecting…"
    )
    assert len(title) <= 90


def test_cut_never_splits_an_abbreviation_or_a_number() -> None:
    words = "word " * 16  # 80 characters
    for tail in ("U.S. regulators agree.", "1.5 billion euros raised."):
        title = make_title(words + tail)
        assert len(title) <= 90
        assert title.endswith("…")
        assert "U." not in title or "U.S." in title
        assert not title.removesuffix("…").endswith(("U", "U.", "1", "1."))


def test_a_single_enormous_word_is_still_cut() -> None:
    title = make_title("x" * 200)
    assert title == "x" * 89 + "…"


def test_slug_is_readable_and_carries_part_of_the_id() -> None:
    slug = make_slug("France Télévisions moves to Scaleway", "0123456789ab")
    assert slug == "france-televisions-moves-to-scaleway-012345"
    assert make_slug("!!!", "abcdef012345") == "item-abcdef"
    assert len(make_slug("word " * 40, "abcdef012345")) <= 60 + 7
