from __future__ import annotations

from digest.paginate import paginate


def pages(
    count: int, per_page: int = 4
) -> list[tuple[int | None, tuple[int, ...], str | None, str | None]]:
    newest_first = list(range(count, 0, -1))
    return [(p.number, p.items, p.newer, p.older) for p in paginate("t/", newest_first, per_page)]


def test_a_short_list_is_one_page() -> None:
    assert pages(0) == [(None, (), None, None)]
    assert pages(3) == [(None, (3, 2, 1), None, None)]
    assert pages(4) == [(None, (4, 3, 2, 1), None, None)]


def test_older_pages_are_counted_from_the_oldest() -> None:
    assert pages(9) == [
        (None, (9, 8, 7, 6), None, "t/page/2/"),
        (2, (8, 7, 6, 5), "t/", "t/page/1/"),
        (1, (4, 3, 2, 1), "t/page/2/", None),
    ]


def test_new_items_never_change_a_numbered_page() -> None:
    before = {p.number: p.items for p in paginate("t/", list(range(9, 0, -1)), 4) if p.number}
    for count in range(10, 30):
        after = {
            p.number: p.items for p in paginate("t/", list(range(count, 0, -1)), 4) if p.number
        }
        assert all(after[n] == items for n, items in before.items())
        every = {i for p in paginate("t/", list(range(count, 0, -1)), 4) for i in p.items}
        assert every == set(range(1, count + 1))  # nothing unreachable
        before = after


def test_folders() -> None:
    front, older = paginate("topics/x/", [2, 1], 1)
    assert (front.page_folder, older.page_folder) == ("topics/x/", "topics/x/page/1/")
