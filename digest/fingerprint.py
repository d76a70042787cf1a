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
import marshal
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
# The context of an item's page (assemble._item_page), which page() knows by heart.
ITEM_PAGE_KEYS = frozenset(
    {
        "root",
        "folder",
        "item",
        "edition_title",
        "before",
        "after",
        "before_edition",
        "after_edition",
        "original",
        "original_edition",
        "also_reported",
    }
)
TEXTS = frozenset({str, type(None)})
COPIED = (".css", ".js", ".svg")  # static files among the templates: copied, never rendered
# Values written as they are: marshal writes each exactly, and tells their types apart.
SCALARS = frozenset({str, int, float, bool, type(None)})
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
    """Fingerprints of the pages of one build; `environment` is everything the pages share.

    A page is written with marshal, and its fingerprint is a digest of those bytes. A
    value is written as itself when it is a SCALAR (marshal writes those exactly, their
    type too), else as its token: a digest of its kind and of what it holds, worked out
    once a build for each value (items, editions and topics appear on many pages).
    Tokens are bytes, which no SCALAR is, so neither can pass for the other."""

    def __init__(self, site: Site, *environment: str) -> None:
        self._written: dict[int, bytes] = {}  # the tokens worked out so far, by id()
        self._kept: list[object] = []  # every value with a token: its id is not reused
        self._fields: dict[type, tuple[str, ...]] = {}  # a dataclass's field names
        shared = hashlib.sha256()
        for part in environment:
            shared.update(part.encode() + b"\0")
        shared.update(_dump(self._all([getattr(site, name) for name in SITE_VALUES])))
        self._shared = shared

    def page(self, page: Page) -> str:
        context = page.context
        if context.keys() == ITEM_PAGE_KEYS:
            written = self._item_page(page, context)
            if written is not None:
                return written
        parts = [page.path, page.template, page.title, self._of(page.updated), page.in_sitemap]
        names = sorted(context)
        values = self._all([context[name] for name in names])
        for name, value in zip(names, values, strict=True):
            parts.append(name)
            parts.append(value)
        digest = self._shared.copy()
        digest.update(_dump(parts))
        return digest.hexdigest()

    def _item_page(self, page: Page, context: dict[str, object]) -> str | None:
        """page()'s work for an item's page (nine pages in ten), its context's values taken
        by name; None if a text of it is not a str or None."""
        texts = (
            context["root"],
            context["folder"],
            context["edition_title"],
            context["before_edition"],
            context["after_edition"],
            context["original_edition"],
        )
        if not set(map(type, texts)) <= TEXTS:
            return None
        values = (
            page.updated,
            context["item"],
            context["before"],
            context["after"],
            context["original"],
            context["also_reported"],
        )
        # A tuple, where page() writes a list: the two never read the same.
        parts = (page.path, page.template, page.title, page.in_sitemap, *texts, *self._all(values))
        digest = self._shared.copy()
        digest.update(_dump(parts))
        return digest.hexdigest()

    def value(self, value: object) -> str:
        """A text that differs whenever `value` would render differently."""
        written = self._of(value)
        # No repr of a SCALAR starts with "#".
        return "#" + written.hex() if type(written) is bytes else repr(written)

    def _of(self, value: object) -> object:
        """What `value` is written as: itself if it is a SCALAR, else its token."""
        if type(value) in SCALARS:
            return value
        known = self._written.get(id(value))
        return known if known is not None else self._token(value)

    def _all(self, values: Iterable[object]) -> list[object]:
        """_of() of each of `values`."""
        # _of(), inline: a site has ten pages for each item, each with a dozen values,
        # most of them plain or digested already.
        written, token = self._written, self._token
        out = []
        for value in values:
            if type(value) not in SCALARS:
                known = written.get(id(value))
                value = known if known is not None else token(value)
            out.append(value)
        return out

    def _token(self, value: object) -> bytes:
        kind = type(value)
        text: bytes
        if kind is Item:
            text = self._item(value)  # type: ignore[arg-type]
        elif kind is datetime:
            text = b"datetime\0" + repr(value).encode()
        elif kind is tuple or kind is list:
            text = kind.__name__.encode() + b"\0" + _dump(self._all(value))  # type: ignore[arg-type]
        elif kind is frozenset:
            # In an order that does not depend on the hashes of its members.
            members = sorted(_dump(self._of(v)) for v in value)  # type: ignore[attr-defined]
            text = b"frozenset\0" + _dump(members)
        elif kind is dict:
            of = self._of
            pairs = sorted((_dump(of(k)), of(v)) for k, v in value.items())  # type: ignore[attr-defined]
            text = b"dict\0" + _dump(pairs)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            text = self._dataclass(value)
        else:
            raise TypeError(f"cannot fingerprint a {kind.__name__}")
        token = hashlib.sha256(text).digest()
        self._written[id(value)] = token
        self._kept.append(value)
        return token

    def _dataclass(self, value: object) -> bytes:
        kind = type(value)
        names = self._fields.get(kind)
        if names is None:
            names = self._fields[kind] = tuple(f.name for f in dataclasses.fields(value))  # type: ignore[arg-type]
        name = f"{kind.__module__}.{kind.__qualname__}\0".encode()
        return name + _dump(self._all([getattr(value, field) for field in names]))

    def _item(self, item: Item) -> bytes:
        """What `item` holds, field by field, without a dataclass walk (every item is
        digested once a build)."""
        source = item.source
        fields = (
            item.id,
            item.title,
            item.slug,
            item.summary,
            item.analysis,
            self._of(item.date),
            item.edition,
            item.position,
            source.file,
            source.line,
            item.topics,
            [(e.topic, e.score, e.summary, e.analysis, e.against) for e in item.evidence],
            item.duplicate_of,
            item.editor_headline,
            item.distinct,
        )
        try:
            return b"Item\0" + marshal.dumps(fields, 2)  # type: ignore[arg-type]
        except ValueError:  # a value marshal does not write (a str subclass, say): field by field
            return self._dataclass(item)


# Every field of Item, Source and Evidence, as Fingerprints._item writes them; a test holds
# these to the model.
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


def _dump(value: object) -> bytes:
    """`value`'s bytes, for SCALARS, tokens (bytes) and lists, tuples and dicts of them.
    marshal's version 2: later versions write a value seen twice as a reference to the
    first only when something else refers to it too, so their bytes depend on more than
    the value."""
    try:
        return marshal.dumps(value, 2)  # type: ignore[arg-type]
    except ValueError as exc:  # only plain values are written, of their exact types
        raise TypeError(f"cannot fingerprint {exc}") from exc
