from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import markup
from digest.markup import ALLOWED_TAGS, MARKDOWN_SYNTAX, to_html, to_plain


def test_plain_text_is_escaped() -> None:
    assert to_html('R&D < 5% "quoted" it\'s') == '<p>R&amp;D &lt; 5% "quoted" it\'s</p>'


def test_inline_markdown_is_honoured() -> None:
    assert to_html("Mistral's *Le Chat* and `ml-intern`") == (
        "<p>Mistral's <em>Le Chat</em> and <code>ml-intern</code></p>"
    )
    assert to_html("[CNIL](https://cnil.fr/x)") == (
        '<p><a href="https://cnil.fr/x" rel="noopener noreferrer">CNIL</a></p>'
    )


def test_raw_html_is_shown_as_typed_never_run() -> None:
    html = to_html('<script>alert(1)</script> <img src=x onerror="alert(1)"> *x*')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dangerous_links_lose_their_target() -> None:
    html = to_html("[click](javascript:alert(1)) [data](data:text/html,<b>) [ok](http://a.b)")
    assert "javascript:" not in html and "data:" not in html
    assert 'href="http://a.b"' in html


def test_block_syntax_stays_text() -> None:
    for text in ("1986. A year of change.", "# Not a heading", "> not a quote", "- not a list"):
        assert to_html(text).startswith("<p>") and "<ol" not in to_html(text)


def test_plain_strips_markup() -> None:
    assert to_plain("Mistral's *Le Chat* [site](https://x.org) <b>") == "Mistral's Le Chat site <b>"


# Control characters never get here: the parser removes them.
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))).map(str.strip))
def test_fast_path_matches_markdown(text: str) -> None:
    if MARKDOWN_SYNTAX.search(text):
        return
    # nh3 writes a no-break space as &nbsp;, the fast path as the character: both the same.
    assert to_html(text) == markup._parsed(text).replace("&nbsp;", "\xa0")


def test_images_autolinks_and_code_keep_their_characters() -> None:
    # An image from elsewhere than the site's static folder is not shown: its alt text is.
    assert to_html("![alt](http://x/y.png)") == "<p>alt</p>"
    assert to_html("<https://x.org>") == "<p>&lt;https://x.org&gt;</p>"
    assert to_html("`a <b> & c`") == "<p><code>a &lt;b&gt; &amp; c</code></p>"
    assert to_plain("`a <b> & c`") == "a <b> & c"


# Each repeated many times, these made Python-Markdown quadratic or worse (a 20 KB line
# of `[` took 86 s); markdown-it's inline rules are linear.
PATHOLOGICAL = ["[", "![", "[[]", "[a](", "<", "*", "_", "`", "*a", "`a ``", "&#", "\\"]


@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_pathological_text_takes_linear_time(unit: str) -> None:
    text = (unit * 20_000)[:20_000]
    start = time.perf_counter()
    to_plain(text)
    # 0.2 s here on one core; Python-Markdown took more than 10 s for `[`, `![` and `[[]`.
    assert time.perf_counter() - start < 3


MARKDOWNISH = st.lists(
    st.sampled_from([*"*_`[]()<>!&#;\\\"' ax:/.", "http://", "javascript:", "&amp;", "&#1;"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(MARKDOWNISH | st.text(max_size=10), max_size=4).map("".join))
def test_any_text_gives_well_formed_html_of_allowed_tags(text: str) -> None:
    text = "".join(c for c in text if c.isprintable() or c == " ")
    rendered = to_html(text)
    tree = ET.fromstring(rendered.replace("<br>", "<br/>"))  # well-formed: nothing unclosed
    assert tree.tag == "p"
    for element in tree.iter():
        assert element.tag in ALLOWED_TAGS
        href = element.get("href")
        # A URL's scheme, as browsers read it (a letter, then letters, digits, + - .):
        # any other link is relative to the page (`:` alone is a path, not a scheme).
        scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", href or "")
        assert scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}, href
    assert "\n" not in to_plain(text) and "&amp;" not in to_plain(text.replace("&", "x"))


def test_an_image_shows_only_a_static_file_at_the_given_root() -> None:
    from digest.markup import to_html

    shown = to_html("a ![A *chart*](/images/café.png) b", frozenset({"images/café.png"}), "../")
    assert shown == '<p>a <img src="../images/caf%C3%A9.png" alt="A chart" loading="lazy"> b</p>'
    for src in ("images/none.png", "https://e.org/x.png", "../x.png", "javascript:alert(1)"):
        assert (
            to_html(f"a ![alt]({src}) b", frozenset({"images/café.png"}), "../") == "<p>a alt b</p>"
        )
