"""Rendering shared with a second process gives the same outputs as rendering alone; the
editor's templates, broken in any way, give problems at their FILE:LINE; every markup
output escapes hostile values."""

from __future__ import annotations

import shutil
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import ROOT, TWO_ITEMS, config_for, forks, reaped
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest import pipeline, render
from digest.cache import BuildCache


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from archive import make_archive

    content = tmp_path_factory.mktemp("render") / "content"
    make_archive(120, content)
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    config = config_for(content.parent)
    found = pipeline.model(config)
    model, problems = found.site, found.problems
    assert not problems
    return model


def test_a_helper_process_renders_the_same_outputs(site, monkeypatch) -> None:
    env = render.make_env()
    alone = dict(render.render(site, env))
    forked = forks(monkeypatch)
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    shared = list(render.render(site, env))
    assert forked and reaped(forked)  # a helper did take a share, and is gone
    assert len(shared) == len(alone) and dict(shared) == alone
    items = [page for page in site.pages if page.path.startswith("items/")]
    some = dict(render.render(site, env, pages=items, segments=()))
    assert {path for path in some if path.endswith(".html")} == {p.path for p in items}
    assert all(some[path] == alone[path] for path in some)
    assert not any(path.startswith("search/") and path != "search/index.json" for path in some)
    again = dict(render.render_only(site, env, {items[0].path, "feed.xml"}))
    assert again == {items[0].path: alone[items[0].path], "feed.xml": alone["feed.xml"]}


def test_the_outputs_come_as_a_stream(site, monkeypatch) -> None:
    """The first file arrives before the last page is rendered: nothing holds them all."""
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**9)  # one process, so that it is seen
    rendered: list[str] = []
    real = render._render_pages

    def spy(site, env, pages):
        for path, data in real(site, env, pages):
            rendered.append(path)
            yield path, data

    monkeypatch.setattr(render, "_render_pages", spy)
    stream = render.render(site, render.make_env())
    next(stream)
    assert len(rendered) < len(site.pages)


def test_no_helper_is_forked_while_another_thread_runs(site, monkeypatch) -> None:
    import os

    def refuse() -> int:
        raise AssertionError("forked beside a running thread")

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "fork", refuse)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert dict(render.render(site, render.make_env()))
    finally:
        stop.set()
        other.join()


def test_an_error_in_either_process_reaches_the_build(site, monkeypatch, tmp_path: Path) -> None:
    forked = forks(monkeypatch)
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    broken = tmp_path / "templates"
    broken.mkdir()
    (broken / "item.html").write_text("{{ no_such_name }}", encoding="utf-8")
    with pytest.raises(render.TemplateErrors) as caught:  # both processes render items
        list(render.render(site, render.make_env([broken])))
    assert [str(p) for p in caught.value.problems] == [
        f"{broken / 'item.html'}:1: error: 'no_such_name' is undefined"
    ]

    def fail(segment):
        raise ValueError("the indexer failed")

    monkeypatch.setattr(render.search, "segment_files", fail)
    with pytest.raises(ValueError, match="the indexer failed"):
        list(render.render(site, render.make_env()))
    assert forked and reaped(forked)  # no helper left behind


def test_a_template_problem_in_the_helper_comes_back_as_a_problem(
    site, monkeypatch, tmp_path: Path
) -> None:
    import os

    from digest import workers

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    parent, take = os.getpid(), workers._take
    # This process takes no task: the helper renders every page.
    monkeypatch.setattr(workers, "_take", lambda q: None if os.getpid() == parent else take(q))
    page = site.pages[2]
    own = tmp_path / "templates"
    own.mkdir()
    source = f'{{% if page.path == "{page.path}" %}}\n\n{{{{ 1 + "a" }}}}{{% endif %}}'
    (own / page.template).write_text(source, encoding="utf-8")
    forked = forks(monkeypatch)
    with pytest.raises(render.TemplateErrors) as caught:
        list(render.render(site, render.make_env([own])))
    assert forked
    assert [str(p) for p in caught.value.problems] == [
        f"{own / page.template}:3: error: TypeError: unsupported operand type(s) for +: 'int' and 'str'"
    ]
    assert reaped(forked)


# Each broken template: its name in the override folder, its bytes, the line reported and
# words of the message.
BROKEN = {
    "syntax": ("item.html", b"ok\n{% if %}\n", 2, "Expected an expression"),
    "unclosed": ("_item.html", b"{% for x in y %}\nno end\n", 2, "Unexpected end of template"),
    "undefined": ("item.html", b"a\nb\n{{ nothing_here.x }}\n", 3, "'nothing_here' is undefined"),
    "include": (
        "_item.html",
        b"\n{% include 'nowhere.html' %}",
        2,
        "no template named 'nowhere.html'",
    ),
    "encoding": ("base.html", b"<p>\n\xe9t\xe9\n", 2, "not UTF-8 text (byte 0xe9)"),
    "extends itself": ("base.html", b"{% extends 'base.html' %}\n", 1, "itself without end"),
    "filter": ("item.html", b"\n{{ page.title|shout }}", 2, "No filter named 'shout'"),
    "test": ("item.html", b"{% if page is shouting %}x{% endif %}", 1, "No test named 'shouting'"),
    "late filter": ("item.html", b"{% if page %}\n{{ 1|shout }}{% endif %}", 2, "shout"),
    "feed": ("rss.xml", b"<rss>{{ feed.nope }}</rss>", 1, "has no attribute 'nope'"),
    "type": ("feeds.opml", b"\n{{ site.title + 1 }}", 2, "TypeError"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_template_is_a_problem_at_its_line(case: str, cli, tmp_path: Path) -> None:
    name, source, line, words = BROKEN[case]
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(ROOT / "content" / "000_e808da6115982e84.txt", content / "001_first.txt")
    own = tmp_path / "mine"
    own.mkdir()
    (own / name).write_bytes(source)
    (tmp_path / "site.yaml").write_text("templates: mine\nbase_url: https://example.org/\n")
    run = cli("build")
    assert run.code == 2, run.err
    problems = [line for line in (run.out + run.err).splitlines() if ": error: " in line]
    assert len(problems) == 1 and problems[0].startswith(f"mine/{name}:{line}: error: ")
    assert words in problems[0]
    assert "Traceback" not in run.err


def test_every_syntax_error_is_reported_at_once(site, tmp_path: Path) -> None:
    own = tmp_path / "mine"
    own.mkdir()
    (own / "item.html").write_text("{% if %}", encoding="utf-8")
    (own / "topic.html").write_text("\n{{ }}", encoding="utf-8")
    (own / "notes.png").write_bytes(b"\x89PNG\xff")  # not a template: not compiled
    with pytest.raises(render.TemplateErrors) as caught:
        render.render(site, render.make_env([own]))  # before any file is made
    found = {(p.file, p.line) for p in caught.value.problems}
    assert found == {(str(own / "item.html"), 1), (str(own / "topic.html"), 2)}


def test_an_error_in_a_built_in_template_alone_is_a_bug_not_a_problem(site, monkeypatch) -> None:
    def broken(text: str) -> str:
        raise ValueError("a bug in a filter")

    env = render.make_env()
    env.filters["long_date"] = broken
    with pytest.raises(ValueError, match="a bug in a filter"):
        list(render.render(site, env))


TEMPLATE_TEXT = st.lists(
    st.sampled_from(
        [
            "{{",
            "}}",
            "{%",
            "%}",
            "{#",
            "#}",
            " if ",
            " for x in ",
            " endif ",
            " endfor ",
            " include ",
            " extends ",
            "'item.html'",
            "'base.html'",
            "'_nope.html'",
            " page",
            " site",
            ".title",
            "|",
            "upper",
            "nope",
            "(",
            ")",
            "[",
            "]",
            "1",
            "+",
            "'a'",
            "\n",
            " ",
            "x",
            "-",
            "~",
            "\xe9",
            " block ",
            " endblock ",
            " macro ",
            " set ",
            "=",
            " is ",
            " not ",
            " in ",
        ]
    ),
    max_size=25,
).map("".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(source=TEMPLATE_TEXT, encode=st.sampled_from(["utf-8", "latin-1"]))
def test_any_template_renders_or_gives_problems_at_its_lines(
    small_site, tmp_path_factory: pytest.TempPathFactory, source: str, encode: str
) -> None:
    own = tmp_path_factory.mktemp("own")
    (own / "item.html").write_bytes(source.encode(encode))
    compiled = BuildCache(tmp_path_factory.getbasetemp() / "compiled")  # the built-in ones
    try:
        list(render.render(small_site, render.make_env([own], compiled)))
    except render.TemplateErrors as exc:
        lines = source.count("\n") + 1
        for problem in exc.problems:
            assert problem.severity == "error" and problem.message
            assert problem.file in (
                str(own / "item.html"),
                str(render.builtin_templates() / "base.html"),
            )
            assert problem.line is None or 1 <= problem.line <= max(lines, 200)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory):
    content = tmp_path_factory.mktemp("small") / "content"
    content.mkdir()
    (content / "001_first.txt").write_text(TWO_ITEMS, encoding="utf-8")
    found = pipeline.model(config_for(content.parent))
    model, problems = found.site, found.problems
    assert not problems
    return model


HOSTILE = """A & B <hostile x="1"> 'q' "dq" \" onmouseover="alert(1)"""


def test_every_template_escapes_hostile_values(cli, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "001_first.txt").write_text(
        f"---\ntitle: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n---\n"
        f"{HOSTILE} regulation GDPR.\nAnalysis — {HOSTILE}\n",
        encoding="utf-8",
    )
    quoted = HOSTILE.replace("'", "''")
    (content / "topics.yaml").write_text(
        f"topics:\n  regulation:\n    name: '{quoted}'\n    description: '{quoted}'\n"
        "    terms:\n      GDPR: 3\n",
        encoding="utf-8",
    )
    (tmp_path / "site.yaml").write_text(
        f"title: '{quoted}'\ndescription: '{quoted}'\nbase_url: https://example.org/a&b/\n",
        encoding="utf-8",
    )
    run = cli("build")
    assert run.code == 0, run.out + run.err
    outputs = {
        str(p.relative_to(tmp_path / "site")): p.read_bytes()
        for p in (tmp_path / "site").rglob("*")
        if p.is_file()
    }
    markup_outputs = [p for p in outputs if p.endswith((".html", ".xml", ".opml", ".svg"))]
    assert {"feeds.opml", "feed.xml", "atom.xml", "index.html", "sitemap.xml"} <= set(outputs)
    assert "topics/regulation/index.html" in outputs  # the hostile topic is on its page
    for path in markup_outputs:
        assert b"<hostile" not in outputs[path], path
        if path.endswith((".xml", ".opml", ".svg")):
            ET.fromstring(outputs[path])  # well-formed, whatever the values
        else:
            attributes = _attributes(outputs[path].decode("utf-8"))
            assert "onmouseover" not in attributes and "x" not in attributes, path
    seen = b"".join(outputs[p] for p in markup_outputs)
    assert b"A &amp; B &lt;hostile" in seen or b"A &amp;amp; B &amp;lt;hostile" in seen
    opml = ET.fromstring(outputs["feeds.opml"])
    assert opml.findtext("head/title") == f"{HOSTILE}: all feeds"
    assert {o.get("title") for o in opml.iter("outline")} >= {f"{HOSTILE}"}


def _attributes(page: str) -> set[str]:
    from html.parser import HTMLParser

    names: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names.update(name for name, _ in attrs)

    Collect().feed(page)
    return names


def test_only_templates_named_as_not_markup_are_left_unescaped() -> None:
    env = render.make_env()
    for name in ("x.html", "x.xml", "x.opml", "x.svg", "x.atom", "x.rdf", "x"):
        assert env.from_string("{{ v }}").environment.autoescape(name) is True  # type: ignore[operator]
    for name in ("robots.txt", "style.css", "search.js"):
        assert env.autoescape(name) is False  # type: ignore[operator]


KILLED_PARENT = """
import os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1] + "/bench")
from archive import make_archive
from digest import pipeline, render, workers
from digest.config import SiteConfig

folder, gate = Path(sys.argv[2]), int(sys.argv[3])
make_archive(40, folder / "content")
render.PARALLEL_FROM = 1  # a helper for 40 items' pages, as for 2,000
parent, real = os.getpid(), render._render_pages

def pages(site, env, share):
    if os.getpid() != parent:
        print(os.getpid(), flush=True)  # the helper is rendering: the test kills its parent now
        os.read(gate, 1)  # and lets it go on once the parent is dead
    return real(site, env, share)

render._render_pages = pages
take = workers._take
workers._take = lambda queue: None if os.getpid() == parent else take(queue)  # all the helper's
config = SiteConfig(content=folder / "content", output=folder / "site", cache=None)
pipeline.build(config)
"""


def test_the_helper_dies_quietly_with_a_killed_parent(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    gate, release = os.pipe()
    build = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT, str(ROOT), str(tmp_path), str(gate)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=[gate],
    )
    os.close(gate)
    assert build.stdout is not None and build.stderr is not None
    helper = int(build.stdout.readline())
    build.send_signal(signal.SIGKILL)
    build.wait()
    os.close(release)  # a helper still alive would go on, and write to its dead parent
    # The helper holds the same stderr: its end arrives once the helper is gone too.
    err = build.stderr.read()
    assert build.returncode == -signal.SIGKILL
    assert err == b""
    # Its files are closed early in its exit: wait for the rest of it, a few seconds at most.
    deadline = time.monotonic() + 10
    while _state(helper) not in ("gone", "Z", "X") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(helper) in ("gone", "Z", "X")  # a zombie is left for init to reap


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except FileNotFoundError:
        return "gone"


def test_whole_archive_files_are_cut_in_chunks_that_a_new_edition_leaves_alone(
    tmp_path: Path, monkeypatch
) -> None:
    """items.json and the sitemap, with blocks of 2 editions: every item and every page
    once, newest first; an edition more changes the latest files and the index only, and an
    incremental build (which keeps the closed chunks) gives the clean build's bytes."""
    import json
    import sys

    from conftest import every_item, sitemap_locs, tree

    from digest import export

    sys.path.insert(0, str(ROOT / "bench"))
    from archive import make_archive

    monkeypatch.setattr(export, "ITEMS_BLOCK", 2)
    monkeypatch.setattr(render, "SITEMAP_BLOCK", 2)
    content = tmp_path / "content"
    make_archive(140, content)  # 7 editions of 20
    last = sorted(content.glob("*.txt"))[-1]
    newest = last.read_bytes()
    last.unlink()
    config = config_for(tmp_path)
    base = "https://example.org/digest/"
    assert pipeline.build(config).written
    before = tree(tmp_path / "site")
    made: list[str] = []
    real = render.chunk_file

    def counted(chunk: export.Chunk, base_url: str) -> bytes:
        made.append(chunk.path)
        return real(chunk, base_url)

    monkeypatch.setattr(render, "chunk_file", counted)
    last.write_bytes(newest)
    result = pipeline.build(config)
    assert result.written and made == ["items/editions-4-5.json"]  # the new chunk alone
    after = tree(tmp_path / "site")
    clean = _clean(tmp_path, config)
    assert after == tree(clean)
    changed = {path for path in after if before.get(path) != after[path]}
    chunk_files = {p for p in after if p.startswith(("items/editions-", "sitemap-editions-"))}
    assert chunk_files == {
        "items/editions-0-1.json",
        "items/editions-2-3.json",
        "items/editions-4-5.json",
        "sitemap-editions-0-1.xml",
        "sitemap-editions-2-3.xml",
        "sitemap-editions-4-5.xml",
    }
    assert changed & chunk_files == {"items/editions-4-5.json", "sitemap-editions-4-5.xml"}
    items = every_item(clean, base)
    model = pipeline.model(config).site
    assert [i["id"] for i in items] == [item.id for item in model.all_items]
    assert json.loads(after["items.json"])["older"] == [
        base + "items/editions-4-5.json",
        base + "items/editions-2-3.json",
        base + "items/editions-0-1.json",
    ]
    locs = sitemap_locs(clean, base)
    listed = [page for page in model.pages if page.in_sitemap]
    assert sorted(locs) == sorted(base + p.path.removesuffix("index.html") for p in listed)


def _clean(tmp_path: Path, config) -> Path:
    from dataclasses import replace

    clean = replace(config, output=tmp_path / "clean", cache=None)
    assert pipeline.build(clean).written
    return tmp_path / "clean"


_india = timezone(timedelta(hours=5, minutes=30))
_moments = st.datetimes(timezones=st.sampled_from([UTC, _india]))


_noon = datetime(2026, 12, 1, 12, tzinfo=UTC)


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(st.tuples(st.text(), st.none() | _moments), max_size=6))
# One date object on several pages (written out once), and the same moment in two zones.
@example(entries=[("a", _noon), ("b&'\"<>", _noon), ("c", _noon.astimezone(_india))])
def test_the_sitemaps_made_without_jinja_are_the_built_in_templates_bytes(
    entries: list[tuple[str, datetime | None]],
) -> None:
    env = render.make_env()
    assert render._urlset(entries) == env.get_template("sitemap.xml").render(entries=entries)


def test_an_editors_own_sitemap_template_is_rendered(tmp_path: Path, content) -> None:
    content({"000_week.txt": TWO_ITEMS})
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "sitemap.xml").write_text(
        "{% for loc, lastmod in entries %}listed: {{ loc }}\n{% endfor %}",
        encoding="utf-8",
    )
    assert pipeline.build(config_for(tmp_path, templates=templates)).written
    latest = (tmp_path / "site" / "sitemap-latest.xml").read_text(encoding="utf-8")
    assert latest.startswith("listed: https://example.org/digest/") and "<urlset" not in latest


def test_the_built_in_opml_reads_no_feeds_entries(site) -> None:
    """archive_marks keeps feeds.opml while no feed's title, description or address
    changes, whatever their entries: the built-in template must not read them."""
    from dataclasses import replace

    from digest.feeds import EPOCH, all_feeds

    env = render.make_env()
    feeds = all_feeds(site)
    assert all(feed.entries for feed in feeds)  # the check below means something
    bare = [replace(feed, entries=(), updated=EPOCH) for feed in feeds]
    opml = env.get_template("feeds.opml")
    assert opml.render(site=site, feeds=feeds) == opml.render(site=site, feeds=bare)


def test_a_feed_reads_of_the_site_only_what_marks_cover(site) -> None:
    """A feed is made of its source and of site values that fingerprints cover: a site
    that gives nothing else makes the same feed (so archive_marks may keep it)."""
    from digest.feeds import feed_sources, make_feed
    from digest.fingerprint import SITE_VALUES

    class Covered:
        def __getattr__(self, name: str) -> object:
            assert name in SITE_VALUES, f"a feed reads site.{name}, which no mark covers"
            return getattr(site, name)

    for source in feed_sources(site):
        assert make_feed(Covered(), source) == make_feed(site, source)  # type: ignore[arg-type]


_zone = timezone(timedelta(hours=2))


@settings(max_examples=100, deadline=None)
@given(
    dates=st.lists(
        st.sampled_from([None, _noon, _noon.astimezone(_zone), _noon - timedelta(days=1)]),
        max_size=5,
    ),
    order=st.randoms(),
)
def test_a_sitemaps_date_in_the_index_is_the_same_whether_its_file_is_made_or_kept(
    dates: list[datetime | None], order
) -> None:
    """Of equal moments written otherwise, the index dates a file by its first entry's,
    whether that file is made (its pages sorted) or kept (not)."""
    from digest.model import Page

    pages = [Page(f"p{i}/index.html", "page.html", "", updated=d) for i, d in enumerate(dates)]
    order.shuffle(pages)
    entries = sorted(pages, key=lambda page: page.path)
    dated = [page.updated for page in entries if page.updated is not None]
    assert render._newest(pages) is max(dated, default=None)
