"""build(): the five stages in order. Everything is read and checked before anything is written."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from .assemble import assemble
from .atomic import write_file
from .cache import BuildCache
from .config import SiteConfig
from .dedupe import Grouping
from .enrich import Enriched, enrich
from .fingerprint import code_version
from .ledger import LEDGER_NAME, format_ledger
from .load import HeldBack, Loaded, hold_back, load
from .model import Edition, Item, Page, Site
from .pages import load_pages
from .previous import Previous
from .problems import Problem, display, has_errors, ordered, warning
from .render import make_env, render, render_only
from .static import clashes, image_problems, read_static
from .urlledger import URLS_NAME, format_urls, place, unrecorded
from .write import WriteError, check_output, writing


@dataclass(frozen=True)
class Result:
    site: Site
    problems: list[Problem]
    ignored: tuple[str, ...] = ()
    tagging: bool = False  # whether a taxonomy was there to tag items with
    files: int = 0
    written: bool = False
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for -v
    rendered: int = 0  # pages rendered (the others were unchanged since the last build)
    repeats: dict[str, Grouping] = field(default_factory=dict)  # why each repeat was grouped
    held: tuple[HeldBack, ...] = ()  # editions left out: drafts, and those dated later
    drafts: int = 0  # drafts shown (with --drafts, or by digest serve)


@dataclass(frozen=True)
class Showing:
    """What a build publishes besides what is due: `now` (aware; None: the current time)
    decides which editions are due; `drafts` and `future` show the others."""

    now: datetime | None = None
    drafts: bool = False
    future: bool = False


def check(config: SiteConfig, showing: Showing = Showing()) -> Result:
    """`digest check`: read, parse and model the content; touch nothing (the previous
    build's store is read, never written)."""
    found = model(config, showing)
    return _result(found, found.problems)


def model(config: SiteConfig, showing: Showing = Showing()) -> Model:
    """The site model as a build would make it, writing nothing (for check, send, serve)."""
    previous = Previous(config, _version(config), writable=False)
    try:
        return read_model(config, showing, previous)
    finally:
        previous.close()


@dataclass(frozen=True)
class Model:
    """What the first three stages made of the inputs."""

    loaded: Loaded
    enriched: Enriched
    site: Site
    static: dict[str, bytes]  # the static folder's files: path in the site -> bytes
    problems: list[Problem]


def read_model(config: SiteConfig, showing: Showing, previous: Previous) -> Model:
    """Load, enrich, assemble: the site model, before anything is rendered or written.
    `previous` gives what earlier builds worked out, which changes nothing but the time."""
    now = showing.now or datetime.now(UTC)
    loaded = load(config.content, config, now, previous.reads(config.content))
    # Held-back editions go no further: no page, feed, index or ledger entry has them.
    loaded = hold_back(loaded, now, showing.drafts, showing.future)
    static, found = read_static(config.static)
    standalone, more = load_pages(config.pages, static)
    found += more + image_problems(loaded.editions, static)
    known = previous.known(loaded.taxonomy, config.language)
    enriched = enrich(loaded.editions, loaded.taxonomy, config.language, known)
    # After enrich, not inside it: an address comes from the URL ledger, which no result
    # known from an earlier build may depend on.
    placed = place(enriched.items, loaded.urls, loaded.legacy_urls)
    site = assemble(placed, loaded.editions, loaded.taxonomy, config, standalone, static)
    site = _mark_drafts(site, loaded)
    problems = ordered([*loaded.problems, *found, *enriched.problems])
    return Model(loaded, enriched, site, static, problems)


def _version(config: SiteConfig) -> str:
    return code_version() if config.cache else ""


def _result(model: Model, problems: list[Problem], **done: object) -> Result:
    """The build's result; `done` says what rendering and writing did, if they ran."""
    loaded = model.loaded
    return Result(
        model.site,
        problems,
        loaded.ignored,
        bool(loaded.taxonomy.topics),
        repeats=model.enriched.repeats(),
        held=loaded.held,
        drafts=len(_draft_numbers(loaded)),
        **done,  # type: ignore[arg-type]
    )


def _draft_numbers(loaded: Loaded) -> set[int]:
    return {edition.number for edition in loaded.editions if edition.draft}


def _mark_drafts(site: Site, loaded: Loaded) -> Site:
    """A shown draft's edition and item pages say so, and ask search engines to pass."""
    drafts = _draft_numbers(loaded)
    if not drafts:
        return site

    def of_draft(page: Page) -> bool:
        edition, item = page.context.get("edition"), page.context.get("item")
        if page.template == "edition.html" and isinstance(edition, Edition):
            return edition.number in drafts
        return page.template == "item.html" and isinstance(item, Item) and item.edition in drafts

    pages = tuple(
        replace(page, context={**page.context, "draft": True}, in_sitemap=False)
        if of_draft(page)
        else page
        for page in site.pages
    )
    return replace(site, pages=pages)


def build(
    config: SiteConfig,
    strict: bool = False,
    stage: Callable[[str], None] | None = None,
    config_file: Path | None = None,
    showing: Showing = Showing(),
) -> Result:
    """Build the site; `stage(name)` is told as each stage starts, for a progress display.
    `config_file` (the site.yaml read, if any) is one more thing the output must not hold."""
    # Before anything is read or written: an output folder that holds what a build reads
    # would lose it at the swap.
    check_output(
        config.output,
        {
            "the content folder": config.content,
            "the templates folder": config.templates,
            "the taxonomy file": config.taxonomy_file,
            "the configuration file": config_file,
            "the build cache": config.cache,
            "the static folder": config.static,
            "the pages folder": config.pages,
        },
        config.content,
    )
    with _fewer_collections():
        return _build(config, strict, stage, showing)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    # A build makes millions of objects that live until it ends; Python's collector, at its
    # default pace (every 700 new objects), would walk them again and again for nothing.
    # At 10,000 items, one more edition: median 2.82 s against 3.00 s in five paired runs.
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _build(
    config: SiteConfig, strict: bool, stage: Callable[[str], None] | None, showing: Showing
) -> Result:
    stage = stage or (lambda name: None)
    stage("reading and tagging")
    clock = _Clock()
    version = _version(config)
    previous = Previous(config, version)
    try:
        return _stages(config, strict, stage, showing, clock, version, previous)
    finally:
        previous.close()


def _stages(
    config: SiteConfig,
    strict: bool,
    stage: Callable[[str], None],
    showing: Showing,
    clock: _Clock,
    version: str,
    previous: Previous,
) -> Result:
    model = read_model(config, showing, previous)  # load -> enrich -> assemble
    loaded, site, static = model.loaded, model.site, model.static
    # A shown draft's addresses are not recorded: its headlines may change until published.
    drafts = _draft_numbers(loaded)
    new_urls = unrecorded([i for i in site.all_items if i.edition not in drafts], loaded.urls)
    clock.lap("read, enrich, assemble")
    problems = model.problems + _unrecorded_warnings(config, loaded, new_urls)
    if has_errors(problems, strict):
        return _result(model, problems)
    cache = BuildCache(config.cache)
    env = make_env([config.templates] if config.templates else [], cache.subfolder("templates"))
    plan = previous.plan(site, env, version)
    clock.lap("fingerprints")
    stage(f"rendering {len(plan.pages)} pages")
    outputs = render(site, env, plan.pages, plan.segments, plan.made)  # -> render
    with writing(config.output) as staged:  # -> write
        staged.put_all(outputs)  # each file written to the staging folder as it is made
        missing = staged.keep(plan.kept)
        if missing:  # changed in the live site since it was recorded: made again
            staged.put_all(render_only(site, env, missing))
        problems += clashes(static, staged.paths(), config.static)
        if has_errors(problems, strict):  # nothing published: the live site stays
            return _result(model, ordered(problems))
        staged.put_all(static.items())
        # The email that `digest send` would send next, measured now: Gmail clips a large one.
        if config.newsletter is not None:
            # Imported here: only a site with a newsletter pays for email and CSS inlining.
            from .newsletter import build_warnings

            problems += build_warnings(site, env, config)
        clock.lap("render and stage")
        notes = [*loaded.notes, *_record_dates_and_addresses(config, loaded, new_urls)]
        written = staged.publish()
    clock.lap("publish")
    # The site is live: whatever fails from here on is said in a note, not as a failure.
    unsaved = previous.record(loaded, model.enriched, plan, written.holds, site.base_url)
    notes += [*written.notes, *(cache.problems or ([unsaved] if unsaved else []))]
    clock.lap("save")
    return _result(
        model,
        problems,
        files=len(written.holds) - 1,
        written=True,
        notes=notes,
        timings=clock.laps,
        rendered=len(plan.pages),
    )


def _unrecorded_warnings(
    config: SiteConfig, loaded: Loaded, new_urls: dict[str, str]
) -> list[Problem]:
    """What a read-only content folder keeps this build from recording."""
    found = []
    if loaded.new_dates and not loaded.content_writable:
        found.append(
            warning(
                display(config.content / LEDGER_NAME),
                None,
                f"the content folder is read-only: the dates of {len(loaded.new_dates)} new "
                "edition(s) come from the files' modification times and are not recorded",
            )
        )
    if new_urls and not loaded.content_writable:
        found.append(
            warning(
                display(config.content / URLS_NAME),
                None,
                f"the content folder is read-only: the addresses of {len(new_urls)} new "
                "item(s) are not recorded, and may move when their headlines change",
            )
        )
    return found


def _record_dates_and_addresses(
    config: SiteConfig, loaded: Loaded, new_urls: dict[str, str]
) -> list[str]:
    """Record new editions' dates and new items' addresses before the site goes live: a
    published date or address must never move. Notes saying what was recorded."""
    notes = []
    ledger_path = config.content / LEDGER_NAME
    urls_path = config.content / URLS_NAME
    if loaded.new_dates and loaded.content_writable:
        try:
            write_file(
                ledger_path, format_ledger({**loaded.ledger, **loaded.new_dates}).encode("utf-8")
            )
        except OSError as exc:
            raise WriteError(
                f"cannot record the dates of new editions in {display(ledger_path)} "
                f"({exc.strerror or exc}); nothing was published"
            ) from exc
        names = ", ".join(sorted(loaded.new_dates))
        notes.append(f"recorded the date of {names} in {display(ledger_path)} (commit it)")
    if new_urls and loaded.content_writable:
        try:
            write_file(urls_path, format_urls({**loaded.urls, **new_urls}).encode("utf-8"))
        except OSError as exc:
            raise WriteError(
                f"cannot record the addresses of new items in {display(urls_path)} "
                f"({exc.strerror or exc}); nothing was published"
            ) from exc
        rule = " (kept as an earlier digest published them)" if loaded.legacy_urls else ""
        notes.append(
            f"recorded the address of {len(new_urls)} item(s){rule} in {display(urls_path)} "
            "(commit it)"
        )
    return notes


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
