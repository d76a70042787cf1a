"""The interface's language: which gettext catalog a site's `language` picks, and numbers
as that language writes them (Babel, from CLDR).

A site has one language: its items are written in it and its interface speaks it. The
catalogs are digest/locale/LANG/LC_MESSAGES/digest.mo, compiled from the .po beside
them; a language is supported when its catalog is there, so a third language is one
catalog away. A tag with a region (fr-CA) takes its language's catalog (fr); a language
with no catalog gets the English interface, and a warning from config.py.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Babel is imported when a date or a number is shown, not before
    from babel import Locale

DOMAIN = "digest"
LOCALES = Path(__file__).resolve().parent / "locale"
FALLBACK = "en"
# A tag that names no region is written for this one: English dates keep the order the
# site has always written them in ("1 December 2026"), whatever the reader's machine.
DEFAULT_REGION = {"en": "GB"}


def supported() -> list[str]:
    """The languages with a compiled catalog, e.g. ['en', 'fr']."""
    return sorted(path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def interface_language(tag: str) -> str | None:
    """The catalog's language for a language tag (fr-FR, fr-CA -> fr), or None when digest
    has no catalog for it."""
    code = tag.replace("_", "-").split("-")[0].lower()
    return code if (LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file() else None


# Catalogs and locales are read once a process: a page asks for a dozen messages and dates.
@lru_cache(maxsize=64)
def catalog(tag: str) -> gettext.NullTranslations:
    """The interface's messages for a site in language `tag`: its catalog, or English."""
    code = interface_language(tag) or FALLBACK
    return gettext.translation(DOMAIN, LOCALES, languages=[code], fallback=True)


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """The CLDR locale of the interface: the tag itself when it names a region CLDR knows
    for the catalog's language (fr-CA), else that language in its usual region."""
    from babel import Locale, UnknownLocaleError

    code = interface_language(tag) or FALLBACK
    parts = tag.replace("_", "-").split("-")
    if parts[0].lower() == code and len(parts) > 1:
        try:
            return Locale.parse("_".join([code, *parts[1:]]), sep="_")
        except (ValueError, UnknownLocaleError):
            pass
    region = DEFAULT_REGION.get(code)
    return Locale(code, region) if region else Locale.parse(code)


# A site's numbers are few and repeat (page 2, 3 … of every topic, at each build): each is
# formatted once a process. Typed: True is a key equal to 1, and Babel refuses it.
@lru_cache(maxsize=1024, typed=True)
def number(value: int, tag: str) -> str:
    """A whole number as the interface's language writes it: 1,234 or 1 234."""
    from babel.numbers import format_decimal  # only when a number is shown

    return format_decimal(value, locale=babel_locale(tag))


def decimal(value: float, tag: str) -> str:
    """A measure with two decimals, with the language's decimal sign and no grouping (for
    the command's output, which scripts read): 0.73, 0,73."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="0.00", locale=babel_locale(tag))
