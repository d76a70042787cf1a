"""Tagging quality, held to the bar: overall F1 of at least 0.9 on the sample and on the evaluation set."""

from __future__ import annotations

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
