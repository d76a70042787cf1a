"""Tagging quality, held to the bar: overall F1 of at least 0.9 on the sample and on the evaluation set."""

from __future__ import annotations

import pytest
from conftest import ROOT

from digest.evaluate import Score


def test_sample_edition_topics_match_the_labels_exactly(cli) -> None:
    run = cli(
        "eval",
        ROOT / "tests/data/sample_labels.yaml",
        "--content",
        ROOT / "content",
        "--min-f1",
        "1.0",
    )
    assert run.code == 0, run.out + run.err
    assert "20 labelled items, 0 with other topics than their labels" in run.out


def test_evaluation_set_reaches_f1_of_0_9(cli) -> None:
    data = ROOT / "tests/data/eval"
    run = cli(
        "eval",
        data / "labels.yaml",
        "--content",
        data,
        "--taxonomy",
        ROOT / "content/topics.yaml",
        "--min-f1",
        "0.9",
    )
    assert run.code == 0, run.out + run.err
    overall = next(line for line in run.out.splitlines() if line.startswith("overall"))
    assert float(overall.split()[3]) >= 0.9
    assert "95 labelled items" in run.out


def test_eval_reports_unknown_topics_and_fails_below_the_bar(cli, content) -> None:
    folder = content(
        {
            "1_a.txt": "The CNIL fined a firm.\nAnalysis — x\n",
            "topics.yaml": (ROOT / "content/topics.yaml").read_text(),
        }
    )
    (folder.parent / "bad.yaml").write_text('"abc": [regulatoin]\n')
    bad = cli("eval", folder.parent / "bad.yaml", "--content", folder)
    assert bad.code == 2 and "unknown topic(s) regulatoin" in bad.err
    from digest.text import item_id

    (folder.parent / "labels.yaml").write_text(
        f'"{item_id("The CNIL fined a firm.")}": [funding]\n'
    )
    low = cli("eval", folder.parent / "labels.yaml", "--content", folder, "--min-f1", "0.5", "-v")
    assert low.code == 1
    assert "got regulation; labelled funding" in low.out


def test_scores() -> None:
    score = Score("x", tp=8, fp=2, fn=8)
    assert (score.precision, score.recall) == (0.8, 0.5)
    assert round(score.f1, 4) == 0.6154


# Headlines -----------------------------------------------------------------------------

TUNED_F1 = 0.956  # the tune set's mean F1 after tuning (README); CI holds it within 0.02


def _headline_eval(cli, name: str, *extra: str):
    data = ROOT / "tests/data/headlines" / name
    run = cli("eval", "--headlines", data / "labels.yaml", "--content", data, *extra)
    numbers = run.out.splitlines()[1].split()
    return run, int(numbers[0]), int(numbers[1]), int(numbers[2]), float(numbers[3])


def test_tune_set_headlines_keep_their_tuned_quality(cli) -> None:
    run, items, form, faithful_, f1 = _headline_eval(cli, "tune", "--min-f1", str(TUNED_F1 - 0.02))
    assert run.code == 0, run.out + run.err
    assert (items, form, faithful_) == (75, 75, 75)
    assert f1 >= TUNED_F1 - 0.02


def test_holdout_headlines_have_the_right_form_and_are_faithful(cli) -> None:
    run, items, form, faithful_, f1 = _headline_eval(cli, "holdout", "--min-f1", "0.75")
    assert run.code == 0, run.out + run.err
    assert (items, form, faithful_) == (45, 45, 45)
    assert f1 >= 0.75


def test_headline_eval_details_bad_labels_and_the_bar(cli, content) -> None:
    from digest.text import item_id

    folder = content({"1_a.txt": "The CNIL fined a firm.\nAnalysis — x\n"})
    labels = folder.parent / "labels.yaml"
    labels.write_text(f'"{item_id("The CNIL fined a firm.")}": ["Regulator punishes company"]\n')
    low = cli("eval", "--headlines", labels, "--content", folder, "--min-f1", "0.5", "-v")
    assert low.code == 1 and "mean F1 0.000 is below 0.5" in low.err
    assert "derived: CNIL fines a firm" in low.out and "* Regulator punishes company" in low.out
    labels.write_text('"abc": "not a list"\n')
    bad = cli("eval", "--headlines", labels, "--content", folder)
    assert bad.code == 2 and "expected a list of headlines" in bad.err


def test_headline_measures() -> None:
    from digest.evaluate import content_f1, faithful, right_form

    assert right_form("CNIL fines a firm") and not right_form("CNIL fines a firm.")
    assert not right_form("CNIL fines…") and not right_form("") and not right_form("x" * 81)
    assert faithful("French startup raises $1 billion", "The startup, French, raised $1 billion.")
    assert faithful("Library begins using AI", "The library began using AI.")  # irregular verb
    assert not faithful("Startup raises $2 billion", "The startup raised $1 billion.")
    assert content_f1("AMI raises $1 billion", "AMI raised 1 billion") == 1.0
    assert round(content_f1("AMI raises money", "AMI raises $1 billion"), 3) == 0.571


# labels15's French sets. eval-fr: 56 items labelled before the French taxonomy met them,
# first contact F1 0.928, 1.000 after tuning; CI holds 0.98, which the same items read
# with the English stemmer and rules (0.971) do not reach. holdout-fr: 48 further items,
# sealed until tuning ended, first contact F1 0.878 (P 0.857, R 0.900), held at the
# issue's 0.85.
@pytest.mark.parametrize(
    ("folder", "count", "least"), [("eval-fr", 56, "0.98"), ("holdout-fr", 48, "0.85")]
)
def test_the_french_sets_keep_their_f1_read_as_french(
    cli, tmp_path, folder: str, count: int, least: str
) -> None:
    data = ROOT / "tests/data" / folder
    (tmp_path / "site.yaml").write_text("language: fr\n")
    run = cli(
        "eval",
        data / "labels.yaml",
        "--content",
        data,
        "--taxonomy",
        ROOT / "taxonomies/fr.yaml",
        "--config",
        tmp_path / "site.yaml",
        "--min-f1",
        least,
    )
    assert run.code == 0, run.out + run.err
    assert f"{count} labelled items" in run.out


def test_french_headlines_are_compared_as_french_words() -> None:
    from digest.evaluate import content_f1, content_stems, faithful

    summary = "La CNIL a infligé une amende de 600 000 euros à l’enseigne."
    # Elision and stop words dropped, accents folded after stemming.
    assert content_stems("L’amende de la CNIL", "fr") == ["amend", "cnil"]
    assert content_f1("La CNIL inflige une amende", "CNIL : amende infligée", "fr") == 1.0
    assert faithful("La CNIL inflige une amende à l’enseigne", summary, "fr")
    assert not faithful("La CNIL inflige une amende à Google", summary, "fr")
    # Read as English, the French articles are content words that no label shares.
    assert content_f1("La CNIL inflige une amende", "CNIL : amende infligée") < 1.0
