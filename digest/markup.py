"""Item text -> safe HTML and plain text.

Item text is plain text in which inline Markdown (emphasis, `code`, [links](https://…))
is honoured. Raw HTML is not: a `<` is shown as typed. The HTML that Markdown makes
then goes through nh3, an allow-list sanitizer, so that no script, event handler or
`javascript:` URL can reach a page or a feed whatever the text holds.

An image (`![alt](images/chart.png)`) shows only a file of the site's own static folder:
its path is taken from the site's root (a leading `/` means the site's root too, not the
host's), and whatever else an image names (another site, a file that is not there) is
dropped, its alt text kept. The caller says which files there are and what leads from the
page to the site's root (`root`: "../" on a page, the base URL in a feed or an email).

The parser is markdown-it-py (CommonMark) with only its inline rules for emphasis,
code, links, images, escapes and entities switched on. Its inline rules are written to take
time linear in the text's length whatever it holds: Python-Markdown took 86 s on one
20 KB line of `[`, which an item file of any size must not be able to cost.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "br", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "loading"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Inline rules only: block syntax makes no sense in a one-line paragraph and would
# surprise an editor ("1986. A year…" turned into a list); autolinks and raw HTML are not
# part of what item text may hold.
INLINE_RULES = ["newline", "escape", "backticks", "emphasis", "link", "image", "entity"]
# What an image's src becomes before the page's way to the site root is put in front.
# (nh3 lets no NUL through; a static path never holds ':'.)
ROOT_MARK = "::root::"
IMAGE_MARK = '<img src="' + ROOT_MARK
# Text without these characters comes out of Markdown merely escaped: skip the parser.
MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>\\!]|&#?\w+;")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Made, and markdown-it imported, on first use: most item text holds no Markdown and
    # goes around the parser, so a build of such text pays nothing for it at start-up.
    from markdown_it import MarkdownIt

    md = MarkdownIt("zero", {"html": False}).enable(INLINE_RULES)
    # Every link target is let through here so that nh3 alone decides which schemes stay (a
    # link to javascript: keeps its text and loses its target), as it does for all our HTML.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.add_render_rule("image", render_image)
    return md


def static_path(src: str) -> str | None:
    """The file of the static folder that an image's src names (relative to the site's
    root, '/' being that root), or None for what is not such a path (a URL, '..')."""
    path = unquote(src.removeprefix("/"))
    if not path or "://" in src or src.startswith("//") or any(c in src for c in "?#\\:"):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return path


def images_in(tokens: list[Token]) -> Iterator[tuple[Token, int]]:
    """Every image among `tokens` (a parse's), with how many line breaks come before it
    in its inline run (its line is its block's first line plus that)."""
    for token in tokens:
        breaks = 0
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type == "image":
                yield child, breaks
            elif child.type == "text":
                breaks += child.content.count("\n")


def item_images(text: str) -> list[tuple[str, str, int]]:
    """The images of one paragraph of item text: (src as written, alt text, line offset)."""
    if "![" not in text:
        return []
    return [
        (str(image.attrs.get("src", "")), image.content.strip(), offset)
        for image, offset in images_in(_parser().parseInline(text))
    ]


def render_image(
    renderer: object, tokens: list[Token], idx: int, options: object, env: dict[str, object]
) -> str:
    """An image as <img>, when its file is one of env["images"]; else its alt text."""
    token = tokens[idx]
    alt = html.escape(renderer.renderInlineAsText(token.children or [], options, env))  # type: ignore[attr-defined]
    path = static_path(str(token.attrs.get("src", "")))
    images = env.get("images", frozenset())
    if path is None or path not in images:  # type: ignore[operator]
        return alt
    src = ROOT_MARK + html.escape(quote(path))
    return f'<img src="{src}" alt="{alt}" loading="lazy">'


def to_html(text: str, images: frozenset[str] = frozenset(), root: str = "") -> str:
    """One paragraph of item text as sanitized HTML (`<p>…</p>`); an image shows when its
    file is one of `images`, at `root` + its path."""
    found = _to_html(text, images if "![" in text else frozenset())
    if IMAGE_MARK not in found:
        return found
    return found.replace(IMAGE_MARK, '<img src="' + html.escape(root))


def _to_html(text: str, images: frozenset[str]) -> str:
    # Plain text is escaped afresh each time (cheap); only parsed Markdown is remembered:
    # a cache of every text's HTML held tens of MB at the end of a large build.
    if not MARKDOWN_SYNTAX.search(text):
        return f"<p>{html.escape(text, quote=False)}</p>"
    return _parsed(text, images)


@lru_cache(maxsize=16384)
def _parsed(text: str, images: frozenset[str] = frozenset()) -> str:
    import nh3  # here, with the parser: text without Markdown is escaped without either

    cleaned = nh3.clean(
        _parser().renderInline(text, {"images": images}),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_keep_mark,
    )
    return f"<p>{cleaned}</p>"


def _keep_mark(tag: str, attribute: str, value: str) -> str | None:
    # nh3 would take the mark's NUL bytes for a broken URL: the mark was put there by
    # render_image, on a path of the static folder, which is what lets it through.
    return value


def to_plain(text: str) -> str:
    """Item text without its Markdown, for titles, feed descriptions and meta tags."""
    if not MARKDOWN_SYNTAX.search(text):
        return text
    return _stripped(text)


@lru_cache(maxsize=16384)
def _stripped(text: str) -> str:
    import nh3  # here: see _parsed

    stripped = nh3.clean(to_html(text), tags=set())
    return " ".join(html.unescape(stripped).split())
