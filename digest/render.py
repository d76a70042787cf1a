"""The fourth stage: site model -> {output path: bytes}, through Jinja templates.

Autoescaping is on for every template but those whose name says they are not markup
(robots.txt), and undefined names are errors, so a template can neither leak unescaped
text nor silently print nothing.

Templates can be the editor's own (site.yaml's `templates`), so they are input like any
other: a template that cannot be compiled or rendered is a problem at its FILE:LINE
(TemplateErrors), never a crash. All templates are compiled before anything is
rendered, so that every syntax error is reported at once.
"""

from __future__ import annotations

import ctypes
import html
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from email.utils import format_datetime
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
from markupsafe import Markup

from . import markup, search
from .cache import BuildCache, CompiledTemplates
from .dates import long_date
from .export import Lines, items_json
from .feeds import FILES, all_feeds, json_feed
from .model import Page, Segment, Site
from .problems import ConfigErrors, Problem, display, error
from .translation import catalog, number
from .urls import (
    FAVICON,
    ITEMS_JSON,
    OPML,
    PATHS,
    ROBOTS,
    SEARCH_SCRIPT,
    SITEMAP,
    STEMMER_SCRIPT,
    STYLESHEET,
    absolute,
    edition_path,
    page_file,
    path_of,
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
    skip: Callable[[str], bool] = lambda path: False,
    lines: Lines | None = None,
) -> dict[str, bytes]:
    """Every output file of the site, except the pages and search segments whose path
    `skip` names; `lines` keeps items.json's lines between builds. Raises TemplateErrors
    for templates that cannot be compiled or rendered."""
    problems = compile_templates(env)
    if problems:
        raise TemplateErrors(problems)
    try:
        return _render(site, env, skip, lines)
    except TemplateErrors:
        raise
    except Exception as exc:
        problem = template_problem(env, exc)
        if problem is None:  # not the templates' doing: a bug in digest
            raise
        raise TemplateErrors([problem]) from None


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
    site: Site, env: Environment, skip: Callable[[str], bool], lines: Lines | None
) -> dict[str, bytes]:
    outputs: dict[str, bytes] = {}

    def add(path: str, data: bytes) -> None:
        if path in outputs:
            raise ValueError(f"two outputs for one path: {path}")
        outputs[path] = data

    pages = [page for page in site.pages if not skip(page.path)]
    segments = [s for s in site.search_segments if not skip(path_of(s))] if site.search else []
    shared: tuple[list[Page], list[Segment]] = ([], [])
    if _worth_a_helper(pages):
        # The helper indexes the search segments too: about the time of a third of the pages.
        every = 3 if segments else 2
        shared = (pages[every - 1 :: every], segments)
        pages = [page for n, page in enumerate(pages) if n % every != every - 1]
        segments = []
    with _Helper(site, env, *shared) as helper:
        for path, data in _render_pages(site, env, pages):
            add(path, data)
        rss, atom = env.get_template("rss.xml"), env.get_template("atom.xml")
        feeds = all_feeds(site)
        for feed in feeds:
            add(feed.folder + FILES["rss"], rss.render(feed=feed).encode("utf-8"))
            add(feed.folder + FILES["atom"], atom.render(feed=feed).encode("utf-8"))
            add(feed.folder + FILES["json"], json_feed(feed))
        add(OPML, env.get_template("feeds.opml").render(site=site, feeds=feeds).encode("utf-8"))
        entries = [
            (absolute(site.base_url, page.path.removesuffix(page_file(""))), page.updated)
            for page in sorted(site.pages, key=lambda page: page.path)
            if page.in_sitemap
        ]
        add(SITEMAP, env.get_template("sitemap.xml").render(entries=entries).encode("utf-8"))
        robots = env.get_template("robots.txt").render(sitemap=absolute(site.base_url, SITEMAP))
        add(ROBOTS, robots.encode("utf-8"))
        add(ITEMS_JSON, items_json(site, lines))
        if site.search:
            add(search.INDEX, search.index_file(site.search_segments, site.topic_names))
        for path, data in _segment_files(segments):
            add(path, data)
        for path, data in helper.results():
            add(path, data)
    for name in STATIC_FILES:
        if name in (SEARCH_SCRIPT, STEMMER_SCRIPT) and not site.search:
            continue
        # The stemmer of the site's language only: an English page carries no French.
        source = search.stemmer_source(site.language) if name == STEMMER_SCRIPT else name
        add(name, _static(env, source))
    return outputs


PARALLEL_FROM = 2000  # pages; below this, a second process costs more than it saves


def _render_pages(
    site: Site, env: Environment, pages: Sequence[Page]
) -> Iterator[tuple[str, bytes]]:
    for page in pages:
        template = env.get_template(page.template)
        yield page.path, template.render(site=site, page=page, **page.context).encode("utf-8")


def _segment_files(segments: Sequence[Segment]) -> Iterator[tuple[str, bytes]]:
    for segment in segments:
        yield from search.segment_files(segment)


def _worth_a_helper(pages: Sequence[Page]) -> bool:
    # A forked process starts with the site already in memory, at no cost; but forking
    # while another thread runs (digest serve's server, a terminal's progress display)
    # could leave the child holding a lock that no thread will release.
    return (
        len(pages) >= PARALLEL_FROM
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


_share: tuple[Site, Environment, Sequence[Page], Sequence[Segment]] | None = None


class _Helper:
    """A second process that renders a share of the pages and search segments while this
    one renders the rest: rendering is pure, so the shares add up to the same outputs.
    With nothing to share, there is no second process.

    A template problem found by the child comes back as a Problem, like its outputs; the
    child dies with this process, so that it never writes to a pipe nobody reads."""

    def __init__(
        self, site: Site, env: Environment, pages: Sequence[Page], segments: Sequence[Segment]
    ) -> None:
        global _share
        self._pool = None
        if not pages and not segments:
            return
        _share = (site, env, pages, segments)  # what the forked child finds in its memory
        try:
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(1, initializer=_die_with, initargs=(os.getpid(),))
        finally:
            _share = None
        self._result = self._pool.apply_async(_render_share)

    def results(self) -> list[tuple[str, bytes]]:
        if self._pool is None:
            return []
        done = self._result.get()
        if isinstance(done, Problem):
            raise TemplateErrors([done])
        return done

    def __enter__(self) -> _Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:  # also when this process failed first: stop the child
            self._pool.terminate()
            self._pool.join()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have this (child) process killed when `parent` ends: otherwise a parent killed while
    the child works leaves it to finish, write to a closed pipe and print a traceback."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child may outlive a killed parent
        return
    if os.getppid() != parent:  # the parent was gone before the request was made
        os._exit(0)


def _render_share() -> list[tuple[str, bytes]] | Problem:
    assert _share is not None
    site, env, pages, segments = _share
    try:
        return [*_render_pages(site, env, pages), *_segment_files(segments)]
    except Exception as exc:
        # The exception itself may not survive pickling, nor should its traceback cross.
        problem = template_problem(env, exc)
        if problem is None:
            raise
        return problem
