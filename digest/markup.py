"""Item text -> safe HTML and plain text.

Item text is plain text in which inline Markdown (emphasis, `code`, [links](https://…))
is honoured. Raw HTML is not: a `<` is shown as typed. The HTML that Markdown makes
then goes through nh3, an allow-list sanitizer, so that no script, event handler or
`javascript:` URL can reach a page or a feed whatever the text holds.

The parser is markdown-it-py (CommonMark) with only its inline rules for emphasis,
code, links, escapes and entities switched on. Its inline rules are written to take
time linear in the text's length whatever it holds: Python-Markdown took 86 s on one
20 KB line of `[`, which an item file of any size must not be able to cost.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Inline rules only: block syntax makes no sense in a one-line paragraph and would
# surprise an editor ("1986. A year…" turned into a list); images, autolinks and raw
# HTML are not part of what item text may hold.
INLINE_RULES = ["newline", "escape", "backticks", "emphasis", "link", "entity"]
# Text without these characters comes out of Markdown merely escaped: skip the parser.
MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>\\!]|&#?\w+;")

_md = MarkdownIt("zero", {"html": False}).enable(INLINE_RULES)
# Every link target is let through here so that nh3 alone decides which schemes stay (a
# link to javascript: keeps its text and loses its target), as it does for all our HTML.
_md.validateLink = lambda url: True  # type: ignore[method-assign]


@lru_cache(maxsize=65536)
def to_html(text: str) -> str:
    """One paragraph of item text as sanitized HTML (`<p>…</p>`)."""
    if not MARKDOWN_SYNTAX.search(text):
        return f"<p>{html.escape(text, quote=False)}</p>"
    return _parsed(text)


def _parsed(text: str) -> str:
    cleaned = nh3.clean(
        _md.renderInline(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return f"<p>{cleaned}</p>"


@lru_cache(maxsize=65536)
def to_plain(text: str) -> str:
    """Item text without its Markdown, for titles, feed descriptions and meta tags."""
    if not MARKDOWN_SYNTAX.search(text):
        return text
    stripped = nh3.clean(to_html(text), tags=set())
    return " ".join(html.unescape(stripped).split())
