"""YAML is a boundary: whatever the text, a Problem at a line inside it, never an exception."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config import parse_config
from digest.problems import Problem
from digest.taxonomy import parse_taxonomy
from digest.yamlfile import MAX_DEPTH, NO_ANCHORS, load_mapping, shorten

# The pieces YAML-ish text is made of, the hostile ones included: anchors and aliases,
# tags that construct objects, impossible dates, endless numbers, deep brackets,
# characters YAML's reader rejects and escapes that produce them anyway.
NAMES = st.sampled_from(["title", "base_url", "topics", "terms", "a", "b", "x y", "001_x.txt"])
ODD_SCALARS = [
    "1.10", "0x1F", "-0", "1e400", ".inf", "true", "no", "~", "null", "''", '""',
    "2026-02-30", "2026-11-26", "2026-01-01 25:00:00", "2026-01-01T10:00:00+24:00",
    "2026-01-01T10:61:00-99:00", "0001-01-01T00:00:00+05:00", "9999-12-31",
    '"\\x01\\0\\uFFFE\\ud800"', "'it''s'", '"\\"q\\""', "|\n  block\n  text",
    ">\n  folded", "https://example.org/\nDisallow: /", "[1, 2", "{a: 1",
    "- a\n- b", "a: b: c", "\t", "%TAG ! tag:x,1:", "@", "`", "? k\n: v",
]  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(ODD_SCALARS),
    st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n),
    st.integers(min_value=1, max_value=60).map(lambda n: "[" * n + "]" * (n % 3)),
    st.integers(min_value=1, max_value=40).map(lambda n: "{a: " * n),
    st.text(max_size=12),
)
DECORATIONS = st.sampled_from(
    [
        "", "&a ", "*a", "&b ", "*b ", "!!python/object:os.system ", "!!python/name:os.system ",
        "!!int ", "!!float ", "!!timestamp ", "!!binary ", "!!set ", "!!omap ", "!!map ",
        "!!str ", "!local ", "!<tag:x,1:y> ", "!!bool ", "<< : ",
    ]
)  # fmt: skip
ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufeff", "\ufffe", "\uffff", "\u2028", "\ud800", "\r"]
)


@st.composite
def yaml_ish(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        indent = "  " * draw(st.integers(0, 3))
        key = draw(NAMES)
        value = draw(DECORATIONS) + draw(SCALARS)
        lines.append(draw(st.sampled_from([f"{indent}{key}: {value}", f"{indent}- {value}"])))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n---\n", "\n...\n"]))
    for _ in range(draw(st.integers(0, 2))):  # a character dropped in anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(ODD_CHARACTERS) + text[at:]
    return text


def last_line(text: str, first_line: int = 1) -> int:
    from digest.parse import split_lines  # digest's own line counting

    return first_line + max(len(split_lines(text)), 1) - 1


def assert_well_placed(problems: list[Problem], text: str, first_line: int = 1) -> None:
    for problem in problems:
        assert problem.line is not None and first_line <= problem.line <= last_line(
            text, first_line
        )
        assert "\n" not in problem.message and len(problem.message) < 400


@settings(max_examples=300, deadline=None)
@given(yaml_ish(), st.booleans(), st.integers(1, 5))
def test_any_text_gives_entries_or_problems_at_lines_inside_it(
    text: str, nested: bool, first_line: int
) -> None:
    entries, problems = load_mapping(text, "f.yaml", first_line=first_line, nested=nested)
    assert_well_placed(problems, text, first_line)
    for entry in entries.values():
        assert first_line <= entry.line <= last_line(text, first_line)


@settings(max_examples=200, deadline=None)
@given(yaml_ish())
def test_site_yaml_and_topics_yaml_never_raise(tmp_path_factory, text: str) -> None:
    folder: Path = tmp_path_factory.mktemp("site")
    _, problems = parse_config(text, "site.yaml", folder)
    assert_well_placed(problems, text)
    _, problems = parse_taxonomy(text, "topics.yaml")
    assert_well_placed(problems, text)


def bomb(levels: int) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefghijk", "bcdefghijkl"[: levels - 1], strict=False):
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    return text


def nested_bomb(levels: int) -> str:
    # In topics.yaml mappings are read down to every level: the aliases are mappings.
    text = "topics: {}\nsettings:\n  a: &a {x: 1, y: 1, z: 1, w: 1}\n"
    for previous, name in zip("abcdefghijk", "bcdefghijkl"[: levels - 1], strict=False):
        pairs = ", ".join(f"{key}: *{previous}" for key in "xyzwv")
        text += f"  {name}: &{name} {{{pairs}}}\n"
    return text


@pytest.mark.parametrize("text", [bomb(10), nested_bomb(10)], ids=["lists", "mappings"])
def test_an_alias_bomb_is_refused_at_once_with_short_messages(text: str) -> None:
    started = time.perf_counter()
    _, problems = load_mapping(text, "f.yaml", nested=True)
    _, config_problems = parse_config(text, "site.yaml", Path("."))
    _, topic_problems = parse_taxonomy(text, "topics.yaml")
    assert time.perf_counter() - started < 0.5
    for found in (problems, config_problems, topic_problems):
        assert found and all(p.message == NO_ANCHORS for p in found)
    written = [n for n, line in enumerate(text.splitlines(), 1) if "&" in line or "*" in line]
    assert [p.line for p in problems] == written


def test_anchors_and_aliases_are_refused_at_their_lines_before_any_value() -> None:
    text = "a: 1\nb: &x [1, 2]\nc: 3\nd: *x\n"
    entries, problems = load_mapping(text, "f.yaml")
    assert entries == {}
    assert [str(p) for p in problems] == [
        f"f.yaml:2: error: {NO_ANCHORS}",
        f"f.yaml:4: error: {NO_ANCHORS}",
    ]


def test_nesting_is_bounded_before_it_is_built() -> None:
    deep = "x: " + "[" * 100_000 + "\n"
    _, problems = load_mapping(deep, "f.yaml")
    assert [str(p) for p in problems] == [
        f"f.yaml:1: error: nested more than {MAX_DEPTH} levels deep"
    ]
    fine = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"  # the mapping is one
    assert load_mapping(fine, "f.yaml")[1] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nd: 2026-02-30\n", "2: error: cannot read '2026-02-30' as a date: day is out of range for month"),
        ("d: 2026-01-01 25:00:00\n", "1: error: cannot read '2026-01-01 25:00:00' as a date: hour must be in 0..23"),
        ("d: 2026-01-01T10:00:00+24:00\n", "1: error: cannot read '2026-01-01T10:00:00+24:00' as a date: an offset from UTC must be less than 24 hours"),
        ("n: " + "1" * 5000 + "\n", "1: error: cannot read '" + "1" * 58 + "… as a whole number: more than 4300 digits"),
        ("t: a\x07b\n", "1: error: not valid YAML: unacceptable character #x0007: special characters are not allowed"),
        ("a: 1\nt: \ud800\n", "2: error: not valid YAML: unacceptable character #xd800: special characters are not allowed"),
        ("a: 1\nx: !!python/object:os.system ls\n", "2: error: not valid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system'"),
        ("a: 1\nb: !!timestamp soon\n", "2: error: cannot read 'soon' as a date"),
        ("a: 'x\n", "1: error: not valid YAML: found unexpected end of stream"),
        ("a: 1\n---\nb: 2\n", "2: error: expected one YAML document, found a second ('---')"),
    ],
    ids=lambda value: value[:24],
)  # fmt: skip
def test_what_yaml_rejects_is_a_problem_at_its_line(text: str, message: str) -> None:
    _, problems = load_mapping(text, "f.yaml")
    assert [str(p) for p in problems] == [f"f.yaml:{message}"]


def test_a_bad_value_does_not_hide_the_others() -> None:
    entries, problems = load_mapping("a: 2026-02-30\nb: 2026-02-28\n", "f.yaml")
    assert [p.line for p in problems] == [1]
    assert entries["b"].value == date(2026, 2, 28)


def test_lines_are_counted_as_digest_counts_them() -> None:
    # YAML also breaks lines at U+2028 and U+0085; editors and digest do not.
    entries, problems = load_mapping("a: x\u2028y\nb: [\n", "f.yaml", first_line=3)
    assert entries == {} and [p.line for p in problems] == [4]


def test_raw_keeps_a_scalar_as_written() -> None:
    entries, _ = load_mapping('a: 1.10\nb: "2026-11-26"\nc: 2026-11-26\nd: [1]\ne: x\n  y\n', "f")
    assert [(k, e.raw) for k, e in entries.items()] == [
        ("a", "1.10"), ("b", "2026-11-26"), ("c", "2026-11-26"), ("d", None), ("e", "x y"),
]  # fmt: skip
    assert entries["a"].value == 1.1


def test_as_text_keeps_a_value_from_being_typed() -> None:
    entries, problems = load_mapping("title: 2026-02-30\nn: 1.10\n", "f", as_text={"title"})
    assert problems == [] and entries["title"].value == "2026-02-30" and entries["n"].value == 1.1


def test_shorten_cuts_long_values() -> None:
    assert shorten("x") == "'x'"
    assert len(shorten(list(range(10_000)))) == 60


def test_the_shipped_yaml_uses_no_anchors() -> None:
    for path in (
        ROOT / "site.yaml",
        ROOT / "content" / "topics.yaml",
        ROOT / "content" / "dates.yaml",
    ):
        _, problems = load_mapping(path.read_text(encoding="utf-8"), str(path), nested=True)
        assert problems == []
