"""Standalone pages: pages/about.md -> about/, in the navigation and the sitemap."""

from __future__ import annotations

from pathlib import Path

from conftest import TWO_ITEMS, config_for, sitemap_locs
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import pipeline
from digest.pages import load_pages


def _pages(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


ABOUT = "---\ntitle: About us\nnav: true\n---\n# Who\n\nWe *write*.\n\n- one\n- two\n"
LEGAL = "---\ntitle: Mentions légales\n---\nÉditeur : nous.\n"


def test_pages_are_built_linked_and_in_the_sitemap(tmp_path: Path, content) -> None:
    content({"000_week.txt": TWO_ITEMS})
    pages = _pages(tmp_path, {"about.md": ABOUT, "mentions-légales.md": LEGAL})
    result = pipeline.build(config_for(tmp_path, pages=pages))
    assert result.problems == []
    site = tmp_path / "site"
    about = (site / "about/index.html").read_text()
    assert "<h1>Who</h1>" in about and "<em>write</em>" in about and "<li>one</li>" in about
    legal = (site / "mentions-legales/index.html").read_text()
    assert "Mentions légales" in legal
    home = (site / "index.html").read_text()
    assert '<a href="about/">About us</a>' in home and "mentions-legales/" not in home
    item_page = next(site.glob("items/*/index.html")).read_text()
    assert '<a href="../../about/">About us</a>' in item_page
    sitemap = sitemap_locs(site, "https://example.org/digest/")
    assert "https://example.org/digest/about/" in sitemap
    assert "https://example.org/digest/mentions-legales/" in sitemap
    # Turning nav off changes every page (incremental equals clean).
    (pages / "about.md").write_text(ABOUT.replace("nav: true", "nav: false"))
    pipeline.build(config_for(tmp_path, pages=pages))
    assert "About us" not in (site / "index.html").read_text()


def test_page_errors(tmp_path: Path) -> None:
    folder = _pages(
        tmp_path,
        {
            "items.md": "---\ntitle: X\n---\n",
            "notitle.md": "---\nnav: true\n---\nhi\n",
            "bad.md": "no front matter\n",
            "img.md": "---\ntitle: I\n---\npara\n\ntext\n![](/pic.png) and ![x](http://e.org/a.png)\n",
            "raw.md": "---\ntitle: R\n---\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n",
        },
    )
    pages, problems = load_pages(folder, {"pic.png"})
    messages = [str(p) for p in problems]
    assert any(
        m.endswith(
            "items.md: error: page items/ would take the place of the site's own "
            "items/; rename the file (taken: archive, editions, feeds, items, "
            "search, topics)"
        )
        for m in messages
    )
    assert any(
        m.endswith("notitle.md:1: error: a page needs a title in its front matter (title: …)")
        for m in messages
    )
    assert any(
        m.endswith("bad.md:1: error: a page starts with front matter: '---', title: …, '---'")
        for m in messages
    )
    assert any(
        m.endswith(
            "img.md:7: warning: image '/pic.png' has no alt text: say what it "
            "shows, ![a chart of …](/pic.png)"
        )
        for m in messages
    )
    assert any("img.md:7: warning: image 'http://e.org/a.png' is not shown" in m for m in messages)
    by_slug = {p.slug: p for p in pages}
    assert '<img src="../pic.png" alt="" loading="lazy">' in by_slug["img"].body
    assert "e.org" not in by_slug["img"].body
    assert "<script" not in by_slug["raw"].body and "javascript" not in by_slug["raw"].body


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_body_is_safe(body: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "p.md").write_text(
            "---\ntitle: T\n---\n" + body, encoding="utf-8", errors="surrogatepass"
        )
        pages, _ = load_pages(root, {"a.png"})
        for page in pages:
            lowered = page.body.lower()
            assert "<script" not in lowered and "javascript:" not in lowered
