"""The third stage: items -> the site model (editions, topics, pages, feed). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from gettext import NullTranslations
from typing import TypeVar
from urllib.parse import urlsplit

from .config import SiteConfig
from .dates import month_name
from .model import Edition, EditionFile, Item, Page, Repeat, Site, Standalone, Topic
from .paginate import paginate
from .search import segments
from .taxonomy import Taxonomy
from .translation import catalog, number
from .urls import (
    ARCHIVE,
    HOME,
    NOT_FOUND,
    SEARCH,
    TOPICS,
    absolute,
    page_file,
    path_of,
    root_from,
    standalone_path,
)

T = TypeVar("T")
EARLIER_EDITIONS_ON_HOME = 10


def newest_first(items: Iterable[Item]) -> list[Item]:
    """Latest edition first; within an edition, the editor's order."""
    return sorted(items, key=lambda item: (-item.edition, item.position))


def assemble(
    items: Sequence[Item],
    edition_files: Sequence[EditionFile],
    taxonomy: Taxonomy,
    config: SiteConfig,
    standalone: Sequence[Standalone] = (),
    static: Collection[str] = (),
) -> Site:
    """The site; `standalone` are the pages folder's pages, `static` the static folder's
    files (paths inside the site)."""
    base_path = urlsplit(config.base_url).path
    every = newest_first(items)
    listed = [item for item in every if item.duplicate_of is None]
    by_id = {item.id: item for item in every}
    also_reported: dict[str, list[Item]] = defaultdict(list)
    for item in reversed(every):  # oldest first under the story they repeat
        if item.duplicate_of is not None:
            also_reported[item.duplicate_of].append(item)

    messages = catalog(config.language)
    editions = _editions(every, by_id, edition_files, messages)
    topics = _topics(listed, taxonomy)
    newest = max((item.date for item in every), default=None)
    edition_titles = {e.number: _title(e, messages) for e in edition_files}
    pages = [
        _page(
            HOME,
            "index.html",
            config.title,
            updated=newest,
            edition=editions[0] if editions else None,
            first_editions=_first_editions(editions[0], edition_titles) if editions else {},
            earlier=editions[1 : 1 + EARLIER_EDITIONS_ON_HOME],
            more_editions=len(editions) > 1 + EARLIER_EDITIONS_ON_HOME,
        ),
        _page(
            ARCHIVE,
            "archive.html",
            messages.gettext("Archive"),
            updated=newest,
            months=_by_month(editions, config.language),
        ),
        _page(TOPICS, "topics.html", messages.gettext("Topics"), updated=newest, topics=topics),
        # Served for any missing address, at any depth: its links start from the site's path.
        Page(
            NOT_FOUND,
            "404.html",
            messages.gettext("Page not found"),
            {"root": base_path, "folder": NOT_FOUND},
            in_sitemap=False,
        ),
    ]
    if config.search:  # without an index, a search page could only fail
        choices = tuple((topic.slug, topic.name) for topic in topics)
        pages.append(_page(SEARCH, "search.html", messages.gettext("Search"), topics=choices))
    for newer, edition, older in _neighbours(editions):
        pages.append(
            _page(
                path_of(edition),
                "edition.html",
                edition.title,
                updated=edition.date,
                edition=edition,
                newer=newer,
                older=older,
                first_editions=_first_editions(edition, edition_titles),
            )
        )
    item_path = path_of.dispatch(Item)  # looked up once: there is a page for every item
    for before, item, after in _neighbours(listed):
        reported = also_reported.get(item.id, ())
        pages.append(_item_page(item, item_path, edition_titles, before, after, None, reported))
    for item in every:
        if item.duplicate_of is not None:  # not listed, but its URL must work and lead on
            original = by_id[item.duplicate_of]
            pages.append(_item_page(item, item_path, edition_titles, None, None, original, ()))
    for extra in standalone:
        pages.append(_page(standalone_path(extra.slug), "page.html", extra.title, standalone=extra))
    for topic in topics:
        # A topic page gets the topic without its items (its own are in `pagination`), and
        # the count on the front page only: so a new item changes no older page.
        head = Topic(topic.slug, topic.name, topic.description, items=())
        for part in paginate(path_of(topic), topic.items, config.items_per_page):
            title = topic.name
            if part.number is not None:
                title = messages.gettext("%(topic)s, page %(number)s") % {
                    "topic": topic.name,
                    "number": number(part.number, config.language),
                }
            updated = max((item.date for item in part.items), default=None)
            pages.append(
                _page(
                    part.page_folder,
                    "topic.html",
                    title,
                    updated=updated,
                    topic=head,
                    count=len(topic.items) if part.number is None else None,
                    pagination=part,
                )
            )

    return Site(
        title=config.title,
        description=config.description,
        base_url=config.base_url,
        language=config.language,
        editions=tuple(editions),
        items=tuple(listed),
        all_items=tuple(every),
        topics=tuple(topics),
        topic_names={rule.slug: rule.name for rule in taxonomy.topics},
        pages=tuple(pages),
        feed_items=tuple(listed[: config.feed_size]),
        feed_size=config.feed_size,
        author=config.author or config.title,
        icon=config.feed_icon,
        search=config.search,
        search_segments=segments(every, config.language) if config.search else (),
        signup=config.signup,
        nav=tuple((p.title, standalone_path(p.slug)) for p in standalone if p.nav),
        share_image=_share_image(config),
        locale=locale(config.language),
        static=frozenset(static),
    )


# The region a language is most often written for, for og:locale (language_TERRITORY);
# a tag that names its region ("fr-CA") is taken as it is.
REGIONS = {
    "ar": "AR",
    "ca": "ES",
    "cs": "CZ",
    "da": "DK",
    "de": "DE",
    "el": "GR",
    "en": "US",
    "es": "ES",
    "fi": "FI",
    "fr": "FR",
    "he": "IL",
    "hu": "HU",
    "it": "IT",
    "ja": "JP",
    "ko": "KR",
    "nb": "NO",
    "nl": "NL",
    "pl": "PL",
    "pt": "PT",
    "ro": "RO",
    "ru": "RU",
    "sv": "SE",
    "tr": "TR",
    "uk": "UA",
    "zh": "CN",
}


def locale(language: str) -> str | None:
    """og:locale for a language tag: fr-CA -> fr_CA, fr -> fr_FR; None when unknown."""
    parts = language.split("-")
    code = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    region = region or REGIONS.get(code)
    return f"{code}_{region}" if region else None


def _share_image(config: SiteConfig) -> str | None:
    image = config.share_image
    if image is None or "://" in image:
        return image
    return absolute(config.base_url, image)


def _item_page(
    item: Item,
    item_path: Callable[[Item], str],
    edition_titles: dict[int, str],
    before: Item | None,
    after: Item | None,
    original: Item | None,
    also_reported: Sequence[Item],
) -> Page:
    """An item's page. Its pager follows the lists' order (newest edition first, each in
    the editor's order): `before` is the item above it, `after` the one below. Within
    the edition they are its previous and next items; past the edition's ends, the last
    item of the newer edition and the first of the older one, each named with its
    edition's title (`before_edition`, `after_edition`; None within the edition).

    Only the titles a page shows are in its context, so that a new edition changes
    no page that does not show it."""
    # The Page as _page makes it, written out: this runs for every item at each build.
    folder = item_path(item)
    edition = item.edition
    context = {
        "root": root_from(folder),
        "folder": folder,
        "item": item,
        "edition_title": edition_titles[edition],
        "before": before,
        "after": after,
        "before_edition": (
            None if before is None or before.edition == edition else edition_titles[before.edition]
        ),
        "after_edition": (
            None if after is None or after.edition == edition else edition_titles[after.edition]
        ),
        "original": original,
        "original_edition": edition_titles[original.edition] if original else None,
        "also_reported": (
            tuple((other, edition_titles[other.edition]) for other in also_reported)
            if also_reported
            else ()
        ),
    }
    # A repeat's canonical page is the first report's: it is left out of the sitemap.
    return Page(page_file(folder), "item.html", item.title, context, item.date, original is None)


def _first_editions(edition: Edition, edition_titles: dict[int, str]) -> dict[int, str]:
    """The titles of the editions where an edition's repeats were first reported."""
    return {r.first.edition: edition_titles[r.first.edition] for r in edition.repeats}


def _page(
    folder: str,
    template: str,
    title: str,
    *,
    updated: datetime | None = None,
    in_sitemap: bool = True,
    **context: object,
) -> Page:
    return Page(
        path=page_file(folder),
        template=template,
        title=title,
        context={"root": root_from(folder), "folder": folder, **context},
        updated=updated,
        in_sitemap=in_sitemap,
    )


def _title(edition: EditionFile, messages: NullTranslations) -> str:
    """The edition's title: its own, else "Edition N" in the site's language."""
    if edition.title:
        return edition.title
    return messages.gettext("Edition %(number)s") % {"number": edition.number}


def _editions(
    every: Sequence[Item],
    by_id: dict[str, Item],
    edition_files: Sequence[EditionFile],
    messages: NullTranslations,
) -> list[Edition]:
    """Every edition with an item, even one whose items all repeat earlier reports: its
    page still shows them, each pointing to where the story was first reported. `every`
    is in newest_first's order: each edition's items come in the editor's."""
    grouped: dict[int, list[Item]] = defaultdict(list)
    for item in every:
        grouped[item.edition].append(item)
    editions = []
    for source in sorted(edition_files, key=lambda e: e.number, reverse=True):
        members = grouped.get(source.number)
        if not members:
            continue
        editions.append(
            Edition(
                number=source.number,
                title=_title(source, messages),
                date=source.date,
                source=source.path,
                items=tuple(item for item in members if item.duplicate_of is None),
                repeats=tuple(
                    Repeat(item, by_id[item.duplicate_of])
                    for item in members
                    if item.duplicate_of is not None
                ),
            )
        )
    return editions


def _topics(listed: Sequence[Item], taxonomy: Taxonomy) -> list[Topic]:
    """The taxonomy's topics that have items, in the taxonomy's order."""
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in listed:
        for slug in item.topics:
            grouped[slug].append(item)
    return [
        Topic(
            slug=rule.slug,
            name=rule.name,
            description=rule.description,
            items=tuple(grouped[rule.slug]),
        )
        for rule in taxonomy.topics
        if grouped[rule.slug]
    ]


def _by_month(editions: Sequence[Edition], language: str) -> list[tuple[str, list[Edition]]]:
    months: dict[tuple[int, int], list[Edition]] = defaultdict(list)
    for edition in editions:
        months[(edition.date.year, edition.date.month)].append(edition)
    return [
        (month_name(year, month, language), months[(year, month)])
        for year, month in sorted(months, reverse=True)
    ]


def _neighbours(things: Sequence[T]) -> Iterable[tuple[T | None, T, T | None]]:
    """Each thing of a newest-first list with the newer and the older one beside it."""
    for index, thing in enumerate(things):
        newer = things[index - 1] if index > 0 else None
        older = things[index + 1] if index + 1 < len(things) else None
        yield newer, thing, older
