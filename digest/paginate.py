"""Pages of a long list, numbered from the oldest so that old pages never change.

The list's own URL shows the newest `per_page` items. Older items sit on numbered
pages `page/1/` (the oldest) upwards, each holding exactly `per_page` items; the
newest items that do not yet fill a page are only on the front page. A new item
therefore changes the front page and, when a page fills, adds one: it never
renumbers or rewrites the pages before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Pagination(Generic[T]):
    folder: str  # the list's folder, e.g. "topics/funding/"
    number: int | None  # None for the front page
    items: tuple[T, ...]  # newest first
    newer: str | None  # folder of the next newer page
    older: str | None  # folder of the next older page

    @property
    def page_folder(self) -> str:
        return self.folder if self.number is None else page_folder(self.folder, self.number)


def page_folder(folder: str, number: int) -> str:
    return f"{folder}page/{number}/"


def paginate(folder: str, newest_first: Sequence[T], per_page: int) -> list[Pagination[T]]:
    oldest_first = list(reversed(newest_first))
    full = len(oldest_first) // per_page
    if full * per_page == len(oldest_first) and full > 0:
        full -= 1  # the newest full chunk is exactly the front page: no need to repeat it
    pages = [
        Pagination(
            folder=folder,
            number=None,
            items=tuple(newest_first[:per_page]),
            newer=None,
            older=page_folder(folder, full) if full else None,
        )
    ]
    for number in range(full, 0, -1):
        chunk = oldest_first[(number - 1) * per_page : number * per_page]
        pages.append(
            Pagination(
                folder=folder,
                number=number,
                items=tuple(reversed(chunk)),
                newer=page_folder(folder, number + 1) if number < full else folder,
                older=page_folder(folder, number - 1) if number > 1 else None,
            )
        )
    return pages
