"""The sample site builds to exactly the checked-in golden build, tests/golden/sample/.

A change meant to change the output regenerates it (`python3 -m tests.golden --update`,
see tests/golden.py) and shows the change in its diff; any other change to the output
fails here, with the first difference shown."""

from __future__ import annotations

from pathlib import Path

import golden


def test_the_sample_builds_to_the_golden_build_in_any_setting(tmp_path: Path) -> None:
    assert golden.GOLDEN.is_dir(), "no golden build: run python3 -m tests.golden --update"
    expected = golden.tree(golden.GOLDEN)
    assert "index.html" in expected and "feed.xml" in expected
    # Another time zone, locale, hash seed and folder, and a second build with the cache
    # and the previous site: none may change a byte.
    first = golden.tree(golden.build(tmp_path / "a", golden.SETTINGS[0]))
    second = golden.tree(golden.build(tmp_path / "b" / "deeper", golden.SETTINGS[1], times=2))
    found = golden.difference(expected, first)
    assert not found, (
        "the sample's build differs from tests/golden/sample/ (if that is meant, run "
        "python3 -m tests.golden --update and commit the diff):\n" + found
    )
    assert not golden.difference(first, second), golden.difference(first, second)


def test_a_difference_is_shown_as_paths_and_a_readable_diff() -> None:
    expected = {"a.html": b"<p>one</p>\n" * 3, "b.json": b'{"x":1,"y":2}', "gone.txt": b"x"}
    actual = {"a.html": b"<p>one</p>\n<p>two</p>\n<p>one</p>\n", "b.json": b'{"x":1,"y":3}'}
    actual["new.txt"] = b"y"
    shown = golden.difference(expected, actual)
    assert "missing from the build (1): gone.txt" in shown
    assert "not in the golden build (1): new.txt" in shown
    assert "different (2): a.html, b.json" in shown
    assert "+<p>two</p>\n <p>one</p>\n-<p>one</p>" in shown  # the first differing file's diff
    assert '"y":3' not in shown  # only the first
    assert golden.difference(expected, expected) == ""
    long = {"a.html": "".join(f"{n}\n" for n in range(500)).encode()}
    shown = golden.difference(long, {"a.html": b""})
    assert len(shown.splitlines()) < 100 and "more lines of diff" in shown
