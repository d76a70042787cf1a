"""What a page is made of, as a digest: equal digests mean equal pages.

A page's bytes depend only on its template (and the templates it includes or extends),
the values in its context, the site-wide values the templates read, and the code that
renders them. The fingerprint of a page covers all of these, so a build can skip
rendering a page whose fingerprint is the one the previous build recorded for it.

Templates get the whole `site`; the built-in ones read only a few of its plain values,
and those are in every fingerprint. A template that reads anything else of `site` (its
lists of items or pages, say) could depend on any item, so `reads_only_site_values`
tells the caller to render every page then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError, nodes

from .model import Item, Page, Site

# The parts of `site` that fingerprints cover: values set by site.yaml and the taxonomy.
SITE_VALUES = (
    "title",
    "description",
    "base_url",
    "language",
    "topic_names",
    "feed_size",
    "author",
    "icon",
    "search",
    "signup",
    "nav",
    "share_image",
    "locale",
    "static",
)
COPIED = (".css", ".js", ".svg")  # static files among the templates: copied, never rendered
PLAIN = frozenset({str, int, float, bool, type(None), datetime})
# The libraries whose output ends up in the site: a new version may change a page.
LIBRARIES = (
    "babel",  # its CLDR data spells the dates and numbers
    "jinja2",
    "markupsafe",
    "markdown-it-py",
    "nh3",
    "python-slugify",
    "snowballstemmer",
    "PyStemmer",
    "pyyaml",
)


@lru_cache(maxsize=1)  # digest's code does not change while it runs; the cache asks too
def code_version() -> str:
    """A digest of digest's own code and of the libraries that shape its output."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    # The interface's compiled catalogs: a changed message changes the pages.
    for catalog in sorted(package.glob("locale/*/LC_MESSAGES/*.mo")):
        name = catalog.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + catalog.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=;".encode())
    return digest.hexdigest()


def templates_digest(env: Environment) -> str:
    """Every file in the template folders, in the order they are searched, by name and bytes
    (read as bytes: an override folder may hold images too)."""
    digest = hashlib.sha256()
    for rank, folder in enumerate(getattr(env.loader, "searchpath", ())):
        root = Path(folder)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            try:
                data = path.read_bytes()
            except OSError as exc:  # render reports a template it cannot read
                data = f"unreadable: {exc}".encode()
            digest.update(f"{rank}\0{name}\0".encode() + data + b"\0")
    return digest.hexdigest()


def reads_only_site_values(env: Environment) -> bool:
    """Whether every template uses `site` only as `site.NAME` for a NAME in SITE_VALUES."""
    for name in env.list_templates(filter_func=lambda name: not name.endswith(COPIED)):
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            tree = env.parse(source)
        except (UnicodeDecodeError, TemplateSyntaxError, RecursionError, OSError):
            continue  # not a template (an image, say), or one that render reports
        uses = [n for n in tree.find_all(nodes.Name) if n.name == "site"]
        plain = [
            n
            for n in tree.find_all(nodes.Getattr)
            if isinstance(n.node, nodes.Name) and n.node.name == "site" and n.attr in SITE_VALUES
        ]
        if len(uses) != len(plain):
            return False
    return True


class Fingerprints:
    """Fingerprints of the pages of one build; `environment` is everything the pages share."""

    def __init__(self, site: Site, *environment: str) -> None:
        # By id(): each value is kept here too, so that its id cannot be reused meanwhile.
        self._memo: dict[int, tuple[object, str]] = {}
        shared = hashlib.sha256()
        for part in environment:
            shared.update(part.encode() + b"\0")
        for name in SITE_VALUES:
            shared.update(self.value(getattr(site, name)).encode() + b"\0")
        self._shared = shared.digest()

    def page(self, page: Page) -> str:
        context = page.context
        value, memo = self.value, self._memo
        parts = [page.path, page.template, page.title, repr(page.updated), repr(page.in_sitemap)]
        for name in sorted(context):
            parts.append(name)
            # value()'s first steps, inline: a site has ten pages for each item, each with
            # a dozen values, most of them plain or digested already.
            given = context[name]
            if type(given) in PLAIN:
                parts.append(repr(given))
            else:
                known = memo.get(id(given))
                parts.append(known[1] if known is not None else value(given))
        digest = hashlib.sha256(self._shared)
        digest.update("\0".join(parts).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def value(self, value: object) -> str:
        """A text that differs whenever `value` would render differently."""
        kind = type(value)
        if kind in PLAIN:
            return repr(value)
        # Items, editions and topics appear on many pages: each is digested once a build.
        known = self._memo.get(id(value))
        if known is not None:
            return known[1]
        if kind is tuple or kind is list:
            return "[" + ",".join([self.value(v) for v in value]) + "]"  # type: ignore[attr-defined]
        if kind is frozenset:
            return self.value(sorted(value))  # type: ignore[call-overload]
        if kind is dict:
            pairs = sorted(value.items())  # type: ignore[attr-defined]
            return "{" + ",".join([f"{k!r}:{self.value(v)}" for k, v in pairs]) + "}"
        if kind is Item:
            text = _item_text(value)  # type: ignore[arg-type]
        elif dataclasses.is_dataclass(value):
            text = kind.__name__ + self.value(_fields(value))
        else:
            raise TypeError(f"cannot fingerprint a {kind.__name__}")
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        self._memo[id(value)] = (value, digest)
        return digest


# Every field of Item, Source and Evidence, in _item_text; a test holds these to the model.
ITEM_FIELDS = (
    "id",
    "title",
    "slug",
    "summary",
    "analysis",
    "date",
    "edition",
    "position",
    "source",
    "topics",
    "evidence",
    "duplicate_of",
    "editor_headline",
    "distinct",
)
SOURCE_FIELDS = ("file", "line")
EVIDENCE_FIELDS = ("topic", "score", "summary", "analysis", "against")


def _item_text(item: Item) -> str:
    """A text that differs whenever `item` differs: its repr at half the cost (every item is
    digested once a build; the texts by a digest, the evidence without dataclass reprs)."""
    summary = item.summary.encode("utf-8", "surrogatepass")
    # The summary's length first: no summary and analysis run into another pair's.
    texts = hashlib.blake2b(b"%d\0" % len(summary), digest_size=16)
    texts.update(summary)
    if item.analysis is not None:
        texts.update(b"\0" + item.analysis.encode("utf-8", "surrogatepass"))
    evidence = [(e.topic, e.score, e.summary, e.analysis, e.against) for e in item.evidence]
    return repr(
        (
            texts.hexdigest(),
            item.id,
            item.title,
            item.slug,
            item.date,
            item.edition,
            item.position,
            item.source.file,
            item.source.line,
            item.topics,
            evidence,
            item.duplicate_of,
            item.editor_headline,
            item.distinct,
        )
    )


def _fields(value: object) -> dict[str, object]:
    names: Iterable[str] = (f.name for f in dataclasses.fields(value))  # type: ignore[arg-type]
    return {name: getattr(value, name) for name in names}
