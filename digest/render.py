"""The fourth stage: site model -> (output path, bytes) as each is made, through Jinja templates.

Autoescaping is on for every template but those whose name says they are not markup
(robots.txt), and undefined names are errors, so a template can neither leak unescaped
text nor silently print nothing.

Templates can be the editor's own (site.yaml's `templates`), so they are input like any
other: a template that cannot be compiled or rendered is a problem at its FILE:LINE
(TemplateErrors), never a crash. All templates are compiled before anything is
rendered, so that every syntax error is reported at once.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from email.utils import format_datetime
from operator import attrgetter
from pathlib import Path
from types import TracebackType

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup, escape

from . import markup, search, workers
from .cache import BuildCache, CompiledTemplates
from .dates import long_date
from .export import chunk_file, items_json, split
from .feeds import feed_sources, json_feed, make_feed
from .fingerprint import SITE_VALUES, Fingerprints
from .model import Edition, Item, Page, Segment, Site
from .problems import ConfigErrors, Problem, display, error
from .translation import catalog, number
from .urls import (
    FAVICON,
    FEED_FILES,
    ITEMS_JSON,
    LATEST_SITEMAP,
    OPML,
    PATHS,
    ROBOTS,
    SEARCH_INDEX,
    SEARCH_SCRIPT,
    SITEMAP,
    SITEMAP_BLOCK,
    STEMMER_SCRIPT,
    STYLESHEET,
    absolute,
    edition_path,
    page_file,
    path_of,
    sitemap_path,
    topic_path,
)

STATIC_FILES = (STYLESHEET, SEARCH_SCRIPT, STEMMER_SCRIPT, FAVICON)
# Templates whose output is not markup; every other is autoescaped, whatever its name, so
# that a new markup template (.svg, .opml, .atom, …) cannot be added unescaped.
NOT_MARKUP = (".txt", ".css", ".js", ".json")
# The files compiled before rendering: what can be a page, a feed or a part of one. Other
# files in a template folder (images, notes) are not templates.
TEMPLATE_SUFFIXES = (".html", ".htm", ".xml", ".opml", ".txt", ".j2", ".jinja")


class TemplateErrors(ConfigErrors):
    """Templates that cannot be compiled or rendered, each a Problem at its FILE:LINE."""

    def __reduce__(self) -> tuple[type[TemplateErrors], tuple[list[Problem]]]:
        return TemplateErrors, (self.problems,)  # as a helper process sends it back


def builtin_templates() -> Path:
    """The templates shipped with digest: the checkout's folder, or the installed copy."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "templates"
    # pyproject.toml installs templates/ as digest/templates/ in a non-editable install.
    return checkout if checkout.is_dir() else package / "templates"


def make_env(overrides: Sequence[Path] = (), compiled: BuildCache | None = None) -> Environment:
    """A Jinja environment that looks in `overrides` first, then in the built-in templates;
    compiled templates are kept in the cache `compiled`, if given, for the next build."""
    env = Environment(
        loader=FileSystemLoader([*map(str, overrides), str(builtin_templates())]),
        bytecode_cache=CompiledTemplates(compiled) if compiled is not None else None,
        autoescape=_is_markup,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # The messages, dates and numbers follow the language of what is rendered: a page's or
    # an email's `site`, a feed's `feed`; so one environment serves a site in any language.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters["html"] = _html
    env.filters["plain"] = markup.to_plain
    env.filters["long_date"] = pass_context(lambda c, when: long_date(when, _language(c)))
    env.filters["number"] = pass_context(lambda c, value: number(value, _language(c)))
    env.filters["iso"] = lambda when: when.isoformat()
    env.filters["rfc822"] = format_datetime
    env.filters["rfc3339"] = lambda when: when.isoformat()
    # A plain str, not Markup: autoescaping then escapes the result once more, for XML.
    env.filters["escape_html"] = lambda text: html.escape(text, quote=False)
    env.globals["path_of"] = path_of
    env.globals["absolute"] = absolute
    env.globals["edition_path"] = edition_path
    env.globals["topic_path"] = topic_path
    env.globals["paths"] = PATHS
    return env


def _language(context: Context) -> str:
    for holder in (context.get("site"), context.get("feed")):
        language = getattr(holder, "language", None)
        if isinstance(language, str):
            return language
    return "en"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalog(_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return catalog(_language(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, where: str, message: str) -> str:
    return catalog(_language(context)).pgettext(where, message)


@pass_context
def _npgettext(context: Context, where: str, singular: str, plural: str, n: int) -> str:
    return catalog(_language(context)).npgettext(where, singular, plural, n)


@pass_context
def _html(context: Context, text: str) -> Markup:
    """Item text as HTML; its images lead from the page (`root`) to the static folder's
    files, or, where there is no page (an email), from the base URL."""
    site = context.get("site")
    if not isinstance(site, Site) or "![" not in text:
        return Markup(markup.to_html(text))
    root = context.get("root")
    return Markup(
        markup.to_html(text, site.static, root if isinstance(root, str) else site.base_url)
    )


def _is_markup(name: str | None) -> bool:
    return name is None or not name.endswith(NOT_MARKUP)


def render(
    site: Site,
    env: Environment,
    pages: Sequence[Page] | None = None,
    segments: Sequence[Segment] | None = None,
    made: Collection[str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """The site's output files as (path, bytes), one at a time, as they are made: `pages`
    and the search index's `segments` (None: all of them), and every file made of the
    whole archive (feeds, the sitemap, items.json, the search index's list, the static
    files of the templates) but those that a build can keep (see archive_marks) and
    `made` does not name (None names all). Raises TemplateErrors for templates that
    cannot be compiled (before anything is made) or rendered."""
    problems = compile_templates(env)
    if problems:
        raise TemplateErrors(problems)
    pages = site.pages if pages is None else pages
    segments = (site.search_segments if segments is None else segments) if site.search else ()
    return _stream(site, env, pages, segments, made)


def _stream(
    site: Site,
    env: Environment,
    pages: Sequence[Page],
    segments: Sequence[Segment],
    made: Collection[str] | None,
) -> Iterator[tuple[str, bytes]]:
    with _as_template_errors(env):
        yield from _render(site, env, pages, segments, made)


@contextmanager
def _as_template_errors(env: Environment) -> Iterator[None]:
    """An exception that comes from the editor's templates, raised as TemplateErrors."""
    try:
        yield
    except TemplateErrors:
        raise
    except Exception as exc:
        problem = template_problem(env, exc)
        if problem is None:  # not the templates' doing: a bug in digest
            raise
        raise TemplateErrors([problem]) from None


def render_only(
    site: Site, env: Environment, paths: Collection[str]
) -> Iterator[tuple[str, bytes]]:
    """The output files named by `paths` (files of pages, of search segments, of the
    whole archive), as `render` makes them: for files a build meant to keep from the live
    site and found changed there."""
    pages = [page for page in site.pages if page.path in paths]
    folders = {path.rpartition("/")[0] + "/" for path in paths}
    segments = [s for s in site.search_segments if path_of(s) in folders]
    for path, data in render(site, env, pages, segments, paths):
        if path in paths:
            yield path, data


def compile_templates(env: Environment) -> list[Problem]:
    """Compile every template in the template folders: a problem for each that cannot be."""
    problems: list[Problem] = []
    for name in env.list_templates(filter_func=lambda name: name.endswith(TEMPLATE_SUFFIXES)):
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:  # unknown filters and tests too
            problems.append(error(_shown(exc.filename, env, name), exc.lineno, exc.message or ""))
        except UnicodeDecodeError as exc:
            problems.append(_undecodable(env, name, exc))
        except RecursionError:
            shown = _shown(None, env, name)
            problems.append(error(shown, None, "the template nests too deeply to be compiled"))
        except OSError as exc:
            shown = _shown(None, env, name)
            problems.append(error(shown, None, f"cannot read the template: {exc.strerror}"))
    return problems


def template_problem(env: Environment, exc: BaseException) -> Problem | None:
    """The problem in the editor's templates that `exc`, raised while rendering, comes
    from, at the innermost template line it passed through; None if no template of
    theirs had a part in it (then it is a bug in digest or in a built-in template)."""
    frames = _template_frames(exc.__traceback__)
    if isinstance(exc, TemplateSyntaxError) and exc.filename:  # a part compiled on use
        frames.append((exc.filename, exc.lineno))
    overrides = [Path(folder).resolve() for folder in _searchpath(env)[:-1]]
    if not any(Path(file).resolve().is_relative_to(o) for file, _ in frames for o in overrides):
        return None
    file, line = frames[-1]
    return error(_shown(file, env, ""), line, _message(exc))


def _message(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the template extends or includes itself without end"
    if isinstance(exc, TemplateNotFound):
        return f"no template named '{exc.name}' in the template folders"
    if isinstance(exc, UnicodeDecodeError):
        return "the template this line uses is not UTF-8 text"
    if isinstance(exc, TemplateSyntaxError):
        return exc.message or "syntax error"
    return f"{exc}" if type(exc).__module__.startswith("jinja2") else f"{type(exc).__name__}: {exc}"


def _template_frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    # Jinja rewrites a traceback so that each frame of template code carries the
    # template's file and line, and marks those frames with this global.
    frames = []
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _searchpath(env: Environment) -> list[str]:
    return list(getattr(env.loader, "searchpath", ()))


def _file_of(env: Environment, name: str) -> Path | None:
    """The file that template `name` is read from: the first in the search path."""
    for folder in _searchpath(env):
        path = Path(folder, name)
        if path.is_file():
            return path
    return None


def _shown(filename: str | None, env: Environment, name: str) -> str:
    path = Path(filename) if filename else _file_of(env, name)
    return display(path) if path is not None else name


def _undecodable(env: Environment, name: str, exc: UnicodeDecodeError) -> Problem:
    # The loader decodes the whole file, so the error's offset is the file's.
    line = exc.object[: exc.start].count(b"\n") + 1
    byte = exc.object[exc.start]
    message = f"the template is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
    return error(_shown(None, env, name), line, message)


def _static(env: Environment, name: str) -> bytes:
    """A static file (the stylesheet, the script, the icon), copied as its bytes."""
    path = _file_of(env, name)
    try:
        if path is None:
            raise FileNotFoundError(f"no {name} in the template folders")
        return path.read_bytes()
    except OSError as exc:
        where = display(path) if path is not None else name
        raise TemplateErrors([error(where, None, f"cannot read: {exc}")]) from None


def _render(
    site: Site,
    env: Environment,
    pages: Sequence[Page],
    segments: Sequence[Segment],
    made: Collection[str] | None,
) -> Iterator[tuple[str, bytes]]:
    tasks: list[tuple[Sequence[Page], Sequence[Segment]]] = [
        (pages[start : start + CHUNK], ()) for start in range(0, len(pages), CHUNK)
    ]
    tasks += [((), (segment,)) for segment in segments]
    if len(pages) < PARALLEL_FROM:
        tasks = [(pages, segments)]  # below this, a second process costs more than it saves

    def work(task: tuple[Sequence[Page], Sequence[Segment]]) -> list[tuple[str, bytes]]:
        # Whole, and its problems found where it ran: a helper's traceback cannot cross.
        with _as_template_errors(env):
            return [*_render_pages(site, env, task[0]), *_segment_files(task[1])]

    # This process makes the whole-archive files while helpers start on the pages.
    yield from workers.share(tasks, work, own=_archive_files(site, env, made))


CHUNK = 50  # pages a task: small enough to share out evenly, large enough to cost nothing
PARALLEL_FROM = 2000  # pages; below this, a second process costs more than it saves


def _archive_files(
    site: Site, env: Environment, made: Collection[str] | None
) -> Iterator[tuple[str, bytes]]:
    """The files made of the whole site rather than of one page; of those a build can
    keep, only those named in `made` (None: all)."""

    def wanted(path: str) -> bool:
        return made is None or path in made

    rss, atom = env.get_template("rss.xml"), env.get_template("atom.xml")
    opml = wanted(OPML)
    feeds = []
    for feed_source in feed_sources(site):
        files = {kind: feed_source.folder + name for kind, name in FEED_FILES.items()}
        if not opml and not any(map(wanted, files.values())):
            continue  # kept whole: not even its entries are made
        feed = make_feed(site, feed_source)
        feeds.append(feed)
        if wanted(files["rss"]):
            yield files["rss"], rss.render(feed=feed).encode("utf-8")
        if wanted(files["atom"]):
            yield files["atom"], atom.render(feed=feed).encode("utf-8")
        if wanted(files["json"]):
            yield files["json"], json_feed(feed)
    if opml:
        yield OPML, env.get_template("feeds.opml").render(site=site, feeds=feeds).encode("utf-8")
    yield from _sitemaps(site, env, made)
    robots = env.get_template("robots.txt").render(sitemap=absolute(site.base_url, SITEMAP))
    yield ROBOTS, robots.encode("utf-8")
    latest, chunks = split(site)
    yield ITEMS_JSON, items_json(site, latest, chunks)
    for chunk in chunks:
        if wanted(chunk.path):
            yield chunk.path, chunk_file(chunk, site.base_url)
    if site.search:
        yield SEARCH_INDEX, search.index_file(site.search_segments, site.topic_names)
    for name in STATIC_FILES:
        if name in (SEARCH_SCRIPT, STEMMER_SCRIPT) and not site.search:
            continue
        # The stemmer of the site's language only: an English page carries no French.
        source = search.stemmer_source(site.language) if name == STEMMER_SCRIPT else name
        yield name, _static(env, source)


def archive_marks(
    site: Site, env: Environment, fingerprints: Fingerprints, templates: str
) -> dict[str, str]:
    """A mark of each file of the whole archive that a build can keep rather than make
    (each feed's files, feeds.opml, the sitemap's files but its index), by path: equal
    marks, equal bytes, for the same code (the build store holds one version's).
    `templates` is the template folders' digest; `fingerprints` digests the values.
    (items.json's chunks have marks of their own: digest/previous.py.)"""
    shared = hashlib.sha256(templates.encode() + b"\0")
    # What templates may read of `site` (a template that reads more keeps nothing).
    shared.update(fingerprints.value([getattr(site, name) for name in SITE_VALUES]).encode())

    def mark(*parts: str) -> str:
        digest = shared.copy()
        digest.update("\0".join(parts).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    marks: dict[str, str] = {}
    sources = feed_sources(site)
    for source in sources:
        feed = mark("feed", fingerprints.value(source))
        for name in FEED_FILES.values():
            marks[source.folder + name] = feed
    if _is_builtin(env, "feeds.opml"):  # it reads no feed's entries: a new one changes none
        heads = [(s.folder, s.title, s.description, s.home) for s in sources]
        marks[OPML] = mark("opml", fingerprints.value(heads))
    else:
        marks[OPML] = mark("opml", *(marks[s.folder + FEED_FILES["rss"]] for s in sources))
    stamps: dict[int, str] = {}  # an edition's pages share its date's object
    for name, pages in _sitemap_files(site):
        parts = ["sitemap", name]
        for page in pages:
            when = page.updated
            stamp = "" if when is None else stamps.get(id(when), "")
            if when is not None and not stamp:  # its zone too, for a template that shows it
                stamp = stamps[id(when)] = f"{when!r} {when.isoformat()}"
            parts += (page.path, stamp)
        marks[name] = mark(*parts)
    return marks


Entry = tuple[str, datetime | None]  # an address and when it last changed


def _sitemap_files(site: Site) -> list[tuple[str, list[Page]]]:
    """The sitemap's files but its index, each with the pages it lists (in the site's
    order): one per closed block of SITEMAP_BLOCK editions (its edition and item pages),
    which a later edition leaves as it is, and one for every other page."""
    newest = max((edition.number for edition in site.editions), default=0)
    closed = newest // SITEMAP_BLOCK * SITEMAP_BLOCK
    blocks: dict[int, list[Page]] = {}
    latest: list[Page] = []
    for page in site.pages:
        if not page.in_sitemap:
            continue
        number = _edition_of(page)
        if number is not None and number < closed:
            blocks.setdefault(number // SITEMAP_BLOCK, []).append(page)
        else:
            latest.append(page)
    files = [
        (sitemap_path(block * SITEMAP_BLOCK, (block + 1) * SITEMAP_BLOCK - 1), pages)
        for block, pages in sorted(blocks.items())
    ]
    files.append((LATEST_SITEMAP, latest))
    return files


def _sitemaps(
    site: Site, env: Environment, made: Collection[str] | None
) -> Iterator[tuple[str, bytes]]:
    """The sitemap's files (those named in `made`; None: all), and sitemap.xml, their
    index, which dates each by its newest page."""
    urlset = _urlset if _is_builtin(env, "sitemap.xml") else env.get_template("sitemap.xml").render
    folder_page = page_file("")
    listed: list[Entry] = []
    for name, pages in _sitemap_files(site):
        if made is None or name in made:
            pages.sort(key=attrgetter("path"))
            entries = [
                (absolute(site.base_url, page.path.removesuffix(folder_page)), page.updated)
                for page in pages
            ]
            yield name, urlset(entries=entries).encode("utf-8")
        listed.append((absolute(site.base_url, name), _newest(pages)))
    index = env.get_template("sitemap-index.xml").render(sitemaps=listed)
    yield SITEMAP, index.encode("utf-8")


def _newest(pages: list[Page]) -> datetime | None:
    """The newest date of `pages`, as the index gives a sitemap's: of equal moments (which
    other zones write otherwise), the one of the first page by path, which a file's
    entries list first."""
    dates = {id(when): when for page in pages if (when := page.updated) is not None}
    newest = max(dates.values(), default=None)  # each date once: an edition's pages share it
    if newest is None or sum(when == newest for when in dates.values()) == 1:
        return newest
    first = min((page for page in pages if page.updated == newest), key=attrgetter("path"))
    return first.updated


def _is_builtin(env: Environment, name: str) -> bool:
    """Whether template `name` is digest's own, not one of the editor's folders'."""
    return _file_of(env, name) == builtin_templates() / name


URLSET_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
)


def _urlset(entries: Sequence[Entry]) -> str:
    """What the built-in sitemap.xml makes of `entries`, the same text, made without Jinja:
    a sitemap file lists up to some 4,200 addresses, and a large archive's sitemaps, made
    at every build, took Jinja's loop several times as long (tests/test_render.py holds
    the two equal)."""
    locs = [loc for loc, _ in entries]
    joined = "".join(locs)
    if any(c in joined for c in "&<>'\""):  # an address rarely holds one
        locs = [str(escape(loc)) for loc in locs]  # as Jinja's autoescaping does
    # The pages of an edition share its date's object: each is written out once, found
    # again by identity (equal dates in other zones are written otherwise), which holds
    # while `entries` keeps them all alive.
    stamps: dict[int, str] = {}
    lines = [URLSET_HEAD]
    for loc, (_, lastmod) in zip(locs, entries, strict=True):
        if not lastmod:
            lines.append(f"<url><loc>{loc}</loc></url>\n")
            continue
        stamp = stamps.get(id(lastmod))
        if stamp is None:  # an ISO date holds no character that XML escapes
            stamp = stamps[id(lastmod)] = f"<lastmod>{lastmod.isoformat()}</lastmod>"
        lines.append(f"<url><loc>{loc}</loc>{stamp}</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines)


def _edition_of(page: Page) -> int | None:
    """The edition whose block an edition's or an item's page belongs to."""
    # The template first: most pages of a large site are items', and this runs for each.
    template = page.template
    if template == "item.html":
        item = page.context.get("item")
        return item.edition if isinstance(item, Item) else None
    if template == "edition.html":
        edition = page.context.get("edition")
        return edition.number if isinstance(edition, Edition) else None
    return None


def _render_pages(
    site: Site, env: Environment, pages: Sequence[Page]
) -> Iterator[tuple[str, bytes]]:
    for page in pages:
        template = env.get_template(page.template)
        yield page.path, template.render(site=site, page=page, **page.context).encode("utf-8")


def _segment_files(segments: Sequence[Segment]) -> Iterator[tuple[str, bytes]]:
    for segment in segments:
        yield from search.segment_files(segment)
