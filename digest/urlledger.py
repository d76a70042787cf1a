"""The URL ledger: each item's address, recorded by the first build that published it.

An item's slug is made from its headline, and headlines (the editor's or digest's)
and slug rules may change; a published address must not. So the first build that
publishes an item records its path in `urls.yaml`, committed with the content, and
every later build takes the path from there.

Items that digest published before this ledger existed keep the addresses that release
gave them: when the content folder has a date ledger (so an earlier digest built it)
but no URL ledger yet, every item of that first build gets the earlier rule's slug
(text.legacy_slug) and is recorded with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from .markup import to_plain
from .model import Item
from .problems import Problem, error
from .text import ID_LENGTH, SLUG_ID_LENGTH, legacy_slug
from .urls import path_of
from .yamlfile import load_mapping, shorten

URLS_NAME = "urls.yaml"
HEADER = """\
# The address of every item this site has published, recorded by digest the first
# time a build published it: item id -> path under the site's address. Commit this
# file with the content: it keeps each item's URL where it is, whatever later
# becomes of its headline or of digest's rules for making addresses.
"""
ITEM_PATH = re.compile(r"items/([a-z0-9]+(?:-[a-z0-9]+)*)/")
ITEM_ID = re.compile(rf"[0-9a-f]{{{ID_LENGTH}}}")
SLUG_LENGTH = 200  # for a path written by hand: far longer than any digest makes


# A line as format_urls writes it. The ledger grows with the archive (10,000 items: 0.2 s
# through the YAML reader, 0.01 s this way), so a file of such lines, comments and blank
# lines is read line by line; anything else (an entry edited by hand) goes through YAML.
WRITTEN_LINE = re.compile(r'"([0-9a-f]{12})": (items/[a-z0-9]+(?:-[a-z0-9]+)*/)')


def parse_urls(text: str, file: str) -> tuple[dict[str, str], list[Problem]]:
    """The ledger's id -> path, in the file's order, and a problem for each bad entry."""
    quick = _as_written(text)
    if quick is not None:
        return quick, []
    entries, problems = load_mapping(text, file)
    urls: dict[str, str] = {}
    owners: dict[str, str] = {}  # path -> the id that holds it
    for key, entry in entries.items():
        if not ITEM_ID.fullmatch(key):
            problems.append(
                error(
                    file,
                    entry.line,
                    f"{shorten(key)}: expected an item id (12 digits and letters a to f)",
                )
            )
            continue
        path = entry.value
        slug = ITEM_PATH.fullmatch(path) if isinstance(path, str) else None
        if slug is None or len(slug.group(1)) > SLUG_LENGTH:
            problems.append(
                error(
                    file,
                    entry.line,
                    f"{key}: expected a path such as items/some-words-{key[:SLUG_ID_LENGTH]}/ "
                    f"(lower-case letters, digits and hyphens), got {shorten(path)}",
                )
            )
            continue
        assert isinstance(path, str)
        if path in owners:
            problems.append(
                error(file, entry.line, f"{key}: {path} is already the address of {owners[path]}")
            )
            continue
        owners[path] = key
        urls[key] = path
    return urls, problems


def _as_written(text: str) -> dict[str, str] | None:
    """The entries, if every line is one as written by format_urls (or a comment, or
    blank) and no id or path is there twice; else None."""
    urls: dict[str, str] = {}
    for line in text.splitlines():
        match = WRITTEN_LINE.fullmatch(line)
        if match is None:
            if not line.strip() or line.startswith("#"):
                continue
            return None
        id_, path = match.groups()
        if id_ in urls or len(path) > SLUG_LENGTH:
            return None
        urls[id_] = path
    return urls if len(set(urls.values())) == len(urls) else None


def format_urls(urls: Mapping[str, str]) -> str:
    """The ledger's text, entries in the order given; parse_urls reads it back the same."""
    return HEADER + "".join(f'"{id_}": {path}\n' for id_, path in urls.items())


def place(items: Iterable[Item], recorded: Mapping[str, str], legacy: bool) -> list[Item]:
    """Each item at its recorded address, or at a new one: from its headline, or by the
    earlier rule when `legacy`.

    `items` come in the order of the editions and of their files, as identify gives
    them: the order in which earlier releases, too, settled two slugs alike."""
    taken = set(recorded.values())
    placed = []
    for item in items:
        path = recorded.get(item.id)
        if path is None:
            slug = legacy_slug(to_plain(item.summary), item.id) if legacy else item.slug
            path = _free(slug, item.id, taken)
            taken.add(path)
        slug = path[len("items/") : -1]
        placed.append(item if slug == item.slug else replace(item, slug=slug))
    return placed


def unrecorded(items: Iterable[Item], recorded: Mapping[str, str]) -> dict[str, str]:
    """The addresses of the items the ledger does not hold yet, in the editions' order."""
    ordered = sorted(items, key=lambda item: (item.edition, item.position))
    return {item.id: path_of(item) for item in ordered if item.id not in recorded}


def _free(slug: str, id_: str, taken: set[str]) -> str:
    """`slug`'s path, or, when an item has it already (the same words and the same six
    id digits), the path with the whole id, as earlier releases did."""
    path = f"items/{slug}/"
    if path in taken:
        path = f"items/{slug[:-SLUG_ID_LENGTH]}{id_}/"
    number = 2
    while path in taken:  # only where the ledger was edited by hand
        path = f"items/{slug[:-SLUG_ID_LENGTH]}{id_}-{number}/"
        number += 1
    return path
