"""build(): the five stages in order. Everything is read and checked before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .assemble import assemble
from .config import SiteConfig
from .enrich import enrich
from .ledger import LEDGER_NAME, format_ledger
from .load import Loaded, display, load
from .model import Site
from .problems import Problem, has_errors, ordered, warning
from .render import make_env, render
from .search import indexer
from .write import write, write_file


@dataclass(frozen=True)
class Result:
    site: Site
    problems: list[Problem]
    ignored: tuple[str, ...] = ()
    tagging: bool = False  # whether a taxonomy was there to tag items with
    files: int = 0
    written: bool = False
    notes: list[str] = field(default_factory=list)


def check(config: SiteConfig) -> Result:
    """`digest check`: read, parse and model the content; touch nothing."""
    loaded, site, problems = _model(config)
    return Result(site, problems, loaded.ignored, bool(loaded.taxonomy.topics))


def _model(config: SiteConfig) -> tuple[Loaded, Site, list[Problem]]:
    loaded = load(config.content, config)
    items, problems = enrich(loaded.editions, loaded.taxonomy, config.language)
    site = assemble(items, loaded.editions, loaded.taxonomy, config)
    return loaded, site, ordered([*loaded.problems, *problems])


def build(
    config: SiteConfig, strict: bool = False, stage: Callable[[str], None] | None = None
) -> Result:
    """Build the site; `stage(name)` is told as each stage starts, for a progress display."""
    stage = stage or (lambda name: None)
    stage("reading and tagging")
    loaded, site, problems = _model(config)
    ledger_path = config.content / LEDGER_NAME
    if loaded.new_dates and not loaded.content_writable:
        problems.append(
            warning(
                display(ledger_path),
                None,
                f"the content folder is read-only: the dates of {len(loaded.new_dates)} new "
                "edition(s) come from the files' modification times and are not recorded",
            )
        )
    result = Result(site, problems, loaded.ignored, bool(loaded.taxonomy.topics))
    if has_errors(problems, strict):
        return result
    stage(f"rendering {len(site.pages)} pages")
    outputs = render(site, make_env([config.templates] if config.templates else []))
    stage(f"writing {len(outputs)} files" + (" and indexing search" if config.search else ""))
    write(outputs, config.output, finish=indexer(outputs) if config.search else None)
    notes = []
    if loaded.new_dates and loaded.content_writable:
        write_file(
            ledger_path, format_ledger({**loaded.ledger, **loaded.new_dates}).encode("utf-8")
        )
        names = ", ".join(sorted(loaded.new_dates))
        notes.append(f"recorded the date of {names} in {display(ledger_path)} (commit it)")
    return Result(site, problems, loaded.ignored, result.tagging, len(outputs), True, notes)
