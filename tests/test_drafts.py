"""Drafts and scheduled editions: held back from every output and ledger until published."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from conftest import TWO_ITEMS, config_for, sitemap_locs, tree
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import pipeline
from digest.parse import parse_text

DRAFT = "---\ndraft: true\n---\nA draft story about zeppelins over Rennes.\nAnalysis — not yet.\n"
SCHEDULED = (
    "---\ndate: 2030-06-15\n---\nA scheduled story about quokkas in Brest.\nAnalysis — later.\n"
)
BEFORE = datetime(2030, 6, 14, 21, 0, tzinfo=UTC)  # the evening before
ON_THE_DAY = datetime(2030, 6, 15, 5, 0, tzinfo=UTC)


def everything(site: Path) -> bytes:
    return b"".join(tree(site).values())


@settings(max_examples=200, deadline=None)
@given(
    value=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    before=st.integers(0, 3),
)
def test_draft_is_true_or_false_and_anything_else_is_an_error_at_its_line(
    value: str, before: int
) -> None:
    lines = ["---", *[f"title: T{n}" for n in range(min(before, 1))], f"draft: {value}", "---"]
    parsed = parse_text("\n".join(lines) + "\nA summary.\nAnalysis — a.\n", "f.txt")
    flag = value.strip().strip("\"'").lower()
    errors = [p for p in parsed.problems if p.severity == "error"]
    if flag in ("true", "false") and value.strip().lower() == flag:
        assert parsed.draft is (flag == "true") and not errors
    elif not errors:  # a YAML quoted "true" is the word true too
        assert flag in ("true", "false")
    else:
        assert not parsed.draft
        # At its line: "draft: expected true or false", or YAML's own word on a bad value.
        assert any(p.line == 2 + min(before, 1) for p in errors), parsed.problems


def test_yaml_s_other_booleans_are_errors() -> None:
    for word in ("yes", "no", "on", "off", "1", "0", "y"):
        parsed = parse_text(f"---\ndraft: {word}\n---\nA summary.\n", "f.txt")
        assert parsed.problems[0].line == 2 and "expected true or false" in str(parsed.problems[0])


def project(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / "001_first.txt").write_text(TWO_ITEMS, encoding="utf-8")
    (content / "002_draft.txt").write_text(DRAFT, encoding="utf-8")
    (content / "003_later.txt").write_text(SCHEDULED, encoding="utf-8")
    return content


def test_held_back_editions_are_in_no_output_and_no_ledger(tmp_path: Path) -> None:
    content = project(tmp_path)
    result = pipeline.build(config_for(tmp_path), showing=pipeline.Showing(BEFORE))
    assert result.written and [e.number for e in result.site.editions] == [1]
    assert sorted((h.edition.name, h.scheduled) for h in result.held) == [
        ("002_draft.txt", False),
        ("003_later.txt", True),
    ]
    out = everything(tmp_path / "site")
    assert b"AMI" in out and b"zeppelin" not in out.lower() and b"quokka" not in out.lower()
    ledgers = (content / "dates.yaml").read_text() + (content / "urls.yaml").read_text()
    assert "001_first" in ledgers and "draft" not in ledgers and "zeppelin" not in ledgers
    assert "quokka" not in ledgers


def test_a_shown_draft_is_marked_unindexed_and_recorded_nowhere(tmp_path: Path) -> None:
    content = project(tmp_path)
    showing = pipeline.Showing(BEFORE, drafts=True)
    result = pipeline.build(config_for(tmp_path), showing=showing)
    assert result.drafts == 1 and [h.edition.name for h in result.held] == ["003_later.txt"]
    site = tmp_path / "site"
    edition = (site / "editions" / "2" / "index.html").read_text()
    assert (
        "<strong>Draft</strong>" in edition and '<meta name="robots" content="noindex">' in edition
    )
    (item,) = site.glob("items/*zeppelins*/index.html")
    assert "<strong>Draft</strong>" in item.read_text() and "noindex" in item.read_text()
    first = (site / "editions" / "1" / "index.html").read_text()
    assert "Draft</strong>" not in first and "noindex" not in first
    sitemap = " ".join(sitemap_locs(site, "https://example.org/digest/"))
    assert "editions/1/" in sitemap
    assert "editions/2/" not in sitemap and item.parent.name not in sitemap
    ledgers = (content / "dates.yaml").read_text() + (content / "urls.yaml").read_text()
    assert "002_draft" not in ledgers and item.parent.name not in ledgers


def test_a_scheduled_edition_is_published_on_its_day_or_with_future(tmp_path: Path) -> None:
    content = project(tmp_path)
    config = config_for(tmp_path)
    pipeline.build(config, showing=pipeline.Showing(BEFORE, future=True))
    assert b"quokkas" in everything(tmp_path / "site")
    (content / "urls.yaml").unlink()
    pipeline.build(config, showing=pipeline.Showing(BEFORE))
    assert b"quokkas" not in everything(tmp_path / "site")
    assert "quokka" not in (content / "urls.yaml").read_text()
    result = pipeline.build(config, showing=pipeline.Showing(ON_THE_DAY))  # the daily CI job
    assert [e.number for e in result.site.editions] == [3, 1] and len(result.held) == 1
    assert b"quokkas" in everything(tmp_path / "site")
    assert "quokka" in (content / "urls.yaml").read_text()


def test_a_future_ledger_date_schedules_and_a_future_mtime_is_now(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "001_a.txt").write_text(TWO_ITEMS, encoding="utf-8")
    (content / "002_b.txt").write_text(TWO_ITEMS.replace("AMI", "Zorg"), encoding="utf-8")
    (content / "dates.yaml").write_text('"001_a.txt": 2030-06-15T08:00:00+02:00\n')
    stamp = datetime(2031, 1, 1, tzinfo=UTC).timestamp()
    os.utime(content / "002_b.txt", (stamp, stamp))
    result = pipeline.build(config_for(tmp_path), showing=pipeline.Showing(BEFORE))
    assert [h.edition.name for h in result.held] == ["001_a.txt"]
    assert [e.date for e in result.site.editions] == [BEFORE]
    assert '002_b.txt": 2030-06-14T21:00:00+00:00' in (content / "dates.yaml").read_text()


def test_the_summary_line_and_v_say_what_is_held_back(tmp_path: Path, cli) -> None:
    content = project(tmp_path)
    (content / "004_much_later.txt").write_text(SCHEDULED.replace("2030", "9000"))
    (content / "003_later.txt").write_text(SCHEDULED.replace("2030", "8000"))
    run = cli("build", "--content", content, "--output", tmp_path / "site", "-v")
    assert run.code == 0, run.err
    assert (
        " in 1 edition (3 editions held back: 1 draft, 2 scheduled, the first for 8000-06-15) into "
    ) in run.out
    assert (
        "content/002_draft.txt: held back (a draft: shown by --drafts and digest serve)" in run.out
    )
    assert "content/003_later.txt: held back (scheduled for 8000-06-15 00:00+" in run.out
    (content / "004_much_later.txt").unlink()
    run = cli("check", "--content", content, "--drafts")
    assert "Checked 3 items in 2 editions (1 draft included; 1 edition held back: " in run.out
    assert "1 scheduled for 8000-06-15), 0 topics" in run.out
    run = cli("build", "--content", content, "--output", tmp_path / "site", "--future")
    assert " in 2 editions (1 edition held back: 1 draft) into " in run.out


def test_toggling_a_draft_between_builds_equals_a_clean_build(tmp_path: Path) -> None:
    content = project(tmp_path / "project")
    config = config_for(tmp_path / "project")
    draft = content / "002_draft.txt"

    def clean() -> dict[str, bytes]:
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        shutil.copytree(content, tmp_path / "clean" / "content")
        clean_config = config_for(tmp_path / "clean", cache=None)
        assert pipeline.build(clean_config, showing=showing).written
        return tree(tmp_path / "clean" / "site")

    for text, drafts in ((DRAFT, False), (DRAFT, True), (DRAFT.replace("true", "false"), False),
                         (DRAFT, True), (DRAFT, False)):  # fmt: skip
        draft.write_text(text, encoding="utf-8")
        showing = pipeline.Showing(BEFORE, drafts=drafts)
        assert pipeline.build(config, showing=showing).written
        assert tree(tmp_path / "project" / "site") == clean(), (text, drafts)
