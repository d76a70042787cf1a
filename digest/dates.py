"""How the site spells dates: in its interface's language, from CLDR through Babel ("1
December 2026", "1er décembre 2026"), never through the machine's locale (strftime's %B).

A date is shown in the zone it carries: an edition's date is in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from .translation import babel_locale, catalog


def long_date(when: datetime | date, language: str = "en") -> str:
    # Babel formats a datetime's date: keyed by that date, each is formatted once a
    # process (an edition's items, its pages and search records share one). Not by the
    # datetime: two equal instants in other zones fall on other days.
    return _long_date(date(when.year, when.month, when.day), language)


@lru_cache(maxsize=4096)
def _long_date(day: date, language: str) -> str:
    from babel.dates import format_date

    return format_date(day, _pattern(language, day.day == 1), locale=babel_locale(language))


@lru_cache(maxsize=64)
def _pattern(language: str, first: bool) -> str:
    """CLDR's long date pattern for the language ("d MMMM y"); on the first of a month,
    with the day as the catalog writes it: CLDR writes it as a number, French as an
    ordinal ("1er décembre")."""
    from babel.dates import get_date_format, tokenize_pattern, untokenize_pattern

    pattern = get_date_format("long", locale=babel_locale(language)).pattern
    if not first:
        return pattern
    # Translators: the day 1 in a date such as "1 December 2026" ("1er" in French).
    day = catalog(language).pgettext("the first day of a month, in a date", "1")
    tokens = [
        ("chars", day) if kind == "field" and value[0] == "d" else (kind, value)
        for kind, value in tokenize_pattern(pattern)
    ]
    return untokenize_pattern(tokens)


def month_name(year: int, month: int, language: str = "en") -> str:
    """A month of a year, as the archive heads it: "December 2026", "décembre 2026"."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", date(year, month, 1), locale=babel_locale(language))
