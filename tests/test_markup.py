from __future__ import annotations

import markdown
from hypothesis import given
from hypothesis import strategies as st

from digest.markup import MARKDOWN_SYNTAX, to_html, to_plain


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
    if (
        not text
        or MARKDOWN_SYNTAX.search(text)
        or any(c in text for c in "\r\n\t#>-+=")
        or "  " in text
    ):
        return
    reference = markdown.markdown(text)
    if reference.startswith("<p>"):
        assert to_html(text) == reference
