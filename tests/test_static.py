"""The static folder: copied as it is, incrementally, never over a generated file."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from conftest import TWO_ITEMS, config_for, tree
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import pipeline
from digest.assemble import locale
from digest.config import parse_config
from digest.model import EditionFile, RawItem
from digest.static import clashes, image_problems


def _site(tmp_path: Path, content, files: dict[str, bytes], **settings: object) -> Path:
    content({"000_week.txt": TWO_ITEMS})
    static = tmp_path / "static"
    for name, data in files.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_bytes(data)
    static.mkdir(exist_ok=True)
    return static


def test_static_files_are_copied_and_removed(tmp_path: Path, content) -> None:
    files = {"images/chart.png": b"\x89PNG", "CNAME": b"example.org\n", ".well-known/x": b"k"}
    static = _site(tmp_path, content, files)
    config = config_for(tmp_path, static=static)
    result = pipeline.build(config)
    assert result.problems == []
    out = tree(tmp_path / "site")
    assert {k: out[k] for k in files} == files
    (static / "CNAME").unlink()
    (static / "images/chart.png").write_bytes(b"\x89PNG2")
    again = pipeline.build(config)
    assert again.problems == []
    out = tree(tmp_path / "site")
    assert "CNAME" not in out and out["images/chart.png"] == b"\x89PNG2"
    # Incremental equals clean.
    os.rename(tmp_path / "site", tmp_path / "old")
    pipeline.build(config_for(tmp_path, static=static, cache=None))
    assert tree(tmp_path / "site") == {k: v for k, v in tree(tmp_path / "old").items()}


def test_a_static_file_over_a_generated_one_is_an_error(tmp_path: Path, content) -> None:
    static = _site(tmp_path, content, {"index.html": b"x", "items": b"y", "feed.xml/a": b"z"})
    result = pipeline.build(config_for(tmp_path, static=static))
    assert not result.written
    messages = sorted(str(p) for p in result.problems)
    assert len(messages) == 3
    assert any("index.html: error: the build makes index.html itself" in m for m in messages)
    assert any("items: error: the build makes pages under items/" in m for m in messages)
    assert any("feed.xml/a: error: the build makes feed.xml as a file" in m for m in messages)


def _clash_of(path: str, generated: set[str]) -> str | None:
    """What clashes() says of one static path, worked out the long way."""
    if path in generated:
        return f"the build makes {path} itself: rename or remove this file"
    if any(made.startswith(path + "/") for made in generated):
        return f"the build makes pages under {path}/: rename this file"
    parts = path.split("/")
    for end in range(1, len(parts)):
        if "/".join(parts[:end]) in generated:
            return f"the build makes {'/'.join(parts[:end])} as a file: rename its folder"
    return None


_paths = st.lists(
    st.sampled_from(["a", "b", "items", "x.png", "index.html"]), min_size=1, max_size=4
)


@settings(max_examples=200, deadline=None)
@given(
    static=st.sets(_paths.map("/".join), max_size=8),
    generated=st.sets(_paths.map("/".join), max_size=20),
)
def test_clashes_are_every_static_path_over_or_under_an_output(
    static: set[str], generated: set[str]
) -> None:
    expected = [
        f"{path}: error: {clash}"
        for path in sorted(static)
        if (clash := _clash_of(path, generated)) is not None
    ]
    assert [str(p) for p in clashes(static, generated, None)] == expected


def test_links_out_and_fifos_are_not_copied(tmp_path: Path, content) -> None:
    static = _site(tmp_path, content, {"ok.txt": b"ok"})
    secret = tmp_path / "secret"
    secret.write_text("s")
    (static / "leak.txt").symlink_to(secret)
    os.mkfifo(static / "pipe")
    result = pipeline.build(config_for(tmp_path, static=static))
    assert result.written
    out = tree(tmp_path / "site")
    assert out["ok.txt"] == b"ok" and "leak.txt" not in out and "pipe" not in out
    text = "\n".join(str(p) for p in result.problems)
    assert "leak.txt: warning: not copied: a symbolic link to" in text
    assert "pipe: warning: not copied: a named pipe (FIFO), not a regular file" in text


def test_feed_icon_that_nothing_provides_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "there.png").write_bytes(b"x")
    text = "title: T\nfeed_icon: icon.png\nshare_image: there.png\n"
    config, problems = parse_config(text, "site.yaml", tmp_path)
    assert [str(p) for p in problems] == [
        f"site.yaml:2: warning: feed_icon: no icon.png in the static folder "
        f"({tmp_path / 'static'}) nor among the files the build makes: the link will lead nowhere"
    ] or (len(problems) == 1 and "site.yaml:2: warning: feed_icon: no icon.png" in str(problems[0]))
    assert config.static == tmp_path / "static" and config.pages == tmp_path / "pages"
    _, fine = parse_config("feed_icon: favicon.svg\n", "site.yaml", tmp_path)
    assert fine == []


def test_share_image_and_locale(tmp_path: Path, content) -> None:
    static = _site(tmp_path, content, {"share.png": b"x"})
    pipeline.build(config_for(tmp_path, static=static, share_image="share.png", language="fr"))
    home = (tmp_path / "site" / "index.html").read_text()
    assert '<meta property="og:image" content="https://example.org/digest/share.png">' in home
    assert '<meta property="og:locale" content="fr_FR">' in home
    assert locale("en") == "en_US" and locale("fr-CA") == "fr_CA" and locale("xx") is None


def test_item_image_shown_relative_and_absolute_in_feeds(tmp_path: Path, content) -> None:
    static = tmp_path / "static"
    (static / "images").mkdir(parents=True)
    (static / "images" / "chart.png").write_bytes(b"png")
    content(
        {
            "000_week.txt": "Prices rose ![a chart of prices](images/chart.png) sharply.\n\n"
            "Rents fell ![](images/chart.png) and ![gone](images/none.png) too.\n"
        }
    )
    result = pipeline.build(config_for(tmp_path, static=static))
    messages = [str(p) for p in result.problems]
    assert any(
        m.endswith(
            ":3: warning: image 'images/chart.png' has no alt text: say what it "
            "shows, ![a chart of …](images/chart.png)"
        )
        for m in messages
    )
    assert any(
        m.endswith(
            ":3: warning: image 'images/none.png' is not shown: no images/none.png "
            "in the static folder"
        )
        for m in messages
    )
    site = tmp_path / "site"
    edition = (site / "editions/0/index.html").read_text()
    assert '<img src="../../images/chart.png" alt="a chart of prices" loading="lazy">' in edition
    assert "images/none.png" not in edition and "gone" in edition
    feed = (site / "feed.xml").read_text()
    assert "https://example.org/digest/images/chart.png" in feed


def test_image_problems_are_found_in_summaries_and_analyses_at_their_lines() -> None:
    raw = (
        RawItem("News! Nor [a link](x) nor an image.", "Wow!", 1, 2),
        RawItem("A ![](images/a.png) chart.", "And\n![b](images/gone.png) this!", 3, 5),
        RawItem("Plain.", "Analysis: ![](images/a.png)", 8),  # no analysis line: the item's
        RawItem("![](images/a.png)", None, 9),
    )
    edition = EditionFile(0, "0.txt", "c/0.txt", None, datetime(2026, 1, 1, tzinfo=UTC), raw)
    found = [(p.file, p.line, p.message[:22]) for p in image_problems([edition], {"images/a.png"})]
    assert found == [
        ("c/0.txt", 3, "image 'images/a.png' h"),
        ("c/0.txt", 6, "image 'images/gone.png"),
        ("c/0.txt", 8, "image 'images/a.png' h"),
        ("c/0.txt", 9, "image 'images/a.png' h"),
    ]
