from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SAMPLE

from digest.dedupe import DuplicateFinder, find_duplicates
from digest.enrich import identify
from digest.model import EditionFile, Item
from digest.parse import parse_text

WHEN = datetime(2026, 11, 26, tzinfo=UTC)

# The same story told twice in other words: each pair must be grouped.
SAME_STORY = [
    (
        "Mistral AI has raised 600 million euros in a funding round led by General Catalyst, valuing the Paris-based model maker at about six billion dollars.",
        "Paris-based Mistral AI secured €600 million from investors led by General Catalyst in a round that values the company near $6 billion.",
    ),
    (
        "Nvidia has agreed to acquire the Israeli startup Run:ai, which makes software to orchestrate GPU workloads, for roughly 700 million dollars.",
        "Run:ai, an Israeli company whose software orchestrates GPU workloads, is being bought by Nvidia in a deal worth about $700 million.",
    ),
    (
        "Italy's data protection authority fined OpenAI 15 million euros over the way ChatGPT collected and processed users' personal data.",
        "OpenAI was hit with a €15 million fine by the Italian privacy regulator for how ChatGPT processed personal data of its users.",
    ),
    (
        "Hugging Face has acquired Pollen Robotics, the French maker of the open-source humanoid robot Reachy, to push into open robotics.",
        "French robot maker Pollen Robotics, creator of the open-source humanoid Reachy, has been acquired by Hugging Face as it moves into robotics.",
    ),
    (
        "A ransomware attack on a hospital in Cannes forced staff to cancel operations and revert to paper records for several days.",
        "Staff at Cannes hospital cancelled operations and returned to paper records for days after a ransomware attack hit its systems.",
    ),
    (
        "The French government announced that a 1-gigawatt data center campus will be built near Dunkirk, powered by low-carbon nuclear electricity.",
        "A data center campus of one gigawatt, fed by nuclear power, will be built near Dunkirk, the French government said.",
    ),
]

# Different stories that share boilerplate: none may be grouped.
DIFFERENT_STORIES = [
    (
        "The French data protection authority (CNIL) has issued new guidance on the use of AI in recruitment, covering automated CV screening and candidate rights.",
        "The French data protection authority (CNIL) has issued new guidance on smart cameras in shops, warning retailers against analysing customers' behaviour.",
    ),
    (
        "French startup Mistral AI has released a new open-weight model for coding, trained to complete and debug programs in eighty languages.",
        "French startup Mistral AI has signed a partnership with a national railway operator to deploy chat assistants for customer service.",
    ),
    (
        "Hugging Face has launched a new leaderboard that ranks open language models on French-language tasks such as reading comprehension.",
        "Hugging Face has launched a paid plan for companies that need private model hosting with dedicated GPUs and support.",
    ),
    (
        "The European Commission has opened an investigation into a social network's handling of election disinformation under the Digital Services Act.",
        "The European Commission has opened a consultation on how to define general-purpose AI models with systemic risk under the AI Act.",
    ),
    (
        "Security researchers identified a malicious package on the Python package index that stole cloud credentials from machine learning engineers.",
        "Security researchers identified a flaw in a popular chatbot's plugin system that allowed attackers to read users' private conversations.",
    ),
    (
        "President Emmanuel Macron has announced a plan to train 100,000 data scientists a year in French universities by 2030.",
        "President Emmanuel Macron has announced that France will host an international summit on AI safety in Paris next February.",
    ),
]


def items_of(*summaries: str, edition: int = 0) -> list[Item]:
    text = "\n".join(f"{s}\nAnalysis — Commentary." for s in summaries)
    raw = parse_text(text, "f.txt").items
    items, problems = identify(
        [EditionFile(edition, f"{edition}.txt", f"{edition}.txt", None, WHEN, raw)]
    )
    assert problems == []
    return items


@pytest.mark.parametrize(("first", "second"), SAME_STORY)
def test_the_same_story_in_other_words_is_grouped(first: str, second: str) -> None:
    a, b = items_of(first, second)
    assert find_duplicates([a, b]) == {b.id: a.id}


@pytest.mark.parametrize(("first", "second"), DIFFERENT_STORIES)
def test_shared_boilerplate_does_not_make_a_duplicate(first: str, second: str) -> None:
    assert find_duplicates(items_of(first, second)) == {}


def test_all_pairs_together_group_exactly_the_same_stories() -> None:
    items = items_of(*(s for pair in SAME_STORY + DIFFERENT_STORIES for s in pair))
    expected = {items[2 * k + 1].id: items[2 * k].id for k in range(len(SAME_STORY))}
    assert find_duplicates(items) == expected


def test_the_sample_has_exactly_one_duplicate_pair() -> None:
    items = items_of(*(raw.summary for raw in parse_text(SAMPLE.read_text(), "s").items))
    number = {item.id: item.position + 1 for item in items}
    pairs = {number[later]: number[first] for later, first in find_duplicates(items).items()}
    assert pairs == {9: 3}  # the CNIL deepfake guidance, reported twice


def test_a_story_told_three_times_points_to_its_first_report() -> None:
    story = SAME_STORY[0]
    third = "Investors led by General Catalyst put 600 million euros into Mistral AI, valuing the Paris model maker at about six billion dollars."
    a, b, c = items_of(story[0], story[1], third)
    assert find_duplicates([a, b, c]) == {b.id: a.id, c.id: a.id}


def test_later_editions_never_change_earlier_decisions() -> None:
    first = items_of(*(s for pair in SAME_STORY + DIFFERENT_STORIES for s in pair))
    before = find_duplicates(first)
    # Many later items that share words with earlier ones shift word rarities.
    later = items_of(
        *(
            f"{s} Officials said more details would follow in {year}."
            for year, (s, _) in enumerate(DIFFERENT_STORIES, 2030)
        ),
        edition=1,
    )
    after = find_duplicates(first + later)
    assert {k: v for k, v in after.items() if k in {i.id for i in first}} == before
    # ... nor what the editor is told about them: the same match and the same similarity.
    alone, together = DuplicateFinder(), DuplicateFinder()
    told = [alone.add(item) for item in first]
    assert [together.add(item) for item in first + later][: len(first)] == told
    assert any(told)


def test_no_summary_is_its_own_duplicate_and_short_texts_are_safe() -> None:
    items = items_of("AI.", "AI news.", "The the the.", "Mistral raised money.")
    assert find_duplicates(items) == {}


def test_the_arrays_widen_past_two_bytes_without_changing_a_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = items_of(*(s for pair in SAME_STORY + DIFFERENT_STORIES for s in pair))
    narrow = DuplicateFinder()
    told = [narrow.add(item) for item in items]
    assert narrow._stems.typecode == "H" and narrow.postings[0].typecode == "H"
    # Two bytes end at 65,535: so few stems and items pass a lower limit as well.
    monkeypatch.setattr("digest.dedupe.NARROW", 5)
    wide = DuplicateFinder()
    assert [wide.add(item) for item in items] == told
    assert wide._stems.typecode == "I"
    assert {posting.typecode for posting in wide.postings} == {"I"}
    for index in range(len(items)):
        assert wide.stems(index) == narrow.stems(index)
    assert [list(p) for p in wide.postings] == [list(p) for p in narrow.postings]
    assert any(told)
