"""Item text -> safe HTML and plain text.

Item text is plain text in which inline Markdown (emphasis, `code`, [links](https://…))
is honoured. Raw HTML is not: a `<` is shown as typed. The HTML that Markdown makes
then goes through nh3, an allow-list sanitizer, so that no script, event handler or
`javascript:` URL can reach a page or a feed whatever the text holds.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import markdown
import nh3

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Block syntax makes no sense in a one-line paragraph and would surprise an editor
# ("1986. A year…" turned into a list), so only inline Markdown is kept.
BLOCK_PROCESSORS = ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote")
# Text without these characters comes out of Markdown merely escaped: skip the parser.
MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>\\!]|&#?\w+;")

_md = markdown.Markdown(output_format="html")
for _name in BLOCK_PROCESSORS:
    _md.parser.blockprocessors.deregister(_name)


@lru_cache(maxsize=65536)
def to_html(text: str) -> str:
    """One paragraph of item text as sanitized HTML (`<p>…</p>`)."""
    if not MARKDOWN_SYNTAX.search(text):
        return f"<p>{html.escape(text, quote=False)}</p>"
    rendered = _md.reset().convert(text.replace("<", "&lt;"))
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=65536)
def to_plain(text: str) -> str:
    """Item text without its Markdown, for titles, feed descriptions and meta tags."""
    if not MARKDOWN_SYNTAX.search(text):
        return text
    stripped = nh3.clean(to_html(text), tags=set())
    return " ".join(html.unescape(stripped).split())
