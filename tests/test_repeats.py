"""Repeats the editor controls: each grouping is said where it happens, an item marked
"not a repeat" is never grouped, figures, entities and news-style synonyms are read as one,
and the labelled pairs hold the precision and recall they were tuned to."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import cli, pipeline
from digest.config import SiteConfig
from digest.dedupe import DuplicateFinder, features, find_duplicates, score_pairs
from digest.enrich import _group, text_key
from digest.model import Item, Source
from digest.parse import parse_text

DATA = ROOT / "tests" / "data" / "dedupe"
WHEN = datetime(2026, 11, 26, tzinfo=UTC)
SAMPLE_ITEMS = [raw.summary for raw in parse_text(SAMPLE.read_text(encoding="utf-8"), "s").items]
DEEPFAKES = (SAMPLE_ITEMS[2], SAMPLE_ITEMS[8])  # lines 5 and 17 of the sample: one story


def pairs_of(name: str) -> list[tuple[str, str, str]]:
    return [(p["kind"], p["a"], p["b"]) for p in yaml.safe_load((DATA / name).read_text())]


def item(summary: str, n: int, distinct: bool = False) -> Item:
    return Item(
        f"id{n:04d}", f"Headline {n}", f"s{n}", summary, None, WHEN, 0, n, Source("f.txt", n),
        distinct=distinct,
    )  # fmt: skip


# --- figures, entities and synonyms ----------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        ["40 million euros", "€40m", "a 40-million-euro penalty", "€40 million", "EUR 40 million"],
        ["1,7 milliard", "1.7 billion", "$1.7bn", "1.7-billion"],
        ["six billion dollars", "$6bn", "6 billion dollars", "$6 billion"],
        ["7,000 staff", "seven thousand staff", "7000 staff"],
        ["12%", "12 percent", "12 per cent"],
    ],
)
def test_one_figure_in_its_forms_is_one_token(forms: list[str]) -> None:
    amounts = [{f for f in features(text) if f.startswith("#")} for text in forms]
    assert all(found == amounts[0] and len(found) == 1 for found in amounts), amounts


@given(
    st.integers(1, 999),
    st.sampled_from([("million", 1e6), ("billion", 1e9), ("thousand", 1e3)]),
    st.sampled_from(["€", "$", ""]),
    st.sampled_from([" ", "-"]),
)
@settings(max_examples=150, deadline=None)
def test_a_figure_reads_the_same_whatever_its_form(
    number: int, magnitude: tuple[str, float], currency: str, space: str
) -> None:
    word, scale = magnitude
    value = int(number * scale)
    spelled = {f for f in features(f"paid {currency}{number}{space}{word}") if f[0] == "#"}
    written = {f for f in features(f"paid {currency}{value:,}") if f[0] == "#"}
    assert spelled == written == {f"#{value}"}


def test_years_and_small_numbers_are_not_amounts() -> None:
    found = features("By 2030, twenty regulators and 3 agencies under Apache 2.0")
    assert {f for f in found if f[0] in "#="} == {"=2030", "=20", "=3", "=2"}


@given(
    st.text(alphabet=st.sampled_from("0123456789.,-%€$ kmbnKMB oneBillion٣per cent"), max_size=60)
)
@settings(max_examples=300, deadline=None)
def test_any_run_of_figures_reads_without_failing(text: str) -> None:
    found = features(text)
    assert all(f and not f.isspace() for f in found)
    assert features(text) == found


def test_demonyms_and_synonyms_are_read_as_one() -> None:
    a = features("Germany's competition authority has fined a ride-hailing app")
    b = features("The German cartel office imposed a penalty on a ride-hailing company")
    assert {"germani", "competit", "author", "fine"} <= a & b


def test_fine_tuning_is_not_a_fine() -> None:
    assert "fine" not in features("The tool handles fine-tuning and evaluation.")


# --- what the finder groups -------------------------------------------------------------

ISSUE_APART = [
    (
        "A coalition of European research labs released an open 7-billion-parameter multilingual language model under the Apache 2.0 licence, trained on all official EU languages.",
        "Mistral released an open 24-billion-parameter language model under the Apache 2.0 licence, small enough to run on a single graphics card.",
    ),
    (
        "The European Commission opened a consultation on a code of practice for general-purpose AI models, inviting providers to comment on transparency and copyright.",
        "The European Commission published the code of practice for general-purpose AI models, after a consultation in which providers commented on transparency and copyright.",
    ),
    (
        "Mistral AI raised 600 million euros in a round led by General Catalyst, valuing the Paris model maker at six billion dollars.",
        "Mistral AI raised 1.7 billion euros in a round led by ASML, valuing the Paris model maker at 11.7 billion euros.",
    ),
]
ISSUE_SAME = [
    (
        "Germany's competition authority has fined a ride-hailing app 40 million euros for squeezing the fares its drivers may set.",
        "The German cartel office imposed a 40-million-euro penalty on a ride-hailing company that capped what its drivers could charge.",
    ),
]


def after_the_sample(first: str, second: str) -> tuple[Item, Item, dict[str, str]]:
    """The pair after the sample's items, so that word rarities are those of a real index
    (on two items alone every word is as rare as any other)."""
    a, b = item(first, 100), item(second, 101)
    found = find_duplicates([*(item(s, n) for n, s in enumerate(SAMPLE_ITEMS)), a, b])
    return a, b, found


@pytest.mark.parametrize(("first", "second"), ISSUE_APART)
def test_the_issues_different_stories_stay_apart(first: str, second: str) -> None:
    _, b, found = after_the_sample(first, second)
    assert b.id not in found


@pytest.mark.parametrize(("first", "second"), ISSUE_SAME)
def test_the_issues_paraphrase_is_grouped(first: str, second: str) -> None:
    a, b, found = after_the_sample(first, second)
    assert found[b.id] == a.id


def test_the_tune_set_holds_its_tuned_precision_and_recall() -> None:
    found = score_pairs(pairs_of("tune.yaml"), SAMPLE_ITEMS)
    # Tuned: precision 11/14 = 0.786, recall 11/17 = 0.647; a margin of one pair each way.
    assert found.precision >= 0.73 and found.recall >= 0.58, found.wrong


def test_the_holdout_set_holds_its_figures() -> None:
    """Written before tuning, opened after it: first contact precision 8/13 = 0.615, recall
    8/18 = 0.444; after the demonym table was completed and "dropped" made an event,
    precision 8/12 = 0.667 at the same recall. Held with a margin of one pair each way."""
    found = score_pairs(pairs_of("holdout.yaml"), SAMPLE_ITEMS)
    assert found.precision >= 0.61 and found.recall >= 0.38, found.wrong


def test_scoring_pairs_counts_what_it_should() -> None:
    same, different = DEEPFAKES, (SAMPLE_ITEMS[2], SAMPLE_ITEMS[9])  # CNIL items opening alike
    found = score_pairs([("same", *same), ("different", *different)], SAMPLE_ITEMS)
    assert (found.true_positives, found.true_negatives, found.wrong) == (1, 1, ())
    flipped = score_pairs([("different", *same), ("same", *different)], SAMPLE_ITEMS)
    assert (flipped.false_positives, flipped.false_negatives) == (1, 1)
    assert flipped.precision == 0.0 and flipped.recall == 0.0


# --- the decisions, and "not a repeat" --------------------------------------------------


def test_each_decision_names_the_first_report_the_match_and_the_similarity() -> None:
    a, b = item(DEEPFAKES[0], 0), item(DEEPFAKES[1], 1)
    third = item(DEEPFAKES[1].replace("comprehensive", "detailed"), 2)
    finder = DuplicateFinder()
    assert finder.add(a) is None
    grouped = finder.add(b)
    assert grouped is not None and (grouped.item, grouped.first, grouped.match) == (
        b.id,
        a.id,
        a.id,
    )
    assert 0.4 <= grouped.similarity <= 1
    later = finder.add(third)  # most like the repeat, grouped under the first report
    assert later is not None and (later.first, later.match) == (a.id, b.id)
    assert [g.item for g in finder.groupings()] == [b.id, third.id]


def test_an_item_marked_not_a_repeat_is_never_grouped_but_is_indexed() -> None:
    a, b = item(DEEPFAKES[0], 0), item(DEEPFAKES[1], 1, distinct=True)
    copy = item(DEEPFAKES[1].replace("comprehensive", "detailed"), 2)
    found = find_duplicates([a, b, copy])
    assert b.id not in found
    assert found[copy.id] == b.id  # it repeats b most, and b is a story of its own


POOL = [s for pair in pairs_of("tune.yaml") for s in pair[1:]] + SAMPLE_ITEMS


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_a_new_edition_never_changes_an_earlier_decision(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, 30))
    picks = data.draw(st.lists(st.sampled_from(POOL), min_size=size, max_size=size, unique=True))
    marks = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    items = [item(s, n, m) for n, (s, m) in enumerate(zip(picks, marks, strict=True))]
    cut = data.draw(st.integers(1, size))
    alone, together = DuplicateFinder(), DuplicateFinder()
    before = [alone.add(i) for i in items[:cut]]
    after = [together.add(i) for i in items][:cut]
    assert before == after  # the same first reports, matches and similarities
    assert all(g is None for g, i in zip(after, items, strict=False) if i.distinct)


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_a_build_that_carries_the_finder_on_equals_a_clean_one(data: st.DataObject) -> None:
    """Items added, and marks set or removed between two builds: the finder the first build
    left gives the same groupings as a finder started afresh."""
    size = data.draw(st.integers(2, 24))
    picks = data.draw(st.lists(st.sampled_from(POOL), min_size=size, max_size=size, unique=True))
    first_marks = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    second_marks = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    kept = data.draw(st.integers(1, size))
    first = [item(s, n, m) for n, (s, m) in enumerate(zip(picks[:kept], first_marks, strict=False))]
    second = [item(s, n, m) for n, (s, m) in enumerate(zip(picks, second_marks, strict=True))]
    _, grouped = _group(first, [text_key(i.summary) for i in first], "en", None)
    grouped = pickle.loads(pickle.dumps(grouped))  # as the build store keeps it
    keys = [text_key(i.summary) for i in second]
    carried, carried_grouped = _group(second, keys, "en", grouped)
    clean, clean_grouped = _group(second, keys, "en", None)
    assert carried == clean
    assert list(carried_grouped.finder.groupings()) == list(clean_grouped.finder.groupings())


# --- what the editor is told ------------------------------------------------------------


def two_editions(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "001_a.txt").write_text(f"{DEEPFAKES[0]}\nAnalysis — One.\n", encoding="utf-8")
    (content / "002_b.txt").write_text(
        f"{SAMPLE_ITEMS[0]}\nAnalysis — Two.\n\n{DEEPFAKES[1]}\nAnalysis — Three.\n",
        encoding="utf-8",
    )
    return content


def test_check_says_where_each_repeat_is_and_what_it_repeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    two_editions(tmp_path)
    assert cli.main(["check", "--content", "content"]) == 0
    out, err = capsys.readouterr()
    result = pipeline.check(SiteConfig(content=Path("content")))
    (grouped,) = result.repeats.values()
    first = next(i for i in result.site.all_items if i.id == grouped.first)
    assert grouped.first == first.id and first.source.line == 1
    assert (
        f"content/002_b.txt:4: note: grouped as a repeat of content/001_a.txt:1 "
        f'"{first.title}" (similarity {grouped.similarity:.2f}); '
        f'mark it "Not a repeat" to list it on its own'
    ) in err.splitlines()
    assert "(1 grouped with an earlier report)" in out


def test_build_prints_the_notes_with_v_and_only_counts_them_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    two_editions(tmp_path)
    assert cli.main(["build", "--content", "content", "--output", "out"]) == 0
    out, err = capsys.readouterr()
    assert "note: grouped as a repeat" not in out + err
    assert "(1 grouped with an earlier report)" in out
    assert cli.main(["build", "-v", "--content", "content", "--output", "out"]) == 0
    out, err = capsys.readouterr()
    assert [line for line in err.splitlines() if "note: grouped as a repeat of" in line]


def test_an_edition_of_repeats_still_lists_them(tmp_path: Path) -> None:
    content = two_editions(tmp_path)
    (content / "002_b.txt").write_text(f"{DEEPFAKES[1]}\nAnalysis — Three.\n", encoding="utf-8")
    result = pipeline.build(SiteConfig(content=content, output=tmp_path / "out"))
    newest = result.site.editions[0]
    assert newest.items == () and [r.first.source.file for r in newest.repeats] == ["001_a.txt"]
    assert (tmp_path / "out" / "editions").exists()


def test_the_sample_keeps_its_one_repeat_and_its_alike_cnil_items_apart() -> None:
    items = [item(s, n) for n, s in enumerate(SAMPLE_ITEMS)]
    assert find_duplicates(items) == {items[8].id: items[2].id}


def test_notes_keep_to_one_line_whatever_the_headline(tmp_path: Path) -> None:
    result = pipeline.check(SiteConfig(content=two_editions(tmp_path)))
    site = result.site
    odd = tuple(replace(i, title=i.title + "\u2028x\ny") for i in site.all_items)
    lines = cli._repeat_notes(replace(result, site=replace(site, all_items=odd)), tmp_path)
    assert len(lines) == 1 and "\n" not in lines[0] and "\u2028" not in lines[0]


def test_random_orders_of_the_pool_never_group_a_marked_item() -> None:
    rng = random.Random(12)
    for _ in range(20):
        picks = rng.sample(POOL, 25)
        items = [item(s, n, rng.random() < 0.3) for n, s in enumerate(picks)]
        found = find_duplicates(items)
        assert not {i.id for i in items if i.distinct} & found.keys()
