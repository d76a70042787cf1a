"""How the site spells dates: in its interface's language, from CLDR through Babel ("1
December 2026", "1er décembre 2026"), never through the machine's locale (strftime's %B).

A date is shown in the zone it carries: an edition's date is in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime

from .translation import babel_locale, catalog


def long_date(when: datetime | date, language: str = "en") -> str:
    from babel.dates import format_date, get_date_format, tokenize_pattern, untokenize_pattern

    locale = babel_locale(language)
    pattern = get_date_format("long", locale=locale).pattern
    if when.day == 1:
        # CLDR writes the day as a number; French writes the first of the month as an
        # ordinal ("1er décembre"), so the catalog says how the first day is written.
        first = catalog(language).pgettext("the first day of a month, in a date", "1")
        tokens = [
            ("chars", first) if kind == "field" and value[0] == "d" else (kind, value)
            for kind, value in tokenize_pattern(pattern)
        ]
        pattern = untokenize_pattern(tokens)
    return format_date(when, pattern, locale=locale)


def month_name(year: int, month: int, language: str = "en") -> str:
    """A month of a year, as the archive heads it: "December 2026", "décembre 2026"."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", date(year, month, 1), locale=babel_locale(language))
