"""Item addresses: made from the headline, recorded in content/urls.yaml by the first build
that publishes them, and never moved after that, not even by an upgrade of digest."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, TWO_ITEMS, config_for, find, findtext, tree
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import enrich, pipeline, text, urlledger
from digest.markup import to_plain
from digest.urlledger import URLS_NAME, format_urls, parse_urls

PREVIOUS_RELEASE = "eb8322c"  # the last commit before headlines and the URL ledger
HEADLINED = """\
Headline — Mistral AI raises €1,7 milliard from ASML
Not a repeat — a second round, not the first one
Mistral AI has successfully closed a funding round of 1.7 billion euros led by ASML, which becomes its largest shareholder.
Analysis — Europe's chip champion and its AI champion now share a balance sheet.

The French data protection authority (CNIL) has published recommendations on web scraping for AI training.
Analysis — Legal certainty for French model makers.
"""


def items_of(site: Path) -> list[dict]:
    return json.loads((site / "items.json").read_text(encoding="utf-8"))["items"]


def by_id(site: Path) -> dict[str, dict]:
    return {item["id"]: item for item in items_of(site)}


def build(tmp_path: Path, **settings: object) -> pipeline.Result:
    result = pipeline.build(config_for(tmp_path, **settings))
    assert result.written, result.problems
    return result


def recorded(folder: Path) -> dict[str, str]:
    urls, problems = parse_urls((folder / URLS_NAME).read_text(encoding="utf-8"), URLS_NAME)
    assert problems == []
    return urls


def path_in(item: dict) -> str:
    return item["url"].removeprefix("https://example.org/digest/")


# The ledger file


ids = st.text("0123456789abcdef", min_size=12, max_size=12)
slugs = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=9), min_size=1, max_size=10
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(ids, slugs.map("-".join), max_size=20))
def test_the_ledger_reads_back_what_it_wrote_in_its_order(entries: dict[str, str]) -> None:
    unique = {id_: f"items/{slug}-{id_[:6]}/" for id_, slug in entries.items()}
    urls, problems = parse_urls(format_urls(unique), URLS_NAME)
    assert problems == [] and list(urls.items()) == list(unique.items())


LEDGER_LINES = st.sampled_from(
    [
        '"0123456789ab": items/a-012345/',
        '"0123456789ab": items/b-012345/',  # the same id again
        '"abcdefabcdef": items/a-012345/',  # the same path again
        '"abcdefabcdef": items/c-abcdef/',
        "abcdefabcdef: items/c-abcdef/",  # by hand, unquoted
        '"abcdefabcdef":   items/c-abcdef/  # a note',
        "# a comment",
        "",
        "  ",
        '"0123456789ab": items/A-012345/',
        '"0123456789ab": "items/d-012345/"',
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(LEDGER_LINES, max_size=6).map("\n".join))
def test_the_quick_reading_of_the_ledger_is_the_yaml_reading(
    text_: str,
) -> None:
    quick = urlledger._as_written(text_)
    if quick is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(urlledger, "_as_written", lambda text_: None)
            assert parse_urls(text_, URLS_NAME) == (quick, [])


def test_a_ledger_edited_badly_is_reported_at_its_lines() -> None:
    text_ = (
        '"0123456789ab": items/fine-012345/\n'
        '"not-an-id": items/x-012345/\n'
        '"abcdefabcdef": ../../etc/passwd\n'
        '"abcdefabcdea": items/Capitals-abcdef/\n'
        '"abcdefabcdeb": items/fine-012345/\n'
        '"abcdefabcdec": 12\n'
    )
    urls, problems = parse_urls(text_, "urls.yaml")
    assert urls == {"0123456789ab": "items/fine-012345/"}
    assert [(p.line, p.severity) for p in problems] == [(n, "error") for n in (2, 3, 4, 5, 6)]
    assert "is already the address of 0123456789ab" in problems[3].message


def test_a_ledger_that_is_not_yaml_stops_the_build_before_anything_is_written(
    content, tmp_path: Path
) -> None:
    content({"1_a.txt": TWO_ITEMS, URLS_NAME: "[unclosed\n"})
    result = pipeline.build(config_for(tmp_path))
    assert not result.written and not (tmp_path / "site").exists()
    assert [(p.file, p.severity) for p in result.problems] == [
        (str(tmp_path / "content" / URLS_NAME), "error")
    ]


# Recording and keeping


def test_the_first_build_records_every_address_from_the_headlines(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": HEADLINED})
    result = build(tmp_path)
    site = tmp_path / "site"
    items = items_of(site)
    assert recorded(folder) == {item["id"]: path_in(item) for item in reversed(items)}
    assert any("urls.yaml (commit it)" in note for note in result.notes)
    editor, derived = items
    assert (editor["title"], editor["title_by"]) == (
        "Mistral AI raises €1,7 milliard from ASML",
        "editor",
    )
    assert path_in(editor) == f"items/mistral-ai-raises-1-7-milliard-from-asml-{editor['id'][:6]}/"
    assert derived["title_by"] == "derived"
    assert path_in(derived) == f"items/{text.make_slug(derived['title'], derived['id'])}/"
    # Read back as the ledger says, the next build records nothing more.
    again = build(tmp_path)
    assert not any(URLS_NAME in note for note in again.notes)


def test_no_address_moves_when_a_headline_or_the_slug_rule_changes(
    content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = content({"1_a.txt": HEADLINED})
    build(tmp_path)
    before = by_id(tmp_path / "site")
    ledger = (folder / URLS_NAME).read_bytes()
    changed = HEADLINED.replace("Headline — Mistral AI raises", "Headline: ASML backs Mistral AI,")
    (folder / "1_a.txt").write_text(changed, encoding="utf-8")
    monkeypatch.setattr(enrich, "make_slug", lambda title, id_: f"another-rule-{id_[:6]}")
    (folder / "2_b.txt").write_text("A new story.\nAnalysis — New.\n", encoding="utf-8")
    build(tmp_path, cache=None)
    after = by_id(tmp_path / "site")
    assert after[next(iter(before))]["title"].startswith("ASML backs Mistral AI")
    assert {id_: after[id_]["url"] for id_ in before} == {i: r["url"] for i, r in before.items()}
    [new] = [item for id_, item in after.items() if id_ not in before]
    assert path_in(new) == f"items/another-rule-{new['id'][:6]}/"
    # The ledger only grows: its earlier lines are as they were.
    assert (folder / URLS_NAME).read_bytes().startswith(ledger)


def test_a_new_address_never_takes_one_the_ledger_holds(content, tmp_path: Path) -> None:
    one = text.item_id("One.")
    two = text.item_id("Two.")
    # An address recorded by hand for an item that is not there (deleted, say) stays its own.
    content(
        {
            "1_a.txt": "Headline — Same words\nOne.\nAnalysis — A.\n",
            URLS_NAME: f'"{two}": items/same-words-{one[:6]}/\n',
        }
    )
    build(tmp_path)
    [item] = items_of(tmp_path / "site")
    assert path_in(item) == f"items/same-words-{one}/"


def test_the_address_is_recorded_before_the_site_goes_live(
    content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content({"1_a.txt": TWO_ITEMS})
    write_file = pipeline.write_file

    def failing(path: Path, data: bytes) -> None:
        if path.name == URLS_NAME:
            raise OSError(28, "No space left on device")
        write_file(path, data)

    monkeypatch.setattr(pipeline, "write_file", failing)
    with pytest.raises(pipeline.WriteError, match="cannot record the addresses of new items"):
        pipeline.build(config_for(tmp_path))
    assert not (tmp_path / "site").exists()


def test_a_ledger_that_cannot_be_read_stops_the_build(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    (folder / URLS_NAME).mkdir()
    result = pipeline.build(config_for(tmp_path))
    assert not result.written and not (tmp_path / "site").exists()
    assert [p.message for p in result.problems] == [
        "URL ledger not read: a folder, not a regular file"
    ]


def test_a_site_built_by_an_earlier_digest_keeps_its_addresses(content, tmp_path: Path) -> None:
    # A date ledger but no URL ledger: an earlier release built this folder.
    folder = content(
        {
            "000_sample.txt": SAMPLE.read_bytes(),
            "dates.yaml": '"000_sample.txt": 2026-11-26T08:00:00+01:00\n',
        }
    )
    result = build(tmp_path)
    assert any("kept as an earlier digest published them" in note for note in result.notes)
    items = items_of(tmp_path / "site")
    for item in items:
        old = text.legacy_slug(to_plain(item["summary"]), item["id"])
        assert path_in(item) == f"items/{old}/"
    assert any(item["url"].endswith("-for-to-efa45f/") for item in items)  # as published
    assert len(recorded(folder)) == 20
    # From now on the ledger decides: a new edition's items get headline addresses.
    (folder / "001_next.txt").write_text(HEADLINED, encoding="utf-8")
    build(tmp_path)
    new = [item for item in items_of(tmp_path / "site") if item["edition"] == 1]
    assert [path_in(item) for item in new] == [
        f"items/{text.make_slug(item['title'], item['id'])}/" for item in new
    ]


def test_a_new_site_gets_headline_addresses_from_its_first_build(content, tmp_path: Path) -> None:
    content({"000_sample.txt": SAMPLE.read_bytes()})  # no ledger of either kind
    build(tmp_path)
    for item in items_of(tmp_path / "site"):
        assert path_in(item) == f"items/{text.make_slug(item['title'], item['id'])}/"


def test_a_headline_shows_as_the_link_heading_title_and_feed_title(content, tmp_path: Path) -> None:
    content({"1_a.txt": HEADLINED})
    build(tmp_path)
    site = tmp_path / "site"
    [editor, _] = items_of(site)
    headline = "Mistral AI raises €1,7 milliard from ASML"
    page = (site / path_in(editor) / "index.html").read_text(encoding="utf-8")
    assert f'<h1 class="item-title">{headline}</h1>' in page
    assert f"<title>{headline} · " in page
    assert f'<meta property="og:title" content="{headline}">' in page
    assert f'<meta name="twitter:title" content="{headline}">' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    link = f'<h3 class="item-title"><a href="{path_in(editor)}">{headline}</a></h3>'
    assert link in index
    rss = find(ET.parse(site / "feed.xml").getroot(), "channel")
    atom = ET.parse(site / "atom.xml").getroot()
    document = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert find(rss, "item").findtext("title") == headline
    assert (
        find(atom, "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title").text
        == headline
    )
    assert document["items"][0]["title"] == headline


# The upgrade from the previous release


def _release(tmp_path: Path) -> Path:
    """The previous release's code, from this repository's history."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this clone (a shallow one?)")
    folder = tmp_path / "release"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "digest", "templates"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def _build_with(code: Path, project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "digest", "build", "-q"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _published(site: Path) -> dict[str, tuple[str, str, int]]:
    """What a reader or a link holds on to: each item's URL, date and edition."""
    return {i["id"]: (i["url"], i["date"], i["edition"]) for i in items_of(site)}


def _feed_links(site: Path) -> dict[str, str]:
    channel = find(ET.parse(site / "feed.xml").getroot(), "channel")
    return {findtext(item, "guid"): findtext(item, "link") for item in channel.iter("item")}


def test_an_upgrade_from_the_previous_release_moves_no_url_id_or_date(tmp_path: Path) -> None:
    release = _release(tmp_path)
    project = tmp_path / "project"
    content = project / "content"
    content.mkdir(parents=True)
    (project / "site.yaml").write_text(
        "title: T\nbase_url: https://example.org/digest/\ntimezone: Europe/Paris\ncache: false\n",
        encoding="utf-8",
    )
    (content / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    (content / "001_more.txt").write_text("---\ntitle: Semaine 50\n---\n" + TWO_ITEMS)
    (content / "topics.yaml").write_bytes((ROOT / "content" / "topics.yaml").read_bytes())

    _build_with(release, project)  # the previous release: records the dates, no URL ledger
    assert (content / "dates.yaml").exists() and not (content / URLS_NAME).exists()
    old = _published(project / "site")
    old_feed = _feed_links(project / "site")
    old_tree = set(tree(project / "site"))

    _build_with(ROOT, project)  # this code, same content
    assert _published(project / "site") == old
    assert _feed_links(project / "site") == old_feed
    assert {p for p in old_tree if p.startswith("items/")} <= set(tree(project / "site"))
    assert set(recorded(content)) == set(old)

    (content / "002_next.txt").write_text(HEADLINED, encoding="utf-8")
    _build_with(ROOT, project)  # and a new edition
    now = _published(project / "site")
    assert {id_: now[id_] for id_ in old} == old
    assert {
        guid: link for guid, link in _feed_links(project / "site").items() if guid in old_feed
    } == old_feed
    new = [item for item in items_of(project / "site") if item["id"] not in old]
    assert len(new) == 2
    for item in new:
        assert path_in(item) == f"items/{text.make_slug(item['title'], item['id'])}/"
    assert path_in(new[0]).startswith("items/mistral-ai-raises-1-7-milliard-from-asml-")


LINKS = re.compile(r'\b(?:href|src|action|data-index|data-root)="([^"]*)"')
EXPRESSION = re.compile(r"{{.*?}}|{%.*?%}")
# Trans blocks' variables build links too: `rss=root ~ paths.rss`.
TRANS_VARIABLE = re.compile(r"\b\w+=(root ~ [^,%]+)")


def test_the_templates_build_no_address_by_hand() -> None:
    # Every link of the built-in templates comes from urls.py (through root, path_of,
    # paths): a file or folder name typed into a template would not follow a change there.
    typed = []
    for template in sorted((ROOT / "templates").glob("*.html")):
        source = template.read_text(encoding="utf-8")
        for link in LINKS.findall(source):
            rest = EXPRESSION.sub("", link)
            if rest and not rest.startswith("#"):
                typed.append((template.name, link))
        for expression in TRANS_VARIABLE.findall(source):
            if '"' in expression or "'" in expression:
                typed.append((template.name, expression))
    assert typed == []
