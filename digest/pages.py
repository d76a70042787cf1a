"""Standalone pages: pages/about.md -> about/, an About, a Subscribe, "mentions légales".

A page file is front matter (`title`, required; `nav: true` to link it from every page's
navigation; `description`, for meta tags) then CommonMark: headings, paragraphs, lists,
links, emphasis, images, block quotes, code. Raw HTML is off and the result goes through
nh3 with an allow-list, like item text; an image shows only a file of the static folder.
Pages are linked from the navigation in their files' names' order.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from slugify import slugify

from .markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    IMAGE_MARK,
    URL_SCHEMES,
    images_in,
    render_image,
)
from .model import Standalone
from .problems import Problem, display, error, warning
from .reading import NotRead, read_file
from .static import image_warnings
from .urls import RESERVED
from .yamlfile import load_mapping

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

FENCE = "---"
KEYS = ("title", "nav", "description")
BLOCK_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "hr",
}
TAGS = ALLOWED_TAGS | BLOCK_TAGS
ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "ol": {"start"}}
ROOT = "../"  # from a page's folder (about/) to the site's root


def _parser() -> MarkdownIt:
    # Imported here: a site without a pages folder does not pay for the parser at start-up.
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # nh3 decides
    md.add_render_rule("image", render_image)
    return md


def load_pages(
    folder: Path | None, static: Collection[str]
) -> tuple[list[Standalone], list[Problem]]:
    """Every page of `folder` (none when there is no such folder), in file-name order."""
    pages: list[Standalone] = []
    problems: list[Problem] = []
    if folder is None or not folder.is_dir():
        return pages, problems
    md = _parser()
    by_slug: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        shown = display(path)
        try:
            text = read_file(path, folder).decode("utf-8-sig")
        except FileNotFoundError:
            continue
        except NotRead as exc:
            problems.append(error(shown, None, f"not read: {exc}"))
            continue
        except UnicodeDecodeError as exc:
            problems.append(
                error(shown, None, f"not UTF-8 text (byte at {exc.start}); save it as UTF-8")
            )
            continue
        page = _page(path, shown, text, md, static, problems)
        if page is None:
            continue
        if page.slug in by_slug:
            problems.append(
                error(shown, None, f"page {page.slug}/ is made by {by_slug[page.slug]} too")
            )
            continue
        by_slug[page.slug] = shown
        pages.append(page)
    return pages, problems


def _page(
    path: Path,
    shown: str,
    text: str,
    md: MarkdownIt,
    static: Collection[str],
    problems: list[Problem],
) -> Standalone | None:
    slug = slugify(path.stem)
    if not slug:
        problems.append(
            error(shown, None, "the file's name makes no address: name it with letters or digits")
        )
        return None
    if slug in RESERVED:
        known = ", ".join(sorted(RESERVED))
        problems.append(
            error(
                shown,
                None,
                f"page {slug}/ would take the place of the site's own {slug}/; "
                f"rename the file (taken: {known})",
            )
        )
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        problems.append(error(shown, 1, "a page starts with front matter: '---', title: …, '---'"))
        return None
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == FENCE), None)
    if end is None:
        problems.append(
            error(shown, 1, "front matter opened with '---' is never closed by a '---' line")
        )
        return None
    entries, found = load_mapping(
        "\n".join(lines[1:end]), shown, 2, as_text=("title", "description")
    )
    problems += found
    if found:
        return None
    values: dict[str, object] = {}
    for key, entry in entries.items():
        if key not in KEYS:
            problems.append(
                warning(
                    shown,
                    entry.line,
                    f"unknown front-matter key '{key}' is ignored (known: {', '.join(KEYS)})",
                )
            )
            continue
        value = entry.value
        if key == "nav" and not isinstance(value, bool):
            problems.append(error(shown, entry.line, f"nav: expected true or false, got {value!r}"))
            return None
        if key != "nav" and (not isinstance(value, str) or "\n" in value.strip()):
            problems.append(error(shown, entry.line, f"{key}: expected one line of text"))
            return None
        values[key] = value.strip() if isinstance(value, str) else value
    title = values.get("title")
    if not title:
        problems.append(error(shown, 1, "a page needs a title in its front matter (title: …)"))
        return None
    body = "\n".join(lines[end + 1 :])
    env = {"images": frozenset(static)}
    tokens = md.parse(body, env)
    first = end + 2  # the body's first line in the file
    for image, offset in images_in(tokens):
        src, alt = str(image.attrs.get("src", "")), image.content.strip()
        block = next(t for t in tokens if t.children is not None and image in t.children)
        line = first + (block.map[0] if block.map else 0) + offset
        problems += image_warnings(shown, line, src, alt, static)
    rendered = md.renderer.render(tokens, md.options, env)
    import nh3  # here, with the parser (see _parser)

    cleaned = nh3.clean(
        rendered,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=lambda tag, attribute, value: value,
    )
    cleaned = cleaned.replace(IMAGE_MARK, '<img src="' + html.escape(ROOT))
    return Standalone(
        slug=slug,
        title=str(title),
        description=str(values.get("description") or ""),
        nav=bool(values.get("nav", False)),
        body=cleaned,
        source=shown,
    )
