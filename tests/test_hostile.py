"""Exit 70 is unreachable from input: every boundary where the editor's (or an attacker's)
files enter digest is fuzzed through the whole command, in process.

Each example writes a small project (content folder, site.yaml, topics.yaml, dates.yaml,
template overrides, a damaged build cache), runs `digest check` or `digest build`, and
requires a documented exit code (0, 1 or 2), no internal error, no traceback, and every
line on stderr a one-line message: `FILE[:LINE]: severity: message` or `digest: …`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from conftest import ROOT, TWO_ITEMS, tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.cli import main

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MESSAGE = re.compile(r"^(digest: .+|.+?(:\d+)?: (error|warning|note): .+)$")
TEMPLATES = ROOT / "templates"


def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def assert_handled(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "internal error" not in err and "Traceback" not in err, err
    for line in err.splitlines():
        assert MESSAGE.match(line), f"not a one-line message: {line!r}"


def project(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8", newline="", errors="surrogatepass")
    return root


# Pieces of YAML, good and bad, that a settings file may be made of.
YAML_PIECES = st.sampled_from(
    [
        "title: News & Views\n",
        "title: 2026-02-30\n",
        "title: [a, b]\n",
        'base_url: "https://example.org/\\nDisallow: /\\n#"\n',
        "base_url: https://example.org/ia/\n",
        "base_url: http://[::1]:99999/\n",
        "language: fr\n",
        "timezone: Mars/Olympus\n",
        "feed_size: 1" + "0" * 5000 + "\n",
        "items_per_page: -1\n",
        "templates: no-such-folder\n",
        "templates: site.yaml\n",
        "cache: false\n",
        "search: maybe\n",
        "output: content\n",
        "a: &a [1, 2]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n",
        "deep: " + "[" * 3000 + "]" * 3000 + "\n",
        "x: !!python/object/apply:os.system [echo]\n",
        "when: 2026-13-01T25:61:00+25:00\n",
        "\x07bell: 1\n",
        "\ufffe: 1\n",
        "key: 'unclosed\n",
        "- a list\n",
        "? [complex, key]\n: 1\n",
        "title: x\ntitle: y\n",
        "",
    ]
)
YAML_TEXT = st.lists(YAML_PIECES, max_size=5).map("".join) | st.text(max_size=200)


@SETTINGS
@given(site=YAML_TEXT, topics=YAML_TEXT, dates=YAML_TEXT)
def test_settings_files_never_reach_an_internal_error(site: str, topics: str, dates: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = project(
            Path(folder),
            {
                "site.yaml": site,
                "content/001_a.txt": TWO_ITEMS,
                "content/topics.yaml": topics,
                "content/dates.yaml": dates,
            },
        )
        code, _, err = run("check", "--config", root / "site.yaml")
        assert_handled(code, err)


FRONT_DATES = st.sampled_from(
    [
        "2026-02-30",
        "2026-11-26T25:00:00",
        "2026-11-26T08:00:00+24:00",
        "2026-11-26T08:00:00-99:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "'not a date'",
        "[2026, 11, 26]",
        "2026-11-26",
        "1" + "0" * 5000,
    ]
)
ITEM_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from(["\ufffe", "\uffff", "\ufdd0", "\x00", "\x1b", "\u2028", "[", "*", "`"]),
    max_size=300,
)


@SETTINGS
@given(
    name=st.binary(min_size=1, max_size=20).filter(
        lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")
    ),
    date=FRONT_DATES,
    title=st.text(max_size=30),
    body=ITEM_TEXT,
    raw=st.binary(max_size=200),
)
def test_item_files_never_reach_an_internal_error(
    name: bytes, date: str, title: str, body: str, raw: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        content.mkdir()
        front = f"---\ndate: {date}\ntitle: {title!r}\n---\n"
        (content / "001_a.txt").write_text(
            front + TWO_ITEMS + body, encoding="utf-8", errors="surrogatepass"
        )
        with open(os.path.join(os.fsencode(content), b"002_" + name + b".txt"), "wb") as f:
            f.write(raw)
        with open(os.path.join(os.fsencode(content), name), "wb") as f:
            f.write(raw)
        code, _, err = run("build", "--content", content, "--output", Path(folder) / "site")
        assert_handled(code, err)


JINJA_PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{% if %}",
        "{% endif %}",
        "{{ no_such_name }}",
        "{{ site.title|no_such_filter }}",
        '{% include "missing.html" %}',
        '{% extends "base.html" %}',
        '{% extends "item.html" %}',
        "{{ page.context.items[0] }}",
        "{% for x in 1 %}{% endfor %}",
        "{{ 1 / 0 }}",
        "{{ site.title }}",
        "\udcff",
        "plain text",
    ]
)


@SETTINGS
@given(
    which=st.sampled_from(["item.html", "base.html", "_item.html", "rss.xml", "feeds.opml"]),
    pieces=st.lists(JINJA_PIECES, min_size=1, max_size=4),
    where=st.floats(min_value=0, max_value=1),
)
def test_template_overrides_never_reach_an_internal_error(
    which: str, pieces: list[str], where: float
) -> None:
    original = (TEMPLATES / which).read_text(encoding="utf-8")
    cut = int(len(original) * where)
    broken = original[:cut] + "".join(pieces) + original[cut:]
    with tempfile.TemporaryDirectory() as folder:
        root = project(
            Path(folder),
            {
                "site.yaml": "templates: mine\ncache: false\n",
                "content/001_a.txt": TWO_ITEMS,
                f"mine/{which}": broken.encode("utf-8", "surrogateescape"),
            },
        )
        code, _, err = run("build", "--config", root / "site.yaml")
        assert_handled(code, err)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_build_cache_never_reaches_an_internal_error(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = project(Path(folder), {"content/001_a.txt": TWO_ITEMS, "site.yaml": "title: T\n"})
        code, _, err = run("build", "--config", root / "site.yaml")
        assert code == 0, err
        cached = sorted(p for p in (root / ".digest-cache").rglob("*") if p.is_file())
        assert cached
        for path in data.draw(st.lists(st.sampled_from(cached), min_size=1, max_size=3)):
            old = path.read_bytes()
            how = data.draw(st.sampled_from(["truncate", "flip", "random"]))
            if how == "truncate":
                new = old[: data.draw(st.integers(0, max(0, len(old) - 1)))]
            elif how == "flip":
                at = data.draw(st.integers(0, max(0, len(old) - 1)))
                new = old[:at] + bytes([old[at] ^ 0xFF]) + old[at + 1 :] if old else b"x"
            else:
                new = data.draw(st.binary(max_size=300))
            path.write_bytes(new)
        (root / "content" / "001_a.txt").write_text(TWO_ITEMS + "\nA new item.\nAnalysis — New.\n")
        code, _, err = run("build", "--config", root / "site.yaml")
        assert_handled(code, err)
        assert code == 0, err
        # The damaged cache counted as absent: the site is what a clean build makes.
        shutil.rmtree(root / ".digest-cache")
        code, _, err = run("build", "--config", root / "site.yaml", "--output", root / "clean")
        assert code == 0, err
        assert tree(root / "site") == tree(root / "clean")
